// The seed journey's data path as plain processes: webhook eventsource-service → core NATS (token auth,
// a real nats-server) → sensor-service → http trigger; bad input (400 / 401 / 413, a bad filter), metrics,
// and an unreachable bus (back-off, then connected).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, StringCodec } from 'nats';
import { has, freePort, startNatsServer, startService, startReceiver, writeSecrets, b64, until, sleep, type Proc } from './testutil.js';

const NS = 'argo-events';
const skip = has('nats-server') ? false : 'nats-server is not installed';
let nats: Awaited<ReturnType<typeof startNatsServer>>;
let es: Proc;
let sensor: Proc;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let whPort: number;
let esMetrics: number;
let sensorMetrics: number;
const busMsgs: any[] = [];
let watcher: Awaited<ReturnType<typeof connect>>;

before(async () => {
  if (skip) return;
  nats = await startNatsServer({ token: 'bus-token' });
  const secrets = writeSecrets({ 'eventbus-default-client': { token: 'bus-token' }, 'wh-auth': { token: 'sekret' } });
  receiver = await startReceiver();
  [whPort, esMetrics, sensorMetrics] = [await freePort(), await freePort(), await freePort()];
  const bus = b64({ nats: { url: nats.url, auth: 'token', accessSecret: { name: 'eventbus-default-client', key: 'token' } } });
  const env = { EVENTBUS_CONFIG: bus, EVENT_BUS_SUBJECT: `eventbus-${NS}`, EVENTS_BUS_AUTH_DIR: secrets, ARGO_EVENTS_SECRETS_DIR: secrets };
  watcher = await connect({ servers: nats.url, token: 'bus-token' });
  const sc = StringCodec();
  watcher.subscribe(`eventbus-${NS}.>`, { callback: (_e, m) => busMsgs.push({ subject: m.subject, ev: JSON.parse(sc.decode(m.data)) }) });
  const eventSource = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'EventSource',
    metadata: { name: 'webhook', namespace: NS },
    spec: {
      service: { ports: [{ port: whPort, targetPort: whPort }] },
      webhook: {
        example: { port: String(whPort), endpoint: '/example', method: 'POST' },
        secure: { port: String(whPort), endpoint: '/secure', method: 'POST', authSecret: { name: 'wh-auth', key: 'token' } },
        small: { port: String(whPort), endpoint: '/small', method: 'POST', maxPayloadSize: 100 },
        filtered: { port: String(whPort), endpoint: '/filtered', method: 'POST', filter: { expression: 'body.keep == true' } },
      },
      sqs: { queue: { queue: 'q', region: 'us-east-1' } },
    },
  };
  const httpTrigger = (name: string, conditions: string, path: string) => ({
    template: { name, conditions, http: { url: `http://127.0.0.1:${receiver.port}${path}`, method: 'POST', payload: [{ src: { dependencyName: conditions, dataKey: 'body.message' }, dest: 'message' }, { src: { dependencyName: conditions, contextKey: 'subject' }, dest: 'event' }] } },
    retryStrategy: { steps: 2, duration: '100ms' },
  });
  const sensorObj = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Sensor',
    metadata: { name: 'webhook', namespace: NS },
    spec: {
      dependencies: [
        { name: 'test-dep', eventSourceName: 'webhook', eventName: 'example' },
        { name: 'secure-dep', eventSourceName: 'webhook', eventName: 'secure' },
        { name: 'bad-dep', eventSourceName: 'webhook', eventName: 'filtered', filters: { data: [{ path: 'body.message', type: 'string', value: ['(unclosed'] }] } },
      ],
      triggers: [httpTrigger('example-trigger', 'test-dep', '/example'), httpTrigger('secure-trigger', 'secure-dep', '/secure'), httpTrigger('bad-trigger', 'bad-dep', '/bad')],
    },
  };
  es = startService('eventsource-service', { ...env, EVENTSOURCE_OBJECT: b64(eventSource), EVENTSOURCE_NAMESPACE: NS, METRICS_PORT: String(esMetrics), POD_NAME: 'webhook-eventsource-abc' });
  sensor = startService('sensor-service', { ...env, SENSOR_OBJECT: b64(sensorObj), SENSOR_NAMESPACE: NS, METRICS_PORT: String(sensorMetrics), SENSOR_EVENTS: 'false' });
  await until('the eventsource to listen', () => es.out.some((l) => l.includes('webhook listening on') && l.includes('/filtered')));
  await until('the sensor to subscribe', () => sensor.out.some((l) => l.includes('sensor started')));
});

