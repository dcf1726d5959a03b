/** Helpers the API handlers share: list options from the query, template lookups for validation, read-modify-write. */
import type { KubeClient, Resource } from '@flotilla/kube-runtime';
import type { TemplateResolver, ValidationError, WorkflowTemplate } from '@flotilla/workflows-controller';
import { ApiErr, Code, fromKube, invalid } from '../http.js';
import { AR } from '../resources.js';

/** `listOptions.*` query parameters as a Kubernetes list query. */
export function listQuery(q: URLSearchParams): Record<string, string | undefined> {
  const g = (k: string) => q.get(`listOptions.${k}`) || undefined;
  return { labelSelector: g('labelSelector'), fieldSelector: g('fieldSelector'), limit: g('limit'), continue: g('continue'), resourceVersion: g('resourceVersion'), resourceVersionMatch: g('resourceVersionMatch'), timeoutSeconds: g('timeoutSeconds') };
}

/** A list as grpc-gateway renders it (`items` always an array, `metadata.continue` when there is more). */
export function listBody(kind: string, l: { metadata?: { resourceVersion?: string; continue?: string }; items?: unknown[] }): Record<string, unknown> {
  const md: Record<string, string> = {};
  if (l.metadata?.resourceVersion) md.resourceVersion = l.metadata.resourceVersion;
  if (l.metadata?.continue) md.continue = l.metadata.continue;
  return { apiVersion: 'argoproj.io/v1alpha1', kind, metadata: md, items: (l.items ?? []).map((i) => withKind(i as Record<string, unknown>, kind.replace(/List$/, ''))) };
}

export function withKind<T extends Record<string, unknown>>(o: T, kind: string): T {
  return { ...o, apiVersion: (o.apiVersion as string) ?? 'argoproj.io/v1alpha1', kind: (o.kind as string) ?? kind };
}

/** Every `templateRef` / `workflowTemplateRef` below an object. */
export function templateRefs(v: unknown, out: { name: string; cluster: boolean }[] = []): { name: string; cluster: boolean }[] {
  if (Array.isArray(v)) v.forEach((x) => templateRefs(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'templateRef' || k === 'workflowTemplateRef') && x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string') {
        out.push({ name: (x as { name: string }).name, cluster: !!(x as { clusterScope?: boolean }).clusterScope });
      }
      templateRefs(x, out);
    }
  }
  return out;
}

/** The templates an object refers to (fetched with the caller's client; transitively), as a resolver for validation. */
export async function resolverFor(kube: KubeClient, ns: string, obj: unknown): Promise<TemplateResolver> {
  const map: Record<string, WorkflowTemplate> = {};
  const seen = new Set<string>();
  let todo = templateRefs(obj);
  for (let depth = 0; todo.length && depth < 10; depth++) {
    const next: { name: string; cluster: boolean }[] = [];
    for (const r of todo) {
      const key = r.cluster ? `cluster/${r.name}` : r.name;
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        const t = await kube.get<any>(r.cluster ? AR.clusterWorkflowTemplates : AR.workflowTemplates, r.cluster ? undefined : ns, r.name);
        map[key] = t as WorkflowTemplate;
        next.push(...templateRefs(t.spec));
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw fromKube(e);
      }
    }
    todo = next;
  }
  return map;
}

/** Validation errors as upstream's InvalidArgument answer. */
export function validationError(errs: ValidationError[]): ApiErr | undefined {
  if (!errs.length) return undefined;
  return invalid(errs.map((e) => e.message).join('; '));
}

/** get → change → update, again on a conflict (someone — the controller — wrote in between). */
export async function modify<T extends { metadata?: any }>(kube: KubeClient, r: Resource, ns: string | undefined, name: string, change: (o: T) => T | Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let cur: T;
    try {
      cur = await kube.get<any>(r, ns, name);
    } catch (e) {
      throw fromKube(e);
    }
    const next = await change(cur);
    try {
      return (await kube.update<any>(r, next as any)) as T;
    } catch (e) {
      if ((e as { code?: number }).code === 409 && attempt < 5) continue;
      throw fromKube(e);
    }
  }
}

export async function kcall<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw fromKube(e);
  }
}

export function needObject(v: unknown, what: string): Record<string, any> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ApiErr(Code.InvalidArgument, `${what}: is required (a JSON object)`);
  return v as Record<string, any>;
}
