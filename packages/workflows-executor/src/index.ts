/** @flotilla/workflows-executor: argoexec: the executor in every workflow pod (init, wait, emissary, agent, resource, data), artifacts, and the pod builder the controller uses. */
export {};
