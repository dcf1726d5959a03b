// Sprig defaults, JSON, reflection, encoding, path, URL, OS and flow-control functions.
import { goFunc, type FuncMap } from '../funcs.js';
import { formatFloat } from '../fmt.js';
import { GoNum, deepEqual, isMap, kindName, mapKeys, setKey, typeName, type GoMap } from '../values.js';
import { empty } from './collections.js';

// ---- JSON (encoding/json semantics: sorted keys, HTML-safe escaping by default)

function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && (!escapeHTML || (c !== 0x3c && c !== 0x3e && c !== 0x26)) && c !== 0x2028 && c !== 0x2029) {
      out += s[i];
      continue;
    }
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      default:
        out += '\\u' + c.toString(16).padStart(4, '0');
    }
  }
  return out + '"';
}

function jsonFloat(f: number, bits: 32 | 64): string {
  if (!Number.isFinite(f)) throw new Error(`json: unsupported value: ${formatFloat(f, 'g', -1)}`);
  if (Object.is(f, -0)) return '-0';
  const a = Math.abs(f);
  if (a !== 0 && (a < 1e-6 || a >= 1e21)) {
    let s = formatFloat(f, 'e', -1);
    s = s.replace(/e([+-])0(\d)$/, 'e$1$2');
    return s;
  }
  void bits;
  return formatFloat(f, 'f', -1);
}

export function toJSON(v: unknown, escapeHTML = true, indent = '', prefix = ''): string {
  const nl = indent ? '\n' : '';
  const enc = (x: unknown, depth: string): string => {
    if (x === null || x === undefined) return 'null';
    switch (typeof x) {
      case 'string':
        return jsonString(x, escapeHTML);
      case 'boolean':
        return x ? 'true' : 'false';
      case 'bigint':
        return x.toString();
      case 'number':
        return jsonFloat(x, 64);
      case 'function':
        throw new Error(`json: unsupported type: ${typeName(x)}`);
    }
    if (x instanceof GoNum) return x.isFloat ? jsonFloat(x.v as number, 32) : String(x.v);
    const inner = depth + indent;
    if (Array.isArray(x)) {
      if (x.length === 0) return '[]';
      return '[' + nl + x.map((e) => (indent ? prefix + inner : '') + enc(e, inner)).join(',' + nl) + nl + (indent ? prefix + depth : '') + ']';
    }
    const tj = (x as { toJSON?: () => unknown }).toJSON;
    if (typeof tj === 'function') return enc(tj.call(x), depth);
    const keys = isMap(x) ? mapKeys(x) : Object.keys(x as object).filter((k) => /^[A-Z]/.test(k) || isMap(x));
    if (keys.length === 0) return '{}';
    const sep = indent ? ': ' : ':';
    return (
      '{' +
      nl +
      keys.map((k) => (indent ? prefix + inner : '') + jsonString(k, escapeHTML) + sep + enc((x as GoMap)[k], inner)).join(',' + nl) +
      nl +
      (indent ? prefix + depth : '') +
      '}'
    );
  };
  return enc(v, '');
}

/** JSON text to Go values: objects -> maps, numbers -> float64. */
export function fromJSON(s: string): unknown {
  const v = JSON.parse(s, function (this: unknown, _k, val: unknown) {
    return val;
  });
  return fixProto(v);
}

function fixProto(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = fixProto(v[i]);
    return v;
  }
  if (isMap(v)) {
    for (const k of Object.keys(v)) setKey(v, k, fixProto(v[k]));
  }
  return v;
}

function goJsonError(e: unknown, s: string): Error {
  const msg = (e as Error).message;
  if (s.trim() === '') return new Error('unexpected end of JSON input');
  return new Error(msg.replace(/^Unexpected/, 'invalid character').replace(/ in JSON at position \d+.*$/, ''));
}

