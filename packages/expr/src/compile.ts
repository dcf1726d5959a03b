// Compiles an expr AST into a tree of closures (compile once, run many).
import { GoTime } from '@flotilla/gotemplate';
import { PREDICATE_BUILTINS, type Node } from './ast.js';
import { BUILTINS } from './builtins.js';
import { EvalFault, ExprError, fault } from './errors.js';
import * as op from './ops.js';
import { compileRegex } from './regex.js';
import { parse } from './parser.js';
import { runPredicate, type Ctx, type Fn } from './predicates.js';
import { callMethod } from './methods.js';
import { describe, equal, hasOwn, isMap, norm } from './values.js';

export interface CompileOptions {
  /** Example environment: names it lacks are reported at compile time ("unknown name"). */
  env?: Record<string, unknown>;
  /** Extra functions callable by name, e.g. Argo's (see argoFunctions()). They take precedence over builtins. */
  functions?: Record<string, (...args: unknown[]) => unknown>;
  /** Unknown top-level names evaluate to nil instead of failing. */
  allowUndefinedVariables?: boolean;
}

export class Program {
  constructor(
    readonly source: string,
    readonly ast: Node,
    private readonly fn: Fn,
  ) {}
  /** Evaluates the program against an environment; values follow the model in values.ts. */
  run(env: Record<string, unknown> = {}): unknown {
    try {
      return this.fn({ env, vars: null, ptr: null, index: 0n, acc: null, inClosure: false });
    } catch (e) {
      if (e instanceof RangeError && /call stack/.test(e.message)) throw new ExprError('expression nested too deeply', this.source, 0);
      throw e;
    }
  }
}

export function compile(source: string, opts: CompileOptions = {}): Program {
  const ast = parse(source);
  const c = new Compiler(source, opts);
  try {
    return new Program(source, ast, c.node(ast, new Set(), false));
  } catch (e) {
    if (e instanceof RangeError && /call stack/.test(e.message)) throw new ExprError('expression nested too deeply', source, 0);
    throw e;
  }
}

class Compiler {
  constructor(
    private readonly src: string,
    private readonly opts: CompileOptions,
  ) {}

  private err(msg: string, pos: number): never {
    throw new ExprError(msg, this.src, pos);
  }

  /** Wraps a closure so faults carry the node's position. */
  private guard(pos: number, f: Fn): Fn {
    const src = this.src;
    return (c) => {
      try {
        return f(c);
      } catch (e) {
        if (e instanceof ExprError) throw e;
        if (e instanceof RangeError && /call stack/.test(e.message)) throw new ExprError('expression nested too deeply', src, pos);
        throw new ExprError(e instanceof Error ? e.message : String(e), src, pos);
      }
    };
  }

