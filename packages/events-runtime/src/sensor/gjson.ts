/**
 * A gjson-like path reader and an sjson-like path writer over parsed JSON (the syntax Argo Events'
 * data filters, exprs fields and trigger parameters use): `a.b.0.c`, `\.` escapes a dot, `*` and `?`
 * wildcards in keys, `#` (array length), `a.#.b` (b of every element), `a.#(b=="x").c` (first match).
 */
export interface PathResult {
  exists: boolean;
  value: unknown;
}

export class PathError extends Error {}

/** Splits a path at unescaped dots. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && i + 1 < path.length) {
      cur += path[++i];
      continue;
    }
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === '.' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** Checks a path's syntax (for reporting a bad filter at start). */
export function validatePath(path: string): string | undefined {
  if (typeof path !== 'string' || path === '') return 'empty path';
  let depth = 0;
  for (const c of path) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return `unbalanced ")" in path ${JSON.stringify(path)}`;
  }
  if (depth !== 0) return `unbalanced "(" in path ${JSON.stringify(path)}`;
  for (const part of splitPath(path)) {
    if (part === '' && path !== '') return `empty component in path ${JSON.stringify(path)}`;
    if (part.startsWith('#(') && !/^#\((.+?)(==|!=|<=|>=|<|>|%)(.+)\)#?$/.test(part)) return `bad query ${part} in path ${JSON.stringify(path)}`;
  }
  return undefined;
}

const wild = (pat: string) => new RegExp('^' + pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');

function query(arr: unknown[], q: string, all: boolean): unknown {
  const m = /^#\((.+?)(==|!=|<=|>=|<|>|%)(.+)\)(#?)$/.exec(q)!;
  const [, key, op, rawLit] = m as unknown as [string, string, string, string];
  let lit: unknown;
  try {
    lit = JSON.parse(rawLit.trim());
  } catch {
    lit = rawLit.trim();
  }
  const test = (el: unknown) => {
    const v = getPath(el, key.trim()).value;
    switch (op) {
      case '==':
        return v === lit;
      case '!=':
        return v !== lit;
      case '<':
        return (v as number) < (lit as number);
      case '<=':
        return (v as number) <= (lit as number);
      case '>':
        return (v as number) > (lit as number);
      case '>=':
        return (v as number) >= (lit as number);
      case '%':
        return typeof v === 'string' && wild(String(lit)).test(v);
    }
    return false;
  };
  return all ? arr.filter(test) : arr.find(test);
}

function step(cur: unknown, parts: string[], i: number): PathResult {
  if (i === parts.length) return { exists: cur !== undefined, value: cur };
  const p = parts[i]!;
  if (Array.isArray(cur)) {
    if (p === '#') {
      if (i === parts.length - 1) return { exists: true, value: cur.length };
      const vals = cur.map((el) => step(el, parts, i + 1)).filter((r) => r.exists).map((r) => r.value);
      return { exists: true, value: vals };
    }
    if (p.startsWith('#(')) {
      const all = p.endsWith(')#');
      const r = query(cur, p, all);
      if (all) {
        const vals = (r as unknown[]).map((el) => step(el, parts, i + 1)).filter((x) => x.exists).map((x) => x.value);
        return { exists: true, value: vals };
      }
      return r === undefined ? { exists: false, value: undefined } : step(r, parts, i + 1);
    }
    if (/^\d+$/.test(p)) return step(cur[Number(p)], parts, i + 1);
    return { exists: false, value: undefined };
  }
  if (cur && typeof cur === 'object') {
    const o = cur as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(o, p)) return step(o[p], parts, i + 1);
    if (/[*?]/.test(p)) {
      const re = wild(p);
      for (const k of Object.keys(o)) if (re.test(k)) return step(o[k], parts, i + 1);
    }
  }
  return { exists: false, value: undefined };
}

/** Reads `path` in `obj`. */
export function getPath(obj: unknown, path: string): PathResult {
  if (path === '' || path === '@this') return { exists: obj !== undefined, value: obj };
  return step(obj, splitPath(path), 0);
}

/** gjson's Result.String(): strings as they are, other JSON as raw JSON text, absent as "". */
export function resultString(v: unknown): string {
  if (v === undefined || v === null) return v === null ? '' : '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/**
 * sjson-like set: creates objects along the way; a numeric component indexes an array (extending it;
 * `-1` appends). Returns the (mutated) root.
 */
export function setPath(root: unknown, path: string, value: unknown): unknown {
  const parts = splitPath(path);
  const top: any = root && typeof root === 'object' ? root : {};
  let cur: any = top;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const last = i === parts.length - 1;
    const nextIsIndex = !last && /^(-1|\d+)$/.test(parts[i + 1]!);
    const make = () => (nextIsIndex ? [] : {});
    if (Array.isArray(cur)) {
      let idx = p === '-1' ? cur.length : Number(p);
      if (!/^(-1|\d+)$/.test(p)) throw new PathError(`cannot set ${JSON.stringify(p)} of an array (path ${path})`);
      while (cur.length < idx) cur.push(null);
      if (last) cur[idx] = value;
      else {
        if (cur[idx] === null || typeof cur[idx] !== 'object') cur[idx] = make();
        cur = cur[idx];
      }
      idx = 0;
    } else {
      if (last) cur[p] = value;
      else {
        if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = make();
        cur = cur[p];
      }
    }
  }
  return top;
}
