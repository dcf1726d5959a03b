/** ApplicationService: list/get/create/update/patch/delete, sync, rollback, terminate. */
import { parseLabelSelector, matchLabels, SelectorError } from '@flotilla/apimachinery';
import { ANNOTATIONS, FINALIZERS, type AppProject, type Application, type Operation } from '@flotilla/argocd-engine/types';
import { jsonPatch as applyJsonPatch, jsonMergePatch as mergePatch } from '@flotilla/k8s-patch';
import { ApiErr, Code, RawJson, cachedJson, denied, fromKube, invalid, notFound, precondition, qbool, qlist, type Router, type Req } from '../http.js';
import { can, enforce, username, type Ctx } from '../context.js';
import { APPS, PROJECTS } from '../store.js';
import { validateAppInProject, normalizeRepoURL } from '../project.js';
import { syncWindowsState } from '../syncwindows.js';

export function appObj(a: Application): string {
  return `${a.spec?.project || 'default'}/${a.metadata?.name}`;
}

function appNs(ctx: Ctx, req: Req): string {
  return req.query.get('appNamespace') || ctx.store.namespace;
}

/** The application or 404 (403 first when the caller may not even see it). */
export async function getApp(ctx: Ctx, req: Req, name: string, act = 'get'): Promise<Application> {
  const ns = appNs(ctx, req);
  let a = ctx.store.app(name, ns);
  if (!a) {
    try {
      a = (await ctx.client.get(APPS, ns, name)) as Application;
    } catch (e) {
      const err = fromKube(e);
      if (err.code === Code.NotFound) {
        // upstream answers "permission denied" to callers who may not get it, so existence does not leak
        const project = req.query.get('project') || '*';
        if (!(await can(ctx, req, 'applications', act, `${project}/${name}`)) && !(await can(ctx, req, 'applications', 'get', `*/${name}`))) await enforce(ctx, req, 'applications', act, `${project}/${name}`);
        throw notFound(`applications.argoproj.io "${name}" not found`);
      }
      throw err;
    }
  }
  await enforce(ctx, req, 'applications', act, appObj(a));
  return a;
}

function specOf(a: Application): string {
  return JSON.stringify(a.spec ?? {});
}

/** Drops fields a client must not set on create/update. */
function cleanForWrite(a: Application, ns: string): Application {
  const m = { ...(a.metadata ?? {}) };
  delete m.resourceVersion;
  delete m.uid;
  delete m.creationTimestamp;
  delete m.generation;
  delete m.managedFields;
  m.namespace = m.namespace || ns;
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: m, spec: a.spec, ...(a.operation ? { operation: a.operation } : {}) } as Application;
}

async function validate(ctx: Ctx, a: Application): Promise<void> {
  if (!a.metadata?.name) throw invalid('application name is required');
  if (!a.spec) throw invalid('application spec is required');
  const projName = a.spec.project || 'default';
  a.spec.project = projName;
  // the informer may not have a project created a moment ago (the controller creates `default` at start)
  const project = ctx.store.project(projName) ?? ((await ctx.client.get(PROJECTS, ctx.store.namespace, projName).catch(() => undefined)) as AppProject | undefined);
  const why = validateAppInProject(a, project, projName);
  if (why) throw new ApiErr(Code.InvalidArgument, why);
}

/** As upstream's `validate=true` (the default): the source must render (repository reachable, path there). */
async function validateSource(ctx: Ctx, a: Application): Promise<void> {
  const src = a.spec.source ?? a.spec.sources?.[0];
  if (!src?.repoURL) return;
  try {
    await ctx.repo.generateManifests({ source: src, appName: a.metadata?.name, namespace: a.spec.destination?.namespace, ...(a.spec.sources?.length ? { refSources: a.spec.sources } : {}) });
  } catch (e) {
    const msg = (e as Error).message;
    throw invalid(`application spec for ${a.metadata?.name} is invalid: InvalidSpecError: Unable to generate manifests in ${src.path ?? src.chart ?? '.'}: ${msg}`);
  }
}

