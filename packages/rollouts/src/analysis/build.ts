/**
 * An AnalysisRun from a Rollout's analysis block: the templates' metrics (AnalysisTemplate or
 * ClusterAnalysisTemplate), args merged (the template's defaults, then the rollout's values;
 * valueFrom podTemplateHashValue and fieldRef resolved here, secretKeyRef left for the run),
 * labelled with the pod-template hash and the run type, owned by the Rollout.
 */
import type { WantedRun } from '../common.js';
import { HASH_LABEL, REVISION_ANNOTATION, type AnalysisArg, type Rollout } from '../types.js';

export const BUILD_ERROR_ANNOTATION = 'rollouts.flotilla.dev/build-error';

type Template = { metadata: { name?: string }; spec?: { args?: AnalysisArg[]; metrics?: { name: string }[]; dryRun?: unknown[]; measurementRetention?: unknown[] } };

const TYPE = { step: 'Step', background: 'Background', pre: 'PrePromotion', post: 'PostPromotion' } as const;

/** metadata.name, metadata.labels['x'], spec.replicas … of the Rollout */
export function fieldPath(obj: unknown, path: string): string | undefined {
  const parts: string[] = [];
  const re = /([^.[\]]+)|\[['"]?([^'"\]]+)['"]?\]/g;
  for (let m; (m = re.exec(path)); ) parts.push(m[1] ?? m[2]);
  let cur: any = obj;
  for (const p of parts) cur = cur?.[p];
  return cur === undefined || cur === null ? undefined : typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

export function buildAnalysisRun(ro: Rollout, w: WantedRun, getTemplate: (name: string, cluster: boolean) => Template | undefined, error?: string): any {
  const metrics: { name: string }[] = [];
  const args = new Map<string, AnalysisArg>();
  const dryRun: unknown[] = [...(w.analysis.dryRun ?? [])];
  const retention: unknown[] = [...(w.analysis.measurementRetention ?? [])];
  let err = error;
  if (!err) {
    for (const t of w.analysis.templates ?? []) {
      const name = t.templateName ?? '';
      const tpl = getTemplate(name, !!t.clusterScope);
      if (!tpl) throw new Error(`${t.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate'} "${name}" not found`);
      for (const m of tpl.spec?.metrics ?? []) {
        if (metrics.some((x) => x.name === m.name)) throw new Error(`two metrics have the same name '${m.name}'`);
        metrics.push(m);
      }
      for (const a of tpl.spec?.args ?? []) if (!args.has(a.name) || a.value !== undefined) args.set(a.name, a);
      dryRun.push(...(tpl.spec?.dryRun ?? []));
      retention.push(...(tpl.spec?.measurementRetention ?? []));
    }
    for (const a of w.analysis.args ?? []) {
      let v: AnalysisArg = { name: a.name, value: a.value };
      const vf = a.valueFrom;
      if (vf?.podTemplateHashValue) v = { name: a.name, value: vf.podTemplateHashValue === 'Stable' ? (w.stableHash ?? w.podHash) : w.podHash };
      else if (vf?.fieldRef) v = { name: a.name, value: fieldPath(ro, vf.fieldRef.fieldPath) ?? '' };
      else if (vf?.secretKeyRef) v = { name: a.name, valueFrom: { secretKeyRef: vf.secretKeyRef } };
      args.set(a.name, v);
    }
    for (const a of args.values()) if (a.value === undefined && !a.valueFrom) throw new Error(`args.${a.name} was not resolved`);
  }
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: {
      name: w.name,
      namespace: ro.metadata.namespace,
      labels: { ...(w.analysis.analysisRunMetadata?.labels ?? {}), [HASH_LABEL]: w.podHash, 'rollout-type': TYPE[w.kind], ...(w.kind === 'step' ? { 'step-index': w.name.split('-').pop()! } : {}) },
      annotations: { ...(w.analysis.analysisRunMetadata?.annotations ?? {}), [REVISION_ANNOTATION]: ro.metadata.annotations?.[REVISION_ANNOTATION] ?? '', ...(err ? { [BUILD_ERROR_ANNOTATION]: err } : {}) },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: ro.metadata.name!, uid: ro.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      metrics,
      ...(args.size ? { args: [...args.values()] } : {}),
      ...(dryRun.length ? { dryRun } : {}),
      ...(retention.length ? { measurementRetention: retention } : {}),
    },
  };
}
