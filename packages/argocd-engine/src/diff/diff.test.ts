// Table tests of the comparison, one YAML case per verdict (src/diff/testdata/*.yaml): each case
// gives target, live (and optionally the last-applied configuration, argocd-cm data, the app's
// ignoreDifferences, a server-side dry-run result) and the expected verdict.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { parseSettings } from '../settings/index.js';
import type { KubeObject, ResourceIgnoreDifferences } from '../types.js';
import { diffResource, diffResources, lastAppliedConfiguration, withLastApplied, maskSecret, unifiedDiff, type DiffOptions } from './index.js';

const dir = fileURLToPath(new URL('../../src/diff/testdata/', import.meta.url));

interface Case {
  name: string;
  target: KubeObject | null;
  live: KubeObject | null;
  lastApplied?: 'target';
  lastAppliedFrom?: KubeObject;
  argocdCm?: Record<string, string>;
  ignoreDifferences?: ResourceIgnoreDifferences[];
  serverSideDryRun?: KubeObject;
  appName?: string;
  expect: { modified: boolean; mode?: string; ignoreExtraneous?: boolean; diffContains?: string[]; diffNotContains?: string[]; noSecretValues?: boolean };
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  const cases = parse(readFileSync(dir + file, 'utf8'), { merge: true, maxAliasCount: -1 }) as Case[];
  describe(`diff testdata ${file}`, () => {
    for (const c of cases) {
      test(c.name, () => {
        const target = c.target ? clone(c.target) : null;
        let live = c.live ? clone(c.live) : null;
        const applied = c.lastAppliedFrom ?? (c.lastApplied === 'target' ? c.target : undefined);
        if (live && applied) live = { ...live, metadata: { ...live.metadata, annotations: { ...(live.metadata?.annotations ?? {}), 'kubectl.kubernetes.io/last-applied-configuration': lastAppliedConfiguration(applied) } } };
        const opts: DiffOptions = {};
        if (c.argocdCm) opts.settings = parseSettings(c.argocdCm);
        if (opts.settings) assert.deepEqual(opts.settings.errors, []);
        if (c.ignoreDifferences) opts.ignoreDifferences = c.ignoreDifferences;
        if (c.serverSideDryRun) opts.serverSideDryRun = c.serverSideDryRun;
        if (c.appName) opts.appName = c.appName;
        const before = JSON.stringify([target, live]);
        const r = diffResource(target, live, opts);
        assert.equal(JSON.stringify([target, live]), before, 'inputs are not mutated');
        assert.equal(r.modified, c.expect.modified, `modified; diff:\n${r.diff}`);
        if (c.expect.mode) assert.equal(r.mode, c.expect.mode);
        if (c.expect.ignoreExtraneous !== undefined) assert.equal(r.ignoreExtraneous, c.expect.ignoreExtraneous);
        if (!r.modified) assert.equal(r.diff, '');
        else assert.match(r.diff, /^--- .*\n\+\+\+ .*\n@@ /);
        for (const s of c.expect.diffContains ?? []) assert.ok(r.diff.includes(s), `diff lacks ${JSON.stringify(s)}:\n${r.diff}`);
        for (const s of c.expect.diffNotContains ?? []) assert.ok(!r.diff.includes(s), `diff has ${JSON.stringify(s)}:\n${r.diff}`);
        if (c.expect.noSecretValues) {
          const out = JSON.stringify([r.normalizedLive, r.predictedLive]);
          for (const o of [c.target, c.live]) {
            const data = { ...((o?.data as Record<string, string>) ?? {}), ...((o?.stringData as Record<string, string>) ?? {}) };
            for (const v of Object.values(data)) assert.ok(!out.includes(v) && !r.diff.includes(v), `secret value ${v} leaked`);
          }
        }
      });
    }
  });
}

describe('diff helpers', () => {
  test('maskSecret gives equal values equal masks and leaves other kinds alone', () => {
    const a = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { x: 'AAAA', y: 'BBBB' } };
    const b = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { x: 'AAAA', y: 'CCCC' } };
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { x: 'AAAA' } };
    const [ma, mb, mc] = maskSecret(a, b, cm);
    assert.deepEqual(ma!.data, { x: '++++++++', y: '++++++++' });
    assert.deepEqual(mb!.data, { x: '++++++++', y: '++++++++++++' });
    assert.equal(mc, cm);
    assert.deepEqual(a.data, { x: 'AAAA', y: 'BBBB' }, 'not mutated');
  });

  test('withLastApplied stores the configuration without the annotation itself', () => {
    const o = withLastApplied({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { a: 'b' } } });
    const stored = JSON.parse(o.metadata!.annotations!['kubectl.kubernetes.io/last-applied-configuration']);
    assert.deepEqual(stored, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { a: 'b' } } });
    const again = withLastApplied(o);
    assert.equal(again.metadata!.annotations!['kubectl.kubernetes.io/last-applied-configuration'], o.metadata!.annotations!['kubectl.kubernetes.io/last-applied-configuration']);
  });

  test('a bad jq expression is an error naming the expression', () => {
    const t = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    assert.throws(() => diffResource(t, { ...t, data: { a: '2' } }, { ignoreDifferences: [{ kind: 'ConfigMap', jqPathExpressions: ['.data[['] }] }), /invalid jq path expression "\.data\[\["/);
  });

  test('a bad JSON pointer is an error naming it', () => {
    const t = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    assert.throws(() => diffResource(t, t, { ignoreDifferences: [{ kind: 'ConfigMap', jsonPointers: ['data/a'] }] }), /invalid JSON pointer "data\/a"/);
  });

  test('diffResources keeps the order of its pairs', () => {
    const cm = (n: string, v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, namespace: 'd' }, data: { v } });
    const r = diffResources([
      { target: cm('a', '1'), live: cm('a', '1') },
      { target: cm('b', '1'), live: cm('b', '2') },
      { target: null, live: cm('c', '1') },
      { target: cm('d', '1'), live: null },
    ]);
    assert.deepEqual(r.map((x) => [x.modified, x.mode]), [[false, 'two-way'], [true, 'two-way'], [true, 'prune'], [true, 'create']]);
  });

  test('unifiedDiff of equal objects is empty, keys are sorted', () => {
    assert.equal(unifiedDiff({ kind: 'A', apiVersion: 'v1' }, { apiVersion: 'v1', kind: 'A' }), '');
    const d = unifiedDiff({ apiVersion: 'v1', kind: 'A', b: 1, a: 1 }, { apiVersion: 'v1', kind: 'A', b: 2, a: 1 });
    assert.match(d, /-b: 1\n\+b: 2/);
    assert.ok(d.indexOf(' a: 1') < d.indexOf('-b: 1'));
  });
});