export function registerApplications(r: Router, ctx: Ctx): void {
  r.add('GET', '/api/v1/applications', async (req) => {
    const q = req.query;
    const ns = q.get('appNamespace') || ctx.store.namespace;
    let items = ctx.store.apps.list(ns);
    const name = q.get('name');
    if (name) items = items.filter((a) => a.metadata?.name === name);
    const projects = [...qlist(q, 'projects'), ...qlist(q, 'project')];
    if (projects.length) items = items.filter((a) => projects.includes(a.spec?.project || 'default'));
    const repo = q.get('repo');
    if (repo) items = items.filter((a) => [a.spec?.source, ...(a.spec?.sources ?? [])].some((s) => s?.repoURL && normalizeRepoURL(s.repoURL) === normalizeRepoURL(repo)));
    const sel = q.get('selector');
    if (sel) {
      let reqs;
      try {
        reqs = parseLabelSelector(sel);
      } catch (e) {
        throw invalid(`error parsing the selector '${sel}': ${e instanceof SelectorError ? e.message : String(e)}`);
      }
      items = items.filter((a) => matchLabels(reqs, a.metadata?.labels as Record<string, string> | undefined));
    }
    const rbac = await ctx.store.rbac();
    const { subjects } = await import('../context.js');
    const { sub, groups } = subjects(req.claims, rbac.cfg.scopes);
    items = items.filter((a) => rbac.enforce(sub, groups, 'applications', 'get', appObj(a)));
    items.sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
    const out = { metadata: { resourceVersion: ctx.store.apps.resourceVersion }, items };
    const fields = qlist(q, 'fields');
    if (fields.length) {
      const json = projectItemsJson(items, fields);
      return json === undefined ? project(out, fields) : new RawJson(json);
    }
    return new RawJson(`{"metadata":${JSON.stringify(out.metadata)},"items":[${items.map(cachedJson).join(',')}]}`);
  });

  r.add('POST', '/api/v1/applications', async (req) => {
    const a = cleanForWrite(req.body as Application, appNs(ctx, req));
    if (!a?.spec) throw invalid('application spec is required');
    await validate(ctx, a);
    await enforce(ctx, req, 'applications', 'create', appObj(a));
    if (qbool(req.query, 'validate') !== false) await validateSource(ctx, a);
    const ns = a.metadata!.namespace!;
    const existing = ctx.store.app(a.metadata!.name!, ns) ?? (await ctx.client.get(APPS, ns, a.metadata!.name!).catch(() => undefined) as Application | undefined);
    if (existing) {
      if (specOf(existing) === specOf(a) && JSON.stringify(existing.metadata?.labels ?? {}) === JSON.stringify(a.metadata?.labels ?? {})) return existing;
      if (!qbool(req.query, 'upsert')) throw invalid('existing application spec is different, use upsert flag to force update');
      await enforce(ctx, req, 'applications', 'update', appObj(a));
      const updated = (await ctx.client.update(APPS, { ...existing, metadata: { ...existing.metadata, labels: a.metadata?.labels ?? existing.metadata?.labels, annotations: { ...(existing.metadata?.annotations ?? {}), ...(a.metadata?.annotations ?? {}) }, finalizers: a.metadata?.finalizers ?? existing.metadata?.finalizers }, spec: a.spec }).catch((e) => { throw fromKube(e); })) as Application;
      ctx.audit(updated, 'ResourceUpdated', 'updated application spec', req);
      return updated;
    }
    const created = (await ctx.client.create(APPS, ns, a).catch((e) => { throw fromKube(e); })) as Application;
    ctx.audit(created, 'ResourceCreated', 'created application', req);
    return created;
  });

  r.add('GET', '/api/v1/applications/{name}', async (req) => {
    const a = await getApp(ctx, req, req.params.name);
    const refresh = req.query.get('refresh');
    if (refresh) return refreshApp(ctx, a, refresh === 'hard' ? 'hard' : 'normal');
    return a;
  });

  const update = async (req: Req, name: string, body: Application) => {
    const a = await getApp(ctx, req, name, 'update');
    const next = cleanForWrite({ ...body, metadata: { ...a.metadata, ...body.metadata, name } } as Application, a.metadata!.namespace!);
    await validate(ctx, next);
    if ((next.spec.project || 'default') !== (a.spec.project || 'default')) await enforce(ctx, req, 'applications', 'update', appObj(next));
    const out = (await ctx.client.update(APPS, { ...a, metadata: { ...a.metadata, labels: next.metadata?.labels, annotations: next.metadata?.annotations, finalizers: next.metadata?.finalizers }, spec: next.spec }).catch((e) => { throw fromKube(e); })) as Application;
    ctx.audit(out, 'ResourceUpdated', 'updated application spec', req);
    return out;
  };

  r.add('PUT', '/api/v1/applications/{name}', async (req) => update(req, req.params.name, req.body as Application));

  r.add('PUT', '/api/v1/applications/{name}/spec', async (req) => {
    const a = await getApp(ctx, req, req.params.name, 'update');
    const spec = (req.body?.spec ?? req.body) as Application['spec'];
    const out = await update(req, req.params.name, { ...a, spec });
    return out.spec;
  });

  r.add('PATCH', '/api/v1/applications/{name}', async (req) => {
    const cached = await getApp(ctx, req, req.params.name, 'update');
    // patch the API server's copy (the informer's may lag a write made a moment ago) and retry on a conflict
    for (let attempt = 0; ; attempt++) {
      const a = (await ctx.client.get(APPS, cached.metadata!.namespace, cached.metadata!.name!).catch((e) => { throw fromKube(e); })) as Application;
      try {
        return await patchApp(a, req);
      } catch (e) {
        if (!(e instanceof ApiErr) || e.code !== Code.Aborted || attempt >= 4) throw e;
      }
    }
  });
  async function patchApp(a: Application, req: Req): Promise<Application> {
    const patchType = String(req.body?.patchType || 'json');
    const raw = req.body?.patch;
    let patch: unknown;
    try {
      patch = typeof raw === 'string' ? JSON.parse(raw) : raw;
    } catch (e) {
      throw invalid(`error parsing the patch: ${(e as Error).message}`);
    }
    let next: Application;
    try {
      if (patchType === 'merge') next = mergePatch(a, patch) as Application;
      else if (patchType === 'json') next = applyJsonPatch(a, patch as any[]) as Application;
      else throw new Error(`Patch type '${patchType}' is not supported`);
    } catch (e) {
      throw invalid((e as Error).message);
    }
    await validate(ctx, next);
    if ((next.spec.project || 'default') !== (a.spec.project || 'default')) await enforce(ctx, req, 'applications', 'update', appObj(next));
    const out = (await ctx.client.update(APPS, { ...a, metadata: { ...a.metadata, labels: next.metadata?.labels, annotations: next.metadata?.annotations, finalizers: next.metadata?.finalizers }, spec: next.spec }).catch((e) => { throw fromKube(e); })) as Application;
    ctx.audit(out, 'ResourceUpdated', `patched application ${out.metadata?.namespace}/${out.metadata?.name}`, req);
    return out;
  }

  r.add('DELETE', '/api/v1/applications/{name}', async (req) => {
    const a = await getApp(ctx, req, req.params.name, 'delete');
    const cascadeQ = qbool(req.query, 'cascade');
    const cascade = cascadeQ !== false;
    const policy = (req.query.get('propagationPolicy') || '').toLowerCase();
    if (policy && policy !== 'foreground' && policy !== 'background') throw invalid(`invalid propagation policy: ${req.query.get('propagationPolicy')}`);
    if (!cascade && policy) throw invalid('cannot set propagation policy when cascading is disabled');
    const ns = a.metadata!.namespace!;
    // the finalizer list is replaced whole, so the patch carries the resourceVersion it was computed
    // from; the app read may be older than the API server's (the cache, or the controller writing
    // status meanwhile): on a conflict it is read again from the API server and the patch retried
    let cur: Application = a;
    for (let attempt = 1; ; attempt++) {
      const fins = (cur.metadata?.finalizers ?? []).filter((f: string) => f !== FINALIZERS.resources && f !== FINALIZERS.resourcesBackground);
      const want = !cascade ? fins : [...fins, policy === 'background' ? FINALIZERS.resourcesBackground : FINALIZERS.resources];
      if (JSON.stringify(want) === JSON.stringify(cur.metadata?.finalizers ?? [])) break;
      try {
        await ctx.client.patch(APPS, ns, a.metadata!.name!, { metadata: { finalizers: want, resourceVersion: cur.metadata?.resourceVersion } }, 'merge');
        break;
      } catch (e) {
        const err = fromKube(e);
        if (err.code !== Code.Aborted || !/has been modified/.test(err.message) || attempt >= 10) throw err;
        cur = (await ctx.client.get(APPS, ns, a.metadata!.name!).catch((x) => { throw fromKube(x); })) as Application;
      }
    }
    await ctx.client.delete(APPS, ns, a.metadata!.name!).catch((e) => { throw fromKube(e); });
    ctx.audit(a, 'ResourceDeleted', 'deleted application', req);
    return {};
  });

  r.add('POST', '/api/v1/applications/{name}/sync', async (req) => {
    const a = await getApp(ctx, req, req.params.name, 'sync');
    const b = req.body ?? {};
    if ((b.manifests?.length || b.source || b.sources) && !(await can(ctx, req, 'applications', 'override', appObj(a)))) await enforce(ctx, req, 'applications', 'override', appObj(a));
    if (b.revision && a.spec.syncPolicy?.automated && !b.revision.startsWith(a.spec.source?.targetRevision ?? 'HEAD') && a.spec.source?.targetRevision && b.revision !== a.spec.source.targetRevision) {
      throw precondition(`Cannot sync to ${b.revision}: auto-sync currently set to ${a.spec.source.targetRevision}`);
    }
    if (!syncWindowsState(ctx.store.project(a.spec.project || 'default'), a, Date.now(), true).canSync) throw denied('cannot sync: blocked by sync window');
    const source = a.spec.source;
    const revision = String(b.revision || source?.targetRevision || 'HEAD');
    const sync: NonNullable<Operation['sync']> = {
      revision: a.spec.sources?.length ? undefined : revision,
      ...(b.revisions?.length ? { revisions: b.revisions } : {}),
      ...(b.prune ? { prune: true } : {}),
      ...(b.dryRun ? { dryRun: true } : {}),
      ...(b.resources?.length ? { resources: b.resources } : {}),
      ...(b.strategy ? { syncStrategy: b.strategy } : {}),
      ...(b.manifests?.length ? { manifests: b.manifests } : {}),
      ...(b.source ? { source: b.source } : {}),
      ...(b.sources ? { sources: b.sources } : {}),
    };
    const opts: string[] = b.syncOptions?.items ?? (Array.isArray(b.syncOptions) ? b.syncOptions : []);
    if (opts.length) sync.syncOptions = opts;
    const op: Operation = { sync, initiatedBy: { username: username(req) }, ...(b.infos?.length ? { info: b.infos } : {}), ...(b.retryStrategy ? { retry: b.retryStrategy } : a.spec.syncPolicy?.retry ? { retry: a.spec.syncPolicy.retry } : {}) };
    const out = await setOperation(ctx, a, op);
    let shown = revision;
    try {
      if (source?.repoURL && ctx.repo.resolveRevision) {
        const sha = (await ctx.repo.resolveRevision(source.repoURL, revision)).revision;
        if (sha && sha !== revision) shown = `${revision} (${sha})`;
      }
    } catch {
      /* display only */
    }
    ctx.audit(out, 'OperationStarted', `initiated ${b.dryRun ? 'dry run ' : ''}sync to ${shown}`, req);
    return out;
  });

  r.add('POST', '/api/v1/applications/{name}/rollback', async (req) => {
    const a = await getApp(ctx, req, req.params.name, 'sync');
    const id = Number(req.body?.id ?? 0);
    if (a.spec.syncPolicy?.automated && a.spec.syncPolicy.automated.enabled !== false) throw precondition('rollback cannot be initiated when auto-sync is enabled');
    const h = (a.status?.history ?? []).find((x) => Number(x.id) === id);
    if (!h) throw notFound(`application ${a.metadata?.name} does not have deployment with id ${id}`);
    const sync: NonNullable<Operation['sync']> = {
      ...(h.revision ? { revision: h.revision } : {}),
      ...(h.revisions ? { revisions: h.revisions } : {}),
      ...(h.source ? { source: h.source } : {}),
      ...(h.sources ? { sources: h.sources } : {}),
      ...(req.body?.prune ? { prune: true } : {}),
      ...(req.body?.dryRun ? { dryRun: true } : {}),
    };
    const out = await setOperation(ctx, a, { sync, initiatedBy: { username: username(req) } });
    ctx.audit(out, 'OperationStarted', `initiated rollback to ${id}`, req);
    return out;
  });

  r.add('DELETE', '/api/v1/applications/{name}/operation', async (req) => {
    let a = await getApp(ctx, req, req.params.name, 'sync');
    const running = (x: Application) => !!x.operation || x.status?.operationState?.phase === 'Running';
    // the informer's copy may not have the sync written a moment ago: ask the API server before refusing
    if (!running(a)) a = (await ctx.client.get(APPS, a.metadata!.namespace, a.metadata!.name!).catch((e) => { throw fromKube(e); })) as Application;
    const st = a.status?.operationState;
    if (!running(a)) throw invalid('Unable to terminate operation. No operation is in progress');
    // the controller has not picked the operation up yet: the state it would write, terminating
    const state = st && st.phase === 'Running' ? { phase: 'Terminating' } : { operation: a.operation, phase: 'Terminating', startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    await ctx.client.patch(APPS, a.metadata!.namespace, a.metadata!.name!, { status: { operationState: state } }, 'merge').catch((e) => { throw fromKube(e); });
    ctx.audit(a, 'ResourceUpdated', 'terminated running operation', req);
    return {};
  });
}

/** Writes `operation` unless one is running (upstream's 'another operation is already in progress'). */
export async function setOperation(ctx: Ctx, a: Application, op: Operation): Promise<Application> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const cur = attempt === 0 ? a : ((await ctx.client.get(APPS, a.metadata!.namespace, a.metadata!.name!)) as Application);
    if (cur.operation) throw precondition('another operation is already in progress');
    try {
      return (await ctx.client.patch(APPS, cur.metadata!.namespace, cur.metadata!.name!, { metadata: { resourceVersion: cur.metadata?.resourceVersion }, operation: op }, 'merge')) as Application;
    } catch (e) {
      const err = fromKube(e);
      if (err.code !== Code.Aborted) throw err;
    }
  }
  throw new ApiErr(Code.Aborted, 'could not set the operation: the application kept changing');
}

