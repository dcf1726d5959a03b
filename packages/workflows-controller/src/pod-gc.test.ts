import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delayedPodGC, podGCDue } from './pod-gc.js';

const pod = (name: string, phase: string, finishedAt?: string, labels: Record<string, string> = {}) => ({
  metadata: { name, labels }, status: { phase, containerStatuses: finishedAt ? [{ name: 'main', state: { terminated: { exitCode: 0, finishedAt } } }] : [] },
});
const T = Date.parse('2026-01-01T00:01:00Z');

test('deleteDelayDuration: a finished pod is due once the delay has passed since it ended; the next one says when', () => {
  const pods = [pod('a', 'Succeeded', '2026-01-01T00:00:30Z'), pod('b', 'Failed', '2026-01-01T00:00:50Z'), pod('c', 'Running')];
  assert.deepEqual(podGCDue({ strategy: 'OnPodCompletion' }, 20, 'Running', pods, T), { due: ['a'], nextMs: 10_000 });
  assert.deepEqual(podGCDue({ strategy: 'OnPodSuccess' }, 20, 'Running', pods, T), { due: ['a'] });
  assert.deepEqual(podGCDue({ strategy: 'OnWorkflowCompletion' }, 20, 'Running', pods, T), { due: [] }, 'not before the workflow ends');
  assert.deepEqual(podGCDue({ strategy: 'OnWorkflowCompletion' }, 20, 'Failed', pods, T), { due: ['a'], nextMs: 10_000 });
  assert.deepEqual(podGCDue({ strategy: 'OnWorkflowSuccess' }, 20, 'Failed', pods, T), { due: [] });
  assert.deepEqual(podGCDue({ strategy: 'OnPodCompletion', labelSelector: { matchLabels: { gc: 'yes' } } }, 20, 'Running', [...pods, pod('d', 'Succeeded', '2026-01-01T00:00:00Z', { gc: 'yes' })], T), { due: ['d'] });
});

test('only a podGC with a strategy and a positive deleteDelayDuration is delayed (the WorkflowTemplate\'s too)', () => {
  assert.deepEqual(delayedPodGC({ spec: { podGC: { strategy: 'OnPodCompletion', deleteDelayDuration: '20s' } } }), { gc: { strategy: 'OnPodCompletion', deleteDelayDuration: '20s' }, delay: 20 });
  assert.equal(delayedPodGC({ spec: { podGC: { strategy: 'OnPodCompletion' } } }), undefined);
  assert.equal(delayedPodGC({ spec: { podGC: { deleteDelayDuration: '20s' } } }), undefined);
  assert.equal(delayedPodGC({ spec: {}, status: { storedWorkflowTemplateSpec: { podGC: { strategy: 'OnWorkflowSuccess', deleteDelayDuration: '1m' } } } })?.delay, 60);
});
