// settings: argocd-cm / argocd-cmd-params-cm parsing (see packages/argocd-engine/README.md)
export * from './types.js';
export { parseSettings, defaultSettings, parseIgnoreRule, CORE_EXCLUSIONS, DEFAULT_RECONCILIATION_TIMEOUT_SECONDS, DEFAULT_RECONCILIATION_JITTER_SECONDS, DEFAULT_SESSION_DURATION_SECONDS } from './parse.js';
export { overrideFor, isExcluded } from './lookup.js';
export { parseDurationSeconds, parseBool, globMatch, overrideKey, splitKeyToOverrideKey } from './parse-util.js';
