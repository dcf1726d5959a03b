/**
 * The server's view of the cluster: informers on its namespace's Argo CD ConfigMaps and Secrets,
 * Applications and AppProjects, and the derived state (accounts, the compiled RBAC policy, the
 * session signing key). RBAC is recompiled when argocd-rbac-cm or a project changes; a policy with
 * errors keeps the last good one and logs why.
 */
import { randomBytes } from 'node:crypto';
import { KubeClient, InformerFactory, R, isNotFound, isAlreadyExists, type Resource, type Informer } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import type { AppProject, Application } from '@flotilla/argocd-engine/types';
import { parseAccounts, type Account } from './accounts.js';
import { parseSettings, type ArgoSettings } from '@flotilla/argocd-engine/settings';
import { Rbac, rbacConfig, projectPolicies } from './rbac.js';
import type { Logger } from './log.js';

export const APPS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
export const PROJECTS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'appprojects', kind: 'AppProject', namespaced: true };
export const APPSETS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applicationsets', kind: 'ApplicationSet', namespaced: true };

export const CM = { argocd: 'argocd-cm', rbac: 'argocd-rbac-cm', params: 'argocd-cmd-params-cm', tls: 'argocd-tls-certs-cm', ssh: 'argocd-ssh-known-hosts-cm' };
export const SECRET = { argocd: 'argocd-secret', initial: 'argocd-initial-admin-secret', tls: 'argocd-server-tls' };

export function decodeData(s: KubeObject | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const data = ((s as any)?.data ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(((s as any)?.stringData ?? {}) as Record<string, string>)) out[k] = v;
  return out;
}

export class Store {
  readonly informers: InformerFactory;
  readonly cms: Informer;
  readonly secrets: Informer;
  readonly apps: Informer<Application>;
  readonly projects: Informer<AppProject>;
  private rbacCache?: { key: string; rbac: Promise<Rbac> };
  private lastGoodRbac?: Promise<Rbac>;
  private rbacLogged = '';

  constructor(
    readonly client: KubeClient,
    readonly namespace: string,
    readonly log: Logger,
  ) {
    this.informers = new InformerFactory(client, { namespace, log: (m) => log.warn(m) });
    this.cms = this.informers.for(R.configmaps);
    this.secrets = this.informers.for(R.secrets);
    this.apps = this.informers.for<Application>(APPS);
    this.projects = this.informers.for<AppProject>(PROJECTS);
  }

  async start(): Promise<void> {
    this.informers.start();
    await this.informers.waitForSync();
  }

  async stop(): Promise<void> {
    await this.informers.stop();
  }

  cm(name: string): Record<string, string> {
    return ((this.cms.get(this.namespace, name) as any)?.data ?? {}) as Record<string, string>;
  }

  secret(name: string): Record<string, string> {
    return decodeData(this.secrets.get(this.namespace, name));
  }

  private settingsMemo?: { cm: unknown; params: unknown; settings: ArgoSettings };

  /** argocd-cm (+ argocd-cmd-params-cm) through the engine's parser, parsed again only when they change. */
  settings(): ArgoSettings {
    const cm = this.cms.get(this.namespace, CM.argocd);
    const params = this.cms.get(this.namespace, CM.params);
    if (this.settingsMemo && this.settingsMemo.cm === cm && this.settingsMemo.params === params) return this.settingsMemo.settings;
    const settings = parseSettings(this.cm(CM.argocd), this.cm(CM.params));
    this.settingsMemo = { cm, params, settings };
    return settings;
  }

  accounts(errors?: string[]): Map<string, Account> {
    return parseAccounts(this.cm(CM.argocd), this.secret(SECRET.argocd), errors, this.settings());
  }

  /** `users.session.duration` (default 24 h), seconds */
  sessionDuration(): number {
    return this.settings().usersSessionDurationSeconds;
  }

  secretKey(): Uint8Array | undefined {
    const v = this.secretRaw(SECRET.argocd)['server.secretkey'];
    return v ? Buffer.from(v, 'base64') : undefined;
  }

  /** the base64 data of a Secret as stored */
  secretRaw(name: string): Record<string, string> {
    return ((this.secrets.get(this.namespace, name) as any)?.data ?? {}) as Record<string, string>;
  }

