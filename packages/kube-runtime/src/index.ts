/**
 * @flotilla/kube-runtime — the controller runtime every Flotilla component uses (in the spirit of
 * client-go and controller-runtime): a client, shared informers, a rate-limited work queue and
 * reconcilers, leader election, an event recorder, metrics and health endpoints.
 * The test kit is a separate entry point: `@flotilla/kube-runtime/testkit`.
 */
export { KubeClient, ApiError, isNotFound, isConflict, isAlreadyExists, isGone, isIdempotent, PATCH_CONTENT_TYPES, type ClientOptions, type RequestObserver, type RequestOpts, type WriteOpts, type WatchEvent, type ObjectList, type PatchType, type DeleteOpts } from './client.js';
export { resolveConfig, defaultConfig, inClusterConfig, kubeconfigFromFile, kubeconfigFromText, KubeConfigError, type ClientConfig, type KubeConfigLike, type KubeConfigObject } from './kubeconfig.js';
export type { KubeObject } from '@flotilla/apimachinery';
export { R, apiVersionOf, parseApiVersion, resourcePath, objKey, splitKey, type Resource, type GVK, type AnyObject } from './resources.js';
export { Informer, InformerFactory, NAMESPACE_INDEX, OWNER_UID_INDEX, type Handler, type IndexFunc, type InformerOptions } from './informer.js';
export { WorkQueue, type QueueOptions } from './queue.js';
export { levelEnabled, parseLevel, type Level as LogLevel } from './log.js';
export { TokenBucket } from './ratelimit.js';
export { Controller, newController, writeStatus, retryOnConflict, controllerRefOf, generationChanged, resourceVersionChanged, type Reconciler, type ReconcileResult, type RuntimeContext, type Predicate, type ControllerOptions, type ControllerSpec } from './controller.js';
export { mergePatchOf, NOT_MERGEABLE } from './merge-patch.js';
export { EventRecorder, type EventOpts, type RecorderOptions } from './events.js';
export { LeaderElector, LEASES, leaderIdentity, leaderElectionFromArgs, type LeaderElectionOptions, type LeaderCallbacks } from './leader.js';
export { enableMetrics, metrics, collectProcessMetrics } from './metrics.js';
export { healthHandler, serveHealth, type HealthOptions, type HealthServer, type Check } from './health.js';
