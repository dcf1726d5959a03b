/**
 * The pure part of `flotilla demo pipeline`: reading the example's manifests (with the canary's
 * pauses changed when asked), and what the follower prints about Workflows, Applications and
 * Rollouts. No I/O here besides reading the manifests.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import type { KubeObject } from '@flotilla/apimachinery';
import { loadManifest } from './components-install.js';

export const DEMO_NS = 'flotilla-demo';
export const APP_NAME = 'pipeline-demo';
export const APP_NS = 'argocd';
export const ROLLOUT = 'rollouts-demo';
export const FIELD_MANAGER = 'flotilla-demo';

/** The CRDs the demo's objects need, with the component of `flotilla up` that installs each. */
export const NEEDED_KINDS: { crd: string; component: string }[] = [
  { crd: 'applications.argoproj.io', component: 'argo-cd' },
  { crd: 'workflowtemplates.argoproj.io', component: 'argo-workflows' },
  { crd: 'rollouts.argoproj.io', component: 'argo-rollouts' },
  { crd: 'sensors.argoproj.io', component: 'argo-events' },
];

/** examples/pipeline of this installation (or $FLOTILLA_DEMO_DIR). */
export function examplesDir(): string {
  if (process.env.FLOTILLA_DEMO_DIR) return resolve(process.env.FLOTILLA_DEMO_DIR);
  return fileURLToPath(new URL('../../../examples/pipeline', import.meta.url));
}

/**
 * The demo's objects in apply order (the files' order, NN-name.yaml). With `pauseSeconds`, the
 * canary pauses of the seeded `deploy` repository are that long (the bench sets 0).
 */
export function loadDemo(dir = examplesDir(), o: { pauseSeconds?: number } = {}): KubeObject[] {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  if (!files.length) throw new Error(`${dir}: no manifests (*.yaml) found`);
  const objs = files.flatMap((f) => loadManifest(join(dir, f)));
  if (o.pauseSeconds !== undefined) {
    const seed = objs.find((x) => x.kind === 'ConfigMap' && x.metadata?.name === 'git-seed') as any;
    const text = seed?.data?.['deploy.rollout.yaml'];
    if (typeof text !== 'string') throw new Error(`${dir}: ConfigMap git-seed has no deploy.rollout.yaml to set the pauses in`);
    seed.data['deploy.rollout.yaml'] = setPauses(text, o.pauseSeconds);
  }
  return objs;
}

/** Every `pause: {duration: …}` of a rollout's YAML text set to `seconds`. */
export function setPauses(yaml: string, seconds: number): string {
  return yaml.replace(/pause: \{duration: [^}]*\}/g, `pause: {duration: ${seconds}s}`);
}

/** A Workflow's phase and its steps' phases, as one comparable line. */
export function workflowLine(wf: any): string {
  const nodes = Object.values(wf?.status?.nodes ?? {}) as any[];
  const steps = nodes
    .filter((n) => n.type === 'Pod')
    .sort((a, b) => String(a.startedAt ?? '').localeCompare(String(b.startedAt ?? '')))
    .map((n) => `${n.displayName} ${n.phase}`);
  return `${wf?.status?.phase ?? 'Pending'}${steps.length ? ` (${steps.join(', ')})` : ''}`;
}

/** The output parameter `name` of the workflow's step `step`. */
export function stepOutput(wf: any, step: string, name: string): string | undefined {
  const nodes = Object.values(wf?.status?.nodes ?? {}) as any[];
  const n = nodes.find((x) => x.displayName === step && x.type === 'Pod');
  return n?.outputs?.parameters?.find((p: any) => p.name === name)?.value?.trim();
}

export interface RolloutView {
  image: string;
  phase: string;
  step: string;
  weight: number;
  aborted: boolean;
  /** rolled out: healthy, the desired pods are the stable ones */
  done: boolean;
  message: string;
}

/** What a Rollout is doing, from its spec and status. */
export function rolloutView(ro: any): RolloutView {
  const st = ro?.status ?? {};
  const steps: any[] = ro?.spec?.strategy?.canary?.steps ?? [];
  const idx: number | undefined = st.currentStepIndex;
  const weight = Number(st.canary?.weights?.canary?.weight ?? currentWeight(steps, idx ?? steps.length));
  const image = String(ro?.spec?.template?.spec?.containers?.[0]?.image ?? '');
  const phase = String(st.phase ?? (st.abort ? 'Degraded' : 'Progressing'));
  const step = idx === undefined ? '-' : `${Math.min(idx, steps.length)}/${steps.length}`;
  const done = phase === 'Healthy' && !!st.currentPodHash && st.currentPodHash === st.stableRS && (ro?.metadata?.generation ?? 0) <= (st.observedGeneration === undefined ? Infinity : Number(st.observedGeneration));
  return { image, phase, step, weight: done ? 100 : weight, aborted: !!st.abort, done, message: String(st.message ?? '') };
}

/** The canary weight after the steps before `idx` (the last setWeight; 0 before the first). */
export function currentWeight(steps: any[], idx: number): number {
  let w = 0;
  for (const s of steps.slice(0, idx)) if (typeof s?.setWeight === 'number') w = s.setWeight;
  return idx >= steps.length && steps.length ? 100 : w;
}

/** Stage timings: each stage ends where the next begins. */
export class Stages {
  readonly rows: { stage: string; ms: number }[] = [];
  private last: number;
  constructor(readonly start = Date.now()) {
    this.last = start;
  }
  done(stage: string, at = Date.now()): number {
    const ms = at - this.last;
    this.rows.push({ stage, ms });
    this.last = at;
    return ms;
  }
  /** from the start to the end of the last stage (or `at`) */
  total(at = this.last): number {
    return at - this.start;
  }
  table(): string {
    const w = Math.max(...this.rows.map((r) => r.stage.length), 5);
    return this.rows.map((r) => `  ${r.stage.padEnd(w)}  ${(r.ms / 1000).toFixed(1).padStart(6)} s`).join('\n');
  }
}

/** A color name as the app's tests accept it (bad-<color> and slow-<color> included). */
export function validColor(c: string): boolean {
  return /^[a-z]+(-[a-z]+)*$/.test(c);
}
