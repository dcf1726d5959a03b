/**
 * Volumes materialised as directories under the pod's directory. configMap, secret, downwardAPI
 * and projected volumes are written the way the kubelet's atomic writer does (`..<stamp>/` holds
 * the files, `..data` points at it, each key is a link through `..data`), so a refresh swaps the
 * content atomically and running containers see updates.
 */
import { existsSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync, lstatSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join, posix } from 'node:path';
import { ApiError, R, type KubeClient } from '@flotilla/kube-runtime';
import { parseQuantity, resourceValue } from './expand.js';

export class VolumeError extends Error {
  constructor(
    message: string,
    /** true when retrying later may help (missing object) */
    readonly retry = true,
  ) {
    super(message);
  }
}

export interface FileEntry {
  data: Buffer;
  mode: number;
}

export interface VolumeContext {
  pod: any;
  api: KubeClient;
  caPem: string;
  nodeAllocatable: { cpu: number; memory: number; 'ephemeral-storage': number };
  /** token cache, keyed by source, kept by the pod worker between refreshes */
  tokens: Map<string, { token: string; refreshAt: number }>;
}

const MAX_TOKEN_REFRESH = 24 * 3600_000;

async function getObject(api: KubeClient, kind: 'configmaps' | 'secrets', ns: string, name: string): Promise<any | undefined> {
  try {
    return await api.get(R[kind], ns, name);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  }
}

function keyData(kind: 'configmaps' | 'secrets', obj: any): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  if (kind === 'configmaps') {
    for (const [k, v] of Object.entries(obj.data ?? {})) m.set(k, Buffer.from(String(v)));
    for (const [k, v] of Object.entries(obj.binaryData ?? {})) m.set(k, Buffer.from(String(v), 'base64'));
  } else {
    for (const [k, v] of Object.entries(obj.data ?? {})) m.set(k, Buffer.from(String(v), 'base64'));
    for (const [k, v] of Object.entries(obj.stringData ?? {})) m.set(k, Buffer.from(String(v)));
  }
  return m;
}

/** Formats labels/annotations as the downward API does: `key="value"` lines, sorted. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** The value of a downward API fieldRef (env vars and volume files). */
export function fieldRefValue(pod: any, fieldPath: string): string | undefined {
  const md = pod.metadata ?? {};
  const sub = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath) ?? /^metadata\.(labels|annotations)\["(.*)"\]$/.exec(fieldPath);
  if (sub) return (md[sub[1]] ?? {})[sub[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return md.name ?? '';
    case 'metadata.namespace':
      return md.namespace ?? '';
    case 'metadata.uid':
      return md.uid ?? '';
    case 'metadata.labels':
      return formatMap(md.labels);
    case 'metadata.annotations':
      return formatMap(md.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? 'default';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? []).map((x: any) => x.ip).join(',');
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((x: any) => x.ip).join(',');
    default:
      return undefined;
  }
}

/** The value of a resourceFieldRef (limits default to the node's allocatable). */
export function resourceFieldValue(pod: any, containerName: string | undefined, ref: { resource: string; divisor?: string | number; containerName?: string }, alloc: VolumeContext['nodeAllocatable']): string {
  const cname = ref.containerName || containerName;
  const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x: any) => x.name === cname);
  if (!c) throw new VolumeError(`resourceFieldRef: container "${cname}" not found in pod`, false);
  const [kind, res] = ref.resource.split('.', 2) as ['limits' | 'requests', string];
  let q = parseQuantity(c.resources?.[kind]?.[res]);
  if (Number.isNaN(q)) {
    if (kind === 'limits') q = (alloc as any)[res] ?? 0;
    else q = res === 'cpu' || res === 'memory' || res === 'ephemeral-storage' ? 0 : 0;
  }
  return resourceValue(q, ref.divisor ?? (res === 'cpu' ? '1' : '1'));
}

