/** WorkflowService: list/get/create/delete/lint/submit and the lifecycle actions (retry, resubmit, resume, suspend, stop, terminate, set). */
import { retryWorkflow, suspendWorkflow, validateWorkflow, type Workflow } from '@flotilla/workflows-controller';
import type { KubeClient } from '@flotilla/kube-runtime';
import { ApiErr, Code, invalid, qbool, precondition, type Router } from '../http.js';
import type { Caller, Ctx } from '../context.js';
import { listNamespace } from '../context.js';
import { AR, LABEL } from '../resources.js';
import { filterFields, parseKeyValues, parseNodeFieldSelector } from '../fields.js';
import { resumeNodes, setNodes, stopNodes } from '../nodes.js';
import { callerIdentity } from '../identity.js';
import { applySubmitOpts, cleanForCreate, memoizedResubmit, resubmitOf, workflowFrom, type SubmitOpts } from '../submit.js';
import { kcall, listBody, listQuery, modify, needObject, resolverFor, validationError, withKind } from './common.js';

const COMPLETED = new Set(['Succeeded', 'Failed', 'Error']);

/** Validates and creates a Workflow with the caller's client (`serverDryRun`: the API server's dry run). */
export async function createWorkflow(kube: KubeClient, ns: string, wf: Workflow, o: { serverDryRun?: boolean; dryRun?: boolean } = {}): Promise<Workflow> {
  wf = cleanForCreate({ ...wf, apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow' });
  wf.metadata.namespace = ns;
  if (!wf.metadata.name && !wf.metadata.generateName) throw invalid('workflow: metadata.name or metadata.generateName is required');
  const err = validationError(validateWorkflow(wf, await resolverFor(kube, ns, wf)));
  if (err) throw err;
  if (o.dryRun) return wf;
  return withKind(await kcall(kube.create<any>(AR.workflows, ns, wf as any, o.serverDryRun ? { dryRun: 'All' } : {})), 'Workflow') as Workflow;
}

/** Nodes of a workflow a selector picks (none given: every node). */
function selector(s: string | undefined) {
  return parseNodeFieldSelector(s);
}

async function deleteIgnoringMissing(kube: KubeClient, r: Parameters<KubeClient['delete']>[0], ns: string, name: string): Promise<void> {
  try {
    await kube.delete(r, ns, name);
  } catch (e) {
    if ((e as { code?: number }).code !== 404) throw e;
  }
}

/** `argo retry` against the cluster: the status transform, then pods and task results of rerun nodes deleted. */
export async function retryInCluster(kube: KubeClient, ns: string, wf: Workflow, o: { restartSuccessful?: boolean; nodeFieldSelector?: string; parameters?: string[] }): Promise<Workflow> {
  let out: ReturnType<typeof retryWorkflow>;
  try {
    out = retryWorkflow(wf, { restartSuccessful: o.restartSuccessful, select: selector(o.nodeFieldSelector) as any, parameters: parseKeyValues(o.parameters, 'parameter') });
  } catch (e) {
    if (e instanceof ApiErr) throw e;
    throw precondition((e as Error).message);
  }
  const before = Object.keys(wf.status?.nodes ?? {});
  const after = new Set(Object.keys(out.workflow.status?.nodes ?? {}));
  for (const p of out.podsToDelete) await kcall(deleteIgnoringMissing(kube, { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true }, ns, p));
  for (const id of before.filter((id) => !after.has(id))) await deleteIgnoringMissing(kube, AR.taskResults, ns, id).catch(() => {});
  const next = out.workflow;
  next.metadata = { ...next.metadata, labels: { ...(next.metadata.labels ?? {}), [LABEL.completed]: 'false' } };
  delete next.metadata.labels![LABEL.phase];
  delete next.metadata.labels![LABEL.archivingStatus];
  return next;
}

export function registerWorkflows(router: Router<Caller>, ctx: Ctx): void {
  const list = async (ns: string | undefined, q: URLSearchParams, kube: KubeClient) => {
    const l = await kcall(kube.list<any>(AR.workflows, listNamespace(ctx, ns), listQuery(q)));
    const body = listBody('WorkflowList', l);
    // no workflow: "items": null, as upstream's (Go's nil slice; its e2e checks it)
    if (!(body.items as unknown[]).length) body.items = null;
    return filterFields(body, q.get('fields'));
  };
  router.add('GET', '/api/v1/workflows', (r) => list(undefined, r.query, r.ctx.kube));
  router.add('GET', '/api/v1/workflows/{namespace}', (r) => list(r.params.namespace, r.query, r.ctx.kube));

  router.add('GET', '/api/v1/workflows/{namespace}/{name}', async (r) => {
    const wf = await kcall(r.ctx.kube.get<any>(AR.workflows, r.params.namespace, r.params.name!));
    // node status offloaded to the database (persistence.nodeStatusOffLoad): put back
    const ver = wf.status?.offloadNodeStatusVersion;
    if (ver && !wf.status.nodes) {
      if (!ctx.archive) throw new ApiErr(Code.FailedPrecondition, `workflow ${wf.metadata.name} has offloaded node status (${ver}) and no database is configured (persistence)`);
      const nodes = await ctx.archive.offloadedNodes(wf.metadata.uid, ver);
      if (!nodes) throw new ApiErr(Code.NotFound, `offloaded node status ${ver} of workflow ${wf.metadata.name} not found in the database`);
      wf.status = { ...wf.status, nodes };
    }
    return filterFields(withKind(wf, 'Workflow'), r.query.get('fields'));
  });

  router.add('POST', '/api/v1/workflows/{namespace}', async (r) => {
    const wf = needObject(r.body.workflow, 'workflow') as Workflow;
    wf.metadata ??= {};
    if (r.body.instanceID) wf.metadata.labels = { ...(wf.metadata.labels ?? {}), [LABEL.controllerInstanceId]: r.body.instanceID };
    else if (ctx.opts.instanceId) wf.metadata.labels = { ...(wf.metadata.labels ?? {}), [LABEL.controllerInstanceId]: ctx.opts.instanceId };
    // createOptions.dryRun (["All"]): validated and answered, nothing sent to Kubernetes (no uid), as upstream;
    // serverDryRun: the API server's dry run
    const dryRun = Array.isArray(r.body.createOptions?.dryRun) && r.body.createOptions.dryRun.length > 0;
    return createWorkflow(r.ctx.kube, r.params.namespace!, wf, { serverDryRun: !!r.body.serverDryRun, dryRun });
  });

  router.add('DELETE', '/api/v1/workflows/{namespace}/{name}', async (r) => {
    const pol = r.query.get('deleteOptions.propagationPolicy') as 'Background' | 'Foreground' | 'Orphan' | null;
    const grace = r.query.get('deleteOptions.gracePeriodSeconds');
    await kcall(r.ctx.kube.delete(AR.workflows, r.params.namespace, r.params.name!, { propagationPolicy: pol ?? undefined, gracePeriodSeconds: grace ? Number(grace) : undefined }));
    return {};
  });

  router.add('POST', '/api/v1/workflows/{namespace}/lint', async (r) => {
    const wf = needObject(r.body.workflow, 'workflow') as Workflow;
    wf.metadata ??= {};
    const err = validationError(validateWorkflow(wf, await resolverFor(r.ctx.kube, r.params.namespace!, wf), { lint: true }));
    if (err) throw err;
    return withKind(wf as any, 'Workflow');
  });

  router.add('POST', '/api/v1/workflows/{namespace}/submit', async (r) => {
    const ns = r.params.namespace!;
    const kind = String(r.body.resourceKind ?? '');
    const name = String(r.body.resourceName ?? '');
    if (!kind || !name) throw invalid('resourceKind and resourceName are required');
    const k = kind.toLowerCase().replace(/^(cwft|clusterworkflowtemplates?)$/, 'clusterworkflowtemplate').replace(/^(wftmpl|workflowtemplates?)$/, 'workflowtemplate').replace(/^(cwf|cronwf|cronworkflows?)$/, 'cronworkflow');
    const res = k === 'workflowtemplate' ? AR.workflowTemplates : k === 'clusterworkflowtemplate' ? AR.clusterWorkflowTemplates : k === 'cronworkflow' ? AR.cronWorkflows : undefined;
    if (!res) throw invalid(`resourceKind "${kind}" is not supported: want WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow`);
    const src = await kcall(r.ctx.kube.get<any>(res, res.namespaced ? ns : undefined, name));
    const so = (r.body.submitOptions ?? {}) as SubmitOpts;
    let wf = applySubmitOpts(workflowFrom(k, src, ns), so);
    if (ctx.opts.instanceId) wf.metadata.labels = { ...(wf.metadata.labels ?? {}), [LABEL.controllerInstanceId]: ctx.opts.instanceId };
    return createWorkflow(r.ctx.kube, ns, wf, { serverDryRun: so.serverDryRun, dryRun: so.dryRun });
  });

  const action = (verb: string, fn: (wf: Workflow, body: any, kube: KubeClient, ns: string, caller: Caller) => Promise<Workflow> | Workflow) =>
    router.add('PUT', `/api/v1/workflows/{namespace}/{name}/${verb}`, async (r) => {
      const ns = r.params.namespace!;
      return withKind(await modify<Workflow>(r.ctx.kube, AR.workflows, ns, r.params.name!, (wf) => fn(wf, r.body, r.ctx.kube, ns, r.ctx)) as any, 'Workflow');
    });

  action('retry', (wf, b, kube, ns) => retryInCluster(kube, ns, wf, { restartSuccessful: !!b.restartSuccessful, nodeFieldSelector: b.nodeFieldSelector, parameters: b.parameters }));
  // the resumed suspend nodes' messages say who resumed them (upstream's `Resumed by: map[User:…]`)
  action('resume', (wf, b, _k, _ns, caller) => resumeNodes(wf, { nodeFieldSelector: b.nodeFieldSelector, who: callerIdentity(caller) }));
  action('suspend', (wf) => {
    if (COMPLETED.has(wf.status?.phase ?? '')) throw precondition('cannot suspend completed workflows');
    return suspendWorkflow(wf);
  });
  const shutdown = (kind: 'Stop' | 'Terminate') => (wf: Workflow, b: any) => {
    if (COMPLETED.has(wf.status?.phase ?? '')) throw precondition('cannot shutdown a completed workflow');
    const next = { ...wf, spec: { ...wf.spec, shutdown: kind } } as Workflow;
    if (kind === 'Stop' && b.message) next.status = { ...(wf.status ?? {}), message: String(b.message) };
    return next;
  };
  // with a node selector only the selected suspend nodes stop (Failed): the workflow goes on and fails through them
  action('stop', (wf, b) => (b.nodeFieldSelector ? stopNodes(wf, String(b.nodeFieldSelector), b.message ? String(b.message) : undefined) : shutdown('Stop')(wf, b)));
  action('terminate', shutdown('Terminate'));
  action('set', (wf, b) => setNodes(wf, b));

  router.add('PUT', '/api/v1/workflows/{namespace}/{name}/resubmit', async (r) => {
    const ns = r.params.namespace!;
    const wf = await kcall(r.ctx.kube.get<any>(AR.workflows, ns, r.params.name!));
    return resubmit(r.ctx.kube, ns, wf, { parameters: r.body.parameters, memoized: !!r.body.memoized });
  });
}

/** `argo resubmit` (`memoized`: the successful nodes carried over under a name chosen here). */
export async function resubmit(kube: KubeClient, ns: string, wf: Workflow, o: { parameters?: string[]; memoized?: boolean }): Promise<Workflow> {
  if (!o.memoized) return createWorkflow(kube, ns, resubmitOf(wf, o));
  const base = `${(wf.metadata.name ?? 'wf').replace(/-$/, '')}-`.slice(0, 57);
  for (let attempt = 0; ; attempt++) {
    const name = base + Array.from({ length: 5 }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(Math.random() * 27)]).join('');
    try {
      return await createWorkflow(kube, ns, memoizedResubmit(wf, name, o));
    } catch (e) {
      if (e instanceof ApiErr && e.code === Code.AlreadyExists && attempt < 3) continue;
      throw e;
    }
  }
}

export { qbool, setNodes };
