// Tree-walking executor implementing text/template execution semantics.
import { N, nodeString, type AnyNode, type ArgNode, type BranchNode, type ChainNode, type CommandNode, type FieldNode, type IdentifierNode, type ListNode, type Node, type NumberNode, type PipeNode, type TemplateNode, type Tree, type VariableNode } from './parse.js';
import { errorMessage, paramTypeName, type GoFunction, type ParamType } from './funcs.js';
import { formatValue, formatFloatV, quote } from './fmt.js';
import { GoNum, elemType, hasOwn, intValue, isMap, mapKeys, truth, typeName } from './values.js';

export const enum MissingKey {
  Invalid,
  Zero,
  Error,
}

/** An error raised while executing a template. The message follows Go's format. */
export class ExecError extends Error {
  constructor(
    message: string,
    readonly templateName = '',
    readonly line = 0,
    readonly column = 0,
  ) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

export interface ExecEnv {
  lookup(name: string): Tree | undefined;
  func(name: string): GoFunction | undefined;
  builtin(name: string): GoFunction | undefined;
  missingKey: MissingKey;
  maxDepth: number;
  /** shared nesting counter (template calls + include) */
  depth: { n: number };
}

const MISSING: unique symbol = Symbol('missing');
type Final = unknown | typeof MISSING;

const CAN_BE_NIL: Record<string, boolean> = { any: true, map: true, list: true };

function lineCol(text: string, pos: number): [number, number] {
  let line = 1;
  let ls = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      ls = i + 1;
    }
  }
  return [line, Buffer.byteLength(text.slice(ls, pos), 'utf8')];
}

/** Go templates only see exported (upper-case) fields and methods of structs. */
function isExported(name: string): boolean {
  const c = name.charCodeAt(0);
  if (c >= 65 && c <= 90) return true;
  if (c < 128) return false;
  const ch = String.fromCodePoint(name.codePointAt(0)!);
  return ch !== ch.toLowerCase() && ch === ch.toUpperCase();
}

/** Own properties and class members, never Object.prototype members. */
function hasMember(obj: object, name: string): boolean {
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    if (hasOwn(o, name)) return true;
  }
  return false;
}

export class Executor {
  out = '';
  private vn: string[] = [];
  private vv: unknown[] = [];
  private vb: boolean[] = [];
  private node: AnyNode | null = null;
  private dotBoxed = false;

  constructor(
    private env: ExecEnv,
    private tree: Tree,
  ) {}

  run(data: unknown): string {
    if (data === null) data = undefined;
    this.vn = ['$'];
    this.vv = [data];
    this.vb = [false];
    const d = this.env.depth;
    if (d.n >= this.env.maxDepth) {
      throw new ExecError(`template: ${this.tree.name}: exceeded maximum template depth (${this.env.maxDepth})`, this.tree.name);
    }
    d.n++;
    try {
      this.walk(data, this.tree.root);
    } catch (e) {
      if (e instanceof RangeError && /call stack/i.test(e.message)) this.errorf(`exceeded maximum template depth (${this.env.maxDepth})`);
      throw e;
    } finally {
      d.n--;
    }
    return this.out;
  }

  // ---- errors

  errorf(msg: string): never {
    const tree = this.tree;
    if (!this.node) throw new ExecError(`template: ${tree.name}: ${msg}`, tree.name);
    const [line, col] = lineCol(tree.text, this.node.pos);
    let ctx = nodeString(this.node);
    if (ctx.length > 20) ctx = ctx.slice(0, 20) + '...';
    throw new ExecError(`template: ${tree.parseName}:${line}:${col}: executing ${JSON.stringify(tree.name)} at <${ctx}>: ${msg}`, tree.name, line, col);
  }

  // ---- variables

