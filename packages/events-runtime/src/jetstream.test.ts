// JetStream bus (a real nats-server -js, user/password): stream `default`, durable consumers per sensor +
// dependency; conditions `a && b` fire only when both arrived; a sensor killed with SIGKILL gets the events
// published while it was down (no event lost, each triggers).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'nats';
import { connectBus, type Bus } from './bus/index.js';
import { makeLogger, type CloudEvent } from './config.js';
import * as T from './testutil.js';
import { has, startNatsServer, startService, startReceiver, writeSecrets, b64, until, sleep, type Proc } from './testutil.js';

const skip = has('nats-server') ? false : 'nats-server is not installed';
let nats: Awaited<ReturnType<typeof startNatsServer>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let bus: Bus;
let env: Record<string, string>;
let sensor: Proc | undefined;

const ce = (source: string, subject: string, data: unknown): CloudEvent => ({ specversion: '1.0', id: randomUUID(), source, type: 'webhook', subject, time: new Date().toISOString(), datacontenttype: 'application/json', data });

const sensorObj = (url: string) => ({
  metadata: { name: 'js-sensor', namespace: 'argo-events' },
  spec: {
    dependencies: [
      { name: 'a', eventSourceName: 'src', eventName: 'a' },
      { name: 'b', eventSourceName: 'src', eventName: 'b' },
      { name: 'c', eventSourceName: 'src', eventName: 'c' },
    ],
    triggers: [
      { template: { name: 'both', conditions: 'a && b', http: { url: `${url}/both`, payload: [{ src: { dependencyName: 'a', dataKey: 'n' }, dest: 'a' }, { src: { dependencyName: 'b', dataKey: 'n' }, dest: 'b' }] } } },
      { atLeastOnce: true, template: { name: 'each', conditions: 'c', http: { url: `${url}/each`, payload: [{ src: { dependencyName: 'c', dataKey: 'n' }, dest: 'n' }, { src: { dependencyName: 'c', contextKey: 'id' }, dest: 'id' }] } } },
    ],
  },
});

before(async () => {
  if (skip) return;
  nats = await startNatsServer({ jetstream: true, user: 'u', pass: 'p' });
  receiver = await startReceiver();
  const secrets = writeSecrets({ 'eventbus-default-js-client-auth': { 'client-auth': 'username: u\npassword: p\n' } });
  const cfg = { jetstream: { url: nats.url, accessSecret: { name: 'eventbus-default-js-client-auth', key: 'client-auth' }, streamConfig: 'maxMsgs: 100000\nmaxAge: 168h\nmaxBytes: -1\nreplicas: 3\nduplicates: 300s\nretention: 0\ndiscard: 0\n' } };
  env = { EVENTBUS_CONFIG: b64(cfg), EVENTS_BUS_AUTH_DIR: secrets, SENSOR_OBJECT: b64(sensorObj(`http://127.0.0.1:${receiver.port}`)), METRICS_PORT: '0', SENSOR_EVENTS: 'false' };
  bus = await connectBus({ config: cfg, subject: 'unused', log: makeLogger({ test: 'publisher' }), name: 'test-publisher', env: { EVENTS_BUS_AUTH_DIR: secrets }, maxAttempts: 3 });
});

after(async () => {
  await sensor?.stop();
  await bus?.close();
  receiver?.close();
  await nats?.stop();
});

const startSensor = async () => {
  const p = startService('sensor-service', env);
  await until('the sensor to subscribe', () => p.out.some((l) => l.includes('sensor started')), 15_000);
  return p;
};

