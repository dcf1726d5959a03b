// YAML as Helm sees it.
//
// Parsing: Helm reads values and manifests through a YAML 1.1 decoder whose result is converted
// to JSON and back, so every number becomes a float64 (a JS number), maps have string keys,
// `yes`/`no`/`on`/`off`/`y`/`n` are booleans, and timestamps stay strings. Only the first
// document of a stream is read.
//
// Emitting (`toYaml`): Helm marshals the value to JSON, reads it back as YAML and prints it with a
// libyaml-style block emitter: 2-space indentation, sequences under a mapping key not indented,
// map keys in "natural" order (digit runs compare numerically), strings quoted only when they would
// read back as something else, multi-line strings as literal blocks, and plain or quoted scalars
// folded at spaces once a line passes 80 columns. This module reimplements that documented
// behaviour.
import YAML from 'yaml';
import { GoNum, isMap, formatFloat } from '@flotilla/gotemplate';

// ---------------------------------------------------------------------------------------------
// Parsing

const TAG_INT = 'tag:yaml.org,2002:int';

type AnyTag = { tag: string; format?: string; test?: RegExp };

const parseOptions = {
  version: '1.1' as const,
  merge: true,
  uniqueKeys: false,
  // sexagesimal numbers and timestamps are strings for Helm's decoder; `0o17` is an int
  customTags: (tags: unknown[]) => {
    const kept = (tags as AnyTag[]).filter((t) => t.format !== 'TIME' && t.tag !== 'tag:yaml.org,2002:timestamp');
    kept.push({
      tag: TAG_INT,
      format: 'OCT_O',
      test: /^[-+]?0o[0-7_]+$/,
      default: true,
      identify: () => false,
      resolve: (s: string) => {
        const neg = s.startsWith('-');
        const n = parseInt(s.replace(/^[-+]?0o/, '').replace(/_/g, ''), 8);
        return neg ? -n : n;
      },
    } as unknown as AnyTag);
    return kept as never;
  },
};

export class YamlError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'YamlError';
  }
}

function yamlErrorMessage(e: { message: string; linePos?: { line: number; col: number }[] }): YamlError {
  const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const line = e.linePos?.[0]?.line;
  return new YamlError(line !== undefined ? `yaml: line ${line}: ${first}` : `yaml: ${first}`, line);
}

/** Converts a parsed YAML value to the JSON model Helm works with. */
function toJsonModel(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(toJsonModel);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    if (v instanceof Map) {
      for (const [k, x] of v) setProp(out, keyString(k), toJsonModel(x));
    } else if (v instanceof Set) {
      for (const k of v) setProp(out, keyString(k), null);
    } else {
      for (const k of Object.keys(v)) setProp(out, k, toJsonModel((v as Record<string, unknown>)[k]));
    }
    return out;
  }
  if (typeof v === 'bigint') return Number(v);
  return v;
}

function keyString(k: unknown): string {
  if (k === null || k === undefined) return 'null';
  if (typeof k === 'object') return JSON.stringify(toJsonModel(k));
  return String(k);
}

export function setProp(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * Parses the first YAML document of `text` into the JSON model (numbers are float64, maps are
 * plain objects). Returns null for an empty document. Throws YamlError on a syntax error.
 */
export function parseYaml(text: string): unknown {
  const docs = YAML.parseAllDocuments(text, parseOptions);
  const list = Array.isArray(docs) ? docs : [docs];
  const doc = list[0];
  if (!doc) return null;
  if (doc.errors.length) throw yamlErrorMessage(doc.errors[0]!);
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 10000 });
  } catch (e) {
    throw new YamlError(`yaml: ${(e as Error).message}`);
  }
  return toJsonModel(js);
}

/**
 * Parses the first document keeping every scalar as its text (how Helm decodes YAML into typed
 * Go structs with string fields: `version: 1.10` is "1.10", `name: off` is "off").
 */
export function parseYamlStrings(text: string): unknown {
  const docs = YAML.parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const doc = list[0];
  if (!doc) return null;
  if (doc.errors.length) throw yamlErrorMessage(doc.errors[0]!);
  return toJsonModel(doc.toJS({ maxAliasCount: 10000 }));
}

/** Like parseYaml, but the document must be a map (or empty): the shape of a values file. */
export function parseYamlMap(text: string): Record<string, unknown> {
  const v = parseYaml(text);
  if (v === null) return {};
  if (!isMap(v)) throw new YamlError(`error unmarshaling JSON: json: cannot unmarshal ${jsonKind(v)} into Go value of type map[string]interface {}`);
  return v;
}

export function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (isMap(v)) return 'object';
  return 'value';
}

