// Tokenizer of the expr language (expr-lang/expr).
import { ExprError } from './errors.js';

export type TokKind = 'int' | 'float' | 'str' | 'ident' | 'op' | 'bracket' | 'ptr' | 'eof';

export interface Token {
  k: TokKind;
  /** identifier name, operator/bracket text, decoded string, or number text */
  v: string;
  pos: number;
  /** numeric value of int/float tokens */
  num?: bigint | number;
}

const OPS3 = ['...'];
const OPS2 = ['==', '!=', '<=', '>=', '&&', '||', '??', '?.', '**', '..'];
const OPS1 = '+-*/%^<>!=?:.,|;';
const BRACKETS = '()[]{}';

export const WORD_OPS = new Set(['and', 'or', 'not', 'in', 'matches', 'contains', 'startsWith', 'endsWith', 'let']);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$' || c > '\x7f');
const isIdentPart = (c: string | undefined): boolean => isIdentStart(c) || isDigit(c);

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  const err = (msg: string, at = i): never => {
    throw new ExprError(msg, src, at);
  };
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) err('unclosed comment');
      i = end + 2;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1]) && out.at(-1)?.k !== 'ident' && !isCloser(out.at(-1)))) {
      out.push(number(src, i, err));
      i = start + out.at(-1)!.v.length;
      continue;
    }
    if (c === '"' || c === "'") {
      const [s, end] = quoted(src, i, err);
      out.push({ k: 'str', v: s, pos: start });
      i = end;
      continue;
    }
    if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) err('literal not terminated');
      out.push({ k: 'str', v: src.slice(i + 1, end).replace(/\r/g, ''), pos: start });
      i = end + 1;
      continue;
    }
    if (c === '#') {
      i++;
      while (isIdentPart(src[i])) i++;
      out.push({ k: 'ptr', v: src.slice(start + 1, i), pos: start });
      continue;
    }
    if (isIdentStart(c)) {
      while (isIdentPart(src[i])) i++;
      const word = src.slice(start, i);
      out.push({ k: WORD_OPS.has(word) ? 'op' : 'ident', v: word, pos: start });
      continue;
    }
    if (BRACKETS.includes(c)) {
      out.push({ k: 'bracket', v: c, pos: start });
      i++;
      continue;
    }
    const op = OPS3.find((o) => src.startsWith(o, i)) ?? OPS2.find((o) => src.startsWith(o, i)) ?? (OPS1.includes(c) ? c : undefined);
    if (op === undefined) err(`unrecognized character: ${JSON.stringify(c)}`);
    // `a ?.5 : b` is a ternary with a float, not optional chaining
    if (op === '?.' && isDigit(src[i + 2])) {
      out.push({ k: 'op', v: '?', pos: start });
      i++;
      continue;
    }
    out.push({ k: 'op', v: op!, pos: start });
    i += op!.length;
  }
  out.push({ k: 'eof', v: '', pos: n });
  return out;
}

function isCloser(t: Token | undefined): boolean {
  return t !== undefined && ((t.k === 'bracket' && (t.v === ')' || t.v === ']' || t.v === '}')) || t.k === 'str' || t.k === 'int' || t.k === 'float' || t.k === 'ptr');
}

function number(src: string, i: number, err: (m: string, at?: number) => never): Token {
  const start = i;
  const rest = src.slice(i);
  let m = /^0[xX][0-9a-fA-F_]+|^0[oO][0-7_]+|^0[bB][01_]+/.exec(rest);
  if (m) {
    const text = m[0];
    const clean = text.replace(/_/g, '');
    if (/[0-9A-Za-z]/.test(src[i + text.length] ?? '')) err(`bad number syntax: ${JSON.stringify(text + src[i + text.length])}`, start);
    return { k: 'int', v: text, pos: start, num: BigInt.asIntN(64, BigInt(clean.slice(0, 2).toLowerCase() + clean.slice(2))) };
  }
  // digits, optional fraction (not followed by another '.' — that is the range operator), optional exponent
  m = /^(?:[0-9][0-9_]*)?(?:\.(?!\.)[0-9_]*)?(?:[eE][+-]?[0-9_]+)?/.exec(rest)!;
  let text = m[0];
  if (text.endsWith('.') && isIdentStart(src[i + text.length])) text = text.slice(0, -1); // 1.foo is a member access
  const after = src[i + text.length];
  if (after !== undefined && /[A-Za-z0-9_]/.test(after)) err(`bad number syntax: ${JSON.stringify(text + after)}`, start);
  const clean = text.replace(/_/g, '');
  if (/^[0-9]+$/.test(clean)) {
    const b = BigInt(clean);
    if (b > 9223372036854775807n) err(`integer literal out of range: ${text}`, start);
    return { k: 'int', v: text, pos: start, num: b };
  }
  const f = Number(clean);
  if (Number.isNaN(f)) err(`invalid float literal: ${text}`, start);
  return { k: 'float', v: text, pos: start, num: f };
}

/** Go-style quoted string with escapes (both quote kinds accept the same escapes). */
export function quoted(src: string, i: number, err: (m: string, at?: number) => never): [string, number] {
  const q = src[i]!;
  let out = '';
  let j = i + 1;
  for (;;) {
    const c = src[j];
    if (c === undefined || c === '\n') err('literal not terminated', i);
    if (c === q) return [out, j + 1];
    if (c !== '\\') {
      out += c;
      j++;
      continue;
    }
    const e = src[j + 1];
    const at = j;
    j += 2;
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case "'": out += "'"; break;
      case '`': out += '`'; break;
      case 'x':
      case 'u':
      case 'U': {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = src.slice(j, j + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) err(`invalid escape sequence \\${e}${hex}`, at);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) err(`escape sequence is invalid Unicode code point \\${e}${hex}`, at);
        out += e === 'x' ? String.fromCharCode(cp) : String.fromCodePoint(cp);
        j += len;
        break;
      }
      default:
        if (e !== undefined && e >= '0' && e <= '7') {
          const oct = src.slice(j - 1, j + 2);
          if (!/^[0-7]{3}$/.test(oct)) err(`invalid escape sequence \\${oct}`, at);
          out += String.fromCharCode(parseInt(oct, 8));
          j += 1 + 1;
          break;
        }
        err(`invalid escape sequence \\${e ?? ''}`, at);
    }
  }
}
