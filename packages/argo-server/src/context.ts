/** argo-server's options, shared state, and the per-request context the auth modes decide. */
import { KubeClient, type EventRecorder } from '@flotilla/kube-runtime';
import type { IncomingMessage } from 'node:http';
import type { Logger } from './log.js';
import { ApiErr, Code } from './http.js';
import type { Archive } from './archive/index.js';
import type { Sso, SsoUser } from './sso/sso.js';

export type AuthMode = 'server' | 'client' | 'sso';

export interface ServerOptions {
  port: number;
  address: string;
  /** HTTPS (default); false: plain HTTP */
  secure: boolean;
  /** Secret (tls.crt / tls.key) in the server's namespace with the certificate; else self-signed in memory */
  tlsCertificateSecretName?: string;
  authModes: AuthMode[];
  /** the namespace argo-server runs in (its ConfigMap, Secrets) */
  namespace: string;
  namespaced: boolean;
  /** with --namespaced: the namespace served (default: the server's) */
  managedNamespace?: string;
  baseHref: string;
  configMap: string;
  instanceId?: string;
  loglevel: 'debug' | 'info' | 'warn' | 'error';
  logformat: 'json' | 'text';
  /** archive completed workflows the controller has not archived (default true) */
  archiveCompleted: boolean;
  /** `Access-Control-Allow-Origin` on every answer (CORS), when set */
  accessControlAllowOrigin?: string;
  /** `X-Frame-Options` (default DENY; empty: none) */
  xFrameOptions: string;
  /** `Strict-Transport-Security` with --secure (default true) */
  hsts: boolean;
  /** --api-rate-limit: requests a client (IP address) may make per second (default 1000; 0: no limit) */
  apiRateLimit: number;
}

export const DEFAULT_OPTIONS: ServerOptions = {
  port: 2746,
  address: '0.0.0.0',
  secure: true,
  authModes: ['client'],
  namespace: 'argo',
  namespaced: false,
  baseHref: '/',
  configMap: 'workflow-controller-configmap',
  loglevel: 'info',
  logformat: 'text',
  archiveCompleted: true,
  xFrameOptions: 'DENY',
  hsts: true,
  apiRateLimit: 1000,
};

/** Who is calling and the Kubernetes client acting for them. */
export interface Caller {
  mode: AuthMode;
  kube: KubeClient;
  token?: string;
  /** with mode sso: the user, and the ServiceAccount the rbac rules picked (with sso.rbac.enabled) */
  sso?: { user: SsoUser; serviceAccount?: { name: string; namespace: string } };
}

export interface Ctx {
  opts: ServerOptions;
  /** the server's own client (its service account) */
  kube: KubeClient;
  log: Logger;
  archive?: Archive;
  /** the workflow-controller-configmap's parsed fields argo-server uses (links, columns, navColor, …) */
  config: () => Record<string, any>;
  /** with --auth-mode sso: the login flow and token checks */
  sso?: Sso;
  /** Kubernetes Events argo-server writes (with its own service account), e.g. WorkflowEventBindingError */
  events?: EventRecorder;
}

/** The namespace a list without one serves: the managed namespace in --namespaced mode, else all. */
export function listNamespace(ctx: Ctx, ns: string | undefined): string | undefined {
  if (ns) return ns;
  return ctx.opts.namespaced ? (ctx.opts.managedNamespace ?? ctx.opts.namespace) : undefined;
}

const CACHE_MS = 5 * 60_000;

/** Decides the auth mode of each request from its credentials, as upstream: none → server, `Bearer v2:…` → sso, `Bearer …` → client. */
export class Authenticator {
  private readonly clients = new Map<string, { client: KubeClient; at: number }>();
  constructor(private readonly ctx: Ctx) {}

  /**
   * The credentials of a request, in the order they are tried: the `Authorization` header, then every
   * `authorization` cookie (the UI's; a browser may send several, e.g. set at different paths). A cookie holds
   * `Bearer <token>` or the SSO login's bare `v2:…` token; another bare value is taken for a bearer token, tried
   * after the well-formed ones (`authorization=invalid1; authorization=Bearer <token>` uses the token).
   */
  static credentials(req: IncomingMessage): string[] {
    const out: string[] = [];
    const bare: string[] = [];
    const h = req.headers.authorization;
    if (h?.trim()) out.push(h.trim());
    const cookie = req.headers.cookie ?? '';
    for (const m of cookie.matchAll(/(?:^|;)\s*authorization=([^;]*)/g)) {
      let v: string;
      try {
        v = decodeURIComponent(m[1]!).trim();
      } catch {
        v = m[1]!.trim();
      }
      if (!v) continue;
      if (/^Bearer\s/i.test(v)) out.push(v);
      else if (v.startsWith('v2:')) out.push(`Bearer ${v}`);
      else bare.push(`Bearer ${v}`);
    }
    return [...out, ...bare];
  }

