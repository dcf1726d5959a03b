/** Loading input artifacts and saving output artifacts, whatever their kind. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Artifact, ArtifactRepository, SecretReader } from './types.js';
import { inputLocation, outputLocation, type KeyVars } from './repository.js';
import { applyMode, unpack } from './archive.js';
const s3 = () => import('./s3.js');
const fetchers = () => import('./fetch.js');
const http = () => import('./http.js');

export * from './types.js';
export { archive, unpack, detect, applyMode, move } from './archive.js';
// the HTTP/Artifactory client (auth: headers, basic, bearer, oauth2, client certificate): argo-server's artifact server uses it
export { send as httpSend, authOf as httpAuth, oauth2Token } from './http.js';
export { inputLocation, outputLocation, templateRepository, withLocation, renderKey, storedName, hasLocation, isArchiveNone, DEFAULT_KEY_FORMAT, type KeyVars, type Location } from './repository.js';

/**
 * Loads an input artifact to `dest`. Returns false when an optional artifact is absent; throws
 * (naming the artifact and where it looked) otherwise.
 */
export async function loadArtifact(a: Artifact, repo: ArtifactRepository | undefined, dest: string, secret: SecretReader): Promise<boolean> {
  const loc = inputLocation(a, repo);
  mkdirSync(dirname(dest), { recursive: true });
  if (loc.kind === 'raw') {
    rmSync(dest, { recursive: true, force: true });
    writeFileSync(dest, loc.data);
    applyMode(dest, a.mode, a.recurseMode);
    return true;
  }
  if (loc.kind === 'git') {
    await (await fetchers()).gitClone(loc.git, dest, secret);
    applyMode(dest, a.mode, a.recurseMode);
    return true;
  }
  const tmp = mkdtempSync(join(dirname(dest), '.load-'));
  try {
    const file = join(tmp, 'artifact');
    if (loc.kind === 'http') {
      try {
        await (await http()).httpDownload(loc, file, secret);
      } catch (e) {
        if (a.optional && /HTTP 404/.test((e as Error).message)) return false;
        throw e;
      }
    }
    else {
      const { s3Client, s3Download } = await s3();
      const client = await s3Client(loc.s3, secret);
      try {
        if (!(await s3Download(client, loc.s3, file))) {
          if (a.optional) return false;
          throw new Error(`failed to load artifact ${a.name}: s3://${loc.s3.bucket}/${loc.s3.key}: no such key`);
        }
      } finally {
        client.destroy();
      }
    }
    await unpack(file, dest, a);
    applyMode(dest, a.mode, a.recurseMode);
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Saves an output artifact staged at `staged` (archived already); returns it as the task result records it. */
export async function saveArtifact(a: Artifact, repo: ArtifactRepository | undefined, staged: string, vars: KeyVars, secret: SecretReader): Promise<Artifact> {
  if (!existsSync(staged)) throw new Error(`failed to save artifact ${a.name}: ${a.path} does not exist`);
  const { loc, recorded } = outputLocation(a, repo, vars);
  if (loc.kind === 'http') {
    await (await http()).httpUpload(loc, staged, secret);
    return recorded;
  }
  if (loc.kind !== 's3') throw new Error(`artifact ${a.name}: unsupported output location`);
  const { s3Client, s3Upload } = await s3();
  const client = await s3Client(loc.s3, secret);
  try {
    await s3Upload(client, loc.s3, staged);
  } finally {
    client.destroy();
  }
  return recorded;
}

/** Deletes a saved artifact (artifact GC); a key-only artifact is resolved against the repository. */
export async function deleteArtifact(a: Artifact, repo: ArtifactRepository | undefined, secret: SecretReader): Promise<number> {
  const loc = inputLocation({ ...a, subPath: undefined }, repo);
  if (loc.kind === 'http' && loc.artifactory) return (await http()).httpDelete(loc, secret);
  if (loc.kind !== 's3') throw new Error(`artifact ${a.name}: only S3 and Artifactory artifacts can be garbage-collected here`);
  const { s3Client, s3Delete } = await s3();
  const client = await s3Client(loc.s3, secret);
  try {
    return await s3Delete(client, loc.s3);
  } finally {
    client.destroy();
  }
}
