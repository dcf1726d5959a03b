/** @flotilla/rollouts: Argo Rollouts' controller: Rollout, AnalysisTemplate/AnalysisRun, Experiment; canary and blue-green. */
export { planRollout } from './plan.js';
export { validate, validateExperimentWeights, podTemplateHash, type Plan, type PlanInput } from './common.js';
export { validateRoutes, headerRoutesAt } from './canary/routes.js';
export * from './types.js';
