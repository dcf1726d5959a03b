// govaluate-style conditions (Knetic/govaluate), as Argo Workflows' `when` and Argo Events' filters use them.
// Numbers are float64; strings in '…' or "…" (ISO 8601 / RFC 3339 dates in string literals become Unix
// seconds, as govaluate does); true/false; variables (bare words, [escaped names], dotted accessors);
// operators: ?: ?? || && == != > >= < <= =~ !~ in & | ^ << >> + - * / % ** and prefix - ! ~;
// (a, b) lists for `in`; function calls when functions are given.
import { formatValue } from '@flotilla/gotemplate';
import { ExprError, EvalFault } from './errors.js';
import { compileRegex } from './regex.js';

type GTok = { k: 'num' | 'str' | 'bool' | 'var' | 'op' | 'lparen' | 'rparen' | 'comma' | 'func' | 'eof'; v: string; pos: number; num?: number };

export type GNode =
  | { k: 'lit'; v: unknown; pos: number }
  | { k: 'var'; name: string; pos: number }
  | { k: 'list'; items: GNode[]; pos: number }
  | { k: 'un'; op: string; x: GNode; pos: number }
  | { k: 'bin'; op: string; l: GNode; r: GNode; pos: number }
  | { k: 'tern'; test: GNode; then: GNode; else?: GNode; pos: number }
  | { k: 'call'; name: string; args: GNode[]; pos: number };

export interface ConditionOptions {
  /** Functions callable as name(args). */
  functions?: Record<string, (...args: unknown[]) => unknown>;
  /**
   * What a bare word that is not a parameter means: 'string' (default — Argo turns govaluate variables
   * into strings, so `heads == heads` compares two strings) or 'error' (govaluate's "No parameter found").
   */
  unknownVariables?: 'string' | 'error';
}

const OPS = ['=~', '!~', '==', '!=', '>=', '<=', '&&', '||', '??', '**', '<<', '>>', '>', '<', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '?', ':'];

const DATE_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function lex(src: string): GTok[] {
  const out: GTok[] = [];
  let i = 0;
  const err = (m: string, at = i): never => {
    throw new ExprError(m, src, at);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^0[xX][0-9a-fA-F]+|^[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i))!;
      let text = m[0];
      // `1.2.3` or `3abc` are not numbers: read the whole word as a bare word
      const word = /^[0-9A-Za-z_.]+/.exec(src.slice(i))![0];
      if (word.length > text.length && !/^0[xX]/.test(text)) {
        out.push({ k: 'var', v: word, pos: start });
        i += word.length;
        continue;
      }
      i += text.length;
      text = text.toLowerCase();
      out.push({ k: 'num', v: m[0], pos: start, num: text.startsWith('0x') ? parseInt(text, 16) : Number(text) });
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          j += 2;
          continue;
        }
        s += src[j];
        j++;
      }
      if (j >= src.length) err('Unclosed string literal', start);
      out.push({ k: 'str', v: s, pos: start });
      i = j + 1;
      continue;
    }
    if (c === '[') {
      const j = src.indexOf(']', i);
      if (j < 0) err('Unclosed parameter bracket', start);
      out.push({ k: 'var', v: src.slice(i + 1, j), pos: start });
      i = j + 1;
      continue;
    }
    if (/[\p{L}_$]/u.test(c)) {
      const m = /^[\p{L}\p{N}_$.]+/u.exec(src.slice(i))!;
      const word = m[0];
      i += word.length;
      if (word === 'true' || word === 'false') out.push({ k: 'bool', v: word, pos: start });
      else if (word === 'in' || word === 'IN') out.push({ k: 'op', v: 'in', pos: start });
      else if (src[i] === '(') out.push({ k: 'func', v: word, pos: start });
      else out.push({ k: 'var', v: word, pos: start });
      continue;
    }
    if (c === '(') {
      out.push({ k: 'lparen', v: c, pos: start });
      i++;
      continue;
    }
    if (c === ')') {
      out.push({ k: 'rparen', v: c, pos: start });
      i++;
      continue;
    }
    if (c === ',') {
      out.push({ k: 'comma', v: c, pos: start });
      i++;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) err(`Invalid token: ${JSON.stringify(c)}`);
    out.push({ k: 'op', v: op!, pos: start });
    i += op!.length;
  }
  out.push({ k: 'eof', v: '', pos: src.length });
  return out;
}

// precedence levels, lowest first (ternary/coalesce are handled separately)
const LEVELS: string[][] = [['||'], ['&&'], ['==', '!=', '>', '>=', '<', '<=', '=~', '!~', 'in'], ['&', '|', '^'], ['<<', '>>'], ['+', '-'], ['*', '/', '%'], ['**']];

