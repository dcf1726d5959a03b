/**
 * Proxy extensions (Argo CD's developer guide, "Proxy Extensions"): with `--enable-proxy-extension`
 * (`server.enable.proxy.extension: "true"` in argocd-cmd-params-cm), `/extensions/<name>/<path…>` is
 * forwarded to the backend configured for `<name>` in argocd-cm (extensions-config.ts), as `/<path…>`,
 * for a logged-in user who may `get` the application named by `Argocd-Application-Name:
 * <namespace>:<app>` (whose project must be `Argocd-Project-Name`) and `invoke` the extension
 * (`extensions, invoke, <name>`). The backend of the app's destination cluster is chosen; the
 * request goes without Argo CD's session (Authorization, the argocd.token cookies) and with the
 * configured headers plus `Argocd-Username`, `Argocd-User-Id`, `Argocd-User-Groups`,
 * `Argocd-Target-Cluster-Name` and `Argocd-Target-Cluster-URL`; the answer is streamed back.
 * The configuration is read again whenever argocd-cm or argocd-secret change (no restart).
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { ApiErr, Code, errorBody, httpStatus, sendJson, type Req } from './http.js';
import { CM, SECRET } from './store.js';
import { enforce, subjects, username, type Ctx } from './context.js';
import { userOf, type Claims } from './session.js';
import { tokenFromRequest } from './api/account.js';
import { parseExtensions, serviceFor, type Extension, type ExtService } from './extensions-config.js';

export const URL_PREFIX = '/extensions';
export const HEADER_APP = 'argocd-application-name';
export const HEADER_PROJECT = 'argocd-project-name';

/** hop-by-hop headers (RFC 9110 7.6.1), never forwarded either way */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** the headers the proxy sets itself: a client's own values are dropped */
const OWN = new Set(['argocd-username', 'argocd-user-id', 'argocd-user-groups', 'argocd-target-cluster-name', 'argocd-target-cluster-url']);

interface Built {
  cm: unknown;
  secret: unknown;
  extensions: Map<string, Extension>;
  agents: Map<ExtService, HttpAgent>;
}

/** The extensions of the current argocd-cm/argocd-secret, built again when either object changes. */
export class ExtensionRegistry {
  private built?: Built;
  constructor(private readonly ctx: Pick<Ctx, 'store' | 'log'>) {}

  /** Builds now, and again as soon as argocd-cm or argocd-secret change (so a bad entry is logged when it arrives). */
  watch(): void {
    const { store } = this.ctx;
    const again = (o: { metadata?: { name?: string } }) => {
      if (o?.metadata?.name === CM.argocd || o?.metadata?.name === SECRET.argocd) this.current();
    };
    store.cms.on({ add: again, update: (_o, n) => again(n), delete: again });
    store.secrets.on({ add: again, update: (_o, n) => again(n), delete: again });
    this.current();
  }

  current(): Built {
    const { store } = this.ctx;
    const cm = store.cms.get(store.namespace, CM.argocd);
    const secret = store.secrets.get(store.namespace, SECRET.argocd);
    if (this.built && this.built.cm === cm && this.built.secret === secret) return this.built;
    const { extensions, errors } = parseExtensions(store.cm(CM.argocd), store.secret(SECRET.argocd));
    for (const e of errors) this.ctx.log.error('proxy extension not registered', { error: e });
    const agents = new Map<ExtService, HttpAgent>();
    for (const ext of extensions.values()) {
      const b = ext.backend;
      for (const s of ext.backend.services) {
        const o = { keepAlive: true, keepAliveMsecs: b.keepAliveMs, maxFreeSockets: Math.max(1, b.maxIdleConnections), timeout: b.idleConnectionTimeoutMs || undefined };
        agents.set(s, s.url.protocol === 'https:' ? new HttpsAgent({ ...o, rejectUnauthorized: !s.insecureSkipVerify }) : new HttpAgent(o));
      }
    }
    const old = this.built;
    this.built = { cm, secret, extensions, agents };
    if (old) for (const a of old.agents.values()) setTimeout(() => a.destroy(), 120_000).unref(); // let requests in flight finish
    if (extensions.size || old?.extensions.size) this.ctx.log.info('proxy extensions registered', { extensions: [...extensions.keys()] });
    return this.built;
  }
}

function fail(res: ServerResponse, code: number, message: string): void {
  const e = new ApiErr(code as ApiErr['code'], message);
  sendJson(res, httpStatus(e.code), errorBody(e));
}

function one(v: string | string[] | undefined): string {
  return (Array.isArray(v) ? v[0] : v ?? '').trim();
}

