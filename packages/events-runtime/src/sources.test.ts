// eventsource-service as a process against the real things on this machine: calendar, file, redis pub/sub,
// redis streams (consumer group), nats, github / gitlab receivers (signatures, tokens, event filters),
// mqtt (mosquitto) and amqp (RabbitMQ) when installed. Events are observed on the bus (core NATS).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, appendFileSync, renameSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, StringCodec } from 'nats';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { has, freePort, startNatsServer, startRedis, startService, writeSecrets, b64, until, sleep, waitPort, type Proc } from './testutil.js';

const skip = has('nats-server') ? false : 'nats-server is not installed';
const noRedis = has('redis-server') ? false : 'redis-server is not installed';
const noMqtt = has('mosquitto') || has('/usr/sbin/mosquitto') ? false : 'mosquitto is not installed';
const noAmqp = has('rabbitmq-server') || has('/usr/lib/rabbitmq/bin/rabbitmq-server') ? false : 'rabbitmq-server is not installed (amqp source not exercised here)';
let nats: Awaited<ReturnType<typeof startNatsServer>>;
let redis: (Proc & { port: number }) | undefined;
let mosq: Proc | undefined;
let mqttPort = 0;
let es: Proc;
let dir: string;
let ghPort: number;
let kafkaPort: number;
let latePort = 0;
const msgs: any[] = [];
let watcher: Awaited<ReturnType<typeof connect>>;
const today = new Date().toISOString().slice(0, 10);

const events = (name: string) => msgs.filter((m) => m.subject === name);

