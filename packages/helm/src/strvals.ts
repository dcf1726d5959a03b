// Helm's --set syntax, written from the documented format:
//
//   a=b,c=d              two keys                 a.b=c            nested maps
//   a={x,y,z}            a list                   a[0]=x,a[1].b=y  list elements (gaps become null)
//   a=x\,y               escaped comma            a\.b=c           a key containing a dot
//   a=null               null (deletes a default) a=true / a=123   typed (bool, int64)
//
// Kinds: 'auto' types values (true/false/null, integers without leading zeros become int64, all
// else stays a string), 'string' keeps every value a string, 'json' reads each value as JSON,
// 'file' reads each value as a path whose file content becomes the string value, 'literal' takes
// the whole rest of the expression as one string.
import { readFileSync } from 'node:fs';
import { GoNum, isMap } from '@flotilla/gotemplate';
import { setProp } from './yaml.js';
import { fromJsonModel } from './values.js';

export type SetKind = 'auto' | 'string' | 'json' | 'file' | 'literal';

const MAX_INDEX = 65536;

export class SetParseError extends Error {}

export interface SetParseOptions {
  /** Reads a file for kind 'file' (default: fs.readFileSync relative to process.cwd()). */
  readFile?: (path: string) => string;
}

/** Typed value of an `auto` --set value. */
export function typedValue(s: string): unknown {
  const l = s.toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  if (l === 'null') return null;
  if (s === '0') return new GoNum('int64', 0n);
  if (s.length > 0 && s[0] !== '0' && /^[-+]?[0-9]+$/.test(s)) {
    const b = BigInt(s);
    if (b >= -(2n ** 63n) && b < 2n ** 63n) return new GoNum('int64', b);
  }
  return s;
}

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    readonly kind: SetKind,
    readonly opts: SetParseOptions,
  ) {}

  eof(): boolean {
    return this.i >= this.s.length;
  }

  /** Reads until one of `stops` (unescaped); returns [text, stop char or ''] and consumes the stop. */
  until(stops: string, escapes = true): [string, string] {
    let out = '';
    while (this.i < this.s.length) {
      const ch = this.s[this.i++]!;
      if (escapes && ch === '\\' && this.i < this.s.length) {
        out += this.s[this.i++];
        continue;
      }
      if (stops.includes(ch)) return [out, ch];
      out += ch;
    }
    return [out, ''];
  }

  parse(target: Record<string, unknown>): void {
    while (!this.eof()) {
      const more = this.key(target);
      if (!more) break;
    }
  }

  /** Parses one key path and its value into `data`. Returns true when another assignment follows. */
  key(data: Record<string, unknown>): boolean {
    const literalKey = this.kind === 'literal';
    const [k, stop] = literalKey ? this.until('=[.', false) : this.until('=[.,', true);
    switch (stop) {
      case '':
        if (k === '') return false;
        throw new SetParseError(`key ${JSON.stringify(k)} has no value`);
      case ',':
        throw new SetParseError(`key ${JSON.stringify(k)} has no value (cannot end with ,)`);
      case '=':
        return this.assign(data, k);
      case '.': {
        if (k === '') throw new SetParseError(`key map ${JSON.stringify(k)} has no value`);
        let inner = data[k];
        if (!isMap(inner)) {
          inner = {};
          setProp(data, k, inner);
        }
        return this.key(inner as Record<string, unknown>);
      }
      case '[': {
        let list = data[k];
        if (!Array.isArray(list)) list = [];
        const [res, more] = this.listItem(list as unknown[]);
        setProp(data, k, res);
        return more;
      }
    }
    return false;
  }

  index(): number {
    const [txt, stop] = this.until(']', false);
    if (stop !== ']') throw new SetParseError(`error parsing index: missing ']'`);
    if (!/^-?[0-9]+$/.test(txt)) throw new SetParseError(`failed to parse index: strconv.Atoi: parsing ${JSON.stringify(txt)}: invalid syntax`);
    const n = Number(txt);
    if (n < 0) throw new SetParseError(`negative ${n} index not allowed`);
    if (n > MAX_INDEX) throw new SetParseError(`index of ${n} is greater than maximum supported index value of ${MAX_INDEX}`);
    return n;
  }

  /** After `name[`: parses the index and what follows, returns the updated list. */
  listItem(list: unknown[]): [unknown[], boolean] {
    const idx = this.index();
    const out = list.slice();
    while (out.length <= idx) out.push(null);
    const next = this.s[this.i++];
    switch (next) {
      case '=': {
        const holder: Record<string, unknown> = {};
        const more = this.assign(holder, '_');
        out[idx] = holder['_'];
        return [out, more];
      }
      case '.': {
        let inner = out[idx];
        if (!isMap(inner)) inner = {};
        out[idx] = inner;
        return [out, this.key(inner as Record<string, unknown>)];
      }
      case '[': {
        let inner = out[idx];
        if (!Array.isArray(inner)) inner = [];
        const [res, more] = this.listItem(inner as unknown[]);
        out[idx] = res;
        return [out, more];
      }
      default:
        throw new SetParseError(`parse error: unexpected ${next === undefined ? 'end of input' : JSON.stringify(next)} after index ${idx}`);
    }
  }

  /** After `key=`: reads the value. */
  assign(data: Record<string, unknown>, k: string): boolean {
    if (k === '') throw new SetParseError(`key ${JSON.stringify(k)} has no value`);
    switch (this.kind) {
      case 'literal': {
        setProp(data, k, this.s.slice(this.i));
        this.i = this.s.length;
        return false;
      }
      case 'json': {
        const [v, end] = readJsonValue(this.s, this.i);
        setProp(data, k, fromJsonModel(v));
        this.i = end;
        if (this.eof()) return false;
        if (this.s[this.i] !== ',') throw new SetParseError(`unexpected data after JSON value for key ${JSON.stringify(k)}`);
        this.i++;
        return true;
      }
      case 'file': {
        const [path, stop] = this.until(',');
        const read = this.opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
        let content: string;
        try {
          content = read(path);
        } catch (e) {
          throw new SetParseError(`reading file ${JSON.stringify(path)}: ${(e as Error).message}`);
        }
        setProp(data, k, content);
        return stop === ',';
      }
      default: {
        if (this.s[this.i] === '{') {
          this.i++;
          const items: unknown[] = [];
          if (this.s[this.i] === '}') this.i++;
          else
            for (;;) {
              const [v, stop] = this.until(',}');
              items.push(this.kind === 'string' ? v : typedValue(v));
              if (stop === ',') continue;
              if (stop === '}') break;
              throw new SetParseError(`list must terminate with '}'`);
            }
          setProp(data, k, items);
          if (this.eof()) return false;
          if (this.s[this.i] !== ',') throw new SetParseError(`invalid key or value after list for key ${JSON.stringify(k)}: expected ',' but got ${JSON.stringify(this.s[this.i])}`);
          this.i++;
          return true;
        }
        const [v, stop] = this.until(',');
        setProp(data, k, this.kind === 'string' ? v : typedValue(v));
        return stop === ',';
      }
    }
  }
}

