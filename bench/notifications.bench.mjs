#!/usr/bin/env node
// Notifications benchmark (issue 16 target: a notification is delivered < 1 s after the triggering
// status change). A real API server (in-process), kubectl for the CRDs and ConfigMap, the
// notifications controller (default --processors-count 1) with a webhook receiver and a real SMTP
// server (smtp-server) on loopback:
//   one at a time: status patch → webhook received, and → email received (p50 / p95 / max)
//   a burst: 200 Applications flip to Succeeded at once → all 200 webhooks received
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SMTPServer } from 'smtp-server';
import { KubeClient } from '@flotilla/kube-runtime';
import { startTestCluster, waitFor } from '@flotilla/kube-runtime/testkit';
import { NotificationsController } from '@flotilla/notifications/controller';
import { argocdOptions, parseFlags, APPLICATIONS } from '@flotilla/notifications/main';

const root = new URL('..', import.meta.url).pathname;
const N = Number(process.env.BENCH_NOTIFY_N ?? 40);
const BURST = Number(process.env.BENCH_NOTIFY_BURST ?? 200);

const got = new Map(); // app name → time received (webhook)
const mailed = new Map();
const http = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    got.set(req.url.slice(1), performance.now());
    res.end();
  });
});
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, cb) {
    stream.resume();
    stream.on('end', () => {
      mailed.set(session.envelope.rcptTo[0].address.split('@')[0], performance.now());
      cb();
    });
  },
});
await new Promise((r) => http.listen(0, '127.0.0.1', r));
await new Promise((r) => smtp.listen(0, '127.0.0.1', r));

const cluster = await startTestCluster({ prefix: 'notif-bench-' });
const client = new KubeClient(cluster.kubeconfig, { qps: 1000, burst: 2000 });
let ctl;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
try {
  const crds = parseAllDocuments(readFileSync(join(root, 'manifests/argo-cd/install.yaml'), 'utf8'))
    .map((d) => d.toJS())
    .filter((o) => o?.kind === 'CustomResourceDefinition' && ['applications.argoproj.io', 'appprojects.argoproj.io'].includes(o.metadata.name));
  writeFileSync(join(cluster.dir, 'crds.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }));
  await cluster.k(['apply', '--server-side', '-f', join(cluster.dir, 'crds.json')]);
  await cluster.k(['create', 'namespace', 'argocd']);
  await cluster.k(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-notifications-cm', namespace: 'argocd' },
      data: {
        'service.webhook.receiver': `url: http://127.0.0.1:${http.address().port}\n`,
        'service.email': `host: 127.0.0.1\nport: ${smtp.server.address().port}\nfrom: argocd@example.com\n`,
        'trigger.on-sync-succeeded': "- when: app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']\n  send: [ok]\n",
        'template.ok': "message: '{{.app.metadata.name}} synced'\nemail:\n  subject: '{{.app.metadata.name}}'\nwebhook:\n  receiver:\n    method: POST\n    path: /{{.app.metadata.name}}\n    body: '{\"app\": \"{{.app.metadata.name}}\"}'\n",
      },
    }),
  });
  await waitFor('CRD served', async () => (await cluster.kubectl(['get', 'applications', '-n', 'argocd'])).code === 0);
  const app = (name, email) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd', annotations: { 'notifications.argoproj.io/subscribe.on-sync-succeeded.receiver': '', ...(email ? { 'notifications.argoproj.io/subscribe.on-sync-succeeded.email': `${name}@example.com` } : {}) } },
    spec: { project: 'default', destination: { server: 'https://kubernetes.default.svc', namespace: 'default' }, source: { repoURL: 'https://example.com/r.git', path: '.' } },
  });
  for (let i = 0; i < N; i++) await client.create(APPLICATIONS, 'argocd', app(`one-${i}`, true));
  for (let i = 0; i < BURST; i++) await client.create(APPLICATIONS, 'argocd', app(`burst-${i}`, false));
  ctl = new NotificationsController(argocdOptions(parseFlags(['--namespace', 'argocd']), client, () => {}));
  await ctl.start();
  await new Promise((r) => setTimeout(r, 500));
  const phase = (name) => client.patch(APPLICATIONS, 'argocd', name, { status: { operationState: { phase: 'Succeeded', syncResult: { revision: 'abc' } } } }, 'merge');

  const hookMs = [];
  const mailMs = [];
  for (let i = 0; i < N; i++) {
    const name = `one-${i}`;
    await phase(name);
    const t = performance.now(); // the change is stored: the clock starts when the patch returns
    await waitFor(`${name} delivered`, () => got.has(name) && mailed.has(name), 10_000, 2);
    hookMs.push(got.get(name) - t);
    mailMs.push(mailed.get(name) - t);
  }
  const f = (xs) => `p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
  console.log(`notifications: status change → delivered, one at a time (${N} Applications)`);
  console.log(`  webhook: ${f(hookMs)}`);
  console.log(`  email (SMTP): ${f(mailMs)}`);

  const t0 = performance.now();
  await Promise.all(Array.from({ length: BURST }, (_, i) => phase(`burst-${i}`)));
  const tPatched = performance.now();
  await waitFor('burst delivered', () => Array.from({ length: BURST }, (_, i) => got.has(`burst-${i}`)).every(Boolean), 120_000, 5);
  const lat = Array.from({ length: BURST }, (_, i) => got.get(`burst-${i}`) - t0);
  console.log(`  burst: ${BURST} Applications flipped at once (patches took ${(tPatched - t0).toFixed(0)} ms): all webhooks in ${Math.max(...lat).toFixed(0)} ms, p50 ${pct(lat, 50).toFixed(0)} ms`);
  console.log(`  target: < 1000 ms after the status change → ${pct(hookMs, 95) < 1000 && pct(mailMs, 95) < 1000 ? 'met (p95)' : 'NOT met'}`);
} finally {
  await ctl?.stop();
  client.close();
  await cluster.close();
  http.close();
  smtp.close();
}
