/**
 * The argo-server backend (ARGO_SERVER set): upstream's REST paths and JSON over HTTP/1.1 (what upstream's
 * CLI does with ARGO_HTTP1; the gRPC transport is not offered, so HTTP/1.1 is used either way),
 * `Authorization: Bearer <ARGO_TOKEN or the kubeconfig's token>`, TLS unless ARGO_SECURE=false,
 * certificate checks off with ARGO_INSECURE_SKIP_VERIFY. Streams (logs, workflow events) are
 * newline-delimited `{"result": …}` objects.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Workflow } from '@flotilla/workflows-controller';
import { KINDS, type Action, type ActionOpts, type Backend, type Kind, type ListQuery, type LogLine, type LogOptions, type SubmitOpts } from './backend.js';
import { argoToken, CliError } from './session.js';

const enc = encodeURIComponent;

/** An answer other than 2xx: upstream's CLI prints the gRPC-gateway error's message. */
export class ServerError extends CliError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const BASE: Record<Kind, string> = {
  workflows: '/api/v1/workflows',
  workflowtemplates: '/api/v1/workflow-templates',
  clusterworkflowtemplates: '/api/v1/cluster-workflow-templates',
  cronworkflows: '/api/v1/cron-workflows',
};
/** the field of a create/lint request body that holds the object */
const FIELD: Record<Kind, string> = { workflows: 'workflow', workflowtemplates: 'template', clusterworkflowtemplates: 'template', cronworkflows: 'cronWorkflow' };

export class RestBackend implements Backend {
  readonly mode = 'server' as const;
  private readonly origin: string;
  private readonly insecure: boolean;
  private readonly headers: Record<string, string> = {};

