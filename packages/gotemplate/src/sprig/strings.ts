// Sprig string functions, reimplemented from the Sprig documentation.
import { randomInt } from 'node:crypto';
import { goFunc, type FuncMap } from '../funcs.js';
import { quote as goQuote, formatValue } from '../fmt.js';
import { GO_TYPE, byteLength, byteSlice, strList, setKey, type GoMap } from '../values.js';
import { strslice, strval } from './conv.js';
import { compileRegex, expand, findAll, quoteMeta, replaceAll, split as reSplit } from './regex.js';

const SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const trimLeftRe = new RegExp(`^[${SPACE}]+`);
const trimRightRe = new RegExp(`[${SPACE}]+$`);
const spaceRe = new RegExp(`[${SPACE}]`, 'g');
const isSpaceRe = new RegExp(`^[${SPACE}]$`);

export const trimSpace = (s: string): string => s.replace(trimLeftRe, '').replace(trimRightRe, '');
const isSpace = (c: string): boolean => isSpaceRe.test(c);
const isLetter = (c: string): boolean => /\p{L}/u.test(c);
const isDigit = (c: string): boolean => /\p{Nd}/u.test(c);
const isUpper = (c: string): boolean => c !== c.toLowerCase() && c === c.toUpperCase();
const isLower = (c: string): boolean => c !== c.toUpperCase() && c === c.toLowerCase();

/** strings.Trim(s, cutset) */
export function trimCutset(s: string, cutset: string): string {
  if (s === '' || cutset === '') return s;
  const set = new Set([...cutset]);
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && set.has(chars[a]!)) a++;
  while (b > a && set.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join('');
}

/** strings.Title: uppercase letters that begin words. */
export function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    let sep: boolean;
    const p = prev.codePointAt(0)!;
    if (p < 0x80) sep = !/[A-Za-z0-9_]/.test(prev);
    else if (isLetter(prev) || isDigit(prev)) sep = false;
    else sep = isSpace(prev);
    out += sep ? c.toUpperCase() : c;
    prev = c;
    void cp;
  }
  return out;
}

function untitle(s: string): string {
  let out = '';
  let start = true;
  for (const c of s) {
    if (isSpace(c)) {
      start = true;
      out += c;
    } else if (start) {
      out += c.toLowerCase();
      start = false;
    } else out += c;
  }
  return out;
}

function substr(start: number, end: number, s: string): string {
  const n = byteLength(s);
  if (start < 0) {
    if (end > n || end < 0) throw new Error(`runtime error: slice bounds out of range [:${end}] with length ${n}`);
    return byteSlice(s, 0, end);
  }
  if (end < 0 || end > n) {
    if (start > n) throw new Error(`runtime error: slice bounds out of range [${start}:${n}]`);
    return byteSlice(s, start);
  }
  if (start > end) throw new Error(`runtime error: slice bounds out of range [${start}:${end}]`);
  return byteSlice(s, start, end);
}

function trunc(c: number, s: string): string {
  const n = byteLength(s);
  if (c < 0 && n + c > 0) return byteSlice(s, n + c);
  if (c >= 0 && n > c) return byteSlice(s, 0, c);
  return s;
}

function abbreviateFull(s: string, offset: number, maxWidth: number): string {
  if (s === '') return '';
  if (maxWidth < 4) throw new Error('minimum abbreviation width is 4');
  const n = s.length;
  if (n <= maxWidth) return s;
  if (offset > n) offset = n;
  if (n - offset < maxWidth - 3) offset = n - (maxWidth - 3);
  if (offset <= 4) return s.slice(0, maxWidth - 3) + '...';
  if (maxWidth < 7) throw new Error('minimum abbreviation width with offset is 7');
  if (offset + maxWidth - 3 < n) return '...' + abbreviateFull(s.slice(offset), 0, maxWidth - 3);
  return '...' + s.slice(n - (maxWidth - 3));
}

