/**
 * ApplicationSetService's Generate and ResourceTree: `POST /api/v1/applicationsets/generate`
 * (`{applicationSet}` → `{applications}`: what the set would generate, nothing written; RBAC
 * `applicationsets create` on `<project>/<name>`) and `GET /api/v1/applicationsets/{name}/resource-tree`
 * (the Applications the set owns, as resource nodes). Generation is @flotilla/applicationset's.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { GeneratorError, isOwnedBy, previewApplications, type ApplicationSet } from '@flotilla/applicationset';
import { fromKube, invalid, notFound, type Router } from '../http.js';
import { enforce, type Ctx } from '../context.js';
import { APPSETS } from '../store.js';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
const projectOf = (s: KubeObject) => String((s as { spec?: { template?: { spec?: { project?: string } } } }).spec?.template?.spec?.project || 'default');

export function registerAppSetGenerate(r: Router, ctx: Ctx): void {
  r.add('POST', '/api/v1/applicationsets/generate', async (req) => {
    const set = (req.body as { applicationSet?: ApplicationSet } | undefined)?.applicationSet;
    if (!set?.metadata?.name) throw invalid('applicationSet.metadata.name is required');
    await enforce(ctx, req, 'applicationsets', 'create', `${projectOf(set)}/${set.metadata.name}`);
    try {
      return { applications: await previewApplications(ctx.client, ctx.store.namespace, set) };
    } catch (e) {
      if (e instanceof GeneratorError) throw invalid(`error generating applications: ${e.message}`);
      throw e;
    }
  });

  r.add('GET', '/api/v1/applicationsets/{name}/resource-tree', async (req) => {
    const ns = req.query.get('appsetNamespace') || ctx.store.namespace;
    const set = (await ctx.client.get(APPSETS, ns, req.params.name).catch((e) => {
      const err = fromKube(e);
      throw err.code === 5 ? notFound(`applicationsets.argoproj.io "${req.params.name}" not found`) : err;
    })) as ApplicationSet;
    await enforce(ctx, req, 'applicationsets', 'get', `${projectOf(set)}/${set.metadata!.name}`);
    const apps = (await ctx.client.list(APPS, ns).catch((e) => { throw fromKube(e); })).items.filter((a) => isOwnedBy(a as never, set));
    return {
      nodes: apps.map((a) => ({
        group: 'argoproj.io',
        version: 'v1alpha1',
        kind: 'Application',
        namespace: a.metadata?.namespace,
        name: a.metadata?.name,
        uid: a.metadata?.uid,
        resourceVersion: a.metadata?.resourceVersion,
        parentRefs: [{ group: 'argoproj.io', kind: 'ApplicationSet', namespace: ns, name: set.metadata!.name, uid: set.metadata!.uid }],
        health: (a as { status?: { health?: unknown } }).status?.health,
        createdAt: a.metadata?.creationTimestamp,
      })),
    };
  });
}
