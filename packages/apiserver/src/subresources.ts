/** Subresources served by the API server itself: scale and pods/log. */
import { request as httpRequest, type ServerResponse } from 'node:http';
import type { KubeObject } from '@flotilla/apimachinery';
import { getPath, isPlainObject } from '@flotilla/apimachinery';
import { clone } from './json-int.js';
import { ApiError, badRequest, notFound } from './errors.js';
import { sendError, sendJson } from './http.js';
import type { Objects, WriteOptions } from './objects.js';
import type { Registry, Served } from './registry.js';
import type { Store } from './store.js';

export interface LogDeps {
  objects: Objects;
  reg: Registry;
  store: Store;
  kubeletToken: string;
  logs?: (ns: string, pod: string, q: URLSearchParams, res: ServerResponse) => boolean;
}

export function toScale(s: Served, obj: KubeObject): Record<string, unknown> {
  const sc = s.info.subresources?.scale;
  if (!sc) throw notFound(s.info.group, `${s.info.plural}/scale`, obj.metadata?.name ?? '');
  const m = obj.metadata!;
  const sel = sc.labelSelectorPath ? getPath(obj, sc.labelSelectorPath) : undefined;
  let selector: string | undefined;
  if (typeof sel === 'string') selector = sel;
  else if (isPlainObject(sel)) {
    const parts: string[] = [];
    for (const [k, v] of Object.entries((sel as any).matchLabels ?? {})) parts.push(`${k}=${v}`);
    for (const e of ((sel as any).matchExpressions ?? []) as any[]) {
      if (e.operator === 'In') parts.push(`${e.key} in (${e.values.join(',')})`);
      else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${e.values.join(',')})`);
      else if (e.operator === 'Exists') parts.push(e.key);
      else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    }
    selector = parts.join(',');
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: Number(getPath(obj, sc.specReplicasPath) ?? 0) },
    status: { replicas: Number(getPath(obj, sc.statusReplicasPath) ?? 0), ...(selector !== undefined ? { selector } : {}) },
  };
}

export function writeScale(objects: Objects, s: Served, ns: string, name: string, body: unknown, o: WriteOptions, ua: string): Record<string, unknown> {
  if (!isPlainObject(body)) throw badRequest('a Scale object was expected');
  const replicas = (body as any).spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
    throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, {
      name,
      group: 'autoscaling',
      kind: 'Scale',
      causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, field: 'spec.replicas' }],
    });
  const cur = objects.get(s, ns, name);
  const rv = (body as any).metadata?.resourceVersion;
  if (rv && rv !== cur.obj.metadata?.resourceVersion)
    throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${s.info.plural}.${s.info.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
  const sc = s.info.subresources!.scale!;
  const next = clone(objects.present(s, cur.obj));
  const parts = sc.specReplicasPath.replace(/^\./, '').split('.');
  let t: any = next;
  for (const p of parts.slice(0, -1)) t = t[p] ??= {};
  t[parts[parts.length - 1]] = replicas;
  const r = objects.update(s, ns, name, next, o, ua);
  return toScale(s, r.obj);
}

/**
 * pods/{name}/log: proxied to the kubelet of the pod's node (Node status: InternalIP +
 * daemonEndpoints.kubeletEndpoint.Port), GET /containerLogs/{ns}/{pod}/{container}.
 */
export function podLog(d: LogDeps, ns: string, pod: string, q: URLSearchParams, res: ServerResponse): void {
  const s = d.reg.find('', 'v1', 'pods')!;
  const p = d.objects.get(s, ns, pod).obj as any;
  if (d.logs && d.logs(ns, pod, q, res)) return;
  const containers: string[] = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((c: any) => c.name);
  let c = q.get('container') ?? undefined;
  if (!c) {
    const main = (p.spec?.containers ?? []).map((x: any) => x.name);
    if (main.length !== 1)
      throw badRequest(`a container name must be specified for pod ${pod}, choose one of: [${main.join(' ')}]`);
    c = main[0] as string;
  }
  if (!containers.includes(c)) throw badRequest(`container ${c} is not valid for pod ${pod}`);
  const nodeName = p.spec?.nodeName;
  const node = nodeName ? (d.store.get('core/nodes', '', nodeName)?.obj as any) : undefined;
  const port = node?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  const addr = (node?.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
  if (!node || !port) throw badRequest(`container "${c}" in pod "${pod}" is waiting to start: ${nodeName ? `node ${nodeName} has no kubelet endpoint` : 'the pod is not scheduled to a node yet'}`);
  const fwd = new URLSearchParams();
  for (const k of ['follow', 'previous', 'tailLines', 'sinceSeconds', 'sinceTime', 'timestamps', 'limitBytes']) {
    const v = q.get(k);
    if (v !== null) fwd.set(k, v);
  }
  const host = addr.includes(':') ? `[${addr}]` : addr;
  const up = httpRequest(
    `http://${host}:${port}/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(pod)}/${encodeURIComponent(c)}?${fwd}`,
    { headers: { authorization: `Bearer ${d.kubeletToken}` } },
    (ur) => {
      if ((ur.statusCode ?? 500) >= 400) {
        let t = '';
        ur.setEncoding('utf8');
        ur.on('data', (d) => (t += d));
        ur.on('end', () => sendError(res, new ApiError(ur.statusCode === 404 ? 404 : 400, ur.statusCode === 404 ? 'NotFound' : 'BadRequest', t.trim() || `the kubelet answered ${ur.statusCode}`)));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      ur.pipe(res);
    },
  );
  up.on('error', (e) => sendError(res, new ApiError(500, 'InternalError', `Get logs from the kubelet of ${nodeName}: ${e.message}`)));
  res.on('close', () => up.destroy());
  up.end();
}

/** pods/{name}/binding: what a scheduler posts to put a pod on a node. */
export function bindPod(objects: Objects, s: Served, ns: string, name: string, body: unknown, o: WriteOptions, ua: string, res: ServerResponse): void {
  const target = isPlainObject(body) ? (body as any).target : undefined;
  if (!target?.name) throw new ApiError(422, 'Invalid', `Binding "${name}" is invalid: target.name: Required value`, { name, kind: 'Binding', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }] });
  const cur = objects.get(s, ns, name);
  const spec = (cur.obj.spec ?? {}) as any;
  if (spec.nodeName) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${spec.nodeName}"`, { name, kind: 'pods/binding' });
  if (cur.obj.metadata?.deletionTimestamp) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted, cannot be assigned to a host`);
  const next = clone(objects.present(s, cur.obj));
  (next.spec as any).nodeName = target.name;
  objects.update(s, ns, name, next, { ...o, fieldValidation: 'Ignore' }, ua);
  sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}