function initials(s: string): string {
  let out = '';
  let start = true;
  for (const c of s) {
    if (isSpace(c)) start = true;
    else if (start) {
      out += c;
      start = false;
    }
  }
  return out;
}

function wrapCustom(s: string, wrapLength: number, newLine: string, wrapLong: boolean): string {
  if (s === '') return '';
  if (newLine === '') newLine = '\n';
  if (wrapLength < 1) wrapLength = 1;
  const n = s.length;
  let offset = 0;
  let out = '';
  while (n - offset > wrapLength) {
    if (s[offset] === ' ') {
      offset++;
      continue;
    }
    const end = wrapLength + offset + 1;
    let spaceToWrapAt = s.slice(offset, end).lastIndexOf(' ') + offset;
    if (spaceToWrapAt >= offset) {
      out += s.slice(offset, spaceToWrapAt) + newLine;
      offset = spaceToWrapAt + 1;
    } else if (wrapLong) {
      out += s.slice(offset, wrapLength + offset) + newLine;
      offset += wrapLength;
    } else {
      const e2 = wrapLength + offset;
      const idx = s.slice(e2).indexOf(' ');
      if (idx === -1) break;
      spaceToWrapAt = idx + e2;
      out += s.slice(offset, spaceToWrapAt) + newLine;
      offset = spaceToWrapAt + 1;
    }
  }
  return out + s.slice(offset);
}

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const NUM = '0123456789';
function randFrom(chars: string, count: number): string {
  if (count < 0) throw new Error(`Requested random string length ${count} is less than 0.`);
  let out = '';
  for (let i = 0; i < count; i++) out += chars[randomInt(chars.length)];
  return out;
}
let ASCII = '';
for (let c = 32; c <= 126; c++) ASCII += String.fromCharCode(c);

/** Splits an identifier into words for snake/kebab case conversion. */
function caseWords(s: string): string[] {
  const chars = [...s];
  const words: string[] = [];
  let cur = '';
  const flush = (): void => {
    if (cur) words.push(cur);
    cur = '';
  };
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const prev = i > 0 ? chars[i - 1]! : '';
    const next = chars[i + 1] ?? '';
    if (c === '_' || c === '-' || c === ' ' || c === '.' || isSpace(c)) {
      flush();
      continue;
    }
    if (cur) {
      if (isUpper(c)) {
        if (isLower(prev) || isDigit(prev)) flush();
        else if (isUpper(prev) && isLower(next)) flush();
      } else if (isDigit(c) && !isDigit(prev) && isLetter(prev) && !isDigit(cur[0]!)) {
        // digits after letters start a new word when followed by a lower-case letter
        let j = i;
        while (j < chars.length && isDigit(chars[j]!)) j++;
        if (j < chars.length && isLower(chars[j]!)) flush();
      }
    }
    cur += c;
  }
  flush();
  return words;
}

function toSnake(s: string, sep: string): string {
  return caseWords(s)
    .map((w) => w.toLowerCase())
    .join(sep);
}

function toCamel(s: string): string {
  const chars = [...s];
  let out = '';
  let i = 0;
  // leading underscores are kept
  while (i < chars.length && chars[i] === '_') out += chars[i++];
  let upperNext = true;
  for (; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '_' || c === ' ' || c === '-') {
      let j = i;
      while (j < chars.length && (chars[j] === '_' || chars[j] === ' ' || chars[j] === '-')) j++;
      if (j >= chars.length) {
        out += chars.slice(i, j).filter((x) => x === '_').join('');
        break;
      }
      const run = chars.slice(i, j).filter((x) => x === '_').length;
      if (run > 1) out += '_'.repeat(run - 1);
      upperNext = true;
      i = j - 1;
      continue;
    }
    out += upperNext ? c.toUpperCase() : c;
    upperNext = false;
  }
  return out;
}

function swapcase(s: string): string {
  let out = '';
  for (const c of s) {
    if (isUpper(c)) out += c.toLowerCase();
    else if (isLower(c)) out += c.toUpperCase();
    else out += c;
  }
  return out;
}

