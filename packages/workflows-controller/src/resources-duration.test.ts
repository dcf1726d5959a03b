import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addResourcesDurations, podResourcesDuration } from './resources-duration.js';

const ran = (name: string, startedAt: string, finishedAt: string) => ({ name, state: { terminated: { exitCode: 0, startedAt, finishedAt } } });

test("upstream's documented example: 3 min with limits cpu 2000m, memory 1Gi, nvidia.com/gpu 1", () => {
  const pod = {
    spec: { containers: [{ name: 'main', resources: { limits: { cpu: '2000m', memory: '1Gi', 'nvidia.com/gpu': '1' } } }] },
    status: { containerStatuses: [ran('main', '2026-01-01T00:00:00Z', '2026-01-01T00:03:00Z')] },
  };
  // cpu 2 × 180 s, memory 1Gi / 100Mi × 180 s (30 min), gpu 1 × 180 s
  assert.deepEqual(podResourcesDuration(pod), { cpu: 360, memory: 1844, 'nvidia.com/gpu': 180 });
});

test('requests win over limits; no figures at all: 100m cpu and 100Mi memory; init containers count; rounded up, at least 1', () => {
  const pod = {
    spec: {
      initContainers: [{ name: 'init' }],
      containers: [{ name: 'main', resources: { requests: { cpu: '500m', memory: '50Mi' }, limits: { cpu: '4', memory: '1Gi' } } }, { name: 'wait' }],
    },
    status: {
      initContainerStatuses: [ran('init', '2026-01-01T00:00:00Z', '2026-01-01T00:00:10Z')],
      containerStatuses: [ran('main', '2026-01-01T00:00:10Z', '2026-01-01T00:01:50Z'), ran('wait', '2026-01-01T00:00:10Z', '2026-01-01T00:00:10Z')],
    },
  };
  // init: 10 s × 0.1 = 1 cpu, 10 s × 1 = 10 memory; main: 100 s × 0.5 = 50 cpu, 100 × 0.5 = 50 memory; wait: 0
  assert.deepEqual(podResourcesDuration(pod), { cpu: 51, memory: 60 });
  const quick = { spec: { containers: [{ name: 'main' }] }, status: { containerStatuses: [ran('main', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')] } };
  assert.deepEqual(podResourcesDuration(quick), { cpu: 1, memory: 1 });
});

test('a pod none of whose containers ran has none; sums add per resource', () => {
  assert.equal(podResourcesDuration({ spec: { containers: [{ name: 'main' }] }, status: { containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }] } }), undefined);
  assert.deepEqual(addResourcesDurations([{ cpu: 1, memory: 2 }, undefined, { cpu: 3, 'nvidia.com/gpu': 1 }]), { cpu: 4, memory: 2, 'nvidia.com/gpu': 1 });
  assert.equal(addResourcesDurations([undefined]), undefined);
});
