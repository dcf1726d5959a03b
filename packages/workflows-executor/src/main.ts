/**
 * `argoexec`: the executor in every workflow pod — `init` (launcher, script, manifest, input
 * artifacts), `emissary -- CMD…` (main's process), `wait` (outputs → WorkflowTaskResult),
 * `resource ACTION` (resource templates), `data` (data templates).
 */
import { ARGO_VERSION } from '@flotilla/workflows-controller/version';
import { parseEnv, type ExecutorEnv } from './env.js';
import { logError } from './log.js';

const HELP = `argoexec: Argo Workflows' executor (Flotilla)

Usage:
  argoexec init                  the pod's init container: launcher, script, manifest, input artifacts
  argoexec emissary -- CMD ARGS  runs a main container's command, records its output and exit code
  argoexec wait                  the pod's sidecar: collects outputs, saves artifacts, writes the WorkflowTaskResult
  argoexec resource ACTION       resource templates: get|create|apply|delete|replace|patch of /tmp/manifest.yaml
  argoexec data                  data templates: artifact listing and transformations
  argoexec agent                 http templates, in the node's own pod
  argoexec artifact delete       artifact GC: deletes the artifacts in ARGO_ARTIFACTS (JSON list)
  argoexec version

The pod's environment (ARGO_TEMPLATE, ARGO_NODE_ID, ARGO_WORKFLOW_NAME, …) tells it what to do.
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP);
    return cmd ? 0 : 1;
  }
  if (cmd === 'version') {
    process.stdout.write(`argoexec: ${ARGO_VERSION}\n`);
    return 0;
  }
  let env;
  try {
    env = parseEnv(process.env);
  } catch (e) {
    logError((e as Error).message);
    return 1;
  }
  // each command loads only what it needs (the emissary starts in every pod: no SDK, no API client)
  const kubeMod = () => import('./kube.js');
  const { secretReader } = await import('./secrets.js');
  const secret = () => secretReader(env.namespace);
  try {
    switch (cmd) {
      case 'init':
        return await (await import('./init.js')).runInit(env, secret);
      case 'emissary':
        return await (await import('./emissary.js')).runEmissary(env, rest);
      case 'wait':
        return await (await import('./wait.js')).runWait(env, { secret, writeResult: (await kubeMod()).upsertTaskResult });
      case 'resource': {
        const { runResource } = await import('./resource.js');
        return await runResource(env, rest, (await kubeMod()).kube);
      }
      case 'data': {
        const { runData } = await import('./data.js');
        return await runData(env, secret);
      }
      case 'artifact': {
        const { runArtifact } = await import('./gc.js');
        return await runArtifact(env, rest, secret);
      }
      case 'agent': {
        const { runAgent } = await import('./agent.js');
        return await runAgent(env, secret);
      }
      default:
        logError(`unknown command "${cmd}"\n${HELP}`);
        return 1;
    }
  } catch (e) {
    const msg = (e as Error).message;
    logError(msg);
    try {
      (await import('node:fs')).writeFileSync('/dev/termination-log', msg);
    } catch {
      /* none */
    }
    // a command that is main itself (resource, data, agent) still records its end, or `wait` waits for ever
    if (cmd === 'resource' || cmd === 'data' || cmd === 'agent') await recordFailure(env, msg);
    return 1;
  }
}

/** Writes main's exit code (1) and a task result carrying the message, best effort. */
async function recordFailure(env: ExecutorEnv, message: string): Promise<void> {
  try {
    const [{ writeExitCode }, { exitCodeFile, local }] = await Promise.all([import('./fsutil.js'), import('./paths.js')]);
    writeExitCode(local(exitCodeFile(env.containerName)), 1);
  } catch {
    /* no shared volume */
  }
  try {
    const [{ upsertTaskResult }, { taskResult }] = await Promise.all([import('./kube.js'), import('./outputs.js')]);
    await upsertTaskResult(taskResult({ nodeId: env.nodeId, namespace: env.namespace, workflowName: env.workflowName, workflowUID: env.workflowUID, outputs: { exitCode: '1' }, completed: true, message }));
  } catch (e) {
    logError(`failed to write the task result: ${(e as Error).message}`);
  }
}
