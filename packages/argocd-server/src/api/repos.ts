/**
 * RepositoryService and RepoCredsService over Secrets labelled `argocd.argoproj.io/secret-type:
 * repository|repo-creds` (upstream's layout: `url`, `type`, `name`, `project`, `username`, `password`,
 * `sshPrivateKey`, `tlsClientCertData`, `tlsClientCertKey`, `insecure`, …); secrets are never returned;
 * connection state through the repo server's testRepository.
 */
import { R, isNotFound } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import { LABELS } from '@flotilla/argocd-engine/types';
import { ApiErr, Code, fromKube, invalid, notFound, qbool, type Router, type Req } from '../http.js';
import { enforce, subjects, type Ctx } from '../context.js';
import { decodeData, see } from '../store.js';
import { normalizeRepoURL } from '../project.js';

const STRING_FIELDS = ['url', 'type', 'name', 'project', 'username', 'password', 'sshPrivateKey', 'tlsClientCertData', 'tlsClientCertKey', 'proxy', 'noProxy', 'githubAppPrivateKey', 'githubAppEnterpriseBaseUrl', 'bearerToken', 'gcpServiceAccountKey'];
const BOOL_FIELDS = ['insecure', 'insecureIgnoreHostKey', 'enableLfs', 'enableOCI', 'forceHttpBasicAuth', 'useAzureWorkloadIdentity'];

export interface RepoEntry {
  secretName: string;
  url: string;
  project?: string;
  data: Record<string, string>;
}

export function repoSecrets(ctx: Ctx, kind: 'repository' | 'repo-creds'): RepoEntry[] {
  return ctx.store.secrets
    .list(ctx.store.namespace)
    .filter((s) => s.metadata?.labels?.[LABELS.secretType] === kind)
    .map((s) => {
      const data = decodeData(s);
      return { secretName: s.metadata!.name!, url: data.url ?? '', project: data.project || undefined, data };
    });
}

/** The API form of a repository (credentials left out; `username` shown, as upstream). */
export function repoJson(e: RepoEntry, state?: { status: string; message: string; attemptedAt: string }): Record<string, unknown> {
  const d = e.data;
  const out: Record<string, unknown> = { repo: d.url, type: d.type || 'git' };
  if (d.name) out.name = d.name;
  if (d.project) out.project = d.project;
  if (d.username) out.username = d.username;
  for (const b of BOOL_FIELDS) if (d[b] === 'true') out[b] = true;
  if (d.tlsClientCertData) out.tlsClientCertData = d.tlsClientCertData;
  if (d.proxy) out.proxy = d.proxy;
  if (state) out.connectionState = state;
  return out;
}

function credsJson(e: RepoEntry): Record<string, unknown> {
  const d = e.data;
  const out: Record<string, unknown> = { url: d.url };
  if (d.username) out.username = d.username;
  if (d.type) out.type = d.type;
  for (const b of BOOL_FIELDS) if (d[b] === 'true') out[b] = true;
  if (d.tlsClientCertData) out.tlsClientCertData = d.tlsClientCertData;
  return out;
}

function rbacObj(project: string | undefined, url: string): string {
  return project ? `${project}/${url}` : url;
}

/** Secret name as upstream derives it: `repo-<hash>` / `creds-<hash>` of the URL. */
export function secretNameFor(prefix: string, url: string): string {
  return `${prefix}-${fnv32(normalizeRepoURL(url))}`;
}

function fnv32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function toStringData(body: Record<string, unknown>, urlKey: 'repo' | 'url'): Record<string, string> {
  const out: Record<string, string> = {};
  const url = String(body[urlKey] ?? '');
  if (!url) throw invalid(`${urlKey} is required`);
  out.url = url;
  for (const f of STRING_FIELDS) if (f !== 'url' && typeof body[f] === 'string' && body[f]) out[f] = body[f] as string;
  for (const b of BOOL_FIELDS) if (body[b] === true) out[b] = 'true';
  if (out.type && out.type !== 'git' && out.type !== 'helm' && out.type !== 'oci') throw invalid(`invalid repository type '${out.type}': want git or helm`);
  return out;
}

/** Connection test cache: url → state. */
const states = new Map<string, { status: string; message: string; attemptedAt: string; at: number }>();

async function connectionState(ctx: Ctx, e: RepoEntry, force = false): Promise<{ status: string; message: string; attemptedAt: string }> {
  const c = states.get(e.url);
  if (c && !force && Date.now() - c.at < 60_000) return { status: c.status, message: c.message, attemptedAt: c.attemptedAt };
  const attemptedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  let st: { status: string; message: string; attemptedAt: string };
  try {
    const r = await ctx.repo.testRepository!(requestOf(e.data));
    st = { status: r.ok ? 'Successful' : 'Failed', message: r.ok ? '' : (r.message ?? 'connection failed'), attemptedAt };
  } catch (err) {
    st = { status: 'Failed', message: (err as Error).message, attemptedAt };
  }
  states.set(e.url, { ...st, at: Date.now() });
  return st;
}

