// Template sets: a Go-like *template.Template collection of named templates sharing functions and options.
import { parseText, ParseError, isEmptyTree, lineAt, type ParseResult, type Tree } from './parse.js';
import { Executor, ExecError, MissingKey, type ExecEnv } from './exec.js';
import { builtins } from './builtins.js';
import { goFunc, type FuncMap, type GoFunction } from './funcs.js';
import { sprigFuncs, type SprigOptions } from './sprig/index.js';

export interface TemplateOptions {
  /** Install the Sprig function library (default true). */
  sprig?: boolean;
  /** Options for the Sprig library (environment for env/expandenv, clock). */
  sprigOptions?: SprigOptions;
  /** Extra functions (override Sprig and builtins). */
  funcs?: FuncMap;
  /** Go's Option("missingkey=..."): 'default' | 'invalid' | 'zero' | 'error'. */
  missingKey?: 'default' | 'invalid' | 'zero' | 'error';
  /** Action delimiters (default "{{", "}}"). */
  delims?: [string, string];
  /** Maximum nesting of template calls / includes (default 1000). */
  maxDepth?: number;
}

const BUILTINS = builtins();

// Parse results are immutable; cache them across sets (keyed by delimiters, name and text).
const parseCache = new Map<string, ParseResult>();
const PARSE_CACHE_MAX = 4096;

function cachedParse(name: string, text: string, left: string, right: string): ParseResult {
  const key = left + '\u0000' + right + '\u0000' + name + '\u0000' + text;
  let r = parseCache.get(key);
  if (r) return r;
  r = parseText(name, text, left, right);
  if (parseCache.size >= PARSE_CACHE_MAX) parseCache.delete(parseCache.keys().next().value as string);
  parseCache.set(key, r);
  return r;
}

/** Clears the process-wide parse cache. */
export function clearParseCache(): void {
  parseCache.clear();
}

/**
 * A set of named templates (Go's *template.Template "namespace").
 * Templates reference each other with {{template}} / {{block}} and Helm-style include.
 */
export class TemplateSet {
  private trees = new Map<string, Tree>();
  private fns = new Map<string, GoFunction>();
  private left = '{{';
  private right = '}}';
  private parent: TemplateSet | undefined;
  missingKey: MissingKey = MissingKey.Invalid;
  maxDepth = 1000;
  /** shared across a set and the overlays created from it, so include/tpl recursion is bounded */
  private depth = { n: 0 };

  constructor(opts: TemplateOptions = {}) {
    if (opts.sprig !== false) this.funcs(sprigFuncs(opts.sprigOptions));
    if (opts.funcs) this.funcs(opts.funcs);
    if (opts.missingKey) this.option(`missingkey=${opts.missingKey}`);
    if (opts.delims) this.delims(opts.delims[0], opts.delims[1]);
    if (opts.maxDepth) this.maxDepth = opts.maxDepth;
  }

  /** Adds or overrides functions. Must be called before parsing templates that use them. */
  funcs(map: FuncMap): this {
    for (const [k, f] of Object.entries(map)) {
      if (!/^[\p{L}_][\p{L}\p{Nd}_]*$/u.test(k)) throw new Error(`function name ${JSON.stringify(k)} is not a valid identifier`);
      if (typeof f !== 'function') throw new Error(`value for ${k} not a function`);
      this.fns.set(k, f);
    }
    return this;
  }

  /** Removes functions (e.g. Helm removes env/expandenv). */
  removeFuncs(...names: string[]): this {
    for (const n of names) this.fns.delete(n);
    return this;
  }

  /** Looks up a function (set functions first, then builtins). */
  func(name: string): GoFunction | undefined {
    return this.fns.get(name) ?? this.parent?.func(name);
  }

  hasFunc(name: string): boolean {
    return this.func(name) !== undefined || Object.prototype.hasOwnProperty.call(BUILTINS, name);
  }

  /** Go's Option: "missingkey=default|invalid|zero|error". */
  option(...opts: string[]): this {
    for (const o of opts) {
      switch (o) {
        case 'missingkey=default':
        case 'missingkey=invalid':
          this.missingKey = MissingKey.Invalid;
          break;
        case 'missingkey=zero':
          this.missingKey = MissingKey.Zero;
          break;
        case 'missingkey=error':
          this.missingKey = MissingKey.Error;
          break;
        default:
          throw new Error(o.startsWith('missingkey=') ? `unrecognized option: ${o}` : `unrecognized option: ${o}`);
      }
    }
    return this;
  }

  /** Sets the action delimiters for subsequent parse calls; empty strings mean the defaults. */
  delims(left: string, right: string): this {
    this.left = left || '{{';
    this.right = right || '}}';
    return this;
  }

  /**
   * Parses `text` as the body of template `name`; define/block actions add further templates.
   * Throws a ParseError with Go's message format on failure.
   */
  parse(name: string, text: string): this {
    const res = this.parseChecked(name, text);
    for (const [n, tree] of res.trees) this.addTree(n, tree);
    return this;
  }

  private parseChecked(name: string, text: string): ParseResult {
    let res: ParseResult;
    try {
      res = cachedParse(name, text, this.left, this.right);
    } catch (e) {
      if (e instanceof ParseError) this.checkFuncs(name, text, e.funcRefs);
      throw e;
    }
    this.checkFuncs(name, text, res.funcRefs);
    return res;
  }

