/**
 * HorizontalPodAutoscaler: autoscaling/v1 ↔ autoscaling/v2 (pure). Kubernetes stores HPAs as v2
 * and serves v1 as a conversion of it: v1's `targetCPUUtilizationPercentage` is v2's Resource
 * metric `cpu` with an `Utilization` target, v1's `status.currentCPUUtilizationPercentage` the
 * current value of that metric. What v1 cannot say (other metrics, `behavior`, conditions, other
 * current metrics) rides in annotations of the v1 view, as Kubernetes keeps them, so an object
 * read and written back through v1 keeps its v2 fields.
 */
import type { KubeObject } from '@flotilla/apimachinery';

export const HPA_V1 = 'autoscaling/v1';
export const HPA_V2 = 'autoscaling/v2';

const A_METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const A_BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';
const A_CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
const A_CURRENT = 'autoscaling.alpha.kubernetes.io/current-metrics';

type Obj = Record<string, any>;

const isCpuUtilization = (m: Obj): boolean => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization';
const isCpuCurrent = (m: Obj): boolean => m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.current?.averageUtilization !== undefined;

function takeAnnotation(meta: Obj, key: string): unknown {
  const v = meta.annotations?.[key];
  if (v === undefined) return undefined;
  delete meta.annotations[key];
  if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

function putAnnotation(meta: Obj, key: string, v: unknown): void {
  meta.annotations = { ...(meta.annotations ?? {}), [key]: JSON.stringify(v) };
}

/** A v2 HPA as v1 presents it (a new object; the input is not changed). */
export function hpaV2toV1(o: KubeObject): KubeObject {
  const src = o as Obj;
  const meta: Obj = { ...(src.metadata ?? {}) };
  if (meta.annotations) meta.annotations = { ...meta.annotations };
  const spec: Obj = src.spec ?? {};
  const metrics: Obj[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) putAnnotation(meta, A_METRICS, others);
  if (spec.behavior) putAnnotation(meta, A_BEHAVIOR, spec.behavior);
  const v1spec: Obj = { scaleTargetRef: spec.scaleTargetRef, ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}), maxReplicas: spec.maxReplicas };
  if (cpu) v1spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  const out: Obj = { ...src, apiVersion: HPA_V1, metadata: meta, spec: v1spec };
  if (src.status) {
    const st: Obj = src.status;
    const current: Obj[] = Array.isArray(st.currentMetrics) ? st.currentMetrics : [];
    const cur = current.find(isCpuCurrent);
    const otherCur = current.filter((m) => m !== cur);
    if (otherCur.length) putAnnotation(meta, A_CURRENT, otherCur);
    if (Array.isArray(st.conditions) && st.conditions.length) putAnnotation(meta, A_CONDITIONS, st.conditions);
    const v1st: Obj = {};
    for (const k of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']) if (st[k] !== undefined) v1st[k] = st[k];
    if (cur) v1st.currentCPUUtilizationPercentage = cur.resource.current.averageUtilization;
    out.status = v1st;
  }
  return out as KubeObject;
}

/** A v1 HPA as v2 stores it (a new object). */
export function hpaV1toV2(o: KubeObject): KubeObject {
  const src = o as Obj;
  const meta: Obj = { ...(src.metadata ?? {}) };
  if (meta.annotations) meta.annotations = { ...meta.annotations };
  const spec: Obj = src.spec ?? {};
  const metrics: Obj[] = [];
  if (spec.targetCPUUtilizationPercentage !== undefined && spec.targetCPUUtilizationPercentage !== null)
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  const others = takeAnnotation(meta, A_METRICS);
  if (Array.isArray(others)) metrics.push(...others);
  const behavior = takeAnnotation(meta, A_BEHAVIOR);
  const v2spec: Obj = { scaleTargetRef: spec.scaleTargetRef, ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}), maxReplicas: spec.maxReplicas };
  if (metrics.length) v2spec.metrics = metrics;
  if (behavior && typeof behavior === 'object') v2spec.behavior = behavior;
  const currentOthers = takeAnnotation(meta, A_CURRENT);
  const conditions = takeAnnotation(meta, A_CONDITIONS);
  const out: Obj = { ...src, apiVersion: HPA_V2, metadata: meta, spec: v2spec };
  if (src.status) {
    const st: Obj = src.status;
    const v2st: Obj = {};
    for (const k of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']) if (st[k] !== undefined) v2st[k] = st[k];
    const current: Obj[] = [];
    if (st.currentCPUUtilizationPercentage !== undefined && st.currentCPUUtilizationPercentage !== null)
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } });
    if (Array.isArray(currentOthers)) current.push(...currentOthers);
    if (current.length) v2st.currentMetrics = current;
    if (Array.isArray(conditions)) v2st.conditions = conditions;
    out.status = v2st;
  } else if (Array.isArray(conditions) || Array.isArray(currentOthers)) {
    out.status = { ...(Array.isArray(currentOthers) ? { currentMetrics: currentOthers } : {}), ...(Array.isArray(conditions) ? { conditions } : {}) };
  }
  return out as KubeObject;
}

/** The object in `want` (autoscaling/v1 or v2) if it is an HPA in the other; otherwise undefined. */
export function convertHpa(o: KubeObject, want: string): KubeObject | undefined {
  if (o.kind !== 'HorizontalPodAutoscaler' || o.apiVersion === want) return undefined;
  if (want === HPA_V1 && o.apiVersion === HPA_V2) return hpaV2toV1(o);
  if (want === HPA_V2 && o.apiVersion === HPA_V1) return hpaV1toV2(o);
  return undefined;
}
