/**
 * Resource tracking as Argo CD documents it: `label` (the instance label, `app.kubernetes.io/instance`
 * by default, holding the app name), `annotation` (`argocd.argoproj.io/tracking-id:
 * <app>:<group>/<kind>:<namespace>/<name>`) or `annotation+label` (the annotation decides, the label is
 * informational). Apps outside the control-plane namespace are named `<namespace>_<name>`.
 */
import { ANNOTATIONS, LABELS, type KubeObject } from '../types.js';
import type { ArgoSettings } from '../settings/types.js';
import { clone } from './jsonutil.js';
import { groupOf } from './normalize.js';

type TrackingSettings = Partial<Pick<ArgoSettings, 'trackingMethod' | 'appInstanceLabelKey' | 'installationID'>> | undefined;

export interface TrackingInfo {
  /** the app instance name found on the object (per tracking method), if any */
  appName?: string;
  /** from the tracking-id annotation */
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  /** the object is tracked by `appName` as given to trackingInfo (and, for the annotation, the id names this very object) */
  ownedByApp: boolean;
}

/** The instance name Argo CD writes for an app: `<ns>_<name>` when the app lives outside the controller's namespace. */
export function appInstanceName(appName: string, appNamespace?: string, controllerNamespace?: string): string {
  return appNamespace && controllerNamespace && appNamespace !== controllerNamespace ? `${appNamespace}_${appName}` : appName;
}

export function trackingIdFor(obj: KubeObject, instanceName: string, defaultNamespace?: string): string {
  const ns = obj.metadata?.namespace ?? defaultNamespace ?? '';
  return `${instanceName}:${groupOf(obj)}/${obj.kind ?? ''}:${ns}/${obj.metadata?.name ?? ''}`;
}

export function parseTrackingId(id: string): Omit<TrackingInfo, 'ownedByApp'> | undefined {
  const m = /^([^:]+):([^/:]*)\/([^:]+):([^/]*)\/(.+)$/.exec(id);
  if (!m) return undefined;
  return { appName: m[1], group: m[2], kind: m[3], namespace: m[4], name: m[5] };
}

/**
 * Which app tracks `obj` according to the settings' tracking method; `ownedByApp` answers for
 * `appName` (an instance name as appInstanceName builds it).
 */
export function trackingInfo(obj: KubeObject, appName: string | undefined, settings: TrackingSettings): TrackingInfo {
  const method = settings?.trackingMethod ?? 'label';
  const labelKey = settings?.appInstanceLabelKey ?? LABELS.instance;
  if (method === 'label') {
    const v = obj.metadata?.labels?.[labelKey];
    return { appName: v, ownedByApp: v !== undefined && v === appName };
  }
  const raw = obj.metadata?.annotations?.[ANNOTATIONS.trackingId];
  const id = raw ? parseTrackingId(raw) : undefined;
  if (!id) return { ownedByApp: false };
  // an id copied onto another object (e.g. a ReplicaSet from its Deployment's template) does not make it the app's
  const self = id.kind === obj.kind && id.group === groupOf(obj) && id.name === obj.metadata?.name && (id.namespace === (obj.metadata?.namespace ?? '') || !obj.metadata?.namespace);
  if (settings?.installationID && obj.metadata?.annotations?.['argocd.argoproj.io/installation-id'] !== settings.installationID) {
    return { ...id, ownedByApp: false };
  }
  return { ...id, ownedByApp: self && id.appName === appName };
}

/** A copy of `obj` marked as tracked by the app, per tracking method (what the controller applies). */
export function setTracking(obj: KubeObject, app: { name: string; namespace?: string; controllerNamespace?: string; defaultNamespace?: string }, settings: TrackingSettings): KubeObject {
  const out = clone(obj);
  const method = settings?.trackingMethod ?? 'label';
  const instance = appInstanceName(app.name, app.namespace, app.controllerNamespace);
  out.metadata = out.metadata ?? {};
  if (method === 'label' || method === 'annotation+label') {
    out.metadata.labels = { ...(out.metadata.labels ?? {}), [settings?.appInstanceLabelKey ?? LABELS.instance]: instance.length > 63 && method === 'annotation+label' ? instance.slice(0, 63) : instance };
  }
  if (method === 'annotation' || method === 'annotation+label') {
    const ann: Record<string, string> = { ...(out.metadata.annotations ?? {}), [ANNOTATIONS.trackingId]: trackingIdFor(out, instance, app.defaultNamespace) };
    if (settings?.installationID) ann['argocd.argoproj.io/installation-id'] = settings.installationID;
    out.metadata.annotations = ann;
  }
  return out;
}
