// Every upstream Sensor example (../shared/upstream/argo-events-examples, read at test time) builds a
// sensor engine with no invalid trigger and no broken filter; every EventSource example's event types are
// either run here or named "not available in this installation".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { SensorEngine, triggerKind } from './sensor/engine.js';
import { SOURCES, NOT_AVAILABLE } from './eventsource.js';

const UP = new URL('../../../../shared/upstream/argo-events-examples/', import.meta.url).pathname;
const skip = existsSync(UP) ? false : `upstream examples not found at ${UP}`;
const docs = (dir: string) =>
  readdirSync(UP + dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => parseAllDocuments(readFileSync(UP + dir + '/' + f, 'utf8')).map((d) => ({ f, o: d.toJSON() as any })))
    .filter((d) => d.o?.kind);

test('upstream Sensor examples: triggers and filters all understood', { skip }, () => {
  const problems: string[] = [];
  let n = 0;
  for (const { f, o } of docs('sensors')) {
    if (o.kind !== 'Sensor') continue;
    n++;
    const e = new SensorEngine({ sensor: o, namespace: 'argo-events', log: () => {}, kube: () => { throw new Error('no API'); } });
    for (const [t, m] of e.triggerErrors) problems.push(`${f}: trigger ${t}: ${m}`);
    for (const [d, m] of e.filterErrors) problems.push(`${f}: dependency ${d}: ${m}`);
    for (const t of o.spec.triggers ?? []) if (!triggerKind(t.template)) problems.push(`${f}: trigger ${t.template?.name} has no kind`);
    e.stop();
  }
  assert.ok(n > 50, `only ${n} sensors`);
  assert.deepEqual(problems, []);
});

test('upstream EventSource examples: each event type runs here or is named not available', { skip }, () => {
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const { f, o } of docs('event-sources')) {
    if (o.kind !== 'EventSource') continue;
    for (const key of Object.keys(o.spec ?? {})) {
      if (['template', 'service', 'eventBusName', 'replicas'].includes(key)) continue;
      seen.add(key);
      const known = Object.keys(SOURCES).some((k) => k.toLowerCase() === key.toLowerCase()) || NOT_AVAILABLE.some((k) => k.toLowerCase() === key.toLowerCase());
      if (!known) unknown.push(`${f}: ${key}`);
    }
  }
  assert.deepEqual(unknown, []);
  for (const k of ['webhook', 'calendar', 'resource', 'file', 'nats', 'redis', 'redisStream', 'amqp', 'mqtt', 'github', 'gitlab']) assert.ok(seen.has(k), k);
});
