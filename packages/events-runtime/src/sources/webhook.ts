/**
 * HTTP receivers: webhook, github, gitlab, bitbucket(server). One server per port, routes by endpoint.
 * Upstream's answers: 200 "success"; 400 for a malformed body / wrong method; 401 for a bad bearer token;
 * 403 for a bad signature or token of a forge; 413 above maxPayloadSize (default 1 MiB).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readSecret, type SourceContext, type Source } from './common.js';

export interface WebhookContext {
  endpoint: string;
  port: string | number;
  method?: string;
  url?: string;
  authSecret?: { name: string; key: string };
  maxPayloadSize?: number | string;
  metadata?: Record<string, string>;
  /** TLS: the server's certificate and key (PEM) from Secrets; the port then serves HTTPS */
  serverCertSecret?: { name: string; key: string };
  serverKeySecret?: { name: string; key: string };
}

/** The TLS material of a webhook context, when both secrets are given. */
export async function webhookTls(ctx: SourceContext, w: WebhookContext | undefined): Promise<{ cert: string; key: string } | undefined> {
  if (!w?.serverCertSecret || !w.serverKeySecret) return undefined;
  const cert = await readSecret(w.serverCertSecret, ctx.namespace, ctx.kube);
  const key = await readSecret(w.serverKeySecret, ctx.namespace, ctx.kube);
  if (!cert || !key) throw new Error('webhook: serverCertSecret / serverKeySecret are empty');
  return { cert, key };
}

export interface Reply {
  status: number;
  body: string;
}

type RouteHandler = (req: IncomingMessage, body: Buffer) => Promise<Reply>;

interface Route {
  method: string;
  maxPayload: number;
  handle: RouteHandler;
}

const servers = new Map<number, { server: Server; routes: Map<string, Route>; listening: Promise<void> }>();

const normEndpoint = (e: string) => (e.startsWith('/') ? e : `/${e}`);

function serverFor(port: number, tls?: { cert: string; key: string }) {
  let s = servers.get(port);
  if (s) return s;
  const routes = new Map<string, Route>();
  const handler = (req: IncomingMessage, res: ServerResponse) => void dispatch(routes, req, res);
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createServer(handler);
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  s = { server, routes, listening };
  servers.set(port, s);
  return s;
}

const send = (res: ServerResponse, r: Reply) => {
  if (res.headersSent) return;
  res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8' }).end(r.body);
};

async function dispatch(routes: Map<string, Route>, req: IncomingMessage, res: ServerResponse) {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/health') return send(res, { status: 200, body: 'OK' });
  const route = routes.get(path);
  if (!route) return send(res, { status: 404, body: 'route not found' });
  if (req.method !== route.method) return send(res, { status: 400, body: 'invalid HTTP method' });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > route.maxPayload) {
    send(res, { status: 413, body: `request body larger than maxPayloadSize (${route.maxPayload} bytes)` });
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > route.maxPayload) {
      tooBig = true;
      continue;
    }
    chunks.push(c);
  }
  if (tooBig) return send(res, { status: 413, body: `request body larger than maxPayloadSize (${route.maxPayload} bytes)` });
  try {
    send(res, await route.handle(req, Buffer.concat(chunks)));
  } catch (e) {
    send(res, { status: 500, body: (e as Error).message });
  }
}

/** Registers a route; returns the stop function. */
export async function addRoute(w: WebhookContext, handle: RouteHandler, tls?: { cert: string; key: string }): Promise<() => Promise<void>> {
  const port = Number(w.port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`webhook port ${JSON.stringify(w.port)} is not a port number`);
  if (!w.endpoint) throw new Error('webhook endpoint is required');
  const s = serverFor(port, tls);
  const ep = normEndpoint(w.endpoint);
  if (s.routes.has(ep)) throw new Error(`endpoint ${ep} on port ${port} is configured twice`);
  const max = w.maxPayloadSize === undefined || w.maxPayloadSize === '' ? 1_048_576 : Number(w.maxPayloadSize);
  s.routes.set(ep, { method: (w.method ?? 'POST').toUpperCase(), maxPayload: max, handle });
  await s.listening;
  return async () => {
    s.routes.delete(ep);
    if (s.routes.size === 0) {
      servers.delete(port);
      await new Promise<void>((r) => s.server.close(() => r()));
      s.server.closeAllConnections?.();
    }
  };
}

