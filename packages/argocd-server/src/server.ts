/**
 * argocd-server: one port serving HTTPS (and plain HTTP when `--insecure`; without it plain HTTP is
 * redirected to HTTPS), the REST API under `/api`, Git webhooks at `/api/webhook`, the web UI
 * (`@flotilla/ui`) at `/`, `--rootpath`/`--basehref`; metrics on their own port.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket, type AddressInfo } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { serveUi as serveWebUi } from '@flotilla/ui';
import { KubeClient, EventRecorder, serveHealth, type HealthServer } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import { Router, ApiErr, Code, errorBody, fromKube, httpStatus, readBody, sendJson, STREAMED, unauthenticated, type Req } from './http.js';
import { observeCall } from './metrics.js';

const fromKubeCode = (e: unknown): number => fromKube(e).code;
import { Store, SECRET, PROJECTS } from './store.js';
import { SessionManager } from './session.js';
import { LoginLimiter, limiterOptionsFromEnv } from './limiter.js';
import { newLogger, type Logger } from './log.js';
import { username, type Ctx, type RepoClientLike, type ServerOptions } from './context.js';
import { registerAccount, ensureInitialAdmin, tokenFromRequest } from './api/account.js';
import { registerApplications } from './api/applications.js';
import { registerSettings } from './api/settings.js';
import { ensureKeyPair, currentKeyPair } from './tls.js';
import { registerExtra } from './api/index.js';
import { handleWebhook } from './webhook.js';
import { SsoManager } from './sso/manager.js';

/** the largest request header block served (Go's http.DefaultMaxHeaderBytes, as upstream) */
export const MAX_HEADER_BYTES = 1 << 20;
import { proxyDex } from './sso/dexproxy.js';
import { ExtensionRegistry, handleExtension, URL_PREFIX } from './extensions.js';

export const DEFAULT_OPTIONS: ServerOptions = {
  namespace: 'argocd',
  insecure: false,
  port: 8080,
  address: '0.0.0.0',
  metricsPort: 8083,
  metricsAddress: '0.0.0.0',
  repoServer: 'argocd-repo-server:8081',
  basehref: '/',
  rootpath: '',
  loglevel: 'info',
  logformat: 'json',
  maxPayloadMB: 50,
  refreshTimeoutMs: 20_000,
  version: 'v2.13.0+flotilla',
  dexServer: 'argocd-dex-server:5556',
};

export interface ArgoServer {
  ctx: Ctx;
  port: number;
  metricsPort?: number;
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 32 * 1024 * 1024;

export async function startServer(client: KubeClient, o: Partial<ServerOptions> & { repo: RepoClientLike; log?: Logger; metrics?: boolean }): Promise<ArgoServer> {
  const opts: ServerOptions = { ...DEFAULT_OPTIONS, ...o };
  const log = o.log ?? newLogger(opts.loglevel, undefined, opts.logformat);
  const store = new Store(client, opts.namespace, log);
  await store.start();
  await ensureDefaultProject(client, opts.namespace).catch((e) => log.warn(`ensuring the default AppProject: ${(e as Error).message}`));
  const limiter = new LoginLimiter(limiterOptionsFromEnv());
  const sessions = new SessionManager(store, limiter);
  const sso = new SsoManager(store, opts.dexServer, log, opts.basehref || '/');
  sessions.sso = [sso];
  const events = new EventRecorder(client, { component: 'argocd-server', log: (m) => log.warn(m) });
  const ctx: Ctx = {
    client, store, sessions, limiter, events, log, opts, repo: o.repo, sso,
    audit(obj: KubeObject, reason: string, message: string, req?: Req, type: 'Normal' | 'Warning' = 'Normal') {
      const user = req ? username(req) : '';
      const msg = user ? `${user} ${message}` : message;
      events.event(obj, type, reason, msg, { kind: obj.kind, apiVersion: obj.apiVersion });
      log.info(msg, { audit: true, reason, kind: obj.kind, name: obj.metadata?.name, namespace: obj.metadata?.namespace, user, type });
    },
  };
  await store.ensureSecretKey();
  await ensureInitialAdmin(ctx).catch((e) => log.error('could not create the initial admin password', { error: (e as Error).message }));
  // recreate on request: when admin.password is removed from argocd-secret, a new one is generated
  // …and a removed server.secretkey is generated again (every session issued with the old one ends)
  let ensuring = false;
  const reensure = (n: KubeObject) => {
    if (n.metadata?.name !== SECRET.argocd || ensuring) return;
    ensuring = true;
    Promise.all([ensureInitialAdmin(ctx), store.ensureSecretKey()])
      .catch((e) => log.error('could not restore argocd-secret defaults', { error: (e as Error).message }))
      .finally(() => (ensuring = false));
  };
  store.secrets.on({ update: (_o, n) => reensure(n) });

  const router = new Router();
  registerSettings(router, ctx);
  registerAccount(router, ctx);
  registerApplications(router, ctx);
  registerExtra(router, ctx);

  const extensions = new ExtensionRegistry(ctx);
  if (opts.enableProxyExtension) extensions.watch();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(ctx, router, req, res, extensions).catch((e) => {
      log.error('request failed', { error: (e as Error).stack ?? String(e), path: req.url });
      if (!res.headersSent) sendJson(res, 500, errorBody(new ApiErr(Code.Unknown, (e as Error).message)));
      else res.end();
    });
  };