// ---------------------------------------------------------------------------------------------
// The JSON model of Go values (what json.Marshal would produce)

export class JsonError extends Error {}

/**
 * Converts a template value (Go value model) to plain JSON-able JS: maps, arrays, strings,
 * booleans, null, numbers (float64) and bigints (Go integers).
 */
export function jsonify(v: unknown): unknown {
  switch (typeof v) {
    case 'undefined':
      return null;
    case 'string':
    case 'boolean':
    case 'bigint':
      return v;
    case 'number':
      if (!Number.isFinite(v)) throw new JsonError(`json: unsupported value: ${formatFloat(v, 'g', -1)}`);
      return v;
    case 'function':
      throw new JsonError('json: unsupported type: func(...interface {}) (interface {}, error)');
    case 'object': {
      if (v === null) return null;
      if (v instanceof GoNum) return v.isFloat ? Number(v.v) : BigInt(v.v);
      if (Array.isArray(v)) return v.map(jsonify);
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      if (isMap(v)) {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(v)) setProp(out, k, jsonify(v[k]));
        return out;
      }
      const tj = (v as { toJSON?: () => unknown }).toJSON;
      if (typeof tj === 'function') return jsonify(tj.call(v));
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) if (/^[A-Z]/.test(k)) setProp(out, k, jsonify((v as Record<string, unknown>)[k]));
      return out;
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Scalar resolution (would a plain scalar read back as something other than a string?)

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'on', 'On', 'ON', 'off', 'Off', 'OFF']);
const SPECIAL_FLOATS = new Set(['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF', '.nan', '.NaN', '.NAN']);
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/;
const YAML_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const TIMESTAMP = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** True when the string, written plain, would be read as null, bool, number, timestamp or merge key. */
export function resolvesToNonString(s: string): boolean {
  if (NULLS.has(s) || BOOLS.has(s) || SPECIAL_FLOATS.has(s) || s === '<<') return true;
  const c = s.charCodeAt(0);
  const hint = (c >= 48 && c <= 57) || s[0] === '-' || s[0] === '+' || s[0] === '.';
  if (!hint) return false;
  if (c >= 48 && c <= 57 && TIMESTAMP.test(s)) return true;
  const plain = s.replace(/_/g, '');
  return GO_INT.test(plain) || YAML_FLOAT.test(plain);
}

// ---------------------------------------------------------------------------------------------
// Map key order: characters compare by code point, except that letters sort after other
// characters and runs of digits compare by their numeric value.

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;
function isLetter(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return LETTER.test(ch);
}
function isDigit(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  if (c < 128) return c >= 48 && c <= 57;
  return DIGIT.test(ch);
}

function keyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const x = ar[i]!;
    const y = br[i]!;
    if (x === y) continue;
    const xl = isLetter(x);
    const yl = isLetter(y);
    if (xl && yl) return x < y;
    if (xl || yl) return yl;
    let xn = 0;
    let yn = 0;
    if (x === '0' || y === '0') {
      // inside a number with a non-zero prefix, zeros are ordinary digits
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          xn = 1;
          yn = 1;
          break;
        }
      }
    }
    let xi = i;
    let yi = i;
    for (; xi < ar.length && isDigit(ar[xi]); xi++) xn = xn * 10 + (ar[xi]!.charCodeAt(0) - 48);
    for (; yi < br.length && isDigit(br[yi]); yi++) yn = yn * 10 + (br[yi]!.charCodeAt(0) - 48);
    if (xn !== yn) return xn < yn;
    if (xi !== yi) return xi < yi;
    return x < y;
  }
  return ar.length < br.length;
}

