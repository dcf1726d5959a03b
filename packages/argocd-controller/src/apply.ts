/**
 * Applying objects as Argo CD does through kubectl, with the kube-runtime client instead of a
 * kubectl process (one process, one connection pool, no temp files): client-side apply that writes
 * `kubectl.kubernetes.io/last-applied-configuration` and sends a three-way patch (strategic merge
 * for built-in kinds, JSON merge for custom resources), server-side apply (field manager
 * `argocd-controller`, conflicts forced), replace, force (delete and re-create), `fieldValidation`
 * (Validate=false → Ignore), dry run (`dryRun=All`), prune with a propagation policy.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { ApiError, isNotFound, resourcePath, type KubeClient, type Resource } from '@flotilla/kube-runtime';
import { ANNOTATIONS } from '@flotilla/argocd-engine';
import { threeWayPatch as threeWay } from '@flotilla/k8s-patch';
import { builtinSchema } from '@flotilla/k8s-builtins';

export const FIELD_MANAGER = 'argocd-controller';

export interface ApplyOptions {
  dryRun?: boolean;
  serverSideApply?: boolean;
  replace?: boolean;
  force?: boolean;
  validate?: boolean;
}

export interface ApplyOutcome {
  obj: KubeObject;
  message: string;
  changed: boolean;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The name kubectl prints: `deployment.apps/guestbook-ui`. */
export function kubectlName(r: { group: string; kind: string }, name: string): string {
  return `${r.kind.toLowerCase()}${r.group ? '.' + r.group : ''}/${name}`;
}

