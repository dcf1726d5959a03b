import type { StructSchema, TypeSchema } from './types.js';

/** Follows `$ref` and single-element `allOf` wrappers until a concrete schema is reached. */
export function deref(schema: StructSchema | undefined, ts: TypeSchema | undefined): StructSchema | undefined {
  let s = schema;
  for (let i = 0; s && i < 32; i++) {
    if (s.$ref) {
      s = ts?.resolve(s.$ref);
      continue;
    }
    if (s.allOf && s.allOf.length === 1 && !s.type && !s.properties) {
      s = s.allOf[0];
      continue;
    }
    return s;
  }
  return s;
}

/** A TypeSchema over a map of named schemas addressed as "#/components/schemas/NAME" or "#/definitions/NAME". */
export function typeSchemaFrom(root: StructSchema, schemas: Record<string, StructSchema>): TypeSchema {
  return {
    root,
    resolve(ref: string) {
      const i = ref.lastIndexOf('/');
      return schemas[i >= 0 ? ref.slice(i + 1) : ref];
    },
  };
}

/** Human-readable age like kubectl prints it ("45s", "3m12s", "5h", "12d", "2y30d"). */
export function humanAge(from: string | Date | undefined, now: Date = new Date()): string {
  if (!from) return '<unknown>';
  const t = typeof from === 'string' ? Date.parse(from) : from.getTime();
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** Deep clone of JSON data. */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Reads a dotted path like ".spec.replicas" or "spec.replicas" from an object. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (part === '') continue;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Writes a dotted path, creating intermediate objects. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.').filter((p) => p !== '');
  let cur: Record<string, unknown> = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[parts[i]] = {};
    cur = cur[parts[i]] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
