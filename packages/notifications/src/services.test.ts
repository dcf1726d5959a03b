// The services against real peers on loopback: an HTTP receiver standing in for each internet API
// (documented endpoints and payloads) and a real SMTP server (smtp-server) for email.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { generateKeyPairSync, createVerify } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { parseConfig } from './config.js';
import { processObject } from './engine.js';
import { serviceSender } from './services/index.js';

interface Req {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
const received: Req[] = [];
let failNext = 0;
const responders: Array<(r: Req) => { status?: number; body: string } | undefined> = [];
const http: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const r = { method: req.method!, url: req.url!, headers: req.headers, body };
    if (failNext > 0) {
      failNext--;
      res.writeHead(503).end('busy');
      return;
    }
    received.push(r);
    for (const f of responders) {
      const out = f(r);
      if (out) {
        res.writeHead(out.status ?? 200, { 'content-type': 'application/json' }).end(out.body);
        return;
      }
    }
    res.writeHead(200).end('{"ok":true}');
  });
});
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

const mails: Array<{ from: string; to: string[]; raw: string }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, cb) {
    let raw = '';
    stream.on('data', (c: Buffer) => (raw += c.toString()));
    stream.on('end', () => {
      mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
      cb();
    });
  },
});
await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
const smtpPort = (smtp.server.address() as AddressInfo).port;
after(() => {
  http.close();
  smtp.close();
});

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

const APP = {
  metadata: { name: 'guestbook', namespace: 'argocd', annotations: {} as Record<string, string> },
  spec: { source: { repoURL: 'https://github.com/argoproj/argocd-example-apps.git' } },
  status: { sync: { status: 'Synced', revision: '0123abcd' }, operationState: { phase: 'Succeeded', syncResult: { revision: '0123abcd' } } },
};

function config(extra: Record<string, string>) {
  return parseConfig(
    {
      'trigger.on-sync-succeeded': "- when: app.status.operationState.phase == 'Succeeded'\n  send: [t]\n",
      'template.t': `message: "{{.app.metadata.name}} synced ({{.notificationType}})"
email:
  subject: "Synced {{.app.metadata.name}}"
webhook:
  hook:
    method: POST
    path: /hook/{{.app.metadata.name}}
    body: '{"revision": "{{.app.status.sync.revision}}"}'
slack:
  attachments: '[{"title": "{{.app.metadata.name}}", "color": "#18be52"}]'
mattermost:
  attachments: '[{"title": "{{.app.metadata.name}}"}]'
teams:
  title: Synced
  facts: '[{"name": "Revision", "value": "{{.app.status.sync.revision}}"}]'
github:
  repoURLPath: "{{.app.spec.source.repoURL}}"
  revisionPath: "{{.app.status.operationState.syncResult.revision}}"
  status:
    state: success
    label: "continuous-delivery/{{.app.metadata.name}}"
    targetURL: "https://argocd.example.com/applications/{{.app.metadata.name}}"
  deployment:
    state: success
    environment: production
    environmentURL: https://guestbook.example.com
    requiredContexts: []
`,
      ...extra,
    },
    { 'hook-pass': 'pa:ss', 'slack-token': 'xoxb-123', 'gh-key': pem, 'tg-token': '42:ABC' },
  );
}

async function deliver(service: string, recipient: string, extra: Record<string, string>) {
  const cfg = config(extra);
  const obj = { ...APP, metadata: { ...APP.metadata, annotations: { [`notifications.argoproj.io/subscribe.on-sync-succeeded.${service}`]: recipient } } };
  return processObject({ cfg, obj, vars: { app: obj }, state: {}, send: serviceSender(cfg) });
}

test('webhook: method, path, body, headers, basic auth; retries a 503', async () => {
  received.length = 0;
  failNext = 2;
  const r = await deliver('hook', '', { 'service.webhook.hook': `url: ${base}\nheaders:\n- name: Content-Type\n  value: application/json\nbasicAuth:\n  username: argo\n  password: $hook-pass\nretryWaitMin: 10ms\nretryWaitMax: 20ms\n` });
  assert.deepEqual(r.errors, []);
  assert.equal(received.length, 1);
  const q = received[0]!;
  assert.equal(q.method, 'POST');
  assert.equal(q.url, '/hook/guestbook');
  assert.deepEqual(JSON.parse(q.body), { revision: '0123abcd' });
  assert.equal(q.headers['content-type'], 'application/json');
  assert.equal(q.headers.authorization, 'Basic ' + Buffer.from('argo:pa:ss').toString('base64'));
});