/** The configuration kubectl records: the object without status, the annotation itself and server fields. */
export function lastAppliedOf(obj: KubeObject): string {
  const { status: _s, ...rest } = obj as KubeObject & { status?: unknown };
  const m = { ...(rest.metadata ?? {}) } as Record<string, any>;
  for (const k of ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink']) delete m[k];
  if (m.annotations) {
    const { [ANNOTATIONS.lastApplied]: _x, ...a } = m.annotations;
    m.annotations = a;
    if (!Object.keys(a).length) delete m.annotations;
  }
  return JSON.stringify({ ...rest, metadata: m });
}

/**
 * The three-way patch (kubectl's client-side apply): everything the new configuration sets, `null`
 * for fields the previous configuration set and the new one does not; for built-in kinds lists
 * merged by key (Service ports, containers, env…) delete the items the new configuration dropped
 * (`@flotilla/k8s-patch` threeWayPatch with the kind's compiled-in schema, as kubectl has it).
 */
export function threeWayPatch(original: unknown, modified: unknown, r?: { group: string; version: string; kind: string }): unknown {
  return threeWay(original, modified, r && usesStrategicMerge(r.group) ? builtinSchema(r.group, r.version, r.kind) : undefined);
}

/** Built-in kinds take strategic merge patches; custom resources JSON merge patches (as kubectl decides). */
export const usesStrategicMerge = (group: string) => !group.includes('.') || group.endsWith('.k8s.io');

function query(o: ApplyOptions): Record<string, string | undefined> {
  return { fieldManager: FIELD_MANAGER, dryRun: o.dryRun ? 'All' : undefined, fieldValidation: o.validate === false ? 'Ignore' : 'Strict' };
}

/** Applies one object; `live` is the current object from the cache (or undefined). */
export async function applyObject(client: KubeClient, r: Resource, obj: KubeObject, live: KubeObject | undefined, o: ApplyOptions = {}): Promise<ApplyOutcome> {
  const m = obj.metadata!;
  const ns = r.namespaced ? m.namespace : undefined;
  const name = kubectlName(r, m.name!);
  const dry = o.dryRun ? ' (dry run)' : '';
  if (o.serverSideApply) {
    const body = { ...obj, metadata: { ...m } } as KubeObject;
    delete (body.metadata as Record<string, unknown>).resourceVersion;
    const out = await client.request<KubeObject>('PATCH', resourcePath(r, ns, m.name!), {
      body,
      contentType: 'application/apply-patch+yaml',
      query: { ...query(o), force: 'true' },
    });
    return { obj: out, message: `${name} serverside-applied${dry}`, changed: out.metadata?.resourceVersion !== live?.metadata?.resourceVersion };
  }
  const annotated: KubeObject = { ...obj, metadata: { ...m, annotations: { ...(m.annotations ?? {}), [ANNOTATIONS.lastApplied]: lastAppliedOf(obj) + '\n' } } };
  const create = async () => {
    const out = await client.request<KubeObject>('POST', resourcePath(r, ns), { body: annotated, query: query(o) });
    return { obj: out, message: `${name} created${dry}`, changed: true };
  };
  if (!live) {
    try {
      return await create();
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists')) throw e;
      live = await client.get(r, ns, m.name!);
    }
  }
  if (o.replace) {
    try {
      const body = { ...annotated, metadata: { ...annotated.metadata, resourceVersion: live!.metadata?.resourceVersion } };
      const out = await client.request<KubeObject>('PUT', resourcePath(r, ns, m.name!), { body, query: query(o) });
      return { obj: out, message: `${name} replaced${dry}`, changed: true };
    } catch (e) {
      if (!o.force || !(e instanceof ApiError) || ![409, 422].includes(e.code)) throw e;
      return recreate(client, r, ns, m.name!, create, o);
    }
  }
  const prev = live!.metadata?.annotations?.[ANNOTATIONS.lastApplied];
  let original: unknown;
  try {
    original = prev ? JSON.parse(prev) : undefined;
  } catch {
    original = undefined;
  }
  const patch = threeWayPatch(original, JSON.parse(JSON.stringify(annotated)), r);
  delete ((patch as Record<string, any>).metadata ?? {}).resourceVersion;
  try {
    const out = await client.request<KubeObject>('PATCH', resourcePath(r, ns, m.name!), {
      body: patch,
      contentType: usesStrategicMerge(r.group) ? 'application/strategic-merge-patch+json' : 'application/merge-patch+json',
      query: query(o),
    });
    const changed = out.metadata?.resourceVersion !== live!.metadata?.resourceVersion;
    return { obj: out, message: `${name} ${changed ? 'configured' : 'unchanged'}${dry}`, changed };
  } catch (e) {
    if (!o.force || !(e instanceof ApiError) || ![409, 422].includes(e.code)) throw e;
    return recreate(client, r, ns, m.name!, create, o);
  }
}

async function recreate(client: KubeClient, r: Resource, ns: string | undefined, name: string, create: () => Promise<ApplyOutcome>, o: ApplyOptions): Promise<ApplyOutcome> {
  if (o.dryRun) return { obj: {} as KubeObject, message: `${kubectlName(r, name)} replaced (dry run)`, changed: true };
  await deleteAndWait(client, r, ns, name, 'Foreground');
  return create();
}

export async function deleteAndWait(client: KubeClient, r: Resource, ns: string | undefined, name: string, policy: 'Foreground' | 'Background' | 'Orphan', timeoutMs = 60_000): Promise<void> {
  try {
    await client.delete(r, ns, name, { propagationPolicy: policy });
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      await client.get(r, ns, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new ApiError(504, 'Timeout', `${kubectlName(r, name)} still exists ${timeoutMs / 1000} s after deletion`);
}

/** Deletes (prunes) an object; returns kubectl's message. */
export async function pruneObject(client: KubeClient, r: Resource, live: KubeObject, policy: 'foreground' | 'background' | 'orphan' = 'foreground', dryRun = false): Promise<string> {
  const name = kubectlName(r, live.metadata!.name!);
  if (dryRun) return `${name} pruned (dry run)`;
  const p = (policy[0].toUpperCase() + policy.slice(1)) as 'Foreground';
  try {
    await client.request('DELETE', resourcePath(r, r.namespaced ? live.metadata?.namespace : undefined, live.metadata!.name!), {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: p, preconditions: { uid: live.metadata?.uid } },
    });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return `${name} pruned`;
}
