/**
 * The controller's Prometheus metrics, as upstream's argo-rollouts names them (served on :8090
 * with kube-runtime's own): rollout_info, rollout_info_replicas_*, rollout_phase,
 * rollout_reconcile (histogram), rollout_reconcile_error, analysis_run_info, analysis_run_phase.
 */
import { createRequire } from 'node:module';
import { enableMetrics } from '@flotilla/kube-runtime';
import type { Rollout } from './types.js';

export interface RolloutMetrics {
  reconciled(ro: Rollout, seconds: number): void;
  setRollouts(ros: Rollout[]): void;
  setRuns(runs: { metadata: { name?: string; namespace?: string }; status?: { phase?: string } }[]): void;
}

const noop: RolloutMetrics = { reconciled() {}, setRollouts() {}, setRuns() {} };
const PHASES = ['Healthy', 'Progressing', 'Paused', 'Degraded'];
const RUN_PHASES = ['Pending', 'Running', 'Successful', 'Failed', 'Error', 'Inconclusive'];

export function rolloutMetrics(enabled: boolean): RolloutMetrics {
  if (!enabled) return noop;
  const registers = [enableMetrics()];
  const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  const g = (name: string, help: string, labelNames: string[]) => new prom.Gauge({ name, help, labelNames, registers });
  const rec = new prom.Histogram({ name: 'rollout_reconcile', help: 'Rollout reconciliation performance.', labelNames: ['namespace', 'name'], buckets: [0.01, 0.15, 0.25, 0.5, 1], registers });
  const info = g('rollout_info', 'Information about rollout.', ['namespace', 'name', 'strategy', 'traffic_router', 'phase']);
  const phase = g('rollout_phase', 'Information on the state of the rollout (DEPRECATED - use rollout_info)', ['namespace', 'name', 'strategy', 'phase']);
  const desired = g('rollout_info_replicas_desired', 'The number of desired replicas for a rollout.', ['namespace', 'name']);
  const available = g('rollout_info_replicas_available', 'The number of available replicas per rollout.', ['namespace', 'name']);
  const updated = g('rollout_info_replicas_updated', 'The number of updated replicas per rollout.', ['namespace', 'name']);
  const runInfo = g('analysis_run_info', 'Information about analysis run.', ['namespace', 'name', 'phase']);
  const runPhase = g('analysis_run_phase', 'Information on the state of the Analysis Run (DEPRECATED - use analysis_run_info)', ['namespace', 'name', 'phase']);
  return {
    reconciled: (ro, s) => rec.observe({ namespace: ro.metadata.namespace ?? '', name: ro.metadata.name ?? '' }, s),
    setRollouts: (ros) => {
      for (const m of [info, phase, desired, available, updated]) m.reset();
      for (const ro of ros) {
        const l = { namespace: ro.metadata.namespace ?? '', name: ro.metadata.name ?? '' };
        const strategy = ro.spec.strategy?.blueGreen ? 'blueGreen' : 'canary';
        const router = Object.keys(ro.spec.strategy?.canary?.trafficRouting ?? {})[0] ?? '';
        const ph = ro.status?.phase ?? 'Progressing';
        info.set({ ...l, strategy, traffic_router: router, phase: ph }, 1);
        for (const p of PHASES) phase.set({ ...l, strategy, phase: p }, p === ph ? 1 : 0);
        desired.set(l, ro.spec.replicas ?? 1);
        available.set(l, ro.status?.availableReplicas ?? 0);
        updated.set(l, ro.status?.updatedReplicas ?? 0);
      }
    },
    setRuns: (runs) => {
      runInfo.reset();
      runPhase.reset();
      for (const r of runs) {
        const l = { namespace: r.metadata.namespace ?? '', name: r.metadata.name ?? '' };
        const ph = r.status?.phase || 'Pending';
        runInfo.set({ ...l, phase: ph }, 1);
        for (const p of RUN_PHASES) runPhase.set({ ...l, phase: p }, p === ph ? 1 : 0);
      }
    },
  };
}
