/**
 * Argo Events' objects as upstream's argo-server serves them to its UI (EventSourceService, SensorService):
 * `GET /api/v1/event-sources/{ns}[/{name}]`, `GET /api/v1/sensors/{ns}[/{name}]` (and POST to create, PUT / DELETE
 * `…/{ns}/{name}` with the `eventSource` / `sensor` field, as upstream), and their watches
 * `/api/v1/stream/event-sources/{ns}`, `/api/v1/stream/sensors/{ns}` (`{"result": {type, object}}`), read
 * with the caller's credentials. `GET /api/v1/event-buses/{ns}` is Flotilla's addition (upstream's UI has no
 * EventBus page); it lists `eventbus` objects the same way. The logs of their pods as upstream streams them:
 * `/api/v1/stream/event-sources/{ns}/logs?name=…` and `/api/v1/stream/sensors/{ns}/logs?name=…&triggerName=…`
 * (`podLogOptions.*`), one `{"result": {namespace, eventSourceName|sensorName, level, time, msg, …}}` a line,
 * from the pods labelled `eventsource-name` / `sensor-name` (the JSON log lines' fields kept).
 */
import type { Resource } from '@flotilla/kube-runtime';
import { R } from '@flotilla/kube-runtime';
import { fromKube, STREAMED, Stream, type Router } from '../http.js';
import type { Caller, Ctx } from '../context.js';
import { listNamespace } from '../context.js';
import { kcall, listBody, listQuery, modify, needObject, withKind } from './common.js';
import { cleanForCreate } from '../submit.js';
import { logOpts, podLog, relayWatch } from './stream.js';


/** One log line of an EventSource/Sensor pod as upstream's LogEntry: the JSON line's fields, else the line as `msg`. */
export function logEntry(ns: string, key: 'eventSourceName' | 'sensorName', name: string, line: string): Record<string, unknown> {
  let j: Record<string, unknown> | undefined;
  try {
    const v = JSON.parse(line);
    if (v && typeof v === 'object' && !Array.isArray(v)) j = v;
  } catch {
    /* not JSON */
  }
  if (!j) return { namespace: ns, [key]: name, msg: line };
  const { level, ts, time, msg, ...rest } = j;
  return { ...rest, namespace: ns, [key]: name, level, time: time ?? ts, msg };
}

const ev = (plural: string, kind: string): Resource => ({ group: 'argoproj.io', version: 'v1alpha1', plural, kind, namespaced: true });
/** `field`: the request body's field with the object (create / update), as upstream's EventSourceService / SensorService */
const KINDS: { res: Resource; base: string; stream?: string; field?: string }[] = [
  { res: ev('eventsources', 'EventSource'), base: '/api/v1/event-sources', stream: '/api/v1/stream/event-sources', field: 'eventSource' },
  { res: ev('sensors', 'Sensor'), base: '/api/v1/sensors', stream: '/api/v1/stream/sensors', field: 'sensor' },
  { res: ev('eventbus', 'EventBus'), base: '/api/v1/event-buses' },
];

/**
 * A request body's field, its name matched as Go's encoding/json matches a struct field (upstream decodes request
 * bodies with it): the exact name, else any case of it (upstream's e2e test sends `"eventsource"`).
 */
export function bodyField(body: Record<string, unknown>, name: string): unknown {
  if (name in body) return body[name];
  const lower = name.toLowerCase();
  const k = Object.keys(body).find((x) => x.toLowerCase() === lower);
  return k === undefined ? undefined : body[k];
}

