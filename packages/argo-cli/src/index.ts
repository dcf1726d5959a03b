/** @flotilla/argo-cli: the `argo` command (Argo Workflows' CLI), talking to argo-server or the Kubernetes API. */
export { main } from './cli.js';
export { printWorkflow, printWorkflowList, printTree, workflowStatus, sortWorkflows } from './print.js';