after(async () => {
  await es?.stop();
  await sensor?.stop();
  await watcher?.close().catch(() => {});
  receiver?.close();
  await nats?.stop();
});

const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`http://127.0.0.1:${whPort}${path}`, { method: 'POST', body, headers }).then(async (r) => ({ status: r.status, text: await r.text() }));

test('webhook → bus → sensor http trigger carries the posted message', { skip }, async () => {
  const r = await post('/example', JSON.stringify({ message: 'this is my first webhook' }));
  assert.deepEqual(r, { status: 200, text: 'success' });
  const got = await until('the http trigger', () => receiver.got.find((g) => g.path === '/example'));
  assert.deepEqual(got.body, { message: 'this is my first webhook', event: 'example' });
  const m = await until('the bus message', () => busMsgs.find((x) => x.ev.subject === 'example'));
  assert.equal(m.subject, `eventbus-${NS}.webhook.example`);
  assert.equal(m.ev.specversion, '1.0');
  assert.equal(m.ev.source, 'webhook');
  assert.equal(m.ev.type, 'webhook');
  assert.equal(m.ev.datacontenttype, 'application/json');
  assert.deepEqual(m.ev.data.body, { message: 'this is my first webhook' });
  assert.deepEqual(m.ev.data.header['Content-Type'], ['application/json']);
});