  /** The first credential, as `credentials()` orders them. */
  static credential(req: IncomingMessage): string | undefined {
    return Authenticator.credentials(req)[0];
  }

  /**
   * `namespace`: the namespace the request is about (for SSO_DELEGATE_RBAC_TO_NAMESPACE). With several
   * credentials, the first one that is valid for a running mode is used (as upstream's gatekeeper).
   */
  async caller(req: IncomingMessage, namespace?: string): Promise<Caller> {
    const modes = this.ctx.opts.authModes;
    const creds = Authenticator.credentials(req);
    if (!creds.length) {
      if (modes.includes('server')) return { mode: 'server', kube: this.ctx.kube };
      throw new ApiErr(Code.Unauthenticated, `token not valid for running mode: no Authorization header and auth mode "server" is not enabled (--auth-mode ${modes.join(',')}): send "Authorization: Bearer <Kubernetes token>"`);
    }
    let first: unknown;
    for (const cred of creds) {
      try {
        return await this.callerFor(cred, namespace);
      } catch (e) {
        first ??= e;
      }
    }
    throw first;
  }

  /**
   * Whether the request comes with a credential that is valid for a running mode (the `/metrics` check, as
   * upstream's): a bearer token the API server takes (its SelfSubjectReview) in client mode, a valid SSO token
   * in sso mode. No credential passes only when "server" is the one mode (the API itself needs none then).
   */
  async authenticated(req: IncomingMessage): Promise<boolean> {
    const modes = this.ctx.opts.authModes;
    const creds = Authenticator.credentials(req);
    if (!creds.length) return modes.length > 0 && modes.every((m) => m === 'server');
    for (const cred of creds) {
      try {
        const c = await this.callerFor(cred);
        if (c.mode === 'client') await c.kube.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
        return true;
      } catch {
        // the next credential
      }
    }
    return false;
  }

  private async callerFor(cred: string, namespace?: string): Promise<Caller> {
    const modes = this.ctx.opts.authModes;
    const m = /^Bearer\s+(.+)$/i.exec(cred);
    if (!m) throw new ApiErr(Code.Unauthenticated, 'token not valid: the Authorization header must be "Bearer <token>"');
    const token = m[1]!.trim();
    if (token.startsWith('v2:')) {
      if (!modes.includes('sso')) throw new ApiErr(Code.Unauthenticated, 'token not valid for running mode: an SSO token (v2:) was sent and auth mode "sso" is not enabled');
      if (!this.ctx.sso) throw new ApiErr(Code.Unauthenticated, 'SSO is not configured: the sso section of the controller ConfigMap is missing or invalid');
      const id = await this.ctx.sso.identity(token.slice(3), namespace);
      return { mode: 'sso', kube: id.kube, sso: { user: id.user, serviceAccount: id.serviceAccount } };
    }
    if (!modes.includes('client')) {
      // server-only: a token is ignored as upstream does when only server mode runs
      if (modes.includes('server')) return { mode: 'server', kube: this.ctx.kube };
      throw new ApiErr(Code.Unauthenticated, `token not valid for running mode: a bearer token needs auth mode "client" (--auth-mode ${modes.join(',')})`);
    }
    return { mode: 'client', kube: this.clientFor(token), token };
  }

  private clientFor(token: string): KubeClient {
    const now = Date.now();
    const hit = this.clients.get(token);
    if (hit && now - hit.at < CACHE_MS) return hit.client;
    if (hit) hit.client.close();
    for (const [t, c] of this.clients) {
      if (now - c.at >= CACHE_MS || this.clients.size > 200) {
        c.client.close();
        this.clients.delete(t);
      }
    }
    const base = this.ctx.kube;
    const client = new KubeClient({ url: base.server.toString().replace(/\/$/, ''), caPem: base.caPem, token, insecureSkipTlsVerify: base.config.insecure }, { fieldManager: 'argo-server', qps: 50, burst: 100 });
    this.clients.set(token, { client, at: now });
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }
}
