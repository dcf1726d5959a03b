/**
 * Request routing for the Kubernetes REST API: discovery, OpenAPI, and the resource verbs
 * (get, list, watch, create, update, patch, delete, deletecollection) with their subresources.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '@flotilla/apimachinery';
import { isPlainObject } from '@flotilla/apimachinery';
import { clone } from './json-int.js';
import type { Authenticator, UserInfo } from './auth.js';
import { ApiError, badRequest, methodNotAllowed, notFound, unauthorized } from './errors.js';
import { decodeBody, readBody, sendError, sendJson, warningHeader } from './http.js';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, OpenApi } from './discovery.js';
import { Objects, type PatchType, type WriteOptions } from './objects.js';
import { MetricsApi, withMetricsGroup } from './metrics-api.js';
import { apiVersionOf, type Registry, type Served } from './registry.js';
import type { Store, StoredObject } from './store.js';
import { requestToken } from './token-request.js';
import { Webhooks, clusterView } from './webhooks/index.js';
import { Watches } from './watch.js';
import { connectOptions } from './webhooks/review.js';
import type { Rbac } from './rbac/index.js';
import { listFilter, matches, parseUrl, type ParsedUrl } from './request.js';
import { checkDuplicates } from './json-dups.js';
import { decodeContinue, encodeContinue, listQuery, type ListQuery } from './query.js';
import { CONNECT_SUBRESOURCES, connectTarget, proxyUpgrade, upgradeError } from './connect.js';
import { bindPod, podLog, toScale, writeScale } from './subresources.js';

export { parsePath, type RequestInfo } from './request.js';

export class Api {
  readonly objects: Objects;
  private openapi: OpenApi;
  /** metrics.k8s.io (kubectl top), from the kubelets: metrics-api.ts */
  private readonly metrics = new MetricsApi({
    nodes: () => this.store.list('core/nodes').map((s) => s.obj),
    pods: (ns) => this.store.list('core/pods', ns).map((s) => s.obj),
    kubeletToken: () => this.kubeletToken,
  });
  /** RBAC: impersonation, authorization, escalation checks, access reviews (set by the server) */
  rbac?: Rbac;

  constructor(
    private readonly store: Store,
    readonly reg: Registry,
    private readonly auth: Authenticator,
    private readonly opts: { logs?: (ns: string, pod: string, q: URLSearchParams, res: ServerResponse) => boolean } = {},
  ) {
    this.objects = new Objects(store, reg);
    this.watches = new Watches(store, this.objects);
    this.openapi = new OpenApi(reg);
    this.webhooks = new Webhooks(store, reg, clusterView(store, () => this.kubeletToken));
  }

  /** Open watch streams: watch.ts */
  private readonly watches: Watches;

  /** Admission webhooks (MutatingWebhookConfiguration, ValidatingWebhookConfiguration). */
  readonly webhooks: Webhooks;

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // the one place a request URL is taken apart: raw segments, each decoded once, never normalised
      const url = parseUrl(req.url ?? '/');
      const path = url.path;
      if (path === '/healthz' || path === '/livez' || path === '/readyz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return;
      }
      const authn = this.auth.authenticate(req.headers.authorization);
      if (!authn) throw unauthorized();
      const user = this.rbac ? this.rbac.admit(req, url, authn) : authn;
      await this.route(req, res, url, path, user);
    } catch (e) {
      if (!(e instanceof ApiError)) console.error('apiserver: internal error:', e);
      sendError(res, e);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: ParsedUrl, path: string, user: UserInfo): Promise<void> {
    const method = req.method ?? 'GET';
    const accept = String(req.headers.accept ?? '');
    const q = url.query;
    if (path.startsWith('/apis/metrics.k8s.io') && (await this.metrics.handle(req, res, path, q))) return;
    if (method === 'GET') {
      if (path === '/version') {
        return sendJson(res, 200, {
          major: '1',
          minor: '32',
          gitVersion: 'v1.32.0-flotilla',
          gitCommit: '0000000000000000000000000000000000000000',
          gitTreeState: 'clean',
          buildDate: '2026-01-01T00:00:00Z',
          goVersion: 'n/a',
          compiler: 'node',
          platform: `${process.platform}/${process.arch}`,
        });
      }
      if (path === '/api' || path === '/apis') {
        const agg = /as=APIGroupDiscoveryList/.exec(accept);
        if (agg) {
          const v2 = /g=apidiscovery\.k8s\.io;\s*v=v2(?!beta)/.test(accept);
          const av = v2 ? 'apidiscovery.k8s.io/v2' : 'apidiscovery.k8s.io/v2beta1';
          const doc = aggregatedDiscovery(this.reg, path === '/api', av);
          return sendJson(res, 200, path === '/apis' ? withMetricsGroup(doc) : doc, {
            'Content-Type': `application/json;g=apidiscovery.k8s.io;v=${v2 ? 'v2' : 'v2beta1'};as=APIGroupDiscoveryList`,
          });
        }
        return sendJson(res, 200, path === '/api' ? apiVersions(String(req.headers.host ?? '127.0.0.1')) : withMetricsGroup(apiGroupList(this.reg)));
      }
      if (path === '/openapi/v3') return sendJson(res, 200, this.openapi.index());
      if (path.startsWith('/openapi/v3/')) {
        const p = path.slice('/openapi/v3/'.length).split('/');
        const doc = p[0] === 'api' ? this.openapi.groupVersion('', p[1]) : p[0] === 'apis' ? this.openapi.groupVersion(p[1], p[2]) : undefined;
        if (!doc) throw notFound('', 'openapi', path);
        return sendJson(res, 200, doc);
      }
      if (path === '/openapi/v2' || path === '/swagger.json') return this.openapi.serveV2(req, res, path === '/openapi/v2');
      const parts = url.segments;
      if (parts[0] === 'api' && parts.length === 2) {
        const l = apiResourceList(this.reg, '', parts[1]);
        if (!l) throw notFound('', '', path);
        return sendJson(res, 200, l);
      }
      if (parts[0] === 'apis' && parts.length === 2) {
        const g = apiGroup(this.reg, parts[1]);
        if (!g) throw notFound('', '', path);
        return sendJson(res, 200, g);
      }
      if (parts[0] === 'apis' && parts.length === 3) {
        const l = apiResourceList(this.reg, parts[1], parts[2]);
        if (!l) throw notFound('', '', path);
        return sendJson(res, 200, l);
      }
    }
    const info = url.resource && !url.resource.extra ? url.resource : undefined;
    if (!info) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    const served = this.reg.find(info.group, info.version, info.plural);
    if (!served) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${method.toLowerCase()} ${info.plural}${info.group ? `.${info.group}` : ''})`, {});
    if (served.info.namespaced && info.namespace === undefined && info.name !== undefined)
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    if (!served.info.namespaced && info.namespace !== undefined)
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource: ${info.plural} is not namespaced`, {});
    if (info.sub && !this.subAllowed(served, info.sub))
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource: ${info.plural}/${info.sub}`, {});
    const ns = info.namespace ?? '';
    const ua = String(req.headers['user-agent'] ?? 'unknown').split('/')[0] || 'unknown';
    // list/watch options are checked before anything is served (a bad one is a 400/422, never ignored)
    const lq = info.name === undefined && (method === 'GET' || method === 'DELETE') ? listQuery(q, info.watchPrefix) : undefined;
    const isWatch = !!lq?.watch;

    if (method === 'GET') {
      if (info.name === undefined) {
        if (isWatch) return this.watch(served, info.namespace, q, accept, req, res);
        return this.list(served, info.namespace, q, lq!, accept, res);
      }
      if (info.sub === 'log') return podLog({ objects: this.objects, reg: this.reg, store: this.store, kubeletToken: this.kubeletToken, logs: this.opts.logs }, ns, info.name, q, res);
      if (served.info.plural === 'pods' && CONNECT_SUBRESOURCES.includes(info.sub ?? '')) throw badRequest('Upgrade request required');
      const so = this.objects.get(served, ns, info.name);
      if (info.sub === 'scale') return sendJson(res, 200, toScale(served, so.obj));
      if (accept.includes('as=Table')) return sendJson(res, 200, this.table(served, [so], q, String(this.store.rv)));
      return sendJson(res, 200, this.objects.presentJson(served, so));
    }

    const wo = (): WriteOptions => {
      const fv = q.get('fieldValidation') ?? 'Warn';
      if (!['Strict', 'Warn', 'Ignore'].includes(fv))
        throw badRequest(`fieldValidation parameter "${fv}" is not valid: supported values are "Ignore", "Warn" and "Strict"`);
      const dry = q.getAll('dryRun');
      for (const d of dry) if (d !== 'All') throw badRequest(`dryRun: Unsupported value: "${d}": supported values: "All"`);
      return {
        dryRun: dry.includes('All'),
        fieldManager: q.get('fieldManager') ?? undefined,
        fieldValidation: fv as WriteOptions['fieldValidation'],
        force: q.get('force') === 'true',
        warnings: [],
        check: this.rbac?.writeCheck(user),
      };
    };

    if (method === 'POST') {
      if (info.name !== undefined) {
        if (served.info.plural === 'pods' && CONNECT_SUBRESOURCES.includes(info.sub ?? '')) throw badRequest('Upgrade request required');
        if (served.info.plural === 'serviceaccounts' && info.sub === 'token') return this.tokenRequest(served, ns, info.name, await this.body(req), res);
        if (served.info.plural === 'pods' && info.sub === 'binding') return bindPod(this.objects, served, ns, info.name, await this.body(req), wo(), ua, res);
        throw methodNotAllowed(`POST is not supported on ${info.plural}${info.sub ? `/${info.sub}` : ''}`);
      }
      if (!served.info.verbs.includes('create')) throw methodNotAllowed(`create is not supported on ${info.plural}`);
      const o = wo();
      const body = await this.body(req, o);
      if (this.isReview(served)) return sendJson(res, 201, this.review(served, body, user, ns));
      const again = this.webhooks.involved('CREATE', served, '');
      const r = await this.webhooks.write('CREATE', { served, sub: '', namespace: ns, name: '', user, dryRun: o.dryRun }, o, (w) => this.objects.create(served, ns, again ? clone(body) : body, w, ua));
      return sendJson(res, 201, r.so ? this.objects.presentJson(served, r.so) : r.obj, warningHeader(o.warnings));
    }
    if (method === 'PUT') {
      if (info.name === undefined) throw methodNotAllowed('PUT requires a resource name');
      const o = wo();
      const body = await this.body(req, o);
      if (info.sub === 'scale') {
        const r = writeScale(this.objects, served, ns, info.name, body, o, ua);
        return sendJson(res, 200, r);
      }
      const again = this.webhooks.involved('UPDATE', served, info.sub ?? '');
      const r = await this.webhooks.write('UPDATE', { served, sub: info.sub ?? '', namespace: ns, name: info.name, user, dryRun: o.dryRun }, o, (w) => this.objects.update(served, ns, info.name!, again ? clone(body) : body, w, ua, info.sub));
      return sendJson(res, 200, r.so ? this.objects.presentJson(served, r.so) : r.obj, warningHeader(o.warnings));
    }
    if (method === 'PATCH') {
      if (info.name === undefined) throw methodNotAllowed('PATCH requires a resource name');
      const ct = String(req.headers['content-type'] ?? '').split(';')[0].trim();
      const type: PatchType | undefined =
        ct === 'application/json-patch+json'
          ? 'json'
          : ct === 'application/merge-patch+json'
            ? 'merge'
            : ct === 'application/strategic-merge-patch+json'
              ? 'strategic'
              : ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor'
                ? 'apply'
                : undefined;
      if (!type)
        throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${served.builtin ? ', application/strategic-merge-patch+json' : ''}`);
      const buf = await readBody(req);
      const patch = decodeBody(buf, type === 'apply' ? 'application/yaml' : 'application/json');
      const o = wo();
      if (type !== 'apply') checkDuplicates(buf, 'application/json', o);
      if (info.sub === 'scale') {
        const cur = toScale(served, this.objects.get(served, ns, info.name).obj);
        const next = type === 'json' ? (await import('@flotilla/k8s-patch')).jsonPatch(cur, patch) : (await import('@flotilla/k8s-patch')).jsonMergePatch(cur, patch);
        return sendJson(res, 200, writeScale(this.objects, served, ns, info.name, next, o, ua));
      }
      const r = await this.webhooks.write('UPDATE', { served, sub: info.sub ?? '', namespace: ns, name: info.name, user, dryRun: o.dryRun, patch: true }, o, (w) => this.objects.patch(served, ns, info.name!, type, patch, w, ua, info.sub));
      return sendJson(res, r.created ? 201 : 200, r.so ? this.objects.presentJson(served, r.so) : r.obj, warningHeader(o.warnings));
    }
    if (method === 'DELETE') {
      const buf = await readBody(req);
      let body: any = {};
      if (buf.length && buf.toString().trim()) body = decodeBody(buf, 'application/json');
      if (!isPlainObject(body)) throw badRequest('DeleteOptions must be a JSON object');
      const dry = [...q.getAll('dryRun'), ...((body.dryRun as string[]) ?? [])];
      const pp = (q.get('propagationPolicy') ?? body.propagationPolicy ?? undefined) as any;
      if (pp && !['Foreground', 'Background', 'Orphan'].includes(pp))
        throw badRequest(`propagationPolicy: Unsupported value: "${pp}": supported values: "Foreground", "Background", "Orphan"`);
      const orphan = q.get('orphanDependents') ?? body.orphanDependents;
      const gps = q.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
      const dopts = {
        dryRun: dry.includes('All'),
        propagationPolicy: pp ?? (orphan === true || orphan === 'true' ? 'Orphan' : undefined),
        gracePeriodSeconds: gps !== undefined && gps !== null ? Number(gps) : undefined,
        preconditions: body.preconditions as { uid?: string; resourceVersion?: string } | undefined,
      };
      if (info.name === undefined) {
        if (!served.info.verbs.includes('deletecollection')) throw methodNotAllowed(`deletecollection is not supported on ${info.plural}`);
        const f = listFilter(served, q);
        const items: KubeObject[] = [];
        for (const so of this.store.list(served.key, served.info.namespaced ? info.namespace : undefined)) {
          if (!matches(f, so.obj)) continue;
          if (this.webhooks.any('DELETE', served, '')) await this.webhooks.delete({ served, sub: '', namespace: so.obj.metadata?.namespace ?? '', name: so.obj.metadata!.name!, user, dryRun: dopts.dryRun }, this.objects.present(served, so.obj), []);
          items.push(this.objects.delete(served, so.obj.metadata?.namespace ?? '', so.obj.metadata!.name!, dopts).obj);
        }
        return sendJson(res, 200, { kind: `${served.info.kind}List`, apiVersion: apiVersionOf(served.info.group, served.info.version), metadata: { resourceVersion: String(this.store.rv) }, items });
      }
      const dw: string[] = [];
      if (this.webhooks.any('DELETE', served, ''))
        await this.webhooks.delete({ served, sub: '', namespace: ns, name: info.name, user, dryRun: dopts.dryRun, options: { ...body, kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' } }, this.objects.present(served, this.objects.get(served, ns, info.name).obj), dw);
      const r = this.objects.delete(served, ns, info.name, dopts);
      return sendJson(res, r.status, r.obj, warningHeader(dw));
    }
    throw methodNotAllowed(`method ${method} is not supported`);
  }

  private subAllowed(s: Served, sub: string): boolean {
    if (sub === 'status') return !!s.info.subresources?.status;
    if (sub === 'scale') return !!s.info.subresources?.scale;
    if (s.builtin && s.info.group === '') {
      if (s.info.plural === 'pods' && ['log', 'exec', 'attach', 'portforward', 'binding', 'eviction'].includes(sub)) return true;
      if (s.info.plural === 'serviceaccounts' && sub === 'token') return true;
      if (s.info.plural === 'namespaces' && sub === 'finalize') return true;
    }
    return false;
  }

  private async body(req: IncomingMessage, o?: WriteOptions): Promise<unknown> {
    const buf = await readBody(req);
    const body = decodeBody(buf, req.headers['content-type']);
    if (o) checkDuplicates(buf, req.headers['content-type'], o);
    return body;
  }

  // ------------------------------------------------------------------ list

  private list(s: Served, ns: string | undefined, q: URLSearchParams, lq: ListQuery, accept: string, res: ServerResponse): void {
    if (!s.info.verbs.includes('list')) throw methodNotAllowed(`list is not supported on ${s.info.plural}`);
    const f = listFilter(s, q);
    const limit = lq.limit;
    const nsScope = s.info.namespaced ? ns : undefined;
    const c = lq.continue ? decodeContinue(lq.continue, s, nsScope, this.store.rv) : undefined;
    const startAfter = c?.startAfter;
    // the pages of one list carry the resourceVersion of its first page
    const rv = c?.rv ?? String(this.store.rv);
    let all = this.store.list(s.key, s.info.namespaced ? ns : undefined);
    if (startAfter !== undefined) {
      const sa = startAfter;
      all = all.filter((so) => `${so.obj.metadata?.namespace ?? ''}/${so.obj.metadata?.name}` > sa);
    }
    const items: StoredObject[] = [];
    let next: string | undefined;
    let remaining = 0;
    for (let i = 0; i < all.length; i++) {
      const so = all[i];
      if (!matches(f, so.obj)) continue;
      if (limit && items.length >= limit) {
        remaining++;
        continue;
      }
      items.push(so);
    }
    if (limit && remaining > 0) {
      const last = items[items.length - 1];
      next = encodeContinue(s, nsScope, `${last.obj.metadata?.namespace ?? ''}/${last.obj.metadata?.name}`, rv);
    }
    if (accept.includes('as=Table')) {
      const t = this.table(s, items, q, rv) as any;
      if (next) t.metadata.continue = next;
      if (next && !f.labels.length && !f.fields.length) t.metadata.remainingItemCount = remaining;
      return sendJson(res, 200, t);
    }
    const av = apiVersionOf(s.info.group, s.info.version);
    const meta: Record<string, unknown> = { resourceVersion: rv };
    if (next) {
      meta.continue = next;
      if (!f.labels.length && !f.fields.length) meta.remainingItemCount = remaining;
    }
    // built by concatenation: the stored JSON is reused, not re-serialised
    const head = `{"kind":${JSON.stringify(s.info.listKind)},"apiVersion":${JSON.stringify(av)},"metadata":${JSON.stringify(meta)},"items":[`;
    const parts: string[] = [];
    for (const so of items) parts.push(this.objects.presentJson(s, so));
    sendJson(res, 200, head + parts.join(',') + ']}');
  }

  private table(s: Served, items: StoredObject[], q: URLSearchParams, rv: string): Record<string, unknown> {
    const p = s.printer();
    const now = new Date();
    const include = q.get('includeObject') ?? 'Metadata';
    return {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: rv },
      columnDefinitions: p.columns,
      rows: items.map((so) => this.row(s, so.obj, include, now)),
    };
  }

  private row(s: Served, obj: KubeObject, include: string, now: Date): Record<string, unknown> {
    const cells = s.printer().cells(obj, now);
    const o = this.objects.present(s, obj);
    return {
      cells,
      object:
        include === 'None'
          ? undefined
          : include === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    };
  }

  // ----------------------------------------------------------------- watch

  private watch(s: Served, ns: string | undefined, q: URLSearchParams, accept: string, req: IncomingMessage, res: ServerResponse): void {
    if (!s.info.verbs.includes('watch')) throw methodNotAllowed(`watch is not supported on ${s.info.plural}`);
    const f = listFilter(s, q);
    const include = q.get('includeObject') ?? 'Metadata';
    this.watches.serve(s, s.info.namespaced ? ns : undefined, q, accept, req, res, {
      matches: (o) => matches(f, o),
      row: (o) => this.row(s, o, include, new Date()),
    });
  }

  /** Ends every open watch (used at shutdown). */
  closeWatches(): void {
    this.watches.closeAll();
  }

  // ------------------------------------------------------------ subresources

  private tokenRequest(s: Served, ns: string, name: string, body: unknown, res: ServerResponse): void {
    sendJson(res, 201, requestToken({ objects: this.objects, reg: this.reg, auth: this.auth }, s, ns, name, body));
  }

  /** The token the API server presents to kubelets (set by the server). */
  kubeletToken = '';

  // ------------------------------------------------------- connect subresources (upgrades)

  /**
   * An HTTP upgrade (WebSocket or SPDY). `pods/{name}/exec`, `attach` and `portforward` are
   * authenticated, checked (pod, container, node) and then proxied as they are to the kubelet of
   * the pod's node: the request line and headers are rewritten (kubelet path, the API server's
   * kubelet token), everything after is piped both ways, so the client negotiates its protocol
   * with the kubelet. Any other upgrade request is served as a plain request.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    let url: ParsedUrl | undefined;
    try {
      url = parseUrl(req.url ?? '/');
    } catch {
      url = undefined; // answered as a normal request below: a 400 Status
    }
    const info = url?.resource && !url.resource.extra ? url.resource : undefined;
    const isConnect = !!info && info.group === '' && info.version === 'v1' && info.plural === 'pods' && info.namespace !== undefined && info.name !== undefined && CONNECT_SUBRESOURCES.includes(info.sub ?? '');
    if (!isConnect || (req.method !== 'GET' && req.method !== 'POST')) {
      // not ours to upgrade: answer it as a normal request on this connection, then close it
      const res = new ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as Socket);
      res.on('finish', () => {
        res.detachSocket(socket as Socket);
        socket.end();
      });
      void this.handle(req, res);
      return;
    }
    try {
      const authn = this.auth.authenticate(req.headers.authorization);
      if (!authn) throw unauthorized();
      const user = this.rbac ? this.rbac.admit(req, url!, authn) : authn;
      const target = connectTarget({ objects: this.objects, reg: this.reg, store: this.store }, info!.namespace!, info!.name!, info!.sub!, url!.query);
      const served = this.reg.find('', 'v1', 'pods')!;
      if (!this.webhooks.any('CONNECT', served, info!.sub!)) return proxyUpgrade(req, socket, head, target, this.kubeletToken);
      const attrs = { served, sub: info!.sub!, namespace: info!.namespace!, name: info!.name!, user, dryRun: false };
      this.webhooks.connect(attrs, connectOptions(info!.sub!, url!.query) as KubeObject, []).then(
        () => proxyUpgrade(req, socket, head, target, this.kubeletToken),
        (e) => upgradeError(socket, e),
      );
    } catch (e) {
      if (!(e instanceof ApiError)) console.error('apiserver: internal error:', e);
      upgradeError(socket, e);
    }
  }

  private isReview(s: Served): boolean {
    return s.builtin && (s.info.group === 'authorization.k8s.io' || s.info.group === 'authentication.k8s.io') && s.info.verbs.length === 1;
  }

  /** TokenReview here; SubjectAccessReview & co. answered by RBAC (everyone is allowed without it). */
  private review(s: Served, body: unknown, user: UserInfo, ns: string): Record<string, unknown> {
    const answered = this.rbac?.review(s, body, user, ns);
    if (answered) return answered;
    const b = (isPlainObject(body) ? body : {}) as KubeObject;
    const out: KubeObject = { ...b, apiVersion: apiVersionOf(s.info.group, s.info.version), kind: s.info.kind, metadata: { creationTimestamp: null } as any };
    if (s.info.kind === 'SelfSubjectReview') out.status = { userInfo: user };
    else if (s.info.kind === 'TokenReview') {
      const auds = (b.spec as any)?.audiences;
      out.status = this.auth.check(String((b.spec as any)?.token ?? ''), Array.isArray(auds) && auds.length ? auds.map(String) : undefined);
    } else if (s.info.kind === 'SelfSubjectRulesReview')
      out.status = {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      };
    else out.status = { allowed: true, reason: 'flotilla: authenticated users are allowed' };
    return out;
  }
}

