/**
 * Resource template conditions (pure): `successCondition` / `failureCondition` as upstream writes
 * them — label-selector syntax over JSON paths of the object: comma-separated requirements
 * `path == v`, `path = v`, `path != v`, `path > n`, `path < n`, `path in (a, b)`,
 * `path notin (a, b)`, `path` (exists), `!path` (does not exist). Paths are dotted, with `[n]`
 * or `.n` list indexes and `\.` for a dot inside a key.
 */

export type Op = '==' | '!=' | '>' | '<' | 'in' | 'notin' | 'exists' | '!';
export interface Requirement {
  path: string[];
  op: Op;
  values: string[];
}

export class ConditionError extends Error {}

/** Splits on commas outside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

export function parsePath(p: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (ch === '\\' && p[i + 1] === '.') {
      cur += '.';
      i++;
    } else if (ch === '.') {
      parts.push(cur);
      cur = '';
    } else if (ch === '[') {
      const j = p.indexOf(']', i);
      if (j < 0) throw new ConditionError(`unclosed [ in path "${p}"`);
      if (cur) parts.push(cur);
      parts.push(p.slice(i + 1, j));
      cur = '';
      i = j;
      if (p[i + 1] === '.') i++;
    } else cur += ch;
  }
  if (cur) parts.push(cur);
  if (parts.some((x) => x === '')) throw new ConditionError(`invalid path "${p}"`);
  return parts;
}

/** Parses a condition into requirements; throws ConditionError naming the bad part. */
export function parseCondition(s: string): Requirement[] {
  const reqs: Requirement[] = [];
  for (const part of splitTop(s)) {
    let m = /^(\S+?)\s+(notin|in)\s*\((.*)\)$/.exec(part);
    if (m) {
      reqs.push({ path: parsePath(m[1]), op: m[2] as Op, values: m[3].split(',').map((x) => x.trim()).filter(Boolean) });
      continue;
    }
    m = /^([^=!<>\s]+)\s*(==|!=|=|>|<)\s*(.*)$/.exec(part);
    if (m) {
      if (m[3] === '') throw new ConditionError(`requirement "${part}" has no value`);
      const op = (m[2] === '=' ? '==' : m[2]) as Op;
      if ((op === '>' || op === '<') && Number.isNaN(Number(m[3]))) throw new ConditionError(`requirement "${part}": ${op} needs a number`);
      reqs.push({ path: parsePath(m[1]), op, values: [m[3].trim()] });
      continue;
    }
    m = /^(!?)([^\s=!<>()]+)$/.exec(part);
    if (m) {
      reqs.push({ path: parsePath(m[2]), op: m[1] ? '!' : 'exists', values: [] });
      continue;
    }
    throw new ConditionError(`cannot parse requirement "${part}" of condition "${s}"`);
  }
  if (!reqs.length) throw new ConditionError(`empty condition "${s}"`);
  return reqs;
}

export function lookup(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur)) cur = /^\d+$/.test(p) ? cur[Number(p)] : undefined;
    else if (typeof cur === 'object') cur = (cur as Record<string, unknown>)[p];
    else return undefined;
  }
  return cur;
}

const str = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** Whether every requirement holds for the object. */
export function matches(reqs: Requirement[], obj: unknown): boolean {
  return reqs.every((r) => {
    const v = lookup(obj, r.path);
    switch (r.op) {
      case 'exists':
        return v !== undefined;
      case '!':
        return v === undefined;
      case '==':
        return v !== undefined && str(v) === r.values[0];
      case '!=':
        return v === undefined || str(v) !== r.values[0];
      case 'in':
        return v !== undefined && r.values.includes(str(v));
      case 'notin':
        return v === undefined || !r.values.includes(str(v));
      case '>':
      case '<': {
        const n = Number(v);
        if (v === undefined || v === null || Number.isNaN(n)) return false;
        return r.op === '>' ? n > Number(r.values[0]) : n < Number(r.values[0]);
      }
    }
  });
}

/** The outcome of a resource's conditions: failure wins over success; no success condition = done. */
export function evaluateConditions(obj: unknown, success?: string, failure?: string): 'succeeded' | 'failed' | 'pending' {
  if (failure && matches(parseCondition(failure), obj)) return 'failed';
  if (!success) return 'succeeded';
  return matches(parseCondition(success), obj) ? 'succeeded' : 'pending';
}