/** Request headers as Go's http.Header (name → values). */
export function headerMap(req: IncomingMessage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = canonicalHeader(req.rawHeaders[i]!);
    (out[k] ??= []).push(req.rawHeaders[i + 1]!);
  }
  return out;
}

export const canonicalHeader = (h: string) => h.toLowerCase().replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());

/** The body as event data: JSON (a JSON content type must parse), form fields, else the text as a JSON string. */
export function parseBody(req: IncomingMessage, body: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  const ct = String(req.headers['content-type'] ?? '');
  const text = body.toString('utf8');
  if (body.length === 0) return { ok: true, value: null };
  if (/x-www-form-urlencoded/i.test(ct)) {
    const o: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams(text)) (o[k] ??= []).push(v);
    return { ok: true, value: o };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    if (/json/i.test(ct) || ct === '') return { ok: false, error: `malformed JSON body: ${(e as Error).message}` };
    return { ok: true, value: text };
  }
}

async function publish(ctx: SourceContext, data: unknown): Promise<Reply> {
  try {
    await ctx.emit(data);
    return { status: 200, body: 'success' };
  } catch (e) {
    ctx.log('error', `failed to publish the event: ${(e as Error).message}`, { eventName: ctx.eventName });
    return { status: 500, body: `failed to publish the event: ${(e as Error).message}` };
  }
}

export async function startWebhook(ctx: SourceContext, spec: WebhookContext): Promise<Source> {
  const token = spec.authSecret ? (await readSecret(spec.authSecret, ctx.namespace, ctx.kube))?.trim() : undefined;
  const stop = await addRoute(spec, async (req, raw) => {
    if (token !== undefined) {
      const got = String(req.headers.authorization ?? '');
      if (got !== `Bearer ${token}`) {
        ctx.failed('invalid auth token');
        return { status: 401, body: 'invalid authorization header' };
      }
    }
    const b = parseBody(req, raw);
    if (!b.ok) {
      ctx.failed(b.error);
      ctx.log('warn', b.error, { eventName: ctx.eventName });
      return { status: 400, body: b.error };
    }
    return publish(ctx, { header: headerMap(req), body: b.value, metadata: spec.metadata });
  }, await webhookTls(ctx, spec));
  ctx.log('info', `webhook listening on :${spec.port}${normEndpoint(spec.endpoint)}`, { eventName: ctx.eventName });
  return { stop };
}

