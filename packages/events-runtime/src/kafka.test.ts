// Kafka (kafkajs) as the bus, the source and the trigger. No Kafka server is part of this machine, so the
// client is exercised against what is here: a closed port (refused), a peer that accepts and hangs up
// (not Kafka), and the spec → client configuration. Each failure must name the broker, and the rest of the
// service must keep running (the services stay up, retry with back-off, answer 503 on /readyz).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { brokersOf, kafkaConfig, kafkaCause } from './kafka.js';
import { connectBus } from './bus/index.js';
import { SensorEngine } from './sensor/engine.js';
import { freePort, startService, b64, until } from './testutil.js';

/** A TCP peer that accepts and closes every connection at once: reachable, but not Kafka. */
async function hangUpPeer(): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

test('brokersOf: upstream url lists, default port, schemes dropped', () => {
  assert.deepEqual(brokersOf('kafka:9092'), ['kafka:9092']);
  assert.deepEqual(brokersOf('a:1, b ,kafka://c:3/'), ['a:1', 'b:9092', 'c:3']);
  assert.deepEqual(brokersOf(''), []);
});

test('kafkaConfig: tls and sasl from Secrets; an unknown mechanism or no url is a clear error', async () => {
  const secrets: Record<string, string> = { 'k/user': 'alice\n', 'k/pass': 'pw', 'k/ca': 'CA', 'k/crt': 'CRT', 'k/key': 'KEY' };
  const read = async (sel: { name: string; key: string } | undefined) => (sel ? secrets[`${sel.name}/${sel.key}`] : undefined);
  const c = await kafkaConfig(
    {
      url: 'b1:9093,b2',
      tls: { caCertSecret: { name: 'k', key: 'ca' }, clientCertSecret: { name: 'k', key: 'crt' }, clientKeySecret: { name: 'k', key: 'key' } },
      sasl: { mechanism: 'SCRAM-SHA-512', userSecret: { name: 'k', key: 'user' }, passwordSecret: { name: 'k', key: 'pass' } },
    },
    'id',
    read,
  );
  assert.deepEqual(c.brokers, ['b1:9093', 'b2:9092']);
  assert.deepEqual(c.sasl, { mechanism: 'scram-sha-512', username: 'alice', password: 'pw' });
  assert.deepEqual(c.ssl, { rejectUnauthorized: true, ca: ['CA'], cert: 'CRT', key: 'KEY' });
  const plain = await kafkaConfig({ url: 'b', sasl: { userSecret: { name: 'k', key: 'user' }, passwordSecret: { name: 'k', key: 'pass' } } }, 'id', read);
  assert.equal((plain.sasl as { mechanism: string }).mechanism, 'plain', "upstream's default mechanism is PLAIN");
  assert.equal((await kafkaConfig({ url: 'b', tls: { insecureSkipVerify: true } }, 'id', read)).ssl && true, true);
  await assert.rejects(kafkaConfig({ url: 'b', sasl: { mechanism: 'GSSAPI' } }, 'id', read), /sasl mechanism "GSSAPI" is not supported/);
  await assert.rejects(kafkaConfig({ url: '' }, 'id', read), /kafka: url is required/);
  assert.equal(kafkaCause({ message: 'outer', originalError: { message: 'Connection error: connect ECONNREFUSED 1.2.3.4:9' } }), 'connect ECONNREFUSED 1.2.3.4:9');
});

test('Kafka bus: a refused broker and a peer that is not Kafka are named; the back-off grows', async () => {
  const closed = await freePort();
  const logs: string[] = [];
  await assert.rejects(
    connectBus({ config: { kafka: { url: `127.0.0.1:${closed}` } }, subject: 'eventbus-ns', log: (_l, m) => void logs.push(m), name: 'k', maxAttempts: 3, backoffMs: 50 }),
    new RegExp(`event bus unreachable after 3 attempts: kafka broker 127.0.0.1:${closed}: connect ECONNREFUSED`),
  );
  assert.deepEqual(
    logs.filter((m) => m.startsWith('event bus unreachable')).map((m) => /retrying in (\d+) ms/.exec(m)?.[1]),
    ['50', '100'],
  );
  assert.ok(logs.every((m) => !m.startsWith('event bus unreachable') || m.includes(`kafka broker 127.0.0.1:${closed}`)), logs.join('\n'));
  const peer = await hangUpPeer();
  try {
    await assert.rejects(connectBus({ config: { kafka: { url: `127.0.0.1:${peer.port}` } }, subject: 'eventbus-ns', log: () => {}, name: 'k', maxAttempts: 1 }), new RegExp(`kafka broker 127.0.0.1:${peer.port}: Closed connection`));
  } finally {
    peer.server.close();
  }
  await assert.rejects(connectBus({ config: { kafka: { topic: 't' } }, subject: 'x', log: () => {}, name: 'k' }), /EVENTBUS_CONFIG: kafka without url/);
});