  let kp = opts.insecure ? currentKeyPair(store) : await ensureKeyPair(store);
  // request headers up to 1 MiB as Go's net/http (upstream) takes them: an SSO user's ID token with many
  // groups comes back as up to 20 argocd.token-N cookies of 4 kB; Node's default (16 kB) answered 431
  const limits = { maxHeaderSize: MAX_HEADER_BYTES };
  const plain = createHttpServer(limits, opts.insecure ? handler : (req, res) => {
    // probes (kubelet httpGet on the container port) get their answer over plain HTTP too
    if (stripRoot(new URL(req.url ?? '/', 'http://x').pathname, opts.rootpath) === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('ok');
    }
    const host = req.headers.host ?? `localhost:${opts.port}`;
    res.writeHead(307, { location: `https://${host}${req.url ?? '/'}` });
    res.end();
  });
  let secure: HttpsServer | undefined;
  if (kp) {
    secure = createHttpsServer({ cert: kp.cert, key: kp.key, ...limits }, handler);
    const reload = () => {
        const next = currentKeyPair(store);
        if (next && secure && (next.cert !== kp?.cert || next.key !== kp?.key)) {
          try {
            secure.setSecureContext({ cert: next.cert, key: next.key });
            kp = next;
            log.info('serving a new TLS certificate', { source: next.source });
          } catch (e) {
            log.error('bad TLS certificate, keeping the old one', { source: next.source, error: (e as Error).message });
          }
        }
    };
    // argocd-server-tls created, changed or removed: serve what is there now
    store.secrets.on({ add: reload, update: reload, delete: reload });
  }
  for (const s of [plain, secure]) if (s) s.keepAliveTimeout = 65_000;
  // one port: TLS handshakes go to the HTTPS server, everything else to the plain one
  const sockets = new Set<Socket>();
  const front: NetServer = createNetServer((sock: Socket) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    sock.once('readable', () => {
      const first = sock.read(1) as Buffer | null;
      if (!first) return void sock.destroy();
      sock.unshift(first);
      const target: HttpServer | HttpsServer = first[0] === 0x16 && secure ? secure : plain;
      target.emit('connection', sock);
    });
    sock.on('error', () => sock.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(opts.port, opts.address, () => resolve());
  });
  const port = (front.address() as AddressInfo).port;
  let health: HealthServer | undefined;
  if (o.metrics !== false && opts.metricsPort >= 0) {
    health = await serveHealth({ port: opts.metricsPort, host: opts.metricsAddress, readyz: { informers: () => store.apps.hasSynced } });
  }
  log.info('argocd-server started', { port, insecure: opts.insecure, namespace: opts.namespace, tls: kp?.source, metricsPort: health?.port });
  return {
    ctx,
    port,
    metricsPort: health?.port,
    url: `${opts.insecure ? 'http' : 'https'}://127.0.0.1:${port}`,
    async close() {
      // stop accepting, then end every connection (an idle keep-alive client, or one that never sent a byte, would hold close() for a minute)
      const closed = new Promise<void>((r) => front.close(() => r()));
      plain.closeAllConnections();
      secure?.closeAllConnections();
      for (const sock of sockets) sock.destroy();
      await closed;
      await health?.close();
      events.stop();
      await store.stop();
    },
  };
}

