/**
 * Argo Events' objects as upstream's argo-server serves them to its UI (EventSourceService, SensorService):
 * `GET /api/v1/event-sources/{ns}[/{name}]`, `GET /api/v1/sensors/{ns}[/{name}]`, and their watches
 * `/api/v1/stream/event-sources/{ns}`, `/api/v1/stream/sensors/{ns}` (`{"result": {type, object}}`), read
 * with the caller's credentials. `GET /api/v1/event-buses/{ns}` is Flotilla's addition (upstream's UI has no
 * EventBus page); it lists `eventbus` objects the same way.
 */
import type { Resource } from '@flotilla/kube-runtime';
import { STREAMED, Stream, type Router } from '../http.js';
import type { Caller, Ctx } from '../context.js';
import { listNamespace } from '../context.js';
import { kcall, listBody, listQuery, withKind } from './common.js';
import { relayWatch } from './stream.js';

const ev = (plural: string, kind: string): Resource => ({ group: 'argoproj.io', version: 'v1alpha1', plural, kind, namespaced: true });
const KINDS: { res: Resource; base: string; stream?: string }[] = [
  { res: ev('eventsources', 'EventSource'), base: '/api/v1/event-sources', stream: '/api/v1/stream/event-sources' },
  { res: ev('sensors', 'Sensor'), base: '/api/v1/sensors', stream: '/api/v1/stream/sensors' },
  { res: ev('eventbus', 'EventBus'), base: '/api/v1/event-buses' },
];

export function registerEventObjects(router: Router<Caller>, ctx: Ctx): void {
  for (const k of KINDS) {
    router.add('GET', `${k.base}/{namespace}`, async (r) => listBody(`${k.res.kind}List`, await kcall(r.ctx.kube.list<any>(k.res, listNamespace(ctx, r.params.namespace), listQuery(r.query)))));
    router.add('GET', `${k.base}/{namespace}/{name}`, async (r) => withKind(await kcall(r.ctx.kube.get<any>(k.res, r.params.namespace, r.params.name!)), k.res.kind));
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
}
