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
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestCluster } from '@flotilla/kube-runtime/testkit';
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

describe('argocd admin notifications against a cluster', () => {
  it("reads argocd-notifications-cm/-secret and the Application from the cluster (-n argocd)", async () => {
    const c = await startTestCluster({ prefix: 'argocd-notif-cli-' });
    try {
      const install = fileURLToPath(new URL('../../../manifests/argo-cd/install.yaml', import.meta.url));
      const crd = YAML.parseAllDocuments(readFileSync(install, 'utf8')).map((d) => d.toJS()).filter((o: any) => o?.kind === 'CustomResourceDefinition' && o.metadata.name === 'applications.argoproj.io');
      writeFileSync(join(c.dir, 'crd.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crd }));
      await c.k(['apply', '--server-side', '-f', join(c.dir, 'crd.json')]);
      await c.k(['create', 'namespace', 'argocd']);
      await c.k(['-n', 'argocd', 'apply', '-f', join(dir, 'cm.yaml')]);
      await c.k(['-n', 'argocd', 'apply', '-f', join(dir, 'secret.yaml')]);
      for (let i = 0; i < 100 && (await c.kubectl(['get', 'applications', '-n', 'argocd'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
      const app = YAML.parse(readFileSync(join(dir, 'app.yaml'), 'utf8'));
      await c.k(['-n', 'argocd', 'apply', '-f', '-'], { input: JSON.stringify({ ...app, metadata: { name: 'guestbook', namespace: 'argocd' }, spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace: 'default' }, source: { repoURL: 'https://example.com/r.git', path: '.' } } }) });
      // the status as the application controller writes it (a merge patch)
      await c.k(['-n', 'argocd', 'patch', 'application', 'guestbook', '--type', 'merge', '-p', JSON.stringify({ status: app.status })]);
      const kube = ['--kubeconfig', c.kubeconfig, '-n', 'argocd'];
      const run1 = await run(['admin', 'notifications', 'trigger', 'run', 'on-sync-status-unknown', 'guestbook', ...kube]);
      assert.equal(run1.code, 0, run1.err);
      assert.match(run1.out, /'Unknown'\s+true\n$/);
      hits.length = 0;
      const n = await run(['admin', 'notifications', 'template', 'notify', 'app-sync-status-unknown', 'guestbook', '--recipient', 'hook', ...kube]);
      assert.equal(n.code, 0, n.err);
      assert.equal(hits[0]?.auth, 'Basic ' + Buffer.from('u:p1').toString('base64'), 'the password from the cluster Secret');
      const missing = await run(['admin', 'notifications', 'trigger', 'run', 'on-sync-status-unknown', 'nope', ...kube]);
      assert.equal(missing.code, 20);
      assert.match(missing.err, /application nope in namespace argocd: /);
    } finally {
      await c.close();
    }
  });
});
