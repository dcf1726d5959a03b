// The EventBusConnected condition of an EventSource / Sensor, from its pods and the runtime's bus Events (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busCondition, busEvents } from './busstatus.js';

const T0 = Date.parse('2026-12-05T20:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const pod = (name: string, o: { ready: boolean; since?: number; running?: boolean; deleting?: boolean }) => ({
  metadata: { name, ...(o.deleting ? { deletionTimestamp: iso(T0) } : {}) },
  status: {
    phase: o.running === false ? 'Pending' : 'Running',
    startTime: iso(o.since ?? T0),
    containerStatuses: [{ name: 'main', ready: o.ready, state: o.running === false ? { waiting: { reason: 'ContainerCreating' } } : { running: { startedAt: iso(o.since ?? T0) } } }],
    conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: iso(o.since ?? T0) }],
  },
});
const unreachable = (at: number, msg = 'EventBus "default" (nats://eventbus-default-stan-svc.argo-events.svc:4222) unreachable: TIMEOUT') => ({ reason: 'EventBusUnreachable', message: msg, at });
const connected = (at: number) => ({ reason: 'EventBusConnected', message: 'connected to EventBus "default" (nats://x)', at });

test('every running pod ready: True (Connected), whatever older Events say', () => {
  const r = busCondition({ pods: [pod('p1', { ready: true })], events: [unreachable(T0 + 1000)], busName: 'default', now: T0 + 60_000 });
  assert.deepEqual(r.condition, { type: 'EventBusConnected', status: 'True', reason: 'Connected', message: 'connected to EventBus "default"' });
  assert.equal(r.requeueMs, undefined);
});

test('a running pod unready whose latest bus Event is EventBusUnreachable: False with the Event\'s message (bus, servers, error) and the pod', () => {
  const r = busCondition({ pods: [pod('p1', { ready: false })], events: [connected(T0 - 600_000), unreachable(T0 + 2000)], busName: 'default', now: T0 + 3000 });
  assert.equal(r.condition.status, 'False');
  assert.equal(r.condition.reason, 'EventBusUnreachable');
  assert.equal(r.condition.message, 'EventBus "default" (nats://eventbus-default-stan-svc.argo-events.svc:4222) unreachable: TIMEOUT (pod p1 not ready since 2026-12-05T20:00:00Z)');
  assert.equal(r.requeueMs, 5000);
});

test('unready but the latest bus Event says connected (after the pod started): the bus is not the reason, True', () => {
  const r = busCondition({ pods: [pod('p1', { ready: false })], events: [unreachable(T0 + 1000), connected(T0 + 5000)], busName: 'default', now: T0 + 60_000 });
  assert.equal(r.condition.status, 'True');
});

test('Events of an earlier pod do not count for a newer one', () => {
  const r = busCondition({ pods: [pod('p2', { ready: false, since: T0 + 100_000 })], events: [unreachable(T0 + 1000)], busName: 'default', now: T0 + 105_000 });
  assert.equal(r.condition.status, 'Unknown');
  assert.equal(r.condition.reason, 'Connecting');
});

test('no bus Event (none recorded, or Events not readable): False (NotConnected) only after the grace period, naming the pod and the bus', () => {
  const young = busCondition({ pods: [pod('p1', { ready: false })], events: undefined, busName: 'default', now: T0 + 5000 });
  assert.equal(young.condition.status, 'Unknown');
  const old = busCondition({ pods: [pod('p1', { ready: false })], events: undefined, busName: 'default', now: T0 + 25_000 });
  assert.equal(old.condition.status, 'False');
  assert.equal(old.condition.reason, 'NotConnected');
  assert.match(old.condition.message!, /^pod p1 has not been ready since 2026-12-05T20:00:00Z: it is not connected to EventBus "default" .*may not read Events/);
  const none = busCondition({ pods: [pod('p1', { ready: false })], events: [], busName: 'default', now: T0 + 25_000 });
  assert.match(none.condition.message!, /no EventBusUnreachable Event from the pod/);
});

test('no running pod (starting, deleted): the previous condition stays, else Unknown', () => {
  const prev = { type: 'EventBusConnected', status: 'False' as const, reason: 'EventBusUnreachable', message: 'm' };
  assert.deepEqual(busCondition({ pods: [pod('p1', { ready: false, running: false })], busName: 'default', previous: prev, now: T0 }).condition, prev);
  assert.equal(busCondition({ pods: [pod('p1', { ready: true, deleting: true })], busName: 'default', now: T0 }).condition.status, 'Unknown');
  assert.equal(busCondition({ pods: [], busName: 'default', now: T0 }).condition.reason, 'NoRunningPod');
});

test('busEvents: only the bus reasons, by lastTimestamp (else eventTime, creationTimestamp)', () => {
  const evs = busEvents([
    { reason: 'EventBusConnected', message: 'b', lastTimestamp: '2026-12-05T20:00:05Z' },
    { reason: 'Deployed', message: 'x', lastTimestamp: '2026-12-05T20:00:09Z' },
    { reason: 'EventBusUnreachable', message: 'a', eventTime: '2026-12-05T20:00:01.000000Z' },
  ]);
  assert.deepEqual(evs.map((e) => e.message), ['a', 'b']);
});
