// Pratt parser of the expr language: tokens → AST, errors with line:column.
import { ExprError } from './errors.js';
import { tokenize, type Token } from './lexer.js';
import { PREDICATE_BUILTINS, type Node } from './ast.js';

interface BinOp {
  prec: number;
  right?: boolean;
}

const BINARY: Record<string, BinOp> = {
  '|': { prec: 0 },
  or: { prec: 10 }, '||': { prec: 10 },
  and: { prec: 15 }, '&&': { prec: 15 },
  '==': { prec: 20 }, '!=': { prec: 20 }, '<': { prec: 20 }, '>': { prec: 20 }, '<=': { prec: 20 }, '>=': { prec: 20 },
  in: { prec: 20 }, matches: { prec: 20 }, contains: { prec: 20 }, startsWith: { prec: 20 }, endsWith: { prec: 20 },
  '..': { prec: 25 },
  '+': { prec: 30 }, '-': { prec: 30 },
  '*': { prec: 60 }, '/': { prec: 60 }, '%': { prec: 60 },
  '**': { prec: 100, right: true }, '^': { prec: 100, right: true },
  '??': { prec: 500 },
};
const UNARY: Record<string, number> = { not: 50, '!': 50, '-': 90, '+': 90 };
const MAX_DEPTH = 200;
const MAX_CHAIN = 2000;
const NEGATABLE = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith']);

export function parse(src: string): Node {
  return new Parser(src).parseProgram();
}

class Parser {
  private toks: Token[];
  private i = 0;
  /** depth of closures being parsed (for `#` and `.field`) */
  private closures = 0;
  /** nesting depth of sub-expressions */
  private depth = 0;

  constructor(private readonly src: string) {
    this.toks = tokenize(src);
  }