class GParser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly toks: GTok[],
  ) {}
  private kind(): GTok['k'] {
    return this.toks[this.i]!.k;
  }
  private get t(): GTok {
    return this.toks[this.i]!;
  }
  private fail(m: string, at = this.t.pos): never {
    throw new ExprError(m, this.src, at);
  }
  private unexpected(): never {
    if (this.kind() === 'eof') this.fail('Unexpected end of expression');
    this.fail(`Unexpected token ${JSON.stringify(this.t.v)}`);
  }
  parse(): GNode {
    if (this.kind() === 'eof') this.fail('Empty expression', 0);
    const n = this.ternary();
    if (this.kind() !== 'eof') this.unexpected();
    return n;
  }
  private ternary(): GNode {
    let n = this.level(0);
    for (;;) {
      const t = this.t;
      if (t.k === 'op' && t.v === '??') {
        this.i++;
        n = { k: 'bin', op: '??', l: n, r: this.level(0), pos: t.pos };
        continue;
      }
      if (t.k === 'op' && t.v === '?') {
        this.i++;
        const then = this.ternary();
        let other: GNode | undefined;
        if (this.kind() === 'op' && this.t.v === ':') {
          this.i++;
          other = this.ternary();
        }
        return { k: 'tern', test: n, then, else: other, pos: t.pos };
      }
      return n;
    }
  }
  private level(l: number): GNode {
    if (l >= LEVELS.length) return this.prefix();
    let n = this.level(l + 1);
    while (this.kind() === 'op' && LEVELS[l]!.includes(this.t.v)) {
      const t = this.t;
      this.i++;
      const r = t.v === '**' ? this.level(l) : this.level(l + 1);
      n = { k: 'bin', op: t.v, l: n, r, pos: t.pos };
    }
    return n;
  }
  private prefix(): GNode {
    const t = this.t;
    if (t.k === 'op' && (t.v === '-' || t.v === '!' || t.v === '~')) {
      this.i++;
      return { k: 'un', op: t.v, x: this.prefix(), pos: t.pos };
    }
    return this.value();
  }
  private value(): GNode {
    const t = this.t;
    switch (t.k) {
      case 'num':
        this.i++;
        return { k: 'lit', v: t.num, pos: t.pos };
      case 'str': {
        this.i++;
        if (DATE_RE.test(t.v)) {
          const ms = Date.parse(/[T ]\d/.test(t.v) && !/Z|[+-]\d{2}:?\d{2}$/.test(t.v) ? t.v.replace(' ', 'T') + 'Z' : t.v.replace(' ', 'T'));
          if (!Number.isNaN(ms)) return { k: 'lit', v: ms / 1000, pos: t.pos };
        }
        return { k: 'lit', v: t.v, pos: t.pos };
      }
      case 'bool':
        this.i++;
        return { k: 'lit', v: t.v === 'true', pos: t.pos };
      case 'var':
        this.i++;
        return { k: 'var', name: t.v, pos: t.pos };
      case 'func': {
        this.i += 2;
        const args: GNode[] = [];
        while (this.kind() !== 'rparen') {
          args.push(this.ternary());
          if (this.kind() === 'comma') this.i++;
          else if (this.kind() !== 'rparen') this.unexpected();
        }
        this.i++;
        return { k: 'call', name: t.v, args, pos: t.pos };
      }
      case 'lparen': {
        this.i++;
        const items: GNode[] = [];
        if (this.kind() === 'rparen') {
          this.i++;
          return { k: 'list', items, pos: t.pos };
        }
        items.push(this.ternary());
        let list = false;
        while (this.kind() === 'comma') {
          list = true;
          this.i++;
          items.push(this.ternary());
        }
        if (this.kind() !== 'rparen') {
          if (this.kind() === 'eof') this.fail('Unbalanced parenthesis', t.pos);
          this.unexpected();
        }
        this.i++;
        return list ? { k: 'list', items, pos: t.pos } : items[0]!;
      }
    }
    this.unexpected();
  }
}

export function parseCondition(src: string): GNode {
  try {
    return new GParser(src, lex(src)).parse();
  } catch (e) {
    if (e instanceof RangeError && /call stack/.test(e.message)) throw new ExprError('expression nested too deeply', src, 0);
    throw e;
  }
}

const fmt = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? '[' + v.map(fmt).join(' ') + ']' : v === null || v === undefined ? '<nil>' : formatValue(v));

