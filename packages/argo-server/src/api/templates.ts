/** WorkflowTemplateService, ClusterWorkflowTemplateService, CronWorkflowService: CRUD, lint, suspend/resume. */
import { lintObject } from '@flotilla/workflows-controller';
import type { KubeClient, Resource } from '@flotilla/kube-runtime';
import type { Router } from '../http.js';
import type { Caller, Ctx } from '../context.js';
import { listNamespace } from '../context.js';
import { AR } from '../resources.js';
import { filterFields } from '../fields.js';
import { cleanForCreate } from '../submit.js';
import { kcall, listBody, listQuery, modify, needObject, resolverFor, validationError, withKind } from './common.js';

interface Kind {
  res: Resource;
  kind: string;
  base: string;
  /** the request body's field holding the object */
  field: 'template' | 'cronWorkflow';
}

async function lint(kube: KubeClient, k: Kind, ns: string, obj: Record<string, any>): Promise<Record<string, any>> {
  const o = { ...obj, kind: k.kind, apiVersion: 'argoproj.io/v1alpha1', metadata: obj.metadata ?? {} };
  const err = validationError(lintObject(o, await resolverFor(kube, ns, o)));
  if (err) throw err;
  return o;
}

function register(router: Router<Caller>, ctx: Ctx, k: Kind): void {
  const cluster = !k.res.namespaced;
  const path = cluster ? k.base : `${k.base}/{namespace}`;
  const nsOf = (p: Record<string, string>) => (cluster ? undefined : p.namespace);
  const lintNs = (p: Record<string, string>) => p.namespace ?? ctx.opts.namespace;

  router.add('GET', path, async (r) => {
    const l = await kcall(r.ctx.kube.list<any>(k.res, cluster ? undefined : listNamespace(ctx, r.params.namespace), listQuery(r.query)));
    return filterFields(listBody(`${k.kind}List`, l), r.query.get('fields'));
  });
  if (!cluster) router.add('GET', k.base, async (r) => listBody(`${k.kind}List`, await kcall(r.ctx.kube.list<any>(k.res, listNamespace(ctx, undefined), listQuery(r.query)))));
  router.add('GET', `${path}/{name}`, async (r) => withKind(await kcall(r.ctx.kube.get<any>(k.res, nsOf(r.params), r.params.name!)), k.kind));
  router.add('POST', path, async (r) => {
    const obj = await lint(r.ctx.kube, k, lintNs(r.params), needObject(r.body[k.field], k.field));
    const clean = cleanForCreate(obj);
    delete (clean as any).status;
    if (!cluster) clean.metadata.namespace = r.params.namespace;
    const dry = r.body.createOptions?.dryRun?.includes?.('All');
    return withKind(await kcall(r.ctx.kube.create<any>(k.res, nsOf(r.params), clean as any, dry ? { dryRun: 'All' } : {})), k.kind);
  });
  router.add('POST', `${path}/lint`, async (r) => lint(r.ctx.kube, k, lintNs(r.params), needObject(r.body[k.field], k.field)));
  router.add('PUT', `${path}/{name}`, async (r) => {
    const obj = await lint(r.ctx.kube, k, lintNs(r.params), needObject(r.body[k.field], k.field));
    return withKind(await modify<any>(r.ctx.kube, k.res, nsOf(r.params), r.params.name!, (cur) => ({
      ...obj,
      metadata: { ...(obj.metadata ?? {}), name: r.params.name, namespace: cur.metadata?.namespace, resourceVersion: obj.metadata?.resourceVersion ?? cur.metadata?.resourceVersion },
      status: cur.status,
    })), k.kind);
  });
  router.add('DELETE', `${path}/{name}`, async (r) => {
    await kcall(r.ctx.kube.delete(k.res, nsOf(r.params), r.params.name!));
    return {};
  });
}

export function registerTemplates(router: Router<Caller>, ctx: Ctx): void {
  register(router, ctx, { res: AR.workflowTemplates, kind: 'WorkflowTemplate', base: '/api/v1/workflow-templates', field: 'template' });
  register(router, ctx, { res: AR.clusterWorkflowTemplates, kind: 'ClusterWorkflowTemplate', base: '/api/v1/cluster-workflow-templates', field: 'template' });
  register(router, ctx, { res: AR.cronWorkflows, kind: 'CronWorkflow', base: '/api/v1/cron-workflows', field: 'cronWorkflow' });
  for (const [verb, suspend] of [['suspend', true], ['resume', false]] as const) {
    router.add('PUT', `/api/v1/cron-workflows/{namespace}/{name}/${verb}`, async (r) =>
      withKind(await modify<any>(r.ctx.kube, AR.cronWorkflows, r.params.namespace, r.params.name!, (cur) => {
        // resume leaves no `suspend` key (upstream's `suspend: false` is omitted when written)
        const { suspend: _, ...spec } = cur.spec ?? {};
        return { ...cur, spec: suspend ? { ...spec, suspend } : spec };
      }), 'CronWorkflow'));
  }
}
