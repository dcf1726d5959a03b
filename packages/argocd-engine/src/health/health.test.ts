// Built-in health of every kind and verdict (testdata/*.yaml, expectations in testdata/expected.yaml)
// and Lua customisations (testdata/lua/: argocd-cm.yaml + objects + expected.yaml), through real Lua.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { getHealth, worstHealth, isWorse, HEALTH_ORDER, findOverride, type ResourceOverrideLike } from './index.js';
import type { HealthStatusCode, KubeObject } from '../types.js';

const TESTDATA = fileURLToPath(new URL('../../src/health/testdata/', import.meta.url));
type Expected = Record<string, { status: HealthStatusCode | null; message?: string }>;

/** The few argocd-cm keys these tests need, read the way Argo CD documents them (settings owns the real parser). */
export function overridesFromConfigMap(cm: { data?: Record<string, string> }): Map<string, ResourceOverrideLike> {
  const out = new Map<string, ResourceOverrideLike>();
  const keyOf = (gk: string) => {
    const i = gk.lastIndexOf('_');
    return i < 0 ? gk : `${gk.slice(0, i)}/${gk.slice(i + 1)}`;
  };
  const entry = (k: string) => out.get(k) ?? (out.set(k, {}), out.get(k)!);
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    if (k === 'resource.customizations') {
      for (const [gk, ov] of Object.entries(parse(v) as Record<string, Record<string, unknown>>)) Object.assign(entry(gk), ov);
    } else if (k.startsWith('resource.customizations.health.')) {
      entry(keyOf(k.slice('resource.customizations.health.'.length))).health = { lua: v };
    } else if (k.startsWith('resource.customizations.useOpenLibs.')) {
      entry(keyOf(k.slice('resource.customizations.useOpenLibs.'.length)))['health.lua.useOpenLibs'] = v === 'true';
    } else if (k.startsWith('resource.customizations.actions.')) {
      entry(keyOf(k.slice('resource.customizations.actions.'.length))).actions = v;
    }
  }
  for (const ov of out.values()) {
    if (ov.health && typeof ov.health === 'object' && ov['health.lua.useOpenLibs']) ov.health.useOpenLibs = true;
  }
  return out;
}

function fixtures(dir: string): [string, KubeObject, Expected[string]][] {
  const expected = parse(readFileSync(dir + 'expected.yaml', 'utf8')) as Expected;
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'expected.yaml' && f !== 'argocd-cm.yaml');
  assert.deepEqual(files.sort(), Object.keys(expected).sort(), `every fixture in ${dir} has an expectation and vice versa`);
  return files.map((f) => [f, parse(readFileSync(dir + f, 'utf8')) as KubeObject, expected[f]!]);
}

test('built-in health: every fixture gets its verdict and message', async () => {
  const cases = fixtures(TESTDATA);
  assert.ok(cases.length >= 80, `${cases.length} fixtures`);
  const seen = new Set<string>();
  for (const [file, obj, want] of cases) {
    const got = await getHealth(obj);
    if (want.status === null) {
      assert.equal(got, undefined, file);
      continue;
    }
    seen.add(`${obj.kind}:${want.status}`);
    assert.deepEqual(got, want.message ? { status: want.status, message: want.message } : { status: want.status }, file);
  }
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod', 'Service', 'Ingress', 'PersistentVolumeClaim', 'Job', 'CronJob', 'HorizontalPodAutoscaler', 'APIService', 'Rollout', 'Workflow']) {
    assert.ok([...seen].some((s) => s.startsWith(kind + ':')), `${kind} has fixtures`);
  }
  for (const s of ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Unknown']) assert.ok([...seen].some((x) => x.endsWith(':' + s)), `some fixture is ${s}`);
});

test('Lua health customisations: sandbox, openLibs, os helpers, wildcards, errors → Unknown', async () => {
  const cm = parse(readFileSync(TESTDATA + 'lua/argocd-cm.yaml', 'utf8')) as { data: Record<string, string> };
  const overrides = overridesFromConfigMap(cm);
  for (const [file, obj, want] of fixtures(TESTDATA + 'lua/')) {
    // the memory hog must hit its memory bound, not the default 1 s deadline on a loaded machine
    const got = await getHealth(obj, { overrides, ...(file === 'hog-memory.yaml' ? { timeoutMs: 60_000 } : {}) });
    if (want.status === null) {
      assert.equal(got, undefined, file);
      continue;
    }
    assert.deepEqual(got, want.message !== undefined && want.message !== '' ? { status: want.status, message: want.message } : { status: want.status }, file);
  }
});

test('a plain record works as overrides too; core kinds by "Kind" or "/Kind"; exact keys beat wildcards', async () => {
  const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer' } };
  assert.deepEqual(await getHealth(svc), { status: 'Progressing' });
  assert.deepEqual(await getHealth(svc, { overrides: { Service: { health: { lua: 'return {status="Healthy"}' } } } }), { status: 'Healthy' });
  assert.deepEqual(await getHealth(svc, { overrides: { '/Service': { health: { lua: 'return {status="Suspended"}' } } } }), { status: 'Suspended' });
  const ov = { '*/Service': { health: { lua: 'return {status="Degraded"}' } }, Service: { health: { lua: 'return {status="Healthy"}' } } };
  assert.deepEqual(await getHealth(svc, { overrides: ov }), { status: 'Healthy' });
  assert.equal(findOverride(ov, 'apps', 'Deployment'), undefined);
  assert.ok(findOverride({ 'apps/*': {} }, 'apps', 'Deployment'));
  assert.equal(findOverride({ 'apps/*': {} }, 'batch', 'Job'), undefined);
});

