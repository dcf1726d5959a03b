/**
 * How `argocd app …` reaches Applications: through argocd-server's REST API, or, with `--core`,
 * directly through the Kubernetes API (the subset documented in docs/argocd/cli.md: get, list,
 * create, set, delete, sync (by writing `operation`), wait, history, rollback, terminate-op).
 */
import type { Application } from '@flotilla/argocd-engine/types';
import type { KubeClient, Resource } from '@flotilla/kube-runtime';
import { ApiClient, RpcError } from './client.js';
import { apiClient, CliError, connection, explainAuth, isApiError, kubeClient, kubeNamespace } from './session.js';

export interface SyncRequest {
  name: string;
  appNamespace?: string;
  project?: string;
  revision?: string;
  dryRun?: boolean;
  prune?: boolean;
  strategy?: { apply?: { force?: boolean }; hook?: { force?: boolean } };
  resources?: { group?: string; kind: string; name: string; namespace?: string }[];
  syncOptions?: { items: string[] };
  retryStrategy?: unknown;
  infos?: { name: string; value: string }[];
}

export interface AppBackend {
  readonly core: boolean;
  /** the host the user logged in to (app URLs) */
  serverAddr: string;
  plaintext: boolean;
  getApp(name: string, ns?: string, refresh?: 'normal' | 'hard'): Promise<Application>;
  /** `fields`: only these paths of the answer (upstream's `fields` query parameter), when the caller needs no more */
  listApps(q: { selector?: string; projects?: string[]; repo?: string; appNamespace?: string; fields?: string[] }): Promise<Application[]>;
  createApp(app: Application, upsert: boolean, validate: boolean): Promise<Application>;
  updateSpec(name: string, ns: string | undefined, spec: Application['spec'], validate: boolean): Promise<unknown>;
  patchApp(name: string, ns: string | undefined, patch: string, patchType: string): Promise<Application>;
  deleteApp(name: string, ns: string | undefined, cascade: boolean | undefined, propagationPolicy: string | undefined): Promise<void>;
  sync(req: SyncRequest): Promise<Application>;
  rollback(name: string, ns: string | undefined, id: number, prune: boolean, dryRun: boolean): Promise<Application>;
  terminate(name: string, ns?: string): Promise<void>;
  /** calls onApp for every change of the app until it returns true or the signal aborts */
  watch(name: string, ns: string | undefined, onApp: (a: Application) => boolean, signal: AbortSignal): Promise<void>;
  /** the API client (undefined in --core mode) */
  api?: ApiClient;
  settingsURL(): Promise<string>;
}

/** "ns/name" → [name, ns] (upstream's argo.ParseFromQualifiedName) */
export function parseAppName(q: string, defaultNs = ''): [string, string | undefined] {
  const i = q.indexOf('/');
  if (i >= 0) return [q.slice(i + 1), q.slice(0, i)];
  return [q, defaultNs || undefined];
}

const enc = encodeURIComponent;

