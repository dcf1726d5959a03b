/**
 * Live state for one app, read through the Kubernetes API of its destination cluster: the managed
 * objects (`status.resources`), their descendants (for the tree), target manifests from the repo
 * server, and their diff through the engine.
 */
import { KubeClient, R, isNotFound, parseApiVersion, type Resource } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import type { ArgoSettings } from '@flotilla/argocd-engine/settings';
import { diffResource, isExcluded, maskSecret } from '@flotilla/argocd-engine/diff';
import { getHealth } from '@flotilla/argocd-engine/health';
import { buildTree } from '@flotilla/argocd-engine/tree';
import { IN_CLUSTER, ANNOTATIONS, type Application, type ResourceNode, type ResourceStatus } from '@flotilla/argocd-engine/types';
import { ApiErr, Code, fromKube } from './http.js';
import type { Ctx } from './context.js';
import { clusterSecrets, clusterConfigOf } from './clusters-store.js';

export function settingsOf(ctx: Ctx): ArgoSettings {
  return ctx.store.settings();
}

const clients = new Map<string, { client: KubeClient; rv: string }>();

/** A client for the app's destination cluster (in-cluster: the server's own). */
export function destClient(ctx: Ctx, app: Application): KubeClient {
  const d = app.spec?.destination ?? {};
  if ((d.server ?? IN_CLUSTER) === IN_CLUSTER && (!d.name || d.name === 'in-cluster')) return ctx.client;
  const sec = clusterSecrets(ctx).find((s) => (d.server && s.server === d.server) || (d.name && s.name === d.name));
  if (!sec) throw new ApiErr(Code.InvalidArgument, `there are no clusters with this ${d.server ? `URL: ${d.server}` : `name: ${d.name}`}`);
  const cached = clients.get(sec.server);
  if (cached && cached.rv === sec.rv) return cached.client;
  const client = new KubeClient(clusterConfigOf(sec), { fieldManager: 'argocd-server', qps: 50, burst: 100 });
  clients.set(sec.server, { client, rv: sec.rv });
  return client;
}

export async function resourceOf(client: KubeClient, group: string, version: string, kind: string): Promise<Resource> {
  try {
    return await client.resourceFor({ group: group ?? '', version, kind });
  } catch (e) {
    throw new ApiErr(Code.InvalidArgument, `${kind}${group ? `.${group}` : ''} ${version}: ${(e as Error).message}`);
  }
}

export async function liveOf(client: KubeClient, r: { group?: string; version: string; kind: string; namespace?: string; name: string }): Promise<KubeObject | null> {
  const res = await resourceOf(client, r.group ?? '', r.version, r.kind);
  try {
    return await client.get(res, res.namespaced ? r.namespace : undefined, r.name);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw fromKube(e);
  }
}

/** The managed objects of the app as they are live (missing ones left out). */
export async function managedLive(ctx: Ctx, app: Application): Promise<{ status: ResourceStatus; live: KubeObject | null }[]> {
  const client = destClient(ctx, app);
  const out: { status: ResourceStatus; live: KubeObject | null }[] = [];
  await Promise.all((app.status?.resources ?? []).map(async (s, i) => {
    let live: KubeObject | null = null;
    try {
      live = await liveOf(client, s);
    } catch {
      live = null;
    }
    out[i] = { status: s, live };
  }));
  return out;
}

const CHILD_KINDS: Resource[] = [R.replicasets, R.pods, R.endpoints, R.endpointslices, R.controllerrevisions, R.jobs];

/** The resource tree (nodes + orphanedNodes + hosts) as `resource-tree` answers it. */
export async function resourceTree(ctx: Ctx, app: Application): Promise<{ nodes: ResourceNode[]; orphanedNodes: ResourceNode[]; hosts?: unknown[] }> {
  const client = destClient(ctx, app);
  const managed = (await managedLive(ctx, app)).map((m) => m.live).filter((o): o is KubeObject => !!o);
  const namespaces = [...new Set(managed.map((o) => o.metadata?.namespace).filter((n): n is string => !!n))];
  const cluster: KubeObject[] = [];
  await Promise.all(namespaces.flatMap((ns) => CHILD_KINDS.map(async (r) => {
    try {
      const l = await client.list(r, ns);
      for (const o of l.items) cluster.push({ apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, ...o });
    } catch {
      /* a kind the cluster does not serve */
    }
  })));
  const overrides = settingsOf(ctx).resourceOverrides;
  const health = new Map<KubeObject, { status: any; message?: string } | undefined>();
  await Promise.all([...managed, ...cluster].map(async (o) => {
    try {
      health.set(o, await getHealth(o, { overrides } as any));
    } catch {
      health.set(o, undefined);
    }
  }));
  const nodes = buildTree(managed, cluster, (o) => health.get(o) as any);
  return { nodes, orphanedNodes: [] };
}