test('JetStream: stream default over default.>, a durable consumer per sensor and dependency', { skip }, async () => {
  sensor = await startSensor();
  const nc = await connect({ servers: nats.url, user: 'u', pass: 'p' });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info('default');
    assert.deepEqual(info.config.subjects, ['default.>']);
    assert.equal(info.config.max_msgs, 100000);
    const consumers: string[] = [];
    for await (const c of jsm.consumers.list('default')) consumers.push(c.name);
    assert.deepEqual(consumers.sort(), ['js-sensor-a', 'js-sensor-b', 'js-sensor-c']);
  } finally {
    await nc.close();
  }
  await assert.rejects(connectBus({ config: { kafka: { url: '127.0.0.1:1' } }, subject: 'x', log: () => {}, name: 'k', maxAttempts: 1 }), /kafka broker 127.0.0.1:1: .*ECONNREFUSED/);
  await assert.rejects(connectBus({ config: { jetstream: { url: nats.url } }, subject: 'x', log: () => {}, name: 'anon', maxAttempts: 1 }), /unreachable after 1 attempts: .*(Authorization|authorization)/);
});

test('conditions a && b: fires only when both arrived, once per pair', { skip }, async () => {
  await bus.publish(ce('src', 'a', { n: 1 }));
  await sleep(500);
  assert.equal(receiver.got.filter((g) => g.path === '/both').length, 0);
  await bus.publish(ce('src', 'b', { n: 2 }));
  const got = await until('the both trigger', () => receiver.got.find((g) => g.path === '/both'));
  assert.deepEqual(got.body, { a: '1', b: '2' });
  await bus.publish(ce('src', 'b', { n: 3 }));
  await sleep(500);
  assert.equal(receiver.got.filter((g) => g.path === '/both').length, 1);
});

test('sensor killed (SIGKILL): the events published meanwhile are redelivered, each triggers', { skip }, async () => {
  await bus.publish(ce('src', 'c', { n: 0 }));
  await until('the first each trigger', () => receiver.got.some((g) => g.path === '/each'));
  sensor!.proc.kill('SIGKILL');
  await sensor!.stop();
  const ids: string[] = [];
  for (let i = 1; i <= 20; i++) {
    const e = ce('src', 'c', { n: i });
    ids.push(e.id);
    await bus.publish(e);
  }
  sensor = await startSensor();
  // a message the server handed to the killed sensor's last pull request comes back after the
  // consumer's ack wait (30 s): allow for that, not just for the fresh subscription
  await until('all 20 redelivered events to trigger', () => ids.every((id) => receiver.got.some((g) => g.path === '/each' && g.body.id === id)), 50_000);
  const each = receiver.got.filter((g) => g.path === '/each' && ids.includes(g.body.id));
  assert.equal(new Set(each.map((g) => g.body.id)).size, 20);
});

test('a dependency that names another event gets its durable consumer recreated on the new subject', { skip }, async () => {
  const obj = (eventName: string) => T.b64({ metadata: { name: 'moved', namespace: 'argo-events' }, spec: { dependencies: [{ name: 'd', eventSourceName: 'src', eventName }], triggers: [{ template: { name: 'h', http: { url: `http://127.0.0.1:${receiver.port}/moved`, payload: [{ src: { dependencyName: 'd', contextKey: 'subject' }, dest: 's' }] } } }] } });
  const first = startService('sensor-service', { ...env, SENSOR_OBJECT: obj('x') });
  await until('the first sensor', () => first.out.some((l) => l.includes('sensor started')), 15_000);
  await first.stop();
  const second = startService('sensor-service', { ...env, SENSOR_OBJECT: obj('y') });
  try {
    await until('the second sensor', () => second.out.some((l) => l.includes('sensor started')), 15_000);
    assert.ok(second.out.some((l) => l.includes('consumer moved-d filtered default.src.x; recreating it for default.src.y')));
    await bus.publish(ce('src', 'x', {}));
    await bus.publish(ce('src', 'y', {}));
    await until('the trigger for y', () => receiver.got.some((g) => g.path === '/moved'));
    await sleep(300);
    assert.deepEqual(receiver.got.filter((g) => g.path === '/moved').map((g) => g.body.s), ['y']);
  } finally {
    await second.stop();
  }
});
