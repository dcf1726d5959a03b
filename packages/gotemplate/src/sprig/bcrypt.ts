// bcrypt ($2a$) written from the published algorithm description (EksBlowfish). The Blowfish
// initial state is the fractional part of pi, computed here instead of being tabulated.
import { randomBytes } from 'node:crypto';

let PI_WORDS: Uint32Array | undefined;

/** The first n 32-bit words of the hexadecimal expansion of pi's fractional part. */
function piWords(n: number): Uint32Array {
  const guard = 64;
  const bits = n * 32 + guard;
  const one = 1n << BigInt(bits);
  const atanInv = (x: bigint): bigint => {
    const x2 = x * x;
    let term = one / x;
    let sum = term;
    let k = 1n;
    let neg = true;
    while (term !== 0n) {
      term /= x2;
      const t = term / (2n * k + 1n);
      sum = neg ? sum - t : sum + t;
      neg = !neg;
      k++;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
  let frac = (pi - 3n * one) >> BigInt(guard);
  const out = new Uint32Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(frac & 0xffffffffn);
    frac >>= 32n;
  }
  return out;
}

class Blowfish {
  P: Uint32Array;
  S: Uint32Array;
  constructor() {
    PI_WORDS ??= piWords(18 + 1024);
    this.P = PI_WORDS.slice(0, 18);
    this.S = PI_WORDS.slice(18);
  }
  private F(x: number): number {
    const S = this.S;
    return (((S[x >>> 24]! + S[256 + ((x >>> 16) & 0xff)]!) ^ S[512 + ((x >>> 8) & 0xff)]!) + S[768 + (x & 0xff)]!) >>> 0;
  }
  encipher(lr: Uint32Array, off: number): void {
    const P = this.P;
    let l = lr[off]!;
    let r = lr[off + 1]!;
    l ^= P[0]!;
    for (let i = 1; i <= 16; i += 2) {
      r ^= this.F(l) ^ P[i]!;
      l ^= this.F(r) ^ P[i + 1]!;
    }
    lr[off] = (r ^ P[17]!) >>> 0;
    lr[off + 1] = l >>> 0;
  }
  private static word(data: Uint8Array, pos: { j: number }): number {
    let w = 0;
    for (let i = 0; i < 4; i++) {
      w = (w << 8) | data[pos.j]!;
      pos.j = (pos.j + 1) % data.length;
    }
    return w >>> 0;
  }
  expand(key: Uint8Array, salt: Uint8Array | null): void {
    const kp = { j: 0 };
    for (let i = 0; i < 18; i++) this.P[i] = (this.P[i]! ^ Blowfish.word(key, kp)) >>> 0;
    const lr = new Uint32Array(2);
    const sp = { j: 0 };
    const step = (arr: Uint32Array, i: number): void => {
      if (salt) {
        lr[0] ^= Blowfish.word(salt, sp);
        lr[1] ^= Blowfish.word(salt, sp);
      }
      this.encipher(lr, 0);
      arr[i] = lr[0]!;
      arr[i + 1] = lr[1]!;
    };
    for (let i = 0; i < 18; i += 2) step(this.P, i);
    for (let i = 0; i < 1024; i += 2) step(this.S, i);
  }
}

const B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function b64(data: Uint8Array, len: number): string {
  let out = '';
  let i = 0;
  while (i < len) {
    let c1 = data[i++]!;
    out += B64[(c1 >> 2) & 0x3f];
    c1 = (c1 & 0x03) << 4;
    if (i >= len) {
      out += B64[c1];
      break;
    }
    let c2 = data[i++]!;
    c1 |= (c2 >> 4) & 0x0f;
    out += B64[c1];
    c1 = (c2 & 0x0f) << 2;
    if (i >= len) {
      out += B64[c1];
      break;
    }
    c2 = data[i++]!;
    c1 |= (c2 >> 6) & 0x03;
    out += B64[c1] + B64[c2 & 0x3f];
  }
  return out;
}

/** bcrypt hash with the given cost (4..31) and 16-byte salt. */
export function bcryptHash(password: string, cost = 10, salt: Uint8Array = randomBytes(16)): string {
  const pw = Buffer.from(password, 'utf8');
  if (pw.length > 72) throw new Error('bcrypt: password length exceeds 72 bytes');
  const key = new Uint8Array(pw.length + 1);
  key.set(pw);
  const bf = new Blowfish();
  bf.expand(key, salt);
  const rounds = 2 ** cost;
  for (let i = 0; i < rounds; i++) {
    bf.expand(key, null);
    bf.expand(salt, null);
  }
  const ctext = new Uint32Array(6);
  const magic = Buffer.from('OrpheanBeholderScryDoubt', 'latin1');
  for (let i = 0; i < 6; i++) ctext[i] = magic.readUInt32BE(i * 4);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 6; j += 2) bf.encipher(ctext, j);
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeUInt32BE(ctext[i]!, i * 4);
  return `$2a$${String(cost).padStart(2, '0')}$${b64(salt, 16)}${b64(out, 23)}`;
}
