// The bus client against real nats-servers: reaching every server of a bus named by a headless Service
// (whose first address may accept connections and never answer), and telling its state (connects,
// failures, a lost connection) to a listener, as the EventSource/Sensor services record it in Events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { createServer, type Server, type Socket } from 'node:net';
import { connect } from 'nats';
import { connectBus, expandServers } from './bus/index.js';
import { busEventMessage, busEventReporter, type BusState } from './bus/report.js';
import { has, startNatsServer, freePort, until, writeSecrets } from './testutil.js';
import type { Logger } from './config.js';

const skip = has('nats-server') ? false : 'nats-server is not installed';
const quiet: Logger = () => {};
const NAME = 'eventbus-default-stan-svc.argo-events.svc';

/**
 * The resolver a pod has (measured in an EventSource pod on `flotilla up`): a DNS query for the short
 * Service name `svc.ns.svc` (what the nats client's own resolution sends: no search path) answers
 * nothing; getaddrinfo (search path `ns.svc.cluster.local …`) gives every server of the headless
 * Service, in the answer's order. Restored by the returned function.
 */
function podResolver(addresses: string[]): () => void {
  const saved = { lookup: dns.lookup, resolve4: dns.resolve4, resolve6: dns.resolve6 };
  const nodata = (name: string, cb: (e: Error) => void) => cb(Object.assign(new Error(`queryA ENODATA ${name}`), { code: 'ENODATA' }));
  const d = dns as unknown as Record<string, unknown>;
  d.resolve4 = (name: string, ...a: unknown[]) => (name === NAME ? nodata(name, a.at(-1) as (e: Error) => void) : (saved.resolve4 as any)(name, ...a));
  d.resolve6 = (name: string, ...a: unknown[]) => (name === NAME ? nodata(name, a.at(-1) as (e: Error) => void) : (saved.resolve6 as any)(name, ...a));
  d.lookup = (host: string, opts: any, cb?: any) => {
    if (typeof opts === 'function') [cb, opts] = [opts, {}];
    if (host !== NAME) return (saved.lookup as any)(host, opts, cb);
    const all = addresses.map((address) => ({ address, family: 4 }));
    return opts?.all ? process.nextTick(cb, null, all) : process.nextTick(cb, null, all[0]!.address, 4);
  };
  return () => Object.assign(d, saved);
}

/** A listener that accepts connections and never says a word (a stopped or wedged server). */
async function silentServer(host: string, port: number): Promise<{ close(): void }> {
  const socks: Socket[] = [];
  const s: Server = createServer((c) => socks.push(c));
  await new Promise<void>((r) => s.listen(port, host, () => r()));
  return { close: () => (socks.forEach((c) => c.destroy()), s.close()) };
}

const busOpts = (port: number, authDir: string, extra: object = {}) => ({
  config: { nats: { url: `nats://${NAME}:${port}`, auth: 'token' as const, accessSecret: { name: 'eventbus-default-client', key: 'client-auth' } } },
  env: { EVENTS_BUS_AUTH_DIR: authDir },
  subject: 'eventbus-argo-events',
  log: quiet,
  name: 'bus-test',
  backoffMs: 10,
  ...extra,
});

test('a bus Service whose first address accepts connections but never answers: connectBus reaches the other server', { skip, timeout: 60_000 }, async () => {
  const nats = await startNatsServer({ token: 'tok' });
  const silent = await silentServer('127.0.0.2', nats.port);
  const restore = podResolver(['127.0.0.2', '127.0.0.1']);
  const authDir = writeSecrets({ 'eventbus-default-client': { 'client-auth': 'tok' } });
  try {
    const t0 = Date.now();
    // before: every attempt dialled the name, whose first address took it, and timed out there (TIMEOUT)
    const bus = await connectBus(busOpts(nats.port, authDir, { maxAttempts: 2 }));
    const took = Date.now() - t0;
    assert.ok(bus.connected);
    assert.ok(took < 12_000, `connected in ${took} ms`);
    // and it is the real bus: a message goes round
    const got: unknown[] = [];
    await bus.subscribe('s', [{ name: 'd', eventSourceName: 'es', eventName: 'e' }], (_d, ev) => got.push(ev.data));
    await bus.publish({ specversion: '1.0', id: '1', source: 'es', type: 'webhook', subject: 'e', time: new Date().toISOString(), datacontenttype: 'application/json', data: { n: 1 } });
    await until('the event back', () => got.length === 1);
    await bus.close();
  } finally {
    restore();
    silent.close();
    await nats.stop();
  }
});