function num(v: unknown, op: string, kind: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new EvalFault(`Value '${fmt(v)}' cannot be used with the ${kind} '${op}', it is not a number`);
}

function gEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint') a = Number(a);
  if (typeof b === 'bigint') b = Number(b);
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => gEqual(x, b[i]));
  return (a === null || a === undefined) && (b === null || b === undefined);
}

/** A parsed condition, reusable with different parameters. */
export class Condition {
  readonly ast: GNode;
  constructor(
    readonly source: string,
    private readonly opts: ConditionOptions = {},
  ) {
    this.ast = parseCondition(source);
    // like govaluate, a call of a function that was not given is a parse error
    const check = (n: GNode): void => {
      if (n.k === 'call') {
        if (!opts.functions || !Object.prototype.hasOwnProperty.call(opts.functions, n.name)) throw new ExprError(`Undefined function ${n.name}`, source, n.pos);
        n.args.forEach(check);
      } else if (n.k === 'list') n.items.forEach(check);
      else if (n.k === 'un') check(n.x);
      else if (n.k === 'bin') {
        check(n.l);
        check(n.r);
      } else if (n.k === 'tern') {
        check(n.test);
        check(n.then);
        if (n.else) check(n.else);
      }
    };
    check(this.ast);
  }

  evaluate(params?: Record<string, unknown>): unknown {
    try {
      return this.ev(this.ast, params ?? {});
    } catch (e) {
      if (e instanceof RangeError && /call stack/.test(e.message)) throw new ExprError('expression nested too deeply', this.source, 0);
      throw e;
    }
  }

  private err(e: unknown, pos: number): never {
    if (e instanceof ExprError || e instanceof RangeError) throw e;
    throw new ExprError(e instanceof Error ? e.message : String(e), this.source, pos);
  }

  private ev(n: GNode, p: Record<string, unknown>): unknown {
    try {
      return this.ev0(n, p);
    } catch (e) {
      this.err(e, n.pos);
    }
  }

  private ev0(n: GNode, p: Record<string, unknown>): unknown {
    switch (n.k) {
      case 'lit':
        return n.v;
      case 'list':
        return n.items.map((x) => this.ev(x, p));
      case 'var':
        return this.variable(n.name, p);
      case 'call': {
        const f = this.opts.functions![n.name]!;
        return f(...n.args.map((a) => this.ev(a, p)));
      }
      case 'un': {
        const v = this.ev(n.x, p);
        if (n.op === '!') {
          if (typeof v !== 'boolean') throw new EvalFault(`Value '${fmt(v)}' cannot be used with the prefix '!', it is not a bool`);
          return !v;
        }
        if (n.op === '-') return -num(v, '-', 'prefix');
        return ~Math.trunc(num(v, '~', 'prefix'));
      }
      case 'tern': {
        const t = this.ev(n.test, p);
        if (typeof t !== 'boolean') throw new EvalFault(`Value '${fmt(t)}' cannot be used with the ternary operator '?', it is not a bool`);
        // govaluate's `?` yields nil when the test is false, and `:` takes its right side when the left is nil
        const v = t ? this.ev(n.then, p) : null;
        return v === null && n.else ? this.ev(n.else, p) : v;
      }
      case 'bin':
        return this.binary(n, p);
    }
  }

