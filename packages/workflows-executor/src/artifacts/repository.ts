/**
 * Where an artifact lives (pure): its own location fields, or — for key-only artifacts and output
 * artifacts without a location — the artifact repository's, with upstream's default key
 * `{{workflow.name}}/{{pod.name}}/<name>.tgz` (keyFormat and keyPrefix honoured).
 */
import { basename } from 'node:path';
import type { Artifact, ArtifactoryArtifact, ArtifactRepository, HTTPArtifact, S3Artifact } from './types.js';

export const DEFAULT_KEY_FORMAT = '{{workflow.name}}/{{pod.name}}';

export interface KeyVars {
  workflowName: string;
  workflowUID?: string;
  namespace: string;
  podName: string;
  now?: Date;
}

export type Location =
  | { kind: 's3'; s3: S3Artifact & { bucket: string; key: string } }
  | { kind: 'http'; http?: HTTPArtifact; artifactory?: ArtifactoryArtifact }
  | { kind: 'git'; git: NonNullable<Artifact['git']> }
  | { kind: 'raw'; data: string };

/** Substitutes the variables a keyFormat may use. */
export function renderKey(format: string, v: KeyVars): string {
  const now = v.now ?? new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const vars: Record<string, string> = {
    'workflow.name': v.workflowName,
    'workflow.namespace': v.namespace,
    'workflow.uid': v.workflowUID ?? '',
    'pod.name': v.podName,
    'workflow.creationTimestamp.Y': String(now.getUTCFullYear()),
    'workflow.creationTimestamp.m': pad(now.getUTCMonth() + 1),
    'workflow.creationTimestamp.d': pad(now.getUTCDate()),
    'workflow.creationTimestamp.H': pad(now.getUTCHours()),
    'workflow.creationTimestamp.M': pad(now.getUTCMinutes()),
    'workflow.creationTimestamp.S': pad(now.getUTCSeconds()),
  };
  return format.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (m, k: string) => vars[k] ?? m);
}

/** The archive strategy: `none` keeps files as they are, anything else is tar+gzip. */
export const isArchiveNone = (a: Artifact) => !!a.archive?.none;

/** The file name an output artifact is stored under: `<name>.tgz`, or the path's base name with archive none. */
export const storedName = (a: Artifact) => (isArchiveNone(a) ? basename(a.path ?? a.name) : `${a.name}.tgz`);

const S3_LOCATION_FIELDS = ['endpoint', 'bucket', 'region', 'insecure', 'accessKeySecret', 'secretKeySecret', 'sessionTokenSecret', 'useSDKCreds'] as const;

/** An S3 location: the artifact's fields over the repository's. */
function mergeS3(art: S3Artifact | undefined, repo: ArtifactRepository | undefined): S3Artifact {
  const r = repo?.s3 ?? {};
  const m: S3Artifact = { ...(art ?? {}) };
  for (const f of S3_LOCATION_FIELDS) if (m[f] === undefined && r[f] !== undefined) (m as Record<string, unknown>)[f] = r[f];
  return m;
}

/** Whether an artifact names a location of its own (s3/http/git/raw…). */
export function hasLocation(a: Artifact): boolean {
  return !!(a.s3 || a.http || a.git || a.raw || a.gcs || a.azure || a.oss || a.hdfs || a.artifactory);
}

/** The location of an input artifact (key-only resolved against the repository). */
export function inputLocation(a: Artifact, repo: ArtifactRepository | undefined): Location {
  if (a.raw) return { kind: 'raw', data: a.raw.data ?? '' };
  if (a.http) return { kind: 'http', http: a.http };
  if (a.artifactory) {
    if (!a.artifactory.url) throw new Error(`artifact ${a.name}: artifactory has no url`);
    return { kind: 'http', artifactory: a.artifactory };
  }
  if (a.git) return { kind: 'git', git: a.git };
  if (a.s3) {
    const s3 = mergeS3(a.s3, repo);
    if (!s3.bucket) throw new Error(`artifact ${a.name}: s3 has no bucket and the artifact repository gives none`);
    if (!s3.key) throw new Error(`artifact ${a.name}: s3 has no key`);
    if (a.subPath) s3.key = `${s3.key.replace(/\/+$/, '')}/${a.subPath.replace(/^\/+/, '')}`;
    return { kind: 's3', s3: s3 as S3Artifact & { bucket: string; key: string } };
  }
  for (const k of ['gcs', 'azure', 'oss', 'hdfs']) if (a[k]) throw new Error(`artifact ${a.name}: ${k} artifacts are not supported here (S3, HTTP, Artifactory, Git and raw are)`);
  throw new Error(`artifact ${a.name} has no location (from, s3, http, git, raw…)`);
}

