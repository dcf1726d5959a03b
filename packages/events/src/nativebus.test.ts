// A native EventBus's limits on real nats-servers: the configuration the controller renders for
// `nats.native` (maxAge, maxMsgs, maxBytes, maxSubs, token auth) runs three clustered servers here (the
// in-cluster names and ports swapped for loopback ones), the readiness path answers, and an EventSource's
// bus client (the runtime's connectBus) keeps the channel stream with those limits while events flow over
// core NATS. Skipped with the reason when nats-server is not installed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, StringCodec } from 'nats';
import { busObjects, nativeLimits, CLIENT_PORT, newSecretValue, natsSafeSecret } from './eventbus.js';
import { validateEventBus } from './validate.js';
import { buildDeployment, BUS_LIMITS_DIR } from './workloads.js';

const skip = spawnSync('sh', ['-c', 'command -v nats-server']).status === 0 ? false : 'nats-server is not installed';
const dir = mkdtempSync(join(tmpdir(), 'native-bus-'));
const procs: ChildProcess[] = [];
after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('nativeLimits: upstream defaults, 0 = unlimited, bad values named (and refused by validation)', () => {
  assert.deepEqual(nativeLimits({}), { maxAge: 72 * 3600, maxMsgs: 1_000_000, maxBytes: 1e9, maxSubs: 1000 });
  assert.deepEqual(nativeLimits({ maxAge: '1h30m', maxMsgs: 0, maxBytes: '64Mi', maxSubs: 3 }), { maxAge: 5400, maxMsgs: 0, maxBytes: 64 * 1024 * 1024, maxSubs: 3 });
  assert.equal(validateEventBus({ spec: { nats: { native: { maxAge: 'forever' } } } }), '"spec.nats.native.maxAge" "forever" is not a valid duration (e.g. 72h)');
  assert.equal(validateEventBus({ spec: { nats: { native: { maxBytes: 'lots' } } } }), '"spec.nats.native.maxBytes" "lots" is not a valid size (e.g. 1GB)');
  assert.equal(validateEventBus({ spec: { nats: { native: { maxMsgs: -2 } } } }), '"spec.nats.native.maxMsgs" -2 is not a valid count');
  const o = busObjects({ metadata: { name: 'default', namespace: 'ns', uid: 'u' }, spec: { nats: { native: { maxMsgs: 5 } } } }, {});
  assert.equal(o.config.nats!.limitsConfigMap, 'eventbus-default-stan-configmap');
  assert.deepEqual(JSON.parse(o.configMap!.data['limits.json']), { maxAge: 259200, maxMsgs: 5, maxBytes: 1e9, maxSubs: 1000 });
  // the EventSource pods mount limits.json (a changed limit reaches them without a roll); Sensors do not need it
  const es = buildDeployment({ obj: { metadata: { name: 'wh', namespace: 'ns', uid: 'e' }, spec: { webhook: { ex: { port: '12000', endpoint: '/x', method: 'POST' } } } }, kind: 'EventSource', bus: o.config, image: 'i' });
  const esPod = es.spec.template.spec;
  assert.deepEqual(esPod.volumes.find((v: any) => v.name === 'bus-limits-volume').configMap, { name: 'eventbus-default-stan-configmap', optional: true, items: [{ key: 'limits.json', path: 'limits.json' }] });
  assert.ok(esPod.containers[0].volumeMounts.some((m: any) => m.mountPath === BUS_LIMITS_DIR));
  const sn = buildDeployment({ obj: { metadata: { name: 's', namespace: 'ns', uid: 's' }, spec: {} }, kind: 'Sensor', bus: o.config, image: 'i' });
  assert.ok(!sn.spec.template.spec.volumes.some((v: any) => v.name === 'bus-limits-volume'));
  // a changed maxMsgs changes limits.json only: the EventSource's pod template (and so its pods) stay
  const o2 = busObjects({ metadata: { name: 'default', namespace: 'ns', uid: 'u' }, spec: { nats: { native: { maxMsgs: 6 } } } }, {});
  assert.deepEqual(o2.config, o.config);
  assert.equal(o2.statefulSet!.spec.template.metadata.annotations['events.argoproj.io/config-hash'], o.statefulSet!.spec.template.metadata.annotations['events.argoproj.io/config-hash']);
  const c = o.statefulSet!.spec.template.spec.containers[0];
  assert.equal(c.readinessProbe.httpGet.path, '/healthz?js-enabled-only=true');
  assert.ok(c.volumeMounts.some((m: any) => m.mountPath === '/data/stan'));
  assert.ok(o.statefulSet!.spec.template.spec.volumes.some((v: any) => v.name === 'stan-data' && v.emptyDir));
});