function checkRelPath(p: string): void {
  if (!p || p.startsWith('/') || p.split('/').includes('..')) throw new VolumeError(`invalid path "${p}": must be relative and may not contain '..'`, false);
}

type Files = Map<string, FileEntry>;

async function keyFiles(ctx: VolumeContext, kind: 'configmaps' | 'secrets', src: any, defaultMode: number, volName: string, files: Files): Promise<void> {
  const ns = ctx.pod.metadata.namespace;
  const name: string = kind === 'configmaps' ? src.name : src.secretName ?? src.name;
  const label = kind === 'configmaps' ? 'configmap' : 'secret';
  let obj = await getObject(ctx.api, kind, ns, name);
  if (!obj && kind === 'configmaps' && name === 'kube-root-ca.crt') obj = { data: { 'ca.crt': ctx.caPem } };
  if (!obj) {
    if (src.optional) return;
    throw new VolumeError(`MountVolume.SetUp failed for volume "${volName}" : ${label} "${name}" not found`);
  }
  const data = keyData(kind, obj);
  if (src.items?.length) {
    for (const it of src.items) {
      const v = data.get(it.key);
      if (v === undefined) {
        if (src.optional) continue;
        throw new VolumeError(`MountVolume.SetUp failed for volume "${volName}" : configmap references non-existent config key: ${it.key}`.replace('configmap', label));
      }
      checkRelPath(it.path);
      files.set(it.path, { data: v, mode: it.mode ?? defaultMode });
    }
  } else {
    for (const [k, v] of data) files.set(k, { data: v, mode: defaultMode });
  }
}

function downwardFiles(ctx: VolumeContext, items: any[], defaultMode: number, files: Files): void {
  for (const it of items ?? []) {
    checkRelPath(it.path);
    let v: string | undefined;
    if (it.fieldRef) {
      v = fieldRefValue(ctx.pod, it.fieldRef.fieldPath);
      if (v === undefined) throw new VolumeError(`downwardAPI: unsupported fieldPath "${it.fieldRef.fieldPath}"`, false);
    } else if (it.resourceFieldRef) {
      v = resourceFieldValue(ctx.pod, undefined, it.resourceFieldRef, ctx.nodeAllocatable);
    } else continue;
    files.set(it.path, { data: Buffer.from(v), mode: it.mode ?? defaultMode });
  }
}

async function tokenFile(ctx: VolumeContext, src: any, defaultMode: number, files: Files, volName: string): Promise<void> {
  const pod = ctx.pod;
  const ns = pod.metadata.namespace;
  const sa = pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default';
  const exp = Math.max(600, Number(src.expirationSeconds ?? 3600));
  const key = `${sa}|${src.audience ?? ''}|${exp}`;
  let t = ctx.tokens.get(key);
  if (!t || Date.now() >= t.refreshAt) {
    let r: any;
    try {
      r = await ctx.api.createSub(R.serviceaccounts, ns, sa, 'token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          ...(src.audience ? { audiences: [src.audience] } : {}),
          expirationSeconds: exp,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      });
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) throw new VolumeError(`MountVolume.SetUp failed for volume "${volName}" : failed to fetch token: serviceaccounts "${sa}" not found`);
      throw new VolumeError(`MountVolume.SetUp failed for volume "${volName}" : failed to fetch token: ${(e as Error).message}`);
    }
    const token: string = r?.status?.token ?? '';
    const expiresAt = Date.parse(r?.status?.expirationTimestamp ?? '') || Date.now() + exp * 1000;
    const lifetime = expiresAt - Date.now();
    t = { token, refreshAt: Date.now() + Math.min(lifetime * 0.8, MAX_TOKEN_REFRESH) };
    ctx.tokens.set(key, t);
  }
  checkRelPath(src.path ?? 'token');
  files.set(src.path ?? 'token', { data: Buffer.from(t.token), mode: defaultMode });
}

