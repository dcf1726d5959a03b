/** The Argo Workflows version Flotilla's controller, executor, argo-server and `argo` CLI report (one for all four). */
export const ARGO_VERSION = 'v3.6.0+flotilla';
