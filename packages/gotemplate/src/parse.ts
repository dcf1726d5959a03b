// Parser for Go text/template syntax producing an AST, written from the package documentation.
import { lex, lineAt, T, type Token } from './lex.js';

export const enum N {
  Text,
  Action,
  If,
  Range,
  With,
  Template,
  Break,
  Continue,
  List,
  Comment,
  Pipe,
  Command,
  Field,
  Chain,
  Identifier,
  Variable,
  Dot,
  Nil,
  Bool,
  Number,
  String,
  // parse-time only
  Else,
  End,
}

export interface TextNode { t: N.Text; pos: number; text: string }
export interface CommentNode { t: N.Comment; pos: number; text: string }
export interface ListNode { t: N.List; pos: number; nodes: Node[] }
export interface ActionNode { t: N.Action; pos: number; line: number; pipe: PipeNode }
export interface BranchNode { t: N.If | N.With | N.Range; pos: number; line: number; pipe: PipeNode; list: ListNode; elseList: ListNode | null }
export interface TemplateNode { t: N.Template; pos: number; line: number; name: string; pipe: PipeNode | null }
export interface LoopCtlNode { t: N.Break | N.Continue; pos: number; line: number }
export interface ElseNode { t: N.Else; pos: number; line: number }
export interface EndNode { t: N.End; pos: number }
export interface PipeNode { t: N.Pipe; pos: number; line: number; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
export interface CommandNode { t: N.Command; pos: number; args: ArgNode[] }
export interface FieldNode { t: N.Field; pos: number; idents: string[] }
export interface ChainNode { t: N.Chain; pos: number; node: ArgNode; fields: string[] }
export interface IdentifierNode { t: N.Identifier; pos: number; name: string }
export interface VariableNode { t: N.Variable; pos: number; idents: string[] }
export interface DotNode { t: N.Dot; pos: number }
export interface NilNode { t: N.Nil; pos: number }
export interface BoolNode { t: N.Bool; pos: number; v: boolean }
export interface NumberNode {
  t: N.Number;
  pos: number;
  text: string;
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  isComplex: boolean;
  int: bigint;
  float: number;
  /** value used when passed as interface{} (Go's idealConstant): bigint or number */
  ideal: bigint | number | undefined;
}
export interface StringNode { t: N.String; pos: number; quoted: string; text: string }

export type ArgNode = FieldNode | ChainNode | IdentifierNode | VariableNode | DotNode | NilNode | BoolNode | NumberNode | StringNode | PipeNode;
export type Node = TextNode | CommentNode | ListNode | ActionNode | BranchNode | TemplateNode | LoopCtlNode | ElseNode | EndNode;
export type AnyNode = Node | ArgNode | CommandNode;

export interface Tree {
  name: string;
  /** name of the top-level template whose text contains this tree */
  parseName: string;
  text: string;
  root: ListNode;
}

export interface ParseResult {
  trees: Map<string, Tree>;
  /** function identifiers referenced, in source order, for the "function not defined" check */
  funcRefs: { name: string; pos: number }[];
}

export class ParseError extends Error {
  funcRefs: { name: string; pos: number }[] = [];
  constructor(message: string, readonly parseName = '', readonly line = 0) {
    super(message);
    this.name = 'TemplateParseError';
  }
}

// ---------------------------------------------------------------------------
// Node printing (Go's Node.String())

export function nodeString(n: AnyNode): string {
  switch (n.t) {
    case N.Text:
      return JSON.stringify(n.text);
    case N.Comment:
      return '{{' + n.text + '}}';
    case N.List:
      return n.nodes.map(nodeString).join('');
    case N.Action:
      return '{{' + nodeString(n.pipe) + '}}';
    case N.If:
    case N.With:
    case N.Range: {
      const kw = n.t === N.If ? 'if' : n.t === N.With ? 'with' : 'range';
      let s = '{{' + kw + ' ' + nodeString(n.pipe) + '}}' + nodeString(n.list);
      if (n.elseList) s += '{{else}}' + nodeString(n.elseList);
      return s + '{{end}}';
    }
    case N.Template:
      return n.pipe ? `{{template ${JSON.stringify(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${JSON.stringify(n.name)}}}`;
    case N.Break:
      return '{{break}}';
    case N.Continue:
      return '{{continue}}';
    case N.Else:
      return '{{else}}';
    case N.End:
      return '{{end}}';
    case N.Pipe: {
      let s = '';
      if (n.decl.length > 0) s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case N.Command:
      return n.args.map((a) => (a.t === N.Pipe ? '(' + nodeString(a) + ')' : nodeString(a))).join(' ');
    case N.Field:
      return '.' + n.idents.join('.');
    case N.Chain:
      return (n.node.t === N.Pipe ? '(' + nodeString(n.node) + ')' : nodeString(n.node)) + '.' + n.fields.join('.');
    case N.Identifier:
      return n.name;
    case N.Variable:
      return n.idents.join('.');
    case N.Dot:
      return '.';
    case N.Nil:
      return 'nil';
    case N.Bool:
      return n.v ? 'true' : 'false';
    case N.Number:
      return n.text;
    case N.String:
      return n.quoted;
  }
}

export function isEmptyTree(n: Node): boolean {
  switch (n.t) {
    case N.List:
      return n.nodes.every(isEmptyTree);
    case N.Text:
      return n.text.trim() === '';
    case N.Comment:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// String and number literal decoding (strconv.Unquote / ParseInt / ParseFloat semantics)

function hexVal(c: string): number {
  const v = parseInt(c, 16);
  return Number.isNaN(v) ? -1 : v;
}

/** Decodes a Go interpreted string / char literal body. Returns undefined if malformed. */
export function unquoteChars(body: string, quote: string): string | undefined {
  if (!body.includes('\\')) {
    if (quote === "'" && body.includes("'")) return undefined;
    return body;
  }
  const bytes: number[] = [];
  const pushStr = (s: string): void => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      pushStr(ch);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    switch (e) {
      case 'a': bytes.push(7); break;
      case 'b': bytes.push(8); break;
      case 'f': bytes.push(12); break;
      case 'n': bytes.push(10); break;
      case 'r': bytes.push(13); break;
      case 't': bytes.push(9); break;
      case 'v': bytes.push(11); break;
      case '\\': bytes.push(92); break;
      case "'":
      case '"':
        if (e !== quote) return undefined;
        bytes.push(e.charCodeAt(0));
        break;
      case 'x': {
        const h1 = hexVal(body[i] ?? 'g');
        const h2 = hexVal(body[i + 1] ?? 'g');
        if (h1 < 0 || h2 < 0) return undefined;
        bytes.push(h1 * 16 + h2);
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const len = e === 'u' ? 4 : 8;
        const h = body.slice(i, i + len);
        if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) return undefined;
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
        pushStr(String.fromCodePoint(cp));
        i += len;
        break;
      }
      default: {
        if (e !== undefined && e >= '0' && e <= '7') {
          const o = body.slice(i - 1, i + 2);
          if (!/^[0-7]{3}$/.test(o)) return undefined;
          const v = parseInt(o, 8);
          if (v > 255) return undefined;
          bytes.push(v);
          i += 2;
          break;
        }
        return undefined;
      }
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function unquote(s: string): string | undefined {
  if (s.length < 2) return undefined;
  const q = s[0]!;
  if (q !== s[s.length - 1]) return undefined;
  if (q === '`') return s.slice(1, -1).replace(/\r/g, '');
  if (q === '"') return unquoteChars(s.slice(1, -1), '"');
  return undefined;
}

function underscoreOK(s: string): boolean {
  // underscores must separate digits (or follow a base prefix)
  let i = 0;
  if (s[0] === '+' || s[0] === '-') i++;
  const body = s.slice(i);
  if (!body.includes('_')) return true;
  let hex = false;
  let j = 0;
  let saw = '^';
  if (body.length >= 2 && body[0] === '0' && /[xXbBoO]/.test(body[1]!)) {
    hex = /[xX]/.test(body[1]!);
    j = 2;
    saw = '0';
  }
  for (; j < body.length; j++) {
    const c = body[j]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** strconv.ParseInt(s, 0, 64)-style parse into a bigint (no range check). */
export function parseGoInt(s: string): bigint | undefined {
  if (s === '' || !underscoreOK(s)) return undefined;
  let neg = false;
  let i = 0;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    i = 1;
  }
  let body = s.slice(i).replace(/_/g, '');
  let prefix = '';
  if (/^0[xX]/.test(body)) {
    prefix = '0x';
    body = body.slice(2);
    if (!/^[0-9a-fA-F]+$/.test(body)) return undefined;
  } else if (/^0[bB]/.test(body)) {
    prefix = '0b';
    body = body.slice(2);
    if (!/^[01]+$/.test(body)) return undefined;
  } else if (/^0[oO]/.test(body)) {
    prefix = '0o';
    body = body.slice(2);
    if (!/^[0-7]+$/.test(body)) return undefined;
  } else if (/^0[0-9]/.test(body)) {
    prefix = '0o';
    body = body.slice(1);
    if (!/^[0-7]+$/.test(body)) return undefined;
  } else if (!/^[0-9]+$/.test(body)) return undefined;
  const v = BigInt(prefix + body);
  return neg ? -v : v;
}

/** strconv.ParseFloat(s, 64)-style parse. */
export function parseGoFloat(s: string): number | undefined {
  const t = s.trim() === s ? s : '';
  if (t === '') return undefined;
  const lower = t.toLowerCase();
  const m = /^([+-]?)(inf|infinity|nan)$/.exec(lower);
  if (m) return m[2] === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
  if (!underscoreOK(t)) return undefined;
  const body = t.replace(/_/g, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) return Number(body);
  const hm = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(body);
  if (hm && (hm[2] || hm[3])) {
    const intPart = hm[2] || '0';
    const frac = hm[3] ?? '';
    const mant = Number(BigInt('0x' + intPart + frac || '0'));
    const v = mant * Math.pow(2, Number(hm[4]) - 4 * frac.length);
    return hm[1] === '-' ? -v : v;
  }
  return undefined;
}

function newNumber(pos: number, text: string, typ: T): NumberNode | string {
  const n: NumberNode = { t: N.Number, pos, text, isInt: false, isUint: false, isFloat: false, isComplex: false, int: 0n, float: 0, ideal: undefined };
  if (typ === T.CharConstant) {
    const body = text.slice(1, -1);
    const s = unquoteChars(body, "'");
    if (s === undefined || [...s].length !== 1) return `malformed character constant: ${text}`;
    const cp = s.codePointAt(0)!;
    n.isInt = n.isUint = n.isFloat = true;
    n.int = BigInt(cp);
    n.float = cp;
    n.ideal = n.int;
    return n;
  }
  if (typ === T.Complex) {
    n.isComplex = true;
    return n;
  }
  if (text.endsWith('i')) {
    n.isComplex = true;
    return n;
  }
  const iv = parseGoInt(text);
  if (iv !== undefined) {
    if (iv >= 0n && iv <= UINT64_MAX) n.isUint = true;
    if (iv >= INT64_MIN && iv <= INT64_MAX) n.isInt = true;
    if (n.isInt || n.isUint) {
      n.int = iv;
      n.isFloat = true;
      n.float = Number(iv);
    }
  }
  if (!n.isInt && !n.isUint) {
    const f = parseGoFloat(text);
    if (f !== undefined && !/^[+-]?(inf|infinity|nan)$/i.test(text)) {
      if (!/[.eEpP]/.test(text)) return `integer overflow: ${JSON.stringify(text)}`;
      n.isFloat = true;
      n.float = f;
      if (Number.isInteger(f) && f >= -9223372036854775808 && f < 9223372036854775808) {
        n.isInt = true;
        n.int = BigInt(f);
      }
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) return `illegal number syntax: ${JSON.stringify(text)}`;
  // idealConstant
  const isHexInt = /^[+-]?0[xX]/.test(text) && !/[pP]/.test(text);
  if (n.isFloat && !isHexInt && /[.eEpP]/.test(text)) n.ideal = n.float;
  else if (n.isInt) n.ideal = n.int;
  else if (n.isUint) n.ideal = undefined; // overflows int
  else n.ideal = n.float;
  return n;
}

// ---------------------------------------------------------------------------
// Parser

function tokenString(tok: Token, text: string): string {
  if (tok.typ === T.EOF) return 'EOF';
  if (tok.typ === T.Error) return tok.msg;
  const val = text.slice(tok.pos, tok.end);
  if (tok.typ > T.Keyword || tok.typ === T.Nil) return `<${val}>`;
  if ([...val].length > 10) return JSON.stringify([...val].slice(0, 10).join('')) + '...';
  return JSON.stringify(val);
}

class Parser {
  toks: Token[];
  i = 0;
  cur: Token;
  vars: string[] = ['$'];
  rangeDepth = 0;
  /** offset of the current action's left delimiter, -1 outside actions */
  actionPos = -1;
  funcRefs: { name: string; pos: number }[] = [];

  constructor(
    private text: string,
    private treeName: string,
    private parseName: string,
    left: string,
    right: string,
    private trees: Map<string, Tree>,
  ) {
    this.toks = lex(text, left, right);
    this.cur = this.toks[0]!;
  }

  fail(msg: string): never {
    const line = lineAt(this.text, this.cur.pos);
    throw new ParseError(`template: ${this.parseName}:${line}: ${msg}`, this.parseName, line);
  }

  next(): Token {
    const t = this.toks[this.i] ?? this.toks[this.toks.length - 1]!;
    if (this.i < this.toks.length) this.i++;
    this.cur = t;
    return t;
  }
  backup(): void {
    this.i--;
  }
  peek(): Token {
    return this.toks[this.i] ?? this.toks[this.toks.length - 1]!;
  }
  val(t: Token): string {
    return this.text.slice(t.pos, t.end);
  }
  nextNonSpace(): Token {
    return this.next();
  }
  peekNonSpace(): Token {
    return this.peek();
  }
  expect(typ: T, context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }
  unexpected(tok: Token, context: string): never {
    if (tok.typ === T.Error) {
      let extra = '';
      if (this.actionPos >= 0) {
        const al = lineAt(this.text, this.actionPos);
        if (al !== lineAt(this.text, tok.pos)) {
          extra = ` in action started at ${this.parseName}:${al}`;
          if (tok.msg.endsWith(' action')) extra = extra.slice(' in action'.length);
        }
      }
      this.fail(tok.msg + extra);
    }
    this.fail(`unexpected ${tokenString(tok, this.text)} in ${context}`);
  }

  /** Parses the top-level template. */
  parse(): void {
    const root: ListNode = { t: N.List, pos: this.peek().pos, nodes: [] };
    while (this.peek().typ !== T.EOF) {
      if (this.peek().typ === T.LeftDelim) {
        const save = this.i;
        this.next();
        if (this.nextNonSpace().typ === T.Define) {
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.t === N.End || n.t === N.Else) this.fail(`unexpected ${nodeString(n)}`);
      if (n.t !== N.Comment) root.nodes.push(n);
    }
    this.add({ name: this.treeName, parseName: this.parseName, text: this.text, root });
  }

  add(tree: Tree): void {
    const old = this.trees.get(tree.name);
    if (!old || isEmptyTree(old.root)) {
      this.trees.set(tree.name, tree);
      return;
    }
    if (!isEmptyTree(tree.root)) this.fail(`template: multiple definition of template ${JSON.stringify(tree.name)}`);
  }

  parseTemplateName(tok: Token, context: string): string {
    if (tok.typ === T.String || tok.typ === T.RawString) {
      const s = unquote(this.val(tok));
      if (s === undefined) this.fail(`invalid syntax`);
      return s;
    }
    this.unexpected(tok, context);
  }

  parseDefinition(): void {
    const context = 'define clause';
    const name = this.parseTemplateName(this.nextNonSpace(), context);
    this.expect(T.RightDelim, context);
    const saveVars = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end.t !== N.End) this.fail(`unexpected ${nodeString(end)} in ${context}`);
    this.vars = saveVars;
    this.add({ name, parseName: this.parseName, text: this.text, root: list });
  }

  itemList(): [ListNode, Node] {
    const list: ListNode = { t: N.List, pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().typ !== T.EOF) {
      const n = this.textOrAction();
      if (n.t === N.End || n.t === N.Else) return [list, n];
      if (n.t !== N.Comment) list.nodes.push(n);
    }
    this.fail('unexpected EOF');
  }

  textOrAction(): Node {
    const tok = this.nextNonSpace();
    switch (tok.typ) {
      case T.Text:
        return { t: N.Text, pos: tok.pos, text: this.val(tok) };
      case T.LeftDelim: {
        this.actionPos = tok.pos;
        const n = this.action();
        this.actionPos = -1;
        return n;
      }
      case T.Comment:
        return { t: N.Comment, pos: tok.pos, text: this.val(tok) };
      default:
        this.unexpected(tok, 'input');
    }
  }

  action(): Node {
    const tok = this.nextNonSpace();
    switch (tok.typ) {
      case T.Block:
        return this.blockControl();
      case T.Break:
      case T.Continue: {
        const kw = tok.typ === T.Break ? 'break' : 'continue';
        const t2 = this.nextNonSpace();
        if (t2.typ !== T.RightDelim) this.unexpected(t2, `{{${kw}}}`);
        if (this.rangeDepth === 0) this.fail(`{{${kw}}} outside {{range}}`);
        return { t: tok.typ === T.Break ? N.Break : N.Continue, pos: tok.pos, line: 0 };
      }
      case T.Else: {
        const p = this.peekNonSpace();
        if (p.typ === T.If || p.typ === T.With) return { t: N.Else, pos: p.pos, line: 0 };
        const t2 = this.expect(T.RightDelim, 'else');
        return { t: N.Else, pos: t2.pos, line: 0 };
      }
      case T.End:
        return { t: N.End, pos: this.expect(T.RightDelim, 'end').pos };
      case T.If:
        return this.control(N.If, 'if');
      case T.Range:
        return this.control(N.Range, 'range');
      case T.With:
        return this.control(N.With, 'with');
      case T.Template:
        return this.templateControl();
    }
    this.backup();
    const t = this.peek();
    return { t: N.Action, pos: t.pos, line: 0, pipe: this.pipeline('command', T.RightDelim) };
  }

  control(kind: N.If | N.With | N.Range, context: string): BranchNode {
    const nvars = this.vars.length;
    const pipe = this.pipeline(context, T.RightDelim);
    if (kind === N.Range) this.rangeDepth++;
    let [list, next] = this.itemList();
    if (kind === N.Range) this.rangeDepth--;
    let elseList: ListNode | null = null;
    if (next.t === N.Else) {
      const p = this.peek();
      if ((kind === N.If && p.typ === T.If) || (kind === N.With && p.typ === T.With)) {
        this.next();
        elseList = { t: N.List, pos: next.pos, nodes: [this.control(kind, context)] };
      } else {
        [elseList, next] = this.itemList();
        if (next.t !== N.End) this.fail(`expected end; found ${nodeString(next)}`);
      }
    }
    this.vars.length = nvars;
    return { t: kind, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
  }

  templateControl(): TemplateNode {
    const context = 'template clause';
    const tok = this.nextNonSpace();
    const name = this.parseTemplateName(tok, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== T.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, T.RightDelim);
    }
    return { t: N.Template, pos: tok.pos, line: 0, name, pipe };
  }

  blockControl(): TemplateNode {
    const context = 'block clause';
    const tok = this.nextNonSpace();
    const name = this.parseTemplateName(tok, context);
    const pipe = this.pipeline(context, T.RightDelim);
    const saveVars = this.vars;
    const saveRange = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    const [list, end] = this.itemList();
    if (end.t !== N.End) this.fail(`unexpected ${nodeString(end)} in ${context}`);
    this.vars = saveVars;
    this.rangeDepth = saveRange;
    this.add({ name, parseName: this.parseName, text: this.text, root: list });
    return { t: N.Template, pos: tok.pos, line: 0, name, pipe };
  }

  pipeline(context: string, end: T): PipeNode {
    const tok = this.peekNonSpace();
    const pipe: PipeNode = { t: N.Pipe, pos: tok.pos, line: 0, isAssign: false, decl: [], cmds: [] };
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== T.Variable) break;
      const save = this.i;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.typ === T.Assign || next.typ === T.Declare) {
        pipe.isAssign = next.typ === T.Assign;
        this.nextNonSpace();
        pipe.decl.push({ t: N.Variable, pos: v.pos, idents: [this.val(v)] });
        this.vars.push(this.val(v));
      } else if (next.typ === T.Char && this.val(next) === ',') {
        this.nextNonSpace();
        pipe.decl.push({ t: N.Variable, pos: v.pos, idents: [this.val(v)] });
        this.vars.push(this.val(v));
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().typ;
          if (p === T.Variable || p === T.RightDelim || p === T.RightParen) continue decls;
          this.fail('range can only initialize variables');
        }
        this.fail(`too many declarations in ${context}`);
      } else {
        this.i = save;
      }
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`);
        for (let k = 1; k < pipe.cmds.length; k++) {
          const a = pipe.cmds[k]!.args[0]!;
          if (a.t === N.Bool || a.t === N.Dot || a.t === N.Nil || a.t === N.Number || a.t === N.String) {
            this.fail(`non executable command in pipeline stage ${k + 1}`);
          }
        }
        return pipe;
      }
      switch (t.typ) {
        case T.Bool:
        case T.CharConstant:
        case T.Complex:
        case T.Dot:
        case T.Field:
        case T.Identifier:
        case T.Number:
        case T.Nil:
        case T.RawString:
        case T.String:
        case T.Variable:
        case T.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  command(): CommandNode {
    const cmd: CommandNode = { t: N.Command, pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      const op = this.operand();
      if (op) cmd.args.push(op);
      const t = this.peek();
      if (t.typ === T.RightDelim || t.typ === T.RightParen) break;
      if (t.typ === T.Pipe) {
        this.next();
        break;
      }
      if (op && t.sp && t.typ !== T.Error && t.typ !== T.EOF) continue;
      this.next();
      this.unexpected(t, 'operand');
    }
    if (cmd.args.length === 0) this.fail('empty command');
    return cmd;
  }

  operand(): ArgNode | null {
    const node = this.term();
    if (!node) return null;
    if (this.peek().typ === T.Field && !this.peek().sp) {
      const pos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().typ === T.Field && !this.peek().sp) fields.push(this.val(this.next()).slice(1));
      switch (node.t) {
        case N.Field:
          return { t: N.Field, pos, idents: [...node.idents, ...fields] };
        case N.Variable:
          return { t: N.Variable, pos, idents: [...node.idents, ...fields] };
        case N.Bool:
        case N.String:
        case N.Number:
        case N.Nil:
        case N.Dot:
          this.fail(`unexpected . after term ${JSON.stringify(nodeString(node))}`);
        default:
          return { t: N.Chain, pos, node, fields };
      }
    }
    return node;
  }

  term(): ArgNode | null {
    const tok = this.nextNonSpace();
    switch (tok.typ) {
      case T.Identifier: {
        const name = this.val(tok);
        this.funcRefs.push({ name, pos: tok.pos });
        return { t: N.Identifier, pos: tok.pos, name };
      }
      case T.Dot:
        return { t: N.Dot, pos: tok.pos };
      case T.Nil:
        return { t: N.Nil, pos: tok.pos };
      case T.Variable: {
        const name = this.val(tok);
        if (!this.vars.includes(name)) this.fail(`undefined variable ${JSON.stringify(name)}`);
        return { t: N.Variable, pos: tok.pos, idents: [name] };
      }
      case T.Field:
        return { t: N.Field, pos: tok.pos, idents: [this.val(tok).slice(1)] };
      case T.Bool:
        return { t: N.Bool, pos: tok.pos, v: this.val(tok) === 'true' };
      case T.CharConstant:
      case T.Complex:
      case T.Number: {
        const n = newNumber(tok.pos, this.val(tok), tok.typ);
        if (typeof n === 'string') this.fail(n);
        return n;
      }
      case T.LeftParen:
        return this.pipeline('parenthesized pipeline', T.RightParen);
      case T.String:
      case T.RawString: {
        const quoted = this.val(tok);
        const s = unquote(quoted);
        if (s === undefined) this.fail('invalid syntax');
        return { t: N.String, pos: tok.pos, quoted, text: s };
      }
    }
    this.backup();
    return null;
  }
}

/**
 * Parses `text` as template `name`. Returns every tree defined by the text (the top-level one and
 * those created by define/block). Function existence is not checked here (see funcRefs).
 */
export { lineAt };

export function parseText(name: string, text: string, left = '{{', right = '}}'): ParseResult {
  const trees = new Map<string, Tree>();
  const p = new Parser(text, name, name, left || '{{', right || '}}', trees);
  try {
    p.parse();
  } catch (e) {
    if (e instanceof ParseError) e.funcRefs = p.funcRefs;
    throw e;
  }
  return { trees, funcRefs: p.funcRefs };
}