function stripRoot(path: string, root: string): string | undefined {
  const r = '/' + root.replace(/^\/+|\/+$/g, '');
  if (r === '/') return path;
  if (path === r) return '/';
  if (path.startsWith(r + '/')) return path.slice(r.length);
  return undefined;
}

async function handle(ctx: Ctx, router: Router, raw: IncomingMessage, res: ServerResponse, extensions: ExtensionRegistry): Promise<void> {
  const u = new URL(raw.url ?? '/', 'http://x');
  const path = stripRoot(u.pathname, ctx.opts.rootpath);
  if (path === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    return void res.end('404 page not found\n');
  }
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return void res.end('ok');
  }
  if (path === '/api/webhook') return handleWebhook(ctx, raw, res);
  if (path.startsWith(URL_PREFIX + '/')) return handleExtension(ctx, extensions, raw, res, path, u.search);
  if (path === '/api/dex' || path.startsWith('/api/dex/')) return proxyDex(raw, res, ctx.opts.dexServer, ctx.log);
  if (path === '/auth/login' && raw.method === 'GET') return ctx.sso.login(raw, res, u.searchParams);
  if (path === '/auth/callback' && raw.method === 'GET') return ctx.sso.callback(raw, res, u.searchParams);
  if (path === '/auth/logout') return ctx.sso.logout(raw, res, ctx.sessions, tokenFromRequest({ headers: raw.headers }), ctx.opts.basehref);
  if (!path.startsWith('/api/') && path !== '/api') return serveUi(ctx, path, res);
  const m = router.match(raw.method ?? 'GET', path);
  if (m === undefined) return sendJson(res, 404, errorBody(new ApiErr(Code.NotFound, 'Not Found')));
  if (m === 'methodMismatch') return sendJson(res, 405, errorBody(new ApiErr(Code.Unimplemented, 'Method Not Allowed')));
  const req: Req = { method: raw.method ?? 'GET', path, params: m.params, query: u.searchParams, headers: raw.headers, raw, res, body: {}, rawBody: Buffer.alloc(0) };
  try {
    const token = tokenFromRequest(req);
    if (token) {
      try {
        req.claims = await ctx.sessions.verify(token);
      } catch (e) {
        if (m.route.auth) throw e;
      }
    } else if (m.route.auth) throw unauthenticated('no session information');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.rawBody = await readBody(raw, MAX_BODY);
      const text = req.rawBody.toString('utf8').trim();
      if (text) {
        try {
          req.body = JSON.parse(text);
        } catch (e) {
          throw new ApiErr(Code.InvalidArgument, `invalid JSON body: ${(e as Error).message}`);
        }
      }
    }
    const out = await m.route.handler(req);
    observeCall(`${req.method} ${m.route.path}`, Code.OK, out === STREAMED ? 'server_stream' : 'unary');
    if (out === STREAMED) return;
    sendJson(res, 200, out ?? {});
  } catch (e) {
    observeCall(`${req.method} ${m.route.path}`, e instanceof ApiErr ? e.code : typeof (e as { code?: number }).code === 'number' && (e as { code: number }).code >= 400 ? fromKubeCode(e) : Code.Unknown);
    if (e instanceof ApiErr) {
      if (e.code === Code.Unknown || e.code === Code.Internal) ctx.log.error('request failed', { path, error: e.message });
      return sendJson(res, httpStatus(e.code), errorBody(e));
    }
    const err = e as { code?: number; message?: string };
    if (typeof err.code === 'number' && err.code >= 400) {
      const ae = fromKube(e);
      return sendJson(res, httpStatus(ae.code), errorBody(ae));
    }
    throw e;
  }
}

function serveUi(ctx: Ctx, path: string, res: ServerResponse): Promise<void> {
  return serveWebUi(path, res, { baseHref: ctx.opts.basehref, section: 'applications', extraDir: ctx.opts.staticassets });
}

/**
 * Creates the `default` AppProject when it is missing, as upstream's server does at start (the
 * controller does too): an `argocd app create` right after installation must find it.
 */
export async function ensureDefaultProject(client: KubeClient, namespace: string): Promise<void> {
  try {
    await client.get(PROJECTS, namespace, 'default');
    return;
  } catch (e) {
    if ((e as { code?: number }).code !== 404) throw e;
  }
  try {
    await client.create(PROJECTS, namespace, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace },
      spec: { sourceRepos: ['*'], destinations: [{ namespace: '*', server: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] },
    });
  } catch (e) {
    if ((e as { code?: number }).code !== 409) throw e;
  }
}
