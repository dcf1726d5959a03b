import type { KubeObject } from '@flotilla/apimachinery';
import { parseAllDocuments, type Tags } from 'yaml';
import { RepoError } from './errors.js';
import type { RenderedObject } from './types.js';

/** Files carrying this comment are not manifests (Argo CD's `# +argocd:skip-file-rendering`). */
export const SKIP_RENDERING_RE = /#\s*\+argocd:skip-file-rendering\b/;

/**
 * Collects rendered objects, enforcing the object-count bound and flattening `*List` kinds
 * (`kind: List` with `items`) into their items.
 */
export class ObjectCollector {
  readonly objects: RenderedObject[] = [];
  constructor(private readonly maxObjects: number) {}

  add(value: unknown, source: string, where = ''): void {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const v of value) this.add(v, source, where);
      return;
    }
    if (typeof value !== 'object') {
      throw new RepoError(`${source}${where}: expected a Kubernetes object, got ${typeof value}`, { code: 'ParseError', file: source });
    }
    const obj = value as KubeObject;
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj['items'])) {
      for (const it of obj['items'] as unknown[]) this.add(it, source, where);
      return;
    }
    if (typeof obj.kind !== 'string' || obj.kind === '') {
      throw new RepoError(`${source}${where}: Object 'Kind' is missing in ${preview(obj)}`, { code: 'ParseError', file: source });
    }
    if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') {
      throw new RepoError(`${source}${where}: Object 'apiVersion' is missing in ${preview(obj)}`, { code: 'ParseError', file: source });
    }
    if (this.objects.length >= this.maxObjects) {
      throw new RepoError(`render produced more than ${this.maxObjects} objects (at ${source})`, { code: 'TooLarge', file: source });
    }
    this.objects.push({ object: obj, source });
  }
}

function preview(o: unknown): string {
  const s = JSON.stringify(o);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

// Kubernetes reads YAML with go-yaml v2 semantics: YAML 1.1 booleans/octals, but no sexagesimal
// numbers and timestamps stay strings.
export const kubeYamlTags = (tags: Tags): Tags =>
  tags.filter((t) => {
    const tag = (t as { tag?: string; format?: string }).tag;
    const format = (t as { format?: string }).format;
    return tag !== 'tag:yaml.org,2002:timestamp' && format !== 'TIME';
  });

/**
 * Parses multi-document YAML the way Kubernetes tooling reads manifests (YAML 1.1 scalars: `yes`
 * and `on` are booleans, `0755` is octal; merge keys; bounded aliases). Empty documents are
 * skipped. Errors name the file and line.
 */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  const docs = parseAllDocuments(text, {
    version: '1.1',
    merge: true,
    uniqueKeys: false,
    prettyErrors: true,
    customTags: kubeYamlTags,
  });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      const msg = err.message.split('\n')[0];
      throw new RepoError(`${source}${line ? `:${line}` : ''}: invalid YAML: ${msg}`, {
        code: 'ParseError',
        file: source,
        ...(line ? { line } : {}),
      });
    }
    if (doc.contents === null) continue;
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new RepoError(`${source}: invalid YAML: ${(e as Error).message}`, { code: 'ParseError', file: source });
    }
    if (js === null || js === undefined) continue;
    out.push(js);
  }
  return out;
}

export function parseJsonDocument(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RepoError(`${source}: invalid JSON: ${(e as Error).message}`, { code: 'ParseError', file: source });
  }
}

/** Recursively freezes a JSON value (cached render results are shared between callers). */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
