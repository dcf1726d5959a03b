// Argo Workflows' additions to expr: asInt, asFloat, string, toJson, jsonpath and sprig.* (the Sprig
// library of @flotilla/gotemplate, adapted to this value model).
import { JSONPath } from 'jsonpath-plus';
import { sprigFuncs, type FuncMap, type GoFunction, type ParamType, type SprigOptions } from '@flotilla/gotemplate';
import { fault } from './errors.js';
import { parseFloatStr } from './builtins.js';
import { describe, hasOwn, isMap, norm, toJSONString, toStr } from './values.js';

export function asInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fault(`asInt: cannot convert ${describe(v)} to int`);
    return BigInt.asIntN(64, BigInt(Math.trunc(v)));
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (!/^[+-]?\d+$/.test(t)) fault(`asInt: cannot convert ${JSON.stringify(v)} to int`);
    return BigInt.asIntN(64, BigInt(t));
  }
  fault(`asInt: cannot convert ${describe(v)} to int`);
}

export function asFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return parseFloatStr(v, 'asFloat');
  fault(`asFloat: cannot convert ${describe(v)} to float`);
}

/** True when a JSONPath can only ever select one node (then jsonpath() returns it, not a list). */
function definite(path: string): boolean {
  return !/\*|\.\.|\?\(|\[[^\]]*[:,][^\]]*\]/.test(path);
}

export function jsonpath(json: unknown, path: unknown): unknown {
  if (typeof path !== 'string') fault(`jsonpath: the path must be a string, got ${describe(path)}`);
  let doc = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json) as unknown;
    } catch (e) {
      fault(`jsonpath: the document is not valid JSON: ${(e as Error).message}`);
    }
  }
  let res: unknown[];
  try {
    res = JSONPath({ path, json: doc as object, wrap: true, eval: 'safe' }) as unknown[];
  } catch (e) {
    fault(`jsonpath: invalid path ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
  if (!Array.isArray(res)) res = [];
  if (definite(path)) {
    if (res.length === 0) fault(`jsonpath: ${JSON.stringify(path)} matched nothing`);
    return res[0];
  }
  return res;
}

function toGo(v: unknown, pt: ParamType, fn: string, i: number): unknown {
  const bad = (): never => fault(`sprig.${fn}: argument ${i + 1} must be ${pt === 'list' ? 'an array' : pt}, got ${describe(v)}`);
  switch (pt) {
    case 'any':
    case 'value':
      return v;
    case 'string':
      return typeof v === 'string' ? v : bad();
    case 'int':
    case 'int64':
    case 'uint32':
      if (typeof v === 'bigint') return Number(v);
      return typeof v === 'number' && Number.isInteger(v) ? v : bad();
    case 'float64':
      return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : bad();
    case 'bool':
      return typeof v === 'boolean' ? v : bad();
    case 'map':
      return v === null || isMap(v) ? v : bad();
    case 'list':
      return v === null || Array.isArray(v) ? v : bad();
    case 'time':
      return v;
  }
}

/** Sprig's functions (from @flotilla/gotemplate) callable as `sprig.name(args…)`. */
export function sprigNamespace(opts: SprigOptions = {}): Record<string, (...args: unknown[]) => unknown> {
  const funcs: FuncMap = sprigFuncs(opts);
  const out: Record<string, (...args: unknown[]) => unknown> = Object.create(null);
  for (const [name, f] of Object.entries(funcs)) out[name] = adapt(name, f);
  return out;
}

function adapt(name: string, f: GoFunction): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    const sig = f.goSig;
    if (sig) {
      const fixed = sig.params.length;
      if (sig.variadic === undefined && args.length !== fixed) fault(`sprig.${name}: want ${fixed} arguments, got ${args.length}`);
      if (args.length < fixed) fault(`sprig.${name}: want at least ${fixed} arguments, got ${args.length}`);
      args = args.map((a, i) => toGo(a, i < fixed ? sig.params[i]! : sig.variadic!, name, i));
    }
    return norm(f(...args));
  };
}

export interface ArgoOptions extends SprigOptions {}

/**
 * Argo's function set, to pass as CompileOptions.functions (asInt, asFloat, jsonpath, toJson, toJSON)
 * plus the `sprig` namespace, which is a value: merge `argoEnv()` into the env or use evaluateArgo().
 */
export function argoFunctions(): Record<string, (...args: unknown[]) => unknown> {
  return {
    asInt: (v) => asInt(v),
    asFloat: (v) => asFloat(v),
    jsonpath: (j, p) => jsonpath(j, p),
    toJson: (v) => toJSONString(v),
    string: (v) => toStr(v),
    // upstream's newer expression examples encode with `base64(s)` (expr's own is toBase64)
    base64: (v) => Buffer.from(toStr(v), 'utf8').toString('base64'),
  };
}

let defaultSprig: Record<string, (...args: unknown[]) => unknown> | undefined;

/** Environment entries Argo adds: `sprig`. */
export function argoEnv(opts?: ArgoOptions): { sprig: Record<string, (...args: unknown[]) => unknown> } {
  if (!opts) return { sprig: (defaultSprig ??= sprigNamespace()) };
  return { sprig: sprigNamespace(opts) };
}

/**
 * Turns Argo's flat variable map ("steps.flip.outputs.result" → "heads") into nested maps, so
 * `steps.flip.outputs.result` resolves. A key that is both a value and a prefix of other keys keeps
 * the nested map (e.g. "workflow.parameters" beside "workflow.parameters.x").
 */
export function expandEnv(flat: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const keys = Object.keys(flat).sort((a, b) => a.split('.').length - b.split('.').length);
  for (const key of keys) {
    const parts = key.split('.');
    let m = root;
    for (const p of parts.slice(0, -1)) {
      if (!isMap(hasOwn(m, p) ? m[p] : undefined)) m[p] = {}; // a scalar at a shorter key gives way to the nested form
      m = m[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1]!;
    if (!(hasOwn(m, last) && isMap(m[last]))) m[last] = flat[key];
  }
  return root;
}

/** What `{{=expr}}` substitutes: strings as they are, everything else as JSON (Go's encoding). */
export function templateString(v: unknown): string {
  return typeof v === 'string' ? v : toJSONString(v);
}
