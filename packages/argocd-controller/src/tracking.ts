/**
 * Which Application an object in a cluster belongs to (Argo CD's resource tracking), read side:
 * `label` (the `app.kubernetes.io/instance` label, or argocd-cm `application.instanceLabelKey`),
 * `annotation` (`argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<namespace>/<name>`, valid
 * only on the object it names, so copies made by controllers are not claimed) and
 * `annotation+label` (the annotation decides, the label is informational).
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { ANNOTATIONS, LABELS } from '@flotilla/argocd-engine';

export type TrackingMethod = 'label' | 'annotation' | 'annotation+label';

export interface TrackingOpts {
  method: TrackingMethod;
  labelKey: string;
}

export const DEFAULT_TRACKING: TrackingOpts = { method: 'label', labelKey: LABELS.instance };

export const groupOf = (apiVersion: string | undefined) => {
  const i = (apiVersion ?? '').indexOf('/');
  return i < 0 ? '' : apiVersion!.slice(0, i);
};

/** The tracking id of an object for an app: `<app>:<group>/<kind>:<namespace>/<name>`. */
export function trackingId(appName: string, obj: KubeObject, namespace?: string): string {
  const m = obj.metadata ?? {};
  return `${appName}:${groupOf(obj.apiVersion)}/${obj.kind}:${m.namespace ?? namespace ?? ''}/${m.name}`;
}

/** The app (its instance name: `name`, or `namespace_name` for apps outside the control-plane namespace) an object is tracked by. */
export function trackedApp(obj: KubeObject, t: TrackingOpts): string | undefined {
  const m = obj.metadata;
  if (!m) return undefined;
  if (t.method === 'label') {
    const v = m.labels?.[t.labelKey];
    return v || undefined;
  }
  const id = m.annotations?.[ANNOTATIONS.trackingId];
  if (!id) return undefined;
  const p = parseTrackingId(id);
  if (!p) return undefined;
  // an annotation copied to another object (a ReplicaSet from its Deployment's template) is not tracking
  if (p.kind !== obj.kind || p.name !== m.name || p.group !== groupOf(obj.apiVersion) || (p.namespace && p.namespace !== (m.namespace ?? ''))) return undefined;
  return p.app;
}

export function parseTrackingId(id: string): { app: string; group: string; kind: string; namespace: string; name: string } | undefined {
  const m = /^([^:]+):([^/]*)\/([^:]+):([^/]*)\/(.+)$/.exec(id);
  if (!m) return undefined;
  return { app: m[1], group: m[2], kind: m[3], namespace: m[4], name: m[5] };
}

/** Sets the tracking metadata of an object to be applied for an app (returns a copy). */
export function withTracking(obj: KubeObject, appName: string, t: TrackingOpts, namespace?: string): KubeObject {
  const m = { ...(obj.metadata ?? {}) };
  if (t.method === 'label' || t.method === 'annotation+label') {
    // label values are at most 63 characters; Argo CD uses the annotation for longer names
    m.labels = { ...(m.labels ?? {}), [t.labelKey]: appName.length <= 63 ? appName : appName.slice(0, 63) };
  }
  if (t.method !== 'label') m.annotations = { ...(m.annotations ?? {}), [ANNOTATIONS.trackingId]: trackingId(appName, obj, namespace) };
  return { ...obj, metadata: m };
}

/** The instance name of an app: its name in the control-plane namespace, else `<namespace>_<name>`. */
export function instanceName(app: KubeObject, controlNamespace: string): string {
  const ns = app.metadata?.namespace ?? controlNamespace;
  return ns === controlNamespace ? app.metadata!.name! : `${ns}_${app.metadata!.name}`;
}
