// The controller against a real (in-process) API server with real kubectl, a loopback webhook
// receiver and a real SMTP server: deliveries on sync success and failure, the notified annotation
// written back, no duplicates, AppProject subscriptions, ConfigMap edits picked up.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { KubeClient } from '@flotilla/kube-runtime';
import { startTestCluster, waitFor, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { NotificationsController } from './controller.js';
import { argocdOptions, parseFlags, APPLICATIONS } from './main.js';
import { NOTIFIED_ANNOTATION } from './subscriptions.js';
import { notificationMetrics } from './metrics.js';
import { enableMetrics } from '@flotilla/kube-runtime';

const INSTALL = fileURLToPath(new URL('../../../manifests/argo-cd/install.yaml', import.meta.url));

const hooks: Array<{ at: number; url: string; body: string }> = [];
const mails: Array<{ at: number; to: string[]; raw: string }> = [];
let cluster: TestCluster;
let ctl: NotificationsController;
let client: KubeClient;
const logs: string[] = [];

const http = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    hooks.push({ at: Date.now(), url: req.url!, body });
    res.end('ok');
  });
});
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, cb) {
    let raw = '';
    stream.on('data', (c: Buffer) => (raw += c.toString()));
    stream.on('end', () => {
      mails.push({ at: Date.now(), to: session.envelope.rcptTo.map((r) => r.address), raw });
      cb();
    });
  },
});

function cm(extra = ''): string {
  const hookPort = (http.address() as AddressInfo).port;
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  return `apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-notifications-cm, namespace: argocd}
data:
  service.webhook.receiver: |
    url: http://127.0.0.1:${hookPort}
    headers:
    - name: Authorization
      value: Bearer $hook-token
  service.email: |
    host: 127.0.0.1
    port: ${smtpPort}
    from: argocd@example.com
  context: |
    argocdUrl: https://argocd.example.com
  trigger.on-sync-succeeded: |
    - when: app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']
      send: [app-sync-succeeded]
  trigger.on-sync-failed: |
    - when: app.status.operationState != nil and app.status.operationState.phase in ['Error', 'Failed']
      send: [app-sync-failed]
  template.app-sync-succeeded: |
    message: Application {{.app.metadata.name}} synced revision {{.app.status.operationState.syncResult.revision}}.
    email:
      subject: Synced {{.app.metadata.name}}
    webhook:
      receiver:
        method: POST
        path: /succeeded/{{.app.metadata.name}}
        body: '{"app": "{{.app.metadata.name}}", "url": "{{.context.argocdUrl}}"}'
  template.app-sync-failed: |
    message: Sync of {{.app.metadata.name}} failed - {{.app.status.operationState.message}}
    email:
      subject: Failed {{.app.metadata.name}}
    webhook:
      receiver:
        method: POST
        path: /failed/{{.app.metadata.name}}
        body: '{"app": "{{.app.metadata.name}}"}'
${extra}`;
}

function app(name: string, project = 'default'): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
  annotations:
    notifications.argoproj.io/subscribe.on-sync-succeeded.receiver: ""
    notifications.argoproj.io/subscribe.on-sync-failed.receiver: ""
    notifications.argoproj.io/subscribe.on-sync-succeeded.email: dev@example.com
spec:
  project: ${project}
  destination: {server: https://kubernetes.default.svc, namespace: default}
  source: {repoURL: https://example.com/repo.git, path: guestbook}
`;
}

async function setPhase(name: string, phase: string, revision = 'abc123', message = '') {
  await client.patch(APPLICATIONS, 'argocd', name, { status: { operationState: { phase, message, startedAt: new Date().toISOString(), syncResult: { revision } } } }, 'merge');
}

before(async () => {
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  cluster = await startTestCluster({ prefix: 'notif-test-' });
  const crds = parseAllDocuments(readFileSync(INSTALL, 'utf8'))
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } })
    .filter((o) => o?.kind === 'CustomResourceDefinition' && ['applications.argoproj.io', 'appprojects.argoproj.io'].includes(o.metadata!.name!));
  const f = join(cluster.dir, 'crds.json');
  writeFileSync(f, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }));
  await cluster.k(['apply', '--server-side', '-f', f]);
  await cluster.k(['create', 'namespace', 'argocd']);
  writeFileSync(join(cluster.dir, 'cm.yaml'), cm());
  await cluster.k(['apply', '-f', join(cluster.dir, 'cm.yaml')]);
  await cluster.k(['-n', 'argocd', 'create', 'secret', 'generic', 'argocd-notifications-secret', '--from-literal=hook-token=tok-1']);
  await waitFor('Application CRD served', async () => (await cluster.kubectl(['get', 'applications', '-n', 'argocd'])).code === 0);
  client = new KubeClient(cluster.kubeconfig);
  ctl = new NotificationsController({ ...argocdOptions(parseFlags(['--namespace', 'argocd']), client, (l, m) => void logs.push(`${l}: ${m}`)), observe: notificationMetrics() });
  await ctl.start();
});

after(async () => {
  await ctl?.stop();
  client?.close();
  await cluster?.close();
  http.close();
  smtp.close();
});

test('a successful sync reaches the webhook and the SMTP server once; the state annotation is written', async () => {
  writeFileSync(join(cluster.dir, 'app.yaml'), app('guestbook'));
  await cluster.k(['apply', '-f', join(cluster.dir, 'app.yaml')]);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(hooks.length + mails.length, 0, 'nothing before a sync');
  const t0 = Date.now();
  await setPhase('guestbook', 'Succeeded');
  const hook = await waitFor('webhook delivery', () => hooks.find((h) => h.url === '/succeeded/guestbook'), 10_000);
  const mail = await waitFor('email delivery', () => mails[0], 10_000);
  console.log(`# delivery latency after the status change: webhook ${hook.at - t0} ms, email ${mail.at - t0} ms`);
  assert.deepEqual(JSON.parse(hook.body), { app: 'guestbook', url: 'https://argocd.example.com' });
  assert.deepEqual(mail.to, ['dev@example.com']);
  const parsed = await simpleParser(mail.raw);
  assert.equal(parsed.subject, 'Synced guestbook');
  assert.equal(parsed.text!.trim(), 'Application guestbook synced revision abc123.');
  const state = await waitFor('annotation', async () => JSON.parse((await client.get(APPLICATIONS, 'argocd', 'guestbook')).metadata?.annotations?.[NOTIFIED_ANNOTATION] ?? 'null') as Record<string, number> | null);
  assert.deepEqual(Object.keys(state).map((k) => k.replace(/^\[0\]\.[^:]+:/, '')).sort(), ['on-sync-succeeded:email:dev@example.com', 'on-sync-succeeded:receiver:']);
  // more status writes while still Succeeded: no duplicates
  await client.patch(APPLICATIONS, 'argocd', 'guestbook', { status: { health: { status: 'Healthy' } } }, 'merge');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(hooks.length, 1);
  assert.equal(mails.length, 1);
  const metrics = await enableMetrics().metrics();
  assert.match(metrics, /argocd_notifications_deliveries_total\{template="app-sync-succeeded",notifier="receiver",succeeded="true"\} 1/);
  assert.match(metrics, /argocd_notifications_deliveries_total\{template="app-sync-succeeded",notifier="email",succeeded="true"\} 1/);
  assert.match(metrics, /argocd_notifications_trigger_eval_total\{name="on-sync-succeeded",triggered="true"\} \d+/);
});

