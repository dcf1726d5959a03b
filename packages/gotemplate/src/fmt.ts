// A reimplementation of the documented behaviour of Go's fmt verbs over the JS value model.
import { GoNum, isMap, isStruct, mapKeys, typeName, elemType } from './values.js';

// ---------------------------------------------------------------------------
// Floating point formatting (strconv.FormatFloat semantics)

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Decompose a finite positive double into m * 2^e with integer m. */
function decompose(x: number): [bigint, number] {
  f64[0] = x;
  const lo = u32[0]!;
  const hi = u32[1]!;
  const exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (exp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = exp - 1075;
  }
  return [mant, e];
}

const pow10cache: bigint[] = [];
function pow10(n: number): bigint {
  if (n < 64) {
    let v = pow10cache[n];
    if (v === undefined) pow10cache[n] = v = 10n ** BigInt(n);
    return v;
  }
  return 10n ** BigInt(n);
}

/** round(x * 10^k) with round-half-to-even on the exact binary value; x finite, >= 0. */
function roundScaled(x: number, k: number): bigint {
  const [m, e] = decompose(x);
  let num = m;
  let den = 1n;
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  if (k >= 0) num *= pow10(k);
  else den *= pow10(-k);
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

interface Digits {
  d: string; // significant digits, no leading zeros ("0" for zero)
  dp: number; // decimal point position: value = 0.d * 10^dp
}

function shortestDigits(x: number): Digits {
  if (x === 0) return { d: '0', dp: 1 };
  const s = x.toExponential(); // shortest round-trip digits
  const ei = s.indexOf('e');
  const mant = s.slice(0, ei).replace('.', '');
  const exp = parseInt(s.slice(ei + 1), 10);
  return { d: mant, dp: exp + 1 };
}

/** nd significant digits, exactly rounded. */
function precisionDigits(x: number, nd: number): Digits {
  if (x === 0) return { d: '0', dp: 1 };
  if (nd < 1) nd = 1;
  let E = Math.floor(Math.log10(x));
  let q = roundScaled(x, nd - 1 - E);
  const hi = pow10(nd);
  if (q >= hi) {
    E++;
    q = roundScaled(x, nd - 1 - E);
  } else if (q < pow10(nd - 1)) {
    E--;
    q = roundScaled(x, nd - 1 - E);
  }
  if (q >= hi) {
    // rounding carried over (e.g. 9.99 -> 10.0)
    E++;
    q = q / 10n;
  }
  return { d: q.toString(), dp: E + 1 };
}

function fmtE(dg: Digits, prec: number, ch: string): string {
  let s = dg.d[0]!;
  if (prec > 0) {
    let frac = dg.d.slice(1, 1 + prec);
    if (frac.length < prec) frac += '0'.repeat(prec - frac.length);
    s += '.' + frac;
  }
  const exp = dg.d === '0' ? 0 : dg.dp - 1;
  const ae = Math.abs(exp);
  return s + ch + (exp < 0 ? '-' : '+') + (ae < 10 ? '0' + ae : String(ae));
}

function fmtF(dg: Digits, prec: number): string {
  let s: string;
  if (dg.dp > 0) {
    s = dg.d.slice(0, dg.dp);
    if (s.length < dg.dp) s += '0'.repeat(dg.dp - s.length);
  } else s = '0';
  if (prec > 0) {
    let frac = '';
    for (let i = 0; i < prec; i++) {
      const j = dg.dp + i;
      frac += j < 0 || j >= dg.d.length ? '0' : dg.d[j];
    }
    s += '.' + frac;
  }
  return s;
}

/** strconv.FormatFloat(x, fmt, prec, 64) for fmt in e E f F g G; prec -1 = shortest. */
export function formatFloat(x: number, fmt: string, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  const sign = neg ? '-' : '';
  const shortest = prec < 0;
  switch (fmt) {
    case 'e':
    case 'E': {
      let dg: Digits;
      if (shortest) {
        dg = shortestDigits(ax);
        prec = dg.d.length - 1;
      } else dg = precisionDigits(ax, prec + 1);
      return sign + fmtE(dg, prec, fmt);
    }
    case 'f':
    case 'F': {
      let dg: Digits;
      if (shortest) {
        dg = shortestDigits(ax);
        prec = Math.max(dg.d.length - dg.dp, 0);
      } else {
        if (ax === 0) dg = { d: '0', dp: 1 };
        else {
          const q = roundScaled(ax, prec);
          const qs = q.toString();
          dg = { d: qs, dp: qs.length - prec };
        }
      }
      return sign + fmtF(dg, prec);
    }
    case 'g':
    case 'G': {
      let dg: Digits;
      let eprec = prec;
      if (shortest) {
        dg = shortestDigits(ax);
        prec = dg.d.length;
        eprec = 6;
      } else {
        if (prec === 0) prec = 1;
        dg = precisionDigits(ax, prec);
        // drop trailing zeros, as Go's decimal representation does
        let d = dg.d;
        let n = d.length;
        while (n > 1 && d[n - 1] === '0') n--;
        if (n !== d.length) dg = { d: d.slice(0, n), dp: dg.dp };
        d = dg.d;
        eprec = prec;
        if (eprec > d.length && d.length >= dg.dp) eprec = d.length;
      }
      const exp = dg.d === '0' ? 0 : dg.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > dg.d.length) prec = dg.d.length;
        return sign + fmtE(dg, prec - 1, fmt === 'g' ? 'e' : 'E');
      }
      if (prec > dg.dp) prec = dg.d.length;
      return sign + fmtF(dg, Math.max(prec - dg.dp, 0));
    }
  }
  return String(x);
}

