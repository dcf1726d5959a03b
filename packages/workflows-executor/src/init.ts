/**
 * `argoexec init`: the pod's init container. Writes the launcher of this executor to
 * /var/run/argo/argoexec (so `main`, whatever its image, can run `argoexec emissary`), stages the
 * script source and the resource manifest, loads the input artifacts and writes the input
 * parameters for main's emissary to place.
 */
import { existsSync } from 'node:fs';
import { writeAtomic } from './fsutil.js';
export { writeAtomic };
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutorEnv } from './env.js';
import { LAUNCHER, MANIFEST, STAGING_SCRIPT, inputArtifactFile, inputParamFile, local, stagedManifest, stagedScript } from './paths.js';
import type { Artifact, SecretReader } from './artifacts/types.js';
// the artifact drivers (zlib, streams, SDKs) load only when a template has artifacts
const loadArtifact: typeof import('./artifacts/index.js').loadArtifact = async (...a) => (await import('./artifacts/index.js')).loadArtifact(...a);
import { log } from './log.js';

/** This installation's `flotilla` entry (packages/cli/dist/main.js beside this package). */
export const FLOTILLA_MAIN = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** This package's bin (`flotilla argoexec` without the flotilla command's start-up). */
export const EXECUTOR_BIN = fileURLToPath(new URL('./bin.js', import.meta.url));

/**
 * The launcher script: execs this Node.js and this installation's argoexec — its bin when given
 * (`flotilla argoexec` minus the flotilla command's start-up), else `flotilla argoexec` (pure).
 */
export function launcherScript(node: string, flotillaMain: string, bin?: string): string {
  const run = bin ? `${q(bin)}` : `${q(flotillaMain)} argoexec`;
  return `#!/bin/sh\n# written by \`argoexec init\`: runs Flotilla's argoexec (this installation's node and flotilla)\nexec ${q(node)} ${run} "$@"\n`;
}

/** Tries to write a file where the pod may not have mounted a volume (a read-only root): true on success. */
function tryWrite(path: string, content: string, mode = 0o644): boolean {
  try {
    writeAtomic(path, content, mode);
    return true;
  } catch {
    return false;
  }
}

export async function runInit(env: ExecutorEnv, secret: () => SecretReader): Promise<number> {
  const t = env.template;
  writeAtomic(local(LAUNCHER), launcherScript(process.execPath, FLOTILLA_MAIN, existsSync(EXECUTOR_BIN) ? EXECUTOR_BIN : undefined), 0o755);
  if (t.script?.source !== undefined) {
    writeAtomic(local(stagedScript), t.script.source, 0o755);
    // upstream's pods mount an emptyDir at /argo/staging in init and main; when there is one, write there too
    if (existsSync(dirname(STAGING_SCRIPT))) tryWrite(STAGING_SCRIPT, t.script.source, 0o755);
  }
  if (t.resource?.manifest !== undefined) {
    writeAtomic(local(stagedManifest), t.resource.manifest);
    tryWrite(MANIFEST, t.resource.manifest);
  }
  for (const p of t.inputs?.parameters ?? []) {
    const v = p.value ?? p.default;
    if (v !== undefined) writeAtomic(local(inputParamFile(p.name)), String(v));
  }
  const arts = (t.inputs?.artifacts ?? []) as Artifact[];
  const manifestFrom = t.resource?.manifestFrom?.artifact?.name;
  for (const a of arts) {
    const isManifest = a.name === manifestFrom;
    if (!a.path && !isManifest) continue;
    // an artifact with no location is optional-and-absent (the controller resolved nothing for it)
    const located = a.s3 || a.http || a.git || a.raw || a.gcs || a.azure || a.oss || a.hdfs || a.artifactory;
    if (!located) {
      if (a.optional) continue;
      throw new Error(`inputs.artifacts.${a.name} was not supplied`);
    }
    // upstream's layout: an emptyDir at /argo/inputs/artifacts mounted in main at the artifact's path (subPath <name>)
    const upstreamDir = join('/argo/inputs/artifacts');
    // the manifest of a resource template (manifestFrom) stays in the shared volume for `argoexec resource`
    const dest = existsSync(upstreamDir) && !isManifest ? join(upstreamDir, a.name) : local(inputArtifactFile(a.name));
    log(`loading input artifact ${a.name} → ${a.path ?? '(manifest)'}`);
    const ok = await loadArtifact(a, env.artifactRepository, dest, secret());
    if (!ok) log(`optional input artifact ${a.name} is absent: skipped`);
  }
  return 0;
}