const ASCII_KEY = /^[a-z]+$/;
export function compareKeys(a: string, b: string): number {
  // fast path: lowercase ASCII letters compare as plain strings
  if (ASCII_KEY.test(a) && ASCII_KEY.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  if (keyLess(a, b)) return -1;
  if (keyLess(b, a)) return 1;
  return 0;
}

export function sortedKeys(m: Record<string, unknown>): string[] {
  return Object.keys(m).sort(compareKeys);
}

// ---------------------------------------------------------------------------------------------
// Emitting

const BEST_WIDTH = 80;

function isBreakCh(ch: string): boolean {
  return ch === '\n' || ch === '\r' || ch === '\u0085' || ch === '\u2028' || ch === '\u2029';
}
function isPrintable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (
    c === 0x0a ||
    (c >= 0x20 && c <= 0x7e) ||
    c === 0x85 ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}
function isBlankZ(ch: string | undefined): boolean {
  return ch === undefined || ch === ' ' || ch === '\t' || isBreakCh(ch);
}

interface ScalarAnalysis {
  multiline: boolean;
  plain: boolean;
  single: boolean;
  block: boolean;
}

function analyze(s: string): ScalarAnalysis {
  if (s.length === 0) return { multiline: false, plain: false, single: true, block: false };
  let blockIndicators = s.startsWith('---') || s.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let prevSpace = false;
  let prevBreak = false;
  let precededByWs = true;
  const cps = Array.from(s);
  const last = cps.length - 1;
  for (let i = 0; i <= last; i++) {
    const ch = cps[i]!;
    const followedByWs = isBlankZ(cps[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ((ch === '?' || ch === ':') && followedByWs) blockIndicators = true;
      if (ch === '-' && followedByWs) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWs) blockIndicators = true;
      if (ch === '#' && precededByWs) blockIndicators = true;
    }
    if (!isPrintable(ch) || ch === '\ufeff') special = true;
    if (isBreakCh(ch)) lineBreaks = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === last) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreakCh(ch)) {
      if (i === 0) leadingBreak = true;
      if (i === last) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevBreak = true;
      prevSpace = false;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    precededByWs = isBlankZ(ch);
  }
  let plain = true;
  let single = true;
  let block = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) plain = false;
  if (trailingSpace) block = false;
  if (breakSpace) {
    plain = false;
    single = false;
  }
  if (spaceBreak || special) {
    plain = false;
    single = false;
    block = false;
  }
  if (lineBreaks) plain = false;
  if (blockIndicators) plain = false;
  return { multiline: lineBreaks, plain, single, block };
}

const ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\x0b': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
  '\u0085': '\\N',
  '\u00a0': '\\_',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

function hex(c: number, width: number): string {
  return c.toString(16).toUpperCase().padStart(width, '0');
}

export interface EmitOptions {
  /** Indent sequences under mapping keys (the "pretty" style). */
  indentSequences?: boolean;
  /** Fold long scalars at spaces past 80 columns (default true). */
  fold?: boolean;
}

class Emitter {
  out = '';
  col = 0;
  constructor(
    private readonly indentSeq: boolean,
    private readonly fold: boolean,
  ) {}

  write(s: string): void {
    this.out += s;
    this.col += s.length;
  }
  writeCh(ch: string): void {
    this.out += ch;
    this.col += 1;
  }
  /** Moves to a new line at `indent` (no extra break when already at the start of a line). */
  newline(indent: number): void {
    if (!(this.out.length === 0 || this.out.endsWith('\n'))) this.out += '\n';
    this.out += ' '.repeat(indent);
    this.col = indent;
  }

  node(v: unknown, indent: number): void {
    if (isMap(v) && Object.keys(v).length > 0) this.map(v, indent);
    else if (Array.isArray(v) && v.length > 0) this.seq(v, indent);
    else this.scalar(v, indent + 2, false);
  }

