// The sensor engine without a bus: filters per dependency, conditions, rate limit, conditionsReset,
// atLeastOnce acknowledgement, unavailable triggers, bad filters/conditions reported by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SensorEngine, sensorProblems } from './engine.js';
import { freePort, until, sleep } from '../testutil.js';
import type { CloudEvent } from '../config.js';

const logs: string[] = [];
const log = (_l: string, msg: string) => void logs.push(msg);
const noKube = () => {
  throw new Error('no Kubernetes API in this test');
};
let n = 0;
const ev = (subject: string, data: unknown, o: Partial<CloudEvent> = {}): CloudEvent => ({ specversion: '1.0', id: `id-${++n}`, source: 'src', type: 'webhook', subject, time: new Date().toISOString(), datacontenttype: 'application/json', data, ...o });
const engine = (spec: any, extra: Partial<ConstructorParameters<typeof SensorEngine>[0]> = {}) => new SensorEngine({ sensor: { metadata: { name: 's', namespace: 'ns' }, spec }, namespace: 'ns', log, kube: noKube, ...extra });
const dep = (name: string, filters?: unknown, more: Record<string, unknown> = {}) => ({ name, eventSourceName: 'src', eventName: name, filters, ...more });
const logTrigger = (name: string, conditions?: string, more: Record<string, unknown> = {}) => ({ template: { name, conditions, log: {} }, ...more });

test('each filter kind accepts one event and rejects another (data, exprs, context, time, script)', async () => {
  const e = engine({
    dependencies: [
      dep('data', { data: [{ path: 'body.v', type: 'number', value: ['10'], comparator: '>' }] }),
      dep('exprs', { exprs: [{ expr: 'v == "yes"', fields: [{ name: 'v', path: 'body.v' }] }] }),
      dep('context', { context: { source: 'src', type: 'webhook' } }),
      dep('time', { time: { start: '10:00:00', stop: '11:00:00' } }),
      dep('script', { script: 'return event.body.v == "lua"' }),
    ],
    triggers: ['data', 'exprs', 'context', 'time', 'script'].map((d) => logTrigger(`t-${d}`, d)),
  });
  const cases: [string, CloudEvent, CloudEvent][] = [
    ['data', ev('data', { body: { v: 11 } }), ev('data', { body: { v: 9 } })],
    ['exprs', ev('exprs', { body: { v: 'yes' } }), ev('exprs', { body: { v: 'no' } })],
    ['context', ev('context', {}), ev('context', {}, { type: 'calendar' })],
    ['time', ev('time', {}, { time: '2024-01-01T10:30:00Z' }), ev('time', {}, { time: '2024-01-01T12:00:00Z' })],
    ['script', ev('script', { body: { v: 'lua' } }), ev('script', { body: { v: 'other' } })],
  ];
  for (const [d, yes, no] of cases) {
    await e.onEvent(d, no);
    await e.onEvent(d, yes);
  }
  await until('five triggers', () => e.fired.length === 5);
  await sleep(50);
  assert.deepEqual(e.fired.map((f) => f.trigger).sort(), ['t-context', 't-data', 't-exprs', 't-script', 't-time']);
  assert.ok(e.fired.every((f) => f.ok));
  e.stop();
});