const safeEq = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** GitHub: X-Hub-Signature-256 (or -1) HMAC over the body with webhookSecret; `events` filters X-GitHub-Event. */
export async function startGithub(ctx: SourceContext, spec: any): Promise<Source> {
  const secret = spec.webhookSecret ? await readSecret(spec.webhookSecret, ctx.namespace, ctx.kube) : undefined;
  const events: string[] = spec.events ?? [];
  const stop = await addRoute(spec.webhook ?? {}, async (req, raw) => {
    if (secret !== undefined) {
      const s256 = String(req.headers['x-hub-signature-256'] ?? '');
      const s1 = String(req.headers['x-hub-signature'] ?? '');
      const ok = s256
        ? safeEq(s256, 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex'))
        : s1
          ? safeEq(s1, 'sha1=' + createHmac('sha1', secret).update(raw).digest('hex'))
          : false;
      if (!ok) {
        ctx.failed('invalid signature');
        return { status: 403, body: 'invalid webhook signature' };
      }
    }
    const kind = String(req.headers['x-github-event'] ?? '');
    if (events.length && !events.includes('*') && !events.includes(kind)) return { status: 200, body: `event type ${kind} is not configured; ignored` };
    const b = parseBody(req, raw);
    if (!b.ok) {
      ctx.failed(b.error);
      return { status: 400, body: b.error };
    }
    return publish(ctx, { headers: headerMap(req), body: b.value, metadata: spec.metadata });
  }, await webhookTls(ctx, spec.webhook));
  if (spec.apiToken && (spec.repositories?.length || spec.organizations?.length)) void registerGithubHooks(ctx, spec, secret).catch((e) => ctx.log('error', `registering the GitHub hook failed: ${(e as Error).message}`));
  return { stop };
}

async function registerGithubHooks(ctx: SourceContext, spec: any, secret: string | undefined) {
  const token = (await readSecret(spec.apiToken, ctx.namespace, ctx.kube))?.trim();
  const base = String(spec.githubBaseURL || 'https://api.github.com').replace(/\/$/, '');
  const hookUrl = spec.webhook?.url ? `${String(spec.webhook.url).replace(/\/$/, '')}${normEndpoint(spec.webhook.endpoint)}` : undefined;
  if (!hookUrl) throw new Error('webhook.url is required to register a hook');
  const targets: string[] = [];
  for (const r of spec.repositories ?? []) for (const n of r.names ?? []) targets.push(`/repos/${r.owner}/${n}/hooks`);
  if (spec.owner && spec.repository) targets.push(`/repos/${spec.owner}/${spec.repository}/hooks`);
  for (const o of spec.organizations ?? []) targets.push(`/orgs/${o}/hooks`);
  const headers = { authorization: `token ${token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' };
  for (const t of targets) {
    const list = await fetch(base + t, { headers });
    if (!list.ok) throw new Error(`GET ${base}${t}: ${list.status} ${await list.text()}`);
    const hooks = (await list.json()) as { config?: { url?: string } }[];
    if (hooks.some((h) => h.config?.url === hookUrl)) continue;
    const body = { name: 'web', active: spec.active ?? true, events: spec.events?.length ? spec.events : ['*'], config: { url: hookUrl, content_type: spec.contentType || 'json', insecure_ssl: spec.insecure ? '1' : '0', ...(secret ? { secret } : {}) } };
    const r = await fetch(base + t, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`POST ${base}${t}: ${r.status} ${await r.text()}`);
    ctx.log('info', `registered the GitHub hook ${hookUrl} on ${t}`);
  }
}

/** GitLab's X-Gitlab-Event header → the event name the spec lists. */
export const GITLAB_EVENTS: Record<string, string> = {
  'Push Hook': 'PushEvents',
  'Tag Push Hook': 'TagPushEvents',
  'Issue Hook': 'IssuesEvents',
  'Confidential Issue Hook': 'ConfidentialIssuesEvents',
  'Note Hook': 'NoteEvents',
  'Confidential Note Hook': 'ConfidentialNoteEvents',
  'Merge Request Hook': 'MergeRequestsEvents',
  'Job Hook': 'JobEvents',
  'Pipeline Hook': 'PipelineEvents',
  'Wiki Page Hook': 'WikiPageEvents',
  'Release Hook': 'ReleasesEvents',
  'Deployment Hook': 'DeploymentEvents',
  'Emoji Hook': 'EmojiEvents',
};

/** GitLab: X-Gitlab-Token must equal secretToken; `events` filters X-Gitlab-Event. */
export async function startGitlab(ctx: SourceContext, spec: any): Promise<Source> {
  const secret = spec.secretToken ? (await readSecret(spec.secretToken, ctx.namespace, ctx.kube))?.trim() : undefined;
  const events: string[] = spec.events ?? [];
  const stop = await addRoute(spec.webhook ?? {}, async (req, raw) => {
    if (secret !== undefined && !safeEq(String(req.headers['x-gitlab-token'] ?? ''), secret)) {
      ctx.failed('invalid token');
      return { status: 403, body: 'invalid X-Gitlab-Token' };
    }
    const kind = String(req.headers['x-gitlab-event'] ?? '');
    const name = GITLAB_EVENTS[kind] ?? kind;
    if (events.length && !events.includes(name)) return { status: 200, body: `event type ${kind} is not configured; ignored` };
    const b = parseBody(req, raw);
    if (!b.ok) {
      ctx.failed(b.error);
      return { status: 400, body: b.error };
    }
    return publish(ctx, { headers: headerMap(req), body: b.value, metadata: spec.metadata });
  }, await webhookTls(ctx, spec.webhook));
  if (spec.accessToken && (spec.projects?.length || spec.projectID)) void registerGitlabHooks(ctx, spec, secret).catch((e) => ctx.log('error', `registering the GitLab hook failed: ${(e as Error).message}`));
  return { stop };
}

async function registerGitlabHooks(ctx: SourceContext, spec: any, secret: string | undefined) {
  const token = (await readSecret(spec.accessToken, ctx.namespace, ctx.kube))?.trim();
  const base = String(spec.gitlabBaseURL || 'https://gitlab.com').replace(/\/$/, '');
  const hookUrl = `${String(spec.webhook?.url ?? '').replace(/\/$/, '')}${normEndpoint(spec.webhook?.endpoint ?? '/')}`;
  const projects: string[] = [...(spec.projects ?? []), ...(spec.projectID ? [spec.projectID] : [])];
  const flags: Record<string, boolean> = {};
  const rev: Record<string, string> = { PushEvents: 'push_events', TagPushEvents: 'tag_push_events', IssuesEvents: 'issues_events', ConfidentialIssuesEvents: 'confidential_issues_events', NoteEvents: 'note_events', ConfidentialNoteEvents: 'confidential_note_events', MergeRequestsEvents: 'merge_requests_events', JobEvents: 'job_events', PipelineEvents: 'pipeline_events', WikiPageEvents: 'wiki_page_events', ReleasesEvents: 'releases_events', DeploymentEvents: 'deployment_events' };
  for (const e of spec.events ?? []) if (rev[e]) flags[rev[e]] = true;
  for (const p of projects) {
    const path = `${base}/api/v4/projects/${encodeURIComponent(p)}/hooks`;
    const headers = { 'private-token': token ?? '', 'content-type': 'application/json' };
    const list = await fetch(path, { headers });
    if (!list.ok) throw new Error(`GET ${path}: ${list.status}`);
    if (((await list.json()) as { url?: string }[]).some((h) => h.url === hookUrl)) continue;
    const r = await fetch(path, { method: 'POST', headers, body: JSON.stringify({ url: hookUrl, token: secret, enable_ssl_verification: !spec.enableSSLVerification ? false : true, ...flags }) });
    if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
    ctx.log('info', `registered the GitLab hook ${hookUrl} on project ${p}`);
  }
}

/** Bitbucket (cloud/server): a receiver of the JSON payload; the server's X-Hub-Signature HMAC when webhookSecret is set. */
export async function startBitbucket(ctx: SourceContext, spec: any): Promise<Source> {
  const secret = spec.webhookSecret ? await readSecret(spec.webhookSecret, ctx.namespace, ctx.kube) : undefined;
  const events: string[] = spec.events ?? [];
  const stop = await addRoute(spec.webhook ?? {}, async (req, raw) => {
    if (secret !== undefined) {
      const sig = String(req.headers['x-hub-signature'] ?? '');
      if (!safeEq(sig, 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex'))) {
        ctx.failed('invalid signature');
        return { status: 403, body: 'invalid webhook signature' };
      }
    }
    const kind = String(req.headers['x-event-key'] ?? '');
    if (events.length && !events.includes(kind)) return { status: 200, body: `event type ${kind} is not configured; ignored` };
    const b = parseBody(req, raw);
    if (!b.ok) {
      ctx.failed(b.error);
      return { status: 400, body: b.error };
    }
    return publish(ctx, { headers: headerMap(req), body: b.value, metadata: spec.metadata });
  }, await webhookTls(ctx, spec.webhook));
  return { stop };
}