/** Reads one JSON value starting at `start`; returns it and the index after it. */
function readJsonValue(s: string, start: number): [unknown, number] {
  let i = start;
  while (i < s.length && /\s/.test(s[i]!)) i++;
  const first = s[i];
  let end = i;
  if (first === '{' || first === '[') {
    let depth = 0;
    let inStr = false;
    for (; end < s.length; end++) {
      const c = s[end]!;
      if (inStr) {
        if (c === '\\') end++;
        else if (c === '"') inStr = false;
        continue;
      }
      if (c === '"') inStr = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          end++;
          break;
        }
      }
    }
  } else if (first === '"') {
    end++;
    for (; end < s.length; end++) {
      const c = s[end]!;
      if (c === '\\') end++;
      else if (c === '"') {
        end++;
        break;
      }
    }
  } else {
    while (end < s.length && s[end] !== ',') end++;
  }
  const text = s.slice(i, end);
  try {
    return [JSON.parse(text), end];
  } catch (e) {
    throw new SetParseError(`invalid JSON value ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
}

/**
 * Applies one --set style expression to `target` (mutated). Throws SetParseError with Helm's
 * wording (the caller adds "failed parsing --set data: ").
 */
export function parseInto(target: Record<string, unknown>, expr: string, kind: SetKind = 'auto', opts: SetParseOptions = {}): void {
  if (kind === 'json' && /^\s*\{/.test(expr)) {
    // a whole JSON object merged at the top level
    const [v, end] = readJsonValue(expr, 0);
    if (expr.slice(end).trim() !== '') throw new SetParseError('unexpected data after JSON object');
    if (!isMap(v)) throw new SetParseError('JSON value must be an object');
    const m = fromJsonModel(v) as Record<string, unknown>;
    for (const k of Object.keys(m)) setProp(target, k, m[k]);
    return;
  }
  new Parser(expr, kind, opts).parse(target);
}
