/** @flotilla/workflows-executor: argoexec, the executor in every workflow pod (init, emissary, wait, resource, data) and its artifacts. */
export { main } from './main.js';
export { parseEnv, mainContainers, type ExecutorEnv } from './env.js';
export { collectParameters, captureResult, taskResult, parseProgress, trimNewline } from './outputs.js';
export { launcherScript } from './init.js';
export * from './paths.js';
export * as artifacts from './artifacts/index.js';