function shuffle(s: string): string {
  const a = [...s];
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.join('');
}

/** strings.Split semantics (empty separator splits into characters). */
export function goSplit(s: string, sep: string, n = -1): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const chars = [...s];
    if (n > 0 && chars.length > n) return [...chars.slice(0, n - 1), chars.slice(n - 1).join('')];
    return chars;
  }
  const parts = s.split(sep);
  if (n > 0 && parts.length > n) return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
  return parts;
}

function splitMap(parts: string[]): GoMap {
  const m: GoMap = {};
  Object.defineProperty(m, GO_TYPE, { value: 'map[string]string', enumerable: false });
  parts.forEach((p, i) => setKey(m, '_' + i, p));
  return m;
}

function goReplace(s: string, old: string, nw: string): string {
  if (old === '') {
    const chars = [...s];
    return nw + chars.map((c) => c + nw).join('');
  }
  return s.split(old).join(nw);
}

const mustRe = (re: string): RegExp => compileRegex(re);

export function stringFuncs(): FuncMap {
  const S = 'string' as const;
  const I = 'int' as const;
  return {
    trim: goFunc([S], null, trimSpace),
    trimAll: goFunc([S, S], null, (a: string, b: string) => trimCutset(b, a)),
    trimall: goFunc([S, S], null, (a: string, b: string) => trimCutset(b, a)),
    trimPrefix: goFunc([S, S], null, (a: string, b: string) => (b.startsWith(a) ? b.slice(a.length) : b)),
    trimSuffix: goFunc([S, S], null, (a: string, b: string) => (a !== '' && b.endsWith(a) ? b.slice(0, b.length - a.length) : b)),
    upper: goFunc([S], null, (s: string) => s.toUpperCase()),
    lower: goFunc([S], null, (s: string) => s.toLowerCase()),
    title: goFunc([S], null, title),
    untitle: goFunc([S], null, untitle),
    substr: goFunc([I, I, S], null, substr),
    repeat: goFunc([I, S], null, (n: number, s: string) => {
      if (n < 0) throw new Error('strings: negative Repeat count');
      return s.repeat(n);
    }),
    nospace: goFunc([S], null, (s: string) => s.replace(spaceRe, '')),
    trunc: goFunc([I, S], null, trunc),
    abbrev: goFunc([I, S], null, (w: number, s: string) => (w < 4 ? s : abbreviateFull(s, 0, w))),
    abbrevboth: goFunc([I, I, S], null, (l: number, r: number, s: string) => (r < 4 || (l > 0 && r < 7) ? s : abbreviateFull(s, l, r))),
    initials: goFunc([S], null, initials),
    randAlphaNum: goFunc([I], null, (n: number) => randFrom(ALPHA + NUM, n)),
    randAlpha: goFunc([I], null, (n: number) => randFrom(ALPHA, n)),
    randNumeric: goFunc([I], null, (n: number) => randFrom(NUM, n)),
    randAscii: goFunc([I], null, (n: number) => randFrom(ASCII, n)),
    wrap: goFunc([I, S], null, (l: number, s: string) => wrapCustom(s, l, '\n', false)),
    wrapWith: goFunc([I, S, S], null, (l: number, sep: string, s: string) => wrapCustom(s, l, sep, true)),
    contains: goFunc([S, S], null, (sub: string, s: string) => s.includes(sub)),
    hasPrefix: goFunc([S, S], null, (p: string, s: string) => s.startsWith(p)),
    hasSuffix: goFunc([S, S], null, (p: string, s: string) => s.endsWith(p)),
    quote: goFunc([], 'any', (...a: unknown[]) =>
      a
        .filter((x) => x !== null && x !== undefined)
        .map((x) => goQuote(strval(x)))
        .join(' '),
    ),
    squote: goFunc([], 'any', (...a: unknown[]) =>
      a
        .filter((x) => x !== null && x !== undefined)
        .map((x) => `'${strval(x)}'`)
        .join(' '),
    ),
    cat: goFunc([], 'any', (...a: unknown[]) =>
      a
        .filter((x) => x !== null && x !== undefined)
        .map((x) => formatValue(x))
        .join(' '),
    ),
    indent: goFunc([I, S], null, (n: number, s: string) => {
      const pad = ' '.repeat(Math.max(n, 0));
      return pad + s.split('\n').join('\n' + pad);
    }),
    nindent: goFunc([I, S], null, (n: number, s: string) => {
      const pad = ' '.repeat(Math.max(n, 0));
      return '\n' + pad + s.split('\n').join('\n' + pad);
    }),
    replace: goFunc([S, S, S], null, (o: string, n: string, s: string) => goReplace(s, o, n)),
    plural: goFunc([S, S, I], null, (one: string, many: string, n: number) => (n === 1 ? one : many)),
    snakecase: goFunc([S], null, (s: string) => toSnake(s, '_')),
    kebabcase: goFunc([S], null, (s: string) => toSnake(s, '-')),
    camelcase: goFunc([S], null, toCamel),
    swapcase: goFunc([S], null, swapcase),
    shuffle: goFunc([S], null, shuffle),
    toString: goFunc(['any'], null, strval),
    toStrings: goFunc(['any'], null, strslice),
    split: goFunc([S, S], null, (sep: string, s: string) => splitMap(goSplit(s, sep))),
    splitList: goFunc([S, S], null, (sep: string, s: string) => strList(goSplit(s, sep))),
    splitn: goFunc([S, I, S], null, (sep: string, n: number, s: string) => splitMap(goSplit(s, sep, n))),
    join: goFunc([S, 'any'], null, (sep: string, v: unknown) => strslice(v).join(sep)),
    sortAlpha: goFunc(['any'], null, (v: unknown) => {
      if (Array.isArray(v)) return strList(strslice(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      return strList([strval(v)]);
    }),
    // regular expressions
    regexMatch: goFunc([S, S], null, (re: string, s: string) => {
      try {
        const r = mustRe(re);
        r.lastIndex = 0;
        return r.test(s);
      } catch {
        return false;
      }
    }),
    mustRegexMatch: goFunc([S, S], null, (re: string, s: string) => {
      const r = mustRe(re);
      r.lastIndex = 0;
      return r.test(s);
    }),
    regexFindAll: goFunc([S, S, I], null, (re: string, s: string, n: number) => strList(findAll(mustRe(re), s, n).map((m) => m[0]))),
    mustRegexFindAll: goFunc([S, S, I], null, (re: string, s: string, n: number) => strList(findAll(mustRe(re), s, n).map((m) => m[0]))),
    regexFind: goFunc([S, S], null, (re: string, s: string) => findAll(mustRe(re), s, 1)[0]?.[0] ?? ''),
    mustRegexFind: goFunc([S, S], null, (re: string, s: string) => findAll(mustRe(re), s, 1)[0]?.[0] ?? ''),
    regexReplaceAll: goFunc([S, S, S], null, (re: string, s: string, repl: string) => replaceAll(mustRe(re), s, (m) => expand(repl, m))),
    mustRegexReplaceAll: goFunc([S, S, S], null, (re: string, s: string, repl: string) => replaceAll(mustRe(re), s, (m) => expand(repl, m))),
    regexReplaceAllLiteral: goFunc([S, S, S], null, (re: string, s: string, repl: string) => replaceAll(mustRe(re), s, () => repl)),
    mustRegexReplaceAllLiteral: goFunc([S, S, S], null, (re: string, s: string, repl: string) => replaceAll(mustRe(re), s, () => repl)),
    regexSplit: goFunc([S, S, I], null, (re: string, s: string, n: number) => reSplit(mustRe(re), s, n) ?? strList([])),
    mustRegexSplit: goFunc([S, S, I], null, (re: string, s: string, n: number) => reSplit(mustRe(re), s, n) ?? strList([])),
    regexQuoteMeta: goFunc([S], null, quoteMeta),
  };
}
