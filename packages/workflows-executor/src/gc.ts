/**
 * `argoexec artifact delete`: artifact garbage collection (artifactGC OnWorkflowCompletion /
 * OnWorkflowDeletion) in a pod the controller starts. The artifacts to delete come as JSON in
 * ARGO_ARTIFACTS (a list of artifacts with their locations, key-only resolved against
 * ARGO_ARTIFACT_REPOSITORY) or as files named on the command line; the outcome is printed as JSON
 * lines `{name, key, deleted | error}` and the exit code is 1 when any failed.
 */
import { readFileSync } from 'node:fs';
import type { ExecutorEnv } from './env.js';
import { deleteArtifact, type Artifact, type SecretReader } from './artifacts/index.js';
import { log, logError } from './log.js';

export function artifactsToDelete(envValue: string | undefined, files: string[], read: (f: string) => string = (f) => readFileSync(f, 'utf8')): Artifact[] {
  const out: Artifact[] = [];
  const add = (text: string, src: string) => {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new Error(`${src} is not valid JSON: ${(e as Error).message}`);
    }
    const list = Array.isArray(v) ? v : (v as { artifacts?: unknown[] })?.artifacts;
    if (!Array.isArray(list)) throw new Error(`${src}: expected a list of artifacts`);
    out.push(...(list as Artifact[]));
  };
  if (envValue) add(envValue, 'ARGO_ARTIFACTS');
  for (const f of files) add(read(f), f);
  return out;
}

export async function runArtifact(env: ExecutorEnv, args: string[], secret: () => SecretReader): Promise<number> {
  if (args[0] !== 'delete') throw new Error(`argoexec artifact: unknown command "${args[0] ?? ''}" (delete)`);
  const arts = artifactsToDelete(process.env.ARGO_ARTIFACTS, args.slice(1));
  let failed = 0;
  for (const a of arts) {
    const key = (a.s3 as { key?: string } | undefined)?.key;
    try {
      const n = await deleteArtifact(a, env.artifactRepository, secret());
      log(`artifact ${a.name} (${key}): ${n} object(s) deleted`);
      process.stdout.write(`${JSON.stringify({ name: a.name, key, deleted: n })}\n`);
    } catch (e) {
      failed++;
      logError((e as Error).message);
      process.stdout.write(`${JSON.stringify({ name: a.name, key, error: (e as Error).message })}\n`);
    }
  }
  return failed ? 1 : 0;
}