class RestBackend implements AppBackend {
  readonly core = false;
  constructor(
    readonly api: ApiClient,
    public serverAddr: string,
    public plaintext: boolean,
  ) {}
  private wrap<T>(p: Promise<T>): Promise<T> {
    return p.catch((e) => explainAuth(e, this.api));
  }
  getApp(name: string, ns?: string, refresh?: 'normal' | 'hard') {
    return this.wrap(this.api.get<Application>(`/api/v1/applications/${enc(name)}`, { appNamespace: ns, refresh }));
  }
  async listApps(q: { selector?: string; projects?: string[]; repo?: string; appNamespace?: string; fields?: string[] }) {
    const r = await this.wrap(this.api.get<{ items?: Application[] }>('/api/v1/applications', { selector: q.selector, projects: q.projects, repo: q.repo, appNamespace: q.appNamespace, fields: q.fields?.join(',') }));
    return r.items ?? [];
  }
  createApp(app: Application, upsert: boolean, validate: boolean) {
    return this.wrap(this.api.post<Application>('/api/v1/applications', app, { upsert, validate }));
  }
  updateSpec(name: string, ns: string | undefined, spec: Application['spec'], validate: boolean) {
    return this.wrap(this.api.put(`/api/v1/applications/${enc(name)}/spec`, spec, { validate, appNamespace: ns }));
  }
  patchApp(name: string, ns: string | undefined, patch: string, patchType: string) {
    return this.wrap(this.api.patch<Application>(`/api/v1/applications/${enc(name)}`, { name, patch, patchType, appNamespace: ns }));
  }
  async deleteApp(name: string, ns: string | undefined, cascade: boolean | undefined, propagationPolicy: string | undefined) {
    await this.wrap(this.api.delete(`/api/v1/applications/${enc(name)}`, { cascade, propagationPolicy, appNamespace: ns }));
  }
  sync(req: SyncRequest) {
    return this.wrap(this.api.post<Application>(`/api/v1/applications/${enc(req.name)}/sync`, req));
  }
  rollback(name: string, ns: string | undefined, id: number, prune: boolean, dryRun: boolean) {
    return this.wrap(this.api.post<Application>(`/api/v1/applications/${enc(name)}/rollback`, { name, id, prune, dryRun, appNamespace: ns }));
  }
  async terminate(name: string, ns?: string) {
    await this.wrap(this.api.delete(`/api/v1/applications/${enc(name)}/operation`, { appNamespace: ns }));
  }
  async watch(name: string, ns: string | undefined, onApp: (a: Application) => boolean, signal: AbortSignal) {
    let done = false;
    let streamWorks = true;
    // the state now (and a quick answer when the app is gone already)
    try {
      if (onApp(await this.getApp(name, ns))) return;
    } catch (e) {
      if (!(e instanceof RpcError && e.code === 5)) throw e;
      if (onApp({ __deleted: true } as any)) return;
    }
    while (!done && !signal.aborted) {
      if (streamWorks) {
        try {
          await this.api.stream<{ type: string; application: Application }>(
            '/api/v1/stream/applications',
            { name, appNamespace: ns },
            (ev) => {
              if (ev?.application && ev.type !== 'DELETED' && onApp(ev.application)) {
                done = true;
                return false;
              }
              if (ev?.type === 'DELETED' && ev.application && onApp({ ...ev.application, metadata: { ...ev.application.metadata, deletionTimestamp: ev.application.metadata?.deletionTimestamp ?? new Date().toISOString() }, __deleted: true } as any)) {
                done = true;
                return false;
              }
            },
            signal,
          );
        } catch (e) {
          if (e instanceof RpcError && (e.code === 12 || e.httpStatus === 404 || e.httpStatus === 405)) streamWorks = false;
          else if (e instanceof RpcError && (e.code === 16 || e.code === 7)) throw e;
        }
      }
      if (done || signal.aborted) break;
      // no stream (or it ended): poll
      try {
        const a = await this.getApp(name, ns);
        if (onApp(a)) break;
      } catch (e) {
        if (e instanceof RpcError && e.code === 5 && onApp({ __deleted: true } as any)) break;
      }
      await new Promise((r) => setTimeout(r, streamWorks ? 500 : 1000));
    }
  }
  async settingsURL() {
    try {
      return ((await this.api.get('/api/v1/settings')) as any).url ?? '';
    } catch {
      return '';
    }
  }
}

export const APPLICATIONS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
export const APPPROJECTS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'appprojects', kind: 'AppProject', namespaced: true };

function kubeErr(e: unknown, what: string): never {
  if (isApiError(e)) {
    const code = e.code === 404 ? 5 : e.code === 409 ? 6 : e.code === 403 ? 7 : e.code === 401 ? 16 : e.code === 400 || e.code === 422 ? 3 : 2;
    throw new RpcError(code, e.code === 404 ? `${what} not found` : e.message, e.code);
  }
  throw e;
}