  private push(name: string, v: unknown, boxed: boolean): void {
    this.vn.push(name);
    this.vv.push(v);
    this.vb.push(boxed);
  }
  private pop(mark: number): void {
    this.vn.length = mark;
    this.vv.length = mark;
    this.vb.length = mark;
  }
  private setVar(name: string, v: unknown): void {
    for (let i = this.vn.length - 1; i >= 0; i--) {
      if (this.vn[i] === name) {
        this.vv[i] = v;
        this.vb[i] = false;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, v: unknown, boxed: boolean): void {
    const i = this.vn.length - n;
    this.vv[i] = v;
    this.vb[i] = boxed;
  }
  private varIndex(name: string): number {
    for (let i = this.vn.length - 1; i >= 0; i--) if (this.vn[i] === name) return i;
    this.errorf(`undefined variable: ${name}`);
  }

  // ---- walking

  /** Returns 0 normally, 1 on {{break}}, 2 on {{continue}}. */
  walk(dot: unknown, node: Node): number {
    switch (node.t) {
      case N.Text:
        this.out += node.text;
        return 0;
      case N.Action: {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, v);
        return 0;
      }
      case N.List: {
        const nodes = node.nodes;
        for (let i = 0; i < nodes.length; i++) {
          const r = this.walk(dot, nodes[i]!);
          if (r !== 0) return r;
        }
        return 0;
      }
      case N.If:
      case N.With:
        return this.walkIfOrWith(dot, node);
      case N.Range:
        return this.walkRange(dot, node);
      case N.Template:
        this.walkTemplate(dot, node);
        return 0;
      case N.Break:
        return 1;
      case N.Continue:
        return 2;
      case N.Comment:
        return 0;
      default:
        this.node = node;
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private printValue(node: AnyNode, v: unknown): void {
    switch (typeof v) {
      case 'string':
        this.out += v;
        return;
      case 'bigint':
        this.out += v.toString();
        return;
      case 'number':
        this.out += formatFloatV(v);
        return;
      case 'boolean':
        this.out += v ? 'true' : 'false';
        return;
      case 'undefined':
        this.out += '<no value>';
        return;
      case 'function':
        this.node = node;
        this.errorf(`can't print ${nodeString(node)} of type ${typeName(v)}`);
    }
    if (v === null) this.out += '<no value>';
    else this.out += formatValue(v);
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): number {
    const mark = this.vn.length;
    const val = this.evalPipeline(dot, node.pipe);
    let r = 0;
    if (truth(val)) {
      if (node.t === N.With) {
        const saved = this.dotBoxed;
        this.dotBoxed = false;
        r = this.walk(val, node.list);
        this.dotBoxed = saved;
      } else r = this.walk(dot, node.list);
    } else if (node.elseList) r = this.walk(dot, node.elseList);
    this.pop(mark);
    return r;
  }

  private iteration(node: BranchNode, index: unknown, elem: unknown, boxed: boolean): number {
    const decl = node.pipe.decl;
    if (decl.length > 0) {
      if (node.pipe.isAssign) {
        if (decl.length > 1) {
          this.setVar(decl[0]!.idents[0]!, index);
          this.setVar(decl[1]!.idents[0]!, elem);
        } else this.setVar(decl[0]!.idents[0]!, elem);
      } else {
        this.setTopVar(1, elem, boxed);
        if (decl.length > 1) this.setTopVar(2, index, false);
      }
    }
    const mark = this.vn.length;
    const saved = this.dotBoxed;
    this.dotBoxed = boxed;
    const r = this.walk(elem, node.list);
    this.dotBoxed = saved;
    this.pop(mark);
    return r;
  }

  private walkRange(dot: unknown, node: BranchNode): number {
    this.node = node;
    const mark = this.vn.length;
    const val = this.evalPipeline(dot, node.pipe);
    let ran = false;
    if (Array.isArray(val)) {
      const boxed = elemType(val) === undefined;
      for (let i = 0; i < val.length; i++) {
        ran = true;
        const e = val[i];
        if (this.iteration(node, BigInt(i), e === undefined ? null : e, boxed) === 1) break;
      }
    } else if (isMap(val)) {
      const keys = mapKeys(val);
      for (const k of keys) {
        ran = true;
        const e = val[k];
        if (this.iteration(node, k, e === undefined ? null : e, true) === 1) break;
      }
    } else if (val === undefined || val === null) {
      // nothing to iterate: run else
    } else {
      const n = intValue(val);
      if (n !== undefined) {
        if (node.pipe.decl.length > 1) {
          this.node = node;
          this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
        }
        for (let i = 0n; i < n; i++) {
          ran = true;
          const iv = val instanceof GoNum ? new GoNum(val.type, i) : i;
          if (this.iteration(node, iv, iv, false) === 1) break;
        }
      } else {
        this.node = node;
        this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
    }
    let r = 0;
    if (!ran && node.elseList) r = this.walk(dot, node.elseList);
    this.pop(mark);
    return r;
  }

  private walkTemplate(dot: unknown, node: TemplateNode): void {
    this.node = node;
    const tree = this.env.lookup(node.name);
    if (!tree) this.errorf(`template ${JSON.stringify(node.name)} not defined`);
    const d = this.env.depth;
    if (d.n >= this.env.maxDepth) this.errorf(`exceeded maximum template depth (${this.env.maxDepth})`);
    const newDot = node.pipe ? this.evalPipeline(dot, node.pipe) : undefined;
    const sTree = this.tree;
    const sn = this.vn;
    const sv = this.vv;
    const sb = this.vb;
    const sBoxed = this.dotBoxed;
    this.tree = tree;
    this.vn = ['$'];
    this.vv = [newDot];
    this.vb = [false];
    this.dotBoxed = false;
    d.n++;
    try {
      this.walk(newDot, tree.root);
    } finally {
      d.n--;
      this.tree = sTree;
      this.vn = sn;
      this.vv = sv;
      this.vb = sb;
      this.dotBoxed = sBoxed;
    }
  }

  // ---- evaluation

  evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.node = pipe;
    let value: unknown = MISSING;
    const cmds = pipe.cmds;
    for (let i = 0; i < cmds.length; i++) {
      value = this.evalCommand(dot, cmds[i]!, value);
      // a nil interface{} result becomes "no value"
      if (value === null) value = undefined;
    }
    const decl = pipe.decl;
    for (let i = 0; i < decl.length; i++) {
      const name = decl[i]!.idents[0]!;
      if (pipe.isAssign) this.setVar(name, value);
      else this.push(name, value, false);
    }
    return value;
  }

  private notAFunction(args: ArgNode[] | null, final: Final): void {
    if ((args && args.length > 1) || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString(args![0]!)}`);
    }
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.t) {
      case N.Field:
        return this.evalFieldNode(dot, first, cmd.args, final);
      case N.Chain:
        return this.evalChainNode(dot, first, cmd.args, final);
      case N.Identifier:
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case N.Pipe:
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case N.Variable:
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.node = first;
    this.notAFunction(cmd.args, final);
    switch (first.t) {
      case N.Bool:
        return first.v;
      case N.Dot:
        return dot;
      case N.Nil:
        this.errorf('nil is not a command');
      case N.Number:
        return this.idealConstant(first);
      case N.String:
        return first.text;
    }
  }

  private idealConstant(n: NumberNode): unknown {
    this.node = n;
    if (n.isComplex) this.errorf(`complex constants are not supported: ${n.text}`);
    if (n.ideal === undefined) this.errorf(`${n.text} overflows int`);
    return n.ideal;
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: ArgNode[] | null, final: Final): unknown {
    this.node = field;
    return this.evalFieldChain(dot, dot, this.dotBoxed, field, field.idents, 0, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: ArgNode[] | null, final: Final): unknown {
    this.node = chain;
    if (chain.node.t === N.Nil) this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    let pipe = this.evalArg(dot, 'value', chain.node);
    if (pipe === null && chain.node.t === N.Pipe) pipe = undefined;
    this.node = chain;
    return this.evalFieldChain(dot, pipe, false, chain, chain.fields, 0, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: ArgNode[] | null, final: Final): unknown {
    this.node = v;
    const i = this.varIndex(v.idents[0]!);
    const value = this.vv[i];
    if (v.idents.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, this.vb[i]!, v, v.idents, 1, args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, boxed: boolean, node: AnyNode, idents: string[], start: number, args: ArgNode[] | null, final: Final): unknown {
    const n = idents.length;
    for (let i = start; i < n - 1; i++) {
      const r = receiver;
      receiver = this.evalField(dot, idents[i]!, node, null, MISSING, receiver, boxed);
      boxed = isMap(r);
    }
    return this.evalField(dot, idents[n - 1]!, node, args, final, receiver, boxed);
  }

  private evalField(dot: unknown, name: string, node: AnyNode, args: ArgNode[] | null, final: Final, receiver: unknown, boxed: boolean): unknown {
    if (receiver === undefined) {
      if (this.env.missingKey === MissingKey.Error) this.errorf(`nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (isMap(receiver)) {
      if (hasOwn(receiver, name)) {
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        const v = receiver[name];
        return v === undefined ? null : v;
      }
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      switch (this.env.missingKey) {
        case MissingKey.Invalid:
          return undefined;
        case MissingKey.Zero:
          return null;
        case MissingKey.Error:
          this.errorf(`map has no entry for key ${JSON.stringify(name)}`);
      }
    }
    if (typeof receiver === 'object' && !Array.isArray(receiver) && !(receiver instanceof GoNum) && isExported(name) && hasMember(receiver, name)) {
      const m = (receiver as Record<string, unknown>)[name];
      if (typeof m === 'function') {
        const bound = ((...a: unknown[]) => (m as (...x: unknown[]) => unknown).apply(receiver, a)) as GoFunction;
        bound.goSig = (m as GoFunction).goSig;
        return this.evalCall(dot, bound, false, node, name, args, final);
      }
      if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
      return m === undefined ? null : m;
    }
    this.errorf(`can't evaluate field ${name} in type ${boxed ? 'interface {}' : typeName(receiver)}`);
  }

  private evalFunction(dot: unknown, ident: IdentifierNode, cmd: AnyNode, args: ArgNode[] | null, final: Final): unknown {
    this.node = ident;
    const name = ident.name;
    let fn = this.env.func(name);
    let isBuiltin = false;
    if (!fn) {
      fn = this.env.builtin(name);
      isBuiltin = true;
    }
    if (!fn) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    return this.evalCall(dot, fn, isBuiltin, cmd, name, args, final);
  }

  private evalCall(dot: unknown, fn: GoFunction, isBuiltin: boolean, node: AnyNode, name: string, args: ArgNode[] | null, final: Final): unknown {
    const nArgs = args ? args.length - 1 : 0;
    const numIn = nArgs + (final !== MISSING ? 1 : 0);
    const sig = fn.goSig;
    let numFixed = 0;
    if (sig) {
      numFixed = sig.params.length;
      if (sig.variadic !== undefined) {
        if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${numIn}`);
      } else if (numIn !== numFixed) this.errorf(`wrong number of args for ${name}: want ${numFixed} got ${numIn}`);
    }
    if (isBuiltin && (name === 'and' || name === 'or')) {
      const isOr = name === 'or';
      let v: unknown;
      for (let i = 1; i <= nArgs; i++) {
        v = this.evalArg(dot, 'value', args![i]!);
        if (truth(v === null ? undefined : v) === isOr) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    const argv: unknown[] = new Array(numIn);
    for (let i = 0; i < nArgs; i++) {
      const pt: ParamType = sig ? (i < numFixed ? sig.params[i]! : sig.variadic!) : 'any';
      argv[i] = this.evalArg(dot, pt, args![i + 1]!);
    }
    if (final !== MISSING) {
      const pt: ParamType = sig ? (numIn - 1 < numFixed ? sig.params[numIn - 1]! : sig.variadic!) : 'any';
      argv[nArgs] = this.validateType(final, pt);
    }
    let res: unknown;
    try {
      res = fn(...argv);
    } catch (e) {
      if (e instanceof RangeError && /call stack/i.test(e.message)) throw e;
      this.node = node;
      this.errorf(`error calling ${name}: ${errorMessage(e)}`);
    }
    return res === undefined ? null : res;
  }

  private evalArg(dot: unknown, pt: ParamType, n: ArgNode): unknown {
    this.node = n;
    let v: unknown;
    switch (n.t) {
      case N.Dot:
        return pt === 'value' ? dot : this.validateType(dot, pt);
      case N.Nil:
        if (CAN_BE_NIL[pt]) return null;
        this.errorf(`cannot assign nil to ${paramTypeName(pt)}`);
      case N.Field:
        v = this.evalFieldNode(dot, n, [n], MISSING);
        return pt === 'value' ? v : this.validateType(v, pt);
      case N.Variable:
        v = this.evalVariableNode(dot, n, [n], MISSING);
        return pt === 'value' ? v : this.validateType(v, pt);
      case N.Pipe:
        v = this.evalPipeline(dot, n);
        return pt === 'value' ? v : this.validateType(v, pt);
      case N.Identifier:
        v = this.evalFunction(dot, n, n, null, MISSING);
        return pt === 'value' ? v : this.validateType(v, pt);
      case N.Chain:
        v = this.evalChainNode(dot, n, null, MISSING);
        return pt === 'value' ? v : this.validateType(v, pt);
    }
    this.node = n;
    switch (pt) {
      case 'bool':
        if (n.t === N.Bool) return n.v;
        this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'int':
      case 'int64':
      case 'uint32':
        if (n.t === N.Number && n.isInt) return Number(n.int);
        if (n.t === N.Number && pt === 'uint32' && n.isUint) return Number(n.int);
        this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'float64':
        if (n.t === N.Number && n.isFloat) return n.float;
        this.errorf(`expected float; found ${nodeString(n)}`);
      case 'string':
        if (n.t === N.String) return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      case 'any':
      case 'value':
        switch (n.t) {
          case N.Bool:
            return n.v;
          case N.Number:
            return this.idealConstant(n);
          case N.String:
            return n.text;
        }
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${paramTypeName(pt)}`);
  }

  private validateType(v: unknown, pt: ParamType): unknown {
    if (v === undefined) {
      if (pt === 'value') return undefined;
      if (CAN_BE_NIL[pt]) return null;
      this.errorf(`invalid value; expected ${paramTypeName(pt)}`);
    }
    if (v === null) {
      if (pt === 'any' || pt === 'value') return null;
      this.errorf(`wrong type for value; expected ${paramTypeName(pt)}; got interface {}`);
    }
    switch (pt) {
      case 'any':
      case 'value':
        return v;
      case 'string':
        if (typeof v === 'string') return v;
        break;
      case 'int':
        if (typeof v === 'bigint') return Number(v);
        break;
      case 'int64':
      case 'uint32':
        if (v instanceof GoNum && v.type === pt) return Number(v.v);
        break;
      case 'float64':
        if (typeof v === 'number') return v;
        break;
      case 'bool':
        if (typeof v === 'boolean') return v;
        break;
      case 'map':
        if (isMap(v) && typeName(v) === 'map[string]interface {}') return v;
        break;
      case 'list':
        if (Array.isArray(v) && elemType(v) === undefined) return v;
        break;
      case 'time':
        if (typeName(v) === 'time.Time') return v;
        break;
    }
    this.errorf(`wrong type for value; expected ${paramTypeName(pt)}; got ${typeName(v)}`);
  }
}

export { quote, ListNode };
