/**
 * The JSONPath subset Kubernetes uses for printer columns and `kubectl -o jsonpath`:
 *   .a.b  ['a']  ["a"]  .*  [*]  ..a  [0]  [-1]  [0:2]  [::2]  [0,1]  ['a','b']
 *   [?(@.type=="Ready")]  [?(@.x)]  operators == != < <= > >=
 * An expression may be wrapped in one pair of braces (`{.spec.replicas}`) and may start with `$`.
 */

export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

export type JsonPathOperand = { kind: 'path'; path: JsonPathSegment[] } | { kind: 'literal'; value: unknown };

export type JsonPathFilter =
  | { kind: 'exists'; operand: JsonPathOperand }
  | { kind: 'compare'; op: '==' | '!=' | '<' | '<=' | '>' | '>='; left: JsonPathOperand; right: JsonPathOperand };

export type JsonPathSegment =
  | { kind: 'field'; names: string[] }
  | { kind: 'wildcard' }
  | { kind: 'recursive' }
  | { kind: 'index'; indices: number[] }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'filter'; filter: JsonPathFilter };

export interface JsonPath {
  /** The expression as given. */
  source: string;
  segments: JsonPathSegment[];
}

const IDENT_STOP = new Set(['.', '[', ']', '{', '}', '(', ')', ' ', '\t', '\n', '\r', '"', "'", '=', '!', '<', '>', ',', '@', '?', '&', '|']);

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    readonly source: string,
  ) {}

  fail(msg: string): never {
    throw new JsonPathError(`invalid JSONPath ${JSON.stringify(this.source)}: ${msg}`);
  }
  peek(n = 0): string {
    return this.s[this.i + n] ?? '';
  }
  eof(): boolean {
    return this.i >= this.s.length;
  }
  ws(): void {
    while (!this.eof() && /\s/.test(this.peek())) this.i++;
  }
  expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected '${ch}' at position ${this.i}${this.eof() ? ' (end of input)' : `, found '${this.peek()}'`}`);
    this.i++;
  }

  ident(): string {
    let out = '';
    while (!this.eof()) {
      const c = this.peek();
      if (c === '\\' && this.i + 1 < this.s.length) {
        out += this.s[this.i + 1];
        this.i += 2;
        continue;
      }
      if (IDENT_STOP.has(c)) break;
      out += c;
      this.i++;
    }
    return out;
  }

  /** segments until the end or a character that cannot continue a path (used inside filters too). */
  segments(inFilter: boolean): JsonPathSegment[] {
    const segs: JsonPathSegment[] = [];
    for (;;) {
      const c = this.peek();
      if (c === '.') {
        if (this.peek(1) === '.') {
          this.i += 2;
          segs.push({ kind: 'recursive' });
          if (this.peek() === '[') continue;
          if (this.peek() === '*') {
            this.i++;
            segs.push({ kind: 'wildcard' });
            continue;
          }
          const name = this.ident();
          if (!name) this.fail(`expected a field name after '..' at position ${this.i}`);
          segs.push({ kind: 'field', names: [name] });
          continue;
        }
        this.i++;
        if (this.peek() === '*') {
          this.i++;
          segs.push({ kind: 'wildcard' });
          continue;
        }
        const name = this.ident();
        if (!name) {
          // a lone trailing "." (e.g. "{.}") means the current object
          if (this.eof() || (inFilter && /[\s)=!<>]/.test(this.peek()))) break;
          this.fail(`unexpected '${this.peek()}' at position ${this.i}`);
        }
        segs.push({ kind: 'field', names: [name] });
        continue;
      }
      if (c === '[') {
        this.i++;
        segs.push(this.bracket());
        continue;
      }
      break;
    }
    return segs;
  }

  bracket(): JsonPathSegment {
    this.ws();
    const c = this.peek();
    if (c === '*') {
      this.i++;
      this.ws();
      this.expect(']');
      return { kind: 'wildcard' };
    }
    if (c === '?') {
      this.i++;
      this.ws();
      this.expect('(');
      const filter = this.filter();
      this.ws();
      this.expect(')');
      this.ws();
      this.expect(']');
      return { kind: 'filter', filter };
    }
    if (c === "'" || c === '"') {
      const names: string[] = [];
      for (;;) {
        this.ws();
        const q = this.peek();
        if (q !== "'" && q !== '"') this.fail(`expected a quoted name at position ${this.i}`);
        names.push(this.quoted());
        this.ws();
        if (this.peek() === ',') {
          this.i++;
          continue;
        }
        break;
      }
      this.expect(']');
      return { kind: 'field', names };
    }
    // numbers: index, union or slice
    const parts: (number | undefined)[] = [];
    let colons = 0;
    const indices: number[] = [];
    let sawComma = false;
    let cur = this.intOpt();
    for (;;) {
      this.ws();
      const d = this.peek();
      if (d === ':') {
        colons++;
        if (colons > 2) this.fail(`too many ':' in slice at position ${this.i}`);
        parts.push(cur);
        this.i++;
        cur = this.intOpt();
        continue;
      }
      if (d === ',') {
        if (colons) this.fail(`unexpected ',' in slice at position ${this.i}`);
        if (cur === undefined) this.fail(`expected an index at position ${this.i}`);
        indices.push(cur);
        sawComma = true;
        this.i++;
        cur = this.intOpt();
        continue;
      }
      if (d === ']') {
        this.i++;
        break;
      }
      this.fail(this.eof() ? `unterminated '[' (missing ']')` : `unexpected '${d}' in brackets at position ${this.i}`);
    }
    if (colons) {
      parts.push(cur);
      const [start, end, step] = parts;
      if (step === 0) this.fail('slice step cannot be zero');
      return { kind: 'slice', start, end, step };
    }
    if (cur === undefined) this.fail(sawComma ? 'expected an index after \',\'' : 'empty brackets');
    indices.push(cur);
    return { kind: 'index', indices };
  }

  intOpt(): number | undefined {
    this.ws();
    const m = /^-?\d+/.exec(this.s.slice(this.i));
    if (!m) return undefined;
    this.i += m[0].length;
    return Number(m[0]);
  }

  quoted(): string {
    const q = this.peek();
    this.i++;
    let out = '';
    while (!this.eof() && this.peek() !== q) {
      if (this.peek() === '\\' && this.i + 1 < this.s.length) {
        const n = this.s[this.i + 1];
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        this.i += 2;
        continue;
      }
      out += this.peek();
      this.i++;
    }
    if (this.eof()) this.fail('unterminated quoted string');
    this.i++;
    return out;
  }

  operand(): JsonPathOperand {
    this.ws();
    const c = this.peek();
    if (c === '@' || c === '$') {
      this.i++;
      return { kind: 'path', path: this.segments(true) };
    }
    if (c === "'" || c === '"') return { kind: 'literal', value: this.quoted() };
    const m = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[0].length;
      return { kind: 'literal', value: Number(m[0]) };
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.i) && !/[\w]/.test(this.s[this.i + word.length] ?? '')) {
        this.i += word.length;
        return { kind: 'literal', value };
      }
    }
    this.fail(this.eof() ? 'unterminated filter' : `unexpected '${c}' in filter at position ${this.i}`);
  }

  filter(): JsonPathFilter {
    const left = this.operand();
    this.ws();
    const m = /^(==|!=|<=|>=|<|>)/.exec(this.s.slice(this.i));
    if (!m) {
      if (left.kind !== 'path') this.fail('a filter without an operator must be a path like @.field');
      return { kind: 'exists', operand: left };
    }
    this.i += m[0].length;
    const right = this.operand();
    return { kind: 'compare', op: m[0] as '==', left, right };
  }
}

/** Parses a JSONPath expression; throws JsonPathError with a clear message when it is invalid. */
export function parseJsonPath(expr: string): JsonPath {
  if (typeof expr !== 'string') throw new JsonPathError('invalid JSONPath: not a string');
  let s = expr.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw new JsonPathError(`invalid JSONPath ${JSON.stringify(expr)}: unclosed action (missing '}')`);
    s = s.slice(1, -1).trim();
    if (s.includes('{') || s.includes('}')) {
      // braces inside quoted names are fine; anything else is a template we do not support
      const stripped = s.replace(/'[^']*'|"[^"]*"/g, '');
      if (/[{}]/.test(stripped))
        throw new JsonPathError(`invalid JSONPath ${JSON.stringify(expr)}: only a single {...} expression is supported`);
    }
  }
  if (s === '') throw new JsonPathError(`invalid JSONPath ${JSON.stringify(expr)}: empty expression`);
  const p = new Parser(s, expr);
  if (p.peek() === '$') p.i++;
  if (!p.eof() && p.peek() !== '.' && p.peek() !== '[')
    p.fail(`must start with '.', '[' or '$' (found '${p.peek()}')`);
  const segments = p.segments(false);
  if (!p.eof()) p.fail(`unexpected '${p.peek()}' at position ${p.i}`);
  return { source: expr, segments };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function descendants(v: unknown, out: unknown[]): void {
  out.push(v);
  if (Array.isArray(v)) for (const x of v) descendants(x, out);
  else if (isObj(v)) for (const k of Object.keys(v)) descendants(v[k], out);
}

function normIndex(i: number, len: number): number {
  return i < 0 ? len + i : i;
}

function operandValue(op: JsonPathOperand, cur: unknown, root: unknown): { found: boolean; value: unknown } {
  if (op.kind === 'literal') return { found: true, value: op.value };
  const r = evalSegments(op.path, [cur], root);
  return r.length ? { found: true, value: r[0] } : { found: false, value: undefined };
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === '==' || op === '!=') {
    let eq: boolean;
    if (typeof a === 'number' && typeof b === 'number') eq = a === b;
    else if (typeof a === 'string' && typeof b === 'string') eq = a === b;
    else if (typeof a === 'boolean' && typeof b === 'boolean') eq = a === b;
    else if (a === null && b === null) eq = true;
    else eq = false;
    return op === '==' ? eq : !eq;
  }
  let x: number | string;
  let y: number | string;
  if (typeof a === 'number' && typeof b === 'number') [x, y] = [a, b];
  else if (typeof a === 'string' && typeof b === 'string') [x, y] = [a, b];
  else return false;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
  return false;
}

function filterMatches(f: JsonPathFilter, cur: unknown, root: unknown): boolean {
  if (f.kind === 'exists') {
    const r = operandValue(f.operand, cur, root);
    return r.found && r.value !== null && r.value !== false;
  }
  const l = operandValue(f.left, cur, root);
  const r = operandValue(f.right, cur, root);
  if (!l.found || !r.found) return f.op === '!=' ? l.found !== r.found : false;
  return compare(f.op, l.value, r.value);
}

function evalSegments(segs: JsonPathSegment[], start: unknown[], root: unknown): unknown[] {
  let cur = start;
  for (let si = 0; si < segs.length; si++) {
    const seg = segs[si];
    const next: unknown[] = [];
    switch (seg.kind) {
      case 'field':
        for (const v of cur) {
          if (!isObj(v)) continue;
          for (const n of seg.names) if (Object.prototype.hasOwnProperty.call(v, n)) next.push(v[n]);
        }
        break;
      case 'wildcard':
        for (const v of cur) {
          if (Array.isArray(v)) next.push(...v);
          else if (isObj(v)) for (const k of Object.keys(v)) next.push(v[k]);
        }
        break;
      case 'recursive':
        for (const v of cur) descendants(v, next);
        break;
      case 'index':
        for (const v of cur) {
          if (!Array.isArray(v)) continue;
          for (const i of seg.indices) {
            const j = normIndex(i, v.length);
            if (j >= 0 && j < v.length) next.push(v[j]);
          }
        }
        break;
      case 'slice':
        for (const v of cur) {
          if (!Array.isArray(v)) continue;
          const len = v.length;
          const step = seg.step ?? 1;
          if (step > 0) {
            const a = Math.max(0, Math.min(len, seg.start === undefined ? 0 : normIndex(seg.start, len)));
            const b = Math.max(0, Math.min(len, seg.end === undefined ? len : normIndex(seg.end, len)));
            for (let i = a; i < b; i += step) next.push(v[i]);
          } else {
            const a = Math.min(len - 1, seg.start === undefined ? len - 1 : normIndex(seg.start, len));
            const b = seg.end === undefined ? -1 : Math.max(-1, normIndex(seg.end, len));
            for (let i = a; i > b; i += step) next.push(v[i]);
          }
        }
        break;
      case 'filter':
        for (const v of cur) {
          const items = Array.isArray(v) ? v : isObj(v) ? Object.values(v) : [];
          for (const it of items) if (filterMatches(seg.filter, it, root)) next.push(it);
        }
        break;
    }
    cur = next;
    if (cur.length === 0) break;
  }
  return cur;
}

/** Evaluates a JSONPath (string or parsed) against a JSON value; missing keys give no results. */
export function jsonPathQuery(obj: unknown, expr: string | JsonPath): unknown[] {
  const p = typeof expr === 'string' ? parseJsonPath(expr) : expr;
  return evalSegments(p.segments, [obj], obj);
}
