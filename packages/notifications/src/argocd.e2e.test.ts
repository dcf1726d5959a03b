/**
 * End to end on one `flotilla up --components argo-cd`: Argo CD from manifests/argo-cd/install.yaml
 * runs as pods — the notifications controller among them (the argocd-notifications-controller
 * Deployment, upstream's RBAC). A sync that succeeds and one that fails each reach a webhook receiver
 * and a real SMTP server (smtp-server) on the host (pods reach it as host.flotilla.internal) with the
 * rendered template; `oncePer` suppresses a second on-deployed notification for the same revision.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { KubeClient } from '@flotilla/kube-runtime';
import { kubectlFor, startUp, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';
import { startGitServer, type GitServer } from '@flotilla/repo-server/testkit';
import { APPLICATIONS } from './main.js';

const NS = 'argocd';
const hooks: Array<{ at: number; url: string; body: string; auth?: string }> = [];
const mails: Array<{ at: number; to: string[]; subject: string; text: string }> = [];
const http = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    hooks.push({ at: Date.now(), url: req.url!, body, auth: req.headers.authorization });
    res.end('ok');
  });
});
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, cb) {
    const to = session.envelope.rcptTo.map((r) => r.address);
    simpleParser(stream).then(
      (m) => {
        mails.push({ at: Date.now(), to, subject: m.subject ?? '', text: (m.text ?? '').trim() });
        cb();
      },
      (e: Error) => cb(e),
    );
  },
});

let dir: string;
let up: Up;
let git: GitServer;
let client: KubeClient;
let k: (args: string[], o?: { input?: string }) => Promise<string>;

function notificationsCm(hookPort: number, smtpPort: number): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-notifications-cm, namespace: argocd}
data:
  context: |
    argocdUrl: https://argocd.example.com
  service.webhook.receiver: |
    url: http://host.flotilla.internal:${hookPort}
    headers:
    - name: Authorization
      value: Bearer $receiver-token
  service.email: |
    host: host.flotilla.internal
    port: ${smtpPort}
    from: argocd@example.com
  defaultTriggers: |
    - on-sync-succeeded
    - on-sync-failed
  trigger.on-sync-succeeded: |
    - description: Application syncing has succeeded
      when: app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']
      send: [app-sync-succeeded]
  trigger.on-sync-failed: |
    - description: Application syncing has failed
      when: app.status.operationState != nil and app.status.operationState.phase in ['Error', 'Failed']
      send: [app-sync-failed]
  trigger.on-deployed: |
    - when: app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']
      oncePer: app.status.operationState.syncResult.revision
      send: [app-deployed]
  template.app-sync-succeeded: |
    message: Application {{.app.metadata.name}} has been successfully synced at {{.app.status.operationState.finishedAt}}.
    email:
      subject: Application {{.app.metadata.name}} has been successfully synced.
    webhook:
      receiver:
        method: POST
        path: /succeeded
        body: '{"app": "{{.app.metadata.name}}", "revision": "{{.app.status.operationState.syncResult.revision}}", "url": "{{.context.argocdUrl}}/applications/{{.app.metadata.name}}"}'
  template.app-sync-failed: |
    message: The sync operation of application {{.app.metadata.name}} has failed with the following error - {{.app.status.operationState.message}}
    email:
      subject: Failed to sync application {{.app.metadata.name}}.
    webhook:
      receiver:
        method: POST
        path: /failed
        body: '{"app": "{{.app.metadata.name}}", "phase": "{{.app.status.operationState.phase}}"}'
  template.app-deployed: |
    message: deployed
    webhook:
      receiver:
        method: POST
        path: /deployed
        body: '{"app": "{{.app.metadata.name}}", "revision": "{{.app.status.operationState.syncResult.revision}}"}'
`;
}

function application(name: string, path: string): string {
  return JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name,
      namespace: NS,
      annotations: {
        'notifications.argoproj.io/subscribe.receiver': '',
        'notifications.argoproj.io/subscribe.email': `${name}@example.com`,
        'notifications.argoproj.io/subscribe.on-deployed.receiver': '',
      },
    },
    spec: { project: 'default', source: { repoURL: git.podURL('apps'), targetRevision: 'HEAD', path }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } },
  });
}

const sync = (name: string) => client.patch(APPLICATIONS, NS, name, { operation: { sync: { revision: 'HEAD' }, initiatedBy: { username: 'admin' } } }, 'merge');
async function phaseOf(name: string): Promise<{ phase?: string; finishedAt?: string; message?: string } | undefined> {
  const a = await client.get(APPLICATIONS, NS, name).catch(() => undefined);
  return (a as { status?: { operationState?: { phase?: string; finishedAt?: string; message?: string } } } | undefined)?.status?.operationState;
}

describe('notifications on flotilla up --components argo-cd', { timeout: 600_000 }, () => {
  before(async () => {
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    dir = mkdtempSync(join(tmpdir(), 'flotilla-notif-e2e-'));
    git = await startGitServer({ repos: { apps: null } });
    git.commit('apps', {
      'good/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notif-good\ndata:\n  a: "1"\n',
      // an invalid object name: the API server refuses it, so the sync fails
      'bad/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\ndata:\n  a: "1"\n',
    });
    up = await startUp(join(dir, 'data'), 500_000, { components: ['argo-cd'], args: ['--components-timeout', '400'] });
    const kc = kubectlFor(join(dir, 'home'), up.kubeconfig);
    k = (args, o = {}) => kc.k(args, o as never);
    client = new KubeClient(up.kubeconfig);
    await k(['apply', '-f', '-'], { input: notificationsCm((http.address() as AddressInfo).port, (smtp.server.address() as AddressInfo).port) });
    await k(['-n', NS, 'patch', 'secret', 'argocd-notifications-secret', '--type', 'merge', '-p', JSON.stringify({ stringData: { 'receiver-token': 'tok-e2e' } })]);
  });
  after(async () => {
    client?.close();
    if (up) await stopUp(up, 'SIGTERM');
    await git?.stop();
    http.close();
    smtp.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the argocd-notifications-controller pod runs Flotilla’s controller', async () => {
    const out = await waitFor('notifications controller started', async () => {
      const r = await k(['-n', NS, 'logs', 'deployment/argocd-notifications-controller']).catch(() => '');
      return /argocd-notifications-controller started/.test(r) ? r : undefined;
    }, 240_000, 1000);
    assert.match(out, /namespace argocd, ConfigMap argocd-notifications-cm, Secret argocd-notifications-secret/);
  });

  it('a successful sync reaches the webhook receiver and the SMTP server; oncePer sends on-deployed once per revision', async () => {
    await k(['apply', '-f', '-'], { input: application('good-app', 'good') });
    await waitFor('good-app compared', async () => (await client.get(APPLICATIONS, NS, 'good-app') as { status?: { sync?: { status?: string } } }).status?.sync?.status === 'OutOfSync', 120_000, 500);
    await sync('good-app');
    const st = await waitFor('good-app Succeeded', async () => ((await phaseOf('good-app'))?.phase === 'Succeeded' ? phaseOf('good-app') : undefined), 120_000, 250);
    const hook = await waitFor('webhook /succeeded', () => hooks.find((h) => h.url === '/succeeded'), 30_000, 100);
    const mail = await waitFor('mail for good-app', () => mails.find((m) => m.to.includes('good-app@example.com')), 30_000, 100);
    console.log(`# delivered after operationState.finishedAt (${st!.finishedAt}, whole seconds): webhook ≤ ${hook.at - Date.parse(st!.finishedAt!)} ms, email ≤ ${mail.at - Date.parse(st!.finishedAt!)} ms`);
    assert.equal(hook.auth, 'Bearer tok-e2e');
    assert.deepEqual(JSON.parse(hook.body), { app: 'good-app', revision: git.head('apps'), url: 'https://argocd.example.com/applications/good-app' });
    assert.equal(mail.subject, 'Application good-app has been successfully synced.');
    assert.equal(mail.text, `Application good-app has been successfully synced at ${st!.finishedAt}.`);
    await waitFor('on-deployed', () => hooks.find((h) => h.url === '/deployed'), 30_000, 100);
    // a second sync of the same revision: on-sync-succeeded again, on-deployed not (oncePer)
    const before = Date.parse(st!.finishedAt!);
    await new Promise((r) => setTimeout(r, 1100));
    await sync('good-app');
    await waitFor('second sync', async () => {
      const s = await phaseOf('good-app');
      return s?.phase === 'Succeeded' && Date.parse(s.finishedAt!) > before;
    }, 120_000, 250);
    await waitFor('second /succeeded', () => hooks.filter((h) => h.url === '/succeeded').length === 2, 30_000, 100);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(hooks.filter((h) => h.url === '/deployed').length, 1, 'oncePer: one on-deployed per revision');
    const ann = JSON.parse(((await client.get(APPLICATIONS, NS, 'good-app')).metadata?.annotations ?? {})['notified.notifications.argoproj.io'] ?? '{}') as Record<string, number>;
    assert.ok(Object.keys(ann).some((key) => key.startsWith(`${git.head('apps')}:`) && key.includes(':on-deployed:receiver:')), JSON.stringify(ann));
  });

  it('a failed sync reaches the webhook receiver and the SMTP server with the failure', async () => {
    await k(['apply', '-f', '-'], { input: application('bad-app', 'bad') });
    await waitFor('bad-app compared', async () => !!(await client.get(APPLICATIONS, NS, 'bad-app') as { status?: { sync?: { status?: string } } }).status?.sync?.status, 120_000, 500);
    await sync('bad-app');
    const st = await waitFor('bad-app failed', async () => {
      const s = await phaseOf('bad-app');
      return s && ['Failed', 'Error'].includes(s.phase!) ? s : undefined;
    }, 120_000, 250);
    const hook = await waitFor('webhook /failed', () => hooks.find((h) => h.url === '/failed'), 30_000, 100);
    assert.deepEqual(JSON.parse(hook.body), { app: 'bad-app', phase: st.phase });
    const mail = await waitFor('failure mail', () => mails.find((m) => m.to.includes('bad-app@example.com')), 30_000, 100);
    assert.equal(mail.subject, 'Failed to sync application bad-app.');
    assert.equal(mail.text, `The sync operation of application bad-app has failed with the following error - ${st.message}`);
    assert.ok(!hooks.some((h) => h.url === '/succeeded' && h.body.includes('bad-app')), 'no success notification for the failed app');
  });
});