test('timeouts and memory bounds are the caller\'s to set', async () => {
  const obj: KubeObject = { apiVersion: 'example.com/v1', kind: 'Loop', metadata: { name: 'x' } };
  const overrides = { 'example.com/Loop': { health: { lua: 'local t = {} for i = 1, 1e6 do t[i] = i end return {status="Healthy"}' } } };
  assert.deepEqual(await getHealth(obj, { overrides, timeoutMs: 60_000 }), { status: 'Healthy' });
  const small = await getHealth(obj, { overrides, memoryBytes: 256 * 1024, timeoutMs: 60_000 });
  assert.equal(small?.status, 'Unknown');
  assert.match(small?.message ?? '', /memory limit of 262144 bytes/);
  const slow = { 'example.com/Loop': { health: { lua: 'local n = 0 while true do n = n + 1 end' } } };
  const t0 = Date.now();
  const got = await getHealth(obj, { overrides: slow, timeoutMs: 150 });
  assert.equal(got?.status, 'Unknown');
  assert.match(got?.message ?? '', /timeout exceeded \(ran longer than 150 ms\)/);
  assert.ok(Date.now() - t0 < 5000);
  // the engine pool recovers: the next script runs normally
  assert.deepEqual(await getHealth(obj, { overrides, timeoutMs: 60_000 }), { status: 'Healthy' });
});

test('worstHealth and isWorse follow Argo CD\'s order', () => {
  assert.deepEqual(HEALTH_ORDER, ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown']);
  assert.equal(worstHealth([]), 'Healthy');
  assert.equal(worstHealth(['Healthy', 'Suspended']), 'Suspended');
  assert.equal(worstHealth(['Progressing', 'Suspended', 'Healthy']), 'Progressing');
  assert.equal(worstHealth(['Missing', 'Progressing']), 'Missing');
  assert.equal(worstHealth(['Degraded', 'Missing', undefined]), 'Degraded');
  assert.equal(worstHealth(['Unknown', 'Degraded']), 'Unknown');
  assert.ok(isWorse('Healthy', 'Degraded'));
  assert.ok(!isWorse('Degraded', 'Progressing'));
  assert.ok(!isWorse('Progressing', 'Progressing'));
});

test('bad input never throws', async () => {
  for (const bad of [{}, { kind: 'Pod' }, { apiVersion: 'apps/v1', kind: 'Deployment', spec: 'nope', status: [1, 2] }, { apiVersion: 'v1', kind: 'Pod', status: { containerStatuses: 'x', phase: 7 } }]) {
    const h = await getHealth(bad as KubeObject);
    assert.ok(h === undefined || HEALTH_ORDER.includes(h.status), JSON.stringify(bad));
  }
  assert.deepEqual(await getHealth(null as unknown as KubeObject), { status: 'Unknown', message: 'not a Kubernetes object' });
});

test("Argo CD's API spelling of an override (healthLua, useOpenLibs) works too", async () => {
  const w: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, status: { state: 'ok' } };
  const lua = 'return { status = string.upper("healthy"):sub(1, 1) .. "ealthy" }';
  assert.deepEqual(await getHealth(w, { overrides: { 'example.com/Widget': { healthLua: lua, useOpenLibs: true } } }), { status: 'Healthy' });
  const noLibs = await getHealth(w, { overrides: { 'example.com/Widget': { healthLua: lua } } });
  assert.equal(noLibs?.status, 'Unknown');
  assert.match(noLibs?.message ?? '', /global 'string'/);
});

test('the settings module\'s override map type is accepted without a cast', async () => {
  // the shape ArgoSettings['resourceOverrides'] has (settings owns it; repeated here as a type check)
  interface SettingsOverride {
    health?: { lua: string; useOpenLibs?: boolean };
    actions?: string;
    ignoreDifferences?: { jsonPointers?: string[] };
    knownTypeFields?: { field: string; type: string }[];
  }
  const fromSettings: Map<string, SettingsOverride> = new Map([['example.com/Widget', { health: { lua: 'return {status="Suspended"}' }, ignoreDifferences: {} }]]);
  const w: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
  assert.deepEqual(await getHealth(w, { overrides: fromSettings }), { status: 'Suspended' });
});

test('random junk in every built-in kind never throws (health and tree)', async () => {
  const { buildTree } = await import('../tree/index.js');
  const { BUILTIN_HEALTH_KINDS, builtinHealth } = await import('./index.js');
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const junk = (depth: number): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.15) return [null, 0, -1, 'x', true, 1.5, '3', undefined][Math.floor(rnd() * 8)];
    if (r < 0.3) return Array.from({ length: Math.floor(rnd() * 3) }, () => junk(depth + 1));
    const keys = ['status', 'spec', 'conditions', 'containerStatuses', 'state', 'waiting', 'terminated', 'phase', 'replicas', 'type', 'reason', 'loadBalancer', 'ingress', 'template', 'containers', 'image', 'rules', 'http', 'paths', 'backend'];
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [keys[Math.floor(rnd() * keys.length)]!, junk(depth + 1)]));
  };
  const objs: KubeObject[] = [];
  for (let i = 0; i < 3000; i++) {
    const gk = BUILTIN_HEALTH_KINDS[i % BUILTIN_HEALTH_KINDS.length]!;
    const [group, kind] = gk.split('/') as [string, string];
    objs.push({ ...(junk(0) as object), apiVersion: group ? `${group}/v1` : 'v1', kind, metadata: { name: `o${i}`, uid: `u${i}`, ownerReferences: i % 3 ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `o${i - 1}`, uid: `u${i - 1}` }] : [] } } as KubeObject);
  }
  for (const o of objs) {
    const h = await getHealth(o);
    assert.ok(h === undefined || HEALTH_ORDER.includes(h.status), JSON.stringify(o));
  }
  assert.ok(buildTree(objs.slice(0, 100), objs, builtinHealth).length >= 100);
});