/** Sets the refresh annotation and waits (as upstream) for the controller to reconcile the app again. */
export async function refreshApp(ctx: Ctx, a: Application, kind: 'normal' | 'hard'): Promise<Application> {
  const ns = a.metadata!.namespace!;
  const name = a.metadata!.name!;
  const before = a.status?.reconciledAt;
  await ctx.client.patch(APPS, ns, name, { metadata: { annotations: { [ANNOTATIONS.refresh]: kind } } }, 'merge').catch((e) => { throw fromKube(e); });
  const deadline = Date.now() + ctx.opts.refreshTimeoutMs;
  let seenAnnotated = false;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const cur = ctx.store.app(name, ns);
    if (!cur) break;
    const annotated = !!cur.metadata?.annotations?.[ANNOTATIONS.refresh];
    seenAnnotated ||= annotated;
    if (cur.status?.reconciledAt !== before && !annotated) return cur;
    if (seenAnnotated && !annotated) return cur;
  }
  return ctx.store.app(name, ns) ?? a;
}

/**
 * `fields=items.metadata.name,items.status.sync.status`: only those paths of the answer (as
 * upstream's list filters fields); arrays are walked through.
 */
export function project(obj: unknown, fields: string[]): unknown {
  const out: Record<string, unknown> = {};
  for (const f of fields) copyPath(obj, out, f.split('.'));
  return out;
}