  map(m: Record<string, unknown>, indent: number): void {
    const keys = sortedKeys(m);
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) this.newline(indent);
      const k = keys[i]!;
      this.scalar(k, indent + 2, true);
      this.writeCh(':');
      const v = m[k];
      if (isMap(v) && Object.keys(v).length > 0) {
        this.newline(indent + 2);
        this.map(v, indent + 2);
      } else if (Array.isArray(v) && v.length > 0) {
        const si = this.indentSeq ? indent + 2 : indent;
        this.newline(si);
        this.seq(v, si);
      } else {
        this.writeCh(' ');
        this.scalar(v, indent + 2, false);
      }
    }
  }

  seq(l: unknown[], indent: number): void {
    for (let i = 0; i < l.length; i++) {
      if (i > 0) this.newline(indent);
      this.write('- ');
      const v = l[i];
      if (isMap(v) && Object.keys(v).length > 0) this.map(v, indent + 2);
      else if (Array.isArray(v) && v.length > 0) this.seq(v, indent + 2);
      else this.scalar(v, indent + 2, false);
    }
  }

  scalar(v: unknown, indent: number, isKey: boolean): void {
    if (v === null || v === undefined) return this.write('null');
    if (typeof v === 'boolean') return this.write(v ? 'true' : 'false');
    if (typeof v === 'bigint') return this.write(v.toString());
    if (typeof v === 'number') return this.write(formatNumber(v));
    if (isMap(v)) return this.write('{}');
    if (Array.isArray(v)) return this.write('[]');
    const s = String(v);
    const a = analyze(s);
    let style: 'plain' | 'single' | 'double' | 'literal';
    if (a.multiline) style = 'literal';
    else if (resolvesToNonString(s) || BASE60_FLOAT.test(s)) style = 'double';
    else style = 'plain';
    if (style === 'plain' && !a.plain) style = 'single';
    if (style === 'single' && !a.single) style = 'double';
    if (style === 'literal' && (!a.block || isKey)) style = 'double';
    const allowBreaks = this.fold && !isKey;
    switch (style) {
      case 'plain':
        return this.plain(s, indent, allowBreaks);
      case 'single':
        return this.single(s, indent, allowBreaks);
      case 'double':
        return this.double(s, indent, allowBreaks);
      case 'literal':
        return this.literal(s, indent);
    }
  }

  plain(s: string, indent: number, allowBreaks: boolean): void {
    if (!allowBreaks || s.indexOf(' ') < 0) return this.writeChars(s);
    const cps = Array.from(s);
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const ch = cps[i]!;
      if (ch === ' ') {
        if (!spaces && this.col > BEST_WIDTH && cps[i + 1] !== ' ') this.newline(indent);
        else this.writeCh(' ');
        spaces = true;
      } else {
        this.writeCh(ch);
        spaces = false;
      }
    }
  }

  private writeChars(s: string): void {
    this.out += s;
    // columns count characters, not UTF-16 units
    let n = s.length;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) n--;
    }
    this.col += n;
  }

  single(s: string, indent: number, allowBreaks: boolean): void {
    this.writeCh("'");
    const cps = Array.from(s);
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const ch = cps[i]!;
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.col > BEST_WIDTH && i !== 0 && i !== cps.length - 1 && cps[i + 1] !== ' ') this.newline(indent);
        else this.writeCh(' ');
        spaces = true;
      } else {
        if (ch === "'") this.write("''");
        else this.writeCh(ch);
        spaces = false;
      }
    }
    this.writeCh("'");
  }

  double(s: string, indent: number, allowBreaks: boolean): void {
    this.writeCh('"');
    const cps = Array.from(s);
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const ch = cps[i]!;
      if (!isPrintable(ch) || ch === '\ufeff' || isBreakCh(ch) || ch === '"' || ch === '\\') {
        const e = ESCAPES[ch];
        if (e) this.write(e);
        else {
          const c = ch.codePointAt(0)!;
          this.write(c <= 0xff ? '\\x' + hex(c, 2) : c <= 0xffff ? '\\u' + hex(c, 4) : '\\U' + hex(c, 8));
        }
        spaces = false;
      } else if (ch === ' ') {
        if (allowBreaks && !spaces && this.col > BEST_WIDTH && i !== 0 && i !== cps.length - 1) {
          this.newline(indent);
          if (cps[i + 1] === ' ') this.writeCh('\\');
        } else this.writeCh(' ');
        spaces = true;
      } else {
        this.writeCh(ch);
        spaces = false;
      }
    }
    this.writeCh('"');
  }

  literal(s: string, indent: number): void {
    this.writeCh('|');
    if (s[0] === ' ' || isBreakCh(s[0]!)) this.write('2');
    const lastCh = s[s.length - 1]!;
    if (!isBreakCh(lastCh)) this.writeCh('-');
    else if (s.length === 1 || isBreakCh(s[s.length - 2]!)) this.writeCh('+');
    this.out += '\n';
    this.col = 0;
    let breaks = true;
    let line = '';
    const flush = () => {
      if (line) {
        this.out += ' '.repeat(indent) + line;
        this.col = indent + line.length;
        line = '';
      }
    };
    for (let i = 0; i < s.length; i++) {
      const ch = s[i]!;
      if (isBreakCh(ch)) {
        flush();
        this.out += '\n';
        this.col = 0;
        breaks = true;
      } else {
        line += ch;
        breaks = false;
      }
    }
    void breaks;
    flush();
  }
}

/** A float64 as the JSON → YAML round trip prints it. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (x === Infinity) return '.inf';
  if (x === -Infinity) return '-.inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e21) {
    const digits = formatFloat(x, 'f', -1).replace(/^-0$/, '0');
    const b = BigInt(digits);
    if (b >= -(2n ** 63n) && b < 2n ** 64n) return digits;
  }
  return formatFloat(x, 'g', -1);
}

/**
 * Marshals a value the way Helm's toYaml does (before the trailing newline is trimmed).
 * The value is first reduced to its JSON form (see jsonify).
 */
export function marshalYaml(v: unknown, opts: EmitOptions = {}): string {
  const j = jsonify(v);
  const e = new Emitter(!!opts.indentSequences, opts.fold !== false);
  if (isMap(j) && Object.keys(j).length > 0) e.map(j, 0);
  else if (Array.isArray(j) && j.length > 0) e.seq(j, 0);
  else e.scalar(j, 2, false);
  if (!e.out.endsWith('\n')) e.out += '\n';
  return e.out;
}
