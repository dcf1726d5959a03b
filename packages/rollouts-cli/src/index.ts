/** @flotilla/rollouts-cli: the `kubectl argo rollouts` plugin (kubectl-argo-rollouts) and its dashboard API. */
export {};
