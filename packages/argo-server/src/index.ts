/** @flotilla/argo-server: argo-server: Argo Workflows' API server on 2746 (REST API, auth modes, archive in PostgreSQL). */
export {};