  constructor(
    private readonly o: Record<string, any>,
    readonly namespace: string,
  ) {
    const server = String(o.argoServer || process.env.ARGO_SERVER).replace(/^https?:\/\//, '');
    const base = String(o.argoBaseHref ?? '').replace(/\/$/, '');
    this.origin = `${o.secure === false ? 'http' : 'https'}://${server}${base && !base.startsWith('/') ? '/' : ''}${base}`;
    this.insecure = !!o.insecureSkipVerify;
    const token = argoToken(o);
    if (token) this.headers.authorization = `Bearer ${token}`;
    for (const h of (o.header as string[] | undefined) ?? []) {
      const i = h.indexOf(':');
      if (i > 0) this.headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
    }
  }

  private path(kind: Kind, ns: string, name?: string): string {
    const p = KINDS[kind].namespaced ? `${BASE[kind]}/${enc(ns)}` : BASE[kind];
    return name ? `${p}/${enc(name)}` : p;
  }

  /** One request; the parsed JSON answer. */
  raw(method: string, path: string, body?: unknown, query: Record<string, string | number | boolean | undefined> = {}): Promise<any> {
    const u = new URL(this.origin + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { ...this.headers, accept: 'application/json' };
    if (data !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = (u.protocol === 'http:' ? httpRequest : httpsRequest)(u, { method, headers, rejectUnauthorized: !this.insecure }, (resp) => {
        let text = '';
        resp.setEncoding('utf8');
        resp.on('data', (d: string) => (text += d));
        resp.on('end', () => {
          const code = resp.statusCode ?? 0;
          let json: any;
          try {
            json = text ? JSON.parse(text) : {};
          } catch {
            json = undefined;
          }
          if (code >= 200 && code < 300) return resolve(json ?? text);
          reject(new ServerError(code, json?.message ?? (text.trim() || `HTTP ${code}`)));
        });
      });
      req.on('error', (e) => reject(new CliError(`${method} ${u.origin}${u.pathname}: ${e.message}`)));
      req.end(data);
    });
  }

  /** Downloads a GET answer (an artifact) to a file; resolves with the number of bytes. */
  download(path: string, dest: string): Promise<number> {
    const u = new URL(this.origin + path);
    return new Promise((resolve, reject) => {
      const req = (u.protocol === 'http:' ? httpRequest : httpsRequest)(u, { method: 'GET', headers: { ...this.headers }, rejectUnauthorized: !this.insecure }, (resp) => {
        const code = resp.statusCode ?? 0;
        if (code < 200 || code >= 300) {
          let text = '';
          resp.setEncoding('utf8');
          resp.on('data', (d: string) => (text += d));
          resp.on('end', () => {
            let msg = text.trim();
            try {
              msg = JSON.parse(text).message ?? msg;
            } catch {
              /* not JSON */
            }
            reject(new ServerError(code, msg || `HTTP ${code}`));
          });
          return;
        }
        mkdirSync(dirname(dest), { recursive: true });
        const out = createWriteStream(dest);
        let n = 0;
        resp.on('data', (d: Buffer) => (n += d.length));
        resp.pipe(out);
        out.on('finish', () => resolve(n));
        out.on('error', (e) => reject(new CliError(`${dest}: ${e.message}`)));
      });
      req.on('error', (e) => reject(new CliError(`GET ${u.origin}${u.pathname}: ${e.message}`)));
      req.end();
    });
  }

  /** A streaming GET: calls onResult for each `{"result": …}` line until the stream ends or the signal aborts. */
  private stream(path: string, query: Record<string, string | number | boolean | undefined>, onResult: (r: any) => boolean | void, signal: AbortSignal): Promise<void> {
    const u = new URL(this.origin + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    return new Promise((resolve, reject) => {
      if (signal.aborted) return resolve();
      const req = (u.protocol === 'http:' ? httpRequest : httpsRequest)(u, { method: 'GET', headers: { ...this.headers, accept: 'application/json' }, rejectUnauthorized: !this.insecure }, (resp) => {
        const code = resp.statusCode ?? 0;
        let buf = '';
        resp.setEncoding('utf8');
        if (code < 200 || code >= 300) {
          resp.on('data', (d: string) => (buf += d));
          resp.on('end', () => {
            let msg = buf.trim();
            try {
              msg = JSON.parse(buf).message ?? msg;
            } catch {
              /* not JSON */
            }
            reject(new ServerError(code, msg || `HTTP ${code}`));
          });
          return;
        }
        resp.on('data', (d: string) => {
          buf += d;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            let msg: any;
            try {
              msg = JSON.parse(line);
            } catch {
              continue;
            }
            if (msg.error) {
              req.destroy();
              return reject(new ServerError(500, msg.error.message ?? JSON.stringify(msg.error)));
            }
            try {
              if (onResult(msg.result ?? msg)) {
                req.destroy();
                return resolve();
              }
            } catch (e) {
              req.destroy();
              return reject(e);
            }
          }
        });
        resp.on('end', () => resolve());
        resp.on('error', () => resolve());
      });
      const onAbort = () => {
        req.destroy();
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => (signal.aborted ? resolve() : reject(new CliError(`GET ${u.origin}${u.pathname}: ${e.message}`))));
      req.on('close', () => signal.removeEventListener('abort', onAbort));
      req.end();
    });
  }

  create(kind: Kind, ns: string, obj: any, o: { serverDryRun?: boolean } = {}): Promise<any> {
    const body: any = { namespace: ns, [FIELD[kind]]: obj };
    if (o.serverDryRun) body.serverDryRun = true;
    return this.raw('POST', this.path(kind, ns), body);
  }

  async list(kind: Kind, ns: string, q: ListQuery = {}): Promise<any[]> {
    const out: any[] = [];
    let cont: string | undefined;
    do {
      const r = await this.raw('GET', this.path(kind, ns), undefined, {
        'listOptions.labelSelector': q.labelSelector,
        'listOptions.fieldSelector': q.fieldSelector,
        'listOptions.limit': q.limit,
        'listOptions.continue': cont,
      });
      out.push(...(r.items ?? []));
      cont = q.limit ? r.metadata?.continue || undefined : undefined;
    } while (cont);
    return out;
  }

  get(kind: Kind, ns: string, name: string): Promise<any> {
    return this.raw('GET', this.path(kind, ns, name));
  }

  update(kind: Kind, ns: string, obj: any): Promise<any> {
    // PUT /api/v1/workflow-templates/{ns}/{name} {template}, …/cluster-workflow-templates/{name} {template}, …/cron-workflows/{ns}/{name} {cronWorkflow}
    return this.raw('PUT', this.path(kind, ns, obj.metadata.name), { namespace: ns, name: obj.metadata.name, [FIELD[kind]]: obj });
  }

  async delete(kind: Kind, ns: string, name: string): Promise<void> {
    await this.raw('DELETE', this.path(kind, ns, name));
  }

  async watchWorkflow(ns: string, name: string, onWf: (wf: Workflow) => boolean | void, signal: AbortSignal): Promise<void> {
    if (onWf(await this.get('workflows', ns, name))) return;
    while (!signal.aborted) {
      let done = false;
      await this.stream(
        `/api/v1/workflow-events/${enc(ns)}`,
        { 'listOptions.fieldSelector': `metadata.name=${name}` },
        (r) => {
          if (r.type === 'DELETED') throw new CliError(`workflow ${name} was deleted`);
          if (r.object?.metadata?.name !== name) return false;
          done = !!onWf(r.object);
          return done;
        },
        signal,
      );
      if (done || signal.aborted) return;
      if (onWf(await this.get('workflows', ns, name))) return;
    }
  }

  action(action: Action, ns: string, name: string, o: ActionOpts = {}): Promise<Workflow> {
    const body: any = { name, namespace: ns };
    if (o.nodeFieldSelector) body.nodeFieldSelector = o.nodeFieldSelector;
    if (action === 'retry' && o.restartSuccessful) body.restartSuccessful = true;
    if (action === 'resubmit' && o.memoized) body.memoized = true;
    if ((action === 'retry' || action === 'resubmit') && o.parameters?.length) body.parameters = o.parameters;
    if ((action === 'stop' || action === 'set') && o.message) body.message = o.message;
    if (action === 'set' && o.phase) body.phase = o.phase;
    if (action === 'set' && o.outputParameters) body.outputParameters = JSON.stringify(o.outputParameters);
    return this.raw('PUT', `/api/v1/workflows/${enc(ns)}/${enc(name)}/${action}`, body);
  }

  submitFrom(kind: Kind, ns: string, name: string, o: SubmitOpts): Promise<Workflow> {
    const resourceKind = KINDS[kind].kind;
    return this.raw('POST', `/api/v1/workflows/${enc(ns)}/submit`, {
      namespace: ns,
      resourceKind,
      resourceName: name,
      submitOptions: {
        entryPoint: o.entryPoint || undefined,
        parameters: o.parameters?.length ? o.parameters : undefined,
        serviceAccount: o.serviceAccount || undefined,
        generateName: o.generateName || undefined,
        name: o.name || undefined,
        labels: o.labels || undefined,
        serverDryRun: o.serverDryRun || undefined,
        dryRun: o.dryRun || undefined,
        priority: o.priority,
      },
    });
  }

  cronAction(action: 'suspend' | 'resume', ns: string, name: string): Promise<any> {
    return this.raw('PUT', `/api/v1/cron-workflows/${enc(ns)}/${enc(name)}/${action}`, { name, namespace: ns });
  }

  async lint(kind: Kind, ns: string, obj: any): Promise<string | undefined> {
    try {
      await this.raw('POST', `${this.path(kind, ns)}/lint`, { namespace: ns, [FIELD[kind]]: obj });
      return undefined;
    } catch (e) {
      if (e instanceof ServerError && e.status < 500) return e.message;
      throw e;
    }
  }

  async logs(ns: string, workflow: string, pod: string | undefined, o: LogOptions, onLine: (l: LogLine) => void, signal: AbortSignal): Promise<void> {
    await this.stream(
      `/api/v1/workflows/${enc(ns)}/${enc(workflow)}/log`,
      {
        podName: pod,
        'logOptions.container': o.container,
        'logOptions.follow': o.follow || undefined,
        'logOptions.sinceSeconds': o.sinceSeconds,
        'logOptions.sinceTime.seconds': o.sinceTime ? Math.floor(new Date(o.sinceTime).getTime() / 1000) : undefined,
        'logOptions.tailLines': o.tailLines,
        'logOptions.timestamps': o.timestamps || undefined,
        'logOptions.previous': o.previous || undefined,
        grep: o.grep,
        selector: o.selector,
      },
      (r) => {
        onLine({ podName: r.podName ?? '', content: r.content ?? '' });
      },
      signal,
    );
  }

  async token(): Promise<string | undefined> {
    return this.headers.authorization?.slice('Bearer '.length);
  }
}