test('a failed sync reaches the webhook with the failure; the next success notifies again', async () => {
  await setPhase('guestbook', 'Running');
  await setPhase('guestbook', 'Failed', 'abc124', 'one or more objects failed to apply');
  const hook = await waitFor('failure webhook', () => hooks.find((h) => h.url === '/failed/guestbook'), 10_000);
  assert.deepEqual(JSON.parse(hook.body), { app: 'guestbook' });
  await setPhase('guestbook', 'Succeeded', 'abc125');
  await waitFor('second success', () => hooks.filter((h) => h.url === '/succeeded/guestbook').length === 2, 10_000);
  await waitFor('second mail', () => mails.length === 2, 10_000);
});

test('AppProject annotations subscribe its apps; ConfigMap edits apply without a restart', async () => {
  await cluster.k(['apply', '-f', '-'], {
    input: `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: team
  namespace: argocd
  annotations:
    notifications.argoproj.io/subscribe.on-sync-failed.email: oncall@example.com
spec: {destinations: [{server: '*', namespace: '*'}], sourceRepos: ['*']}
`,
  });
  writeFileSync(join(cluster.dir, 'app2.yaml'), app('team-app', 'team'));
  await cluster.k(['apply', '-f', join(cluster.dir, 'app2.yaml')]);
  await setPhase('team-app', 'Failed', 'x1', 'boom');
  const m = await waitFor('project subscription mail', () => mails.find((x) => x.to.includes('oncall@example.com')), 10_000);
  assert.equal((await simpleParser(m.raw)).subject, 'Failed team-app');
  // the ConfigMap changes the template; the next trigger uses it
  writeFileSync(join(cluster.dir, 'cm.yaml'), cm().replace('Failed {{.app.metadata.name}}', 'FAILED {{.app.metadata.name | upper}}'));
  await cluster.k(['apply', '-f', join(cluster.dir, 'cm.yaml')]);
  await new Promise((r) => setTimeout(r, 300));
  await setPhase('team-app', 'Running');
  await setPhase('team-app', 'Error', 'x2', 'boom');
  const m2 = await waitFor('mail with the new template', async () => {
    for (const x of mails) if ((await simpleParser(x.raw)).subject === 'FAILED TEAM-APP') return x;
    return undefined;
  }, 10_000);
  assert.ok(m2);
});

test('an invalid ConfigMap is logged naming the key; delivery errors are logged naming the service', async () => {
  writeFileSync(join(cluster.dir, 'cm.yaml'), cm('  trigger.broken: |\n    - send: [x]\n'));
  await cluster.k(['apply', '-f', join(cluster.dir, 'cm.yaml')]);
  await waitFor('config error logged', () => logs.find((l) => /argocd-notifications-cm: trigger\.broken\[0\]\.when: required/.test(l)), 10_000);
  writeFileSync(join(cluster.dir, 'cm.yaml'), cm().replace(/port: \d+\n    from/, 'port: 9\n    from'));
  await cluster.k(['apply', '-f', join(cluster.dir, 'cm.yaml')]);
  await new Promise((r) => setTimeout(r, 300));
  await setPhase('guestbook', 'Running');
  await setPhase('guestbook', 'Succeeded', 'abc126');
  await waitFor('SMTP error logged', () => logs.find((l) => /guestbook: sending on-sync-succeeded to email:dev@example\.com: service\.email: SMTP 127\.0\.0\.1:9/.test(l)), 15_000);
});