function requestOf(d: Record<string, string>) {
  return {
    repo: d.url,
    type: (d.type as 'git' | 'helm') || 'git',
    username: d.username,
    password: d.password,
    sshPrivateKey: d.sshPrivateKey,
    insecure: d.insecure === 'true',
    insecureIgnoreHostKey: d.insecureIgnoreHostKey === 'true',
    tlsClientCertData: d.tlsClientCertData,
    tlsClientCertKey: d.tlsClientCertKey,
  };
}

function findRepo(ctx: Ctx, url: string, kind: 'repository' | 'repo-creds' = 'repository'): RepoEntry | undefined {
  const n = normalizeRepoURL(url);
  return repoSecrets(ctx, kind).find((e) => normalizeRepoURL(e.url) === n);
}

async function writeSecret(ctx: Ctx, kind: 'repository' | 'repo-creds', name: string, stringData: Record<string, string>, existing?: RepoEntry): Promise<KubeObject> {
  const ns = ctx.store.namespace;
  const data = Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  if (existing) {
    const cur = await ctx.client.get(R.secrets, ns, existing.secretName);
    const out = await ctx.client.update(R.secrets, { ...cur, data } as KubeObject);
    see(ctx.store.secrets, out);
    return out;
  }
  const out = await ctx.client.create(R.secrets, ns, { metadata: { name, namespace: ns, labels: { [LABELS.secretType]: kind }, annotations: { 'managed-by': 'argocd.argoproj.io' } }, type: 'Opaque', data } as KubeObject);
  see(ctx.store.secrets, out);
  return out;
}

