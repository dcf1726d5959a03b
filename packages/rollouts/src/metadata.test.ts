import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyToMeta, ephemeralPatch, ephemeralRecord } from './metadata.js';
import { demoRollout, World } from './sim.js';
import { EPHEMERAL_ANNOTATION, type Rollout } from './types.js';
import type { Plan } from './common.js';

/** applies the plan's role metadata records to the World's ReplicaSets (what the controller writes) and returns label sets by image */
function applyRecords(w: World, p: Plan): Record<string, Record<string, string>> {
  for (const e of p.ephemeral) {
    const rs = w.rs.get(e.name)!;
    const rec = ephemeralRecord(e.next);
    const ann = { ...(rs.metadata.annotations ?? {}) };
    if (rec) ann[EPHEMERAL_ANNOTATION] = rec;
    else delete ann[EPHEMERAL_ANNOTATION];
    rs.metadata.annotations = ann;
    const t = rs.spec.template!.metadata ?? {};
    const m = applyToMeta({ labels: t.labels, annotations: t.annotations }, ephemeralPatch(e.prev, e.next));
    if (m) rs.spec.template!.metadata = { ...t, labels: m.labels, annotations: m.annotations };
  }
  const out: Record<string, Record<string, string>> = {};
  for (const rs of w.rs.values()) {
    const img = String(rs.spec.template?.spec?.containers?.[0]?.image).split(':')[1];
    const role = Object.fromEntries(Object.entries(rs.spec.template?.metadata?.labels ?? {}).filter(([k]) => k === 'role'));
    if (Object.keys(role).length) out[img] = role;
  }
  return out;
}

describe('ephemeral metadata (pure)', () => {
  it('the patch removes the old role keys and sets the new ones; unrelated keys stay', () => {
    const p = ephemeralPatch({ labels: { role: 'canary', tier: 'x' } }, { labels: { role: 'stable' }, annotations: { a: '1' } });
    assert.deepEqual(p, { labels: { tier: null, role: 'stable' }, annotations: { a: '1' } });
    assert.deepEqual(applyToMeta({ labels: { app: 'demo', role: 'canary', tier: 'x' } }, p), { labels: { app: 'demo', role: 'stable' }, annotations: { a: '1' } });
    assert.equal(applyToMeta({ labels: { app: 'demo', role: 'stable' }, annotations: { a: '1' } }, p), undefined);
    assert.equal(ephemeralRecord({ labels: {} }), '');
  });
});

describe('ephemeral metadata through a rollout', () => {
  it('canary: canaryMetadata on the canary set, stableMetadata on the stable one; at promotion the canary becomes stable', () => {
    const r: Rollout = demoRollout();
    Object.assign(r.spec.strategy!.canary!, { canaryMetadata: { labels: { role: 'canary' } }, stableMetadata: { labels: { role: 'stable' } } });
    const w = new World(r);
    let p = w.run();
    // the first ReplicaSet exists after the first tick: its record is planned on a later one
    p = w.tick();
    assert.deepEqual(applyRecords(w, p), { blue: { role: 'stable' } });
    w.setTemplateImage('argoproj/rollouts-demo:yellow');
    w.run();
    p = w.tick();
    assert.deepEqual(applyRecords(w, p), { blue: { role: 'stable' }, yellow: { role: 'canary' } });
    assert.deepEqual(w.tick().ephemeral, [], 'nothing more once applied');
    w.patchStatus({ promoteFull: true });
    p = w.run();
    assert.deepEqual(applyRecords(w, p), { yellow: { role: 'stable' } }, 'the old stable set loses its role keys');
  });
  it('blue-green: previewMetadata on the preview set, activeMetadata after the cut-over', () => {
    const r = demoRollout({ strategy: { blueGreen: { activeService: 'active', previewService: 'preview', autoPromotionEnabled: false, activeMetadata: { labels: { role: 'active' } }, previewMetadata: { labels: { role: 'preview' } } } } });
    const w = new World(r);
    for (const n of ['active', 'preview']) w.services.set(n, { metadata: { name: n }, spec: { selector: { app: 'rollouts-demo' } } });
    w.run();
    let p = w.tick();
    assert.deepEqual(applyRecords(w, p), { blue: { role: 'active' } });
    w.setTemplateImage('argoproj/rollouts-demo:green');
    w.run();
    p = w.tick();
    assert.deepEqual(applyRecords(w, p), { blue: { role: 'active' }, green: { role: 'preview' } });
    w.patchStatus({ pauseConditions: null });
    p = w.run();
    assert.deepEqual(applyRecords(w, p), { green: { role: 'active' } });
  });
});
