/**
 * Dependency filters (pure, except `script`, which runs Lua): data, exprs, context, time, script;
 * dataLogicalOperator / exprLogicalOperator inside a kind, filtersLogicalOperator across kinds.
 * A filter that cannot be evaluated (bad path, regex, expression, script) is an error naming it.
 */
import { evaluateCondition, parseCondition, compileRegex } from '@flotilla/expr';
import { runLua } from '@flotilla/lua';
import { getPath, resultString, validatePath } from './gjson.js';
import { renderTemplate } from './template.js';
import type { CloudEvent } from '../config.js';

export interface DataFilter {
  path: string;
  type: 'string' | 'number' | 'bool' | string;
  value: string[];
  comparator?: string;
  template?: string;
}
export interface ExprFilter {
  expr: string;
  fields: { name: string; path: string }[];
}
export interface TimeFilter {
  start: string;
  stop: string;
  timezone?: string;
}
export interface EventDependencyFilter {
  data?: DataFilter[];
  exprs?: ExprFilter[];
  context?: Partial<Record<'type' | 'subject' | 'source' | 'datacontenttype', string>>;
  time?: TimeFilter;
  script?: string;
  dataLogicalOperator?: string;
  exprLogicalOperator?: string;
}

export class FilterError extends Error {
  constructor(
    readonly filter: string,
    message: string,
  ) {
    super(`${filter}: ${message}`);
  }
}

const isOr = (op?: string) => String(op ?? '').toLowerCase() === 'or';

function regex(v: string, where: string): RegExp {
  try {
    return compileRegex(v);
  } catch (e) {
    throw new FilterError(where, `invalid regular expression ${JSON.stringify(v)}: ${(e as Error).message}`);
  }
}

/** One data filter against the event data. */
export function dataFilterPasses(f: DataFilter, data: unknown, i = 0): boolean {
  const where = `data filter #${i} (path ${JSON.stringify(f.path)})`;
  const bad = validatePath(f.path);
  if (bad) throw new FilterError(where, bad);
  if (!f.value?.length) throw new FilterError(where, 'no value');
  const r = getPath(data, f.path);
  if (!r.exists || r.value === null) return false;
  let str = resultString(r.value);
  if (f.template) {
    try {
      str = renderTemplate(f.template, { Input: r.value });
    } catch (e) {
      throw new FilterError(where, `template: ${(e as Error).message}`);
    }
  }
  const cmp = (f.comparator ?? '').trim();
  switch (String(f.type).toLowerCase()) {
    case 'string': {
      if (cmp && cmp !== '=' && cmp !== '!=') throw new FilterError(where, `comparator ${cmp} does not apply to strings`);
      return f.value.some((v) => regex(v, where).test(str) === (cmp !== '!='));
    }
    case 'bool': {
      const got = str === 'true' ? true : str === 'false' ? false : undefined;
      if (got === undefined) return false;
      return f.value.some((v) => {
        if (v !== 'true' && v !== 'false') throw new FilterError(where, `value ${JSON.stringify(v)} is not a bool`);
        return (got === (v === 'true')) === (cmp !== '!=');
      });
    }
    case 'number': {
      const got = Number(str);
      if (str.trim() === '' || Number.isNaN(got)) return false;
      return f.value.some((v) => {
        const want = Number(v);
        if (String(v).trim() === '' || Number.isNaN(want)) throw new FilterError(where, `value ${JSON.stringify(v)} is not a number`);
        switch (cmp) {
          case '':
          case '=':
          case '==':
            return got === want;
          case '!=':
            return got !== want;
          case '>':
            return got > want;
          case '>=':
            return got >= want;
          case '<':
            return got < want;
          case '<=':
            return got <= want;
          default:
            throw new FilterError(where, `unknown comparator ${cmp}`);
        }
      });
    }
    default:
      throw new FilterError(where, `unknown type ${JSON.stringify(f.type)} (string, number or bool)`);
  }
}

/** One exprs filter: the fields read by path become the expression's parameters (govaluate syntax). */
export function exprFilterPasses(f: ExprFilter, data: unknown, i = 0): boolean {
  const where = `exprs filter #${i} (${JSON.stringify(f.expr)})`;
  const params: Record<string, unknown> = {};
  for (const fld of f.fields ?? []) {
    const bad = validatePath(fld.path);
    if (bad) throw new FilterError(where, `field ${fld.name}: ${bad}`);
    const r = getPath(data, fld.path);
    if (!r.exists) return false;
    params[fld.name] = r.value;
  }
  let out: unknown;
  try {
    out = evaluateCondition(f.expr, params, { unknownVariables: 'error' });
  } catch (e) {
    throw new FilterError(where, (e as Error).message);
  }
  if (typeof out !== 'boolean') throw new FilterError(where, `the expression gives ${JSON.stringify(out)}, not a bool`);
  return out;
}

