/** ProjectService: CRUD, detailed, sync windows, events, role tokens (recorded in spec.roles[].jwtTokens and status.jwtTokensByRole). */
import { R } from '@flotilla/kube-runtime';
import type { AppProject } from '@flotilla/argocd-engine/types';
import { ApiErr, Code, fromKube, invalid, notFound, type Router, type Req } from '../http.js';
import { can, enforce, username, subjects, type Ctx } from '../context.js';
import { PROJECTS, see } from '../store.js';
import { projectPolicies } from '../rbac.js';
import { parseExpiresIn } from '../accounts.js';
import { windowActive } from '../syncwindows.js';
import { clusterSecrets } from '../clusters-store.js';
import { repoSecrets, repoJson } from './repos.js';
import { clusterJson } from './clusters.js';

async function getProject(ctx: Ctx, req: Req, name: string, act = 'get'): Promise<AppProject> {
  await enforce(ctx, req, 'projects', act, name);
  const p = ctx.store.project(name) ?? ((await ctx.client.get(PROJECTS, ctx.store.namespace, name).catch(() => undefined)) as AppProject | undefined);
  if (!p) throw notFound(`appprojects.argoproj.io "${name}" not found`);
  return p;
}

function validateProject(p: AppProject): void {
  if (!p?.metadata?.name) throw invalid('project name is required');
  const errs = projectPolicies([p]).errors;
  if (errs.length) throw invalid(errs[0]);
  const roles = new Set<string>();
  for (const r of p.spec?.roles ?? []) {
    if (!/^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(r.name ?? '')) throw invalid(`invalid role name '${r.name}'`);
    if (roles.has(r.name)) throw invalid(`role '${r.name}' already exists`);
    roles.add(r.name);
  }
}

function clean(p: AppProject, ns: string): AppProject {
  const m = { ...(p.metadata ?? {}) };
  delete m.uid;
  delete m.creationTimestamp;
  delete m.managedFields;
  delete m.generation;
  m.namespace = ns;
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: m, spec: p.spec ?? {}, ...(p.status ? { status: p.status } : {}) } as AppProject;
}

