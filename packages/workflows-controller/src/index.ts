// @flotilla/workflows-controller — the pure workflow operator (no Kubernetes I/O) and validation.
export * from './types.js';
export { operate, applyPlan, effectiveSpec, progressOf } from './operator/operate.js';
export type { OperateInput, Plan, PodObservation, PodToCreate, TemplateResolver, ControllerConfig } from './operator/model.js';
export { nodeId, podName, fnv32a, itemLabel } from './operator/ids.js';
export { parseDepends, evalDepends, DependsError } from './operator/depends.js';
export { substitute, parseDuration } from './operator/vars.js';
export { simulate, type SimulateOptions, type SimulateResult } from './simulate.js';
export { retryWorkflow, resumeWorkflow, suspendWorkflow } from './operator/lifecycle.js';
export { checkResumable, NodeActionError, setNodeValues, stopSuspendNodes, suppliedParameters } from './operator/node-actions.js';
export { validateWorkflow, lintObject, type ValidationError } from './validate.js';
