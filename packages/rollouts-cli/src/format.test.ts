import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rolloutInfo, podStatus, type Obj } from './info.js';
import { formatRollout, humanDuration, rolloutTable, statusLine } from './format.js';
import { T0, demoPod, demoReplicaSet, demoRollout, pausedScene } from './fixtures.js';

const info = (ro: Obj, replicaSets: Obj[], pods: Obj[], analysisRuns: Obj[] = []) => rolloutInfo(ro, { replicaSets, pods, analysisRuns, experiments: [] });
const plain = { color: false, now: T0 };

test('get rollout: paused canary at step 1/8 in upstream layout', () => {
  const s = pausedScene();
  assert.equal(
    formatRollout(info(s.ro, s.replicaSets, s.pods), plain),
    `Name:            rollouts-demo
Namespace:       default
Status:          ॥ Paused
Message:         CanaryPauseStep
Strategy:        Canary
  Step:          1/8
  SetWeight:     20
  ActualWeight:  20
Images:          argoproj/rollouts-demo:blue (stable)
                 argoproj/rollouts-demo:yellow (canary)
Replicas:
  Desired:       5
  Current:       5
  Updated:       1
  Ready:         5
  Available:     5

NAME                                       KIND        STATUS     AGE   INFO
⟳ rollouts-demo                            Rollout     ॥ Paused   2m8s  
├──# revision:2                                                         
│  └──⧉ rollouts-demo-789746c88d           ReplicaSet  ✔ Healthy  12s   canary
│     └──□ rollouts-demo-789746c88d-8mrh4  Pod         ✔ Running  12s   ready:1/1
└──# revision:1                                                         
   └──⧉ rollouts-demo-6cf78c66c5           ReplicaSet  ✔ Healthy  2m8s  stable
      ├──□ rollouts-demo-6cf78c66c5-2b6sg  Pod         ✔ Running  2m8s  ready:1/1
      ├──□ rollouts-demo-6cf78c66c5-7xqzs  Pod         ✔ Running  2m8s  ready:1/1
      ├──□ rollouts-demo-6cf78c66c5-kzntn  Pod         ✔ Running  2m8s  ready:1/1
      └──□ rollouts-demo-6cf78c66c5-vr7kd  Pod         ✔ Running  2m8s  ready:1/1
`,
  );
});

test('get rollout: healthy after full promotion (8/8, weight 100, one image, no message)', () => {
  const ro = demoRollout({ status: { phase: 'Healthy', currentStepIndex: 8, currentPodHash: '789746c88d', stableRS: '789746c88d', observedGeneration: '2', replicas: 5, updatedReplicas: 5, readyReplicas: 5, availableReplicas: 5 } });
  const rs2 = demoReplicaSet({ hash: '789746c88d', color: 'yellow', revision: 2, replicas: 5, uid: 'rs2', age: 60 });
  const rs1 = demoReplicaSet({ hash: '6cf78c66c5', color: 'blue', revision: 1, replicas: 0, uid: 'rs1', age: 3600 * 5 });
  const out = formatRollout(info(ro, [rs1, rs2], []), plain);
  assert.match(out, /^Status: {10}✔ Healthy\nStrategy: {8}Canary\n {2}Step: {10}8\/8\n {2}SetWeight: {5}100\n {2}ActualWeight: {2}100\nImages: {10}argoproj\/rollouts-demo:yellow \(stable\)\nReplicas:/m);
  assert.doesNotMatch(out, /Message:/);
  assert.match(out, /└──⧉ rollouts-demo-6cf78c66c5 +ReplicaSet +• ScaledDown +5h +\n/);
  assert.match(out, /⧉ rollouts-demo-789746c88d +ReplicaSet +✔ Healthy +60s +stable\n/);
});

