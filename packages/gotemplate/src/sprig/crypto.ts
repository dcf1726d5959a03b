// Sprig hash, random and crypto functions (node:crypto based).
import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { goFunc, type FuncMap } from '../funcs.js';
import { bcryptHash } from './bcrypt.js';

function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(s, 'utf8')) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function aesKey(password: string): Buffer {
  const key = Buffer.alloc(32);
  Buffer.from(password, 'utf8').copy(key, 0, 0, 32);
  return key;
}

function encryptAES(password: string, plaintext: string): string {
  if (plaintext === '') return '';
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', aesKey(password), iv);
  const ct = Buffer.concat([c.update(Buffer.from(plaintext, 'utf8')), c.final()]);
  return Buffer.concat([iv, ct]).toString('base64');
}

function decryptAES(password: string, crypt64: string): string {
  const data = Buffer.from(crypt64, 'base64');
  if (data.length < 16) throw new Error('ciphertext too short');
  const d = createDecipheriv('aes-256-cbc', aesKey(password), data.subarray(0, 16));
  d.setAutoPadding(false);
  const body = data.subarray(16);
  if (body.length % 16 !== 0) throw new Error('crypto/cipher: input not full blocks');
  const out = Buffer.concat([d.update(body), d.final()]);
  const pad = out[out.length - 1] ?? 0;
  return out.subarray(0, out.length - pad).toString('utf8');
}

function genPrivateKey(typ: string): string {
  switch (typ) {
    case '':
    case 'rsa':
      return generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    case 'dsa':
      return generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/PRIVATE KEY/g, 'DSA PRIVATE KEY');
    case 'ecdsa':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    default:
      return 'Unknown type ' + typ;
  }
}

function bcrypt(s: string): string {
  try {
    return bcryptHash(s, 10);
  } catch (e) {
    return `failed to encrypt string with bcrypt: ${(e as Error).message}`;
  }
}

export function cryptoFuncs(): FuncMap {
  const S = 'string' as const;
  return {
    sha1sum: goFunc([S], null, (s: string) => createHash('sha1').update(s, 'utf8').digest('hex')),
    sha256sum: goFunc([S], null, (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')),
    sha512sum: goFunc([S], null, (s: string) => createHash('sha512').update(s, 'utf8').digest('hex')),
    adler32sum: goFunc([S], null, (s: string) => String(adler32(s))),
    uuidv4: goFunc([], null, () => randomUUID()),
    randBytes: goFunc(['int'], null, (n: number) => {
      if (n < 0) throw new Error('negative count');
      return randomBytes(n).toString('base64');
    }),
    encryptAES: goFunc([S, S], null, encryptAES),
    decryptAES: goFunc([S, S], null, decryptAES),
    genPrivateKey: goFunc([S], null, genPrivateKey),
    bcrypt: goFunc([S], null, bcrypt),
    htpasswd: goFunc([S, S], null, (user: string, pass: string) => (user.includes(':') ? `invalid username: ${user}` : `${user}:${bcrypt(pass)}`)),
  };
}