  node(n: Node, lets: Set<string>, nilSafe: boolean): Fn {
    switch (n.k) {
      case 'nil':
        return () => null;
      case 'bool':
      case 'int':
      case 'float':
      case 'str': {
        const v = n.v;
        return () => v;
      }
      case 'ident':
        return this.ident(n.name, n.pos, lets);
      case 'ptr': {
        const name = n.name;
        if (name === '') return (c) => c.ptr;
        if (name === 'index') return (c) => c.index;
        if (name === 'acc') return (c) => c.acc;
        return this.guard(n.pos, (c) => op.fetch(c.ptr, name));
      }
      case 'unary': {
        const x = this.node(n.x, lets, false);
        if (n.op === 'not') return this.guard(n.pos, (c) => !op.bool(x(c), '"not"'));
        if (n.op === '-') return this.guard(n.pos, (c) => op.negate(x(c)));
        return this.guard(n.pos, (c) => op.plus(x(c)));
      }
      case 'binary':
        return this.binary(n, lets);
      case 'cond': {
        const t = this.node(n.test, lets, false);
        const a = this.node(n.then, lets, false);
        const b = this.node(n.else, lets, false);
        const pos = n.test.pos;
        return (c) => {
          const v = t(c);
          if (typeof v !== 'boolean') this.err(`the condition of ?: must be a bool, got ${describe(v)}`, pos);
          return v ? a(c) : b(c);
        };
      }
      case 'member': {
        const obj = this.node(n.obj, lets, nilSafe);
        const optional = n.optional || nilSafe;
        if (n.prop.k === 'str') {
          const key = n.prop.v;
          return this.guard(n.pos, (c) => {
            const o = obj(c);
            if (o === null && optional) return null;
            return op.fetch(o, key);
          });
        }
        const key = this.node(n.prop, lets, false);
        return this.guard(n.pos, (c) => {
          const o = obj(c);
          if (o === null && optional) return null;
          return op.fetch(o, key(c));
        });
      }
      case 'slice': {
        const obj = this.node(n.obj, lets, false);
        const from = n.from ? this.node(n.from, lets, false) : undefined;
        const to = n.to ? this.node(n.to, lets, false) : undefined;
        return this.guard(n.pos, (c) => op.slice(obj(c), from?.(c), to?.(c)));
      }
      case 'array': {
        const items = n.items.map((x) => this.node(x, lets, false));
        return (c) => items.map((f) => f(c));
      }
      case 'map': {
        const entries = n.entries.map(([k, v]) => [this.node(k, lets, false), this.node(v, lets, false)] as const);
        return this.guard(n.pos, (c) => {
          const o: Record<string, unknown> = {};
          for (const [k, v] of entries) {
            const key = k(c);
            if (typeof key !== 'string') fault(`map keys must be strings, got ${describe(key)}`);
            o[key] = v(c);
          }
          return o;
        });
      }
      case 'let': {
        const value = this.node(n.value, lets, false);
        const inner = new Set(lets).add(n.name);
        const body = this.node(n.body, inner, false);
        const name = n.name;
        return (c) => {
          const vars = Object.create(c.vars) as Record<string, unknown>;
          vars[name] = value(c);
          return body({ ...c, vars });
        };
      }
      case 'closure':
        return this.node(n.body, lets, false);
      case 'call':
        return this.call(n, lets);
    }
  }

  private ident(name: string, pos: number, lets: Set<string>): Fn {
    if (lets.has(name)) return (c) => c.vars![name];
    if (name === '$env') return (c) => c.env;
    const { env, allowUndefinedVariables, functions } = this.opts;
    if (env && !hasOwn(env, name) && !allowUndefinedVariables && !(functions && hasOwn(functions, name))) this.err(`unknown name ${name}`, pos);
    if (functions && hasOwn(functions, name)) {
      const f = functions[name];
      return (c) => (hasOwn(c.env, name) ? norm(c.env[name]) : f);
    }
    return (c) => {
      const e = c.env;
      if (hasOwn(e, name)) {
        const v = e[name];
        return v === undefined ? null : norm(v);
      }
      if (allowUndefinedVariables) return null;
      this.err(`unknown name ${name}`, pos);
    };
  }