test('get rollout: aborted → Degraded, weight 0, canary scaled down, only the stable image', () => {
  const ro = demoRollout({ color: 'red', status: { phase: 'Degraded', message: 'RolloutAborted: Rollout aborted update to revision 3', abort: true, currentStepIndex: 0, currentPodHash: '5747959bdb', stableRS: '789746c88d', observedGeneration: '3', replicas: 5, updatedReplicas: 0, readyReplicas: 5, availableReplicas: 5 } });
  ro.metadata.generation = 3;
  const rs3 = demoReplicaSet({ hash: '5747959bdb', color: 'red', revision: 3, replicas: 0, uid: 'rs3', age: 120 });
  const rs2 = demoReplicaSet({ hash: '789746c88d', color: 'yellow', revision: 2, replicas: 5, uid: 'rs2', age: 600 });
  const out = formatRollout(info(ro, [rs3, rs2], []), plain);
  assert.match(out, /Status: {10}✖ Degraded\nMessage: {9}RolloutAborted: Rollout aborted update to revision 3\n/);
  assert.match(out, / {2}Step: {10}0\/8\n {2}SetWeight: {5}0\n {2}ActualWeight: {2}0\n/);
  assert.match(out, /Images: {10}argoproj\/rollouts-demo:yellow \(stable\)\nReplicas:/);
  assert.match(out, /├──# revision:3\s*\n│  └──⧉ rollouts-demo-5747959bdb +ReplicaSet +• ScaledDown +2m +canary\n/);
});

test('get rollout: spec not yet observed → Progressing with upstream message', () => {
  const s = pausedScene();
  s.ro.metadata.generation = 3;
  const i = info(s.ro, s.replicaSets, s.pods);
  assert.equal(i.status, 'Progressing');
  assert.equal(statusLine(i), 'Progressing - waiting for rollout spec update to be observed');
});

test('get rollout: colours (default) wrap icons and role tags in ANSI codes', () => {
  const s = pausedScene();
  const out = formatRollout(info(s.ro, s.replicaSets, s.pods), { color: true, now: T0 });
  assert.match(out, /argoproj\/rollouts-demo:blue \(\x1b\[32mstable\x1b\[0m\)/);
  assert.match(out, /\x1b\[32m✔\x1b\[0m Running/);
  assert.match(out, /Status: {10}॥ Paused/);
});

test('get rollout: analysis runs in their revision with measurement counts, pods with restarts', () => {
  const s = pausedScene();
  s.pods[0] = demoPod({ rs: s.replicaSets[0], suffix: '8mrh4', age: 12, ready: false, restarts: 2 });
  const ar: Obj = {
    metadata: { name: 'rollouts-demo-789746c88d-2-1', namespace: 'default', creationTimestamp: new Date(T0 - 5000).toISOString(), annotations: { 'rollout.argoproj.io/revision': '2' }, ownerReferences: [{ uid: 'ro-uid', kind: 'Rollout', name: 'rollouts-demo' }] },
    status: { phase: 'Running', metricResults: [{ name: 'success-rate', successful: 3, failed: 1 }] },
  };
  const out = formatRollout(info(s.ro, s.replicaSets, s.pods, [ar]), plain);
  assert.match(out, /│  ├──⧉ rollouts-demo-789746c88d +ReplicaSet +✔ Healthy +12s +canary\n│  │  └──□ rollouts-demo-789746c88d-8mrh4 +Pod +◌ Running +12s +ready:0\/1,restarts:2\n│  └──α rollouts-demo-789746c88d-2-1 +AnalysisRun +◌ Running +5s +✔ 3,✖ 1\n/);
});

test('pod status as kubectl shows it', () => {
  const rs = demoReplicaSet({ hash: 'h', color: 'blue', revision: 1, replicas: 1, uid: 'u', age: 1 });
  const cases: [string, any, string, string][] = [
    ['running', { phase: 'Running', containerStatuses: [{ ready: true, state: { running: {} } }] }, 'Running', '✔'],
    ['creating', { phase: 'Pending', containerStatuses: [{ ready: false, state: { waiting: { reason: 'ContainerCreating' } } }] }, 'ContainerCreating', '◌'],
    ['crashloop', { phase: 'Running', containerStatuses: [{ ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, 'CrashLoopBackOff', '✖'],
    ['error', { phase: 'Failed', containerStatuses: [{ ready: false, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, 'Error', '✖'],
    ['pending', { phase: 'Pending' }, 'Pending', '◌'],
  ];
  for (const [what, status, want, icon] of cases) {
    const p = demoPod({ rs, suffix: 'x', age: 1 });
    p.status = status;
    const got = podStatus(p);
    assert.deepEqual([got.status, got.icon], [want, icon], what);
  }
});

test('humanDuration matches Kubernetes', () => {
  const cases: [number, string][] = [[0, '0s'], [59, '59s'], [119, '119s'], [128, '2m8s'], [600, '10m'], [3 * 3600, '3h'], [5 * 3600 + 60 * 7, '5h7m'], [30 * 3600, '30h'], [3 * 86400 + 3600, '3d1h'], [40 * 86400, '40d'], [3 * 365 * 86400 + 86400 * 4, '3y4d']];
  for (const [s, want] of cases) assert.equal(humanDuration(s * 1000), want, String(s));
});

test('list rollouts table (and -A)', () => {
  const s = pausedScene();
  const i = info(s.ro, s.replicaSets, s.pods);
  assert.equal(rolloutTable([i], false), 'NAME           STRATEGY  STATUS  STEP  SET-WEIGHT  READY  DESIRED  UP-TO-DATE  AVAILABLE\nrollouts-demo  Canary    Paused  1/8   20          5/5    5        1           5\n');
  assert.match(rolloutTable([i], true), /^NAMESPACE  NAME +STRATEGY .*\ndefault    rollouts-demo  Canary/);
});

test('get rollout: blue-green with active and preview ReplicaSets, no step lines', () => {
  const ro = demoRollout({ status: { phase: 'Paused', message: 'BlueGreenPause', currentPodHash: '789746c88d', stableRS: '6cf78c66c5', blueGreen: { activeSelector: '6cf78c66c5', previewSelector: '789746c88d' }, observedGeneration: '2', replicas: 10, updatedReplicas: 5, readyReplicas: 10, availableReplicas: 10, pauseConditions: [{ reason: 'BlueGreenPause' }] } });
  ro.spec.strategy = { blueGreen: { activeService: 'active', previewService: 'preview', autoPromotionEnabled: false } };
  const rs2 = demoReplicaSet({ hash: '789746c88d', color: 'yellow', revision: 2, replicas: 5, uid: 'rs2', age: 30 });
  const rs1 = demoReplicaSet({ hash: '6cf78c66c5', color: 'blue', revision: 1, replicas: 5, uid: 'rs1', age: 300 });
  const out = formatRollout(info(ro, [rs2, rs1], []), plain);
  assert.match(out, /^Name: +rollouts-demo\nNamespace: +default\nStatus: {10}॥ Paused\nMessage: {9}BlueGreenPause\nStrategy: {8}BlueGreen\nImages: {10}argoproj\/rollouts-demo:blue \(stable, active\)\n {17}argoproj\/rollouts-demo:yellow \(preview\)\nReplicas:\n {2}Desired: {7}5\n {2}Current: {7}10\n {2}Updated: {7}5\n {2}Ready: {9}10\n {2}Available: {5}10\n\n/);
  assert.match(out, /│  └──⧉ rollouts-demo-789746c88d +ReplicaSet +✔ Healthy +30s +preview\n/);
  assert.match(out, /   └──⧉ rollouts-demo-6cf78c66c5 +ReplicaSet +✔ Healthy +5m +stable,active\n/);
});