/** --core: Applications straight from the Kubernetes API of the kubeconfig. */
class CoreBackend implements AppBackend {
  readonly core = true;
  serverAddr = 'kubernetes';
  plaintext = false;
  constructor(
    readonly k: KubeClient,
    readonly ns: string,
  ) {}
  private nsOf(ns?: string) {
    return ns || this.ns;
  }
  async getApp(name: string, ns?: string, refresh?: 'normal' | 'hard') {
    if (refresh) {
      await this.k.patch(APPLICATIONS, this.nsOf(ns), name, { metadata: { annotations: { 'argocd.argoproj.io/refresh': refresh } } }).catch((e) => kubeErr(e, `application '${name}'`));
      // the controller removes the annotation when it has refreshed
      for (let i = 0; i < 120; i++) {
        const a = (await this.k.get(APPLICATIONS, this.nsOf(ns), name).catch((e) => kubeErr(e, `application '${name}'`))) as Application;
        if (!a.metadata?.annotations?.['argocd.argoproj.io/refresh']) return a;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    return (await this.k.get(APPLICATIONS, this.nsOf(ns), name).catch((e) => kubeErr(e, `application '${name}'`))) as Application;
  }
  async listApps(q: { selector?: string; projects?: string[]; repo?: string; appNamespace?: string }) {
    const r = await this.k.list(APPLICATIONS, this.nsOf(q.appNamespace), { labelSelector: q.selector }).catch((e) => kubeErr(e, 'applications'));
    return (r.items as Application[]).filter((a) => (!q.projects?.length || q.projects.includes(a.spec?.project || 'default')) && (!q.repo || a.spec?.source?.repoURL === q.repo));
  }
  async createApp(app: Application, upsert: boolean) {
    const ns = this.nsOf(app.metadata?.namespace);
    app.metadata = { ...app.metadata, namespace: ns };
    try {
      return (await this.k.create(APPLICATIONS, ns, app)) as Application;
    } catch (e) {
      if (!isApiError(e, 409)) kubeErr(e, 'application');
      const existing = (await this.k.get(APPLICATIONS, ns, app.metadata!.name!)) as Application;
      if (JSON.stringify(existing.spec) === JSON.stringify(app.spec)) return existing;
      if (!upsert) throw new RpcError(3, `existing application spec is different, use upsert flag to force update`);
      return (await this.k.update(APPLICATIONS, { ...existing, spec: app.spec, metadata: { ...existing.metadata, labels: app.metadata?.labels ?? existing.metadata?.labels } })) as Application;
    }
  }
  async updateSpec(name: string, ns: string | undefined, spec: Application['spec']) {
    return this.k.patch(APPLICATIONS, this.nsOf(ns), name, { spec }, 'merge').catch((e) => kubeErr(e, `application '${name}'`));
  }
  async patchApp(name: string, ns: string | undefined, patch: string, patchType: string) {
    let body: unknown;
    try {
      body = JSON.parse(patch);
    } catch (e) {
      throw new CliError(`the patch is not JSON: ${(e as Error).message}`);
    }
    return (await this.k.patch(APPLICATIONS, this.nsOf(ns), name, body, patchType === 'merge' ? 'merge' : 'json').catch((e) => kubeErr(e, `application '${name}'`))) as Application;
  }
  async deleteApp(name: string, ns: string | undefined, cascade = true, propagationPolicy = 'foreground') {
    const app = await this.getApp(name, ns);
    const fin = 'resources-finalizer.argocd.argoproj.io';
    const finalizers = (app.metadata?.finalizers ?? []).filter((f) => !f.startsWith(fin));
    if (cascade) finalizers.push(propagationPolicy === 'background' ? `${fin}/background` : fin);
    await this.k.patch(APPLICATIONS, this.nsOf(ns), name, { metadata: { finalizers } }, 'merge').catch((e) => kubeErr(e, `application '${name}'`));
    await this.k.delete(APPLICATIONS, this.nsOf(ns), name).catch((e) => kubeErr(e, `application '${name}'`));
  }
  async sync(req: SyncRequest) {
    const app = await this.getApp(req.name, req.appNamespace);
    if (app.operation) throw new RpcError(9, 'another operation is already in progress');
    const operation = {
      sync: {
        revision: req.revision || app.spec.source?.targetRevision,
        prune: req.prune || undefined,
        dryRun: req.dryRun || undefined,
        resources: req.resources?.length ? req.resources : undefined,
        syncOptions: req.syncOptions?.items?.length ? req.syncOptions.items : undefined,
        syncStrategy: req.strategy,
      },
      initiatedBy: { username: process.env.USER || 'core' },
      info: req.infos,
      retry: req.retryStrategy,
    };
    return (await this.k.patch(APPLICATIONS, this.nsOf(req.appNamespace), req.name, { operation: JSON.parse(JSON.stringify(operation)) }, 'merge').catch((e) => kubeErr(e, `application '${req.name}'`))) as Application;
  }
  async rollback(name: string, ns: string | undefined, id: number, prune: boolean, dryRun: boolean) {
    const app = await this.getApp(name, ns);
    const h = (app.status?.history ?? []).find((x) => x.id === id);
    if (!h) throw new RpcError(3, `application ${name} does not have deployment with id ${id}`);
    if (app.spec.syncPolicy?.automated && app.spec.syncPolicy.automated.enabled !== false) throw new RpcError(9, 'rollback cannot be initiated when auto-sync is enabled');
    const operation = { sync: { revision: h.revision, source: h.source, prune: prune || undefined, dryRun: dryRun || undefined }, initiatedBy: { username: process.env.USER || 'core' } };
    return (await this.k.patch(APPLICATIONS, this.nsOf(ns), name, { operation: JSON.parse(JSON.stringify(operation)) }, 'merge')) as Application;
  }
  async terminate(name: string, ns?: string) {
    const app = await this.getApp(name, ns);
    if (!app.status?.operationState || app.status.operationState.phase !== 'Running') throw new RpcError(9, 'Unable to terminate operation. No operation is in progress');
    await this.k.patch(APPLICATIONS, this.nsOf(ns), name, { status: { operationState: { phase: 'Terminating' } } }, 'merge');
  }
  async watch(name: string, ns: string | undefined, onApp: (a: Application) => boolean, signal: AbortSignal) {
    while (!signal.aborted) {
      try {
        if (onApp(await this.getApp(name, ns))) return;
      } catch (e) {
        if (e instanceof RpcError && e.code === 5) {
          if (onApp({ __deleted: true } as any)) return;
        } else throw e;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  async settingsURL() {
    return '';
  }
}

/** The backend for the command's flags: REST by default, Kubernetes with --core (or a core context). */
export async function appBackend(opts: Record<string, any>, changed: Set<string>): Promise<AppBackend> {
  const c = connection(opts, changed);
  if (c.core) return new CoreBackend(await kubeClient(opts), kubeNamespace(opts, 'argocd'));
  const api = await apiClient(opts, changed);
  return new RestBackend(api, api.base.host, api.base.protocol === 'http:');
}

/** --core needs the Kubernetes client for commands that have no REST equivalent in core mode. */
export function coreUnsupported(b: AppBackend, what: string): void {
  if (b.core) throw new CliError(`${what} is not available with --core in Flotilla (it needs argocd-server); see docs/argocd/cli.md`);
}
