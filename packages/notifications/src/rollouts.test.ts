// Argo Rollouts' notifications on the shared engine: argo-rollouts-notification-configmap and
// -secret in the controller's namespace, a `when` over `rollout`, a Rollout in another namespace
// subscribed by annotation; a real (in-process) API server and a loopback webhook receiver.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { KubeClient } from '@flotilla/kube-runtime';
import { startTestCluster, waitFor, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { rolloutsNotifications, ROLLOUTS } from './rollouts.js';
import type { NotificationsController } from './controller.js';

const INSTALL = fileURLToPath(new URL('../../../manifests/argo-rollouts/install.yaml', import.meta.url));
const hooks: Array<{ url: string; body: string; auth?: string }> = [];
const http = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    hooks.push({ url: req.url!, body, auth: req.headers.authorization });
    res.end();
  });
});
let cluster: TestCluster;
let client: KubeClient;
let ctl: NotificationsController;

before(async () => {
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cluster = await startTestCluster({ prefix: 'notif-rollouts-' });
  const crd = parseAllDocuments(readFileSync(INSTALL, 'utf8'))
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } })
    .filter((o) => o?.kind === 'CustomResourceDefinition' && o.metadata?.name === 'rollouts.argoproj.io');
  writeFileSync(join(cluster.dir, 'crd.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crd }));
  await cluster.k(['apply', '--server-side', '-f', join(cluster.dir, 'crd.json')]);
  await cluster.k(['create', 'namespace', 'argo-rollouts']);
  await cluster.k(['create', 'namespace', 'shop']);
  await cluster.k(['-n', 'argo-rollouts', 'create', 'secret', 'generic', 'argo-rollouts-notification-secret', '--from-literal=token=r0ll']);
  await cluster.k(['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: ConfigMap
metadata: {name: argo-rollouts-notification-configmap, namespace: argo-rollouts}
data:
  service.webhook.hook: |
    url: http://127.0.0.1:${(http.address() as AddressInfo).port}
    headers:
    - {name: Authorization, value: Bearer $token}
  trigger.on-purple: |
    - send: [purple]
      when: rollout.spec.template.spec.containers[0].image == 'argoproj/rollouts-demo:purple'
  template.purple: |
    message: Rollout {{.rollout.metadata.name}} has purple image
    webhook:
      hook:
        method: POST
        path: /rollouts/{{.rollout.metadata.namespace}}/{{.rollout.metadata.name}}
        body: '{"image": "{{ (index .rollout.spec.template.spec.containers 0).image }}"}'
`,
  });
  await waitFor('Rollout CRD served', async () => (await cluster.kubectl(['get', 'rollouts', '-A'])).code === 0);
  client = new KubeClient(cluster.kubeconfig);
  ctl = rolloutsNotifications(client, { namespace: 'argo-rollouts', log: () => {} });
  await ctl.start();
});
after(async () => {
  await ctl?.stop();
  client?.close();
  await cluster?.close();
  http.close();
});

const rollout = (image: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'demo', namespace: 'shop', annotations: { 'notifications.argoproj.io/subscribe.on-purple.hook': '' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'demo' } },
    strategy: { canary: { steps: [{ setWeight: 50 }] } },
    template: { metadata: { labels: { app: 'demo' } }, spec: { containers: [{ name: 'demo', image }] } },
  },
});

test('a Rollout whose trigger becomes true is notified once, with `rollout` in the template', async () => {
  await client.create(ROLLOUTS, 'shop', rollout('argoproj/rollouts-demo:blue'));
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(hooks.length, 0);
  await client.patch(ROLLOUTS, 'shop', 'demo', { spec: { template: { spec: { containers: [{ name: 'demo', image: 'argoproj/rollouts-demo:purple' }] } } } }, 'merge');
  const h = await waitFor('purple webhook', () => hooks[0], 10_000);
  assert.deepEqual(h, { url: '/rollouts/shop/demo', body: '{"image": "argoproj/rollouts-demo:purple"}', auth: 'Bearer r0ll' });
  await waitFor('state annotation', async () => (await client.get(ROLLOUTS, 'shop', 'demo')).metadata?.annotations?.['notified.notifications.argoproj.io']);
  await client.patch(ROLLOUTS, 'shop', 'demo', { metadata: { labels: { touched: 'yes' } } }, 'merge');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(hooks.length, 1, 'no duplicate');
});
