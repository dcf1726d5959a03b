/**
 * A small world for the planners' unit tests and benchmarks: ReplicaSets whose pods become
 * available one tick after they are asked for, Services, AnalysisRuns set by hand, a clock.
 * Each `tick()` reconciles once and applies the plan as the controller would.
 */
import { planRollout } from './plan.js';
import type { Plan } from './common.js';
import { HASH_LABEL, REVISION_ANNOTATION, type ReplicaSet, type Rollout, type Service } from './types.js';

export class World {
  rs = new Map<string, ReplicaSet>();
  services = new Map<string, Service>();
  runs = new Map<string, { metadata: { name: string }; status?: { phase?: string; message?: string }; spec?: { terminate?: boolean } }>();
  now = new Date('2026-01-01T00:00:00Z');
  last?: Plan;
  constructor(public ro: Rollout) {}

  setTemplateImage(image: string): void {
    this.ro = JSON.parse(JSON.stringify(this.ro));
    this.ro.spec.template!.spec!.containers[0].image = image;
    this.ro.metadata.generation = (this.ro.metadata.generation ?? 1) + 1;
  }

  patchStatus(p: Record<string, unknown>): void {
    this.ro = { ...this.ro, status: { ...(this.ro.status ?? {}), ...p } };
    for (const [k, v] of Object.entries(p)) if (v === null) delete (this.ro.status as Record<string, unknown>)[k];
  }

  /** pods follow spec.replicas (available at once after the previous tick's scale) */
  private settle(): void {
    for (const r of this.rs.values()) {
      const n = r.spec.replicas ?? 0;
      r.status = { replicas: n, readyReplicas: n, availableReplicas: n };
    }
  }

  tick(seconds = 0): Plan {
    this.now = new Date(this.now.getTime() + seconds * 1000);
    this.settle();
    const p = planRollout({ rollout: this.ro, replicaSets: [...this.rs.values()], services: Object.fromEntries(this.services), analysisRuns: [...this.runs.values()], now: this.now });
    const name = this.ro.metadata.name!;
    if (p.create) {
      const rsName = `${name}-${p.newHash}`;
      this.rs.set(rsName, {
        metadata: { name: rsName, labels: { [HASH_LABEL]: p.newHash }, annotations: { [REVISION_ANNOTATION]: String(p.create.revision) }, creationTimestamp: this.now.toISOString() },
        spec: { replicas: p.create.replicas, template: JSON.parse(JSON.stringify(this.ro.spec.template)) },
        status: {},
      });
    }
    for (const s of p.scale) this.rs.get(s.name)!.spec.replicas = s.replicas;
    for (const a of p.annotate) {
      const m = this.rs.get(a.name)!.metadata;
      m.annotations ??= {};
      for (const [k, v] of Object.entries(a.annotations)) if (v === null) delete m.annotations[k];
      else m.annotations[k] = v;
    }
    for (const d of p.deleteRS) this.rs.delete(d);
    for (const s of p.services) {
      const svc = this.services.get(s.name);
      if (svc) svc.spec = { ...svc.spec, selector: { ...(svc.spec?.selector ?? {}), [HASH_LABEL]: s.hash } };
    }
    for (const w of p.runs) if (!this.runs.has(w.name)) this.runs.set(w.name, { metadata: { name: w.name }, status: { phase: 'Running' } });
    for (const t of p.terminateRuns) {
      const r = this.runs.get(t);
      if (r) r.spec = { terminate: true };
    }
    this.ro = { ...this.ro, status: p.status };
    this.last = p;
    return p;
  }

  /** ticks until nothing changes (or n ticks) */
  run(n = 20, seconds = 0): Plan {
    let p = this.tick(seconds);
    for (let i = 0; i < n; i++) {
      const before = JSON.stringify([this.ro.status, [...this.rs.values()].map((r) => r.spec.replicas)]);
      p = this.tick(seconds);
      if (JSON.stringify([this.ro.status, [...this.rs.values()].map((r) => r.spec.replicas)]) === before && !p.create && !p.scale.length) break;
    }
    return p;
  }

  /** replicas by image tag */
  byImage(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.rs.values()) {
      const img = String(r.spec.template?.spec?.containers?.[0]?.image).split(':')[1];
      if (r.spec.replicas) out[img] = (out[img] ?? 0) + r.spec.replicas;
    }
    return out;
  }
}

export function demoRollout(over: Partial<Rollout['spec']> = {}): Rollout {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'rollouts-demo', namespace: 'default', generation: 1, uid: 'u1' },
    spec: {
      replicas: 5,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { app: 'rollouts-demo' } },
      template: { metadata: { labels: { app: 'rollouts-demo' } }, spec: { containers: [{ name: 'rollouts-demo', image: 'argoproj/rollouts-demo:blue' }] } },
      strategy: {
        canary: {
          steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 40 }, { pause: { duration: 10 } }, { setWeight: 60 }, { pause: { duration: 10 } }, { setWeight: 80 }, { pause: { duration: 10 } }],
        },
      },
      ...over,
    },
  };
}
