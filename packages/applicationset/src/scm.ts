/**
 * SCM provider and pull request generators for GitHub, GitLab, Gitea and Bitbucket Server, over
 * their documented REST APIs (fetch through GenContext; tests use stand-in servers of the same
 * endpoints). Parameters as upstream: organization, repository, url, branch, branchNormalized,
 * sha, short_sha, short_sha_7, labels (SCM); number, title, branch, branch_slug, target_branch,
 * target_branch_slug, head_sha, head_short_sha, head_short_sha_7, labels, author (pull requests).
 */
import type { GenContext } from './generators.js';
import { flatten, sanitizeName } from './params.js';
import type { Obj, Params } from './types.js';
import { GeneratorError } from './types.js';

type TokenRef = { secretName: string; key: string };
interface Api {
  get(path: string): Promise<unknown>;
  /** true when the path answers 200, false on 404 */
  exists(path: string): Promise<boolean>;
}

function token(ctx: GenContext, ref: TokenRef | undefined, what: string): string | undefined {
  if (!ref) return undefined;
  if (!ref.secretName || !ref.key) throw new GeneratorError(`${what}: tokenRef needs secretName and key`);
  const v = ctx.secretValue(`$${ref.secretName}:${ref.key}`);
  if (v === undefined) throw new GeneratorError(`${what}: Secret "${ref.secretName}" has no key "${ref.key}"`);
  return v;
}

function api(ctx: GenContext, base: string, headers: Record<string, string>, what: string): Api {
  const b = base.replace(/\/+$/, '');
  const refused = ctx.scmRefused?.(b);
  if (refused) throw new GeneratorError(`${what}: ${refused}`);
  const call = async (path: string) => {
    const url = `${b}${path}`;
    let r;
    try {
      r = await ctx.fetch(url, { method: 'GET', headers: { accept: 'application/json', ...headers } });
    } catch (e) {
      throw new GeneratorError(`${what}: GET ${url}: ${(e as Error).message}`);
    }
    return { url, ...r };
  };
  return {
    async get(path) {
      const r = await call(path);
      if (r.status !== 200) throw new GeneratorError(`${what}: GET ${r.url} answered ${r.status}: ${r.text.slice(0, 200)}`);
      try {
        return JSON.parse(r.text);
      } catch {
        throw new GeneratorError(`${what}: GET ${r.url} answered something other than JSON`);
      }
    },
    async exists(path) {
      const r = await call(path);
      if (r.status === 404) return false;
      if (r.status !== 200) throw new GeneratorError(`${what}: GET ${r.url} answered ${r.status}`);
      return true;
    },
  };
}

/** Pages through `?page=N&per_page=100` lists (GitHub, GitLab, Gitea) until a short page. */
async function paged(a: Api, path: string, size = 100, param = 'per_page'): Promise<Obj[]> {
  const out: Obj[] = [];
  for (let page = 1; page < 100; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const items = (await a.get(`${path}${sep}${param}=${size}&page=${page}`)) as Obj[];
    if (!Array.isArray(items)) throw new GeneratorError(`GET ${path}: expected a list`);
    out.push(...items);
    if (items.length < size) break;
  }
  return out;
}

/** Bitbucket Server's `{values, isLastPage, nextPageStart}` pages. */
async function bbPaged(a: Api, path: string): Promise<Obj[]> {
  const out: Obj[] = [];
  let start = 0;
  for (let i = 0; i < 100; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = (await a.get(`${path}${sep}limit=100&start=${start}`)) as { values?: Obj[]; isLastPage?: boolean; nextPageStart?: number };
    out.push(...(r.values ?? []));
    if (r.isLastPage !== false || r.nextPageStart === undefined) break;
    start = r.nextPageStart;
  }
  return out;
}

interface Repo {
  organization: string;
  repository: string;
  url: string;
  branch: string;
  sha: string;
  labels: string[];
  /** provider-specific path check */
  pathExists(path: string): Promise<boolean>;
}

const enc = encodeURIComponent;

async function githubRepos(ctx: GenContext, g: Obj, https: boolean): Promise<Repo[]> {
  const what = 'scmProvider github';
  const t = token(ctx, g.tokenRef as TokenRef, what);
  const a = api(ctx, (g.api as string) || 'https://api.github.com', t ? { authorization: `Bearer ${t}` } : {}, what);
  const org = g.organization as string;
  if (!org) throw new GeneratorError(`${what}: organization is required`);
  const out: Repo[] = [];
  for (const r of await paged(a, `/orgs/${enc(org)}/repos`)) {
    const name = r.name as string;
    const branches = g.allBranches ? await paged(a, `/repos/${enc(org)}/${enc(name)}/branches`) : [(await a.get(`/repos/${enc(org)}/${enc(name)}/branches/${enc(r.default_branch as string)}`)) as Obj];
    for (const b of branches)
      out.push({ organization: org, repository: name, url: (https ? r.clone_url : r.ssh_url) as string, branch: b.name as string, sha: ((b.commit as Obj)?.sha as string) ?? '', labels: (r.topics as string[]) ?? [], pathExists: (p) => a.exists(`/repos/${enc(org)}/${enc(name)}/contents/${p.split('/').map(enc).join('/')}?ref=${enc(b.name as string)}`) });
  }
  return out;
}