export function registerEventObjects(router: Router<Caller>, ctx: Ctx): void {
  for (const k of KINDS) {
    router.add('GET', `${k.base}/{namespace}`, async (r) => listBody(`${k.res.kind}List`, await kcall(r.ctx.kube.list<any>(k.res, listNamespace(ctx, r.params.namespace), listQuery(r.query)))));
    router.add('GET', `${k.base}/{namespace}/{name}`, async (r) => withKind(await kcall(r.ctx.kube.get<any>(k.res, r.params.namespace, r.params.name!)), k.res.kind));
    if (k.field) {
      const field = k.field;
      // create / update / delete with the caller's credentials (Kubernetes' validation and RBAC decide)
      router.add('POST', `${k.base}/{namespace}`, async (r) => {
        const obj = cleanForCreate({ ...needObject(bodyField(r.body, field), field) }) as any;
        obj.metadata = { ...(obj.metadata ?? {}), namespace: r.params.namespace };
        delete obj.status;
        const dry = Array.isArray(r.body.createOptions?.dryRun) && r.body.createOptions.dryRun.length > 0;
        return withKind(await kcall(r.ctx.kube.create<any>(k.res, r.params.namespace, { apiVersion: 'argoproj.io/v1alpha1', kind: k.res.kind, ...obj }, dry ? { dryRun: 'All' } : {})), k.res.kind);
      });
      router.add('PUT', `${k.base}/{namespace}/{name}`, async (r) => {
        const obj = needObject(bodyField(r.body, field), field);
        return withKind(await modify<any>(r.ctx.kube, k.res, r.params.namespace, r.params.name!, (cur) => ({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: k.res.kind,
          ...obj,
          metadata: { ...(obj.metadata ?? {}), name: r.params.name, namespace: r.params.namespace, resourceVersion: obj.metadata?.resourceVersion ?? cur.metadata?.resourceVersion },
          status: cur.status,
        })), k.res.kind);
      });
      router.add('DELETE', `${k.base}/{namespace}/{name}`, async (r) => {
        await kcall(r.ctx.kube.delete(k.res, r.params.namespace, r.params.name!));
        return {};
      });
    }
    if (!k.stream) continue;
    router.add('GET', `${k.stream}/{namespace}`, async (r) => {
      const out = new Stream(r.res);
      const ac = new AbortController();
      r.res.on('close', () => ac.abort());
      const g = (key: string) => r.query.get(`listOptions.${key}`) || undefined;
      await relayWatch(r.ctx.kube, k.res, listNamespace(ctx, r.params.namespace), { labelSelector: g('labelSelector'), fieldSelector: g('fieldSelector'), resourceVersion: g('resourceVersion') }, out, ac.signal, (e) => ({ type: e.type, object: withKind(e.object, k.res.kind) }));
      if (!r.res.writableEnded) r.res.end();
      return STREAMED;
    });
  }
  const logs = (label: string, key: 'eventSourceName' | 'sensorName') => async (r: Parameters<Parameters<Router<Caller>['add']>[2]>[0]) => {
    const out = new Stream(r.res);
    const ac = new AbortController();
    r.res.on('close', () => ac.abort());
    const ns = r.params.namespace!;
    const name = r.query.get('name') || undefined;
    const trigger = r.query.get('triggerName') || undefined;
    try {
      const pods = (await kcall(r.ctx.kube.list<any>(R.pods, ns, { labelSelector: name ? `${label}=${name}` : label }))).items;
      const o = logOpts(r.query, 'podLogOptions');
      out.start();
      await Promise.all(pods.map((p: any) => podLog(r.ctx.kube, ns, p.metadata.name, o, out, ac.signal, (line) => {
        const e = logEntry(ns, key, p.metadata.labels?.[label] ?? '', line);
        return trigger && e.triggerName !== undefined && e.triggerName !== trigger ? undefined : e;
      }).catch((e) => {
        if (!ac.signal.aborted) out.send({ namespace: ns, [key]: p.metadata.labels?.[label], level: 'error', msg: `(log of pod ${p.metadata.name}: ${(e as Error).message})` });
      })));
      out.end();
    } catch (e) {
      out.fail(fromKube(e));
      if (!r.res.writableEnded) r.res.end();
    }
    return STREAMED;
  };
  router.add('GET', '/api/v1/stream/event-sources/{namespace}/logs', logs('eventsource-name', 'eventSourceName'));
  router.add('GET', '/api/v1/stream/sensors/{namespace}/logs', logs('sensor-name', 'sensorName'));
}