  private checkFuncs(name: string, text: string, refs: { name: string; pos: number }[]): void {
    for (const r of refs) {
      if (!this.hasFunc(r.name)) {
        const line = lineAt(text, r.pos);
        throw new ParseError(`template: ${name}:${line}: function ${JSON.stringify(r.name)} not defined`, name, line);
      }
    }
  }

  /** Adds a parsed tree; like Go, an empty tree does not replace an existing definition. */
  addTree(name: string, tree: Tree): this {
    const old = this.trees.get(name);
    if (old && isEmpty(tree) && !isEmpty(old)) return this;
    this.trees.set(name, tree);
    return this;
  }

  /** Returns the named template, or undefined. */
  lookup(name: string): Template | undefined {
    return this.tree(name) ? new Template(this, name) : undefined;
  }

  /** Returns a template handle for `name` (it need not be defined yet). */
  template(name: string): Template {
    return new Template(this, name);
  }

  /** Names of all defined templates (sorted). */
  templateNames(): string[] {
    const names = new Set(this.trees.keys());
    if (this.parent) for (const n of this.parent.templateNames()) names.add(n);
    return [...names].sort();
  }

  tree(name: string): Tree | undefined {
    return this.trees.get(name) ?? this.parent?.tree(name);
  }

  /** Executes the named template with `data` as dot and returns the output. */
  execute(name: string, data?: unknown): string {
    const tree = this.tree(name);
    if (!tree) {
      if (this.trees.size === 0 && !this.parent) throw new ExecError(`template: ${name}: ${JSON.stringify(name)} is an incomplete or empty template`, name);
      throw new ExecError(`template: no template ${JSON.stringify(name)} associated with template ${JSON.stringify(name)}`, name);
    }
    const env: ExecEnv = {
      lookup: (n) => this.tree(n),
      func: (n) => this.func(n),
      builtin: (n) => BUILTINS[n],
      missingKey: this.missingKey,
      maxDepth: this.maxDepth,
      depth: this.depth,
    };
    return new Executor(env, tree).run(data);
  }

  /**
   * Creates an overlay set: it sees every template and function of this set, and templates
   * parsed into it (e.g. by `tpl`) do not leak back. Cheap: nothing is copied.
   */
  overlay(): TemplateSet {
    const o = new TemplateSet({ sprig: false });
    o.parent = this;
    o.left = this.left;
    o.right = this.right;
    o.missingKey = this.missingKey;
    o.maxDepth = this.maxDepth;
    o.depth = this.depth;
    return o;
  }

  /** A copy of this set (templates and functions copied; later changes are independent). */
  clone(): TemplateSet {
    const c = new TemplateSet({ sprig: false });
    for (const n of this.templateNames()) c.trees.set(n, this.tree(n)!);
    const chain: TemplateSet[] = [];
    for (let s: TemplateSet | undefined = this; s; s = s.parent) chain.unshift(s);
    for (const s of chain) for (const [k, f] of s.fns) c.fns.set(k, f);
    c.left = this.left;
    c.right = this.right;
    c.missingKey = this.missingKey;
    c.maxDepth = this.maxDepth;
    return c;
  }

  /**
   * Parses and executes `text` at runtime (Helm's `tpl`): the text can use every template of the
   * set, and its own defines stay local. Parse results are cached.
   */
  renderString(text: string, data?: unknown, name = 'tpl'): string {
    const o = this.overlay();
    o.parse(name, text);
    return o.execute(name, data);
  }
}

function isEmpty(t: Tree): boolean {
  return isEmptyTree(t.root);
}

/** A named template within a set. */
export class Template {
  constructor(
    readonly set: TemplateSet,
    readonly name: string,
  ) {}
  /** Parses text as this template's body (and any define'd templates). */
  parse(text: string): this {
    this.set.parse(this.name, text);
    return this;
  }
  execute(data?: unknown): string {
    return this.set.execute(this.name, data);
  }
  funcs(map: FuncMap): this {
    this.set.funcs(map);
    return this;
  }
  option(...opts: string[]): this {
    this.set.option(...opts);
    return this;
  }
  delims(left: string, right: string): this {
    this.set.delims(left, right);
    return this;
  }
  lookup(name: string): Template | undefined {
    return this.set.lookup(name);
  }
  templateNames(): string[] {
    return this.set.templateNames();
  }
  /** Creates a new template with the given name in the same set (Go's t.New(name)). */
  new(name: string): Template {
    return new Template(this.set, name);
  }
}

/** Creates a set, parses `text` as template `name` and returns it. */
export function parse(name: string, text: string, opts?: TemplateOptions): Template {
  const set = new TemplateSet(opts);
  set.parse(name, text);
  return new Template(set, name);
}

/**
 * Helm's `include`: executes a named template of the set into a string.
 * Install it with `set.funcs({ include: makeIncludeFunc(set) })`.
 */
export function makeIncludeFunc(set: TemplateSet): GoFunction {
  return goFunc(['string', 'any'], null, (name: string, data: unknown) => set.execute(name, data));
}

/**
 * Helm's `tpl`: parses and executes a string at runtime in the same set.
 * Install it with `set.funcs({ tpl: makeTplFunc(set) })`.
 */
export function makeTplFunc(set: TemplateSet, name = 'tpl'): GoFunction {
  return goFunc(['string', 'any'], null, (text: string, data: unknown) => set.renderString(text, data, name));
}