test('bad input: malformed JSON 400 (counted, nothing published), 413 over maxPayloadSize, 401 without the bearer token, wrong method 400', { skip }, async () => {
  const before = busMsgs.length;
  const bad = await post('/example', '{"message": ');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /malformed JSON/);
  assert.equal((await post('/small', JSON.stringify({ message: 'x'.repeat(200) }))).status, 413);
  assert.equal((await post('/small', JSON.stringify({ message: 'short' }))).status, 200);
  assert.equal((await post('/secure', JSON.stringify({ message: 'no token' }))).status, 401);
  assert.equal((await post('/secure', JSON.stringify({ message: 'wrong' }), { 'content-type': 'application/json', authorization: 'Bearer nope' })).status, 401);
  assert.equal((await fetch(`http://127.0.0.1:${whPort}/example`)).status, 400);
  assert.equal((await post('/nowhere', '{}')).status, 404);
  const ok = await post('/secure', JSON.stringify({ message: 'with token' }), { 'content-type': 'application/json', authorization: 'Bearer sekret' });
  assert.equal(ok.status, 200);
  const got = await until('the secure trigger', () => receiver.got.find((g) => g.path === '/secure'));
  assert.equal(got.body.message, 'with token');
  await sleep(200);
  // only the /small (short) and the authorised /secure events reached the bus
  assert.deepEqual(busMsgs.slice(before).map((m) => m.ev.subject).sort(), ['secure', 'small']);
  const metrics = await (await fetch(`http://127.0.0.1:${esMetrics}/metrics`)).text();
  assert.match(metrics, /argo_events_events_processing_failed_total\{namespace="argo-events",event_source_name="webhook",event_name="example"\} 1/);
  assert.match(metrics, /argo_events_events_processing_failed_total\{[^}]*event_name="secure"\} 2/);
  assert.match(metrics, /argo_events_events_sent_total\{namespace="argo-events",event_source_name="webhook",event_name="example"\} 1/);
  assert.match(metrics, /argo_events_event_service_running_total\{namespace="argo-events",event_source_name="webhook"\} 4/);
  assert.ok(es.out.some((l) => l.includes('event source type sqs is not available in this installation')));
  assert.equal((await fetch(`http://127.0.0.1:${esMetrics}/readyz`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${sensorMetrics}/readyz`)).status, 200);
});

test('filter.expression drops events; a bad dependency filter names itself and the other dependencies keep working', { skip }, async () => {
  const before = busMsgs.length;
  assert.equal((await post('/filtered', JSON.stringify({ keep: false, message: 'drop me' }))).status, 200);
  assert.equal((await post('/filtered', JSON.stringify({ keep: true, message: 'keep me' }))).status, 200);
  await until('the kept event on the bus', () => busMsgs.slice(before).find((m) => m.ev.subject === 'filtered'));
  await sleep(200);
  assert.equal(busMsgs.slice(before).filter((m) => m.ev.subject === 'filtered').length, 1);
  assert.ok(sensor.out.some((l) => l.includes('dependency bad-dep: bad filter') && l.includes('data filter #0 (path \\"body.message\\")')), sensor.out.join('\n'));
  assert.equal(receiver.got.filter((g) => g.path === '/bad').length, 0);
  const n = receiver.got.filter((g) => g.path === '/example').length;
  await post('/example', JSON.stringify({ message: 'still working' }));
  await until('the example trigger again', () => receiver.got.filter((g) => g.path === '/example').length === n + 1);
  const metrics = await (await fetch(`http://127.0.0.1:${sensorMetrics}/metrics`)).text();
  assert.match(metrics, /argo_events_action_triggered_total\{namespace="argo-events",sensor_name="webhook",trigger_name="example-trigger"\} 2/);
});

test('the NATS server restarts: both services reconnect, resubscribe and events flow again', { skip }, async () => {
  await watcher.close();
  await nats.stop();
  nats = await startNatsServer({ token: 'bus-token', port: nats.port });
  await until('both reconnected', () => es.out.some((l) => l.includes('event bus reconnected')) && sensor.out.some((l) => l.includes('event bus reconnected')), 20_000);
  const n = receiver.got.filter((g) => g.path === '/example').length;
  assert.equal((await post('/example', JSON.stringify({ message: 'after the restart' }))).status, 200);
  const got = await until('the trigger after the restart', () => receiver.got.filter((g) => g.path === '/example')[n]);
  assert.equal(got.body.message, 'after the restart');
});

test('an unreachable bus: retries with back-off and logs it, then connects', { skip }, async () => {
  const port = await freePort();
  const secrets = writeSecrets({ tok: { token: 't2' } });
  const p = startService('sensor-service', {
    EVENTBUS_CONFIG: b64({ nats: { url: `nats://127.0.0.1:${port}`, auth: 'token', accessSecret: { name: 'tok', key: 'token' } } }),
    EVENTS_BUS_AUTH_DIR: secrets,
    SENSOR_OBJECT: b64({ metadata: { name: 'late', namespace: NS }, spec: { dependencies: [{ name: 'd', eventSourceName: 'x', eventName: 'y' }], triggers: [{ template: { name: 't', log: {} } }] } }),
    METRICS_PORT: '0',
    SENSOR_EVENTS: 'false',
  });
  let srv: Awaited<ReturnType<typeof startNatsServer>> | undefined;
  try {
    await until('two failed connects', () => p.out.filter((l) => l.includes('event bus unreachable (retrying in')).length >= 2, 10_000);
    assert.ok(p.out.some((l) => l.includes('retrying in 2000 ms')), 'the back-off grows');
    srv = await startNatsServer({ token: 't2', port });
    await until('the connection', () => p.out.some((l) => l.includes('connected to the event bus')), 15_000);
    await until('the sensor start', () => p.out.some((l) => l.includes('sensor started')));
  } finally {
    await p.stop();
    await srv?.stop();
  }
});
