/**
 * The controller's webhook (`--webhook-addr`, default :7000, path `/api/webhook`), as upstream:
 * Git push events from GitHub, GitLab, Gitea and Bitbucket Server make the sets whose git
 * generators read the pushed repository (and branch) generate at once; pull/merge request events
 * do the same for pullRequest generators of that repository. Signatures are checked with the
 * secrets of argocd-secret (`webhook.github.secret`, `webhook.gitlab.secret`,
 * `webhook.gogs.secret` for Gitea, `webhook.bitbucketserver.secret`) when set.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Generator } from './types.js';

export interface WebhookEvent {
  kind: 'push' | 'pull_request';
  /** every URL the payload gives for the repository (https, ssh, web) */
  repoURLs: string[];
  /** the pushed branch (push events) */
  branch?: string;
}

export class WebhookError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Headers = Record<string, string | string[] | undefined>;
const h = (hs: Headers, k: string) => {
  const v = hs[k.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

function hmacOk(body: Buffer, secret: string, sig: string | undefined, algo: 'sha1' | 'sha256', prefix: string): boolean {
  if (!sig) return false;
  const want = prefix + createHmac(algo, secret).update(body).digest('hex');
  return want.length === sig.length && timingSafeEqual(Buffer.from(want), Buffer.from(sig));
}

const branchOf = (ref: unknown) => (typeof ref === 'string' ? ref.replace(/^refs\/heads\//, '') : undefined);

/** A webhook request → the event (undefined: not an event this controller acts on). Throws WebhookError on a bad signature. */
export function parseWebhook(headers: Headers, body: Buffer, secrets: Record<string, string | undefined>): WebhookEvent | undefined {
  let p: any;
  const parse = () => {
    try {
      p = JSON.parse(body.toString('utf8'));
    } catch {
      throw new WebhookError(400, 'webhook payload is not JSON');
    }
  };
  const gitea = h(headers, 'x-gitea-event') ?? h(headers, 'x-gogs-event');
  const github = h(headers, 'x-github-event');
  const gitlab = h(headers, 'x-gitlab-event');
  const bbs = h(headers, 'x-event-key');
  if (gitea) {
    const s = secrets['webhook.gogs.secret'];
    if (s && !hmacOk(body, s, h(headers, 'x-gitea-signature') ?? h(headers, 'x-gogs-signature'), 'sha256', '')) throw new WebhookError(400, 'gitea webhook signature mismatch');
    parse();
    const urls = [p.repository?.clone_url, p.repository?.ssh_url, p.repository?.html_url];
    if (gitea === 'push') return { kind: 'push', repoURLs: urls.filter(Boolean), branch: branchOf(p.ref) };
    if (gitea === 'pull_request') return { kind: 'pull_request', repoURLs: urls.filter(Boolean) };
    return undefined;
  }
  if (github) {
    const s = secrets['webhook.github.secret'];
    if (s && !hmacOk(body, s, h(headers, 'x-hub-signature-256'), 'sha256', 'sha256=')) throw new WebhookError(400, 'github webhook signature mismatch');
    parse();
    const urls = [p.repository?.clone_url, p.repository?.ssh_url, p.repository?.html_url, p.repository?.git_url];
    if (github === 'push') return { kind: 'push', repoURLs: urls.filter(Boolean), branch: branchOf(p.ref) };
    if (github === 'pull_request') return { kind: 'pull_request', repoURLs: urls.filter(Boolean) };
    return undefined;
  }
  if (gitlab) {
    const s = secrets['webhook.gitlab.secret'];
    if (s && h(headers, 'x-gitlab-token') !== s) throw new WebhookError(400, 'gitlab webhook token mismatch');
    parse();
    const urls = [p.project?.git_http_url, p.project?.git_ssh_url, p.project?.web_url, p.repository?.git_http_url];
    if (gitlab === 'Push Hook' || gitlab === 'Tag Push Hook') return { kind: 'push', repoURLs: urls.filter(Boolean), branch: branchOf(p.ref) };
    if (gitlab === 'Merge Request Hook') return { kind: 'pull_request', repoURLs: urls.filter(Boolean) };
    return undefined;
  }
  if (bbs) {
    const s = secrets['webhook.bitbucketserver.secret'];
    if (s && !hmacOk(body, s, h(headers, 'x-hub-signature'), 'sha256', 'sha256=')) throw new WebhookError(400, 'bitbucket server webhook signature mismatch');
    parse();
    const urls = ((p.repository?.links?.clone ?? []) as { href: string }[]).map((l) => l.href);
    if (bbs === 'repo:refs_changed') return { kind: 'push', repoURLs: urls, branch: branchOf(p.changes?.[0]?.ref?.id) };
    if (bbs.startsWith('pr:')) return { kind: 'pull_request', repoURLs: urls };
    return undefined;
  }
  return undefined;
}

/** `https://user@Host/org/repo.git/` and `git@host:org/repo` → `host/org/repo`. */
export function normalizeRepoURL(u: string): string {
  let s = u.trim().toLowerCase();
  const scp = /^([^@/]+@)?([^:/]+):(?!\/\/)(.*)$/.exec(s);
  if (scp && !/^[a-z]+:\/\//.test(s)) s = `${scp[2]}/${scp[3]}`;
  else s = s.replace(/^[a-z+]+:\/\//, '').replace(/^[^@/]+@/, '');
  return s.replace(/:\d+\//, '/').replace(/\/+$/, '').replace(/\.git$/, '');
}

/** Whether an event concerns a set's generators (git repoURL and revision; pullRequest repository). */
export function eventMatches(ev: WebhookEvent, gens: Generator[] | undefined): boolean {
  const urls = new Set(ev.repoURLs.map(normalizeRepoURL));
  const repoOf = (u: string | undefined) => !!u && urls.has(normalizeRepoURL(u));
  const prRepo = (pr: Record<string, any>): boolean => {
    const gh = pr.github;
    if (gh && [...urls].some((u) => u.endsWith(`/${String(gh.owner).toLowerCase()}/${String(gh.repo).toLowerCase()}`))) return true;
    const gt = pr.gitea;
    if (gt && [...urls].some((u) => u.endsWith(`/${String(gt.owner).toLowerCase()}/${String(gt.repo).toLowerCase()}`))) return true;
    const gl = pr.gitlab;
    if (gl && [...urls].some((u) => u.endsWith(`/${String(gl.project).toLowerCase()}`))) return true;
    const bb = pr.bitbucketServer;
    if (bb && [...urls].some((u) => u.endsWith(`/${String(bb.project).toLowerCase()}/${String(bb.repo).toLowerCase()}`))) return true;
    return false;
  };
  const one = (g: Generator): boolean => {
    if (ev.kind === 'push' && g.git && repoOf(g.git.repoURL)) {
      const rev = g.git.revision || 'HEAD';
      return rev === 'HEAD' || !ev.branch || rev === ev.branch || rev === `refs/heads/${ev.branch}`;
    }
    if (ev.kind === 'pull_request' && g.pullRequest && prRepo(g.pullRequest as Record<string, any>)) return true;
    return [...(g.matrix?.generators ?? []), ...(g.merge?.generators ?? [])].some(one);
  };
  return (gens ?? []).some(one);
}

/** Serves POST /api/webhook; `handle` gets each event. Resolves once listening. */
export function serveWebhook(host: string, port: number, secrets: () => Record<string, string | undefined>, handle: (ev: WebhookEvent) => number, log: (m: string) => void): Promise<Server> {
  const srv = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/api/webhook' || req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > 25 * 1024 * 1024) req.destroy();
      else chunks.push(d);
    });
    req.on('end', () => {
      try {
        const ev = parseWebhook(req.headers, Buffer.concat(chunks), secrets());
        if (!ev) {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ignored\n');
          return;
        }
        const n = handle(ev);
        log(`webhook: ${ev.kind} of ${ev.repoURLs[0] ?? '?'}${ev.branch ? ` (${ev.branch})` : ''}: ${n} ApplicationSet(s) to generate`);
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`${n} applicationset(s) refreshed\n`);
      } catch (e) {
        const status = e instanceof WebhookError ? e.status : 500;
        log(`webhook: ${(e as Error).message}`);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
      }
    });
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve(srv));
  });
}