/** Go's %v for a float64. */
export function formatFloatV(x: number): string {
  // fast path: small integers
  if (Number.isInteger(x) && Math.abs(x) < 1e6 && !Object.is(x, -0)) return String(x);
  return formatFloat(x, 'g', -1);
}

// ---------------------------------------------------------------------------
// Quoting (strconv.Quote semantics)

const printable = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

function hex(n: number, width: number): string {
  const s = n.toString(16);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

function escapeRune(cp: number, quote: string, asciiOnly: boolean): string {
  const ch = String.fromCodePoint(cp);
  if (ch === quote || ch === '\\') return '\\' + ch;
  if (asciiOnly ? cp < 0x7f && cp >= 0x20 : cp >= 0x20 && cp !== 0x7f && (cp < 0x80 || printable.test(ch))) return ch;
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd';
  if (cp < 0x10000) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

export function quote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0)!, '"', asciiOnly);
  return out + '"';
}

export function quoteRune(cp: number, asciiOnly = false): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0) cp = 0xfffd;
  return "'" + escapeRune(cp, "'", asciiOnly) + "'";
}

function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '`' || cp === 0xfeff) return false;
    if (cp < 0x20 && cp !== 9) return false;
    if (cp === 0x7f) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Printer

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number; // -1 = absent
  prec: number; // -1 = absent
}

const noFlags = (): Flags => ({ plus: false, minus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false, wid: -1, prec: -1 });

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

