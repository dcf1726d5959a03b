/**
 * Built-in admission on create, as Kubernetes' admission plugins do it: mutating, after defaulting
 * and before validation, so what they add is validated like the rest of the object.
 *
 * - **ServiceAccount** (plugin/pkg/admission/serviceaccount): a pod gets `serviceAccountName`
 *   "default" (and the deprecated `serviceAccount`) unless it names one; the ServiceAccount must
 *   exist (`403 pods "x" is forbidden: error looking up service account ns/sa: serviceaccount "sa"
 *   not found`); unless automounting is off (the pod's `automountServiceAccountToken` wins over the
 *   ServiceAccount's), a projected volume `kube-api-access-<5 chars>` (token, kube-root-ca.crt,
 *   namespace) is added and mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in
 *   every container and init container that does not mount something there already.
 * - **DefaultStorageClass** (plugin/pkg/admission/storage/storageclass/setdefault): a
 *   PersistentVolumeClaim with no class at all (field unset, no beta annotation; `""` means "no
 *   class" and is kept) gets the default StorageClass (annotation
 *   `storageclass.kubernetes.io/is-default-class: "true"`; the newest one when several are).
 *
 * And what the ServiceAccount controller guarantees in a real cluster, done synchronously here so a
 * pod can be created right after its namespace: every namespace has the ServiceAccount "default"
 * (created with the namespace, and for existing namespaces at start; the controllers' namespace
 * defaults controller recreates it when it is deleted).
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { KubeObject } from '@flotilla/apimachinery';
import { forbidden } from './errors.js';
import type { Objects } from './objects.js';
import type { Registry } from './registry.js';
import type { Store } from './store.js';

export const SA_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SA_VOLUME_PREFIX = 'kube-api-access-';
export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
/** the pre-1.6 way to name a claim's class; still honoured by Kubernetes */
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

// the alphabet of Kubernetes' SimpleNameGenerator (no vowels, no confusable digits)
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function suffix(n = 5): string {
  const b = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[b[i] % NAME_CHARS.length];
  return s;
}

/**
 * Runs the create-time admission plugins for `obj` (already defaulted). `displayName` is the name
 * the request gave (the generateName prefix when the name is generated), used in error messages as
 * Kubernetes does (`pods "web-7d4b9c-" is forbidden: ...`).
 */
export function admitCreate(store: Store, info: { group: string; kind: string }, obj: KubeObject, displayName: string): void {
  if (info.group !== '') return;
  if (info.kind === 'Pod') admitPodServiceAccount(store, obj, displayName);
  else if (info.kind === 'PersistentVolumeClaim') admitDefaultStorageClass(store, obj);
}

function namespaceUsable(store: Store, ns: string): boolean {
  const n = store.get('core/namespaces', '', ns);
  // a missing or terminating namespace is reported by the pipeline's namespace check
  return !!n && !n.obj.metadata?.deletionTimestamp;
}

// ------------------------------------------------------------------------------- ServiceAccount