test('a bad filter or conditions is named; the other dependencies (one with a jq transform) keep working', async () => {
  logs.length = 0;
  const e = engine({
    dependencies: [dep('good', undefined, { transform: { jq: '.body.n += 1' } }), dep('bad', { exprs: [{ expr: 'n >', fields: [{ name: 'n', path: 'body.n' }] }] }), dep('runtime-bad', { data: [{ path: 'body.n', type: 'number', value: ['x'] }] })],
    triggers: [logTrigger('good', 'good'), logTrigger('bad', 'bad'), logTrigger('rb', 'runtime-bad'), logTrigger('typo', 'good && nope'), logTrigger('broken', 'good &&')],
  });
  assert.match(e.filterErrors.get('bad')!, /exprs filter #0/);
  assert.match(e.triggerErrors.get('typo')!, /unknown dependencies: nope/);
  assert.match(e.triggerErrors.get('broken')!, /unexpected end/);
  await e.onEvent('bad', ev('bad', { body: { n: 1 } }));
  await e.onEvent('runtime-bad', ev('runtime-bad', { body: { n: 1 } }));
  assert.match(e.filterErrors.get('runtime-bad')!, /data filter #0 \(path "body.n"\): value "x" is not a number/);
  await e.onEvent('good', ev('good', { body: { n: 1 } }));
  await until('the good trigger', () => e.fired.some((f) => f.trigger === 'good'));
  assert.ok(!e.fired.some((f) => f.trigger === 'bad' || f.trigger === 'rb'));
  assert.ok(logs.some((l) => l.includes('dependency bad: bad filter: exprs filter #0')));
});

test('rate limit spaces the firings; conditionsReset clears held events', async () => {
  const e = engine({ dependencies: [dep('a'), dep('b')], triggers: [logTrigger('limited', 'a', { rateLimit: { unit: 'Second', requestsPerUnit: 10 } }), { template: { name: 'pair', conditions: 'a && b', log: {}, conditionsReset: [{ byTime: { cron: '* * * * * *' } }] } }] });
  const t0 = Date.now();
  for (let i = 0; i < 4; i++) await e.onEvent('a', ev('a', { i }));
  await until('four limited firings', () => e.fired.filter((f) => f.trigger === 'limited').length === 4);
  assert.ok(Date.now() - t0 >= 280, `4 firings at 10/s took ${Date.now() - t0} ms`);
  await sleep(1100); // the per-second reset cleared the held a
  await e.onEvent('b', ev('b', {}));
  await sleep(100);
  assert.equal(e.fired.filter((f) => f.trigger === 'pair').length, 0);
  // back to back (no timer can run between them): both held together
  await e.onEvent('b', ev('b', {}));
  await e.onEvent('a', ev('a', {}));
  await until('the pair', () => e.fired.some((f) => f.trigger === 'pair'));
  e.stop();
});

test('atLeastOnce: acknowledged after the trigger succeeds, not when it fails (redelivery); others at once', async () => {
  const closed = await freePort();
  const e = engine({
    dependencies: [dep('ok'), dep('fail'), dep('plain')],
    triggers: [logTrigger('ok', 'ok', { atLeastOnce: true }), { atLeastOnce: true, template: { name: 'fail', conditions: 'fail', http: { url: `http://127.0.0.1:${closed}/x` } } }, logTrigger('plain', 'plain')],
  });
  const acks: string[] = [];
  await e.onEvent('fail', ev('fail', {}), () => acks.push('fail'));
  await e.onEvent('ok', ev('ok', {}), () => acks.push('ok'));
  await e.onEvent('plain', ev('plain', {}), () => acks.push('plain'));
  await until('both results', () => e.fired.some((f) => f.trigger === 'fail') && e.fired.some((f) => f.trigger === 'ok'));
  assert.match(e.fired.find((f) => f.trigger === 'fail')!.message, /ECONNREFUSED/);
  assert.deepEqual(acks.sort(), ['ok', 'plain']);
});

test('kafka trigger: unreachable broker is a clear error; slack & co: not available in this installation', async () => {
  const closed = await freePort();
  const e = engine({ dependencies: [dep('a')], triggers: [{ template: { name: 'k', kafka: { url: `127.0.0.1:${closed}`, topic: 't' } } }, { template: { name: 'sl', slack: { channel: 'x' } } }, { template: { name: 'aw', awsLambda: { functionName: 'f' } } }] });
  await e.onEvent('a', ev('a', {}));
  await until('three failures', () => e.fired.length === 3);
  const by = Object.fromEntries(e.fired.map((f) => [f.trigger, f]));
  assert.match(by.k!.message, new RegExp(`kafka broker 127.0.0.1:${closed} unreachable: .*ECONNREFUSED`));
  assert.match(by.sl!.message, /the slack trigger is not available in this installation/);
  assert.match(by.aw!.message, /the awsLambda trigger is not available in this installation/);
});

test('http trigger: secureHeaders and basicAuth from Secret files, payload, policy.status.allow; nats trigger publishes the payload', async () => {
  const { startReceiver, writeSecrets, has, startNatsServer } = await import('../testutil.js');
  const rcv = await startReceiver(202);
  const dir = writeSecrets({ api: { token: 'abc\n' }, basic: { user: 'alice', pass: 'pw' } });
  process.env.ARGO_EVENTS_SECRETS_DIR = dir;
  const nats = has('nats-server') ? await startNatsServer() : undefined;
  const { connect } = await import('nats');
  const nc = nats ? await connect({ servers: nats.url }) : undefined;
  const published: unknown[] = [];
  nc?.subscribe('out.subject', { callback: (_e, m) => published.push(JSON.parse(new TextDecoder().decode(m.data))) });
  await nc?.flush();
  try {
    const url = `http://127.0.0.1:${rcv.port}`;
    const e = engine({
      dependencies: [dep('a')],
      triggers: [
        { template: { name: 'ok', http: { url: `${url}/ok`, method: 'PUT', headers: { 'x-plain': '1' }, secureHeaders: [{ name: 'X-Token', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }], basicAuth: { username: { name: 'basic', key: 'user' }, password: { name: 'basic', key: 'pass' } }, payload: [{ src: { dependencyName: 'a', dataKey: 'msg' }, dest: 'message' }] } }, policy: { status: { allow: [200, 202] } } },
        { template: { name: 'refused', http: { url: `${url}/refused` } }, policy: { status: { allow: [200] } } },
        ...(nats ? [{ template: { name: 'nats', nats: { url: nats.url, subject: 'out.subject', payload: [{ src: { dependencyName: 'a', dataKey: 'msg' }, dest: 'm' }] } } }] : []),
      ],
    });
    await e.onEvent('a', ev('a', { msg: 'hello' }));
    await until('the triggers', () => e.fired.length === (nats ? 3 : 2));
    const got = rcv.got.find((g) => g.path === '/ok')!;
    assert.equal(got.method, 'PUT');
    assert.deepEqual(got.body, { message: 'hello' });
    assert.equal(got.headers['x-token'], 'abc');
    assert.equal(got.headers['x-plain'], '1');
    assert.equal(got.headers.authorization, 'Basic ' + Buffer.from('alice:pw').toString('base64'));
    assert.ok(e.fired.find((f) => f.trigger === 'ok')!.ok);
    assert.match(e.fired.find((f) => f.trigger === 'refused')!.message, /answered 202, not one of the allowed 200/);
    if (nats) {
      await until('the nats message', () => published.length === 1);
      assert.deepEqual(published[0], { m: 'hello' });
    }
  } finally {
    delete process.env.ARGO_EVENTS_SECRETS_DIR;
    rcv.close();
    await nc?.close();
    await nats?.stop();
  }
});

test('sensorProblems: what a controller can show as conditions, naming the dependency and filter', () => {
  const p = sensorProblems({ metadata: { name: 's' }, spec: { dependencies: [dep('a', { data: [{ path: 'body.x', type: 'string', value: ['(bad'] }] }), dep('b')], triggers: [logTrigger('t', 'a && c'), logTrigger('ok', 'b')] } });
  assert.match(p.dependencies.a!, /^data filter #0 \(path "body.x"\): invalid regular expression "\(bad"/);
  assert.equal(p.dependencies.b, undefined);
  assert.deepEqual(p.triggers, { t: 'conditions name unknown dependencies: c' });
});
