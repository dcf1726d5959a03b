/**
 * Argo Rollouts' notifications: the same engine on Rollouts (`rollout` in triggers and templates),
 * configured by `argo-rollouts-notification-configmap` / `argo-rollouts-notification-secret` in the
 * controller's namespace, subscriptions in the Rollouts' annotations (any namespace it watches).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { KubeClient, Resource } from '@flotilla/kube-runtime';
import { NotificationsController } from './controller.js';

export const ROLLOUTS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts', kind: 'Rollout', namespaced: true };
const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function rolloutsNotifications(client: KubeClient, o: { namespace?: string; watchNamespace?: string; log: (msg: string) => void }): NotificationsController {
  const namespace = o.namespace ?? (existsSync(SA_NAMESPACE) ? readFileSync(SA_NAMESPACE, 'utf8').trim() : 'argo-rollouts');
  return new NotificationsController({
    client,
    namespace,
    resource: ROLLOUTS,
    objectNamespaces: [o.watchNamespace ?? ''],
    varName: 'rollout',
    configMapName: 'argo-rollouts-notification-configmap',
    secretName: 'argo-rollouts-notification-secret',
    workers: 2,
    log: (level, msg) => {
      if (level !== 'debug') o.log(`notifications: ${msg}`);
    },
  });
}
