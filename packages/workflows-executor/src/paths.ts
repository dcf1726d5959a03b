/**
 * Where things live in a workflow pod (upstream's emissary layout): the shared `var-run-argo`
 * volume at /var/run/argo holds the launcher, each container's exit code and stdout, the outputs
 * main leaves for `wait`, and the inputs `init` leaves for main.
 */
import { join } from 'node:path';

export const VAR_RUN_ARGO = '/var/run/argo';
export const LAUNCHER = `${VAR_RUN_ARGO}/argoexec`;
export const STAGING_SCRIPT = '/argo/staging/script';
export const MANIFEST = '/tmp/manifest.yaml';
/** Secrets the controller mounts for artifact repositories (upstream: /argo/secret/<name>/<key>). */
export const SECRETS_DIR = '/argo/secret';
/** Cap of the `result` output (upstream: 256 KiB). */
export const RESULT_CAP = 256 * 1024;

/**
 * A path of the shared volume as this process sees it: under bubblewrap the volume is mounted at
 * its path; without it (plain processes) the node agent gives each container a root directory
 * (FLOTILLA_POD_ROOT) where mount paths are symlinks, and paths built at run time must go there.
 */
export function local(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = env.FLOTILLA_POD_ROOT;
  return root && path.startsWith('/') && !path.startsWith(root) ? join(root, path) : path;
}

export const ctrDir = (container: string) => `${VAR_RUN_ARGO}/ctr/${container}`;
export const exitCodeFile = (container: string) => `${ctrDir(container)}/exitcode`;
export const stdoutFile = (container: string) => `${ctrDir(container)}/stdout`;
export const stderrFile = (container: string) => `${ctrDir(container)}/stderr`;
/** `wait` writes a signal number here to have the emissary signal its child (deadline, stop). */
export const signalFile = (container: string) => `${ctrDir(container)}/signal`;
/** Written by main's emissary once it copied the outputs (before its exit code). */
export const outputsDir = `${VAR_RUN_ARGO}/outputs`;
export const outputParamFile = (name: string) => `${outputsDir}/parameters/${encodeURIComponent(name)}`;
export const outputArtifactFile = (name: string) => `${outputsDir}/artifacts/${encodeURIComponent(name)}`;
/** Inputs `init` loads for main (main's emissary moves them to their paths). */
export const inputsDir = `${VAR_RUN_ARGO}/inputs`;
export const inputArtifactFile = (name: string) => `${inputsDir}/artifacts/${encodeURIComponent(name)}`;
export const inputParamFile = (name: string) => `${inputsDir}/parameters/${encodeURIComponent(name)}`;
export const stagedScript = `${VAR_RUN_ARGO}/staging/script`;
export const stagedManifest = `${VAR_RUN_ARGO}/staging/manifest.yaml`;
