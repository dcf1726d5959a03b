/** ArchivedWorkflowService: list/get/delete, label keys/values, resubmit and retry of archived workflows. */
import type { Workflow } from '@flotilla/workflows-controller';
import { ApiErr, Code, invalid, notFound, type Router } from '../http.js';
import type { Caller, Ctx } from '../context.js';
import { listNamespace } from '../context.js';
import { AR, LABEL } from '../resources.js';
import { parseLabelSelector } from '../fields.js';
import type { Archive, ListQuery } from '../archive/index.js';
import { kcall, withKind } from './common.js';
import { resubmit, retryInCluster } from './workflows.js';

/** `listOptions.fieldSelector` of the archive: metadata.name=, metadata.namespace=, spec.startedAt>, spec.startedAt<. */
function fieldQuery(sel: string | null, q: ListQuery): void {
  for (const term of (sel ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([\w.]+)\s*(==|=|>|<)\s*(.*)$/.exec(term);
    if (!m) throw invalid(`unsupported field selector term "${term}"`);
    const [, f, op, v] = m;
    if (f === 'metadata.name' && (op === '=' || op === '==')) q.name = v;
    else if (f === 'metadata.namespace' && (op === '=' || op === '==')) q.namespace = v;
    else if (f === 'spec.startedAt' && op === '>') q.minStartedAt = v;
    else if (f === 'spec.startedAt' && op === '<') q.maxStartedAt = v;
    else throw invalid(`unsupported field selector term "${term}": want metadata.name=, metadata.namespace=, spec.startedAt> or spec.startedAt<`);
  }
}

export function registerArchived(router: Router<Caller>, ctx: Ctx): void {
  const archive = (): Archive => {
    if (!ctx.archive) throw new ApiErr(Code.Unimplemented, 'the workflow archive is not enabled: set persistence (postgresql, archive: true) in the workflow-controller-configmap');
    return ctx.archive;
  };
  /** The caller may read archived workflows of a namespace when Kubernetes lets them list its workflows. */
  const mayRead = async (c: Caller, ns: string | undefined) => {
    if (c.mode === 'server') return;
    await kcall(c.kube.list(AR.workflows, ns, { limit: 1 }));
  };
  router.add('GET', '/api/v1/archived-workflows', async (r) => {
    const q: ListQuery = { namespace: listNamespace(ctx, r.query.get('namespace') || undefined), namePrefix: r.query.get('namePrefix') || undefined, labels: parseLabelSelector(r.query.get('listOptions.labelSelector')) };
    fieldQuery(r.query.get('listOptions.fieldSelector'), q);
    const limit = Number(r.query.get('listOptions.limit') || 0);
    const offset = Number(r.query.get('listOptions.continue') || 0);
    if (!Number.isInteger(limit) || limit < 0) throw invalid('listOptions.limit: want a non-negative integer');
    if (!Number.isInteger(offset) || offset < 0) throw invalid('listOptions.continue: want the offset an earlier answer gave');
    q.limit = limit || undefined;
    q.offset = offset;
    await mayRead(r.ctx, q.namespace);
    const { items, more } = await archive().list(q);
    // an empty list is `"items": null`, as upstream's grpc-gateway renders it
    return { metadata: more ? { continue: String(offset + items.length) } : {}, items: items.length ? items : null };
  });
  router.add('GET', '/api/v1/archived-workflows-label-keys', async (r) => {
    await mayRead(r.ctx, r.query.get('namespace') || undefined);
    return { items: await archive().labelKeys(listNamespace(ctx, r.query.get('namespace') || undefined)) };
  });
  router.add('GET', '/api/v1/archived-workflows-label-values', async (r) => {
    const sel = r.query.get('listOptions.labelSelector') ?? '';
    if (!/^[\w./-]+$/.test(sel)) throw invalid('listOptions.labelSelector: want one label key');
    await mayRead(r.ctx, r.query.get('namespace') || undefined);
    return { items: await archive().labelValues(sel, listNamespace(ctx, r.query.get('namespace') || undefined)) };
  });
  const getOne = async (c: Caller, uid: string): Promise<Workflow> => {
    const wf = (await archive().get(uid)) as Workflow | undefined;
    if (!wf) throw notFound(`archived workflow ${uid} not found`);
    await mayRead(c, wf.metadata.namespace);
    return wf;
  };
  router.add('GET', '/api/v1/archived-workflows/{uid}', async (r) => withKind(await getOne(r.ctx, r.params.uid!) as any, 'Workflow'));
  router.add('DELETE', '/api/v1/archived-workflows/{uid}', async (r) => {
    const wf = await getOne(r.ctx, r.params.uid!);
    if (r.ctx.mode !== 'server') await kcall(r.ctx.kube.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { group: 'argoproj.io', resource: 'workflows', verb: 'delete', namespace: wf.metadata.namespace } } } }).then((rev: any) => {
      if (!rev?.status?.allowed) throw new ApiErr(Code.PermissionDenied, `permission denied: you may not delete workflows in namespace ${wf.metadata.namespace}`);
    }));
    await archive().delete(r.params.uid!);
    return {};
  });
  router.add('PUT', '/api/v1/archived-workflows/{uid}/resubmit', async (r) => {
    const wf = await getOne(r.ctx, r.params.uid!);
    return resubmit(r.ctx.kube, r.body.namespace || wf.metadata.namespace!, wf, { parameters: r.body.parameters, memoized: !!r.body.memoized });
  });
  router.add('PUT', '/api/v1/archived-workflows/{uid}/retry', async (r) => {
    const wf = await getOne(r.ctx, r.params.uid!);
    const ns = r.body.namespace || wf.metadata.namespace!;
    // the workflow is still in the cluster: retry that one; else it is recreated from the archive with its status
    let live: Workflow | undefined;
    try {
      live = await r.ctx.kube.get<any>(AR.workflows, ns, wf.metadata.name!);
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    if (live && live.metadata.uid === wf.metadata.uid) {
      const next = await retryInCluster(r.ctx.kube, ns, live, { restartSuccessful: !!r.body.restartSuccessful, nodeFieldSelector: r.body.nodeFieldSelector, parameters: r.body.parameters });
      return withKind(await kcall(r.ctx.kube.update<any>(AR.workflows, next as any)), 'Workflow');
    }
    if (live) throw new ApiErr(Code.AlreadyExists, `workflow ${ns}/${wf.metadata.name} already exists (a different one than the archived ${wf.metadata.uid}): delete it to retry the archived one`);
    const next = await retryInCluster(r.ctx.kube, ns, wf, { restartSuccessful: !!r.body.restartSuccessful, nodeFieldSelector: r.body.nodeFieldSelector, parameters: r.body.parameters });
    const m = next.metadata;
    next.metadata = { name: m.name, namespace: ns, labels: m.labels, annotations: m.annotations };
    delete next.metadata.labels?.[LABEL.archivingStatus];
    return withKind(await kcall(r.ctx.kube.create<any>(AR.workflows, ns, next as any)), 'Workflow');
  });
}
