/**
 * `argoexec artifact delete`: artifact garbage collection (artifactGC OnWorkflowCompletion /
 * OnWorkflowDeletion) in a pod the controller starts. The artifacts to delete come as JSON in
 * ARGO_ARTIFACTS (a list of artifacts with their locations, key-only resolved against the item's
 * `artifactRepository`, else ARGO_ARTIFACT_REPOSITORY) or as files named on the command line; the outcome is printed as JSON
 * lines `{name, key, deleted | error}` (on stdout and as the termination message) and the exit code is 1
 * when any failed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { ExecutorEnv } from './env.js';
import { deleteArtifact, type Artifact, type ArtifactRepository, type SecretReader } from './artifacts/index.js';
import { log, logError } from './log.js';
import { local } from './paths.js';

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
  const lines: string[] = [];
  for (const a of arts) {
    const key = (a.s3 as { key?: string } | undefined)?.key ?? (a.artifactory as { url?: string } | undefined)?.url;
    try {
      // an artifact may carry the repository its key resolves against (its template's archiveLocation)
      const { artifactRepository: own, ...art } = a as Artifact & { artifactRepository?: ArtifactRepository };
      const n = await deleteArtifact(art, own ?? env.artifactRepository, secret());
      log(`artifact ${a.name} (${key}): ${n} object(s) deleted`);
      lines.push(JSON.stringify({ name: a.name, key, deleted: n }));
      process.stdout.write(`${lines.at(-1)}\n`);
    } catch (e) {
      failed++;
      logError((e as Error).message);
      lines.push(JSON.stringify({ name: a.name, key, error: (e as Error).message.slice(0, 300) }));
      process.stdout.write(`${lines.at(-1)}\n`);
    }
  }
  // the outcome as the container's termination message too: the controller reads it from the pod's status
  // (it needs no permission on pods/log); the failures first, as the message is limited to 4 KiB
  const msg = [...lines.filter((l) => l.includes('"error"')), ...lines.filter((l) => !l.includes('"error"'))].join('\n');
  try {
    writeFileSync(local('/dev/termination-log'), msg.length > 4000 ? msg.slice(0, msg.lastIndexOf('\n', 4000)) : msg);
  } catch {
    /* not in a pod */
  }
  return failed ? 1 : 0;
}