  private variable(name: string, p: Record<string, unknown>): unknown {
    if (Object.prototype.hasOwnProperty.call(p, name)) return p[name] ?? null;
    // dotted accessor: foo.bar.baz on nested maps
    if (name.includes('.')) {
      const parts = name.split('.');
      let v: unknown = p;
      let ok = true;
      for (const part of parts) {
        if (v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, part)) v = (v as Record<string, unknown>)[part];
        else {
          ok = false;
          break;
        }
      }
      if (ok) return v ?? null;
    }
    if (this.opts.unknownVariables === 'error') throw new EvalFault(`No parameter '${name}' found.`);
    return name;
  }

  private binary(n: Extract<GNode, { k: 'bin' }>, p: Record<string, unknown>): unknown {
    const op = n.op;
    if (op === '&&' || op === '||') {
      const l = this.ev(n.l, p);
      if (typeof l !== 'boolean') throw new EvalFault(`Value '${fmt(l)}' cannot be used with the logical operator '${op}', it is not a bool`);
      if (op === '&&' ? !l : l) return l;
      const r = this.ev(n.r, p);
      if (typeof r !== 'boolean') throw new EvalFault(`Value '${fmt(r)}' cannot be used with the logical operator '${op}', it is not a bool`);
      return r;
    }
    if (op === '??') {
      const l = this.ev(n.l, p);
      return l === null || l === undefined ? this.ev(n.r, p) : l;
    }
    const l = this.ev(n.l, p);
    const r = this.ev(n.r, p);
    switch (op) {
      case '==':
        return gEqual(l, r);
      case '!=':
        return !gEqual(l, r);
      case '>':
      case '>=':
      case '<':
      case '<=': {
        let c: number;
        if (typeof l === 'string' && typeof r === 'string') c = l < r ? -1 : l > r ? 1 : 0;
        else if ((typeof l === 'number' || typeof l === 'bigint') && (typeof r === 'number' || typeof r === 'bigint')) c = Number(l) - Number(r);
        else {
          const bad = typeof l === 'number' || typeof l === 'bigint' ? r : l;
          throw new EvalFault(`Value '${fmt(bad)}' cannot be used with the comparator '${op}', it is not a number`);
        }
        return op === '>' ? c > 0 : op === '>=' ? c >= 0 : op === '<' ? c < 0 : c <= 0;
      }
      case '=~':
      case '!~': {
        if (typeof l !== 'string') throw new EvalFault(`Value '${fmt(l)}' cannot be used with the comparator '${op}', it is not a string`);
        if (typeof r !== 'string') throw new EvalFault(`Value '${fmt(r)}' cannot be used with the comparator '${op}', it is not a string`);
        const m = compileRegex(r).test(l);
        return op === '=~' ? m : !m;
      }
      case 'in': {
        if (!Array.isArray(r)) throw new EvalFault(`Value '${fmt(r)}' cannot be used with the comparator 'in', it is not an array`);
        return r.some((x) => gEqual(l, x));
      }
      case '+':
        if (typeof l === 'string' || typeof r === 'string') return fmt(l) + fmt(r);
        return num(l, op, 'modifier') + num(r, op, 'modifier');
      case '-':
        return num(l, op, 'modifier') - num(r, op, 'modifier');
      case '*':
        return num(l, op, 'modifier') * num(r, op, 'modifier');
      case '/':
        return num(l, op, 'modifier') / num(r, op, 'modifier');
      case '%':
        return num(l, op, 'modifier') % num(r, op, 'modifier');
      case '**':
        return Math.pow(num(l, op, 'modifier'), num(r, op, 'modifier'));
      case '&':
        return Number(BigInt.asIntN(64, BigInt(Math.trunc(num(l, op, 'modifier')))) & BigInt(Math.trunc(num(r, op, 'modifier'))));
      case '|':
        return Number(BigInt.asIntN(64, BigInt(Math.trunc(num(l, op, 'modifier')))) | BigInt(Math.trunc(num(r, op, 'modifier'))));
      case '^':
        return Number(BigInt.asIntN(64, BigInt(Math.trunc(num(l, op, 'modifier')))) ^ BigInt(Math.trunc(num(r, op, 'modifier'))));
      case '<<':
        return Number(BigInt.asIntN(64, BigInt(Math.trunc(num(l, op, 'modifier'))) << BigInt(Math.trunc(num(r, op, 'modifier')))));
      case '>>':
        return Number(BigInt(Math.trunc(num(l, op, 'modifier'))) >> BigInt(Math.trunc(num(r, op, 'modifier'))));
    }
    throw new EvalFault(`Unknown operator ${op}`);
  }
}

const condCache = new Map<string, Condition>();

/** Parses (cached) and evaluates a govaluate condition; bare words that are not parameters are strings, as in Argo's `when`. */
export function evaluateCondition(src: string, params?: Record<string, unknown>, opts?: ConditionOptions): unknown {
  if (opts) return new Condition(src, opts).evaluate(params);
  let c = condCache.get(src);
  if (!c) {
    c = new Condition(src);
    if (condCache.size >= 1000) condCache.delete(condCache.keys().next().value!);
    condCache.set(src, c);
  }
  return c.evaluate(params);
}

/** Argo's `when`: the condition must evaluate to a bool. */
export function evaluateWhen(src: string): boolean {
  let v: unknown;
  try {
    v = evaluateCondition(src);
  } catch (e) {
    if (e instanceof ExprError && e.reason.startsWith('Invalid token')) throw new ExprError(`Invalid 'when' expression '${src}': ${e.message} (hint: try wrapping the affected expression in quotes (")))`);
    throw e;
  }
  if (typeof v !== 'boolean') throw new ExprError(`Expected boolean evaluation for '${src}'. Got ${fmt(v)}`);
  return v;
}