// ---- base64 / base32

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
function b64dec(s: string): string {
  if (!B64.test(s) || s.length % 4 !== 0) {
    const bad = s.search(/[^A-Za-z0-9+/=]/);
    const at = bad >= 0 ? bad : Math.max(0, s.length - (s.length % 4 || 4));
    return `illegal base64 data at input byte ${at}`;
  }
  return Buffer.from(s, 'base64').toString('utf8');
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function b32enc(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  let out = '';
  let bits = 0;
  let val = 0;
  for (const b of bytes) {
    val = (val << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(val >>> (bits - 5)) & 31];
      bits -= 5;
    }
    val &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(val << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}
function b32dec(s: string): string {
  if (s.length % 8 !== 0 || !/^[A-Z2-7]*=*$/.test(s)) {
    const bad = s.search(/[^A-Z2-7=]/);
    return `illegal base32 data at input byte ${bad >= 0 ? bad : s.length - (s.length % 8)}`;
  }
  const body = s.replace(/=+$/, '');
  const out: number[] = [];
  let bits = 0;
  let val = 0;
  for (const c of body) {
    val = (val << 5) | B32.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((val >>> (bits - 8)) & 255);
      bits -= 8;
    }
    val &= (1 << bits) - 1;
  }
  return Buffer.from(out).toString('utf8');
}

// ---- Go's path package

export function pathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p[0] === '/';
  const parts = p.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const s = (rooted ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}
export function pathBase(p: string): string {
  if (p === '') return '.';
  p = p.replace(/\/+$/, '');
  if (p === '') return '/';
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}
export function pathDir(p: string): string {
  const i = p.lastIndexOf('/');
  return pathClean(p.slice(0, i + 1));
}
export function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

// ---- URLs (net/url semantics, simplified)

function shouldEscape(c: number, mode: 'path' | 'host' | 'frag' | 'user'): boolean {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) return false;
  const ch = String.fromCharCode(c);
  if ('-_.~'.includes(ch)) return false;
  if (mode === 'host') return !"!$&'()*+,;=:[]<>\"".includes(ch);
  if ('$&+,/:;=?@'.includes(ch)) {
    if (mode === 'path') return ch === '?';
    if (mode === 'user') return '@/?:'.includes(ch);
    return false;
  }
  if (mode === 'frag' && "!()*".includes(ch)) return false;
  if (mode === 'path' && "!'()*".includes(ch)) return false;
  return true;
}
function escape(s: string, mode: 'path' | 'host' | 'frag' | 'user'): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += shouldEscape(b, mode) ? '%' + b.toString(16).toUpperCase().padStart(2, '0') : String.fromCharCode(b);
  return out;
}
function unescapeURL(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new Error(`invalid URL escape ${JSON.stringify(s)}`);
  }
}

export function urlParse(raw: string): GoMap {
  let rest = raw;
  let fragment = '';
  const hi = rest.indexOf('#');
  if (hi >= 0) {
    fragment = unescapeURL(rest.slice(hi + 1));
    rest = rest.slice(0, hi);
  }
  let scheme = '';
  const sm = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (sm) {
    scheme = sm[1]!.toLowerCase();
    rest = rest.slice(sm[0].length);
  } else if (/^[^/?]*:/.test(rest) && !rest.startsWith('/')) {
    if (/^:/.test(rest)) throw new Error(`unable to parse url: parse ${JSON.stringify(raw)}: missing protocol scheme`);
  }
  let query = '';
  const qi = rest.indexOf('?');
  if (qi >= 0) {
    query = rest.slice(qi + 1);
    rest = rest.slice(0, qi);
  }
  let opaque = '';
  let host = '';
  let user = '';
  let path = '';
  if (scheme !== '' && !rest.startsWith('/')) {
    opaque = rest;
  } else {
    if (rest.startsWith('//') && (scheme !== '' || !rest.startsWith('///'))) {
      rest = rest.slice(2);
      const si = rest.indexOf('/');
      let auth = si >= 0 ? rest.slice(0, si) : rest;
      rest = si >= 0 ? rest.slice(si) : '';
      const at = auth.lastIndexOf('@');
      if (at >= 0) {
        user = auth.slice(0, at);
        auth = auth.slice(at + 1);
      }
      host = unescapeURL(auth);
    }
    path = unescapeURL(rest);
  }
  let hostname = host;
  if (hostname.startsWith('[')) {
    const e = hostname.indexOf(']');
    hostname = e >= 0 ? hostname.slice(1, e) : hostname;
  } else {
    const ci = hostname.lastIndexOf(':');
    if (ci >= 0) hostname = hostname.slice(0, ci);
  }
  return { scheme, host, hostname, path, query, opaque, fragment, userinfo: user };
}

export function urlJoin(d: GoMap | null): string {
  const g = (k: string): string => {
    const v = d?.[k];
    return typeof v === 'string' ? v : '';
  };
  const scheme = g('scheme');
  const opaque = g('opaque');
  const host = g('host');
  const userinfo = g('userinfo');
  const path = g('path');
  const query = g('query');
  const fragment = g('fragment');
  let out = '';
  if (scheme) out += scheme + ':';
  if (opaque) out += opaque;
  else {
    if (scheme || host || userinfo) {
      if (host || path || userinfo) out += '//';
      if (userinfo) out += userinfo + '@';
      if (host) out += escape(host, 'host');
    }
    const ep = escape(path, 'path');
    if (ep !== '' && ep[0] !== '/' && host !== '') out += '/';
    if (out === '' && /^[^/]*:/.test(ep)) out += './';
    out += ep;
  }
  if (query) out += '?' + query;
  if (fragment) out += '#' + escape(fragment, 'frag');
  return out;
}