before(async () => {
  if (skip) return;
  nats = await startNatsServer({ token: 'tok' });
  if (!noRedis) redis = await startRedis();
  if (!noMqtt) {
    mqttPort = await freePort();
    const conf = join(mkdtempSync(join(tmpdir(), 'mosq-')), 'm.conf');
    writeFileSync(conf, `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\n`);
    const p = spawn(has('mosquitto') ? 'mosquitto' : '/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
    mosq = { proc: p, out: [], stop: async () => void p.kill('SIGTERM') };
    await waitPort(mqttPort);
  }
  dir = mkdtempSync(join(tmpdir(), 'file-src-'));
  writeFileSync(join(dir, 'existing.txt'), 'x');
  ghPort = await freePort();
  kafkaPort = await freePort();
  const secrets = writeSecrets({ bus: { token: 'tok' }, gh: { secret: 'gh-secret' }, gl: { token: 'gl-token' }, natsauth: { token: 'tok' } });
  watcher = await connect({ servers: nats.url, token: 'tok' });
  const sc = StringCodec();
  watcher.subscribe('eventbus-ns.>', { callback: (_e, m) => msgs.push(JSON.parse(sc.decode(m.data))) });
  const spec: Record<string, unknown> = {
    calendar: { tick: { interval: '1s', metadata: { kind: 'tick' } }, every: { schedule: '@every 1s' }, excluded: { interval: '1s', exclusionDates: [today] }, bad: { schedule: 'not a cron' } },
    file: { any: { watchPathConfig: { directory: dir, pathRegexp: '\\.txt$' } }, creates: { eventType: 'CREATE', watchPathConfig: { directory: dir, path: 'a.txt' } } },
    nats: { sub: { url: nats.url, subject: 'foo.*', jsonBody: true, auth: { token: { name: 'natsauth', key: 'token' } } } },
    kafka: { k: { url: `127.0.0.1:${kafkaPort}`, topic: 'events' } },
    amqp: { q: { url: `amqp://guest:guest@127.0.0.1:${kafkaPort}`, exchangeName: 'ex', exchangeType: 'topic', routingKey: 'k' } },
    github: { gh: { webhook: { port: String(ghPort), endpoint: '/github', method: 'POST' }, events: ['push'], webhookSecret: { name: 'gh', key: 'secret' } } },
    gitlab: { gl: { webhook: { port: String(ghPort), endpoint: '/gitlab', method: 'POST' }, events: ['PushEvents'], secretToken: { name: 'gl', key: 'token' } } },
  };
  if (redis) {
    spec.redis = { news: { hostAddress: `127.0.0.1:${redis.port}`, channels: ['news*'], jsonBody: true } };
    latePort = await freePort();
    spec.redis = { ...(spec.redis as object), late: { hostAddress: `127.0.0.1:${latePort}`, channels: ['late'] } };
    spec.redisStream = { orders: { hostAddress: `127.0.0.1:${redis.port}`, streams: ['orders'], consumerGroup: 'cg' } };
  }
  if (mosq) spec.mqtt = { topic: { url: `tcp://127.0.0.1:${mqttPort}`, topic: 'sensors/#', clientId: 'es-test', jsonBody: true } };
  es = startService('eventsource-service', {
    EVENTSOURCE_OBJECT: b64({ metadata: { name: 'many', namespace: 'ns' }, spec }),
    EVENTBUS_CONFIG: b64({ nats: { url: nats.url, auth: 'token', accessSecret: { name: 'bus', key: 'token' } } }),
    EVENT_BUS_SUBJECT: 'eventbus-ns',
    EVENTS_BUS_AUTH_DIR: secrets,
    ARGO_EVENTS_SECRETS_DIR: secrets,
    METRICS_PORT: '0',
  });
  await until('every source to start', () => es.out.some((l) => l.includes('started github event gh')) && es.out.some((l) => l.includes('started gitlab event gl')) && es.out.some((l) => l.includes('started nats event sub')) && es.out.some((l) => l.includes('started file event any')) && (!redis || es.out.some((l) => l.includes('started redisStream'))) && (!mosq || es.out.some((l) => l.includes('started mqtt'))), 15_000);
});

after(async () => {
  await es?.stop();
  await watcher?.close();
  await redis?.stop();
  await mosq?.stop();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('calendar: interval and @every ticks with metadata; an exclusion date (today) suppresses; a bad schedule is reported', { skip }, async () => {
  const e = await until('two ticks', () => events('tick').length >= 2 && events('tick'), 5000);
  assert.equal(e[0].type, 'calendar');
  assert.match(e[0].data.eventTime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? \+0000 UTC$/);
  assert.deepEqual(e[0].data.metadata, { kind: 'tick' });
  assert.equal(events('excluded').length, 0);
  await until('an @every tick', () => events('every').length >= 1, 5000);
  assert.ok(es.out.some((l) => l.includes('failed to start calendar event bad') && l.includes('invalid schedule')));
});

test('file: CREATE, WRITE, CHMOD, RENAME, REMOVE; eventType and path filters', { skip }, async () => {
  const ops = () => events('any').map((m) => `${m.data.op} ${m.data.name.slice(dir.length + 1)}`);
  writeFileSync(join(dir, 'a.txt'), 'hello');
  await until('CREATE a.txt', () => ops().includes('CREATE a.txt'));
  appendFileSync(join(dir, 'a.txt'), ' more');
  await until('WRITE a.txt', () => ops().includes('WRITE a.txt'));
  chmodSync(join(dir, 'a.txt'), 0o600);
  await until('CHMOD a.txt', () => ops().includes('CHMOD a.txt'));
  renameSync(join(dir, 'a.txt'), join(dir, 'b.txt'));
  await until('RENAME a.txt', () => ops().includes('RENAME a.txt'));
  rmSync(join(dir, 'b.txt'));
  await until('REMOVE b.txt', () => ops().includes('REMOVE b.txt'));
  writeFileSync(join(dir, 'ignored.dat'), 'x');
  await sleep(200);
  assert.ok(!ops().some((o) => o.includes('ignored.dat') || o.includes('existing.txt')), ops().join(', '));
  assert.deepEqual(events('creates').map((m) => m.data.op), ['CREATE']);
});

test('nats source: subject wildcard, jsonBody', { skip }, async () => {
  watcher.publish('foo.bar', new TextEncoder().encode(JSON.stringify({ hello: 'nats' })));
  const e = await until('the nats event', () => events('sub')[0]);
  assert.equal(e.type, 'nats');
  assert.deepEqual(e.data.data, { hello: 'nats' });
  assert.equal(e.data.subject, 'foo.bar');
});

test('redis pub/sub (pattern channels) and redis streams (consumer group, acknowledged)', { skip: skip || noRedis }, async () => {
  const c = new Redis({ port: redis!.port, host: '127.0.0.1' });
  try {
    await c.publish('news-today', JSON.stringify({ headline: 'hi' }));
    const e = await until('the redis event', () => events('news')[0]);
    assert.deepEqual({ type: e.type, channel: e.data.channel, pattern: e.data.pattern, body: e.data.body }, { type: 'redis', channel: 'news-today', pattern: 'news*', body: { headline: 'hi' } });
    const id = await c.xadd('orders', '*', 'item', 'book', 'qty', '2');
    const s = await until('the stream event', () => events('orders')[0]);
    assert.deepEqual({ type: s.type, stream: s.data.stream, id: s.data.id, values: s.data.values }, { type: 'redisStream', stream: 'orders', id, values: { item: 'book', qty: '2' } });
    await until('the ack', async () => ((await c.xpending('orders', 'cg')) as [number])[0] === 0);
  } finally {
    c.disconnect();
  }
});

test('github: HMAC signature (403 when bad), event filter; gitlab: X-Gitlab-Token (403), event filter', { skip }, async () => {
  const body = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'o/r' } });
  const sig = 'sha256=' + createHmac('sha256', 'gh-secret').update(body).digest('hex');
  const gh = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${ghPort}/github`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  assert.equal((await gh({ 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' })).status, 403);
  assert.equal((await gh({ 'x-github-event': 'push' })).status, 403);
  assert.equal((await gh({ 'x-github-event': 'issues', 'x-hub-signature-256': sig })).status, 200);
  const ok = await gh({ 'x-github-event': 'push', 'x-hub-signature-256': sig });
  assert.equal(ok.status, 200);
  const e = await until('the github event', () => events('gh')[0]);
  assert.equal(e.type, 'github');
  assert.equal(e.data.body.ref, 'refs/heads/main');
  assert.deepEqual(e.data.headers['X-Github-Event'], ['push']);
  await sleep(100);
  assert.equal(events('gh').length, 1, 'the issues event was filtered out');
  const gl = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${ghPort}/gitlab`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  assert.equal((await gl({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong' })).status, 403);
  assert.equal((await gl({ 'x-gitlab-event': 'Issue Hook', 'x-gitlab-token': 'gl-token' })).status, 200);
  assert.equal((await gl({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'gl-token' })).status, 200);
  const g = await until('the gitlab event', () => events('gl')[0]);
  assert.equal(g.type, 'gitlab');
  await sleep(100);
  assert.equal(events('gl').length, 1);
});

test('mqtt (mosquitto): topic wildcard, jsonBody', { skip: skip || noMqtt }, async () => {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`);
  try {
    await c.publishAsync('sensors/temp', JSON.stringify({ celsius: 21 }), { qos: 1 });
    const e = await until('the mqtt event', () => events('topic')[0]);
    assert.equal(e.type, 'mqtt');
    assert.equal(e.data.topic, 'sensors/temp');
    assert.deepEqual(e.data.body, { celsius: 21 });
  } finally {
    await c.endAsync();
  }
});

test('kafka and amqp: an unreachable server is a clear error, retried with back-off; the other events keep running', { skip }, async () => {
  assert.ok(es.out.some((l) => l.includes('failed to start kafka event k') && l.includes(`kafka broker 127.0.0.1:${kafkaPort} unreachable`)), es.out.join('\n'));
  assert.ok(es.out.some((l) => l.includes('failed to start amqp event q') && l.includes(`amqp 127.0.0.1:${kafkaPort}: `) && l.includes('ECONNREFUSED')), es.out.join('\n'));
  await until('a retry', () => es.out.some((l) => l.includes('retrying amqp event q in')));
});

test('a redis server that starts after the event source: the source connects on a retry and events flow', { skip: skip || noRedis }, async () => {
  assert.ok(es.out.some((l) => l.includes('failed to start redis event late')));
  const { spawn: sp } = await import('node:child_process');
  const p = sp('redis-server', ['--port', String(latePort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    await waitPort(latePort);
    await until('the late source to start', () => es.out.some((l) => l.includes('started redis event late')), 40_000);
    const c = new Redis({ port: latePort, host: '127.0.0.1' });
    await c.publish('late', 'hello');
    c.disconnect();
    const e = await until('the late event', () => events('late')[0]);
    assert.equal(Buffer.from(e.data.body, 'base64').toString(), 'hello');
  } finally {
    p.kill('SIGTERM');
  }
});

test('amqp (RabbitMQ): exchange, routing key, queue settings, jsonBody', { skip: skip || noAmqp }, async () => {
  const { startRabbit } = await import('./testutil.js');
  const rabbit = await startRabbit();
  const amqplib = await import('amqplib');
  const { startEventSourceService } = await import('./eventsource.js');
  const secrets = writeSecrets({ bus: { token: 'tok' } });
  let svc: Awaited<ReturnType<typeof startEventSourceService>> | undefined;
  try {
    svc = await startEventSourceService({
      EVENTBUS_CONFIG: b64({ nats: { url: nats.url, auth: 'token', accessSecret: { name: 'bus', key: 'token' } } }),
      EVENT_BUS_SUBJECT: 'eventbus-ns',
      EVENTS_BUS_AUTH_DIR: secrets,
      METRICS_PORT: '0',
      EVENTSOURCE_OBJECT: b64({ metadata: { name: 'rabbit', namespace: 'ns' }, spec: { amqp: { orders: { url: rabbit.url, exchangeName: 'test', exchangeType: 'topic', routingKey: 'orders.*', jsonBody: true, exchangeDeclare: { durable: true }, queueDeclare: { name: 'orders-q', durable: false, exclusive: false, autoDelete: true }, consume: { consumerTag: 'es', autoAck: false } } } } }),
    });
    await until('the amqp source', () => svc!.running.includes('amqp/orders'), 20_000);
    const conn = await amqplib.connect(rabbit.url);
    const ch = await conn.createChannel();
    ch.publish('test', 'orders.new', Buffer.from(JSON.stringify({ id: 7 })), { contentType: 'application/json', messageId: 'm-1' });
    ch.publish('test', 'other.key', Buffer.from(JSON.stringify({ id: 8 })));
    const e = await until('the amqp event', () => msgs.find((m) => m.source === 'rabbit'), 10_000);
    await conn.close();
    assert.equal(e.type, 'amqp');
    assert.deepEqual(e.data.body, { id: 7 });
    assert.equal(e.data.routingKey, 'orders.new');
    assert.equal(e.data.exchange, 'test');
    assert.equal(e.data.messageId, 'm-1');
    assert.equal(e.data.contentType, 'application/json');
    await sleep(200);
    assert.equal(msgs.filter((m) => m.source === 'rabbit').length, 1, 'the other routing key is not bound');
  } finally {
    await svc?.stop();
    await rabbit.stop();
  }
});

test('hook registration on a stand-in GitHub / GitLab API (documented endpoints): created once, with the secret and events', { skip }, async () => {
  const { createServer } = await import('node:http');
  const { startEventSourceService } = await import('./eventsource.js');
  const hooks: Record<string, any[]> = {};
  const calls: { method: string; path: string; auth: string }[] = [];
  const api = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      calls.push({ method: req.method ?? '', path, auth: String(req.headers.authorization ?? req.headers['private-token'] ?? '') });
      const list = (hooks[path] ??= []);
      if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      list.push(path.startsWith('/api/v4') ? body : { ...body, id: list.length + 1 });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  const apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
  const secrets = writeSecrets({ bus: { token: 'tok' }, gh: { token: 'gh-api-token', secret: 'hook-secret' }, gl: { token: 'gl-api-token', secret: 'gl-secret' } });
  process.env.ARGO_EVENTS_SECRETS_DIR = secrets;
  const [p1, p2] = [await freePort(), await freePort()];
  const spec = (port: number) => ({
    github: { gh: { repositories: [{ owner: 'argoproj', names: ['argo-events'] }], webhook: { endpoint: '/push', port: String(port), method: 'POST', url: 'http://events.example.com' }, events: ['push', 'pull_request'], apiToken: { name: 'gh', key: 'token' }, webhookSecret: { name: 'gh', key: 'secret' }, githubBaseURL: apiUrl, active: true, contentType: 'json' } },
    gitlab: { gl: { projects: ['42'], webhook: { endpoint: '/gl', port: String(port), method: 'POST', url: 'http://events.example.com' }, events: ['PushEvents', 'TagPushEvents'], accessToken: { name: 'gl', key: 'token' }, secretToken: { name: 'gl', key: 'secret' }, gitlabBaseURL: apiUrl } },
  });
  const env = { EVENTBUS_CONFIG: b64({ nats: { url: nats.url, auth: 'token', accessSecret: { name: 'bus', key: 'token' } } }), EVENTS_BUS_AUTH_DIR: secrets, METRICS_PORT: '0' };
  try {
    const s1 = await startEventSourceService({ ...env, EVENTSOURCE_OBJECT: b64({ metadata: { name: 'forges', namespace: 'ns' }, spec: spec(p1) }) });
    await until('both hooks', () => hooks['/repos/argoproj/argo-events/hooks']?.length === 1 && hooks['/api/v4/projects/42/hooks']?.length === 1);
    await s1.stop();
    const gh = hooks['/repos/argoproj/argo-events/hooks']![0];
    assert.deepEqual(gh, { name: 'web', active: true, events: ['push', 'pull_request'], config: { url: 'http://events.example.com/push', content_type: 'json', insecure_ssl: '0', secret: 'hook-secret' }, id: 1 });
    const gl = hooks['/api/v4/projects/42/hooks']![0];
    assert.equal(gl.url, 'http://events.example.com/gl');
    assert.equal(gl.token, 'gl-secret');
    assert.equal(gl.push_events, true);
    assert.equal(gl.tag_push_events, true);
    assert.ok(calls.some((c) => c.path.startsWith('/repos') && c.auth === 'token gh-api-token'));
    assert.ok(calls.some((c) => c.path.startsWith('/api/v4') && c.auth === 'gl-api-token'));
    // a restart finds the hooks and adds none
    const s2 = await startEventSourceService({ ...env, EVENTSOURCE_OBJECT: b64({ metadata: { name: 'forges', namespace: 'ns' }, spec: spec(p2) }) });
    await until('the second listing', () => calls.filter((c) => c.method === 'GET').length >= 4);
    await sleep(200);
    await s2.stop();
    assert.equal(hooks['/repos/argoproj/argo-events/hooks']!.length, 1);
    assert.equal(hooks['/api/v4/projects/42/hooks']!.length, 1);
  } finally {
    delete process.env.ARGO_EVENTS_SECRETS_DIR;
    api.close();
  }
});

test('webhook over TLS (serverCertSecret / serverKeySecret)', { skip: skip || (has('openssl') ? false : 'openssl is not installed') }, async () => {
  const { execFileSync } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const { request } = await import('node:https');
  const { startEventSourceService } = await import('./eventsource.js');
  const d = mkdtempSync(join(tmpdir(), 'tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(d, 'key.pem'), '-out', join(d, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const cert = readFileSync(join(d, 'cert.pem'), 'utf8');
  const secrets = writeSecrets({ bus: { token: 'tok' }, tls: { 'tls.crt': cert, 'tls.key': readFileSync(join(d, 'key.pem'), 'utf8') } });
  process.env.ARGO_EVENTS_SECRETS_DIR = secrets;
  const port = await freePort();
  const svc = await startEventSourceService({
    EVENTBUS_CONFIG: b64({ nats: { url: nats.url, auth: 'token', accessSecret: { name: 'bus', key: 'token' } } }),
    EVENT_BUS_SUBJECT: 'eventbus-ns',
    EVENTS_BUS_AUTH_DIR: secrets,
    METRICS_PORT: '0',
    EVENTSOURCE_OBJECT: b64({ metadata: { name: 'tls', namespace: 'ns' }, spec: { webhook: { secure: { port: String(port), endpoint: '/s', method: 'POST', serverCertSecret: { name: 'tls', key: 'tls.crt' }, serverKeySecret: { name: 'tls', key: 'tls.key' } } } } }),
  });
  try {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, path: '/s', method: 'POST', ca: cert, headers: { 'content-type': 'application/json' } }, (m) => {
        let body = '';
        m.on('data', (c: Buffer) => (body += c));
        m.on('end', () => resolve({ status: m.statusCode ?? 0, body }));
      });
      r.on('error', reject);
      r.end(JSON.stringify({ over: 'tls' }));
    });
    assert.deepEqual(res, { status: 200, body: 'success' });
    const e = await until('the TLS webhook event', () => msgs.find((m) => m.source === 'tls'));
    assert.deepEqual(e.data.body, { over: 'tls' });
  } finally {
    delete process.env.ARGO_EVENTS_SECRETS_DIR;
    await svc.stop();
  }
});
