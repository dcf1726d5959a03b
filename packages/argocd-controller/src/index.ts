export { AppController, APPLICATIONS, APPPROJECTS, type AppControllerOptions } from './controller.js';
export { main, startController, type RunningController } from './main.js';
export { parseControllerArgs, helpText, UsageError, type ControllerConfig } from './flags.js';
export { inProcessRepo, RenderCache, type RepoAPI } from './repo.js';
export { clusterFromSecret, shardOf } from './clusters.js';
export { sourceRepoAllowed, destinationAllowed, resourceAllowed, syncWindowVerdict, windowActive } from './project.js';
export { autoSyncDecision } from './autosync.js';
export { trackedApp, withTracking } from './tracking.js';
