/**
 * Which Application an object in a cluster belongs to, read through the engine's tracking
 * (`trackingInfo`: `label`, `annotation`, `annotation+label`; a tracking id copied onto another
 * object does not count), and the app instance name (`<namespace>_<name>` outside Argo CD's namespace).
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { LABELS } from '@flotilla/argocd-engine';
import { appInstanceName, setTracking, trackingInfo } from '@flotilla/argocd-engine/diff';
import type { ArgoSettings } from '@flotilla/argocd-engine/settings';

export type TrackingOpts = Partial<Pick<ArgoSettings, 'trackingMethod' | 'appInstanceLabelKey' | 'installationID'>>;

export const DEFAULT_TRACKING: TrackingOpts = { trackingMethod: 'label', appInstanceLabelKey: LABELS.instance };

export const groupOf = (apiVersion: string | undefined) => {
  const i = (apiVersion ?? '').indexOf('/');
  return i < 0 ? '' : apiVersion!.slice(0, i);
};

/** The app instance an object is tracked by, if any. */
export function trackedApp(obj: KubeObject, t: TrackingOpts): string | undefined {
  const candidate = trackingInfo(obj, undefined, t).appName;
  if (!candidate) return undefined;
  return trackingInfo(obj, candidate, t).ownedByApp ? candidate : undefined;
}

/** A copy of an object marked as the app's (what the controller applies). */
export function withTracking(obj: KubeObject, app: { name: string; namespace?: string; controllerNamespace: string; defaultNamespace?: string }, t: TrackingOpts): KubeObject {
  return setTracking(obj, app, t);
}

export function instanceName(app: KubeObject, controlNamespace: string): string {
  return appInstanceName(app.metadata!.name!, app.metadata?.namespace, controlNamespace);
}
