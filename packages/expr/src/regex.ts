// Go RE2 syntax → JavaScript RegExp. Constructs RE2 rejects (backreferences, lookaround, atomic groups,
// possessive quantifiers) are rejected with the reason; RE2-only syntax is rewritten:
// (?P<name>…), \A, \z, \Q…\E, [[:alpha:]], \pL, (?i)/(?s)/(?m) at the start, \x{10FFFF}, octal \0nn,
// ASCII-only \s, repetition limit 1000. Matching is unanchored (Go's MatchString) and by code point.
import { fault } from './errors.js';

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z',
  word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};
const SYNTAX = new Set(['\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}', '/', '-']);

const cache = new Map<string, RegExp>();

export function compileRegex(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  const { source, flags } = translateRE2(pattern);
  try {
    re = new RegExp(source, flags);
  } catch (e) {
    fault(`error parsing regexp ${JSON.stringify(pattern)}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  if (cache.size > 500) cache.clear();
  cache.set(pattern, re);
  return re;
}

function lit(c: string): string {
  if (SYNTAX.has(c) && c !== '-') return '\\' + c;
  return c;
}

export function translateRE2(p: string): { source: string; flags: string } {
  const bad = (why: string): never => fault(`error parsing regexp ${JSON.stringify(p)}: ${why}`);
  let flags = 'u';
  let i = 0;
  // leading flag groups: (?i) (?s) (?m) (?is) …
  for (let m = /^\(\?([imsU]+)\)/.exec(p); m; m = /^\(\?([imsU]+)\)/.exec(p.slice(i))) {
    for (const f of m[1]!) {
      if (f === 'U') bad('the ungreedy flag (?U) is not supported');
      if (!flags.includes(f)) flags += f;
    }
    i += m[0].length;
  }
  let out = '';
  let depth = 0;
  const n = p.length;
  const escape = (inClass: boolean): string => {
    // at p[i] === '\\'
    const c = p[i + 1];
    if (c === undefined) bad('trailing backslash at end of expression');
    i += 2;
    switch (c) {
      case 'A':
        if (inClass) bad('invalid escape sequence: \\A in a character class');
        return '(?<![\\s\\S])';
      case 'z':
        if (inClass) bad('invalid escape sequence: \\z in a character class');
        return '(?![\\s\\S])';
      case 'Z':
        return bad('invalid escape sequence: \\Z');
      case 'C':
        return bad('invalid escape sequence: \\C');
      case 's':
        return inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
      case 'S':
        return inClass ? '\\S' : '[^\\t\\n\\f\\r ]';
      case 'd': case 'D': case 'w': case 'W': case 'n': case 't': case 'r': case 'f': case 'v':
        return '\\' + c;
      case 'b': case 'B':
        if (inClass) bad(`invalid escape sequence: \\${c}`);
        return '\\' + c;
      case 'a':
        return '\\x07';
      case 'p': case 'P': {
        if (p[i] === '{') {
          const end = p.indexOf('}', i);
          if (end < 0) bad('invalid character class range: missing }');
          let name = p.slice(i + 1, end);
          i = end + 1;
          let neg = c === 'P';
          if (name.startsWith('^')) {
            neg = !neg;
            name = name.slice(1);
          }
          if (name === 'Any') return neg ? '[^\\s\\S]' : '[\\s\\S]';
          const prop = /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`;
          return `\\${neg ? 'P' : 'p'}{${prop}}`;
        }
        const one = p[i];
        if (one === undefined) bad(`invalid escape sequence: \\${c}`);
        i++;
        return `\\${c}{${one}}`;
      }
      case 'x': {
        if (p[i] === '{') {
          const end = p.indexOf('}', i);
          const hex = p.slice(i + 1, end);
          if (end < 0 || !/^[0-9a-fA-F]{1,6}$/.test(hex) || parseInt(hex, 16) > 0x10ffff) bad(`invalid escape sequence: \\x${p.slice(i, end + 1)}`);
          i = end + 1;
          return `\\u{${hex}}`;
        }
        const hex = p.slice(i, i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) bad(`invalid escape sequence: \\x${hex}`);
        i += 2;
        return '\\x' + hex;
      }
      case 'Q': {
        let end = p.indexOf('\\E', i);
        if (end < 0) end = n;
        const text = p.slice(i, end);
        i = Math.min(n, end + 2);
        return Array.from(text).map((ch) => (inClass ? (ch === ']' || ch === '\\' || ch === '-' || ch === '^' ? '\\' + ch : ch) : lit(ch))).join('');
      }
      default:
        if (c >= '1' && c <= '9') bad(`invalid escape sequence: \\${c} (backreferences are not supported by RE2)`);
        if (c === '0') {
          const m = /^[0-7]{0,2}/.exec(p.slice(i))![0];
          i += m.length;
          return '\\x' + parseInt(m || '0', 8).toString(16).padStart(2, '0');
        }
        if (/[A-Za-z0-9]/.test(c)) bad(`invalid escape sequence: \\${c}`);
        // any escaped punctuation is a literal in RE2
        return inClass ? (c === ']' || c === '\\' || c === '-' || c === '^' ? '\\' + c : c === '[' ? '\\[' : c) : lit(c);
    }
  };
  let lastAtom = false;
  while (i < n) {
    const c = p[i]!;
    if (c === '\\') {
      out += escape(false);
      lastAtom = true;
      continue;
    }
    if (c === '[') {
      let cls = '[';
      i++;
      if (p[i] === '^') {
        cls += '^';
        i++;
      }
      let first = true;
      for (;;) {
        if (i >= n) bad('missing closing ]');
        const d = p[i]!;
        if (d === ']' && !first) {
          i++;
          break;
        }
        first = false;
        if (d === '[' && p[i + 1] === ':') {
          const end = p.indexOf(':]', i + 2);
          if (end < 0) bad('missing closing ]');
          let name = p.slice(i + 2, end);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const set = POSIX[name];
          if (!set) bad(`invalid character class range: [:${name}:]`);
          if (neg) bad(`negated POSIX class [:^${name}:] is not supported`);
          cls += set;
          i = end + 2;
          continue;
        }
        if (d === '\\') {
          cls += escape(true);
          continue;
        }
        cls += d === '[' || d === '/' ? '\\' + d : d === ']' ? '\\]' : d;
        i++;
      }
      out += cls + ']';
      lastAtom = true;
      continue;
    }
    if (c === '(') {
      if (p[i + 1] === '?') {
        const rest = p.slice(i + 2);
        if (rest.startsWith('P<')) {
          out += '(?<';
          i += 4;
        } else if (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!')) {
          out += '(?<';
          i += 3;
        } else if (rest.startsWith(':')) {
          out += '(?:';
          i += 3;
        } else if (/^[=!]|^<[=!]/.test(rest)) {
          bad('lookahead and lookbehind assertions are not supported by RE2');
        } else if (rest.startsWith('>')) {
          bad('atomic groups (?>…) are not supported by RE2');
        } else if (/^[imsU-]+[:)]/.test(rest)) {
          bad('flags (?i) (?s) (?m) are supported only at the start of the expression');
        } else bad(`invalid or unsupported Perl syntax: ${JSON.stringify(p.slice(i, i + 3))}`);
      } else {
        out += '(';
        i++;
      }
      depth++;
      lastAtom = false;
      continue;
    }
    if (c === ')') {
      if (depth === 0) bad('unexpected )');
      depth--;
      out += ')';
      i++;
      lastAtom = true;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      if (!lastAtom) bad(`missing argument to repetition operator: ${c}`);
      out += c;
      i++;
      if (p[i] === '?') {
        out += '?';
        i++;
      } else if (p[i] === '+') bad(`invalid nested repetition operator: ${c}+`);
      else if (p[i] === '*' || (p[i] === '+' && c !== '?')) bad(`invalid nested repetition operator: ${c}${p[i]}`);
      lastAtom = false;
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
      if (!m) {
        out += '\\{';
        i++;
        lastAtom = true;
        continue;
      }
      if (!lastAtom) bad(`missing argument to repetition operator: ${m[0]}`);
      const lo = Number(m[1]);
      const hi = m[3] ? Number(m[3]) : lo;
      if (lo > 1000 || hi > 1000 || (m[3] && hi < lo)) bad(`invalid repeat count: ${m[0]}`);
      out += m[0];
      i += m[0].length;
      if (p[i] === '?') {
        out += '?';
        i++;
      }
      lastAtom = false;
      continue;
    }
    if (c === '}') {
      out += '\\}';
      i++;
      lastAtom = true;
      continue;
    }
    if (c === '|') {
      out += '|';
      i++;
      lastAtom = false;
      continue;
    }
    if (c === '/') {
      out += '\\/';
      i++;
      lastAtom = true;
      continue;
    }
    out += c;
    i++;
    lastAtom = c !== '^' && c !== '$';
  }
  if (depth > 0) bad('missing closing )');
  return { source: out, flags };
}
