/**
 * `argoexec`: the executor in every workflow pod — `init` (launcher, script, manifest, input
 * artifacts), `emissary -- CMD…` (main's process), `wait` (outputs → WorkflowTaskResult),
 * `resource ACTION` (resource templates), `data` (data templates).
 */
import { parseEnv } from './env.js';
import { runInit } from './init.js';
import { runEmissary } from './emissary.js';
import { runWait } from './wait.js';
import { kube, secretReader, upsertTaskResult } from './kube.js';
import { logError } from './log.js';

const HELP = `argoexec: Argo Workflows' executor (Flotilla)

Usage:
  argoexec init                  the pod's init container: launcher, script, manifest, input artifacts
  argoexec emissary -- CMD ARGS  runs a main container's command, records its output and exit code
  argoexec wait                  the pod's sidecar: collects outputs, saves artifacts, writes the WorkflowTaskResult
  argoexec resource ACTION       resource templates: get|create|apply|delete|replace|patch of /tmp/manifest.yaml
  argoexec data                  data templates: artifact listing and transformations
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
    process.stdout.write('argoexec: v3.6.0+flotilla\n');
    return 0;
  }
  let env;
  try {
    env = parseEnv(process.env);
  } catch (e) {
    logError((e as Error).message);
    return 1;
  }
  const secret = () => secretReader(env.namespace);
  try {
    switch (cmd) {
      case 'init':
        return await runInit(env, secret);
      case 'emissary':
        return await runEmissary(env, rest);
      case 'wait':
        return await runWait(env, { secret, writeResult: upsertTaskResult });
      case 'resource': {
        const { runResource } = await import('./resource.js');
        return await runResource(env, rest, kube);
      }
      case 'data': {
        const { runData } = await import('./data.js');
        return await runData(env, secret);
      }
      case 'agent':
        logError('argoexec agent: http templates run in their own pod here (the agent is not built)');
        return 1;
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
    return 1;
  }
}