/**
 * Where an output artifact goes: its own location (s3 with a key given, or a key under the
 * repository's; http or artifactory: PUT to its url), else the repository's (S3 with the default
 * key, or Artifactory's `repoURL` with it). Returns the location and the artifact as recorded in
 * the task result (key-only when it came from the repository's S3, as upstream records it).
 */
export function outputLocation(a: Artifact, repo: ArtifactRepository | undefined, v: KeyVars): { loc: Location; recorded: Artifact } {
  if (a.git || a.raw) throw new Error(`artifact ${a.name}: output artifacts go to S3, HTTP or Artifactory (git and raw are inputs only)`);
  for (const k of ['gcs', 'azure', 'oss', 'hdfs']) if (a[k]) throw new Error(`artifact ${a.name}: ${k} artifacts are not supported here (S3, HTTP and Artifactory are)`);
  const { from: _from, fromExpression: _fe, ...rest } = a;
  if (a.http) return { loc: { kind: 'http', http: a.http }, recorded: rest };
  if (a.artifactory) {
    if (!a.artifactory.url) throw new Error(`artifact ${a.name}: artifactory has no url`);
    return { loc: { kind: 'http', artifactory: a.artifactory }, recorded: rest };
  }
  const own = a.s3;
  if (!own && !repo?.s3 && repo?.artifactory?.repoURL) {
    const r = repo.artifactory;
    const url = `${r.repoURL!.replace(/\/+$/, '')}/${renderKey(r.keyFormat || DEFAULT_KEY_FORMAT, v).replace(/^\/+|\/+$/g, '')}/${storedName(a)}`;
    const art: ArtifactoryArtifact = { url, ...(r.usernameSecret ? { usernameSecret: r.usernameSecret } : {}), ...(r.passwordSecret ? { passwordSecret: r.passwordSecret } : {}) };
    return { loc: { kind: 'http', artifactory: art }, recorded: { ...rest, artifactory: art } };
  }
  if (!own && !repo?.s3) throw new Error(`artifact ${a.name}: no artifact repository is configured (configmap artifactRepository or artifact-repositories) and the artifact has no s3, http or artifactory location`);
  const prefix = repo?.s3?.keyPrefix ? `${repo.s3.keyPrefix.replace(/\/+$/, '')}/` : '';
  const dir = own?.key === undefined ? prefix + renderKey(repo?.s3?.keyFormat || DEFAULT_KEY_FORMAT, v) : '';
  const key = own?.key !== undefined ? renderKey(own.key, v) : `${dir.replace(/\/+$/, '')}/${storedName(a)}`;
  const s3 = { ...mergeS3(own, repo), key };
  if (!s3.bucket) throw new Error(`artifact ${a.name}: s3 has no bucket and the artifact repository gives none`);
  const recorded: Artifact = { ...rest, s3: own ? { ...own, key } : { key } };
  return { loc: { kind: 's3', s3: s3 as S3Artifact & { bucket: string; key: string } }, recorded };
}

/**
 * The repository a template's outputs go to: its `archiveLocation` (s3 fields over the workflow's repository's; its
 * `s3.key` is the key format of artifacts without a key of their own; artifactory likewise), else the workflow's.
 * `own` tells that the template's was used: its artifacts are then recorded with their full location, as a reader
 * elsewhere resolves a key-only artifact against the workflow's repository.
 */
export function templateRepository(archiveLocation: Record<string, any> | undefined, repo: ArtifactRepository | undefined): { repo: ArtifactRepository | undefined; own: boolean } {
  const al = archiveLocation;
  if (!al?.s3 && !al?.artifactory) return { repo, own: false };
  const out: ArtifactRepository = { ...(repo ?? {}), archiveLogs: al.archiveLogs ?? repo?.archiveLogs };
  if (al.s3) {
    const { key, ...rest } = al.s3 as S3Artifact;
    out.s3 = { ...(repo?.s3 ?? {}), ...rest, ...(key ? { keyFormat: key, keyPrefix: undefined } : {}) };
  }
  if (al.artifactory) {
    const { url, ...rest } = al.artifactory as { url?: string };
    out.artifactory = { ...(repo?.artifactory ?? {}), ...rest, ...(url ? { repoURL: url, keyFormat: '' } : {}) };
  }
  return { repo: out, own: true };
}

/** A recorded S3 artifact with the location fields of the repository it was saved to. */
export function withLocation(rec: Artifact, repo: ArtifactRepository | undefined): Artifact {
  if (!rec.s3 || !repo?.s3) return rec;
  const loc: Record<string, unknown> = {};
  for (const f of S3_LOCATION_FIELDS) if (repo.s3[f] !== undefined) loc[f] = repo.s3[f];
  return { ...rec, s3: { ...loc, ...rec.s3 } };
}