async function gitlabRepos(ctx: GenContext, g: Obj, https: boolean): Promise<Repo[]> {
  const what = 'scmProvider gitlab';
  const t = token(ctx, g.tokenRef as TokenRef, what);
  const a = api(ctx, `${((g.api as string) || 'https://gitlab.com').replace(/\/+$/, '')}/api/v4`, t ? { 'private-token': t } : {}, what);
  const group = g.group as string;
  if (!group) throw new GeneratorError(`${what}: group is required`);
  const q = `include_subgroups=${g.includeSubgroups ? 'true' : 'false'}${g.includeSharedProjects === false ? '&with_shared=false' : ''}${g.topic ? `&topic=${enc(g.topic as string)}` : ''}`;
  const out: Repo[] = [];
  for (const p of await paged(a, `/groups/${enc(group)}/projects?${q}`)) {
    const id = p.id as number;
    const branches = g.allBranches ? await paged(a, `/projects/${id}/repository/branches`) : [(await a.get(`/projects/${id}/repository/branches/${enc(p.default_branch as string)}`)) as Obj];
    for (const b of branches)
      out.push({ organization: ((p.namespace as Obj)?.full_path as string) ?? group, repository: p.path as string, url: (https ? p.http_url_to_repo : p.ssh_url_to_repo) as string, branch: b.name as string, sha: ((b.commit as Obj)?.id as string) ?? '', labels: ((p.topics ?? p.tag_list) as string[]) ?? [], pathExists: (path) => a.exists(`/projects/${id}/repository/files/${enc(path)}?ref=${enc(b.name as string)}`).then(async (f) => f || (await a.get(`/projects/${id}/repository/tree?path=${enc(path)}&ref=${enc(b.name as string)}`).then((x) => Array.isArray(x) && x.length > 0, () => false))) });
  }
  return out;
}

async function giteaRepos(ctx: GenContext, g: Obj, https: boolean): Promise<Repo[]> {
  const what = 'scmProvider gitea';
  const t = token(ctx, g.tokenRef as TokenRef, what);
  const a = api(ctx, `${((g.api as string) || '').replace(/\/+$/, '')}/api/v1`, t ? { authorization: `token ${t}` } : {}, what);
  const owner = g.owner as string;
  if (!owner || !g.api) throw new GeneratorError(`${what}: owner and api are required`);
  const out: Repo[] = [];
  for (const r of await paged(a, `/orgs/${enc(owner)}/repos`, 50, 'limit')) {
    const name = r.name as string;
    const branches = g.allBranches ? await paged(a, `/repos/${enc(owner)}/${enc(name)}/branches`, 50, 'limit') : [(await a.get(`/repos/${enc(owner)}/${enc(name)}/branches/${enc(r.default_branch as string)}`)) as Obj];
    for (const b of branches)
      out.push({ organization: owner, repository: name, url: (https ? r.clone_url : r.ssh_url) as string, branch: b.name as string, sha: ((b.commit as Obj)?.id as string) ?? '', labels: ((r.topics as string[]) ?? []), pathExists: (p) => a.exists(`/repos/${enc(owner)}/${enc(name)}/contents/${p.split('/').map(enc).join('/')}?ref=${enc(b.name as string)}`) });
  }
  return out;
}

function bbAuth(ctx: GenContext, g: Obj, what: string): Record<string, string> {
  const basic = g.basicAuth as { username?: string; passwordRef?: TokenRef } | undefined;
  if (basic?.username) return { authorization: `Basic ${Buffer.from(`${basic.username}:${token(ctx, basic.passwordRef, what) ?? ''}`).toString('base64')}` };
  const bearer = g.bearerToken as { tokenRef?: TokenRef } | undefined;
  if (bearer?.tokenRef) return { authorization: `Bearer ${token(ctx, bearer.tokenRef, what)}` };
  return {};
}