/** Serves `/extensions/…` (`path` without the root path). Answers 404 when proxy extensions are not enabled. */
export async function handleExtension(ctx: Ctx, reg: ExtensionRegistry, raw: IncomingMessage, res: ServerResponse, path: string, search: string): Promise<void> {
  if (!ctx.opts.enableProxyExtension) return fail(res, Code.NotFound, 'proxy extensions are not enabled (server.enable.proxy.extension in argocd-cmd-params-cm)');
  const rest = path.slice(URL_PREFIX.length + 1);
  const slash = rest.indexOf('/');
  const name = slash < 0 ? rest : rest.slice(0, slash);
  const sub = slash < 0 ? '/' : rest.slice(slash);
  if (!name) return fail(res, Code.NotFound, 'no extension named in the path: want /extensions/<name>/…');

  // a logged-in user
  const token = tokenFromRequest({ headers: raw.headers });
  if (!token) return fail(res, Code.Unauthenticated, 'no session information');
  let claims: Claims;
  try {
    claims = await ctx.sessions.verify(token);
  } catch (e) {
    return fail(res, Code.Unauthenticated, (e as Error).message);
  }
  const req = { headers: raw.headers, claims } as Req;

  // the application and project headers
  const appHeader = one(raw.headers[HEADER_APP]);
  const project = one(raw.headers[HEADER_PROJECT]);
  if (!appHeader || !project) return fail(res, Code.InvalidArgument, `the headers Argocd-Application-Name (<namespace>:<app>) and Argocd-Project-Name are required`);
  const m = /^([^:/\s]+):([^:/\s]+)$/.exec(appHeader);
  if (!m) return fail(res, Code.InvalidArgument, `invalid Argocd-Application-Name "${appHeader}": want <namespace>:<app>`);
  const [, appNs, appName] = m;

  const ext = reg.current().extensions.get(name);
  try {
    const obj = appNs === ctx.store.namespace ? `${project}/${appName}` : `${project}/${appNs}/${appName}`;
    await enforce(ctx, req, 'applications', 'get', obj);
    await enforce(ctx, req, 'extensions', 'invoke', name);
  } catch (e) {
    const err = e as ApiErr;
    return fail(res, err.code ?? Code.PermissionDenied, err.message);
  }
  // an app this server does not serve, or of another project, is refused as RBAC would refuse it
  const app = appNs === ctx.store.namespace ? ctx.store.app(appName, appNs) : undefined;
  if (!app || (app.spec?.project || 'default') !== project) return fail(res, Code.PermissionDenied, `permission denied: application ${appNs}/${appName} not found in project ${project}`);
  if (!ext) return fail(res, Code.NotFound, `extension "${name}" not found (is it configured in argocd-cm extension.config?)`);
  const dest = (app.spec?.destination ?? {}) as { name?: string; server?: string };
  const svc = serviceFor(ext.backend, dest);
  if (!svc) return fail(res, Code.NotFound, `extension "${name}" has no backend service for the cluster of ${appNs}/${appName} (${dest.name || dest.server || 'none'})`);
  const { groups } = subjects(claims, (await ctx.store.rbac()).cfg.scopes);
  forward(ctx, reg, ext, svc, raw, res, sub + search, claims, groups, dest);
}

function forward(ctx: Ctx, reg: ExtensionRegistry, ext: Extension, svc: ExtService, raw: IncomingMessage, res: ServerResponse, pathAndQuery: string, claims: Claims, groups: string[], dest: { name?: string; server?: string }): void {
  const b = ext.backend;
  const headers: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(raw.headers)) {
    if (v === undefined || HOP.has(k) || OWN.has(k) || k === 'authorization' || k === 'host') continue;
    if (k === 'cookie') {
      // Argo CD's session (argocd.token, argocd.token-N) stays here; other cookies go on
      const kept = String(v).split(';').map((c) => c.trim()).filter((c) => c && !/^argocd\.token(-\d+)?=/.test(c));
      if (kept.length) headers.cookie = kept.join('; ');
      continue;
    }
    headers[k] = v;
  }
  const fwd = raw.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = fwd ? `${fwd}, ${raw.socket.remoteAddress ?? ''}` : raw.socket.remoteAddress ?? '';
  headers.host = svc.url.host;
  for (const h of svc.headers) headers[h.name.toLowerCase()] = h.value;
  headers['argocd-username'] = username({ claims } as Req);
  headers['argocd-user-id'] = claims.iss && claims.iss !== 'argocd' ? claims.sub : userOf(claims.sub);
  headers['argocd-user-groups'] = groups.join(',');
  headers['argocd-target-cluster-name'] = dest.name ?? '';
  headers['argocd-target-cluster-url'] = dest.server ?? '';

  const base = svc.url.pathname.replace(/\/+$/, '');
  const target = new URL(svc.url.href);
  const agent = reg.current().agents.get(svc);
  const send = svc.url.protocol === 'https:' ? httpsRequest : httpRequest;
  let answered = false;
  const failed = (msg: string) => {
    if (answered) return;
    answered = true;
    ctx.log.warn('proxy extension backend failed', { extension: ext.name, backend: svc.url.origin, error: msg });
    const message = `extension "${ext.name}": backend ${svc.url.origin} failed: ${msg}`;
    if (!res.headersSent) sendJson(res, 502, { error: message, code: Code.Unavailable, message });
    else res.destroy();
  };
  const out = send({
    protocol: target.protocol,
    hostname: target.hostname.replace(/^\[|\]$/g, ''),
    port: target.port || undefined,
    method: raw.method,
    path: base + pathAndQuery,
    headers,
    agent,
    timeout: b.connectionTimeoutMs || undefined,
  });
  // connectionTimeout bounds the connect; then the socket may stay idle as long as the answer takes
  out.on('socket', (sock) => {
    const clear = () => out.setTimeout(0);
    if (!sock.connecting) clear();
    else sock.once('connect', clear).once('secureConnect', clear);
  });
  out.on('timeout', () => out.destroy(new Error(`no connection within ${b.connectionTimeoutMs} ms (connectionTimeout)`)));
  let headerTimer: NodeJS.Timeout | undefined;
  if (b.responseHeaderTimeoutMs > 0) {
    headerTimer = setTimeout(() => out.destroy(new Error(`no response headers within ${b.responseHeaderTimeoutMs} ms (responseHeaderTimeout)`)), b.responseHeaderTimeoutMs);
  }
  out.on('error', (e) => {
    clearTimeout(headerTimer);
    failed(e.message);
  });
  out.on('response', (br) => {
    clearTimeout(headerTimer);
    answered = true;
    const h: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(br.headers)) if (v !== undefined && !HOP.has(k)) h[k] = v;
    res.writeHead(br.statusCode ?? 502, h);
    br.pipe(res);
    br.on('error', () => res.destroy());
  });
  // the client went away: so does the backend request
  res.on('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  raw.pipe(out);
}