test('native bus on three real nats-servers: the channel stream carries maxAge/maxMsgs/maxBytes/maxSubs; events flow over core NATS', { skip }, async () => {
  const bus = { metadata: { name: 'default', namespace: 'ns', uid: 'u' }, spec: { nats: { native: { replicas: 3, auth: 'token', maxAge: '1h', maxMsgs: 5, maxBytes: '10MB', maxSubs: 4 } } } };
  const objs = busObjects(bus, { token: 'bus-token' });
  const conf: string = objs.configMap!.data['nats.conf'];
  const ports = await Promise.all([0, 1, 2].map(async () => ({ client: await freePort(), cluster: await freePort(), http: await freePort() })));
  ports.forEach((p, i) => {
    const store = join(dir, `store-${i}`);
    mkdirSync(store);
    const local = conf
      .replace(`port: ${CLIENT_PORT}`, `port: ${p.client}\nhost: 127.0.0.1`)
      .replace(/^http: \d+$/m, `http: 127.0.0.1:${p.http}`)
      .replace(/listen: "0\.0\.0\.0:\d+"/, `listen: "127.0.0.1:${p.cluster}"`)
      .replace(/nats:\/\/eventbus-default-stan-(\d)\.[^"]+/g, (_m, n: string) => `nats://127.0.0.1:${ports[Number(n)]!.cluster}`)
      .replace('"/data/stan/store"', JSON.stringify(store));
    const f = join(dir, `nats-${i}.conf`);
    writeFileSync(f, local);
    const p2 = spawn('nats-server', ['--config', f], { env: { ...process.env, POD_NAME: `eventbus-default-stan-${i}`, NATS_TOKEN: 'bus-token' }, stdio: 'ignore' });
    procs.push(p2);
  });
  // the readiness path the StatefulSet probes
  for (const p of ports) await until(`server :${p.client} ready`, async () => (await fetch(`http://127.0.0.1:${p.http}/healthz?js-enabled-only=true`)).ok);

  writeFileSync(join(dir, 'client-auth'), 'bus-token');
  mkdirSync(join(dir, 'auth', objs.config.nats!.accessSecret!.name), { recursive: true });
  writeFileSync(join(dir, 'auth', objs.config.nats!.accessSecret!.name, objs.config.nats!.accessSecret!.key), 'bus-token');
  const limitsDir = join(dir, 'limits');
  mkdirSync(limitsDir);
  writeFileSync(join(limitsDir, 'limits.json'), objs.configMap!.data['limits.json']);
  const servers = ports.map((p) => `nats://127.0.0.1:${p.client}`).join(',');
  const config = { nats: { ...objs.config.nats!, url: servers } };
  const rt = await import('@flotilla/events-runtime' as string);
  const logs: string[] = [];
  const publisher = await rt.connectBus({ config, subject: 'eventbus-ns', log: (_l: string, m: string) => void logs.push(m), name: 'es', env: { EVENTS_BUS_AUTH_DIR: join(dir, 'auth'), EVENTS_BUS_LIMITS_DIR: limitsDir }, publisher: true, maxAttempts: 5 });
  const nc = await connect({ servers: servers.split(','), token: 'bus-token' });
  try {
    // JetStream answers once the three servers have elected a meta leader (under load, after seconds: a
    // CI run's first request timed out at 5 s)
    const jsm = await until('JetStream answering on the cluster', () => nc.jetstreamManager(), 40_000);
    // the stream's replicas elect a leader before they store anything (core publishes meanwhile are only live)
    const info = await until('the channel stream and its leader', async () => {
      const i = await jsm.streams.info('eventbus-ns');
      return i.cluster?.leader ? i : undefined;
    }, 40_000);
    assert.deepEqual(info.config.subjects, ['eventbus-ns.>']);
    assert.equal(info.config.max_msgs, 5);
    assert.equal(info.config.max_age, 3600 * 1e9);
    assert.equal(info.config.max_bytes, 10_000_000);
    assert.equal(info.config.max_consumers, 4);
    assert.equal(info.config.discard, 'old');
    assert.equal(info.config.num_replicas, 3, logs.join('\n'));

    // the stream's interest reaches the publisher's server over the routes a moment after its leader is
    // elected (a CI run's 8 events were all published before it and none stored): probe until one is
    await until('the stream storing what the bus publishes', async () => {
      await publisher.publish({ specversion: '1.0', id: 'probe', source: 'wh', type: 'webhook', subject: 'ex', time: new Date().toISOString(), datacontenttype: 'application/json', data: {} });
      return (await jsm.streams.info('eventbus-ns')).state.last_seq > 0;
    }, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const base = (await jsm.streams.info('eventbus-ns')).state.last_seq;
    const sc = StringCodec();
    const got: string[] = [];
    nc.subscribe('eventbus-ns.>', { callback: (_e, m) => got.push(JSON.parse(sc.decode(m.data)).id) });
    await nc.flush();
    for (let i = 1; i <= 8; i++) await publisher.publish({ specversion: '1.0', id: `e${i}`, source: 'wh', type: 'webhook', subject: 'ex', time: new Date().toISOString(), datacontenttype: 'application/json', data: { i } });
    await until('8 events over core NATS', async () => got.length === 8);
    let lastState: unknown;
    const state = await until("the stream trimmed to maxMsgs", async () => {
      const s = (await jsm.streams.info('eventbus-ns')).state;
      lastState = s;
      return s.last_seq === base + 8 && s;
    }).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(lastState)}`);
    });
    assert.equal(state.messages, 5, "maxMsgs keeps the newest 5");
    assert.equal(state.first_seq, base + 4);

    // maxSubs: the channel allows 4 subscriptions (durable consumers)
    for (let i = 0; i < 4; i++) await jsm.consumers.add('eventbus-ns', { durable_name: `sub-${i}`, ack_policy: 'explicit' as never });
    await assert.rejects(jsm.consumers.add('eventbus-ns', { durable_name: 'sub-4', ack_policy: 'explicit' as never }), /maximum consumers/i);

    // a changed limit on the bus reaches the stream the next time an EventSource connects
    const dir2 = join(dir, 'limits2');
    mkdirSync(dir2);
    writeFileSync(join(dir2, 'limits.json'), JSON.stringify({ ...JSON.parse(objs.configMap!.data['limits.json']), maxMsgs: 2 }));
    const again = await rt.connectBus({ config, subject: 'eventbus-ns', log: (_l: string, m: string) => void logs.push(m), name: 'es2', env: { EVENTS_BUS_AUTH_DIR: join(dir, 'auth'), EVENTS_BUS_LIMITS_DIR: dir2 }, publisher: true, maxAttempts: 5 });
    await until('maxMsgs 2 applied', async () => (await jsm.streams.info('eventbus-ns')).state.messages === 2);
    await again.close();
  } finally {
    await publisher.close();
    await nc.close();
  }
});

test('generated bus credentials are strings to nats-server: the rendered native and JetStream configurations parse with them (no "9e3f…" parse error, no number)', { skip }, () => {
  const check = (conf: string, env: Record<string, string>) => {
    const f = join(dir, `cred-${Math.random().toString(36).slice(2)}.conf`);
    writeFileSync(f, conf);
    const r = spawnSync('nats-server', ['-c', f, '-t'], { env: { ...process.env, POD_NAME: 'eventbus-default-stan-0', ...env }, encoding: 'utf8' });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
  };
  // what an older controller's hex could be: a token nats-server cannot read (its pods crash-loop)
  const native = busObjects({ apiVersion: 'argoproj.io/v1alpha1', kind: 'EventBus', metadata: { name: 'default', namespace: 'argo-events', uid: 'u' }, spec: { nats: { native: { auth: 'token' } } } }, { token: 'x' });
  const nativeConf = native.configMap!.data['nats.conf'];
  assert.match(check(nativeConf, { NATS_TOKEN: '9e3f0a' }).out, /variable reference for 'NATS_TOKEN'.*could not be parsed/);
  assert.equal(natsSafeSecret('9e3f0a'), false);
  // 300 generated values, each the token of the rendered native configuration and a JetStream password
  const values = Array.from({ length: 300 }, () => newSecretValue());
  const users = `port: -1\nauthorization {\n  users: [\n${values.map((_, i) => `    { user: u${i}, password: $P${i} }`).join('\n')}\n  ]\n}\n`;
  const r = check(users, Object.fromEntries(values.map((v, i) => [`P${i}`, v])));
  assert.ok(r.ok, r.out);
  for (const v of values.slice(0, 5)) assert.ok(check(nativeConf, { NATS_TOKEN: v }).ok, v);
  const js = busObjects({ apiVersion: 'argoproj.io/v1alpha1', kind: 'EventBus', metadata: { name: 'js', namespace: 'argo-events', uid: 'u' }, spec: { jetstream: { version: 'latest', replicas: 3 } } }, { user: `u${newSecretValue(6)}`, password: newSecretValue() });
  assert.ok(check(js.configMap!.data['nats.conf'], { POD_NAME: 'eventbus-js-js-0', JS_USER: `u${newSecretValue(6)}`, JS_PASSWORD: values[0]! }).ok);
  assert.ok(values.every((v) => natsSafeSecret(v) && v.length === 48));
});