async function bitbucketRepos(ctx: GenContext, g: Obj, https: boolean): Promise<Repo[]> {
  const what = 'scmProvider bitbucketServer';
  const a = api(ctx, `${((g.api as string) || '').replace(/\/+$/, '')}/rest/api/1.0`, bbAuth(ctx, g, what), what);
  const project = g.project as string;
  if (!project || !g.api) throw new GeneratorError(`${what}: project and api are required`);
  const out: Repo[] = [];
  for (const r of await bbPaged(a, `/projects/${enc(project)}/repos`)) {
    const slug = r.slug as string;
    const clone = (((r.links as Obj)?.clone as { href: string; name: string }[]) ?? []).find((l) => l.name === (https ? 'http' : 'ssh'))?.href ?? '';
    const base = `/projects/${enc(project)}/repos/${enc(slug)}`;
    const branches = g.allBranches ? await bbPaged(a, `${base}/branches`) : [(await a.get(`${base}/branches/default`)) as Obj];
    for (const b of branches)
      out.push({ organization: project, repository: slug, url: clone, branch: b.displayId as string, sha: (b.latestCommit as string) ?? '', labels: [], pathExists: (p) => a.exists(`${base}/browse/${p.split('/').map(enc).join('/')}?at=${enc(b.displayId as string)}&limit=1`) });
  }
  return out;
}

function re(s: string | undefined, what: string): RegExp | undefined {
  if (s === undefined) return undefined;
  try {
    return new RegExp(s);
  } catch (e) {
    throw new GeneratorError(`${what}: bad regular expression ${JSON.stringify(s)}: ${(e as Error).message}`);
  }
}

async function filterRepos(repos: Repo[], filters: Obj[] | undefined): Promise<Repo[]> {
  if (!filters?.length) return repos;
  const out: Repo[] = [];
  for (const r of repos) {
    let any = false;
    for (const f of filters) {
      const rm = re(f.repositoryMatch as string | undefined, 'filters.repositoryMatch');
      const bm = re(f.branchMatch as string | undefined, 'filters.branchMatch');
      const lm = re(f.labelMatch as string | undefined, 'filters.labelMatch');
      if (rm && !rm.test(r.repository)) continue;
      if (bm && !bm.test(r.branch)) continue;
      if (lm && !r.labels.some((l) => lm.test(l))) continue;
      let ok = true;
      for (const p of (f.pathsExist as string[]) ?? []) if (!(await r.pathExists(p))) ok = false;
      for (const p of (f.pathsDoNotExist as string[]) ?? []) if (ok && (await r.pathExists(p))) ok = false;
      if (ok) {
        any = true;
        break;
      }
    }
    if (any) out.push(r);
  }
  return out;
}

export async function scmProviderParams(g: Obj, ctx: GenContext, go: boolean): Promise<Params[]> {
  const https = (g.cloneProtocol ?? 'https') !== 'ssh';
  const providers = ['github', 'gitlab', 'gitea', 'bitbucketServer'].filter((p) => g[p]);
  const unknown = ['azureDevOps', 'bitbucket', 'awsCodeCommit'].filter((p) => g[p]);
  if (unknown.length) throw new GeneratorError(`scmProvider ${unknown[0]} is not part of this build (github, gitlab, gitea, bitbucketServer are)`);
  if (providers.length !== 1) throw new GeneratorError(`scmProvider needs exactly one provider (github, gitlab, gitea, bitbucketServer), has ${providers.length}`);
  const spec = g[providers[0]!] as Obj;
  const repos = await { github: githubRepos, gitlab: gitlabRepos, gitea: giteaRepos, bitbucketServer: bitbucketRepos }[providers[0] as 'github'](ctx, spec, https);
  return (await filterRepos(repos, g.filters as Obj[])).map((r) => {
    const p = { organization: r.organization, repository: r.repository, url: r.url, branch: r.branch, branchNormalized: sanitizeName(r.branch), sha: r.sha, short_sha: r.sha.slice(0, 8), short_sha_7: r.sha.slice(0, 7), labels: r.labels.join(',') };
    return go ? { ...p, labels: r.labels } : p;
  });
}

interface PR {
  number: number;
  title: string;
  branch: string;
  target: string;
  sha: string;
  labels: string[];
  author: string;
}

async function githubPRs(ctx: GenContext, g: Obj): Promise<PR[]> {
  const what = 'pullRequest github';
  const t = token(ctx, g.tokenRef as TokenRef, what);
  const a = api(ctx, (g.api as string) || 'https://api.github.com', t ? { authorization: `Bearer ${t}` } : {}, what);
  if (!g.owner || !g.repo) throw new GeneratorError(`${what}: owner and repo are required`);
  const want = (g.labels as string[]) ?? [];
  return (await paged(a, `/repos/${enc(g.owner as string)}/${enc(g.repo as string)}/pulls?state=open`))
    .map((p) => ({ number: p.number as number, title: p.title as string, branch: (p.head as Obj).ref as string, target: (p.base as Obj).ref as string, sha: (p.head as Obj).sha as string, labels: ((p.labels as Obj[]) ?? []).map((l) => l.name as string), author: ((p.user as Obj)?.login as string) ?? '' }))
    .filter((p) => want.every((l) => p.labels.includes(l)));
}

