/**
 * `argocd admin notifications template get|notify` and `trigger get|run` offline, from files written
 * here (ConfigMap, Secret, Application), in-process with the output captured; `notify` delivers to a
 * loopback webhook receiver.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { main } from './cli.js';
import { io } from './cmd/io.js';

let dir: string;
const hits: Array<{ url: string; body: string; auth?: string }> = [];
const http = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    hits.push({ url: req.url!, body, auth: req.headers.authorization });
    res.end();
  });
});

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const saved = { out: io.out, err: io.err, tty: io.stderrIsTTY };
  let out = '';
  let err = '';
  io.out = (s) => void (out += s);
  io.err = (s) => void (err += s);
  io.stderrIsTTY = () => false;
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    Object.assign(io, { out: saved.out, err: saved.err, stderrIsTTY: saved.tty });
  }
}

const files = () => ['--config-map', join(dir, 'cm.yaml'), '--secret', join(dir, 'secret.yaml')];

before(async () => {
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'argocd-notif-cli-'));
  const port = (http.address() as AddressInfo).port;
  writeFileSync(
    join(dir, 'cm.yaml'),
    YAML.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-notifications-cm' },
      data: {
        'trigger.on-sync-status-unknown': "- when: app.status.sync.status == 'Unknown'\n  send: [app-sync-status-unknown]\n",
        'trigger.on-health-degraded': "- when: app.status.health.status == 'Degraded'\n  send: [app-health-degraded]\n",
        'template.app-sync-status-unknown': 'message: "{{.app.metadata.name}} sync status is {{.app.status.sync.status}}"\nwebhook:\n  hook:\n    method: POST\n    path: /unknown\n    body: \'{"app": "{{.app.metadata.name}}"}\'\n',
        'template.app-health-degraded': 'message: "{{.app.metadata.name}} is degraded"\nemail:\n  subject: Degraded\n',
        'service.webhook.hook': `url: http://127.0.0.1:${port}\nbasicAuth:\n  username: u\n  password: $pw\n`,
      },
    }),
  );
  writeFileSync(join(dir, 'secret.yaml'), YAML.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-notifications-secret' }, stringData: { pw: 'p1' } }));
  writeFileSync(join(dir, 'app.yaml'), YAML.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'guestbook' }, status: { sync: { status: 'Unknown' }, health: { status: 'Healthy' } } }));
});
after(() => {
  http.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('argocd admin notifications', () => {
  it('trigger get: a table, one trigger as YAML, an unknown one named', async () => {
    const all = await run(['admin', 'notifications', 'trigger', 'get', ...files()]);
    assert.equal(all.code, 0, all.err);
    assert.deepEqual(all.out.trim().split('\n').map((l) => l.split(/\s{2,}/)), [
      ['NAME', 'TEMPLATE', 'CONDITION'],
      ['on-health-degraded', 'app-health-degraded', "app.status.health.status == 'Degraded'"],
      ['on-sync-status-unknown', 'app-sync-status-unknown', "app.status.sync.status == 'Unknown'"],
    ]);
    const one = await run(['admin', 'notifications', 'trigger', 'get', 'on-health-degraded', '-o', 'yaml', ...files()]);
    assert.deepEqual(YAML.parse(one.out), { name: 'on-health-degraded', conditions: [{ when: "app.status.health.status == 'Degraded'", send: ['app-health-degraded'] }] });
    const bad = await run(['admin', 'notifications', 'trigger', 'get', 'nope', ...files()]);
    assert.equal(bad.code, 20);
    assert.match(bad.err, /trigger 'nope' is not supported \(defined: on-health-degraded, on-sync-status-unknown\)/);
  });

  it('trigger run: each condition and its result for a local Application file', async () => {
    const yes = await run(['admin', 'notifications', 'trigger', 'run', 'on-sync-status-unknown', join(dir, 'app.yaml'), ...files()]);
    assert.equal(yes.code, 0, yes.err);
    assert.match(yes.out, /^CONDITION\s+RESULT\napp\.status\.sync\.status == 'Unknown'\s+true\n$/);
    const no = await run(['admin', 'notifications', 'trigger', 'run', 'on-health-degraded', join(dir, 'app.yaml'), ...files()]);
    assert.match(no.out, /'Degraded'\s+false\n$/);
  });

  it('template get: names and previews', async () => {
    const r = await run(['admin', 'notifications', 'template', 'get', ...files()]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^NAME\s+PREVIEW\napp-health-degraded\s+\{\{\.app\.metadata\.name\}\} is degraded\napp-sync-status-unknown\s+/);
  });

  it('template notify: the console shows the rendered notification; a webhook recipient really receives it', async () => {
    const c = await run(['admin', 'notifications', 'template', 'notify', 'app-sync-status-unknown', join(dir, 'app.yaml'), ...files()]);
    assert.equal(c.code, 0, c.err);
    assert.deepEqual(YAML.parse(c.out), { message: 'guestbook sync status is Unknown', webhook: { hook: { method: 'POST', path: '/unknown', body: '{"app": "guestbook"}' } } });
    hits.length = 0;
    const w = await run(['admin', 'notifications', 'template', 'notify', 'app-sync-status-unknown', join(dir, 'app.yaml'), '--recipient', 'hook', ...files()]);
    assert.equal(w.code, 0, w.err);
    assert.deepEqual(hits, [{ url: '/unknown', body: '{"app": "guestbook"}', auth: 'Basic ' + Buffer.from('u:p1').toString('base64') }]);
    const bad = await run(['admin', 'notifications', 'template', 'notify', 'nope', join(dir, 'app.yaml'), ...files()]);
    assert.equal(bad.code, 20);
    assert.match(bad.err, /template 'nope' is not supported/);
  });

  it('a missing ConfigMap file is named', async () => {
    const r = await run(['admin', 'notifications', 'trigger', 'get', '--config-map', join(dir, 'none.yaml'), '--secret', ':empty']);
    assert.equal(r.code, 20);
    assert.match(r.err, /cannot read ConfigMap .*none\.yaml: no such file/);
  });
});