  /** Sets (string) or removes (null) keys of argocd-secret; creates it when missing. */
  async patchArgoSecret(values: Record<string, string | null>): Promise<void> {
    const data: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(values)) data[k] = v === null ? null : Buffer.from(v).toString('base64');
    try {
      const s = await this.client.patch(R.secrets, this.namespace, SECRET.argocd, { data }, 'merge');
      this.seeSecret(s);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const body = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null)) as Record<string, string>;
      try {
        const s = await this.client.create(R.secrets, this.namespace, { metadata: { name: SECRET.argocd, namespace: this.namespace, labels: { 'app.kubernetes.io/name': 'argocd-secret', 'app.kubernetes.io/part-of': 'argocd' } }, type: 'Opaque', data: body } as KubeObject);
        this.seeSecret(s);
      } catch (e2) {
        if (!isAlreadyExists(e2)) throw e2;
        await this.patchArgoSecret(values);
      }
    }
  }

  /** Puts a Secret we just wrote into the cache at once (the watch confirms it a moment later). */
  private seeSecret(s: KubeObject): void {
    see(this.secrets, s);
  }

  /** `server.secretkey` generated into argocd-secret when missing. */
  async ensureSecretKey(): Promise<Uint8Array> {
    let k = this.secretKey();
    if (k?.length) return k;
    const fresh = randomBytes(32).toString('base64');
    // the key is stored as raw bytes: base64 in `data` is the key itself
    const data = { 'server.secretkey': Buffer.from(fresh, 'base64').toString('base64') };
    try {
      const s = await this.client.patch(R.secrets, this.namespace, SECRET.argocd, { data }, 'merge');
      this.seeSecret(s);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const s = await this.client.create(R.secrets, this.namespace, { metadata: { name: SECRET.argocd, namespace: this.namespace, labels: { 'app.kubernetes.io/name': 'argocd-secret', 'app.kubernetes.io/part-of': 'argocd' } }, type: 'Opaque', data } as KubeObject);
      this.seeSecret(s);
    }
    k = this.secretKey();
    return k ?? Buffer.from(fresh, 'base64');
  }

  /** The compiled RBAC policy for the current argocd-rbac-cm and projects (last good one when the new one has errors). */
  rbac(): Promise<Rbac> {
    const data = this.cm(CM.rbac);
    const projects = this.projects.list(this.namespace);
    const key = JSON.stringify(data) + '\u0000' + projects.map((p) => `${p.metadata?.name}@${p.metadata?.resourceVersion}`).join(',');
    if (this.rbacCache?.key === key) return this.rbacCache.rbac;
    const cfg = rbacConfig(data);
    const pp = projectPolicies(projects);
    const errors = [...cfg.errors];
    let p: Promise<Rbac>;
    if (errors.length && this.lastGoodRbac) {
      if (this.rbacLogged !== key) this.log.error('argocd-rbac-cm has errors; keeping the last good policy', { errors });
      p = this.lastGoodRbac;
    } else {
      if (errors.length && this.rbacLogged !== key) this.log.error('argocd-rbac-cm has errors; the bad lines are ignored', { errors });
      if (pp.errors.length && this.rbacLogged !== key) this.log.warn('project role policies ignored', { errors: pp.errors });
      p = Rbac.build(cfg, [...cfg.lines, ...pp.lines]);
      this.lastGoodRbac = p;
    }
    this.rbacLogged = key;
    this.rbacCache = { key, rbac: p };
    return p;
  }

  app(name: string, ns = this.namespace): Application | undefined {
    return this.apps.get(ns, name);
  }

  project(name: string): AppProject | undefined {
    return this.projects.get(this.namespace, name);
  }
}

/**
 * Puts an object the server just wrote into an informer's cache at once, so the next request sees
 * it (a login right after a password change, a project token right after it was issued); the
 * watch event that follows carries the same object.
 */
export function see(inf: Informer<any>, obj: KubeObject): void {
  const cur = inf.get(obj.metadata?.namespace, obj.metadata!.name!);
  const newer = !cur || Number(obj.metadata?.resourceVersion) >= Number(cur.metadata?.resourceVersion) || Number.isNaN(Number(cur.metadata?.resourceVersion));
  if (newer) (inf as unknown as { upsert?: (o: KubeObject) => void }).upsert?.(obj);
}