interface Container {
  name?: string;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

function admitPodServiceAccount(store: Store, pod: KubeObject, displayName: string): void {
  const meta = pod.metadata ?? {};
  const ns = meta.namespace ?? '';
  // mirror pods (static pods of a kubelet) may not use service accounts; they are left alone
  if (meta.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
  if (!namespaceUsable(store, ns)) return;
  const spec = (pod.spec ?? (pod.spec = {})) as Record<string, any>;
  // v1's deprecated serviceAccount is the fallback for serviceAccountName (as the conversion does)
  const saName: string = spec.serviceAccountName || spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT;
  spec.serviceAccountName = saName;
  spec.serviceAccount = saName;
  const sa = store.get('core/serviceaccounts', ns, saName)?.obj;
  if (!sa)
    throw forbidden(`pods "${displayName}" is forbidden: error looking up service account ${ns}/${saName}: serviceaccount "${saName}" not found`, {
      name: displayName,
      kind: 'pods',
    });
  if (!shouldAutomount(spec, sa)) return;
  mountServiceAccountToken(spec);
}

function shouldAutomount(spec: Record<string, any>, sa: KubeObject): boolean {
  if (typeof spec.automountServiceAccountToken === 'boolean') return spec.automountServiceAccountToken;
  const saValue = (sa as { automountServiceAccountToken?: unknown }).automountServiceAccountToken;
  if (typeof saValue === 'boolean') return saValue;
  return true;
}

/** Kubernetes' TokenVolumeSource(): exactly the shape the API server stores. */
export function tokenVolume(name: string): Record<string, unknown> {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

function mountsTokenPath(c: Container): boolean {
  return (c.volumeMounts ?? []).some((m) => typeof m?.mountPath === 'string' && posix.normalize(m.mountPath).replace(/\/$/, '') === SA_TOKEN_MOUNT_PATH);
}

function mountServiceAccountToken(spec: Record<string, any>): void {
  const volumes: { name: string }[] = Array.isArray(spec.volumes) ? spec.volumes : [];
  // a kube-api-access-* volume the pod already has is reused (a pod made from another's spec)
  const existing = volumes.find((v) => typeof v?.name === 'string' && v.name.startsWith(SA_VOLUME_PREFIX));
  let volName = existing?.name;
  if (!volName) {
    const taken = new Set(volumes.map((v) => v?.name));
    do volName = `${SA_VOLUME_PREFIX}${suffix()}`;
    while (taken.has(volName));
  }
  let needed = false;
  for (const key of ['initContainers', 'containers']) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list as Container[]) {
      if (!c || typeof c !== 'object' || mountsTokenPath(c)) continue;
      c.volumeMounts = [...(Array.isArray(c.volumeMounts) ? c.volumeMounts : []), { name: volName, readOnly: true, mountPath: SA_TOKEN_MOUNT_PATH }];
      needed = true;
    }
  }
  if (needed && !existing) spec.volumes = [...volumes, tokenVolume(volName)];
}

// -------------------------------------------------------------------------- DefaultStorageClass

function isDefaultClass(sc: KubeObject): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/** The default StorageClass: the newest of those annotated as default (ties: by name). */
export function defaultStorageClass(store: Store): KubeObject | undefined {
  const defaults = store
    .list('storage.k8s.io/storageclasses')
    .map((so) => so.obj)
    .filter((sc) => isDefaultClass(sc) && !sc.metadata?.deletionTimestamp);
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
    if (ta !== tb) return tb - ta;
    return String(a.metadata?.name).localeCompare(String(b.metadata?.name));
  });
  return defaults[0];
}

function admitDefaultStorageClass(store: Store, pvc: KubeObject): void {
  const spec = (pvc.spec ?? (pvc.spec = {})) as Record<string, any>;
  if (pvc.metadata?.annotations?.[BETA_CLASS_ANNOTATION] !== undefined) return;
  // "" asks for no class (static PVs without one); only an absent field is defaulted
  if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
  const def = defaultStorageClass(store);
  if (def) spec.storageClassName = def.metadata!.name;
}

// ------------------------------------------------------------------- the default ServiceAccount

/**
 * Creates the ServiceAccount "default" in a namespace that lacks it (idempotent; nothing for a
 * terminating or missing namespace). Called when a namespace is created and at start.
 */
export function ensureDefaultServiceAccount(objects: Objects, reg: Registry, store: Store, ns: string): void {
  if (store.get('core/serviceaccounts', ns, DEFAULT_SERVICE_ACCOUNT)) return;
  if (!namespaceUsable(store, ns)) return;
  const s = reg.find('', 'v1', 'serviceaccounts');
  if (!s) return;
  try {
    objects.create(
      s,
      ns,
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT } },
      { dryRun: false, fieldValidation: 'Ignore', warnings: [], fieldManager: 'flotilla-apiserver' },
      'flotilla-apiserver',
    );
  } catch (e) {
    console.error(`apiserver: cannot create the default ServiceAccount of namespace ${ns}: ${(e as Error).message}`);
  }
}
