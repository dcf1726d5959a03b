/**
 * The controller's side of the repo server: the calls it makes (the shape of
 * `@flotilla/repo-server/client`'s RepoClient), an in-process adapter over `RepoServer` for tests
 * and embedding, and a render cache shared by every app: revisions per (repo, targetRevision)
 * for a short time (a refresh request bypasses it), manifests per (repo, sha, path, options, app,
 * namespace), so an unchanged app costs no repo-server call at all.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import type { RepoServer, ApplicationSource } from '@flotilla/repo-server';

export interface GenerateRequest {
  source: ApplicationSource;
  appName?: string;
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
  refSources?: Record<string, ApplicationSource>;
  noCache?: boolean;
}
export interface GenerateResponse {
  revision: string;
  sourceType: string;
  manifests: KubeObject[];
  sources?: string[];
}

/** What the controller needs of argocd-repo-server (RepoClient satisfies it). */
export interface RepoAPI {
  generateManifests(req: GenerateRequest): Promise<GenerateResponse>;
  resolveRevision(repoURL: string, revision?: string): Promise<{ revision: string }>;
}

/** RepoServer (in this process) behind the RepoClient interface. */
export function inProcessRepo(server: RepoServer): RepoAPI {
  return {
    async generateManifests(req) {
      const r = await server.generateManifests(req.source, { appName: req.appName, namespace: req.namespace, kubeVersion: req.kubeVersion, apiVersions: req.apiVersions } as never);
      return { revision: r.revision, sourceType: r.sourceType, manifests: r.objects.map((o) => o.object as KubeObject), sources: r.objects.map((o) => o.source) };
    },
    async resolveRevision(repoURL, revision) {
      return { revision: await server.resolveRevision(repoURL, revision) };
    },
  };
}

export interface RenderResult {
  revision: string;
  sourceType: string;
  manifests: KubeObject[];
}

export interface RepoCounters {
  /** argocd_git_request_total{repo, request_type} */
  request(repo: string, type: 'ls-remote' | 'fetch'): void;
}

const SHA = /^[0-9a-f]{40}$/;

export class RenderCache {
  private readonly revisions = new Map<string, { at: number; p: Promise<string> }>();
  private readonly renders = new Map<string, { at: number; p: Promise<RenderResult> }>();

  constructor(
    private readonly repo: RepoAPI,
    private readonly opts: { revisionTtlMs?: number; maxRenders?: number; counters?: RepoCounters } = {},
  ) {}

  /** targetRevision → commit SHA (cached briefly; `fresh` asks the repo server). */
  resolve(repoURL: string, targetRevision: string | undefined, fresh: boolean): Promise<string> {
    const rev = targetRevision || 'HEAD';
    if (SHA.test(rev)) return Promise.resolve(rev);
    const key = `${repoURL}\0${rev}`;
    const hit = this.revisions.get(key);
    const ttl = this.opts.revisionTtlMs ?? 3000;
    if (hit && !fresh && Date.now() - hit.at < ttl) return hit.p;
    this.opts.counters?.request(repoURL, 'ls-remote');
    const p = this.repo.resolveRevision(repoURL, rev).then((r) => r.revision);
    const e = { at: Date.now(), p };
    this.revisions.set(key, e);
    p.catch(() => this.revisions.get(key) === e && this.revisions.delete(key));
    return p;
  }

  /** Renders a source at a commit (cached by everything that changes the output). */
  render(req: GenerateRequest & { resolved: string }, noCache: boolean): Promise<RenderResult> {
    const { resolved, noCache: _n, ...rest } = req;
    const isChart = !!req.source.chart;
    const source = { ...req.source, targetRevision: isChart ? req.source.targetRevision : resolved };
    const key = JSON.stringify([source, rest.appName, rest.namespace, rest.kubeVersion, rest.refSources ?? null]);
    const hit = this.renders.get(key);
    if (hit && !noCache) {
      hit.at = Date.now();
      return hit.p;
    }
    this.opts.counters?.request(req.source.repoURL, 'fetch');
    const p = this.repo.generateManifests({ ...rest, source, noCache: noCache || undefined }).then((r) => ({ revision: r.revision, sourceType: r.sourceType, manifests: r.manifests }));
    const e = { at: Date.now(), p };
    this.renders.set(key, e);
    p.catch(() => this.renders.get(key) === e && this.renders.delete(key));
    this.trim();
    return p;
  }

  private trim(): void {
    const max = this.opts.maxRenders ?? 5000;
    if (this.renders.size <= max) return;
    const old = [...this.renders.entries()].sort((a, b) => a[1].at - b[1].at).slice(0, this.renders.size - max);
    for (const [k] of old) this.renders.delete(k);
  }
}
