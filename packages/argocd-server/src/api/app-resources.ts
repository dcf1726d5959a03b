/** ApplicationService, the per-resource half: managed-resources, resource-tree, resource get/patch/delete/actions, events, manifests, revision metadata, sync windows. */
import { mergePatchOf, parseApiVersion, R } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import { jsonPatch, jsonMergePatch } from '@flotilla/k8s-patch';
import { listActions, runAction } from '@flotilla/argocd-engine/actions';
import { maskSecret } from '@flotilla/argocd-engine/diff';
import type { Application } from '@flotilla/argocd-engine/types';
import { ApiErr, Code, fromKube, invalid, notFound, qbool, type Router, type Req } from '../http.js';
import { enforce, type Ctx } from '../context.js';
import { getApp, appObj } from './applications.js';
import { destClient, liveOf, managedResources, resourceOf, resourceTree, settingsOf, targetManifests } from '../live.js';
import { syncWindowsState } from '../syncwindows.js';

interface ResRef {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

function resRef(req: Req): ResRef {
  const q = req.query;
  const ref = { group: q.get('group') ?? '', version: q.get('version') ?? '', kind: q.get('kind') ?? '', namespace: q.get('namespace') ?? '', name: q.get('resourceName') ?? req.body?.resourceName ?? '' };
  if (!ref.kind || !ref.name) throw invalid('kind and resourceName are required');
  return ref;
}

/** The live object, only when it belongs to the app's tree (as upstream checks). */
async function appResource(ctx: Ctx, app: Application, ref: ResRef): Promise<KubeObject> {
  const tree = await resourceTree(ctx, app);
  const node = tree.nodes.find((n) => (n.group ?? '') === ref.group && n.kind === ref.kind && n.name === ref.name && (n.namespace ?? '') === ref.namespace);
  if (!node) throw notFound(`${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} not found as part of application ${app.metadata?.name}`);
  const live = await liveOf(destClient(ctx, app), { ...ref, version: ref.version || node.version });
  if (!live) throw notFound(`${ref.kind} ${ref.name} not found`);
  return live;
}

function refText(r: ResRef): string {
  return `${r.group ? `${r.group}/` : ''}${r.kind}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

export function registerAppResources(r: Router, ctx: Ctx): void {
  r.add('GET', '/api/v1/applications/{name}/managed-resources', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    const out = await managedResources(ctx, a);
    const q = req.query;
    const f = (k: string, v: string | null) => (x: Record<string, unknown>) => v === null || v === '' || x[k] === v;
    return { items: out.items.filter(f('group', q.get('group'))).filter(f('kind', q.get('kind'))).filter(f('namespace', q.get('namespace'))).filter(f('name', q.get('name'))) };
  });

  r.add('GET', '/api/v1/applications/{name}/resource-tree', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    return resourceTree(ctx, a);
  });

  r.add('GET', '/api/v1/applications/{name}/resource', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    const live = await appResource(ctx, a, resRef(req));
    // a Secret's values are never shown (as upstream)
    return { manifest: JSON.stringify(maskSecret(live)[0]) };
  });

  r.add('POST', '/api/v1/applications/{name}/resource', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    const ref = resRef(req);
    await enforce(ctx, req, 'applications', 'update', appObj(a));
    const live = await appResource(ctx, a, ref);
    const raw = typeof req.body === 'string' ? req.body : req.rawBody.toString('utf8');
    let patch: unknown;
    try {
      patch = JSON.parse(typeof req.body === 'string' ? req.body : raw);
      if (typeof patch === 'string') patch = JSON.parse(patch);
    } catch (e) {
      throw invalid(`error parsing the patch: ${(e as Error).message}`);
    }
    const type = (req.query.get('patchType') || 'application/merge-patch+json').toLowerCase();
    const client = destClient(ctx, a);
    const res = await resourceOf(client, ref.group, ref.version || parseApiVersion(String(live.apiVersion)).version, ref.kind);
    const kind = type.includes('json-patch') || type === 'json' ? 'json' : type.includes('strategic') ? 'strategic' : 'merge';
    const out = await client.patch(res, live.metadata?.namespace, ref.name, patch, kind).catch((e) => { throw fromKube(e); });
    ctx.audit(a, 'ResourceUpdated', `patched resource ${ref.group}/${ref.kind} '${ref.name}'`, req);
    return { manifest: JSON.stringify(maskSecret(out)[0]) };
  });

  r.add('DELETE', '/api/v1/applications/{name}/resource', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    const ref = resRef(req);
    await enforce(ctx, req, 'applications', 'delete', appObj(a));
    const live = await appResource(ctx, a, ref);
    const client = destClient(ctx, a);
    const res = await resourceOf(client, ref.group, ref.version || parseApiVersion(String(live.apiVersion)).version, ref.kind);
    const force = qbool(req.query, 'force');
    const orphan = qbool(req.query, 'orphan');
    await client.delete(res, live.metadata?.namespace, ref.name, { propagationPolicy: orphan ? 'Orphan' : force ? 'Background' : 'Foreground', ...(force ? { gracePeriodSeconds: 0 } : {}) }).catch((e) => { throw fromKube(e); });
    ctx.audit(a, 'ResourceDeleted', `deleted resource ${ref.group}/${ref.kind} '${ref.name}'`, req);
    return {};
  });

  r.add('GET', '/api/v1/applications/{name}/resource/actions', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    const live = await appResource(ctx, a, resRef(req));
    try {
      return { actions: await listActions(live, settingsOf(ctx).resourceOverrides as any) };
    } catch (e) {
      throw new ApiErr(Code.InvalidArgument, (e as Error).message);
    }
  });

  const run = async (req: Req) => {
    const a = await getApp(ctx, req, req.params.name);
    // v1 sends the action name as the body (a JSON string), v2 an object with it and the resource
    const b = typeof req.body === 'string' ? { action: req.body } : (req.body ?? {});
    const ref: ResRef = {
      group: b.group ?? req.query.get('group') ?? '',
      version: b.version ?? req.query.get('version') ?? '',
      kind: b.kind ?? req.query.get('kind') ?? '',
      namespace: b.namespace ?? req.query.get('namespace') ?? '',
      name: b.resourceName ?? req.query.get('resourceName') ?? '',
    };
    const action = String(b.action ?? '');
    if (!action) throw invalid('action is required');
    await enforce(ctx, req, 'applications', `action/${ref.group}/${ref.kind}/${action}`, appObj(a));
    const live = await appResource(ctx, a, ref);
    const params = (b.resourceActionParameters ?? b.resourceActionParams ?? []) as { name: string; value: string }[];
    let impacted;
    try {
      impacted = (await runAction(live, action, settingsOf(ctx).resourceOverrides as any, params)).impacted;
    } catch (e) {
      throw new ApiErr(Code.InvalidArgument, (e as Error).message);
    }
    const client = destClient(ctx, a);
    for (const im of impacted) {
      const { group, version } = parseApiVersion(String(im.obj.apiVersion ?? live.apiVersion));
      const res = await resourceOf(client, group, version, String(im.obj.kind ?? live.kind));
      if (im.operation === 'create') await client.create(res, res.namespaced ? (im.obj.metadata?.namespace ?? live.metadata?.namespace) : undefined, im.obj).catch((e) => { throw fromKube(e); });
      else await patchImpacted(client, res, live, im.obj).catch((e) => { throw fromKube(e); });
    }
    ctx.audit(a, 'ResourceActionRan', `ran action ${action} on resource ${ref.group}/${ref.kind}/${ref.name}`, req);
    return {};
  };
  r.add('POST', '/api/v1/applications/{name}/resource/actions', run);
  r.add('POST', '/api/v1/applications/{name}/resource/actions/v2', run);

  r.add('GET', '/api/v1/applications/{name}/events', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    const q = req.query;
    const rns = q.get('resourceNamespace');
    const rname = q.get('resourceName');
    const ruid = q.get('resourceUID');
    if (!rname && !ruid) {
      const l = await ctx.client.list(R.events, a.metadata!.namespace, { fieldSelector: `involvedObject.name=${a.metadata!.name},involvedObject.kind=Application` });
      return { metadata: {}, items: l.items };
    }
    const client = destClient(ctx, a);
    const sel = [rname ? `involvedObject.name=${rname}` : '', ruid ? `involvedObject.uid=${ruid}` : ''].filter(Boolean).join(',');
    const l = await client.list(R.events, rns || undefined, { fieldSelector: sel }).catch((e) => { throw fromKube(e); });
    return { metadata: {}, items: l.items };
  });

  r.add('GET', '/api/v1/applications/{name}/manifests', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    const m = await targetManifests(ctx, a, req.query.get('revision') || undefined);
    return { manifests: m.manifests.map((o) => JSON.stringify(maskSecret(o)[0])), namespace: a.spec.destination?.namespace ?? '', server: a.spec.destination?.server ?? '', revision: m.revision, sourceType: m.sourceType ?? '' };
  });

  r.add('GET', '/api/v1/applications/{name}/revisions/{revision}/metadata', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    const src = a.spec.source ?? a.spec.sources?.[Number(req.query.get('sourceIndex') ?? 0)];
    if (!src?.repoURL || !ctx.repo.revisionMetadata) throw invalid('application has no source repository');
    return ctx.repo.revisionMetadata(src.repoURL, req.params.revision);
  });

  r.add('GET', '/api/v1/applications/{name}/revisions/{revision}/chartdetails', async (req) => {
    await getApp(ctx, req, req.params.name);
    return {};
  });

  r.add('GET', '/api/v1/applications/{name}/syncwindows', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    return syncWindowsState(ctx.store.project(a.spec.project || 'default'), a, Date.now());
  });
}

/** A JSON merge patch (RFC 7386) turning `from` into `to` (the runtime's; kept here for the tests of this module). */
export { mergePatchOf };

/**
 * Writes an action's modified object as upstream does: a merge patch of what changed (the
 * server's ClusterRole grants patch, not update), the status through the status subresource when
 * the kind has one.
 */
async function patchImpacted(client: any, res: any, live: KubeObject, obj: KubeObject): Promise<void> {
  const ns = obj.metadata?.namespace ?? live.metadata?.namespace;
  const name = String(obj.metadata?.name ?? live.metadata?.name);
  const strip = (o: KubeObject) => {
    const { status: _s, ...rest } = o as Record<string, unknown>;
    const m = { ...((rest.metadata as Record<string, unknown>) ?? {}) };
    for (const k of ['resourceVersion', 'managedFields', 'generation', 'uid', 'creationTimestamp']) delete m[k];
    return { ...rest, metadata: m };
  };
  const main = mergePatchOf(strip(live), strip(obj));
  if (main !== undefined) await client.patch(res, ns, name, main, 'merge');
  const status = mergePatchOf((live as any).status ?? {}, (obj as any).status ?? {});
  if (status !== undefined) {
    try {
      await client.patch(res, ns, name, { status }, 'merge', 'status');
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
      await client.patch(res, ns, name, { status }, 'merge'); // no status subresource: status is part of the object
    }
  }
}
