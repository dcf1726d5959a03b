/**
 * The shapes the controller reads and writes (argoproj.io/v1alpha1 Rollout, apps/v1 ReplicaSet,
 * v1 Service), as far as it uses them. Objects stay raw JSON: unknown fields survive.
 */
export const GROUP = 'argoproj.io';
export const VERSION = 'v1alpha1';
/** the label on ReplicaSets, pods and Service selectors naming a revision's pod template */
export const HASH_LABEL = 'rollouts-pod-template-hash';
export const REVISION_ANNOTATION = 'rollout.argoproj.io/revision';
export const MANAGED_BY_ANNOTATION = 'argo-rollouts.argoproj.io/managed-by-rollouts';
export const SCALE_DOWN_DEADLINE_ANNOTATION = 'scale-down-deadline';
export const EPHEMERAL_ANNOTATION = 'rollout.argoproj.io/ephemeral-metadata';

export interface Meta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  [k: string]: unknown;
}

export type IntOrString = number | string;

export interface AnalysisArg {
  name: string;
  value?: string;
  valueFrom?: { podTemplateHashValue?: 'Stable' | 'Latest'; fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}
export interface RolloutAnalysis {
  templates?: { templateName?: string; clusterScope?: boolean }[];
  args?: AnalysisArg[];
  startingStep?: number;
  dryRun?: unknown[];
  measurementRetention?: unknown[];
  analysisRunMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface CanaryStep {
  setWeight?: number;
  pause?: { duration?: IntOrString };
  setCanaryScale?: { replicas?: number; weight?: number; matchTrafficWeight?: boolean };
  analysis?: RolloutAnalysis;
  experiment?: unknown;
  setHeaderRoute?: { name?: string; match?: HeaderMatch[] };
  setMirrorRoute?: { name?: string; percentage?: number; match?: unknown[] };
}

/** upstream's StringMatch: exactly one of the three */
export interface StringMatch {
  exact?: string;
  regex?: string;
  prefix?: string;
}
export interface HeaderMatch {
  headerName: string;
  headerValue?: StringMatch;
}

export interface CanaryStrategy {
  steps?: CanaryStep[];
  maxSurge?: IntOrString;
  maxUnavailable?: IntOrString;
  canaryService?: string;
  stableService?: string;
  trafficRouting?: Record<string, any>;
  analysis?: RolloutAnalysis;
  scaleDownDelaySeconds?: number;
  abortScaleDownDelaySeconds?: number;
  dynamicStableScale?: boolean;
  minPodsPerReplicaSet?: number;
  scaleDownDelayRevisionLimit?: number;
  antiAffinity?: import('./affinity.js').AntiAffinity;
  canaryMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  stableMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface BlueGreenStrategy {
  activeService?: string;
  previewService?: string;
  autoPromotionEnabled?: boolean;
  autoPromotionSeconds?: number;
  previewReplicaCount?: number;
  scaleDownDelaySeconds?: number;
  scaleDownDelayRevisionLimit?: number;
  abortScaleDownDelaySeconds?: number;
  antiAffinity?: import('./affinity.js').AntiAffinity;
  prePromotionAnalysis?: RolloutAnalysis;
  postPromotionAnalysis?: RolloutAnalysis;
  activeMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  previewMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, any>;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface PauseCondition {
  reason: 'CanaryPauseStep' | 'BlueGreenPause' | 'InconclusiveAnalysisRun' | 'InconclusiveExperiment' | string;
  startTime: string;
}

export interface RolloutStatus {
  phase?: 'Healthy' | 'Progressing' | 'Paused' | 'Degraded';
  message?: string;
  observedGeneration?: string;
  currentPodHash?: string;
  currentStepHash?: string;
  currentStepIndex?: number;
  stableRS?: string;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  HPAReplicas?: number;
  selector?: string;
  collisionCount?: number;
  pauseConditions?: PauseCondition[];
  controllerPause?: boolean;
  abort?: boolean;
  abortedAt?: string;
  promoteFull?: boolean;
  restartedAt?: string;
  conditions?: Condition[];
  canary?: {
    weights?: { canary: { podTemplateHash?: string; weight: number; serviceName?: string }; stable: { podTemplateHash?: string; weight: number; serviceName?: string } };
    currentStepAnalysisRunStatus?: AnalysisRunRef;
    currentBackgroundAnalysisRunStatus?: AnalysisRunRef;
    stablePingPong?: string;
  };
  blueGreen?: {
    activeSelector?: string;
    previewSelector?: string;
    prePromotionAnalysisRunStatus?: AnalysisRunRef;
    postPromotionAnalysisRunStatus?: AnalysisRunRef;
    scaleUpPreviewCheckPoint?: boolean;
  };
  [k: string]: unknown;
}

export interface AnalysisRunRef {
  name: string;
  status: string;
  message?: string;
}

export interface Rollout {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
    template?: PodTemplate;
    workloadRef?: { apiVersion?: string; kind?: string; name?: string; scaleDown?: string };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
    progressDeadlineAbort?: boolean;
    restartAt?: string;
    rollbackWindow?: { revisions?: number };
    strategy?: { canary?: CanaryStrategy; blueGreen?: BlueGreenStrategy };
    [k: string]: unknown;
  };
  status?: RolloutStatus;
  [k: string]: unknown;
}

export interface ReplicaSet {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec: { replicas?: number; minReadySeconds?: number; selector?: { matchLabels?: Record<string, string> }; template?: PodTemplate };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; fullyLabeledReplicas?: number; observedGeneration?: number };
  [k: string]: unknown;
}

export interface Service {
  metadata: Meta;
  spec?: { selector?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** A ReplicaSet with the numbers the planners use. */
export interface RSView {
  name: string;
  hash: string;
  /** spec.replicas */
  replicas: number;
  /** status.replicas (pods that exist and are not terminating) */
  current: number;
  ready: number;
  available: number;
  revision: number;
  created: string;
  annotations: Record<string, string>;
}

export function rsView(rs: ReplicaSet): RSView {
  return {
    name: rs.metadata.name!,
    hash: rs.metadata.labels?.[HASH_LABEL] ?? '',
    replicas: rs.spec.replicas ?? 1,
    current: rs.status?.replicas ?? 0,
    ready: rs.status?.readyReplicas ?? 0,
    available: rs.status?.availableReplicas ?? 0,
    revision: Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) || 0,
    created: rs.metadata.creationTimestamp ?? '',
    annotations: rs.metadata.annotations ?? {},
  };
}
