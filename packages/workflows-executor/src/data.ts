/**
 * `argoexec data`: data templates — `source.artifactPaths` lists the keys under an S3 location
 * (key-only resolved against the repository), then each `transformation` expression (expr, with
 * `data` bound) maps the list; the JSON of the end value is the node's `result`.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { evaluateArgo } from '@flotilla/expr';
import type { ExecutorEnv } from './env.js';
import { exitCodeFile, local, stdoutFile } from './paths.js';
import { s3Client } from './artifacts/s3.js';
import type { Artifact, SecretReader } from './artifacts/types.js';
import { writeAtomic, writeExitCode } from './fsutil.js';
import { taskResult } from './outputs.js';
import { upsertTaskResult } from './kube.js';

/** Applies the transformations to the data (pure). */
export function transform(data: unknown, steps: { expression?: string }[]): unknown {
  let d = data;
  for (const s of steps) {
    if (!s.expression) throw new Error('data transformation: only expression steps are supported');
    d = evaluateArgo(s.expression, { data: d });
  }
  return d;
}

async function listPaths(a: Artifact, env: ExecutorEnv, secret: SecretReader): Promise<string[]> {
  const repo = env.artifactRepository?.s3;
  const s3 = { ...(repo ?? {}), ...(a.s3 ?? {}) };
  if (!a.s3 && !repo) throw new Error('data source artifactPaths: only s3 artifacts are supported');
  if (!s3.bucket) throw new Error('data source artifactPaths: no bucket');
  const client = await s3Client(s3, secret);
  const keys: string[] = [];
  try {
    let token: string | undefined;
    do {
      const r = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: s3.key ?? '', ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) keys.push(o.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return keys;
}

export async function runData(env: ExecutorEnv, secret: () => SecretReader): Promise<number> {
  const d = env.template.data as { source?: { artifactPaths?: Artifact }; transformation?: { expression?: string }[] } | undefined;
  if (!d?.source?.artifactPaths) throw new Error('data template: source.artifactPaths is required');
  const paths = await listPaths(d.source.artifactPaths, env, secret());
  const out = transform(paths, d.transformation ?? []);
  const result = JSON.stringify(out);
  process.stdout.write(`${result}\n`);
  try {
    writeAtomic(local(stdoutFile(env.containerName)), `${result}\n`);
    writeExitCode(local(exitCodeFile(env.containerName)), 0);
  } catch {
    /* no shared volume */
  }
  await upsertTaskResult(taskResult({ nodeId: env.nodeId, namespace: env.namespace, workflowName: env.workflowName, workflowUID: env.workflowUID, outputs: { result, exitCode: '0' }, completed: true }));
  return 0;
}
