// The catalog as users install it: `kubectl apply` of manifests/argo-cd/notifications-catalog.yaml
// into a real (in-process) API server, a service patched in, an Application subscribed to catalog
// triggers by annotation; the controller delivers the catalog's emails to a real SMTP server as the
// Application's status goes through creation, a successful sync to Healthy, and Degraded.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
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

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const INSTALL = join(ROOT, 'manifests/argo-cd/install.yaml');
const CATALOG = join(ROOT, 'manifests/argo-cd/notifications-catalog.yaml');

const mails: Array<{ to: string[]; subject: string; text: string }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, cb) {
    const to = session.envelope.rcptTo.map((r) => r.address);
    simpleParser(stream)
      .then((m) => mails.push({ to, subject: m.subject ?? '', text: m.text ?? '' }))
      .finally(() => cb());
  },
});
let cluster: TestCluster;
let ctl: NotificationsController;
let client: KubeClient;
const logs: string[] = [];

before(async () => {
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  cluster = await startTestCluster({ prefix: 'notif-catalog-' });
  const crds = parseAllDocuments(readFileSync(INSTALL, 'utf8'))
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } })
    .filter((o) => o?.kind === 'CustomResourceDefinition' && ['applications.argoproj.io', 'appprojects.argoproj.io'].includes(o.metadata!.name!));
  writeFileSync(join(cluster.dir, 'crds.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }));
  await cluster.k(['apply', '--server-side', '-f', join(cluster.dir, 'crds.json')]);
  await cluster.k(['create', 'namespace', 'argocd']);
  // as the docs say: apply the catalog, then patch a service and the context in
  await cluster.k(['-n', 'argocd', 'apply', '-f', CATALOG]);
  const port = (smtp.server.address() as AddressInfo).port;
  await cluster.k(['-n', 'argocd', 'patch', 'cm', 'argocd-notifications-cm', '--type', 'merge', '-p', JSON.stringify({ data: { 'service.email': `{host: 127.0.0.1, port: ${port}, from: argocd@example.com}`, context: 'argocdUrl: https://argocd.example.com' } })]);
  await cluster.k(['-n', 'argocd', 'create', 'secret', 'generic', 'argocd-notifications-secret']);
  await waitFor('Application CRD served', async () => (await cluster.kubectl(['get', 'applications', '-n', 'argocd'])).code === 0);
  client = new KubeClient(cluster.kubeconfig);
  ctl = new NotificationsController(argocdOptions(parseFlags(['--namespace', 'argocd']), client, (l, m) => void logs.push(`${l}: ${m}`)));
  await ctl.start();
});

after(async () => {
  await ctl?.stop();
  client?.close();
  await cluster?.close();
  smtp.close();
});

const subjects = () => mails.map((m) => m.subject).sort();

test('catalog applied with kubectl: created, sync succeeded + deployed, degraded reach the SMTP server once each', async () => {
  const triggers = ['on-created', 'on-deployed', 'on-sync-succeeded', 'on-sync-failed', 'on-health-degraded'];
  await cluster.k(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'guestbook', namespace: 'argocd', annotations: Object.fromEntries(triggers.map((t) => [`notifications.argoproj.io/subscribe.${t}.email`, 'dev@example.com'])) },
      spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace: 'default' }, source: { repoURL: 'https://example.com/repo.git', path: 'guestbook' } },
    }),
  });
  await waitFor('app-created mail', () => mails.length === 1, 10_000);
  assert.deepEqual(subjects(), ['[Argo CD] guestbook: created']);
  assert.deepEqual(mails[0]!.to, ['dev@example.com']);
  assert.match(mails[0]!.text, /Open it: https:\/\/argocd\.example\.com\/applications\/guestbook/);

  const now = new Date().toISOString();
  await client.patch(APPLICATIONS, 'argocd', 'guestbook', { status: { operationState: { phase: 'Succeeded', startedAt: now, finishedAt: now, syncResult: { revision: '0123456789abcdef' } }, sync: { status: 'Synced', revision: '0123456789abcdef' }, health: { status: 'Healthy' } } }, 'merge');
  await waitFor('sync-succeeded and deployed mails', () => mails.length === 3, 10_000);
  assert.deepEqual(subjects(), ['[Argo CD] guestbook: created', '[Argo CD] guestbook: revision 01234567 deployed', '[Argo CD] guestbook: sync succeeded']);
  assert.match(mails.find((m) => m.subject.endsWith('sync succeeded'))!.text, /to revision 0123456789abcdef succeeded/);

  await client.patch(APPLICATIONS, 'argocd', 'guestbook', { status: { health: { status: 'Degraded', message: 'Deployment "web" exceeded its progress deadline' } } }, 'merge');
  await waitFor('degraded mail', () => mails.length === 4, 10_000);
  assert.equal(mails[3]!.subject, '[Argo CD] guestbook: health Degraded');
  // later writes of the same state send nothing more
  await client.patch(APPLICATIONS, 'argocd', 'guestbook', { status: { reconciledAt: new Date().toISOString() } }, 'merge');
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(mails.length, 4);
  assert.deepEqual(logs.filter((l) => /^(error|warn)/.test(l)), []);
});