async function gitlabPRs(ctx: GenContext, g: Obj): Promise<PR[]> {
  const what = 'pullRequest gitlab';
  const t = token(ctx, g.tokenRef as TokenRef, what);
  const a = api(ctx, `${((g.api as string) || 'https://gitlab.com').replace(/\/+$/, '')}/api/v4`, t ? { 'private-token': t } : {}, what);
  if (!g.project) throw new GeneratorError(`${what}: project is required`);
  const labels = (g.labels as string[]) ?? [];
  const q = `state=${enc((g.pullRequestState as string) || 'opened')}${labels.length ? `&labels=${enc(labels.join(','))}` : ''}`;
  return (await paged(a, `/projects/${enc(g.project as string)}/merge_requests?${q}`)).map((m) => ({ number: m.iid as number, title: m.title as string, branch: m.source_branch as string, target: m.target_branch as string, sha: m.sha as string, labels: (m.labels as string[]) ?? [], author: ((m.author as Obj)?.username as string) ?? '' }));
}

async function giteaPRs(ctx: GenContext, g: Obj): Promise<PR[]> {
  const what = 'pullRequest gitea';
  const t = token(ctx, g.tokenRef as TokenRef, what);
  if (!g.owner || !g.repo || !g.api) throw new GeneratorError(`${what}: owner, repo and api are required`);
  const a = api(ctx, `${(g.api as string).replace(/\/+$/, '')}/api/v1`, t ? { authorization: `token ${t}` } : {}, what);
  const want = (g.labels as string[]) ?? [];
  return (await paged(a, `/repos/${enc(g.owner as string)}/${enc(g.repo as string)}/pulls?state=open`, 50, 'limit'))
    .map((p) => ({ number: p.number as number, title: p.title as string, branch: (p.head as Obj).ref as string, target: (p.base as Obj).ref as string, sha: (p.head as Obj).sha as string, labels: ((p.labels as Obj[]) ?? []).map((l) => l.name as string), author: ((p.user as Obj)?.login as string) ?? '' }))
    .filter((p) => want.every((l) => p.labels.includes(l)));
}

async function bitbucketPRs(ctx: GenContext, g: Obj): Promise<PR[]> {
  const what = 'pullRequest bitbucketServer';
  if (!g.project || !g.repo || !g.api) throw new GeneratorError(`${what}: project, repo and api are required`);
  const a = api(ctx, `${(g.api as string).replace(/\/+$/, '')}/rest/api/1.0`, bbAuth(ctx, g, what), what);
  return (await bbPaged(a, `/projects/${enc(g.project as string)}/repos/${enc(g.repo as string)}/pull-requests?state=OPEN`)).map((p) => ({
    number: p.id as number,
    title: p.title as string,
    branch: (p.fromRef as Obj).displayId as string,
    target: (p.toRef as Obj).displayId as string,
    sha: (p.fromRef as Obj).latestCommit as string,
    labels: [],
    author: (((p.author as Obj)?.user as Obj)?.name as string) ?? '',
  }));
}

/** upstream's branch_slug: sanitized, at most 50 characters */
const slug = (s: string) => sanitizeName(s).slice(0, 50).replace(/[-.]+$/, '');

export async function pullRequestParams(g: Obj, ctx: GenContext, go: boolean): Promise<Params[]> {
  const providers = ['github', 'gitlab', 'gitea', 'bitbucketServer'].filter((p) => g[p]);
  const unknown = ['azuredevops', 'bitbucket'].filter((p) => g[p]);
  if (unknown.length) throw new GeneratorError(`pullRequest ${unknown[0]} is not part of this build (github, gitlab, gitea, bitbucketServer are)`);
  if (providers.length !== 1) throw new GeneratorError(`pullRequest needs exactly one provider (github, gitlab, gitea, bitbucketServer), has ${providers.length}`);
  const prs = await { github: githubPRs, gitlab: gitlabPRs, gitea: giteaPRs, bitbucketServer: bitbucketPRs }[providers[0] as 'github'](ctx, g[providers[0]!] as Obj);
  const filters = (g.filters as Obj[]) ?? [];
  const kept = prs.filter((p) => !filters.length || filters.some((f) => (!f.branchMatch || re(f.branchMatch as string, 'filters.branchMatch')!.test(p.branch)) && (!f.targetBranchMatch || re(f.targetBranchMatch as string, 'filters.targetBranchMatch')!.test(p.target))));
  return kept.map((p) => {
    const base = { number: String(p.number), title: p.title, branch: p.branch, branch_slug: slug(p.branch), target_branch: p.target, target_branch_slug: slug(p.target), head_sha: p.sha, head_short_sha: p.sha.slice(0, 8), head_short_sha_7: p.sha.slice(0, 7), author: p.author };
    return go ? { ...base, number: p.number, labels: p.labels } : { ...base, ...flatten({ labels: p.labels }) };
  });
}
