// {{…}} substitution (simple tags and Argo's {{=expr}} expression tags) and small value helpers.
import { expandEnv, renderExpressionTags } from '@flotilla/expr';

/** A scope of variables: flat dotted names → string values (raw values for `item` in expressions). */
export type Scope = Record<string, unknown>;

const SIMPLE = /\{\{\s*([^{}=\s][^{}]*?)\s*\}\}/g;
const WHOLE_NAME = /\{\{=\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

export class SubstitutionError extends Error {}

/** Replaces `{{name}}` tags known to the scope and evaluates `{{=expr}}` tags; unknown names stay verbatim
 * (they are resolved later, e.g. `{{steps.x.outputs.result}}` inside a steps template), unless strict. */
export function substitute(s: string, scope: Scope, opts: { strict?: boolean; exprEnv?: Record<string, unknown> } = {}): string {
  let out = s;
  if (out.includes('{{=')) {
    // `{{=inputs.parameters.numeric-result}}`: an expression that is just a variable's name is that variable,
    // hyphens and all (expr would read `numeric - result`), as upstream's newer substitution has it
    out = out.replace(WHOLE_NAME, (m, name: string) => (Object.prototype.hasOwnProperty.call(scope, name) ? str(scope[name]) : m));
  }
  if (out.includes('{{=')) {
    const env = opts.exprEnv ?? exprEnv(scope);
    out = renderExpressionTags(out, env, { allowUnresolved: !opts.strict });
  }
  return out.replace(SIMPLE, (m, name: string) => {
    if (Object.prototype.hasOwnProperty.call(scope, name)) return str(scope[name]);
    if (opts.strict) throw new SubstitutionError(`failed to resolve {{${name}}}`);
    return m;
  });
}

/** The env of `{{=…}}` / `expression:` — dotted names nested into maps (`inputs.parameters.x`). */
export function exprEnv(scope: Scope): Record<string, unknown> {
  if (!(RAW_ITEM in scope)) return expandEnv(scope);
  const { [RAW_ITEM]: raw, ...rest } = scope;
  return { ...expandEnv(rest), item: raw }; // `item` keeps its JSON type in expressions
}

/** Scope key of a fan-out item's raw value (never reachable from a `{{…}}` tag). */
export const RAW_ITEM = '\u0000item';

/** Deep substitution of every string in a JSON value. */
export function substituteDeep<T>(v: T, scope: Scope, opts: { strict?: boolean } = {}): T {
  if (v === undefined || v === null) return v;
  let env: Record<string, unknown> | undefined;
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') {
      if (!x.includes('{{')) return x;
      if (x.includes('{{=')) env ??= exprEnv(scope);
      return substitute(x, scope, { ...opts, exprEnv: env });
    }
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) o[k] = walk(val);
      return o;
    }
    return x;
  };
  return walk(v) as T;
}

const mentionCache = new WeakMap<object, { json: string; words: Map<string, boolean> }>();

/** What is remembered of an object: its JSON, made once (templates are read-only within a pass), and the words asked about. */
function remembered(o: object): { json: string; words: Map<string, boolean> } {
  let m = mentionCache.get(o);
  if (!m) mentionCache.set(o, (m = { json: JSON.stringify(o), words: new Map() }));
  return m;
}

/** The JSON of `o`, made once per object. */
export function jsonOf(o: object): string {
  return remembered(o).json;
}

/** Whether the JSON of a template (or any object) contains `word` — remembered per object (templates are read-only
 * within a pass): a template without `{{` needs no scope to substitute, a DAG that never names `tasks` no task
 * variables. The object is serialized once, however many words are asked about. */
export function mentions(o: object, word: string): boolean {
  const m = remembered(o);
  let v = m.words.get(word);
  if (v === undefined) m.words.set(word, (v = m.json.includes(word)));
  return v;
}

export function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
}

/** Go-style durations ("1m30s", "10s", "2h") or a bare number of seconds → seconds. */
export function parseDuration(v: string | number | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'number') return v;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g;
  let total = 0;
  let matched = '';
  for (const m of v.trim().matchAll(re)) {
    const n = Number(m[1]);
    const unit = m[2]!;
    total += n * ({ ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[unit]!;
    matched += m[0];
  }
  if (matched !== v.trim()) throw new Error(`invalid duration ${JSON.stringify(v)}`);
  return total;
}
