/**
 * The pod status computation (pod-status.ts) on observed states: phase, conditions and their
 * transition times, container statuses, readiness gates.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPodStatus, containerReady, podPhase, type ObservedContainer, type ObservedPod } from './pod-status.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

function ctr(name: string, o: Partial<ObservedContainer> = {}): ObservedContainer {
  return { name, kind: 'regular', spec: { name, image: 'busybox' }, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, restartCount: 0, runs: 0, succeeded: false, alive: false, started: false, starting: false, ...o };
}

function running(name: string, o: Partial<ObservedContainer> = {}): ObservedContainer {
  return ctr(name, { runs: 1, alive: true, started: true, imageID: 'flotilla.local/busybox@sha256:ab', containerID: 'flotilla://1', state: { running: { startedAt: T0 } }, ...o });
}

function pod(o: Partial<ObservedPod> = {}): ObservedPod {
  return { pod: { spec: {}, status: {} }, containers: [ctr('app')], prepared: true, wasPrepared: false, initDone: true, hostIP: '127.0.0.1', ip: '10.0.0.5', startTime: T0, ...o };
}

const cond = (st: any, type: string) => st.conditions.find((c: any) => c.type === type);

describe('pod status', () => {
  it('is Pending until prepared, initialized and every container has run', () => {
    assert.equal(podPhase(pod({ prepared: false })), 'Pending');
    assert.equal(podPhase(pod({ initDone: false, containers: [running('app')] })), 'Pending');
    assert.equal(podPhase(pod()), 'Pending');
    assert.equal(podPhase(pod({ containers: [running('app'), ctr('b')] })), 'Pending');
    assert.equal(podPhase(pod({ containers: [running('app')] })), 'Running');
    // re-adopted after an agent restart: Running while it is prepared again
    assert.equal(podPhase(pod({ prepared: false, wasPrepared: true, containers: [running('app')] })), 'Running');
  });

  it('is terminal only once every container, sidecars included, has stopped', () => {
    const terminal = { phase: 'Succeeded' as const };
    assert.equal(podPhase(pod({ terminal, containers: [ctr('app', { runs: 1 }), running('side', { kind: 'sidecar' })] })), 'Running');
    assert.equal(podPhase(pod({ terminal, containers: [ctr('app', { runs: 1, starting: true })] })), 'Running');
    assert.equal(podPhase(pod({ terminal, containers: [ctr('app', { runs: 1 })] })), 'Succeeded');
    const { status } = buildPodStatus(pod({ terminal: { phase: 'Failed', reason: 'DeadlineExceeded', message: 'too long' }, containers: [ctr('app', { runs: 1 })] }), new Map(), T0);
    assert.equal(status.phase, 'Failed');
    assert.equal(status.reason, 'DeadlineExceeded');
    assert.equal(status.message, 'too long');
    assert.equal(cond(status, 'Ready').reason, 'PodCompleted');
    assert.equal(cond(status, 'PodReadyToStartContainers').status, 'False');
  });

  it('readiness follows the readiness probe, and a container without one once it has started', () => {
    assert.equal(containerReady(running('a')), true);
    assert.equal(containerReady(running('a', { started: false })), false);
    const probed = { name: 'a', image: 'x', readinessProbe: { exec: { command: ['true'] } } };
    assert.equal(containerReady(running('a', { spec: probed })), false);
    assert.equal(containerReady(running('a', { spec: probed, readiness: false })), false);
    assert.equal(containerReady(running('a', { spec: probed, readiness: true })), true);
    assert.equal(containerReady(ctr('i', { kind: 'init', succeeded: true })), true);
    const { status } = buildPodStatus(pod({ containers: [running('a'), running('b', { spec: probed })] }), new Map(), T0);
    assert.equal(cond(status, 'Ready').status, 'False');
    assert.equal(cond(status, 'Ready').message, 'containers with unready status: [b]');
    assert.equal(cond(status, 'ContainersReady').reason, 'ContainersNotReady');
    assert.deepEqual(
      status.containerStatuses.map((c: any) => [c.name, c.ready, c.started]),
      [
        ['a', true, true],
        ['b', false, true],
      ],
    );
  });

  it("sorts the regular containers' statuses by name, as kubelet does, and keeps init containers in spec order", () => {
    // an Argo pod [wait, main] whose main failed: kubectl's STATUS column shows Error (it takes the first status)
    const o = pod({ containers: [ctr('zinit', { kind: 'init', runs: 1, succeeded: true }), ctr('ainit', { kind: 'init', runs: 1, succeeded: true }), ctr('wait', { runs: 1, state: { terminated: { exitCode: 0, reason: 'Completed' } } }), ctr('main', { runs: 1, state: { terminated: { exitCode: 127, reason: 'Error' } } })] });
    const { status } = buildPodStatus(o, new Map(), T0);
    assert.deepEqual(status.containerStatuses.map((c: any) => [c.name, c.state.terminated?.reason]), [['main', 'Error'], ['wait', 'Completed']]);
    assert.deepEqual(status.initContainerStatuses.map((c: any) => c.name), ['zinit', 'ainit']);
  });

  it('lists init containers apart and reports the ones not done', () => {
    const o = pod({ initDone: false, containers: [ctr('init1', { kind: 'init', runs: 1, succeeded: true }), running('side', { kind: 'sidecar', started: false }), ctr('init2', { kind: 'init' }), ctr('app', { state: { waiting: { reason: 'PodInitializing' } } })] });
    const { status } = buildPodStatus(o, new Map(), T0);
    assert.equal(status.phase, 'Pending');
    assert.deepEqual(
      status.initContainerStatuses.map((c: any) => c.name),
      ['init1', 'side', 'init2'],
    );
    assert.deepEqual(
      status.containerStatuses.map((c: any) => c.name),
      ['app'],
    );
    assert.equal(cond(status, 'Initialized').status, 'False');
    assert.equal(cond(status, 'Initialized').message, 'containers with incomplete status: [side init2]');
    assert.equal(status.initContainerStatuses[0].imageID, '');
    assert.equal(status.containerStatuses[0].state.waiting.reason, 'PodInitializing');
    const none = buildPodStatus(pod({ containers: [running('app')] }), new Map(), T0).status;
    assert.equal(none.initContainerStatuses, undefined);
  });

  it('keeps a condition’s transition time until its status changes', () => {
    const first = buildPodStatus(pod(), new Map(), T0);
    assert.equal(cond(first.status, 'Ready').lastTransitionTime, T0);
    const same = buildPodStatus(pod(), first.times, T1);
    assert.equal(cond(same.status, 'Ready').lastTransitionTime, T0);
    assert.equal(cond(same.status, 'PodScheduled').lastTransitionTime, T0);
    const ready = buildPodStatus(pod({ containers: [running('app')] }), same.times, T1);
    assert.equal(cond(ready.status, 'Ready').status, 'True');
    assert.equal(cond(ready.status, 'Ready').lastTransitionTime, T1);
    assert.equal(cond(ready.status, 'PodScheduled').lastTransitionTime, T0);
    // the input is not changed
    assert.equal(first.times.get('Ready')!.time, T0);
  });

  it('readiness gates hold Ready until their condition is True; other conditions are kept', () => {
    const gated = (status: string) => pod({ pod: { spec: { readinessGates: [{ conditionType: 'example.com/gate' }] }, status: { conditions: [{ type: 'example.com/gate', status }, { type: 'Ready', status: 'True' }] } }, containers: [running('app')] });
    const off = buildPodStatus(gated('False'), new Map(), T0).status;
    assert.equal(cond(off, 'Ready').status, 'False');
    assert.equal(cond(off, 'Ready').reason, 'ReadinessGatesNotReady');
    assert.equal(cond(off, 'ContainersReady').status, 'True');
    assert.equal(off.conditions.filter((c: any) => c.type === 'Ready').length, 1);
    assert.equal(cond(off, 'example.com/gate').status, 'False');
    const on = buildPodStatus(gated('True'), new Map(), T0).status;
    assert.equal(cond(on, 'Ready').status, 'True');
  });

  it('shows the preparation error while the pod is not prepared, and its addresses', () => {
    const { status } = buildPodStatus(pod({ prepared: false, prepareError: 'configmap "x" not found' }), new Map(), T0);
    assert.equal(status.message, 'configmap "x" not found');
    assert.deepEqual([status.podIP, status.podIPs, status.hostIP, status.startTime], ['10.0.0.5', [{ ip: '10.0.0.5' }], '127.0.0.1', T0]);
    assert.equal(buildPodStatus(pod({ prepareError: 'old' }), new Map(), T0).status.message, undefined);
  });
});