test('webhook: gives up after retryMax and says why (the state is not marked)', async () => {
  failNext = 10;
  const r = await deliver('hook', '', { 'service.webhook.hook': `url: ${base}\nretryMax: 1\nretryWaitMin: 5ms\n` });
  failNext = 0;
  assert.equal(r.sent.length, 0);
  assert.match(r.errors[0]!, /sending on-sync-succeeded to hook: POST http:\/\/127\.0\.0\.1:\d+\/hook\/guestbook: HTTP 503: busy/);
  assert.equal(r.changed, false);
});

test('email: a real SMTP server receives the rendered subject and message', async () => {
  mails.length = 0;
  const r = await deliver('email', 'dev@example.com', { 'service.email': `host: 127.0.0.1\nport: ${smtpPort}\nfrom: argocd@example.com\n` });
  assert.deepEqual(r.errors, []);
  assert.equal(mails.length, 1);
  assert.equal(mails[0]!.from, 'argocd@example.com');
  assert.deepEqual(mails[0]!.to, ['dev@example.com']);
  const m = await simpleParser(mails[0]!.raw);
  assert.equal(m.subject, 'Synced guestbook');
  assert.equal(m.text!.trim(), 'guestbook synced (email)');
});

test('email: a refused connection is a clear error naming the host', async () => {
  const r = await deliver('email', 'dev@example.com', { 'service.email': 'host: 127.0.0.1\nport: 9\n' });
  assert.match(r.errors[0]!, /service\.email: SMTP 127\.0\.0\.1:9: .*ECONNREFUSED/);
});

test('slack: chat.postMessage with bearer token, channel, text, attachments; ok:false is an error', async () => {
  received.length = 0;
  const r = await deliver('slack', 'deploys', { 'service.slack': `token: $slack-token\napiURL: ${base}/api/\nusername: argocd\nicon: ":rocket:"\n` });
  assert.deepEqual(r.errors, []);
  const q = received[0]!;
  assert.equal(q.url, '/api/chat.postMessage');
  assert.equal(q.headers.authorization, 'Bearer xoxb-123');
  assert.deepEqual(JSON.parse(q.body), { channel: 'deploys', text: 'guestbook synced (slack)', attachments: [{ title: 'guestbook', color: '#18be52' }], username: 'argocd', icon_emoji: ':rocket:' });
  responders.unshift((x) => (x.url.endsWith('chat.postMessage') ? { body: '{"ok":false,"error":"channel_not_found"}' } : undefined));
  const bad = await deliver('slack', 'nope', { 'service.slack': `token: t\napiURL: ${base}/api/\n` });
  responders.shift();
  assert.match(bad.errors[0]!, /slack chat\.postMessage to nope: channel_not_found/);
});

test('mattermost: /api/v4/posts with channel_id, message, props.attachments', async () => {
  received.length = 0;
  const r = await deliver('mattermost', 'chan1', { 'service.mattermost': `apiURL: ${base}\ntoken: mm\n` });
  assert.deepEqual(r.errors, []);
  assert.equal(received[0]!.url, '/api/v4/posts');
  assert.equal(received[0]!.headers.authorization, 'Bearer mm');
  assert.deepEqual(JSON.parse(received[0]!.body), { channel_id: 'chan1', message: 'guestbook synced (mattermost)', props: { attachments: [{ title: 'guestbook' }] } });
});

test('teams: a MessageCard to the recipient channel webhook URL; an unknown channel is named', async () => {
  received.length = 0;
  const r = await deliver('teams', 'ops', { 'service.teams': `recipientUrls:\n  ops: ${base}/teams/ops\n` });
  assert.deepEqual(r.errors, []);
  assert.equal(received[0]!.url, '/teams/ops');
  assert.deepEqual(JSON.parse(received[0]!.body), { '@type': 'MessageCard', '@context': 'https://schema.org/extensions', text: 'guestbook synced (teams)', title: 'Synced', sections: [{ facts: [{ name: 'Revision', value: '0123abcd' }] }] });
  const bad = await deliver('teams', 'dev', { 'service.teams': `recipientUrls:\n  ops: ${base}/teams/ops\n` });
  assert.match(bad.errors[0]!, /no URL for recipient "dev"/);
});