  private binary(n: Extract<Node, { k: 'binary' }>, lets: Set<string>): Fn {
    const l = this.node(n.l, lets, n.op === '??');
    const r = this.node(n.r, lets, false);
    const g = (f: (a: unknown, b: unknown) => unknown): Fn => this.guard(n.pos, (c) => f(l(c), r(c)));
    switch (n.op) {
      case 'or':
      case '||':
        return this.guard(n.pos, (c) => op.bool(l(c), `"${n.op}"`) || op.bool(r(c), `"${n.op}"`));
      case 'and':
      case '&&':
        return this.guard(n.pos, (c) => op.bool(l(c), `"${n.op}"`) && op.bool(r(c), `"${n.op}"`));
      case '??':
        return (c) => {
          const v = l(c);
          return v === null || v === undefined ? r(c) : v;
        };
      case '==':
        return (c) => equal(l(c), r(c));
      case '!=':
        return (c) => !equal(l(c), r(c));
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const o = n.op;
        return g((a, b) => op.cmp(o, a, b));
      }
      case '+':
        return g(op.add);
      case '-':
        return g(op.sub);
      case '*':
        return g(op.mul);
      case '/':
        return g(op.div);
      case '%':
        return g(op.mod);
      case '**':
      case '^':
        return g(op.pow);
      case 'in':
        return g(op.inOp);
      case 'contains':
        return g(op.contains);
      case 'startsWith':
        return g(op.startsWith);
      case 'endsWith':
        return g(op.endsWith);
      case 'matches': {
        if (n.r.k === 'str') {
          let re: RegExp;
          try {
            re = compileRegex(n.r.v);
          } catch (e) {
            this.err((e as Error).message, n.r.pos);
          }
          return g((a, b) => op.matches(a, b, re));
        }
        return g((a, b) => op.matches(a, b));
      }
      case '..':
        return g(op.range);
    }
    this.err(`unknown operator ${n.op}`, n.pos);
  }

  private call(n: Extract<Node, { k: 'call' }>, lets: Set<string>): Fn {
    const callee = n.callee;
    if (callee.k === 'member' && callee.method && callee.prop.k === 'str') {
      const obj = this.node(callee.obj, lets, false);
      const args = n.args.map((a) => this.node(a, lets, false));
      const name = callee.prop.v;
      const optional = callee.optional;
      return this.guard(callee.pos, (c) => {
        const o = obj(c);
        if (o === null && optional) return null;
        return callMethod(o, name, args.map((a) => a(c)));
      });
    }
    if (callee.k === 'ident' && !lets.has(callee.name)) {
      const name = callee.name;
      const fns = this.opts.functions;
      const env = this.opts.env;
      if (fns && hasOwn(fns, name)) {
        const f = fns[name]!;
        const args = n.args.map((a) => this.node(a, lets, false));
        return this.guard(n.pos, (c) => norm(f(...args.map((a) => a(c)))));
      }
      if (!(env && hasOwn(env, name))) {
        if (PREDICATE_BUILTINS.has(name)) return this.predicate(n, name, lets);
        const b = BUILTINS[name];
        if (b) {
          if (n.args.length < b.min) this.err(`not enough arguments to call ${name}`, n.pos);
          if (n.args.length > b.max) this.err(`too many arguments to call ${name}`, n.pos);
          const args = n.args.map((a) => this.node(a, lets, false));
          const fn = b.fn;
          if (args.length === 1) {
            const a0 = args[0]!;
            return this.guard(n.pos, (c) => fn(a0(c)));
          }
          return this.guard(n.pos, (c) => fn(...args.map((a) => a(c))));
        }
        if (env && !this.opts.allowUndefinedVariables) this.err(`unknown func ${name}`, n.pos);
      }
    }
    const f = this.node(callee, lets, false);
    const args = n.args.map((a) => this.node(a, lets, false));
    const label = callee.k === 'ident' ? callee.name : 'value';
    return this.guard(n.pos, (c) => {
      const fn = f(c);
      if (typeof fn !== 'function') fault(`${label} is not a function (it is ${describe(fn)})`);
      return norm((fn as (...a: unknown[]) => unknown)(...args.map((a) => a(c))));
    });
  }

  private predicate(n: Extract<Node, { k: 'call' }>, name: string, lets: Set<string>): Fn {
    const [a0, a1, ...rest] = n.args;
    const optionalPred = name === 'count' || name === 'sum';
    if (!a0 || (!a1 && !optionalPred)) this.err(`not enough arguments to call ${name}`, n.pos);
    const maxRest = name === 'reduce' || name === 'sortBy' ? 1 : 0;
    if (rest.length > maxRest) this.err(`too many arguments to call ${name}`, n.pos);
    const arr = this.node(a0, lets, false);
    let pred = a1 ? this.node(a1, lets, false) : undefined;
    // sortBy(users, "Age"): a string literal names the field to sort by
    if (name === 'sortBy' && a1?.k === 'closure' && a1.body.k === 'str') {
      const field = a1.body.v;
      pred = this.guard(a1.pos, (c) => op.fetch(c.ptr, field));
    }
    const others = rest.map((r) => this.node(r, lets, false));
    return this.guard(n.pos, (c) => runPredicate(name, c, arr(c), pred, others.map((o) => o(c))));
  }
}

export { EvalFault, GoTime, isMap };