test('kafka trigger: a failure names the broker, is retried per retryStrategy, then the DLQ trigger fires; other triggers run', async () => {
  const peer = await hangUpPeer();
  const logs: string[] = [];
  const e = new SensorEngine({
    sensor: {
      metadata: { name: 's', namespace: 'ns' },
      spec: {
        dependencies: [{ name: 'a', eventSourceName: 'src', eventName: 'a' }],
        triggers: [
          { template: { name: 'k', kafka: { url: `127.0.0.1:${peer.port}`, topic: 't', payload: [{ src: { dependencyName: 'a', dataKey: 'body' }, dest: 'x' }] } }, retryStrategy: { steps: 2, duration: '10ms' }, dlqTrigger: { template: { name: 'dlq', log: {} } } },
          { template: { name: 'other', log: {} } },
        ],
      },
    },
    namespace: 'ns',
    log: (_l, m) => void logs.push(m),
    kube: () => {
      throw new Error('no Kubernetes API in this test');
    },
  });
  try {
    await e.onEvent('a', { specversion: '1.0', id: '1', source: 'src', type: 'webhook', subject: 'a', time: new Date().toISOString(), datacontenttype: 'application/json', data: { body: 1 } });
    await until('the kafka trigger to give up', () => e.fired.some((f) => f.trigger === 'k'), 30_000);
    const by = Object.fromEntries(e.fired.map((f) => [f.trigger, f]));
    assert.match(by.k!.message, new RegExp(`kafka broker 127.0.0.1:${peer.port} unreachable: Closed connection`));
    assert.equal(by.k!.ok, false);
    assert.equal(by.other!.ok, true);
    await until('the DLQ trigger', () => e.fired.some((f) => f.trigger === 'k/dlq' && f.ok), 5000);
  } finally {
    e.stop();
    peer.server.close();
  }
});

test('eventsource-service and sensor-service on an unreachable Kafka bus: stay up, retry, log the broker, not ready', async () => {
  const closed = await freePort();
  const bus = b64({ kafka: { url: `127.0.0.1:${closed}`, topic: 'argo-events-default' } });
  const [m1, m2] = [await freePort(), await freePort()];
  const es = startService('eventsource-service', {
    EVENTBUS_CONFIG: bus,
    METRICS_PORT: String(m1),
    EVENTSOURCE_OBJECT: b64({ metadata: { name: 'wh', namespace: 'ns' }, spec: { webhook: { ex: { endpoint: '/x', port: String(await freePort()), method: 'POST' } } } }),
  });
  const sn = startService('sensor-service', {
    EVENTBUS_CONFIG: bus,
    METRICS_PORT: String(m2),
    SENSOR_EVENTS: 'false',
    SENSOR_OBJECT: b64({ metadata: { name: 's', namespace: 'ns' }, spec: { dependencies: [{ name: 'd', eventSourceName: 'wh', eventName: 'ex' }], triggers: [{ template: { name: 't', log: {} } }] } }),
  });
  try {
    for (const p of [es, sn]) {
      await until('two failed connects', () => p.out.filter((l) => l.includes('event bus unreachable (retrying in') && l.includes(`kafka broker 127.0.0.1:${closed}`)).length >= 2, 20_000);
      assert.equal(p.proc.exitCode, null, 'the service keeps running');
    }
    for (const port of [m1, m2]) assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 503);
  } finally {
    await es.stop();
    await sn.stop();
  }
});