test('expandServers: a name becomes its addresses (random order) then itself; addresses, tls and ws URLs stay as given', async () => {
  const lookup = async (h: string) => (h === 'svc.ns.svc' ? ['10.0.0.1', '10.0.0.2', 'fd00::1'] : []);
  const out = await expandServers(['nats://svc.ns.svc:4222'], lookup);
  assert.deepEqual([...out.slice(0, 3)].sort(), ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222', 'nats://[fd00::1]:4222']);
  assert.equal(out[3], 'nats://svc.ns.svc:4222');
  assert.deepEqual(await expandServers(['nats://u:p@svc.ns.svc'], async () => ['10.0.0.9']), ['nats://u:p@10.0.0.9:4222', 'nats://u:p@svc.ns.svc']);
  assert.deepEqual(await expandServers(['nats://10.1.1.1:4222', 'tls://svc.ns.svc:4222', 'nats://nowhere:1'], lookup), ['nats://10.1.1.1:4222', 'tls://svc.ns.svc:4222', 'nats://nowhere:1']);
});

test('connectBus tells its listener each failure, the connect, and a connection lost for longer than the grace period and back', { skip, timeout: 60_000 }, async () => {
  const port = await freePort();
  const authDir = writeSecrets({ 'eventbus-default-client': { 'client-auth': 'tok' } });
  const states: BusState[] = [];
  const restore = podResolver(['127.0.0.1']);
  let nats = undefined as Awaited<ReturnType<typeof startNatsServer>> | undefined;
  try {
    const pending = connectBus(busOpts(port, authDir, { onState: (s: BusState) => states.push(s), lostGraceMs: 500 }));
    await until('two failed attempts', () => states.filter((s) => !s.connected).length >= 2);
    assert.match(states[0]!.error!, /CONNECTION_REFUSED|ECONNREFUSED/);
    nats = await startNatsServer({ token: 'tok', port });
    const bus = await pending;
    assert.deepEqual(states.at(-1), { connected: true });
    assert.ok(bus.connected);
    // the server goes away: not connected after the grace period, told once; back when it is back
    const n = states.length;
    await nats.stop();
    await until('the loss reported', () => states.length > n, 10_000);
    assert.equal(states[n]!.connected, false);
    assert.match(states[n]!.error!, /connection lost/);
    assert.equal(bus.connected, false);
    nats = await startNatsServer({ token: 'tok', port });
    await until('reconnected', () => states.at(-1)?.connected === true, 15_000);
    assert.ok(bus.connected);
    await bus.close();
  } finally {
    restore();
    await nats?.stop();
  }
});

test('busEventReporter: a Warning EventBusUnreachable per failure naming the bus, its servers and the error; one EventBusConnected per recovery', () => {
  const rec: { type: string; reason: string; message: string; obj: string }[] = [];
  const sink = { event: (obj: any, type: 'Normal' | 'Warning', reason: string, message: string) => rec.push({ obj: obj.metadata.name, type, reason, message }) };
  const report = busEventReporter(sink, { apiVersion: 'argoproj.io/v1alpha1', kind: 'EventSource', metadata: { name: 'webhook', namespace: 'argo-events', uid: 'u1' } }, 'default', { nats: { url: 'nats://eventbus-default-stan-svc.argo-events.svc:4222' } }, quiet);
  report({ connected: false, error: 'TIMEOUT' });
  report({ connected: false, error: 'TIMEOUT' });
  report({ connected: true });
  report({ connected: true });
  assert.deepEqual(rec.map((r) => `${r.type} ${r.reason}`), ['Warning EventBusUnreachable', 'Warning EventBusUnreachable', 'Normal EventBusConnected']);
  assert.equal(rec[0]!.message, 'EventBus "default" (nats://eventbus-default-stan-svc.argo-events.svc:4222) unreachable: TIMEOUT');
  assert.equal(rec[0]!.obj, 'webhook');
  assert.equal(busEventMessage('b', 'x', { connected: true }).message, 'connected to EventBus "b" (x)');
  // no Kubernetes API (or no permission): nothing recorded, nothing thrown
  busEventReporter(undefined, { metadata: { name: 'x' } }, 'default', {}, quiet)({ connected: false, error: 'e' });
});

test('JetStream: a Sensor subscribing while the stream is missing retries and creates it again, instead of failing (and its pod crash-looping)', { skip, timeout: 60_000 }, async () => {
  const nats = await startNatsServer({ jetstream: true, user: 'u', pass: 'p' });
  const authDir = writeSecrets({ js: { 'client-auth': 'username: u\npassword: p\n' } });
  const nc = await connect({ servers: nats.url, user: 'u', pass: 'p' });
  const bus = await connectBus({ config: { jetstream: { url: nats.url, accessSecret: { name: 'js', key: 'client-auth' } } }, env: { EVENTS_BUS_AUTH_DIR: authDir }, subject: 'x', log: quiet, name: 'bus-test' });
  try {
    (bus as unknown as { retryMs: number }).retryMs = 100;
    // JetStream loses the stream between the connect (which made it) and the subscription
    await (await nc.jetstreamManager()).streams.delete('default');
    const got: unknown[] = [];
    await bus.subscribe('sn', [{ name: 'd', eventSourceName: 'es', eventName: 'e' }], (_d, ev, ack) => (got.push(ev.data), ack()));
    await bus.publish({ specversion: '1.0', id: 'j1', source: 'es', type: 'webhook', subject: 'e', time: new Date().toISOString(), datacontenttype: 'application/json', data: { n: 1 } });
    await until('the event through the recreated stream', () => got.length === 1);
  } finally {
    await bus.close();
    await nc.close();
    await nats.stop();
  }
});