export function registerRepos(r: Router, ctx: Ctx): void {
  const list = async (req: Req) => {
    const rbac = await ctx.store.rbac();
    const { sub, groups } = subjects(req.claims, rbac.cfg.scopes);
    const filter = req.query.get('repo');
    const force = qbool(req.query, 'forceRefresh') === true;
    const entries = repoSecrets(ctx, 'repository').filter((e) => (!filter || normalizeRepoURL(e.url) === normalizeRepoURL(filter)) && rbac.enforce(sub, groups, 'repositories', 'get', rbacObj(e.project, e.url)));
    const items = await Promise.all(entries.map(async (e) => repoJson(e, await connectionState(ctx, e, force))));
    return { metadata: {}, items };
  };
  r.add('GET', '/api/v1/repositories', list);

  r.add('POST', '/api/v1/repositories', async (req) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const sd = toStringData(body, 'repo');
    await enforce(ctx, req, 'repositories', 'create', rbacObj(sd.project, sd.url));
    const existing = findRepo(ctx, sd.url);
    if (existing && !qbool(req.query, 'upsert')) {
      const same = Object.keys(sd).every((k) => existing.data[k] === sd[k]) && Object.keys(existing.data).every((k) => sd[k] === existing.data[k]);
      if (same) return repoJson(existing);
      throw invalid('existing repository spec is different; use upsert flag to force update');
    }
    if (!qbool(req.query, 'credsOnly')) {
      // as upstream: a repository that cannot be reached is not added
      const st = await connectionState(ctx, { secretName: '', url: sd.url, data: sd }, true);
      if (st.status !== 'Successful') throw new ApiErr(Code.Unknown, `error testing repository connectivity: ${st.message}`);
    }
    const out = await writeSecret(ctx, 'repository', secretNameFor('repo', sd.url), sd, existing).catch((e) => { throw fromKube(e); });
    ctx.audit(out, existing ? 'ResourceUpdated' : 'ResourceCreated', `${existing ? 'updated' : 'created'} repository ${sd.url}`, req);
    return repoJson({ secretName: out.metadata!.name!, url: sd.url, project: sd.project, data: sd }, states.get(sd.url));
  });

  r.add('GET', '/api/v1/repositories/{repo}', async (req) => {
    const e = findRepo(ctx, req.params.repo);
    await enforce(ctx, req, 'repositories', 'get', rbacObj(e?.project, req.params.repo));
    if (!e) throw notFound(`repo '${req.params.repo}' not found`);
    return repoJson(e, await connectionState(ctx, e, qbool(req.query, 'forceRefresh') === true));
  });

  r.add('PUT', '/api/v1/repositories/{repo}', async (req) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const sd = toStringData({ ...body, repo: body.repo ?? req.params.repo }, 'repo');
    const e = findRepo(ctx, sd.url);
    await enforce(ctx, req, 'repositories', 'update', rbacObj(sd.project ?? e?.project, sd.url));
    if (!e) throw notFound(`repo '${sd.url}' not found`);
    // fields not sent keep their stored values (credentials are never sent back)
    const merged = { ...e.data, ...sd };
    const out = await writeSecret(ctx, 'repository', e.secretName, merged, e).catch((err) => { throw fromKube(err); });
    ctx.audit(out, 'ResourceUpdated', `updated repository ${sd.url}`, req);
    return repoJson({ ...e, data: merged });
  });

  r.add('DELETE', '/api/v1/repositories/{repo}', async (req) => {
    const e = findRepo(ctx, req.params.repo);
    await enforce(ctx, req, 'repositories', 'delete', rbacObj(e?.project, req.params.repo));
    if (!e) throw notFound(`repo '${req.params.repo}' not found`);
    await ctx.client.delete(R.secrets, ctx.store.namespace, e.secretName).catch((err) => { if (!isNotFound(err)) throw fromKube(err); });
    states.delete(e.url);
    return {};
  });

  r.add('GET', '/api/v1/repositories/{repo}/refs', async (req) => {
    const e = findRepo(ctx, req.params.repo);
    await enforce(ctx, req, 'repositories', 'get', rbacObj(e?.project, req.params.repo));
    return ctx.repo.listRefs!(req.params.repo);
  });

  r.add('GET', '/api/v1/repositories/{repo}/apps', async (req) => {
    const e = findRepo(ctx, req.params.repo);
    await enforce(ctx, req, 'repositories', 'get', rbacObj(e?.project, req.params.repo));
    const out = (await ctx.repo.listApps!(req.params.repo, req.query.get('revision') || 'HEAD')) as { apps?: unknown[] };
    return { items: out?.apps ?? [] };
  });

  r.add('POST', '/api/v1/repositories/{repo}/appdetails', async (req) => {
    const src = req.body?.source ?? { repoURL: req.params.repo };
    const e = findRepo(ctx, src.repoURL ?? req.params.repo);
    await enforce(ctx, req, 'repositories', 'get', rbacObj(e?.project, src.repoURL ?? req.params.repo));
    // upstream's RepoAppDetailsQuery: appName picks the app's own override file (.argocd-source-<appName>.yaml)
    const appName = typeof req.body?.appName === 'string' && req.body.appName ? req.body.appName : undefined;
    return ctx.repo.appDetails!(src, appName ? { appName } : {});
  });

  r.add('POST', '/api/v1/repositories/{repo}/validate', async (req) => {
    const q = req.query;
    const d: Record<string, string> = { url: req.params.repo };
    for (const f of ['username', 'password', 'sshPrivateKey', 'tlsClientCertData', 'tlsClientCertKey', 'type']) if (q.get(f)) d[f] = q.get(f)!;
    for (const b of ['insecure', 'enableLfs', 'enableOci']) if (q.get(b) === 'true') d[b] = 'true';
    await enforce(ctx, req, 'repositories', 'create', req.params.repo);
    const st = await connectionState(ctx, { secretName: '', url: req.params.repo, data: d }, true);
    if (st.status !== 'Successful') throw new ApiErr(Code.Unknown, `error testing repository connectivity: ${st.message}`);
    return {};
  });

  // ---------------------------------------------------------------------------- repo creds
  r.add('GET', '/api/v1/repocreds', async (req) => {
    const rbac = await ctx.store.rbac();
    const { sub, groups } = subjects(req.claims, rbac.cfg.scopes);
    const url = req.query.get('url');
    const items = repoSecrets(ctx, 'repo-creds').filter((e) => (!url || e.url === url) && rbac.enforce(sub, groups, 'repositories', 'get', e.url)).map(credsJson);
    return { metadata: {}, items };
  });

  r.add('POST', '/api/v1/repocreds', async (req) => {
    const sd = toStringData(req.body ?? {}, 'url');
    await enforce(ctx, req, 'repositories', 'create', sd.url);
    const existing = repoSecrets(ctx, 'repo-creds').find((e) => e.url === sd.url);
    if (existing && !qbool(req.query, 'upsert')) throw invalid('existing repository credentials spec is different; use upsert flag to force update');
    const out = await writeSecret(ctx, 'repo-creds', secretNameFor('creds', sd.url), sd, existing).catch((e) => { throw fromKube(e); });
    ctx.audit(out, existing ? 'ResourceUpdated' : 'ResourceCreated', `${existing ? 'updated' : 'created'} repository credentials ${sd.url}`, req);
    return credsJson({ secretName: out.metadata!.name!, url: sd.url, data: sd });
  });

  r.add('PUT', '/api/v1/repocreds/{url}', async (req) => {
    const sd = toStringData({ ...(req.body ?? {}), url: req.body?.url ?? req.params.url }, 'url');
    await enforce(ctx, req, 'repositories', 'update', sd.url);
    const existing = repoSecrets(ctx, 'repo-creds').find((e) => e.url === sd.url);
    if (!existing) throw notFound(`repository credentials '${sd.url}' not found`);
    const merged = { ...existing.data, ...sd };
    await writeSecret(ctx, 'repo-creds', existing.secretName, merged, existing).catch((e) => { throw fromKube(e); });
    return credsJson({ ...existing, data: merged });
  });

  r.add('DELETE', '/api/v1/repocreds/{url}', async (req) => {
    await enforce(ctx, req, 'repositories', 'delete', req.params.url);
    const existing = repoSecrets(ctx, 'repo-creds').find((e) => e.url === req.params.url);
    if (!existing) throw notFound(`repository credentials '${req.params.url}' not found`);
    await ctx.client.delete(R.secrets, ctx.store.namespace, existing.secretName).catch((e) => { if (!isNotFound(e)) throw fromKube(e); });
    return {};
  });

}
