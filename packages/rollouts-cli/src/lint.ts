/**
 * `lint -f`: checks of a Rollout manifest made before it reaches the cluster (pure). Messages follow
 * the controller's InvalidSpec messages where upstream has one.
 */
import { validateExperimentWeights, validateRoutes } from '@flotilla/rollouts';
import type { Obj } from './info.js';

const STEP_FIELDS = new Set(['setWeight', 'pause', 'analysis', 'experiment', 'setCanaryScale', 'setHeaderRoute', 'setMirrorRoute', 'plugin']);

function matches(selector: any, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === 'In' && !(has && e.values?.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values?.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Errors of one Rollout (empty when it is fine). */
export function lintRollout(ro: Obj): string[] {
  const errs: string[] = [];
  const spec = ro.spec ?? {};
  const path = 'spec';
  if (!ro.metadata?.name) errs.push('metadata.name: Required value');
  if (!spec.selector && !spec.workloadRef) errs.push(`${path}.selector: Required value: Rollout has missing field '.spec.selector'`);
  if (!spec.template && !spec.workloadRef) errs.push(`${path}.template: Required value: Rollout has missing field '.spec.template'`);
  if (spec.template && spec.workloadRef) errs.push(`${path}.template: Invalid value: template must be empty for workload reference rollout`);
  if (spec.selector && spec.template && !matches(spec.selector, spec.template.metadata?.labels)) errs.push(`${path}.selector: Invalid value: selector does not match template labels`);
  const s = spec.strategy ?? {};
  if (s.canary && s.blueGreen) errs.push(`${path}.strategy: Invalid value: Multiple Strategies can not be listed`);
  if (!s.canary && !s.blueGreen) errs.push(`${path}.strategy: Invalid value: No deployment strategy listed`);
  if (s.blueGreen && !s.blueGreen.activeService) errs.push(`${path}.strategy.blueGreen.activeService: Required value`);
  if (s.blueGreen?.activeService && s.blueGreen.activeService === s.blueGreen.previewService) errs.push(`${path}.strategy.blueGreen.previewService: Invalid value: "${s.blueGreen.previewService}": This rollout uses the same service for the active and preview services, but two different services are required.`);
  if (s.canary) {
    if (s.canary.canaryService && s.canary.canaryService === s.canary.stableService) errs.push(`${path}.strategy.canary.stableService: Invalid value: "${s.canary.stableService}": This rollout uses the same service for the stable and canary services, but two different services are required.`);
    if (s.canary.trafficRouting && (!s.canary.canaryService || !s.canary.stableService)) errs.push(`${path}.strategy.canary.trafficRouting: Invalid value: Canary service and Stable service must be set for traffic routing`);
    // header and mirror routes: the controller's own checks (managedRoutes, matches, routers)
    const route = validateRoutes(s.canary);
    if (route) errs.push(`${route[0]}: Invalid value: ${JSON.stringify(route[1])}: ${route[2]}`);
    (s.canary.steps ?? []).forEach((st: any, i: number) => {
      const p = `${path}.strategy.canary.steps[${i}]`;
      const keys = Object.keys(st ?? {});
      for (const k of keys) if (!STEP_FIELDS.has(k)) errs.push(`${p}: Invalid value: unknown field "${k}"`);
      // one action per step; a route (setHeaderRoute, setMirrorRoute) may share it, as in upstream's apisix example
      const actions = keys.filter((k) => STEP_FIELDS.has(k) && k !== 'setHeaderRoute' && k !== 'setMirrorRoute');
      if (!keys.length || actions.length > 1) errs.push(`${p}: Invalid value: Step must have one of the following set: experiment, setWeight, setCanaryScale or pause`);
      if (st?.setWeight !== undefined && (typeof st.setWeight !== 'number' || st.setWeight < 0 || st.setWeight > 100)) errs.push(`${p}.setWeight: Invalid value: ${JSON.stringify(st.setWeight)}: SetWeight needs to be between 0 and 100`);
      const exp = st?.experiment ? validateExperimentWeights(st.experiment, `${p}.experiment`, s.canary.trafficRouting) : undefined;
      if (exp) errs.push(`${exp[0]}: Invalid value: ${JSON.stringify(exp[1])}: ${exp[2]}`);
      if (st?.pause?.duration !== undefined && !/^(\d+|\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(String(st.pause.duration))) errs.push(`${p}.pause.duration: Invalid value: ${JSON.stringify(st.pause.duration)}: Pause duration needs to be a number or a duration string`);
    });
  }
  if (spec.replicas !== undefined && (typeof spec.replicas !== 'number' || spec.replicas < 0)) errs.push(`${path}.replicas: Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0`);
  return errs;
}

/** Errors of every Rollout in a file; other kinds pass (upstream lints them only against the rollout). */
export function lintDocuments(docs: Obj[]): string[] {
  const out: string[] = [];
  for (const d of docs) {
    if (d?.kind !== 'Rollout') continue;
    for (const e of lintRollout(d)) out.push(`Rollout "${d.metadata?.name ?? ''}": ${e}`);
  }
  return out;
}