/**
 * A persistentVolumeClaim volume: the claim's bound PersistentVolume, served from the node's
 * file system (`hostPath` — DirectoryOrCreate creates it — or `local`). An unbound or missing
 * claim is a retryable error, as the kubelet reports it.
 */
async function claimVolume(ctx: VolumeContext, volName: string, claimName: string): Promise<RenderedVolume> {
  const ns = ctx.pod.metadata.namespace;
  const fail = (why: string, retry = true) => new VolumeError(`MountVolume.SetUp failed for volume "${volName}" : ${why}`, retry);
  let pvc: any;
  try {
    pvc = await ctx.api.get(R.pvcs, ns, claimName);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) throw fail(`persistentvolumeclaim "${claimName}" not found`);
    throw e;
  }
  const pvName: string | undefined = pvc?.spec?.volumeName;
  if (!pvName || pvc?.status?.phase !== 'Bound') throw fail(`error processing PVC ${ns}/${claimName}: PVC is not bound`);
  let pv: any;
  try {
    pv = await ctx.api.get(R.pvs, undefined, pvName);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) throw fail(`error processing PVC ${ns}/${claimName}: persistentvolume "${pvName}" not found`);
    throw e;
  }
  const ref = pv?.spec?.claimRef;
  if (ref && (ref.namespace !== ns || ref.name !== claimName || (ref.uid && ref.uid !== pvc.metadata?.uid)))
    throw fail(`error processing PVC ${ns}/${claimName}: persistentvolume "${pvName}" is bound to another claim (${ref.namespace}/${ref.name})`);
  if (pv.spec?.hostPath?.path) {
    // the hostPath rules (type checks, DirectoryOrCreate) under the volume's own name
    const r = await renderVolume(ctx, { name: volName, hostPath: pv.spec.hostPath }, '');
    return r;
  }
  if (pv.spec?.local?.path) {
    const p: string = pv.spec.local.path;
    if (!existsSync(p)) throw fail(`mount failed: stat ${p}: no such file or directory`);
    return { kind: 'dir', host: p };
  }
  const type = Object.keys(pv.spec ?? {}).find((k) => !['accessModes', 'capacity', 'claimRef', 'persistentVolumeReclaimPolicy', 'storageClassName', 'volumeMode', 'mountOptions', 'nodeAffinity', 'volumeAttributesClassName'].includes(k)) ?? 'unknown';
  throw fail(`persistentvolume "${pvName}": volume type "${type}" is not supported by the flotilla node agent (only hostPath and local)`, false);
}

export type RenderedVolume = { kind: 'files'; files: Files } | { kind: 'dir'; host: string; create?: 'dir' | 'file' } | { kind: 'empty' };

