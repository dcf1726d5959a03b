/** @flotilla/rollouts: Argo Rollouts' controller: Rollout, AnalysisTemplate/AnalysisRun, Experiment; canary and blue-green. */
export {};
