/**
 * Fixed Rollout/ReplicaSet/Pod/AnalysisRun objects for the formatting tests and the e2e test (which
 * creates them in a cluster): the getting-started rollout at step 1 of a canary update blue → yellow.
 */
import type { Obj } from './info.js';

export const T0 = Date.parse('2026-12-05T10:00:00Z');
const ts = (secondsAgo: number, now = T0) => new Date(now - secondsAgo * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const STEPS = [{ setWeight: 20 }, { pause: {} }, { setWeight: 40 }, { pause: { duration: 10 } }, { setWeight: 60 }, { pause: { duration: 10 } }, { setWeight: 80 }, { pause: { duration: 10 } }];

export function demoTemplate(color: string, hash?: string): any {
  return {
    metadata: { labels: { app: 'rollouts-demo', ...(hash ? { 'rollouts-pod-template-hash': hash } : {}) } },
    spec: { containers: [{ name: 'rollouts-demo', image: `argoproj/rollouts-demo:${color}`, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }] },
  };
}

export function demoRollout(o: { ns?: string; uid?: string; color?: string; status?: any; now?: number } = {}): Obj {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'rollouts-demo', namespace: o.ns ?? 'default', uid: o.uid ?? 'ro-uid', generation: 2, creationTimestamp: ts(128, o.now) },
    spec: {
      replicas: 5,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { app: 'rollouts-demo' } },
      strategy: { canary: { steps: STEPS } },
      template: demoTemplate(o.color ?? 'yellow'),
    },
    status: o.status ?? {
      phase: 'Paused',
      message: 'CanaryPauseStep',
      currentStepIndex: 1,
      currentPodHash: '789746c88d',
      stableRS: '6cf78c66c5',
      observedGeneration: '2',
      replicas: 5,
      updatedReplicas: 1,
      readyReplicas: 5,
      availableReplicas: 5,
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime: ts(12, o.now) }],
      controllerPause: true,
      canary: {},
    },
  };
}

export function demoReplicaSet(o: { ns?: string; roUid?: string; hash: string; color: string; revision: number; replicas: number; uid: string; age: number; now?: number }): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `rollouts-demo-${o.hash}`,
      namespace: o.ns ?? 'default',
      uid: o.uid,
      creationTimestamp: ts(o.age, o.now),
      labels: { app: 'rollouts-demo', 'rollouts-pod-template-hash': o.hash },
      annotations: { 'rollout.argoproj.io/revision': String(o.revision) },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'rollouts-demo', uid: o.roUid ?? 'ro-uid', controller: true, blockOwnerDeletion: true } as any],
    },
    spec: { replicas: o.replicas, selector: { matchLabels: { app: 'rollouts-demo', 'rollouts-pod-template-hash': o.hash } }, template: demoTemplate(o.color, o.hash) },
    status: { replicas: o.replicas, readyReplicas: o.replicas, availableReplicas: o.replicas, fullyLabeledReplicas: o.replicas, observedGeneration: 1 },
  };
}

export function demoPod(o: { ns?: string; rs: Obj; suffix: string; age: number; now?: number; ready?: boolean; restarts?: number }): Obj {
  const ready = o.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${o.rs.metadata.name}-${o.suffix}`,
      namespace: o.ns ?? 'default',
      uid: `pod-${o.suffix}`,
      creationTimestamp: ts(o.age, o.now),
      labels: o.rs.spec.template.metadata.labels,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.rs.metadata.name, uid: o.rs.metadata.uid!, controller: true } as any],
    },
    spec: o.rs.spec.template.spec,
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'rollouts-demo', ready, restartCount: o.restarts ?? 0, image: o.rs.spec.template.spec.containers[0].image, state: { running: { startedAt: ts(o.age, o.now) } } }],
    },
  };
}

/** Step 1/8 of blue → yellow: revision 2 (yellow, 1 pod, canary) and revision 1 (blue, 4 pods, stable). */
export function pausedScene(now = T0) {
  const ro = demoRollout({ now });
  const canary = demoReplicaSet({ hash: '789746c88d', color: 'yellow', revision: 2, replicas: 1, uid: 'rs2', age: 12, now });
  const stable = demoReplicaSet({ hash: '6cf78c66c5', color: 'blue', revision: 1, replicas: 4, uid: 'rs1', age: 128, now });
  const pods = [demoPod({ rs: canary, suffix: '8mrh4', age: 12, now }), ...['2b6sg', '7xqzs', 'kzntn', 'vr7kd'].map((s) => demoPod({ rs: stable, suffix: s, age: 128, now }))];
  return { ro, replicaSets: [canary, stable], pods };
}