export function registerProjects(r: Router, ctx: Ctx): void {
  const ns = () => ctx.store.namespace;

  r.add('GET', '/api/v1/projects', async (req) => {
    const rbac = await ctx.store.rbac();
    const { sub, groups } = subjects(req.claims, rbac.cfg.scopes);
    const items = ctx.store.projects.list(ns()).filter((p) => rbac.enforce(sub, groups, 'projects', 'get', p.metadata!.name!)).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
    return { metadata: { resourceVersion: ctx.store.projects.resourceVersion }, items };
  });

  r.add('POST', '/api/v1/projects', async (req) => {
    const p = clean(req.body?.project as AppProject, ns());
    validateProject(p);
    await enforce(ctx, req, 'projects', 'create', p.metadata!.name!);
    const existing = ctx.store.project(p.metadata!.name!);
    if (existing) {
      if (JSON.stringify(existing.spec) === JSON.stringify(p.spec)) return existing;
      if (!req.body?.upsert) throw invalid('existing project spec is different, use upsert flag to force update');
      await enforce(ctx, req, 'projects', 'update', p.metadata!.name!);
      const out = (await ctx.client.update(PROJECTS, { ...existing, spec: p.spec }).catch((e) => { throw fromKube(e); })) as AppProject;
      see(ctx.store.projects, out);
      ctx.audit(out, 'ResourceUpdated', 'updated project', req);
      return out;
    }
    delete p.metadata!.resourceVersion;
    const out = (await ctx.client.create(PROJECTS, ns(), p).catch((e) => { throw fromKube(e); })) as AppProject;
    see(ctx.store.projects, out);
    ctx.audit(out, 'ResourceCreated', 'created project', req);
    return out;
  });

  r.add('GET', '/api/v1/projects/{name}', async (req) => getProject(ctx, req, req.params.name));

  r.add('PUT', '/api/v1/projects/{name}', async (req) => {
    const cur = await getProject(ctx, req, req.params.name, 'update');
    const p = clean({ ...(req.body?.project ?? {}), metadata: { ...cur.metadata, ...(req.body?.project?.metadata ?? {}), name: req.params.name } } as AppProject, ns());
    validateProject(p);
    // tokens are issued through the token API only: keep the ones on record
    for (const role of p.spec.roles ?? []) {
      const old = cur.spec.roles?.find((x) => x.name === role.name);
      if (old?.jwtTokens && !role.jwtTokens) role.jwtTokens = old.jwtTokens;
    }
    const out = (await ctx.client.update(PROJECTS, { ...cur, metadata: { ...cur.metadata, labels: p.metadata?.labels, annotations: p.metadata?.annotations, resourceVersion: p.metadata?.resourceVersion ?? cur.metadata?.resourceVersion }, spec: p.spec }).catch((e) => { throw fromKube(e); })) as AppProject;
    see(ctx.store.projects, out);
    ctx.audit(out, 'ResourceUpdated', 'updated project', req);
    return out;
  });

  r.add('DELETE', '/api/v1/projects/{name}', async (req) => {
    const p = await getProject(ctx, req, req.params.name, 'delete');
    if (p.metadata?.name === 'default') throw invalid("name 'default' is reserved and cannot be deleted");
    const apps = ctx.store.apps.list().filter((a) => (a.spec?.project || 'default') === req.params.name);
    if (apps.length) throw invalid(`project is referenced by ${apps.length} applications`);
    await ctx.client.delete(PROJECTS, ns(), req.params.name).catch((e) => { throw fromKube(e); });
    ctx.audit(p, 'ResourceDeleted', 'deleted project', req);
    return {};
  });

  r.add('GET', '/api/v1/projects/{name}/detailed', async (req) => {
    const p = await getProject(ctx, req, req.params.name);
    const name = req.params.name;
    const repositories = (await can(ctx, req, 'repositories', 'get', `${name}/*`)) ? repoSecrets(ctx, 'repository').filter((s) => s.project === name).map((s) => repoJson(s)) : [];
    const clusters = clusterSecrets(ctx).filter((c) => c.project === name).map(clusterJson);
    return { project: p, globalProjects: [], repositories, clusters };
  });

  r.add('GET', '/api/v1/projects/{name}/globalprojects', async (req) => {
    await getProject(ctx, req, req.params.name);
    return { items: [] };
  });

  r.add('GET', '/api/v1/projects/{name}/syncwindows', async (req) => {
    const p = await getProject(ctx, req, req.params.name);
    return { windows: (p.spec?.syncWindows ?? []).filter((w) => windowActive(w, Date.now())) };
  });

  r.add('GET', '/api/v1/projects/{name}/events', async (req) => {
    const p = await getProject(ctx, req, req.params.name);
    const l = await ctx.client.list(R.events, ns(), { fieldSelector: `involvedObject.name=${p.metadata!.name},involvedObject.kind=AppProject` });
    return { metadata: {}, items: l.items };
  });

  r.add('POST', '/api/v1/projects/{project}/roles/{role}/token', async (req) => {
    const { project, role } = req.params;
    const p = await getProject(ctx, req, project, 'update');
    const idx = (p.spec.roles ?? []).findIndex((x) => x.name === role);
    if (idx < 0) throw notFound(`role '${role}' does not exist in project '${project}'`);
    let expiresIn: number;
    try {
      expiresIn = parseExpiresIn(req.body?.expiresIn);
    } catch (e) {
      throw invalid((e as Error).message);
    }
    const id = String(req.body?.id || ctx.sessions.newTokenId());
    const roleObj = p.spec.roles![idx];
    if ((roleObj.jwtTokens ?? []).some((t) => t.id === id)) throw new ApiErr(Code.InvalidArgument, `Token id '${id}' has been used. `);
    const { token, claims } = await ctx.sessions.create(`proj:${project}:${role}`, expiresIn, id);
    const entry = { iat: claims.iat!, ...(claims.exp ? { exp: claims.exp } : {}), id };
    const next = structuredClone(p);
    next.spec.roles![idx].jwtTokens = [...(roleObj.jwtTokens ?? []), entry];
    next.status = { ...(next.status ?? {}), jwtTokensByRole: { ...(next.status?.jwtTokensByRole ?? {}), [role]: { items: [...(next.status?.jwtTokensByRole?.[role]?.items ?? []), entry] } } };
    const out = (await ctx.client.update(PROJECTS, next).catch((e) => { throw fromKube(e); })) as AppProject;
    see(ctx.store.projects, out);
    ctx.audit(out, 'ResourceUpdated', `created token for role ${role}`, req);
    return { token };
  });

  r.add('DELETE', '/api/v1/projects/{project}/roles/{role}/token/{iat}', async (req) => {
    const { project, role, iat } = req.params;
    const id = req.query.get('id') || '';
    const p = await getProject(ctx, req, project, 'update');
    const idx = (p.spec.roles ?? []).findIndex((x) => x.name === role);
    if (idx < 0) throw notFound(`role '${role}' does not exist in project '${project}'`);
    const keep = (t: { iat: number; id?: string }) => !(id ? t.id === id : String(t.iat) === iat);
    const next = structuredClone(p);
    const before = next.spec.roles![idx].jwtTokens ?? [];
    next.spec.roles![idx].jwtTokens = before.filter(keep);
    if (next.status?.jwtTokensByRole?.[role]) next.status.jwtTokensByRole[role].items = (next.status.jwtTokensByRole[role].items ?? []).filter(keep);
    if (next.spec.roles![idx].jwtTokens!.length === before.length) throw notFound(`token ${id || iat} of role '${role}' does not exist in project '${project}'`);
    const out = (await ctx.client.update(PROJECTS, next).catch((e) => { throw fromKube(e); })) as AppProject;
    see(ctx.store.projects, out);
    ctx.audit(out, 'ResourceUpdated', `deleted token for role ${role}`, req);
    return {};
  });

  void username;
}
