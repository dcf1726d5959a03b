/** @flotilla/argo-server: Argo Workflows' API server on 2746 (REST API, auth modes, archive in PostgreSQL). */
export { startServer, type ArgoServer } from './server.js';
export { DEFAULT_OPTIONS, type ServerOptions, type AuthMode } from './context.js';
export { parseArgs, USAGE } from './options.js';
export { Archive, archiveWorkflow, migrate, tablesFor, parseControllerConfig, persistenceOf, parseTTL, type Persistence } from './archive/index.js';
export { filterFields, parseNodeFieldSelector, parseLabelSelector, matchLabels } from './fields.js';
export { workflowFrom, applySubmitOpts, resubmitOf } from './submit.js';
export { resumeNodes, stopNodes, setNodes, suppliedParameters, userInfoMap } from './nodes.js';