function pad(s: string, f: Flags): string {
  if (f.wid < 0) return s;
  const n = f.wid - runeCount(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  return (f.zero ? '0' : ' ').repeat(n) + s;
}

/** Pads numbers: zero padding goes after the sign. */
function padNumber(s: string, f: Flags): string {
  if (f.wid < 0) return s;
  if (f.zero && !f.minus) {
    const n = f.wid - runeCount(s);
    if (n <= 0) return s;
    if (s[0] === '-' || s[0] === '+' || s[0] === ' ') return s[0] + '0'.repeat(n) + s.slice(1);
    return '0'.repeat(n) + s;
  }
  return pad(s, f);
}

function stringer(v: object): string | undefined {
  if (v instanceof Error) return v.message;
  const m = (v as { String?: unknown }).String;
  if (typeof m === 'function') return String(m.call(v));
  return undefined;
}

class Printer {
  buf = '';

  badVerb(verb: string, arg: unknown): void {
    this.buf += '%!' + verb + '(';
    if (arg === undefined || arg === null) this.buf += '<nil>';
    else {
      this.buf += typeName(arg) + '=';
      this.printArg(arg, 'v', noFlags(), 0);
    }
    this.buf += ')';
  }

  fmtInteger(v: bigint, unsigned: boolean, verb: string, f: Flags, arg: unknown): void {
    let base = 10;
    let upper = false;
    switch (verb) {
      case 'v':
        if (f.sharpV && !unsigned) {
          /* decimal */
        } else if (f.sharpV) {
          base = 16;
          this.buf += pad('0x' + v.toString(16), f);
          return;
        }
        break;
      case 'd':
        break;
      case 'b':
        base = 2;
        break;
      case 'o':
      case 'O':
        base = 8;
        break;
      case 'x':
        base = 16;
        break;
      case 'X':
        base = 16;
        upper = true;
        break;
      case 'c':
        this.buf += pad(String.fromCodePoint(Number(v) >= 0 && Number(v) <= 0x10ffff ? Number(v) : 0xfffd), f);
        return;
      case 'q':
        this.buf += pad(quoteRune(Number(v), f.plus), f);
        return;
      case 'U': {
        let s = 'U+' + hex(Number(v), 4).toUpperCase();
        if (f.sharp) s += " '" + String.fromCodePoint(Number(v)) + "'";
        this.buf += pad(s, f);
        return;
      }
      default:
        this.badVerb(verb, arg);
        return;
    }
    const neg = v < 0n;
    let digits = (neg ? -v : v).toString(base);
    if (upper) digits = digits.toUpperCase();
    if (f.prec >= 0) {
      if (f.prec === 0 && v === 0n) digits = '';
      else if (digits.length < f.prec) digits = '0'.repeat(f.prec - digits.length) + digits;
    }
    let prefix = '';
    if (f.sharp) {
      if (base === 2) prefix = '0b';
      else if (base === 8 && digits[0] !== '0') prefix = '0';
      else if (base === 16) prefix = upper ? '0X' : '0x';
    }
    if (verb === 'O') prefix = '0o';
    let sign = '';
    if (neg) sign = '-';
    else if (f.plus) sign = '+';
    else if (f.space) sign = ' ';
    if (f.zero && !f.minus && f.wid > 0 && f.prec < 0) {
      const n = f.wid - sign.length - prefix.length - digits.length;
      if (n > 0) digits = '0'.repeat(n) + digits;
      this.buf += sign + prefix + digits;
      return;
    }
    this.buf += pad(sign + prefix + digits, f);
  }

  fmtFloatVerb(v: number, verb: string, f: Flags, arg: unknown): void {
    let s: string;
    switch (verb) {
      case 'v':
        s = formatFloat(v, 'g', f.prec);
        if (f.sharpV && !/[.eEn]/.test(s) && Number.isFinite(v)) {
          /* Go prints %#v of 1.0 as "1" */
        }
        break;
      case 'b':
      case 'x':
      case 'X':
        this.badVerb(verb, arg);
        return;
      case 'g':
      case 'G':
        s = formatFloat(v, verb, f.prec);
        break;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
        s = formatFloat(v, verb, f.prec < 0 ? 6 : f.prec);
        break;
      default:
        this.badVerb(verb, arg);
        return;
    }
    if (f.sharp && verb !== 'v' && Number.isFinite(v) && !s.includes('.')) {
      const ei = s.search(/[eE]/);
      s = ei < 0 ? s + '.' : s.slice(0, ei) + '.' + s.slice(ei);
    }
    if (s[0] !== '-' && s[0] !== '+') {
      if (f.plus) s = '+' + s;
      else if (f.space) s = ' ' + s;
    } else if (s === '+Inf' && !f.plus) {
      s = f.space ? ' Inf' : 'Inf';
    }
    if (!Number.isFinite(v)) {
      const z = f.zero;
      f.zero = false;
      this.buf += pad(s, f);
      f.zero = z;
      return;
    }
    this.buf += padNumber(s, f);
  }

  fmtString(s: string, verb: string, f: Flags, arg: unknown): void {
    switch (verb) {
      case 'v':
      case 's':
        if (verb === 'v' && f.sharpV) {
          this.buf += pad(quote(s), f);
          return;
        }
        if (f.prec >= 0) s = [...s].slice(0, f.prec).join('');
        this.buf += pad(s, f);
        return;
      case 'q':
        if (f.prec >= 0) s = [...s].slice(0, f.prec).join('');
        if (f.sharp && canBackquote(s)) this.buf += pad('`' + s + '`', f);
        else this.buf += pad(quote(s, f.plus), f);
        return;
      case 'x':
      case 'X': {
        let bytes = Buffer.from(s, 'utf8');
        if (f.prec >= 0 && f.prec < bytes.length) bytes = bytes.subarray(0, f.prec);
        let out = '';
        for (let i = 0; i < bytes.length; i++) {
          if (f.space && i > 0) out += ' ';
          if (f.sharp && (f.space || i === 0)) out += verb === 'x' ? '0x' : '0X';
          const h = hex(bytes[i]!, 2);
          out += verb === 'X' ? h.toUpperCase() : h;
        }
        this.buf += pad(out, f);
        return;
      }
      default:
        this.badVerb(verb, arg);
    }
  }

  printArg(arg: unknown, verb: string, f: Flags, depth: number): void {
    if (arg === undefined || arg === null) {
      if (verb === 'T' || verb === 'v') this.buf += pad('<nil>', f);
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.buf += pad(typeName(arg), f);
      return;
    }
    switch (typeof arg) {
      case 'boolean':
        if (verb === 't' || verb === 'v') this.buf += pad(arg ? 'true' : 'false', f);
        else this.badVerb(verb, arg);
        return;
      case 'bigint':
        this.fmtInteger(arg, false, verb, f, arg);
        return;
      case 'number':
        this.fmtFloatVerb(arg, verb, f, arg);
        return;
      case 'string':
        this.fmtString(arg, verb, f, arg);
        return;
      case 'function':
        if (verb === 'v' || verb === 'p') this.buf += pad('0xc000010000', f);
        else this.badVerb(verb, arg);
        return;
    }
    if (arg instanceof GoNum) {
      if (arg.isFloat) this.fmtFloatVerb(arg.v as number, verb, f, arg);
      else this.fmtInteger(arg.v as bigint, arg.isUnsigned, verb, f, arg);
      return;
    }
    if (typeof arg !== 'object') {
      this.buf += pad(String(arg), f);
      return;
    }
    // Stringer / error
    if (!f.sharpV && (verb === 'v' || verb === 's' || verb === 'q' || verb === 'x' || verb === 'X') && !Array.isArray(arg) && !isMap(arg)) {
      const s = stringer(arg);
      if (s !== undefined) {
        this.fmtString(s, verb, f, s);
        return;
      }
    }
    this.printValue(arg, verb, f, depth);
  }

  printValue(v: object, verb: string, f: Flags, depth: number): void {
    if (Array.isArray(v)) {
      if (f.sharpV) {
        this.buf += typeName(v) + '{';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) this.buf += ', ';
          this.printArg(v[i], verb, f, depth + 1);
        }
        this.buf += '}';
        return;
      }
      this.buf += '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) this.buf += ' ';
        this.printArg(v[i], verb, f, depth + 1);
      }
      this.buf += ']';
      return;
    }
    if (isMap(v)) {
      const keys = mapKeys(v);
      if (f.sharpV) {
        this.buf += typeName(v) + '{';
        keys.forEach((k, i) => {
          if (i > 0) this.buf += ', ';
          this.buf += quote(k) + ':';
          this.printArg(v[k], verb, f, depth + 1);
        });
        this.buf += '}';
        return;
      }
      this.buf += 'map[';
      keys.forEach((k, i) => {
        if (i > 0) this.buf += ' ';
        this.printArg(k, verb, f, depth + 1);
        this.buf += ':';
        this.printArg(v[k], verb, f, depth + 1);
      });
      this.buf += ']';
      return;
    }
    if (isStruct(v)) {
      const keys = Object.keys(v);
      this.buf += (f.sharpV ? typeName(v) : '') + '{';
      keys.forEach((k, i) => {
        if (i > 0) this.buf += f.sharpV ? ', ' : ' ';
        if (f.plusV || f.sharpV) this.buf += k + ':';
        this.printArg((v as Record<string, unknown>)[k], verb, f, depth + 1);
      });
      this.buf += '}';
      return;
    }
    this.buf += String(v);
  }

  doPrintf(format: string, a: unknown[]): void {
    const end = format.length;
    let argNum = 0;
    let afterIndex = false;
    let reordered = false;
    let i = 0;
    while (i < end) {
      const lasti = i;
      while (i < end && format.charCodeAt(i) !== 37 /* % */) i++;
      if (i > lasti) this.buf += format.slice(lasti, i);
      if (i >= end) break;
      i++; // skip %
      const f = noFlags();
      flags: for (; i < end; i++) {
        switch (format[i]) {
          case '#':
            f.sharp = true;
            break;
          case '0':
            f.zero = !f.minus;
            break;
          case '+':
            f.plus = true;
            break;
          case '-':
            f.minus = true;
            f.zero = false;
            break;
          case ' ':
            f.space = true;
            break;
          default:
            break flags;
        }
      }
      // argument index
      const argIndex = (): void => {
        if (i < end && format[i] === '[') {
          reordered = true;
          const close = format.indexOf(']', i);
          const n = close < 0 ? NaN : Number(format.slice(i + 1, close));
          if (close < 0 || !Number.isInteger(n) || n < 1 || format.slice(i + 1, close) === '') {
            i = close < 0 ? end : close + 1;
            this.buf += '%!(BADINDEX)';
            afterIndex = false;
            argNum = -1;
            return;
          }
          argNum = n - 1;
          i = close + 1;
          afterIndex = true;
        }
      };
      argIndex();
      if (argNum < 0) {
        argNum = a.length;
        continue;
      }
      // width
      if (i < end && format[i] === '*') {
        i++;
        const w = argNum < a.length ? a[argNum] : undefined;
        argNum++;
        const wi = typeof w === 'bigint' ? Number(w) : w instanceof GoNum && !w.isFloat ? Number(w.v) : NaN;
        if (Number.isNaN(wi)) this.buf += '%!(BADWIDTH)';
        else {
          f.wid = wi;
          if (wi < 0) {
            f.minus = true;
            f.zero = false;
            f.wid = -wi;
          }
        }
        afterIndex = false;
      } else {
        const s = i;
        while (i < end && format.charCodeAt(i) >= 48 && format.charCodeAt(i) <= 57) i++;
        if (i > s) f.wid = Number(format.slice(s, i));
      }
      // precision
      if (i + 1 <= end && format[i] === '.') {
        i++;
        if (afterIndex) {
          /* ignore */
        }
        argIndex();
        if (i < end && format[i] === '*') {
          i++;
          const p = argNum < a.length ? a[argNum] : undefined;
          argNum++;
          const pi = typeof p === 'bigint' ? Number(p) : NaN;
          if (Number.isNaN(pi) || pi < 0) {
            this.buf += '%!(BADPREC)';
            f.prec = -1;
          } else f.prec = pi;
          afterIndex = false;
        } else {
          const s = i;
          while (i < end && format.charCodeAt(i) >= 48 && format.charCodeAt(i) <= 57) i++;
          f.prec = Number(format.slice(s, i) || '0');
        }
      }
      if (!afterIndex) argIndex();
      if (i >= end) {
        this.buf += '%!(NOVERB)';
        break;
      }
      const cp = format.codePointAt(i)!;
      const verb = String.fromCodePoint(cp);
      i += verb.length;
      if (verb === '%') {
        this.buf += '%';
        continue;
      }
      if (argNum >= a.length) {
        this.buf += '%!' + verb + '(MISSING)';
        continue;
      }
      if (verb === 'w') {
        this.badVerb(verb, a[argNum]);
        argNum++;
        continue;
      }
      if (verb === 'v') {
        if (f.sharp) {
          f.sharp = false;
          f.sharpV = true;
        }
        if (f.plus) {
          f.plus = false;
          f.plusV = true;
        }
      }
      this.printArg(a[argNum], verb, f, 0);
      argNum++;
      afterIndex = false;
    }
    if (!reordered && argNum < a.length) {
      this.buf += '%!(EXTRA ';
      for (let k = argNum; k < a.length; k++) {
        if (k > argNum) this.buf += ', ';
        const arg = a[k];
        if (arg === undefined || arg === null) this.buf += '<nil>';
        else {
          this.buf += typeName(arg) + '=';
          this.printArg(arg, 'v', noFlags(), 0);
        }
      }
      this.buf += ')';
    }
  }
}

/** fmt.Sprintf */
export function sprintf(format: string, ...args: unknown[]): string {
  const p = new Printer();
  p.doPrintf(format, args);
  return p.buf;
}

/** fmt.Sprint of a single value (%v). */
export function formatValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
      return v.toString();
    case 'number':
      return formatFloatV(v);
    case 'boolean':
      return v ? 'true' : 'false';
  }
  const p = new Printer();
  p.printArg(v, 'v', noFlags(), 0);
  return p.buf;
}

/** fmt.Sprint: spaces are added between operands when neither is a string. */
export function sprint(...args: unknown[]): string {
  let out = '';
  let prevString = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatValue(a);
    prevString = isString;
  }
  return out;
}

/** fmt.Sprintln: spaces always added between operands and a newline appended. */
export function sprintln(...args: unknown[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    if (i > 0) out += ' ';
    out += formatValue(args[i]);
  }
  return out + '\n';
}

export { elemType };
