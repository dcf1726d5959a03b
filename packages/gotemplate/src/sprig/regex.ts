// Go RE2 regular expressions mapped onto JS RegExp, with Go's match iteration semantics.
import { strList } from '../values.js';

const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const jsSyntaxChars = '^$\\.*+?()[]{}|/';

function escapeChar(c: string): string {
  return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
}

const cache = new Map<string, RegExp>();

export class RegexError extends Error {}

/** Compiles a Go regexp into a global JS RegExp. Throws an error with Go's message prefix on failure. */
export function compileRegex(src: string): RegExp {
  let re = cache.get(src);
  if (re) return re;
  let flags = 'gu';
  let s = src;
  // leading flag group (?ims)
  const fm = /^\(\?([imsU]+)\)/.exec(s);
  if (fm) {
    if (fm[1]!.includes('U')) throw new RegexError(`error parsing regexp: ungreedy flag not supported: \`${src}\``);
    for (const f of fm[1]!) if (!flags.includes(f)) flags += f;
    s = s.slice(fm[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const d = s[i + 1];
      if (d === undefined) throw new RegexError(`error parsing regexp: trailing backslash at end of expression: \`\``);
      i++;
      if (d === 'Q') {
        const e = s.indexOf('\\E', i + 1);
        const lit = e < 0 ? s.slice(i + 1) : s.slice(i + 1, e);
        out += [...lit].map((ch) => (/[A-Za-z0-9_]/.test(ch) || ch.charCodeAt(0) > 127 ? ch : escapeChar(ch))).join('');
        i = e < 0 ? s.length : e + 1;
        continue;
      }
      if (d === 'z' && !inClass) {
        out += '(?![\\s\\S])';
        continue;
      }
      if (d === 'A' && !inClass) {
        out += '(?<![\\s\\S])';
        continue;
      }
      if (d === 'p' || d === 'P') {
        if (s[i + 1] === '{') {
          const e = s.indexOf('}', i);
          const name = s.slice(i + 2, e);
          const prop = /^[A-Z][a-z]?$|^L&$/.test(name) ? name : `Script=${name}`;
          out += `\\${d}{${prop}}`;
          i = e;
        } else {
          out += `\\${d}{${s[i + 1]}}`;
          i++;
        }
        continue;
      }
      if (/[A-Za-z0-9]/.test(d)) {
        out += '\\' + d;
        continue;
      }
      if (jsSyntaxChars.includes(d) || (inClass && d === '-')) out += '\\' + d;
      else out += escapeChar(d);
      continue;
    }
    if (inClass) {
      if (c === '[' && s[i + 1] === ':') {
        const e = s.indexOf(':]', i + 2);
        if (e > 0) {
          let name = s.slice(i + 2, e);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const cls = posixClasses[name];
          if (cls === undefined) throw new RegexError(`error parsing regexp: invalid character class range: \`[:${name}:]\``);
          if (neg) throw new RegexError(`error parsing regexp: negated POSIX classes are not supported: \`${src}\``);
          out += cls;
          i = e + 1;
          continue;
        }
      }
      if (c === '[') {
        out += '\\[';
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (s[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (s[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && s.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    if (c === '/' ) {
      out += '\\/';
      continue;
    }
    out += c;
  }
  try {
    re = new RegExp(out, flags);
  } catch {
    try {
      re = new RegExp(out, flags.replace('u', ''));
    } catch (e) {
      throw new RegexError(`error parsing regexp: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
  }
  if (cache.size > 1000) cache.clear();
  cache.set(src, re);
  return re;
}

/** Go's FindAll iteration: successive non-overlapping matches; empty matches abutting a previous match are ignored. */
export function findAll(re: RegExp, s: string, n: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  if (n === 0) return out;
  let pos = 0;
  let prevEnd = -1;
  while (pos <= s.length && (n < 0 || out.length < n)) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    if (start === end) {
      const cp = s.codePointAt(start);
      const w = cp !== undefined && cp > 0xffff ? 2 : 1;
      if (start === prevEnd) {
        pos = start + w;
        continue;
      }
      out.push(m);
      prevEnd = end;
      pos = end + w;
    } else {
      out.push(m);
      prevEnd = end;
      pos = end;
    }
  }
  return out;
}

/** Go's Regexp.Expand template syntax: $1, ${1}, $name, ${name}, $$. */
export function expand(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    if (next === '{') {
      const e = template.indexOf('}', i + 2);
      const nm = e < 0 ? '' : template.slice(i + 2, e);
      if (e < 0 || !/^[A-Za-z0-9_]+$/.test(nm)) {
        out += '$';
        continue;
      }
      name = nm;
      i = e;
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!mm) {
        out += '$';
        continue;
      }
      name = mm[0];
      i += name.length;
    }
    if (/^[0-9]+$/.test(name)) {
      const k = Number(name);
      if (k < m.length) out += m[k] ?? '';
    } else out += m.groups?.[name] ?? '';
  }
  return out;
}

export function replaceAll(re: RegExp, s: string, repl: (m: RegExpExecArray) => string): string {
  const ms = findAll(re, s, -1);
  if (ms.length === 0) return s;
  let out = '';
  let last = 0;
  for (const m of ms) {
    out += s.slice(last, m.index) + repl(m);
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
}

export function split(re: RegExp, s: string, n: number): string[] | null {
  if (n === 0) return null;
  if (re.source.length > 0 && s.length === 0) return strList(['']);
  const matches = findAll(re, s, n);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    if (n > 0 && out.length === n - 1) break;
    end = m.index;
    const mEnd = m.index + m[0].length;
    if (mEnd !== 0) out.push(s.slice(beg, end));
    beg = mEnd;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return strList(out);
}

/** regexp.QuoteMeta */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