  private get t(): Token {
    return this.toks[this.i]!;
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private fail(msg: string, at: number = this.t.pos): never {
    throw new ExprError(msg, this.src, at);
  }
  private unexpected(t: Token = this.t): never {
    if (t.k === 'eof') this.fail('unexpected end of expression', t.pos);
    const text = t.k === 'str' ? JSON.stringify(t.v) : JSON.stringify(this.src.slice(t.pos, t.pos + Math.max(1, t.k === 'ptr' ? t.v.length + 1 : t.v.length)));
    this.fail(`unexpected token ${text}`, t.pos);
  }
  private is(k: Token['k'], v?: string): boolean {
    return this.t.k === k && (v === undefined || this.t.v === v);
  }
  private expect(k: Token['k'], v: string): Token {
    if (!this.is(k, v)) {
      if (this.t.k === 'eof') this.fail(`unexpected end of expression, expected ${JSON.stringify(v)}`);
      this.unexpected();
    }
    return this.toks[this.i++]!;
  }

  parseProgram(): Node {
    if (this.t.k === 'eof') this.fail('empty expression', 0);
    const n = this.expression(0);
    if ((this.t as Token).k !== 'eof') this.unexpected();
    return n;
  }

  expression(minPrec: number): Node {
    if (++this.depth > MAX_DEPTH) this.fail(`expression nested too deeply (more than ${MAX_DEPTH} levels)`);
    try {
      return this.expression0(minPrec);
    } finally {
      this.depth--;
    }
  }

  private expression0(minPrec: number): Node {
    if (this.is('op', 'let')) return this.letExpr();
    if (this.is('ident', 'if') && !(this.peek().k === 'op' && BINARY[this.peek().v]) && !this.peek().v.match(/^[.)\],]$/)) return this.ifExpr();
    let left = this.unaryOrPostfix();
    let chain = 0;
    for (;;) {
      const t = this.t;
      if (t.k !== 'op') break;
      let op = t.v;
      let negate = false;
      if (op === 'not' && this.peek().k === 'op' && NEGATABLE.has(this.peek().v)) {
        negate = true;
        op = this.peek().v;
      }
      const info = BINARY[op];
      if (!info || info.prec < minPrec) break;
      this.i += negate ? 2 : 1;
      if (op === '|') {
        left = this.pipe(left, t.pos);
        continue;
      }
      const right = this.expression(info.right ? info.prec : info.prec + 1);
      left = { k: 'binary', op, l: left, r: right, pos: t.pos };
      if (++chain > MAX_CHAIN) this.fail(`expression too long (more than ${MAX_CHAIN} operators in a row)`, t.pos);
      if (negate) left = { k: 'unary', op: 'not', x: left, pos: t.pos };
    }
    if (minPrec === 0 && this.is('op', '?')) {
      const pos = this.t.pos;
      this.i++;
      const then = this.expression(0);
      this.expect('op', ':');
      const otherwise = this.expression(0);
      return { k: 'cond', test: left, then, else: otherwise, pos };
    }
    return left;
  }

  private letExpr(): Node {
    const pos = this.t.pos;
    this.i++;
    if (this.t.k !== 'ident') this.fail(`expected a variable name after "let"`);
    const name = this.t.v;
    this.i++;
    this.expect('op', '=');
    const value = this.expression(0);
    this.expect('op', ';');
    const body = this.expression(0);
    return { k: 'let', name, value, body, pos };
  }

  /** `if cond { a } else { b }` (also `else if …`) */
  private ifExpr(): Node {
    const pos = this.t.pos;
    this.i++;
    const test = this.expression(0);
    const then = this.block();
    if (!this.is('ident', 'else')) this.fail('expected "else" after the "if" block');
    this.i++;
    const otherwise = this.is('ident', 'if') ? this.ifExpr() : this.block();
    return { k: 'cond', test, then, else: otherwise, pos };
  }

  private block(): Node {
    this.expect('bracket', '{');
    const e = this.expression(0);
    this.expect('bracket', '}');
    return e;
  }

  private pipe(left: Node, pos: number): Node {
    if (this.t.k !== 'ident') this.fail('expected a function call after the pipe "|"');
    const name = this.t.v;
    const npos = this.t.pos;
    this.i++;
    const callee: Node = { k: 'ident', name, pos: npos };
    let args: Node[] = [];
    if (this.is('bracket', '(')) args = this.args(name, 1);
    let call: Node = { k: 'call', callee, args: [left, ...args], pos };
    call = this.postfix(call);
    return call;
  }

  private unaryOrPostfix(): Node {
    const t = this.t;
    if (t.k === 'op' && UNARY[t.v] !== undefined) {
      this.i++;
      const x = this.expression(UNARY[t.v]!);
      if (t.v === '-' && (x.k === 'int' || x.k === 'float') && x.pos === t.pos + 1) {
        return x.k === 'int' ? { k: 'int', v: BigInt.asIntN(64, -x.v), pos: t.pos } : { k: 'float', v: -x.v, pos: t.pos };
      }
      return { k: 'unary', op: t.v === '!' ? 'not' : t.v, x, pos: t.pos };
    }
    return this.postfix(this.primary());
  }

  private primary(): Node {
    const t = this.t;
    switch (t.k) {
      case 'int':
        this.i++;
        return { k: 'int', v: t.num as bigint, pos: t.pos };
      case 'float':
        this.i++;
        return { k: 'float', v: t.num as number, pos: t.pos };
      case 'str':
        this.i++;
        return { k: 'str', v: t.v, pos: t.pos };
      case 'ptr':
        if (this.closures === 0 && t.v !== '') this.fail(`cannot use #${t.v} outside of a closure`);
        if (this.closures === 0) this.fail('cannot use pointer accessor outside predicate');
        if (t.v !== '' && t.v !== 'index' && t.v !== 'acc') this.fail(`unknown pointer #${t.v} (use #, #index or #acc)`);
        this.i++;
        return { k: 'ptr', name: t.v, pos: t.pos };
      case 'ident': {
        this.i++;
        if (t.v === 'nil') return { k: 'nil', pos: t.pos };
        if (t.v === 'true' || t.v === 'false') return { k: 'bool', v: t.v === 'true', pos: t.pos };
        const id: Node = { k: 'ident', name: t.v, pos: t.pos };
        if (this.is('bracket', '(')) return { k: 'call', callee: id, args: this.args(t.v, 0), pos: t.pos };
        return id;
      }
      case 'bracket':
        if (t.v === '(') {
          this.i++;
          const e = this.expression(0);
          this.expect('bracket', ')');
          return e;
        }
        if (t.v === '[') return this.arrayLit();
        if (t.v === '{') return this.mapLit();
        break;
      case 'op':
        // `.field` inside a closure is `#.field`
        if (t.v === '.' && this.closures > 0 && this.peek().k === 'ident') {
          this.i++;
          const name = this.t;
          this.i++;
          return { k: 'member', obj: { k: 'ptr', name: '', pos: t.pos }, prop: { k: 'str', v: name.v, pos: name.pos }, optional: false, pos: t.pos };
        }
        break;
    }
    this.unexpected();
  }

  private args(name: string, offset: number): Node[] {
    this.expect('bracket', '(');
    const args: Node[] = [];
    while (!this.is('bracket', ')')) {
      const idx = args.length + offset;
      if (PREDICATE_BUILTINS.has(name) && idx === 1) args.push(this.closure());
      else args.push(this.expression(0));
      if (!this.is('bracket', ')')) this.expect('op', ',');
    }
    this.i++;
    return args;
  }

  private closure(): Node {
    const pos = this.t.pos;
    this.closures++;
    let body: Node;
    if (this.is('bracket', '{')) {
      this.i++;
      body = this.expression(0);
      this.expect('bracket', '}');
    } else body = this.expression(0);
    this.closures--;
    return { k: 'closure', body, pos };
  }

  private arrayLit(): Node {
    const pos = this.t.pos;
    this.i++;
    const items: Node[] = [];
    while (!this.is('bracket', ']')) {
      items.push(this.expression(0));
      if (!this.is('bracket', ']')) this.expect('op', ',');
    }
    this.i++;
    return { k: 'array', items, pos };
  }

  private mapLit(): Node {
    const pos = this.t.pos;
    this.i++;
    const entries: [Node, Node][] = [];
    while (!this.is('bracket', '}')) {
      let key: Node;
      const t = this.t;
      if (t.k === 'ident' || (t.k === 'op' && /^[a-zA-Z]/.test(t.v))) {
        this.i++;
        key = { k: 'str', v: t.v, pos: t.pos };
      } else if (t.k === 'str') {
        this.i++;
        key = { k: 'str', v: t.v, pos: t.pos };
      } else if (t.k === 'int' || t.k === 'float') {
        this.i++;
        key = { k: 'str', v: String(t.num), pos: t.pos };
      } else if (this.is('bracket', '(')) {
        this.i++;
        key = this.expression(0);
        this.expect('bracket', ')');
      } else this.unexpected();
      this.expect('op', ':');
      entries.push([key, this.expression(0)]);
      if (!this.is('bracket', '}')) this.expect('op', ',');
    }
    this.i++;
    return { k: 'map', entries, pos };
  }

  private postfix(node: Node): Node {
    let optionalChain = false;
    for (;;) {
      const t = this.t;
      if (t.k === 'op' && (t.v === '.' || t.v === '?.')) {
        const optional = t.v === '?.';
        optionalChain ||= optional;
        this.i++;
        if (optional && this.is('bracket', '[')) {
          node = this.index(node, true);
          continue;
        }
        const name = this.t;
        if (name.k !== 'ident' && !(name.k === 'op' && /^[a-zA-Z]/.test(name.v))) {
          if (name.k === 'eof') this.fail('unexpected end of expression, expected a field name after "."');
          this.unexpected(name);
        }
        this.i++;
        const prop: Node = { k: 'str', v: name.v, pos: name.pos };
        if (this.is('bracket', '(')) {
          const args = this.args('', 0);
          node = { k: 'call', callee: { k: 'member', obj: node, prop, optional: optionalChain, method: true, pos: name.pos }, args, pos: name.pos };
        } else node = { k: 'member', obj: node, prop, optional: optionalChain, pos: name.pos };
        continue;
      }
      if (t.k === 'bracket' && t.v === '[') {
        node = this.index(node, optionalChain);
        continue;
      }
      if (t.k === 'bracket' && t.v === '(' && node.k !== 'ident') {
        node = { k: 'call', callee: node, args: this.args('', 0), pos: t.pos };
        continue;
      }
      return node;
    }
  }

  private index(obj: Node, optional: boolean): Node {
    const pos = this.t.pos;
    this.expect('bracket', '[');
    if (this.is('op', ':')) {
      this.i++;
      const to = this.is('bracket', ']') ? undefined : this.expression(0);
      this.expect('bracket', ']');
      return { k: 'slice', obj, to, pos };
    }
    const e = this.expression(0);
    if (this.is('op', ':')) {
      this.i++;
      const to = this.is('bracket', ']') ? undefined : this.expression(0);
      this.expect('bracket', ']');
      return { k: 'slice', obj, from: e, to, pos };
    }
    this.expect('bracket', ']');
    return { k: 'member', obj, prop: e, optional, pos };
  }
}