/** Target manifests from the repo server for the app's source (at `revision` when given). */
export async function targetManifests(ctx: Ctx, app: Application, revision?: string): Promise<{ revision: string; sourceType?: string; manifests: KubeObject[] }> {
  const source = app.spec.source ?? app.spec.sources?.[0];
  if (!source) throw new ApiErr(Code.InvalidArgument, 'application has no source');
  try {
    return await ctx.repo.generateManifests({ source: revision ? { ...source, targetRevision: revision } : source, appName: app.metadata?.name, namespace: app.spec.destination?.namespace, ...(app.spec.sources?.length ? { refSources: app.spec.sources } : {}) });
  } catch (e) {
    if (e instanceof ApiErr) throw e;
    throw new ApiErr(Code.Unknown, `rpc error: code = Unknown desc = Manifest generation error (cached): ${(e as Error).message}`);
  }
}

function keyOf(o: { group?: string; kind: string; namespace?: string; name: string }): string {
  return `${o.group ?? ''}/${o.kind}/${o.namespace ?? ''}/${o.name}`;
}
function objKeyOf(o: KubeObject, defaultNs?: string, namespaced = true): string {
  const { group } = parseApiVersion(String(o.apiVersion ?? 'v1'));
  return keyOf({ group, kind: String(o.kind), namespace: namespaced ? (o.metadata?.namespace ?? defaultNs) : undefined, name: String(o.metadata?.name) });
}

/** `managed-resources`: per resource, target/live/normalized/predicted state as JSON strings, as upstream. */
export async function managedResources(ctx: Ctx, app: Application): Promise<{ items: Record<string, unknown>[] }> {
  const settings = settingsOf(ctx);
  const live = await managedLive(ctx, app);
  let targets: KubeObject[] = [];
  try {
    targets = (await targetManifests(ctx, app)).manifests;
  } catch (e) {
    ctx.log.warn('managed-resources: no target manifests', { app: app.metadata?.name, error: (e as Error).message });
  }
  const client = destClient(ctx, app);
  const byKey = new Map<string, KubeObject>();
  for (const t0 of targets) {
    let namespaced = true;
    try {
      const { group, version } = parseApiVersion(String(t0.apiVersion));
      namespaced = (await resourceOf(client, group, version, String(t0.kind))).namespaced;
    } catch {
      /* unknown kind: keyed as namespaced */
    }
    // as the controller applies it: namespaced objects land in the destination namespace
    const t = namespaced && !t0.metadata?.namespace && app.spec.destination?.namespace ? { ...t0, metadata: { ...t0.metadata, namespace: app.spec.destination.namespace } } : t0;
    byKey.set(objKeyOf(t, app.spec.destination?.namespace, namespaced), t);
  }
  const items = live.map(({ status: s, live: l }) => {
    const target = byKey.get(keyOf({ group: s.group, kind: s.kind, namespace: s.namespace || undefined, name: s.name })) ?? null;
    let d: { modified: boolean; normalizedLive: KubeObject | null; predictedLive: KubeObject | null; diff: string } | undefined;
    try {
      d = diffResource(target && !isExcluded({ group: s.group ?? '', kind: s.kind }, settings as any) ? target : target, l, { settings, ignoreDifferences: app.spec.ignoreDifferences, appName: app.metadata?.name, appNamespace: app.metadata?.namespace } as any);
    } catch (e) {
      ctx.log.warn('diff failed', { app: app.metadata?.name, resource: keyOf(s as any), error: (e as Error).message });
    }
    const js = (o: unknown) => (o ? JSON.stringify(o) : '');
    // Secrets: target and live with their values masked (equal values, equal masks), as upstream
    const [maskedTarget, maskedLiveObj] = maskSecret(target, l);
    return {
      group: s.group ?? '',
      kind: s.kind,
      namespace: s.namespace ?? '',
      name: s.name,
      targetState: js(maskedTarget),
      liveState: js(maskedLiveObj),
      normalizedLiveState: js(d?.normalizedLive),
      predictedLiveState: js(d?.predictedLive),
      diff: d?.diff ?? '',
      hook: !!s.hook,
      modified: d?.modified ?? s.status === 'OutOfSync',
      resourceVersion: l?.metadata?.resourceVersion ?? '',
    };
  });
  return { items };
}

export { ANNOTATIONS };
