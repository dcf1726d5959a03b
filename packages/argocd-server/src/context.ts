/** What every API module gets: the store, sessions, RBAC checks, audit, the repo client, options. */
import type { KubeClient, EventRecorder } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import type { Store } from './store.js';
import type { SessionManager, Claims } from './session.js';
import { userOf } from './session.js';
import { denied, type Req } from './http.js';
import type { Logger } from './log.js';
import type { LoginLimiter } from './limiter.js';
import type { SsoManager } from './sso/manager.js';

export interface RepoClientLike {
  generateManifests(req: any): Promise<{ revision: string; sourceType?: string; manifests: KubeObject[] }>;
  resolveRevision?(repoURL: string, revision: string): Promise<{ revision: string }>;
  listRefs?(repoURL: string): Promise<{ branches: string[]; tags: string[] }>;
  testRepository?(repo: unknown): Promise<{ ok: boolean; message?: string }>;
  revisionMetadata?(repoURL: string, revision: string): Promise<{ author?: string; date?: string; message?: string; tags?: string[] }>;
  appDetails?(source: any, opts?: { appName?: string }): Promise<unknown>;
  listApps?(repoURL: string, revision: string): Promise<unknown>;
}

export interface ServerOptions {
  namespace: string;
  insecure: boolean;
  port: number;
  address: string;
  metricsPort: number;
  metricsAddress: string;
  repoServer: string;
  redis?: string;
  basehref: string;
  rootpath: string;
  staticassets?: string;
  loglevel: 'debug' | 'info' | 'warn' | 'error';
  logformat: 'json' | 'text';
  /** `webhook.maxPayloadSizeMB` default */
  maxPayloadMB: number;
  /** how long `refresh=` waits for the controller, ms */
  refreshTimeoutMs: number;
  version: string;
  /** the broker's address (`--dex-server`): `/api/dex/*` is proxied there, and `dex.config`'s issuer is reached there */
  dexServer: string;
  /** `--enable-proxy-extension` (`server.enable.proxy.extension`): serve `/extensions/<name>/…` (extensions.ts) */
  enableProxyExtension?: boolean;
}

export interface Ctx {
  client: KubeClient;
  store: Store;
  sessions: SessionManager;
  limiter: LoginLimiter;
  events: EventRecorder;
  log: Logger;
  opts: ServerOptions;
  repo: RepoClientLike;
  /** single sign-on (oidc.config / dex.config) */
  sso: SsoManager;
  /** broadcast hooks for streams */
  audit(obj: KubeObject, reason: string, message: string, req?: Req, type?: 'Normal' | 'Warning'): void;
}

/** The user a request acts as (what upstream writes into events and `initiatedBy`). */
export function username(req: Req): string {
  const c = req.claims;
  if (!c) return '';
  // an SSO user is named by the email claim, else the subject (as upstream)
  if (c.iss && c.iss !== 'argocd') return (typeof c.email === 'string' && c.email) || c.sub;
  return userOf(c.sub) || (c.email as string) || c.sub;
}

/** The RBAC subject and groups of a request's claims. */
export function subjects(c: Claims | undefined, scopes: string[]): { sub: string; groups: string[] } {
  if (!c) return { sub: '', groups: [] };
  const groups: string[] = [];
  for (const s of scopes) {
    const v = c[s];
    if (typeof v === 'string') groups.push(v);
    else if (Array.isArray(v)) groups.push(...v.filter((x): x is string => typeof x === 'string'));
  }
  return { sub: userOf(c.sub), groups };
}

function iatText(c: Claims | undefined): string {
  return c?.iat !== undefined ? new Date(c.iat * 1000).toISOString().replace(/\.000Z$/, 'Z') : '';
}

/** Whether the request may do `act` on `res`/`obj`. */
export async function can(ctx: Ctx, req: Req, res: string, act: string, obj: string): Promise<boolean> {
  const rbac = await ctx.store.rbac();
  const { sub, groups } = subjects(req.claims, rbac.cfg.scopes);
  return rbac.enforce(sub, groups, res, act, obj);
}

/** Throws Argo's 403 (`permission denied: applications, get, default/guestbook, sub: admin, iat: …`) unless allowed. */
export async function enforce(ctx: Ctx, req: Req, res: string, act: string, obj: string): Promise<void> {
  if (await can(ctx, req, res, act, obj)) return;
  const c = req.claims;
  const parts = [res, act, obj];
  if (c?.sub) parts.push(`sub: ${c.sub}`);
  if (c?.iat !== undefined) parts.push(`iat: ${iatText(c)}`);
  throw denied(`permission denied: ${parts.join(', ')}`);
}
