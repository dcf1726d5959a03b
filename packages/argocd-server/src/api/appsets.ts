/** ApplicationSetService: list/get/create/delete of ApplicationSets (their controller is another issue); RBAC `applicationsets`, object `<project>/<name>`. */
import { parseLabelSelector, matchLabels } from '@flotilla/apimachinery';
import type { KubeObject } from '@flotilla/apimachinery';
import { fromKube, invalid, notFound, qbool, qlist, type Router, type Req } from '../http.js';
import { enforce, subjects, type Ctx } from '../context.js';
import { APPSETS } from '../store.js';

const projectOf = (s: KubeObject) => String((s as any).spec?.template?.spec?.project || 'default');
const objOf = (s: KubeObject) => `${projectOf(s)}/${s.metadata?.name}`;

async function get(ctx: Ctx, req: Req, name: string, act: string): Promise<KubeObject> {
  const ns = req.query.get('appsetNamespace') || ctx.store.namespace;
  let s: KubeObject;
  try {
    s = await ctx.client.get(APPSETS, ns, name);
  } catch (e) {
    const err = fromKube(e);
    if (err.code === 5) {
      await enforce(ctx, req, 'applicationsets', act, `*/${name}`);
      throw notFound(`applicationsets.argoproj.io "${name}" not found`);
    }
    throw err;
  }
  await enforce(ctx, req, 'applicationsets', act, objOf(s));
  return s;
}

export function registerAppSets(r: Router, ctx: Ctx): void {
  r.add('GET', '/api/v1/applicationsets', async (req) => {
    const ns = req.query.get('appsetNamespace') || ctx.store.namespace;
    const l = await ctx.client.list(APPSETS, ns).catch((e) => { throw fromKube(e); });
    const projects = qlist(req.query, 'projects');
    const sel = req.query.get('selector');
    const reqs = sel ? parseLabelSelector(sel) : undefined;
    const rbac = await ctx.store.rbac();
    const { sub, groups } = subjects(req.claims, rbac.cfg.scopes);
    const items = l.items.filter((s) => (!projects.length || projects.includes(projectOf(s))) && (!reqs || matchLabels(reqs, s.metadata?.labels as Record<string, string>)) && rbac.enforce(sub, groups, 'applicationsets', 'get', objOf(s)));
    return { metadata: { resourceVersion: l.metadata?.resourceVersion }, items };
  });

  r.add('GET', '/api/v1/applicationsets/{name}', async (req) => get(ctx, req, req.params.name, 'get'));

  r.add('POST', '/api/v1/applicationsets', async (req) => {
    const s = req.body as KubeObject;
    if (!s?.metadata?.name) throw invalid('applicationset name is required');
    const ns = s.metadata.namespace || ctx.store.namespace;
    const body = { ...s, apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { ...s.metadata, namespace: ns } } as KubeObject;
    await enforce(ctx, req, 'applicationsets', 'create', objOf(body));
    const existing = await ctx.client.get(APPSETS, ns, s.metadata.name).catch(() => undefined);
    const dry = qbool(req.query, 'dryRun') === true;
    if (existing) {
      if (JSON.stringify((existing as any).spec) === JSON.stringify((body as any).spec)) return existing;
      if (!qbool(req.query, 'upsert')) throw invalid(`existing ApplicationSet spec is different, use upsert flag to force update`);
      await enforce(ctx, req, 'applicationsets', 'update', objOf(body));
      if (dry) return { ...existing, spec: (body as any).spec };
      const out = await ctx.client.update(APPSETS, { ...existing, spec: (body as any).spec } as KubeObject).catch((e) => { throw fromKube(e); });
      ctx.audit(out, 'ResourceUpdated', 'updated ApplicationSet', req);
      return out;
    }
    if (dry) return body;
    const out = await ctx.client.create(APPSETS, ns, body).catch((e) => { throw fromKube(e); });
    ctx.audit(out, 'ResourceCreated', 'created ApplicationSet', req);
    return out;
  });

  r.add('DELETE', '/api/v1/applicationsets/{name}', async (req) => {
    const s = await get(ctx, req, req.params.name, 'delete');
    await ctx.client.delete(APPSETS, s.metadata!.namespace, s.metadata!.name!).catch((e) => { throw fromKube(e); });
    ctx.audit(s, 'ResourceDeleted', 'deleted ApplicationSet', req);
    return {};
  });
}
