/**
 * Git webhook payloads (pure): provider detection and authentication (GitHub `X-Hub-Signature-256`,
 * GitLab `X-Gitlab-Token`, Bitbucket Cloud `X-Hook-UUID`, Bitbucket Server `X-Hub-Signature`, Gogs
 * `X-Gogs-Signature`) against argocd-secret's `webhook.*` keys, and the push they describe
 * (repository URLs, revision, whether the default branch moved, changed files).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { normalizeRepoURL } from './project.js';
import { globMatch } from './rbac.js';

export type Provider = 'github' | 'gitlab' | 'bitbucket' | 'bitbucketserver' | 'gogs';

export interface Push {
  provider: Provider;
  /** every URL the repository is known by */
  urls: string[];
  revision: string;
  /** the default branch moved (apps tracking HEAD are affected) */
  touchedHead: boolean;
  changedFiles: string[];
}

export class WebhookError extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
  }
}

type Headers = Record<string, string | string[] | undefined>;
const h = (hs: Headers, k: string): string | undefined => {
  const v = hs[k.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

export function providerOf(hs: Headers): Provider | undefined {
  if (h(hs, 'x-github-event')) return 'github';
  if (h(hs, 'x-gitlab-event')) return 'gitlab';
  if (h(hs, 'x-gogs-event')) return 'gogs';
  if (h(hs, 'x-hook-uuid')) return 'bitbucket';
  if (h(hs, 'x-event-key')) return (h(hs, 'x-event-key') ?? '').startsWith('repo:refs_changed') || (h(hs, 'x-event-key') ?? '').startsWith('diagnostics:') ? 'bitbucketserver' : 'bitbucket';
  return undefined;
}

function hmacOK(secret: string, body: Buffer, given: string | undefined, prefix: string): boolean {
  if (!given) return false;
  const want = prefix + createHmac('sha256', secret).update(body).digest('hex');
  const a = Buffer.from(want);
  const b = Buffer.from(given.trim());
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Throws WebhookError when a configured secret does not match. */
export function authenticate(p: Provider, hs: Headers, body: Buffer, secrets: Record<string, string>): void {
  switch (p) {
    case 'github': {
      const s = secrets['webhook.github.secret'];
      if (s && !hmacOK(s, body, h(hs, 'x-hub-signature-256'), 'sha256=')) {
        // the SHA-1 header of older GitHub deliveries
        const sha1 = h(hs, 'x-hub-signature');
        const ok1 = !!sha1 && sha1 === 'sha1=' + createHmac('sha1', s).update(body).digest('hex');
        if (!ok1) throw new WebhookError('HMAC verification failed');
      }
      return;
    }
    case 'gitlab': {
      const s = secrets['webhook.gitlab.secret'];
      if (s && h(hs, 'x-gitlab-token') !== s) throw new WebhookError('invalid gitlab token');
      return;
    }
    case 'bitbucket': {
      const s = secrets['webhook.bitbucket.uuid'];
      if (s && h(hs, 'x-hook-uuid') !== s) throw new WebhookError('Hook UUID is not valid');
      return;
    }
    case 'bitbucketserver': {
      const s = secrets['webhook.bitbucketserver.secret'];
      if (s && !hmacOK(s, body, h(hs, 'x-hub-signature'), 'sha256=')) throw new WebhookError('HMAC verification failed');
      return;
    }
    case 'gogs': {
      const s = secrets['webhook.gogs.secret'];
      if (s && !hmacOK(s, body, h(hs, 'x-gogs-signature'), '')) throw new WebhookError('HMAC verification failed');
      return;
    }
  }
}

function refRevision(ref: string | undefined): string {
  return String(ref ?? '').replace(/^refs\/(heads|tags)\//, '');
}

function files(commits: any[] | undefined): string[] {
  const out = new Set<string>();
  for (const c of commits ?? []) for (const k of ['added', 'modified', 'removed']) for (const f of c?.[k] ?? []) out.add(String(f));
  return [...out];
}

/** The push a payload describes, or undefined for events that refresh nothing (ping, issues…). */
export function parsePush(p: Provider, hs: Headers, payload: any): Push | undefined {
  switch (p) {
    case 'github': {
      const ev = h(hs, 'x-github-event');
      if (ev !== 'push') return undefined;
      const r = payload?.repository ?? {};
      const revision = refRevision(payload?.ref);
      return { provider: p, urls: [r.html_url, r.clone_url, r.ssh_url, r.git_url, r.url].filter(Boolean), revision, touchedHead: revision === r.default_branch, changedFiles: files(payload?.commits) };
    }
    case 'gitlab': {
      const ev = h(hs, 'x-gitlab-event');
      if (ev !== 'Push Hook' && ev !== 'Tag Push Hook' && ev !== 'System Hook') return undefined;
      const r = payload?.project ?? payload?.repository ?? {};
      const revision = refRevision(payload?.ref);
      return { provider: p, urls: [r.web_url, r.git_http_url, r.git_ssh_url, r.http_url, r.ssh_url, payload?.repository?.homepage].filter(Boolean), revision, touchedHead: revision === r.default_branch, changedFiles: files(payload?.commits) };
    }
    case 'bitbucket': {
      if (h(hs, 'x-event-key') !== 'repo:push') return undefined;
      const r = payload?.repository ?? {};
      const change = payload?.push?.changes?.[0]?.new ?? {};
      const full = r.full_name;
      const urls = [r.links?.html?.href, full ? `https://bitbucket.org/${full}` : '', full ? `git@bitbucket.org:${full}.git` : ''].filter(Boolean);
      return { provider: p, urls, revision: String(change.name ?? ''), touchedHead: !!r.mainbranch?.name && change.name === r.mainbranch.name, changedFiles: [] };
    }
    case 'bitbucketserver': {
      if (!(h(hs, 'x-event-key') ?? '').startsWith('repo:refs_changed')) return undefined;
      const r = payload?.repository ?? {};
      const urls = ((r.links?.clone ?? []) as { href?: string }[]).map((l) => l.href ?? '').filter(Boolean);
      const change = payload?.changes?.[0] ?? {};
      const revision = refRevision(change.refId ?? change.ref?.id);
      return { provider: p, urls, revision, touchedHead: false, changedFiles: [] };
    }
    case 'gogs': {
      if (h(hs, 'x-gogs-event') !== 'push') return undefined;
      const r = payload?.repository ?? {};
      const revision = refRevision(payload?.ref);
      return { provider: p, urls: [r.html_url, r.clone_url, r.ssh_url].filter(Boolean), revision, touchedHead: revision === r.default_branch, changedFiles: files(payload?.commits) };
    }
  }
}

export interface AppLike {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: { source?: { repoURL?: string; targetRevision?: string; path?: string }; sources?: { repoURL?: string; targetRevision?: string; path?: string }[] };
}

/** Whether a push concerns an app: same repository (normalised URLs) and revision (branch, tag, or HEAD when the default branch moved), and — with `argocd.argoproj.io/manifest-generate-paths` — a changed file under those paths. */
export function appAffected(app: AppLike, push: Push): boolean {
  const urls = new Set(push.urls.map(normalizeRepoURL));
  const sources = app.spec?.sources?.length ? app.spec.sources : app.spec?.source ? [app.spec.source] : [];
  const hit = sources.some((s) => {
    if (!s.repoURL || !urls.has(normalizeRepoURL(s.repoURL))) return false;
    const t = (s.targetRevision ?? '').replace(/^refs\/(heads|tags)\//, '');
    if (t === '' || t === 'HEAD') return push.touchedHead;
    return t === push.revision || (/[*?[]/.test(t) && globMatch(push.revision, t));
  });
  if (!hit) return false;
  const ann = app.metadata?.annotations?.['argocd.argoproj.io/manifest-generate-paths'];
  if (!ann || !push.changedFiles.length) return true;
  const base = sources[0]?.path ?? '';
  const paths = ann.split(';').map((x) => x.trim()).filter(Boolean).map((x) => (x.startsWith('/') ? x.slice(1) : [base, x].filter(Boolean).join('/').replace(/\/\.$/, '').replace(/^\.\//, '')));
  return push.changedFiles.some((f) => paths.some((pp) => pp === '.' || pp === '' || f === pp || f.startsWith(pp.replace(/\/$/, '') + '/')));
}
