/** @flotilla/argo-cli: the `argo` command (Argo Workflows' CLI), talking to argo-server or the Kubernetes API. */
export {};
