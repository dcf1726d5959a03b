// Upstream fixtures (../shared/upstream/argo-cd-e2e-testdata, read at test time; skipped with a
// printed reason when absent): the `networking` app's tree and health, the `resource-actions`
// CronJob's create-job, the `crashing-guestbook` Deployment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildTree } from './index.js';
import { getHealth, builtinHealth } from '../health/index.js';
import { listActions, runAction } from '../actions/index.js';
import type { KubeObject } from '../types.js';

const E2E = fileURLToPath(new URL('../../../../../shared/upstream/argo-cd-e2e-testdata/', import.meta.url));
const present = existsSync(E2E);
if (!present) console.log(`# skipping upstream fixtures: ${E2E} is absent`);

function load(dir: string): KubeObject[] {
  return readdirSync(E2E + dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(`${E2E}${dir}/${f}`, 'utf8')).map((d) => d.toJS() as KubeObject))
    .filter(Boolean)
    .map((o, i) => ({ ...o, metadata: { ...o.metadata!, namespace: 'networking', uid: `u${i}` } }));
}

test('networking: Ingress targetRefs (old serviceName backends) and URLs, Service targetLabels, LoadBalancer without address Progressing', { skip: !present }, async () => {
  const objs = load('networking');
  const nodes = buildTree(objs, objs, builtinHealth);
  const ing = nodes.find((n) => n.kind === 'Ingress' && n.name === 'guestbook-ui')!;
  assert.deepEqual(ing.networkingInfo, {
    targetRefs: [{ group: '', kind: 'Service', namespace: 'networking', name: 'guestbook-ui-internal' }],
    externalURLs: ['http://example.com/'],
  });
  assert.deepEqual(ing.health, { status: 'Progressing' }, 'no load balancer has published an address');
  const lb = nodes.find((n) => n.kind === 'Service' && n.name === 'guestbook-ui')!;
  assert.deepEqual(lb.networkingInfo, { targetLabels: { app: 'guestbook-ui' } });
  assert.deepEqual(lb.health, { status: 'Progressing' });
  assert.deepEqual(nodes.find((n) => n.name === 'guestbook-ui-internal')!.health, { status: 'Healthy' });
  const dep = objs.find((o) => o.kind === 'Deployment')!;
  assert.deepEqual(nodes.find((n) => n.kind === 'Deployment')!.images, ['quay.io/argoprojlabs/argocd-e2e-container:0.2']);
  // as the API server would report it once the rollout (0 replicas) is observed
  assert.deepEqual(await getHealth({ ...dep, metadata: { ...dep.metadata, generation: 1 }, status: { observedGeneration: 1 } }), { status: 'Healthy' });
});

test('resource-actions: the CronJob lists create-job and creates a Job from its template', { skip: !present }, async () => {
  const [cron] = load('resource-actions');
  assert.deepEqual((await listActions(cron!)).map((a) => a.name), ['create-job', 'resume', 'suspend']);
  const { impacted } = await runAction(cron!, 'create-job', undefined, undefined, { now: new Date('2026-05-06T07:08:09Z') });
  assert.equal(impacted[0]!.obj.metadata!.name, 'hello-202605060708');
  assert.deepEqual(impacted[0]!.obj.spec, (cron!.spec as any).jobTemplate.spec);
});

test('crashing-guestbook: the progress deadline exceeded → Degraded', { skip: !present }, async () => {
  const [dep] = load('crashing-guestbook');
  const live = {
    ...dep!,
    metadata: { ...dep!.metadata, generation: 1 },
    status: { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] },
  };
  assert.deepEqual(await getHealth(live), { status: 'Degraded', message: 'Deployment "guestbook-ui" exceeded its progress deadline' });
});
