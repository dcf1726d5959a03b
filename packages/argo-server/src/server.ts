/**
 * argo-server: one port (2746) serving HTTPS with a self-signed or given certificate (plain HTTP with
 * --secure=false), the REST API under /api/v1, a placeholder page for the UI at every other path (served
 * under --base-href too), the archive in PostgreSQL when the controller ConfigMap configures persistence, and with
 * --auth-mode sso the OIDC login at /oauth2/redirect, /oauth2/callback and /auth/logout (sso/sso.ts).
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server as HttpServer } from 'node:http';
import { createSecureServer } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { EventRecorder, R, type KubeClient } from '@flotilla/kube-runtime';
import { serveUi as serveWebUi } from '@flotilla/ui';
import { ApiErr, Code, errorBody, fromKube, httpStatus, RateLimiter, readBody, Router, sendJson, STREAMED, type Req } from './http.js';
import { Authenticator, DEFAULT_OPTIONS, type Caller, type Ctx, type ServerOptions } from './context.js';
import { newLogger, type Logger } from './log.js';
import { keyPair } from './tls.js';
import { registerWorkflows } from './api/workflows.js';
import { registerTemplates } from './api/templates.js';
import { registerInfo } from './api/info.js';
import { registerStreams } from './api/stream.js';
import { registerArchived } from './api/archived.js';
import { registerArtifacts } from './api/artifacts.js';
import { registerEventObjects } from './api/eventobjects.js';
import { Archive, parseControllerConfig, persistenceOf } from './archive/index.js';
import { Archiver } from './archiver.js';
import { Sso } from './sso/sso.js';
import { ssoConfigOf } from './sso/config.js';
import { ServerMetrics } from './metrics.js';
import { Webhooks } from './webhook.js';
import { VERSION } from './resources.js';

export interface ArgoServer {
  ctx: Ctx;
  port: number;
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024 * 1024;

export async function startServer(kube: KubeClient, o: Partial<ServerOptions> & { log?: Logger } = {}): Promise<ArgoServer> {
  const opts: ServerOptions = { ...DEFAULT_OPTIONS, ...o };
  const log = o.log ?? newLogger(opts.loglevel, undefined, opts.logformat);
  let config: Record<string, any> = {};
  const ctx: Ctx = { opts, kube, log, config: () => config, events: new EventRecorder(kube, { component: 'argo-server', log: (m) => log.warn(m) }) };

  // the controller's ConfigMap: read now and every 30 s (links, columns, persistence)
  let archiver: Archiver | undefined;
  let lastPersistence = '';
  const readConfig = async () => {
    let cm: any;
    try {
      cm = await kube.get<any>(R.configmaps, opts.namespace, opts.configMap);
    } catch (e) {
      if ((e as { code?: number }).code !== 404) log.warn('reading the controller ConfigMap failed', { configMap: `${opts.namespace}/${opts.configMap}`, error: (e as Error).message });
      return;
    }
    try {
      config = parseControllerConfig(cm.data);
    } catch (e) {
      log.error('the controller ConfigMap does not parse; keeping the last good one', { error: (e as Error).message });
      return;
    }
    const pj = JSON.stringify(config.persistence ?? null);
    if (pj === lastPersistence) return;
    try {
      const p = persistenceOf(config);
      await archiver?.stop();
      archiver = undefined;
      await ctx.archive?.close().catch(() => {});
      ctx.archive = undefined;
      if (p) {
        ctx.archive = await Archive.open(p, async (ref) => {
          const s = await kube.get<any>(R.secrets, opts.namespace, ref.name);
          const v = s.data?.[ref.key];
          if (v === undefined) throw new Error(`Secret ${opts.namespace}/${ref.name} has no key ${ref.key}`);
          return Buffer.from(v, 'base64').toString('utf8');
        }, { instanceId: opts.instanceId });
        ctx.archive.startGC(60 * 60_000, (e) => log.warn('archive TTL clean-up failed', { error: e.message }));
        log.info('workflow archive connected', { host: p.postgresql?.host, database: p.postgresql?.database, archive: !!p.archive, ttl: p.archiveTTL });
        if (p.archive && opts.archiveCompleted) {
          archiver = new Archiver(kube, ctx.archive, log, opts.namespaced ? (opts.managedNamespace ?? opts.namespace) : undefined, opts.instanceId);
          archiver.start();
        }
      }
      lastPersistence = pj;
    } catch (e) {
      log.error('the workflow archive is not available (tried again in 30 s)', { error: (e as Error).message });
    }
  };
  await readConfig();
  let reading = false;
  const configTimer = setInterval(() => {
    if (reading) return;
    reading = true;
    void readConfig().finally(() => (reading = false));
  }, 30_000);
  configTimer.unref();

  if (opts.authModes.includes('sso')) {
    // read once at start, as upstream (a change of the sso section needs a restart)
    try {
      const cfg = ssoConfigOf(config);
      if (!cfg) throw new Error(`--auth-mode sso needs the "sso" section in ConfigMap ${opts.namespace}/${opts.configMap} (issuer, clientId, clientSecret, redirectUrl, …)`);
      ctx.sso = await Sso.create(kube, cfg, { namespace: opts.namespace, baseHref: opts.baseHref, secure: opts.secure, log });
    } catch (e) {
      clearInterval(configTimer);
      ctx.events?.stop();
      await archiver?.stop();
      await ctx.archive?.close().catch(() => {});
      throw e;
    }
    const cfg = ctx.sso.cfg;
    log.info('SSO enabled', { issuer: cfg.issuer, redirectUrl: cfg.redirectUrl, scopes: cfg.scopes, rbac: cfg.rbacEnabled });
  }
  const auth = new Authenticator(ctx);
  const metrics = new ServerMetrics();
  const webhooks = new Webhooks(kube, log);
  const router = new Router<Caller>();
  registerInfo(router, ctx);
  registerWorkflows(router, ctx);
  registerTemplates(router, ctx);
  registerStreams(router, ctx);
  registerArchived(router, ctx);
  registerArtifacts(router, ctx);
  registerEventObjects(router, ctx);

  const limiter = opts.apiRateLimit > 0 ? new RateLimiter(opts.apiRateLimit) : undefined;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (limiter && !limiter.take(req, res)) return;
    if (opts.xFrameOptions) res.setHeader('x-frame-options', opts.xFrameOptions);
    if (opts.secure && opts.hsts) res.setHeader('strict-transport-security', 'max-age=31536000');
    if (opts.accessControlAllowOrigin) {
      res.setHeader('access-control-allow-origin', opts.accessControlAllowOrigin);
      res.setHeader('access-control-allow-credentials', 'true');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS', 'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type'), 'access-control-max-age': '600' });
        return void res.end();
      }
    }
    handle(ctx, auth, router, metrics, webhooks, req, res).catch((e) => {
      log.error('request failed', { error: (e as Error).stack ?? String(e), path: req.url });
      if (!res.headersSent) sendJson(res, 500, errorBody(new ApiErr(Code.Internal, (e as Error).message)));
      else res.end();
    });
  };
  let server: HttpServer;
  let tlsSource: string | undefined;
  if (opts.secure) {
    const kp = await keyPair(kube, opts.namespace, opts.tlsCertificateSecretName);
    tlsSource = kp.source;
    // HTTP/2 (ALPN h2) and HTTP/1.1 on the one TLS port, as upstream's server answers both; an HTTP/2 request
    // comes through node's compatibility API (the same request/response methods the handlers use)
    server = createSecureServer({ cert: kp.cert, key: kp.key, minVersion: 'TLSv1.2', allowHTTP1: true }, handler as never) as unknown as HttpServer;
  } else server = createHttpServer(handler);
  server.keepAliveTimeout = 65_000;
  // one port: with --secure, a TLS handshake goes to the HTTPS server and plain HTTP gets Go's answer for it
  const plainOnTls = createHttpServer((_req, res) => {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end('Client sent an HTTP request to an HTTPS server.\n');
  });
  const sockets = new Set<Socket>();
  const front: NetServer = opts.secure
    ? createNetServer((sock: Socket) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        sock.on('error', () => sock.destroy());
        sock.once('readable', () => {
          const first = sock.read(1) as Buffer | null;
          if (!first) return void sock.destroy();
          sock.unshift(first);
          (first[0] === 0x16 ? server : plainOnTls).emit('connection', sock);
        });
      })
    : (server as unknown as NetServer);
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(opts.port, opts.address, () => resolve());
  });
  const port = (front.address() as AddressInfo).port;
  log.info('argo-server started', { url: `${opts.secure ? 'https' : 'http'}://localhost:${port}`, authModes: opts.authModes, namespaced: opts.namespaced, managedNamespace: opts.managedNamespace, baseHref: opts.baseHref, tls: tlsSource });
  return {
    ctx,
    port,
    url: `${opts.secure ? 'https' : 'http'}://127.0.0.1:${port}`,
    async close() {
      clearInterval(configTimer);
      await new Promise<void>((r) => {
        front.close(() => r());
        (server as Partial<HttpServer>).closeAllConnections?.();
        plainOnTls.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      await archiver?.stop();
      await ctx.archive?.close().catch(() => {});
      auth.close();
      webhooks.close();
      limiter?.close();
      ctx.sso?.close();
      await Promise.race([ctx.events?.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
      ctx.events?.stop();
    },
  };
}

/** The path below --base-href (requests may come with or without it: a proxy may strip it or not). */
function stripBase(path: string, base: string): string {
  const b = '/' + base.replace(/^\/+|\/+$/g, '');
  if (b === '/') return path;
  if (path === b) return '/';
  if (path.startsWith(b + '/')) return path.slice(b.length);
  return path;
}