// ---- os.Expand

function expandEnv(s: string, lookup: (k: string) => string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c !== '$' || i + 1 >= s.length) {
      out += c;
      i++;
      continue;
    }
    const rest = s.slice(i + 1);
    if (rest[0] === '{') {
      const e = rest.indexOf('}');
      if (e < 0 || e === 1) {
        i += e < 0 ? s.length : 3;
        continue;
      }
      out += lookup(rest.slice(1, e));
      i += e + 2;
      continue;
    }
    if ('*#$@!?-0123456789'.includes(rest[0]!)) {
      out += lookup(rest[0]!);
      i += 2;
      continue;
    }
    const m = /^[A-Za-z0-9_]+/.exec(rest);
    if (!m) {
      i += 1;
      continue;
    }
    out += lookup(m[0]);
    i += 1 + m[0].length;
  }
  return out;
}

export function miscFuncs(env: Record<string, string> | undefined): FuncMap {
  const A = 'any' as const;
  const S = 'string' as const;
  const lookup = (k: string): string => (env && Object.prototype.hasOwnProperty.call(env, k) ? env[k]! : '');
  const mustToJson = (v: unknown): string => toJSON(v);
  return {
    // defaults
    default: goFunc([A], A, (d: unknown, ...given: unknown[]) => (given.length === 0 || empty(given[0]) ? d : given[0])),
    empty: goFunc([A], null, empty),
    coalesce: goFunc([], A, (...v: unknown[]) => v.find((x) => !empty(x)) ?? null),
    all: goFunc([], A, (...v: unknown[]) => v.every((x) => !empty(x))),
    any: goFunc([], A, (...v: unknown[]) => v.some((x) => !empty(x))),
    ternary: goFunc([A, A, 'bool'], null, (t: unknown, f: unknown, c: boolean) => (c ? t : f)),
    fromJson: goFunc([S], null, (s: string) => {
      try {
        return fromJSON(s);
      } catch {
        return null;
      }
    }),
    mustFromJson: goFunc([S], null, (s: string) => {
      try {
        return fromJSON(s);
      } catch (e) {
        throw goJsonError(e, s);
      }
    }),
    toJson: goFunc([A], null, (v: unknown) => {
      try {
        return toJSON(v);
      } catch {
        return '';
      }
    }),
    mustToJson: goFunc([A], null, mustToJson),
    toPrettyJson: goFunc([A], null, (v: unknown) => {
      try {
        return toJSON(v, true, '  ');
      } catch {
        return '';
      }
    }),
    mustToPrettyJson: goFunc([A], null, (v: unknown) => toJSON(v, true, '  ')),
    toRawJson: goFunc([A], null, (v: unknown) => {
      try {
        return toJSON(v, false);
      } catch {
        return '';
      }
    }),
    mustToRawJson: goFunc([A], null, (v: unknown) => toJSON(v, false)),
    // reflection
    typeOf: goFunc([A], null, typeName),
    typeIs: goFunc([S, A], null, (t: string, v: unknown) => t === typeName(v)),
    typeIsLike: goFunc([S, A], null, (t: string, v: unknown) => {
      const n = typeName(v);
      return t === n || '*' + t === n;
    }),
    kindOf: goFunc([A], null, kindName),
    kindIs: goFunc([S, A], null, (t: string, v: unknown) => t === kindName(v)),
    deepEqual: goFunc([A, A], null, deepEqual),
    // encoding
    b64enc: goFunc([S], null, (s: string) => Buffer.from(s, 'utf8').toString('base64')),
    b64dec: goFunc([S], null, b64dec),
    b32enc: goFunc([S], null, b32enc),
    b32dec: goFunc([S], null, b32dec),
    // paths
    base: goFunc([S], null, pathBase),
    dir: goFunc([S], null, pathDir),
    clean: goFunc([S], null, pathClean),
    ext: goFunc([S], null, pathExt),
    isAbs: goFunc([S], null, (p: string) => p.startsWith('/')),
    osBase: goFunc([S], null, pathBase),
    osDir: goFunc([S], null, pathDir),
    osClean: goFunc([S], null, pathClean),
    osExt: goFunc([S], null, pathExt),
    osIsAbs: goFunc([S], null, (p: string) => p.startsWith('/')),
    // urls
    urlParse: goFunc([S], null, (s: string) => urlParse(s)),
    urlJoin: goFunc(['map'], null, urlJoin),
    // os (disabled unless an environment is supplied)
    env: goFunc([S], null, lookup),
    expandenv: goFunc([S], null, (s: string) => expandEnv(s, lookup)),
    // flow control
    fail: goFunc([S], null, (msg: string) => {
      throw new Error(msg);
    }),
    hello: goFunc([], null, () => 'Hello!'),
  };
}