/** Computes what a volume holds (may fetch ConfigMaps, Secrets, tokens). */
export async function renderVolume(ctx: VolumeContext, vol: any, dataDir: string): Promise<RenderedVolume> {
  const name: string = vol.name;
  if (vol.emptyDir) return { kind: 'empty' };
  if (vol.ephemeral) return { kind: 'empty' };
  if (vol.configMap || vol.secret) {
    const kind = vol.configMap ? 'configmaps' : 'secrets';
    const src = vol.configMap ?? vol.secret;
    const files: Files = new Map();
    await keyFiles(ctx, kind, src, src.defaultMode ?? 0o644, name, files);
    return { kind: 'files', files };
  }
  if (vol.downwardAPI) {
    const files: Files = new Map();
    downwardFiles(ctx, vol.downwardAPI.items, vol.downwardAPI.defaultMode ?? 0o644, files);
    return { kind: 'files', files };
  }
  if (vol.projected) {
    const files: Files = new Map();
    const mode = vol.projected.defaultMode ?? 0o644;
    for (const s of vol.projected.sources ?? []) {
      if (s.configMap) await keyFiles(ctx, 'configmaps', s.configMap, s.configMap.defaultMode ?? mode, name, files);
      else if (s.secret) await keyFiles(ctx, 'secrets', s.secret, s.secret.defaultMode ?? mode, name, files);
      else if (s.downwardAPI) downwardFiles(ctx, s.downwardAPI.items, mode, files);
      else if (s.serviceAccountToken) await tokenFile(ctx, s.serviceAccountToken, mode, files, name);
      else if (s.clusterTrustBundle) throw new VolumeError(`MountVolume.SetUp failed for volume "${name}" : clusterTrustBundle projections are not supported by the flotilla node agent`, false);
    }
    return { kind: 'files', files };
  }
  if (vol.hostPath) {
    const p: string = vol.hostPath.path;
    const type: string = vol.hostPath.type ?? '';
    const exists = existsSync(p);
    const st = exists ? statSync(p) : undefined;
    switch (type) {
      case 'DirectoryOrCreate':
        if (!exists) mkdirSync(p, { recursive: true, mode: 0o755 });
        break;
      case 'FileOrCreate':
        if (!exists) {
          mkdirSync(dirname(p), { recursive: true });
          writeFileSync(p, '', { mode: 0o644 });
        }
        break;
      case 'Directory':
        if (!st?.isDirectory()) throw new VolumeError(`MountVolume.SetUp failed for volume "${name}" : hostPath type check failed: ${p} is not a directory`);
        break;
      case 'File':
        if (!st?.isFile()) throw new VolumeError(`MountVolume.SetUp failed for volume "${name}" : hostPath type check failed: ${p} is not a file`);
        break;
      case 'Socket':
        if (!st?.isSocket()) throw new VolumeError(`MountVolume.SetUp failed for volume "${name}" : hostPath type check failed: ${p} is not a socket file`);
        break;
      default:
        if (!exists) mkdirSync(p, { recursive: true, mode: 0o755 });
    }
    return { kind: 'dir', host: p };
  }
  if (vol.persistentVolumeClaim) return claimVolume(ctx, name, vol.persistentVolumeClaim.claimName);
  const type = Object.keys(vol).find((k) => k !== 'name') ?? 'unknown';
  throw new VolumeError(`MountVolume.SetUp failed for volume "${name}" : volume type "${type}" is not supported by the flotilla node agent`, false);
}

function digest(files: Files): string {
  const h = createHash('sha256');
  for (const k of [...files.keys()].sort()) {
    const f = files.get(k)!;
    h.update(k).update('\0').update(String(f.mode)).update('\0').update(f.data).update('\0');
  }
  return h.digest('hex');
}

/**
 * Writes files into `dir` atomically (kubelet's layout). Returns false when the content was
 * already there.
 */
export function writeAtomic(dir: string, files: Files): boolean {
  mkdirSync(dir, { recursive: true });
  const sum = digest(files);
  const marker = join(dir, '..data');
  let current: string | undefined;
  try {
    current = readlinkSync(marker);
  } catch {
    current = undefined;
  }
  if (current && current.endsWith(sum.slice(0, 12))) return false;
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace(/\..*$/, '')}.${randomBytes(4).toString('hex')}${sum.slice(0, 12)}`;
  const tsDir = join(dir, stamp);
  mkdirSync(tsDir, { recursive: true });
  for (const [rel, f] of files) {
    const p = join(tsDir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.data);
    chmodSync(p, f.mode & 0o7777);
  }
  const tmpLink = join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, marker);
  const tops = new Set([...files.keys()].map((k) => k.split('/')[0]));
  for (const t of tops) {
    const p = join(dir, t);
    try {
      lstatSync(p);
    } catch {
      symlinkSync(posix.join('..data', t), p);
    }
  }
  for (const e of readdirSync(dir)) {
    if (e === '..data' || e === stamp) continue;
    if (e.startsWith('..')) rmSync(join(dir, e), { recursive: true, force: true });
    else if (!tops.has(e)) {
      try {
        if (lstatSync(join(dir, e)).isSymbolicLink()) rmSync(join(dir, e), { force: true });
      } catch {
        /* gone */
      }
    }
  }
  return true;
}