const projected = new WeakMap<object, { key: string; json: string }>();

/**
 * The JSON of `project({items}, fields)` when every field is under `items.` (what `argocd app list`
 * asks for), from each item's projection kept with the item for the last field list asked: informer
 * cache entries are replaced, never mutated, so a list request serialises only the apps that changed.
 * undefined for other field lists.
 */
export function projectItemsJson(items: object[], fields: string[]): string | undefined {
  if (!fields.every((f) => f.startsWith('items.'))) return undefined;
  const paths = fields.map((f) => f.slice('items.'.length).split('.'));
  const key = fields.join(',');
  const parts = items.map((a) => {
    const c = projected.get(a);
    if (c?.key === key) return c.json;
    const out: Record<string, unknown> = {};
    for (const p of paths) copyPath(a, out, p);
    const json = JSON.stringify(out);
    projected.set(a, { key, json });
    return json;
  });
  return `{"items":[${parts.join(',')}]}`;
}

function copyPath(src: any, dst: any, path: string[]): void {
  if (src === null || src === undefined || !path.length) return;
  const [head, ...rest] = path;
  const v = src[head];
  if (v === undefined) return;
  if (!rest.length) {
    dst[head] = v;
    return;
  }
  if (Array.isArray(v)) {
    const arr: any[] = (dst[head] ??= v.map(() => ({})));
    v.forEach((item, i) => copyPath(item, arr[i], rest));
    return;
  }
  if (typeof v === 'object') copyPath(v, (dst[head] ??= {}), rest);
}