export function contextFilterPasses(c: EventDependencyFilter['context'], ev: CloudEvent): boolean {
  if (!c) return true;
  for (const k of ['type', 'subject', 'source', 'datacontenttype'] as const) if (c[k] && c[k] !== ev[k]) return false;
  return true;
}

const secs = (s: string, where: string) => {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(String(s).trim());
  if (!m) throw new FilterError(where, `${JSON.stringify(s)} is not HH:MM:SS`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
};

/** The time window (start ≤ t < stop; a stop before start wraps past midnight) in `timezone` (default UTC). */
export function timeFilterPasses(t: TimeFilter, at: Date): boolean {
  const where = 'time filter';
  const start = secs(t.start, where);
  const stop = secs(t.stop, where);
  let parts: Record<string, string>;
  try {
    parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: t.timezone || 'UTC', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
        .formatToParts(at)
        .map((p) => [p.type, p.value]),
    );
  } catch {
    throw new FilterError(where, `unknown timezone ${JSON.stringify(t.timezone)}`);
  }
  const now = Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
  return stop > start ? now >= start && now < stop : now >= start || now < stop;
}

export async function scriptFilterPasses(script: string, data: unknown): Promise<boolean> {
  let out: unknown;
  try {
    out = await runLua(script, { globals: { event: data ?? {} }, chunkName: 'filter.lua' });
  } catch (e) {
    throw new FilterError('script filter', (e as Error).message);
  }
  if (typeof out !== 'boolean') throw new FilterError('script filter', `the script returned ${JSON.stringify(out)}, not a boolean`);
  return out;
}

/** All filters of a dependency: true when the event passes. Throws FilterError for a broken filter. */
export async function filterEvent(f: EventDependencyFilter | undefined, ev: CloudEvent, filtersLogicalOperator?: string): Promise<boolean> {
  if (!f) return true;
  const results: boolean[] = [];
  if (f.data?.length) {
    const rs = f.data.map((d, i) => dataFilterPasses(d, ev.data, i));
    results.push(isOr(f.dataLogicalOperator) ? rs.some(Boolean) : rs.every(Boolean));
  }
  if (f.exprs?.length) {
    const rs = f.exprs.map((x, i) => exprFilterPasses(x, ev.data, i));
    results.push(isOr(f.exprLogicalOperator) ? rs.some(Boolean) : rs.every(Boolean));
  }
  if (f.context && Object.values(f.context).some(Boolean)) results.push(contextFilterPasses(f.context, ev));
  if (f.time?.start || f.time?.stop) results.push(timeFilterPasses(f.time, new Date(ev.time || Date.now())));
  if (f.script) results.push(await scriptFilterPasses(f.script, ev.data));
  if (!results.length) return true;
  return isOr(filtersLogicalOperator) ? results.some(Boolean) : results.every(Boolean);
}

/** Static checks at start (paths, regexes, comparators, expressions' syntax): the problems, each naming its filter. */
export function checkFilters(f: EventDependencyFilter | undefined): string[] {
  const out: string[] = [];
  f?.data?.forEach((d, i) => {
    const where = `data filter #${i} (path ${JSON.stringify(d.path)})`;
    const bad = validatePath(d.path);
    if (bad) out.push(`${where}: ${bad}`);
    if (!['string', 'number', 'bool'].includes(String(d.type).toLowerCase())) out.push(`${where}: unknown type ${JSON.stringify(d.type)}`);
    if (String(d.type).toLowerCase() === 'string')
      for (const v of d.value ?? [])
        try {
          compileRegex(v);
        } catch (e) {
          out.push(`${where}: invalid regular expression ${JSON.stringify(v)}: ${(e as Error).message}`);
        }
  });
  f?.exprs?.forEach((x, i) => {
    try {
      parseCondition(x.expr);
    } catch (e) {
      out.push(`exprs filter #${i} (${JSON.stringify(x.expr)}): ${(e as Error).message}`);
    }
    for (const fl of x.fields ?? []) {
      const bad = validatePath(fl.path);
      if (bad) out.push(`exprs filter #${i} field ${fl.name}: ${bad}`);
    }
  });
  if (f?.time) {
    try {
      timeFilterPasses(f.time, new Date());
    } catch (e) {
      out.push((e as Error).message);
    }
  }
  return out;
}
