// diff: Argo CD's comparison of desired and live objects (see packages/argocd-engine/README.md)
export * from './types.js';
export { diffResource, diffResources, unifiedDiff, compareOptionsOf, lastAppliedConfiguration, withLastApplied } from './compare.js';
export { maskSecret, isSecret } from './mask.js';
export { trackingInfo, setTracking, appInstanceName, trackingIdFor, parseTrackingId, type TrackingInfo } from './tracking.js';
export { isExcluded } from '../settings/lookup.js';
export { applyIgnoreRule, rulesFor, ruleMatches, jqPaths, parseJsonPointer, IgnoreRuleError } from './ignore.js';
export { threeWayMerge, removeMapFields } from './threeway.js';
export { wantsServerSideDiff, respectIgnoreDifferences, isIgnorableUpdate } from './extras.js';
export { canonicalQuantity } from './quantity.js';
export { appSyncStatus, resourceSyncStatus, requiresPruning } from './status.js';
