// A retry attempt's pod constraints (upstream's retry_test TestRetryNodeAntiAffinity, and backoff.maxDuration bounding a
// running attempt), through simulate(): what the controller would create.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../simulate.js';
import { buildPod } from '../pod.js';
import type { Workflow } from '../types.js';

const wf = (retryStrategy: object, extra: object = {}) => ({
  metadata: { name: 'r', namespace: 'argo', uid: 'u1' },
  spec: { entrypoint: 'main', templates: [{ name: 'main', retryStrategy, container: { image: 'argoproj/argosay:v2', args: ['exit', '1'] }, ...extra }] },
}) as unknown as Workflow;

test('retryStrategy.affinity.nodeAntiAffinity: the next attempt may not run on the hosts of the failed ones', () => {
  const r = simulate(wf({ limit: '2', retryPolicy: 'Always', affinity: { nodeAntiAffinity: {} } }), { run: () => ({ phase: 'Failed', exitCode: 1 }) });
  assert.equal(r.pods.length, 3);
  assert.equal(r.pods[0]!.affinity, undefined, 'the first attempt: anywhere');
  assert.deepEqual(r.pods[1]!.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['flotilla'] }] }] } } });
  // in the pod, added to the template's own required terms
  const own = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } };
  const req: any = { ...r.pods[1]!, template: { ...r.pods[1]!.template, affinity: own } };
  const pod = buildPod(req, r.workflow, { executorImage: 'x', now: new Date('2026-01-01T00:00:00Z') } as any) as any;
  assert.deepEqual(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions.map((e: any) => e.key), ['disk', 'kubernetes.io/hostname']);
  // without it: no affinity
  assert.equal(simulate(wf({ limit: '1' }), { run: () => ({ phase: 'Failed', exitCode: 1 }) }).pods[1]!.affinity, undefined);
});

test('backoff.maxDuration: from the second attempt on, the pod may run only until the first attempt started + maxDuration', () => {
  const r = simulate(wf({ limit: 3, backoff: { duration: '1s', maxDuration: '15s' } }), { run: () => ({ phase: 'Failed', exitCode: 1 }) });
  assert.equal(r.pods[0]!.activeDeadlineSeconds, undefined, 'the first attempt has no such deadline');
  const later = r.pods.slice(1).map((p) => p.activeDeadlineSeconds!);
  assert.ok(later.length >= 1 && later.every((s) => s >= 1 && s <= 15), JSON.stringify(later));
  assert.ok(later.every((s, i) => i === 0 || s <= later[i - 1]!), `deadlines shrink: ${later}`);
  // a template's own shorter deadline wins
  const t = simulate(wf({ limit: 1, backoff: { duration: '1s', maxDuration: '1h' } }, { activeDeadlineSeconds: 5 }), { run: () => ({ phase: 'Failed', exitCode: 1 }) });
  assert.equal(t.pods[1]!.activeDeadlineSeconds, 5);
});

test('a daemon attempt that ends in Error (its pod deleted) is retried under the default policy; a plain one is not (upstream retry TestRetryDaemonContainer)', async () => {
  const { operate } = await import('./operate.js');
  const { nodeId } = await import('./ids.js');
  const run = (daemon: boolean) => {
    const w = wf({ limit: '3' }, daemon ? { daemon: true } : {});
    const id = nodeId('r', 'r'), a0 = nodeId('r', 'r(0)');
    const at = '2026-01-01T00:00:00Z';
    w.status = { phase: 'Running', startedAt: at, nodes: {
      [id]: { id, name: 'r', displayName: 'r', type: 'Retry', phase: 'Running', templateName: 'main', startedAt: at, children: [a0] },
      [a0]: { id: a0, name: 'r(0)', displayName: 'r(0)', type: 'Pod', phase: 'Error', templateName: 'main', startedAt: at, finishedAt: at, message: 'pod deleted', ...(daemon ? { daemoned: true } : {}) },
    } } as any;
    return operate({ workflow: w, pods: {}, now: new Date('2026-01-01T00:00:10Z') });
  };
  assert.deepEqual(run(true).podsToCreate.map((p) => p.nodeName), ['r(1)']);
  const plain = run(false);
  assert.deepEqual([plain.podsToCreate.length, plain.phase], [0, 'Error']);
});