test('telegram: sendMessage to a channel and to a numeric chat; the token never appears in errors', async () => {
  received.length = 0;
  const r = await deliver('telegram', 'mychannel;-1001234', { 'service.telegram': `token: $tg-token\napiURL: ${base}\n` });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(received.map((q) => q.url), ['/bot42:ABC/sendMessage', '/bot42:ABC/sendMessage']);
  const chats = received.map((q) => (JSON.parse(q.body) as { chat_id: unknown }).chat_id).sort();
  assert.deepEqual(chats, [-1001234, '@mychannel']);
  assert.equal((JSON.parse(received[0]!.body) as { text: string }).text, 'guestbook synced (telegram)');
  failNext = 10;
  const bad = await deliver('telegram', 'x', { 'service.telegram': `token: $tg-token\napiURL: ${base}\n` });
  failNext = 0;
  assert.match(bad.errors[0]!, /\/bot\*\*\*\/sendMessage: HTTP 503/);
  assert.doesNotMatch(bad.errors[0]!, /42:ABC/);
});

test('github: app JWT → installation token → commit status and deployment (+ status)', async () => {
  received.length = 0;
  responders.unshift((x) => {
    if (x.url === '/api/v3/app/installations/77/access_tokens') return { status: 201, body: '{"token":"ghs_inst"}' };
    if (x.url === '/api/v3/repos/argoproj/argocd-example-apps/deployments') return { status: 201, body: '{"id": 9}' };
    return undefined;
  });
  const r = await deliver('github', '', { 'service.github': `appID: "1234"\ninstallationID: "77"\nprivateKey: $gh-key\nenterpriseBaseURL: ${base}\n` });
  responders.shift();
  assert.deepEqual(r.errors, []);
  assert.deepEqual(received.map((q) => q.url), ['/api/v3/app/installations/77/access_tokens', '/api/v3/repos/argoproj/argocd-example-apps/statuses/0123abcd', '/api/v3/repos/argoproj/argocd-example-apps/deployments', '/api/v3/repos/argoproj/argocd-example-apps/deployments/9/statuses']);
  const jwt = (received[0]!.headers.authorization as string).replace('Bearer ', '').split('.');
  assert.ok(createVerify('RSA-SHA256').update(`${jwt[0]}.${jwt[1]}`).verify(publicKey, Buffer.from(jwt[2]!, 'base64url')), 'JWT signed with the app key');
  assert.equal((JSON.parse(Buffer.from(jwt[1]!, 'base64url').toString()) as { iss: string }).iss, '1234');
  assert.equal(received[1]!.headers.authorization, 'token ghs_inst');
  assert.deepEqual(JSON.parse(received[1]!.body), { state: 'success', context: 'continuous-delivery/guestbook', description: 'continuous-delivery/guestbook', target_url: 'https://argocd.example.com/applications/guestbook' });
  assert.deepEqual(JSON.parse(received[2]!.body), { ref: '0123abcd', environment: 'production', required_contexts: [], auto_merge: false, transient_environment: false });
  assert.deepEqual(JSON.parse(received[3]!.body), { state: 'success', environment: 'production', environment_url: 'https://guestbook.example.com' });
});

test('slack: groupingKey threads later messages; PostAndUpdate updates the first message instead', async () => {
  received.length = 0;
  let n = 0;
  responders.unshift((x) => (x.url.startsWith('/api2/') ? { body: JSON.stringify({ ok: true, ts: `100.${++n}` }) } : undefined));
  const svc = { 'service.slack': `token: t\napiURL: ${base}/api2/\n` };
  const tmpl = (extra: string) => ({ 'template.t': `message: "{{.app.metadata.name}} synced"\nslack:\n  groupingKey: "{{.app.metadata.name}}"\n${extra}` });
  await deliver('slack', 'c1', { ...svc, ...tmpl('') });
  await deliver('slack', 'c1', { ...svc, ...tmpl('  notifyBroadcast: true\n') });
  await deliver('slack', 'c2', { ...svc, ...tmpl('  deliveryPolicy: PostAndUpdate\n') });
  await deliver('slack', 'c2', { ...svc, ...tmpl('  deliveryPolicy: PostAndUpdate\n') });
  const bad = await deliver('slack', 'c3', { ...svc, ...tmpl('  deliveryPolicy: Sometimes\n') });
  responders.shift();
  const calls = received.map((q) => [q.url, JSON.parse(q.body) as Record<string, unknown>] as const);
  assert.deepEqual(calls.map(([u, b]) => [u, b.channel, b.thread_ts, b.ts, b.reply_broadcast]), [
    ['/api2/chat.postMessage', 'c1', undefined, undefined, undefined],
    ['/api2/chat.postMessage', 'c1', '100.1', undefined, true],
    ['/api2/chat.postMessage', 'c2', undefined, undefined, undefined],
    ['/api2/chat.update', 'c2', undefined, '100.3', undefined],
  ]);
  assert.match(bad.errors[0]!, /slack\.deliveryPolicy: "Sometimes" is not one of Post, PostAndUpdate, Update/);
});