async function handle(ctx: Ctx, auth: Authenticator, router: Router<Caller>, metrics: ServerMetrics, webhooks: Webhooks, raw: IncomingMessage, res: ServerResponse): Promise<void> {
  const u = new URL(raw.url ?? '/', 'http://x');
  const path = stripBase(u.pathname, ctx.opts.baseHref);
  if (path === '/auth/logout' && (raw.method === 'GET' || raw.method === 'POST')) {
    if (ctx.sso) return ctx.sso.logout(res);
    const base = '/' + ctx.opts.baseHref.replace(/^\/+|\/+$/g, '');
    res.writeHead(302, { location: base === '/' ? '/' : base + '/', 'set-cookie': `authorization=; Path=${base}; Max-Age=0` });
    return void res.end();
  }
  if (path === '/metrics') {
    if (raw.method !== 'GET' && raw.method !== 'HEAD') return sendJson(res, 405, errorBody(new ApiErr(Code.Unimplemented, 'Method Not Allowed')));
    // as upstream: only for an authenticated caller (ARGO_SERVER_METRICS_AUTH=false: for everyone)
    if (process.env.ARGO_SERVER_METRICS_AUTH !== 'false' && !(await auth.authenticated(raw))) {
      ctx.log.warn('failed to authenticate /metrics endpoint', { remote: raw.socket.remoteAddress });
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      return void res.end('Forbidden\n');
    }
    return metrics.serve(raw, res);
  }
  if (!/^\/(api|artifact-files|artifacts|artifacts-by-uid|input-artifacts|input-artifacts-by-uid|oauth2)\//.test(path)) return serveUi(ctx, path, res);
  if (path.startsWith('/oauth2/')) {
    if (!ctx.sso) return sendJson(res, 501, errorBody(new ApiErr(Code.Unimplemented, 'SSO is not enabled: start argo-server with --auth-mode sso and the sso section in the controller ConfigMap')));
    if (raw.method !== 'GET') return sendJson(res, 405, errorBody(new ApiErr(Code.Unimplemented, 'Method Not Allowed')));
    if (path === '/oauth2/redirect') return ctx.sso.redirect(raw, res, u.searchParams);
    if (path === '/oauth2/callback') return ctx.sso.callback(raw, res, u.searchParams);
    return sendJson(res, 404, errorBody(new ApiErr(Code.NotFound, `Not Found: ${raw.method} ${path}`)));
  }
  const m = router.match(raw.method ?? 'GET', path);
  if (m === undefined) return sendJson(res, 404, errorBody(new ApiErr(Code.NotFound, `Not Found: ${raw.method} ${path}`)));
  if (m === 'methodMismatch') return sendJson(res, 405, errorBody(new ApiErr(Code.Unimplemented, 'Method Not Allowed')));
  const started = Date.now();
  const api = path.startsWith('/api/');
  const done = api ? metrics.begin(`${m.route.method} ${m.route.path}`, path) : undefined;
  try {
    // an event without credentials may come from a webhook client (a signature instead): its body decides
    let rawBody: Buffer | undefined;
    let caller: Caller | undefined;
    if (raw.method === 'POST' && path.startsWith('/api/v1/events/') && m.params.namespace && !Authenticator.credentials(raw).length) {
      rawBody = await readBody(raw, MAX_BODY);
      caller = await webhooks.caller(m.params.namespace, raw.headers, rawBody);
    }
    caller ??= await auth.caller(raw, m.params.namespace || u.searchParams.get('namespace') || undefined);
    const req: Req<Caller> = { method: raw.method ?? 'GET', path, params: m.params, query: u.searchParams, headers: raw.headers, raw, res, body: {}, rawBody: Buffer.alloc(0), ctx: caller };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.rawBody = rawBody ?? (await readBody(raw, MAX_BODY));
      const text = req.rawBody.toString('utf8').trim();
      if (text) {
        try {
          req.body = JSON.parse(text);
        } catch (e) {
          throw new ApiErr(Code.InvalidArgument, `invalid JSON body: ${(e as Error).message}`);
        }
      }
      if (req.body === null || typeof req.body !== 'object') req.body = path.startsWith('/api/v1/events/') ? req.body : {};
    }
    // the version on every API answer but a 401 (as upstream: not told to who is not authenticated)
    if (api) res.setHeader('grpc-metadata-argo-version', VERSION);
    const out = await m.route.handler(req);
    done?.(Code.OK);
    if (out === STREAMED) return;
    sendJson(res, 200, out ?? {});
    ctx.log.debug('request', { method: req.method, path, ms: Date.now() - started, mode: caller.mode });
  } catch (e) {
    const ae = e instanceof ApiErr ? e : typeof (e as { code?: number }).code === 'number' && (e as { code: number }).code >= 400 ? fromKube(e) : undefined;
    done?.(ae?.code ?? Code.Unknown);
    if (!ae) throw e;
    if (ae.code === Code.Unauthenticated && !res.headersSent) res.removeHeader('grpc-metadata-argo-version');
    if (ae.code === Code.Unknown || ae.code === Code.Internal) ctx.log.error('request failed', { path, error: ae.message });
    sendJson(res, httpStatus(ae.code), errorBody(ae));
  }
}

function serveUi(ctx: Ctx, path: string, res: ServerResponse): Promise<void> {
  return serveWebUi(path, res, { baseHref: ctx.opts.baseHref, section: 'workflows' });
}
