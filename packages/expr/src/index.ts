// @flotilla/expr — the expr language (expr-lang/expr) with Argo's functions, and govaluate-style conditions.
import { compile, Program, type CompileOptions } from './compile.js';

export { compile, Program, type CompileOptions } from './compile.js';
export { parse } from './parser.js';
export type { Node } from './ast.js';
export { tokenize, type Token } from './lexer.js';
export { ExprError } from './errors.js';
export { Duration, typeOf, equal, toStr, toJSONString, toPlain } from './values.js';
export { compileRegex, translateRE2 } from './regex.js';

const cache = new Map<string, Program>();

/** Compiles (cached by source) and runs an expression against env. */
export function evaluate(source: string, env: Record<string, unknown> = {}, opts: Omit<CompileOptions, 'env'> = {}): unknown {
  const key = opts.functions || opts.allowUndefinedVariables ? undefined : source;
  let p = key === undefined ? undefined : cache.get(key);
  if (!p) {
    p = compile(source, opts);
    if (key !== undefined) {
      if (cache.size >= 1000) cache.delete(cache.keys().next().value!);
      cache.set(key, p);
    }
  }
  return p.run(env);
}

export { asInt, asFloat, jsonpath, sprigNamespace, argoFunctions, argoEnv, expandEnv, templateString, type ArgoOptions } from './argo.js';
import { argoEnv, argoFunctions, sprigNamespace } from './argo.js';
import { BUILTINS } from './builtins.js';
import { PREDICATE_BUILTINS } from './ast.js';

let argoFns: ReturnType<typeof argoFunctions> | undefined;

/**
 * Sprig's functions by their bare names too (`title("a b")`, `trunc(10, s)`), as upstream's newer expression
 * environment has them, where expr itself has no function of that name (expr's builtins and `sprig.*` stay as
 * they are); never `env` / `expandenv` (the controller's environment is not the workflow's).
 */
function sprigTopLevel(): Record<string, (...args: unknown[]) => unknown> {
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  for (const [k, f] of Object.entries(sprigNamespace())) {
    if (k === 'env' || k === 'expandenv' || hasOwnKey(BUILTINS, k) || PREDICATE_BUILTINS.has(k)) continue;
    out[k] = f;
  }
  return out;
}
const hasOwnKey = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const argoCache = new Map<string, Program>();

/** Compiles (cached) with Argo's functions and runs with `sprig` added to env — what Argo's `{{=…}}`, `expression:` and `when` (expr form) evaluate. */
export function evaluateArgo(source: string, env: Record<string, unknown> = {}): unknown {
  let p = argoCache.get(source);
  if (!p) {
    p = compile(source, { functions: (argoFns ??= { ...sprigTopLevel(), ...argoFunctions() }) });
    if (argoCache.size >= 1000) argoCache.delete(argoCache.keys().next().value!);
    argoCache.set(source, p);
  }
  return p.run({ ...argoEnv(), ...env });
}
export { evaluateCondition, evaluateWhen, parseCondition, Condition, type ConditionOptions, type GNode } from './govaluate.js';
export { findExpressionTags, replaceExpressionTags, type ExpressionTag } from './tags.js';
import { replaceExpressionTags } from './tags.js';
import { templateString } from './argo.js';

/** Argo's `{{=…}}` substitution in a string: each tag evaluated with Argo's functions, results as templateString(). */
export function renderExpressionTags(s: string, env: Record<string, unknown>, opts: { allowUnresolved?: boolean } = {}): string {
  return replaceExpressionTags(s, (body) => evaluateArgo(body, env), templateString, opts);
}
