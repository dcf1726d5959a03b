/**
 * Experiments, pure: each template becomes a ReplicaSet `<experiment>-<template>-<hash>`; once all
 * are available the experiment is Running (status.availableAt) and its analyses start; it ends
 * Successful when `duration` has passed (or, without one, when the analyses that are
 * requiredForCompletion — all of them when none is marked — have succeeded), Failed/Error/
 * Inconclusive with the first analysis that ends so, Successful on `spec.terminate`. When it ends,
 * its ReplicaSets are scaled to 0.
 */
import { computeHash } from '@flotilla/controllers';
import { durationMs } from '../common.js';
import { HASH_LABEL, type RolloutAnalysis, type ReplicaSet } from '../types.js';

export interface ExperimentTemplate {
  name: string;
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
  minReadySeconds?: number;
  /** a Service for the template's pods (upstream's TemplateService): `name`, else the ReplicaSet's name */
  service?: { name?: string } | null;
}

export interface Experiment {
  metadata: { name?: string; namespace?: string; uid?: string; creationTimestamp?: string; [k: string]: unknown };
  spec: {
    duration?: string | number;
    templates?: ExperimentTemplate[];
    analyses?: ({ name: string; templateName?: string; clusterScope?: boolean; requiredForCompletion?: boolean } & Pick<RolloutAnalysis, 'args'>)[];
    terminate?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: {
    phase?: string;
    message?: string;
    availableAt?: string;
    templateStatuses?: { name: string; replicas: number; updatedReplicas: number; readyReplicas: number; availableReplicas: number; status: string; lastTransitionTime?: string; podTemplateHash?: string; serviceName?: string }[];
    analysisRuns?: { name: string; analysisRun: string; phase: string; message?: string }[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface TemplateServicePlan {
  name: string;
  template: string;
  selector: Record<string, string>;
  ports: { name?: string; port: number; targetPort: number; protocol: string }[];
}

export interface ExperimentPlan {
  replicaSets: { name: string; template: string; hash: string; replicas: number; exists: boolean }[];
  /** the templates' Services while the experiment runs (none once it has ended: they are deleted) */
  services: TemplateServicePlan[];
  runs: { name: string; analysis: string }[];
  terminateRuns: string[];
  status: NonNullable<Experiment['status']>;
  requeueAfterMs?: number;
}

/** the template's hash, distinct per experiment and template (its pods never match a Rollout's own ReplicaSets) */
export const templateHash = (ex: Experiment, t: ExperimentTemplate) => computeHash({ experiment: ex.metadata.name, name: t.name, template: t.template ?? {} });
export const rsNameOf = (ex: Experiment, t: ExperimentTemplate) => `${ex.metadata.name}-${t.name}-${templateHash(ex, t)}`;
export const runNameOf = (ex: Experiment, a: { name: string }) => `${ex.metadata.name}-${a.name}`;
const TERMINAL = ['Successful', 'Failed', 'Error', 'Inconclusive'];

export function planExperiment(ex: Experiment, replicaSets: ReplicaSet[], runs: { metadata: { name?: string }; status?: { phase?: string; message?: string } }[], now: Date): ExperimentPlan {
  const st: NonNullable<Experiment['status']> = JSON.parse(JSON.stringify(ex.status ?? {}));
  const iso = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const plan: ExperimentPlan = { replicaSets: [], services: [], runs: [], terminateRuns: [], status: st };
  const done = TERMINAL.includes(st.phase ?? '');
  const templates = ex.spec.templates ?? [];
  const rsOf = (t: ExperimentTemplate) => replicaSets.find((r) => r.metadata.name === rsNameOf(ex, t));
  let allAvailable = true;
  let serviceError: string | undefined;
  if (!done)
    for (const [i, t] of templates.entries()) {
      if (!t.service) continue;
      const svc = templateService(ex, t);
      if (typeof svc === 'string') serviceError ??= `spec.templates[${i}].service: ${svc}`;
      else plan.services.push(svc);
    }
  st.templateStatuses = templates.map((t) => {
    const rs = rsOf(t);
    const want = done ? 0 : (t.replicas ?? 1);
    plan.replicaSets.push({ name: rsNameOf(ex, t), template: t.name, hash: templateHash(ex, t), replicas: want, exists: !!rs });
    const available = rs?.status?.availableReplicas ?? 0;
    if (available < (t.replicas ?? 1)) allAvailable = false;
    const prev = ex.status?.templateStatuses?.find((x) => x.name === t.name);
    const status = done ? 'Successful' : available >= (t.replicas ?? 1) ? 'Running' : 'Progressing';
    return {
      name: t.name,
      podTemplateHash: templateHash(ex, t),
      replicas: rs?.status?.replicas ?? 0,
      updatedReplicas: rs?.status?.replicas ?? 0,
      readyReplicas: rs?.status?.readyReplicas ?? 0,
      availableReplicas: available,
      status: prev?.status === 'Successful' ? 'Successful' : status,
      lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : iso,
      ...(t.service ? { serviceName: serviceNameOf(ex, t) } : {}),
    };
  });
  if (done) {
    for (const r of runs) if (!TERMINAL.includes(r.status?.phase ?? '')) plan.terminateRuns.push(r.metadata.name!);
    return plan;
  }
  const end = (phase: string, message?: string) => {
    st.phase = phase;
    if (message) st.message = message;
    else delete st.message;
    for (const r of plan.replicaSets) r.replicas = 0;
    for (const ts of st.templateStatuses ?? []) ts.status = phase === 'Successful' ? 'Successful' : ts.status;
    for (const r of runs) if (!TERMINAL.includes(r.status?.phase ?? '')) plan.terminateRuns.push(r.metadata.name!);
    plan.services = [];
  };
  if (serviceError) {
    end('Error', serviceError);
    return plan;
  }
  if (ex.spec.terminate) {
    end('Successful', 'Experiment terminated');
    return plan;
  }
  if (!st.availableAt) {
    if (!allAvailable || !templates.length) {
      st.phase = 'Pending';
      return plan;
    }
    st.availableAt = iso;
  }
  st.phase = 'Running';
  const analyses = ex.spec.analyses ?? [];
  st.analysisRuns = analyses.map((a) => {
    const name = runNameOf(ex, a);
    const r = runs.find((x) => x.metadata.name === name);
    if (!r) plan.runs.push({ name, analysis: a.name });
    return { name: a.name, analysisRun: name, phase: r?.status?.phase || 'Pending', ...(r?.status?.message ? { message: r.status.message } : {}) };
  });
  const bad = st.analysisRuns.find((r) => ['Failed', 'Error', 'Inconclusive'].includes(r.phase));
  if (bad) {
    end(bad.phase, `Metric assessed ${bad.phase} in analysis ${bad.name}${bad.message ? `: ${bad.message}` : ''}`);
    return plan;
  }
  const d = ex.spec.duration !== undefined ? durationMs(ex.spec.duration) : undefined;
  if (d !== undefined) {
    const left = Date.parse(st.availableAt) + d - now.getTime();
    if (left <= 0) end('Successful');
    else plan.requeueAfterMs = left;
    return plan;
  }
  const required = analyses.some((a) => a.requiredForCompletion) ? analyses.filter((a) => a.requiredForCompletion) : analyses;
  if (required.length && required.every((a) => st.analysisRuns!.find((r) => r.name === a.name)?.phase === 'Successful')) end('Successful');
  return plan;
}

/** `service.name`, else the ReplicaSet's name — shortened to a 63-character label with the template hash when longer */
export function serviceNameOf(ex: Experiment, t: ExperimentTemplate): string {
  if (t.service?.name) return t.service.name;
  const rs = rsNameOf(ex, t);
  return rs.length <= 63 ? rs : `${rs.slice(0, 62 - templateHash(ex, t).length).replace(/-+$/, '')}-${templateHash(ex, t)}`;
}

/**
 * The Service of a template with `service`: it selects the template's pods (its selector and the
 * template hash) on every port its containers declare; an error message when it cannot be made.
 */
export function templateService(ex: Experiment, t: ExperimentTemplate): TemplateServicePlan | string {
  const name = serviceNameOf(ex, t);
  if (name.length > 63 || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) return `Service name "${name}" is not a valid DNS-1035 label (at most 63 characters: lower case letters, digits, '-', starting with a letter); set service.name`;
  const containers = ((t.template?.spec?.containers ?? []) as { ports?: { name?: string; containerPort?: number; protocol?: string }[] }[]);
  const ports = containers.flatMap((c) => c.ports ?? []).filter((p) => typeof p.containerPort === 'number');
  if (!ports.length) return `template "${t.name}" declares no container ports for its Service`;
  return {
    name,
    template: t.name,
    selector: { ...(t.selector?.matchLabels ?? {}), [HASH_LABEL]: templateHash(ex, t) },
    ports: ports.map((p, i) => ({ ...(p.name ? { name: p.name } : ports.length > 1 ? { name: `port-${i}` } : {}), port: p.containerPort!, targetPort: p.containerPort!, protocol: p.protocol ?? 'TCP' })),
  };
}

/**
 * An analysis's args with `{{templates.<name>.podTemplateHash}}` and
 * `{{templates.<name>.replicaset.name}}` replaced by that template's values (unknown names: an error).
 */
export function experimentArgs<A extends { name: string; value?: string }>(ex: Experiment, args: A[] | undefined): A[] | undefined {
  if (!args) return args;
  const byName = new Map((ex.spec.templates ?? []).map((t) => [t.name, t]));
  return args.map((a) => {
    if (typeof a.value !== 'string') return a;
    const value = a.value.replace(/\{\{\s*templates\.([^.}\s]+)\.(podTemplateHash|replicaset\.name)\s*\}\}/g, (_m, n: string, what: string) => {
      const t = byName.get(n);
      if (!t) throw new Error(`args.${a.name}: experiment has no template "${n}"`);
      return what === 'podTemplateHash' ? templateHash(ex, t) : rsNameOf(ex, t);
    });
    return { ...a, value };
  });
}
