/**
 * A local-path provisioner (like Rancher's local-path-provisioner, which k3s ships) with the part of
 * kube-controller-manager's PersistentVolume controller it needs: claims are bound to volumes, and a
 * volume whose claim is gone is released and reclaimed.
 *
 * - At start: the StorageClass `local-path` (provisioner `flotilla.dev/local-path`, reclaimPolicy
 *   Delete, volumeBindingMode Immediate), marked as the default class, unless one with that name
 *   exists.
 * - Static binding first: an unbound claim takes the smallest Available PersistentVolume of its
 *   class (`""` for none) with enough capacity, every access mode it asks for, the same volumeMode,
 *   and labels matching its selector (PVs pre-bound to it by claimRef win).
 * - Dynamic provisioning for classes of this provisioner: a directory
 *   `<storageDir>/pvc-<uid>_<namespace>_<name>` and a PersistentVolume `pvc-<claim uid>` (hostPath
 *   DirectoryOrCreate, the claim's request, access modes and volumeMode, the class' reclaim policy,
 *   claimRef to the claim; for WaitForFirstConsumer classes after the scheduler chose a node — the
 *   claim's `volume.kubernetes.io/selected-node` — with node affinity to it).
 * - Binding: PV claimRef → PV phase Bound → claim volumeName (+ `pv.kubernetes.io/bind-completed`,
 *   `pv.kubernetes.io/bound-by-controller`) → claim status Bound with the PV's capacity and modes.
 * - A claim with no class at all gets the default class once one exists (retroactive default).
 * - The claim deleted: the PV is Released; Delete removes the directory (not while a pod still uses
 *   the claim) and the PV, Retain keeps both.
 * - Events on the claim as Kubernetes words them: ProvisioningSucceeded, ProvisioningFailed
 *   (`storageclass.storage.k8s.io "x" not found`), ExternalProvisioning, WaitForFirstConsumer,
 *   FailedBinding, VolumeMismatch, ClaimLost.
 */
import { mkdirSync, chmodSync, rmSync, existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { isAlreadyExists, isConflict, isNotFound, R, type Resource } from '@flotilla/kube-runtime';
import { Controller, type ControllerContext, type ReconcileResult } from './controller.js';
import type { Informer } from '@flotilla/kube-runtime';
import { parseQuantity } from './scheduling.js';
import { deepEqual, isPodTerminal, isTerminating, selectorFn, type Obj, type Pod } from './util.js';

export const LOCAL_PATH_PROVISIONER = 'flotilla.dev/local-path';
export const LOCAL_PATH_CLASS = 'local-path';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
const STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
const BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';

export const PVS: Resource = { group: '', version: 'v1', plural: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false };
export const STORAGE_CLASSES: Resource = { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', kind: 'StorageClass', namespaced: false };

export interface ProvisionerOptions {
  /** where volumes are created (`flotilla up` passes <dataDir>/storage) */
  storageDir: string;
  /** create the `local-path` StorageClass at start (default true) */
  createStorageClass?: boolean;
}

const PV_KEY = 'pv:';

/** The class a claim asks for: the field, else the beta annotation, else "" (none). */
export function claimClass(pvc: Obj): string {
  return pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.[BETA_CLASS_ANNOTATION] ?? '';
}

function classUnset(pvc: Obj): boolean {
  return (pvc.spec?.storageClassName === undefined || pvc.spec?.storageClassName === null) && pvc.metadata?.annotations?.[BETA_CLASS_ANNOTATION] === undefined;
}

export function isDefaultClass(sc: Obj): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/** Pure: why a volume cannot hold a claim ('' when it can). Class, capacity, modes, volumeMode, selector. */
export function volumeMismatch(pv: Obj, pvc: Obj): string {
  if ((pv.spec?.storageClassName ?? '') !== claimClass(pvc)) return 'storageClassName does not match';
  const want = parseQuantity(pvc.spec?.resources?.requests?.storage);
  const have = parseQuantity(pv.spec?.capacity?.storage);
  if (!(have >= want)) return 'requested PV is too small';
  const modes: string[] = pv.spec?.accessModes ?? [];
  if (!((pvc.spec?.accessModes ?? []) as string[]).every((m) => modes.includes(m))) return 'incompatible accessMode';
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) return 'incompatible volumeMode';
  if (pvc.spec?.selector && !selectorFn(pvc.spec.selector)(pv.metadata?.labels)) return 'volume labels do not match the claim selector';
  return '';
}

function refersTo(pv: Obj, pvc: Obj, requireUid: boolean): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== pvc.metadata?.name || ref.namespace !== pvc.metadata?.namespace) return false;
  return ref.uid ? ref.uid === pvc.metadata?.uid : !requireUid;
}

/** Pure: the volume an unbound claim should take (pre-bound to it first, then the smallest that fits). */
export function findVolume(pvc: Obj, pvs: Obj[]): Obj | undefined {
  const usable = pvs.filter((pv) => !isTerminating(pv) && pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed' && !volumeMismatch(pv, pvc));
  const pre = usable.find((pv) => refersTo(pv, pvc, false));
  if (pre) return pre;
  return usable
    .filter((pv) => !pv.spec?.claimRef)
    .sort((a, b) => parseQuantity(a.spec?.capacity?.storage) - parseQuantity(b.spec?.capacity?.storage) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)))[0];
}

export class LocalPathProvisioner extends Controller {
  readonly pvcInf: Informer<Obj>;
  readonly pvInf: Informer<Obj>;
  readonly scInf: Informer<Obj>;
  readonly podInf: Informer<Pod>;
  private readonly storageDir: string;
  /** the last event recorded per object and reason, so a requeue does not repeat it */
  private readonly lastEvent = new Map<string, string>();

  constructor(
    ctx: ControllerContext,
    private readonly opts: ProvisionerOptions,
  ) {
    super('local-path-provisioner', ctx, 2);
    this.storageDir = resolve(opts.storageDir);
    this.pvcInf = ctx.informers.for<Obj>(R.pvcs);
    this.pvInf = ctx.informers.for<Obj>(PVS);
    this.scInf = ctx.informers.for<Obj>(STORAGE_CLASSES);
    this.podInf = ctx.informers.for<Pod>(R.pods);
    this.pvcInf.on({
      add: (o) => this.enqueue(o),
      update: (_a, b) => this.enqueue(b),
      delete: (o) => {
        this.forgetEvents(o);
        if (o.spec?.volumeName) this.enqueue(PV_KEY + o.spec.volumeName);
        for (const pv of this.pvInf.list()) if (pv.spec?.claimRef?.uid === o.metadata?.uid) this.enqueue(PV_KEY + pv.metadata!.name);
      },
    });
    this.pvInf.on({
      add: (o) => this.enqueue(PV_KEY + o.metadata!.name),
      update: (_a, b) => this.enqueue(PV_KEY + b.metadata!.name),
      delete: (o) => {
        this.forgetEvents(o);
        const ref = o.spec?.claimRef;
        if (ref?.name && ref.namespace) this.enqueue(`${ref.namespace}/${ref.name}`);
      },
    });
    const classChanged = (sc: Obj) => {
      for (const pvc of this.pvcInf.list()) if (!pvc.spec?.volumeName && (claimClass(pvc) === sc.metadata?.name || classUnset(pvc))) this.enqueue(pvc);
    };
    this.scInf.on({ add: classChanged, update: (_a, b) => classChanged(b) });
  }

  protected primary(): Informer {
    return this.pvcInf as Informer;
  }

  override async start(): Promise<void> {
    await this.ctx.informers.waitForSync();
    if (this.stopped) return;
    mkdirSync(this.storageDir, { recursive: true });
    if (this.opts.createStorageClass !== false) await this.ensureClass();
    for (const pv of this.pvInf.list()) this.enqueue(PV_KEY + pv.metadata!.name);
    await super.start();
  }

  private async ensureClass(): Promise<void> {
    if (this.scInf.get(undefined, LOCAL_PATH_CLASS)) return;
    try {
      await this.ctx.client.create(STORAGE_CLASSES, undefined, {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: LOCAL_PATH_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
        provisioner: LOCAL_PATH_PROVISIONER,
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'Immediate',
      } as Obj);
      this.log(`created StorageClass ${LOCAL_PATH_CLASS} (volumes in ${this.storageDir})`);
    } catch (e) {
      if (!isAlreadyExists(e)) this.log(`cannot create StorageClass ${LOCAL_PATH_CLASS}: ${(e as Error).message}`);
    }
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    if (key.startsWith(PV_KEY)) return this.syncVolume(key.slice(PV_KEY.length));
    const i = key.indexOf('/');
    return this.syncClaim(key.slice(0, i), key.slice(i + 1));
  }

  // ------------------------------------------------------------------------------------ events

  /** Records an event unless the same one was the last recorded for this object and reason. */
  private note(o: Obj, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const k = `${o.metadata?.uid}|${reason}`;
    if (this.lastEvent.get(k) === message) return;
    this.lastEvent.set(k, message);
    this.events.event(o, type, reason, message, { kind: o.kind ?? (o.metadata?.namespace ? 'PersistentVolumeClaim' : 'PersistentVolume'), apiVersion: 'v1' });
  }

  private forgetEvents(o: Obj): void {
    const p = `${o.metadata?.uid}|`;
    for (const k of this.lastEvent.keys()) if (k.startsWith(p)) this.lastEvent.delete(k);
  }

  // ------------------------------------------------------------------------------------ claims

  private async syncClaim(ns: string, name: string): Promise<ReconcileResult> {
    if (this.ctx.namespace && ns !== this.ctx.namespace) return;
    const pvc = this.pvcInf.get(ns, name);
    if (!pvc || isTerminating(pvc)) return;
    if (pvc.spec?.volumeName) return this.syncBoundClaim(pvc);
    if (classUnset(pvc)) {
      const def = this.defaultClass();
      if (def) {
        // retroactive default class (Kubernetes' PV controller does the same since 1.28)
        await this.ctx.client.update(R.pvcs, { ...pvc, spec: { ...pvc.spec, storageClassName: def.metadata!.name } });
        return;
      }
    }
    const cls = claimClass(pvc);
    const pv = findVolume(pvc, this.pvInf.list());
    if (pv) {
      await this.bind(pvc, pv);
      return;
    }
    if (!cls) {
      this.note(pvc, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      return;
    }
    const sc = this.scInf.get(undefined, cls);
    if (!sc) {
      this.note(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${cls}" not found`);
      return;
    }
    if (sc.provisioner !== LOCAL_PATH_PROVISIONER) {
      this.note(
        pvc,
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      );
      return;
    }
    const node = pvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
    if ((sc as any).volumeBindingMode === 'WaitForFirstConsumer' && !node) {
      this.note(pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      return;
    }
    return this.provision(pvc, sc, (sc as any).volumeBindingMode === 'WaitForFirstConsumer' ? node : undefined);
  }

  private defaultClass(): Obj | undefined {
    const defaults = this.scInf.list().filter((sc) => isDefaultClass(sc) && !isTerminating(sc));
    defaults.sort((a, b) => (Date.parse(b.metadata?.creationTimestamp ?? '') || 0) - (Date.parse(a.metadata?.creationTimestamp ?? '') || 0) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
    return defaults[0];
  }

  private volumeDir(pvc: Obj): string {
    return join(this.storageDir, `pvc-${pvc.metadata!.uid}_${pvc.metadata!.namespace}_${pvc.metadata!.name}`);
  }

  private async provision(pvc: Obj, sc: Obj, node: string | undefined): Promise<ReconcileResult> {
    const fail = (msg: string) => this.note(pvc, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${sc.metadata!.name}": ${msg}`);
    if (pvc.spec?.selector) return fail('claim Selector is not supported');
    if (pvc.spec?.volumeMode === 'Block') return fail('the local-path provisioner only provides Filesystem volumes');
    if (pvc.spec?.dataSource || pvc.spec?.dataSourceRef) return fail('the local-path provisioner cannot populate volumes from a data source');
    const request = pvc.spec?.resources?.requests?.storage;
    const path = this.volumeDir(pvc);
    try {
      mkdirSync(path, { recursive: true, mode: 0o777 });
      // any container user may write, as with local-path-provisioner (the umask took bits away)
      chmodSync(path, 0o777);
    } catch (e) {
      fail(`cannot create ${path}: ${(e as Error).message}`);
      throw e;
    }
    const pvName = `pvc-${pvc.metadata!.uid}`;
    const pv: Obj = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName, annotations: { [PROVISIONED_BY]: LOCAL_PATH_PROVISIONER } },
      spec: {
        capacity: { storage: request },
        accessModes: pvc.spec?.accessModes,
        persistentVolumeReclaimPolicy: (sc as any).reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata!.name,
        volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
        hostPath: { path, type: 'DirectoryOrCreate' },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata!.namespace, name: pvc.metadata!.name, uid: pvc.metadata!.uid, resourceVersion: pvc.metadata!.resourceVersion },
        ...((sc as any).mountOptions ? { mountOptions: (sc as any).mountOptions } : {}),
        ...(node
          ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } }
          : {}),
      },
    };
    let created: Obj;
    try {
      created = await this.ctx.client.create<Obj>(PVS, undefined, pv);
    } catch (e) {
      if (!isAlreadyExists(e)) {
        fail((e as Error).message);
        throw e;
      }
      // made by an earlier attempt whose binding did not finish
      created = await this.ctx.client.get<Obj>(PVS, undefined, pvName);
    }
    this.note(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
    await this.bind(pvc, created);
  }

  /**
   * Binds a claim and a volume, in Kubernetes' order (volume first, so a crash in between leaves a
   * volume pre-bound to the claim, which the next pass completes).
   */
  private async bind(pvc: Obj, volume: Obj): Promise<void> {
    const client = this.ctx.client;
    let pv = volume;
    if (!refersTo(pv, pvc, true)) {
      const userSet = !!pv.spec?.claimRef;
      pv = await client.update<Obj>(PVS, {
        ...pv,
        metadata: { ...pv.metadata, annotations: { ...(pv.metadata?.annotations ?? {}), ...(userSet ? {} : { [BOUND_BY_CONTROLLER]: 'yes' }) } },
        spec: {
          ...pv.spec,
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata!.namespace, name: pvc.metadata!.name, uid: pvc.metadata!.uid, resourceVersion: pvc.metadata!.resourceVersion },
        },
      });
    }
    if (pv.status?.phase !== 'Bound') pv = await client.update<Obj>(PVS, { ...pv, status: { ...(pv.status ?? {}), phase: 'Bound' } }, 'status');
    let claim = pvc;
    const ann = claim.metadata?.annotations ?? {};
    const provisioner = pv.metadata?.annotations?.[PROVISIONED_BY];
    const wantAnn: Record<string, string> = { ...ann, [BIND_COMPLETED]: 'yes' };
    if (!claim.spec?.volumeName) wantAnn[BOUND_BY_CONTROLLER] = 'yes';
    if (provisioner) {
      wantAnn[STORAGE_PROVISIONER] = provisioner;
      wantAnn[BETA_STORAGE_PROVISIONER] = provisioner;
    }
    if (claim.spec?.volumeName !== pv.metadata!.name || !deepEqual(ann, wantAnn)) {
      claim = await client.update<Obj>(R.pvcs, { ...claim, metadata: { ...claim.metadata, annotations: wantAnn }, spec: { ...claim.spec, volumeName: pv.metadata!.name } });
    }
    const status = { ...(claim.status ?? {}), phase: 'Bound', accessModes: pv.spec?.accessModes, capacity: pv.spec?.capacity };
    if (!deepEqual(status, claim.status ?? {})) await client.update(R.pvcs, { ...claim, status }, 'status');
  }

  /** A claim with volumeName: complete the binding, or report what is wrong. */
  private async syncBoundClaim(pvc: Obj): Promise<ReconcileResult> {
    const volumeName: string = pvc.spec.volumeName;
    let pv = this.pvInf.get(undefined, volumeName);
    if (!pv) {
      // the cache may be a moment behind a volume that was just made
      pv = await this.ctx.client.get<Obj>(PVS, undefined, volumeName).catch((e) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
    }
    if (!pv) {
      if (pvc.metadata?.annotations?.[BIND_COMPLETED] === 'yes' || pvc.status?.phase === 'Bound') {
        if (pvc.status?.phase !== 'Lost') {
          await this.ctx.client.update(R.pvcs, { ...pvc, status: { ...(pvc.status ?? {}), phase: 'Lost' } }, 'status');
          this.note(pvc, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
        }
      } else this.note(pvc, 'Normal', 'FailedBinding', `volume "${volumeName}" not found`);
      return;
    }
    if (refersTo(pv, pvc, false)) return void (await this.bind(pvc, pv));
    if (!pv.spec?.claimRef) {
      // the user asked for this volume by name
      const why = volumeMismatch(pv, pvc);
      if (why) {
        this.note(pvc, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${volumeName}": ${why}`);
        return;
      }
      return void (await this.bind(pvc, pv));
    }
    this.note(pvc, 'Warning', 'FailedBinding', `volume "${volumeName}" already bound to a different claim.`);
  }

  // ----------------------------------------------------------------------------------- volumes

  private async setVolumePhase(pv: Obj, phase: string, message?: string): Promise<Obj> {
    const status: Record<string, unknown> = { ...(pv.status ?? {}), phase };
    if (message) status.message = message;
    else delete status.message;
    if (deepEqual(status, pv.status ?? {})) return pv;
    return this.ctx.client.update<Obj>(PVS, { ...pv, status }, 'status');
  }

  private async syncVolume(name: string): Promise<ReconcileResult> {
    const pv = this.pvInf.get(undefined, name);
    if (!pv || isTerminating(pv)) return;
    const ref = pv.spec?.claimRef;
    if (!ref) {
      await this.setVolumePhase(pv, 'Available');
      // a new volume may satisfy a waiting claim
      for (const pvc of this.pvcInf.list()) if (!pvc.spec?.volumeName) this.enqueue(pvc);
      return;
    }
    const pvc = this.pvcInf.get(ref.namespace, ref.name);
    if (pvc && (!ref.uid || pvc.metadata?.uid === ref.uid)) {
      if (pvc.spec?.volumeName === name) {
        await this.setVolumePhase(pv, 'Bound');
        if (pvc.status?.phase !== 'Bound') this.enqueue(pvc);
      } else if (!pvc.spec?.volumeName) {
        // binding in progress, or a volume pre-bound to a claim that binds next
        if (!ref.uid) await this.setVolumePhase(pv, 'Available');
        this.enqueue(pvc);
      } else if (pv.metadata?.annotations?.[BOUND_BY_CONTROLLER] === 'yes') {
        // the claim went to another volume: this one is free again
        const annotations = { ...(pv.metadata?.annotations ?? {}) };
        delete annotations[BOUND_BY_CONTROLLER];
        const spec = { ...pv.spec };
        delete spec.claimRef;
        await this.ctx.client.update(PVS, { ...pv, metadata: { ...pv.metadata, annotations }, spec });
      }
      return;
    }
    if (!ref.uid) {
      // pre-bound by the user to a claim that does not exist (yet)
      await this.setVolumePhase(pv, 'Available');
      return;
    }
    // the claim seems gone: make sure (the cache may be behind a claim that was just created)
    const live = await this.ctx.client.get<Obj>(R.pvcs, ref.namespace, ref.name).catch((e) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    if (live && live.metadata?.uid === ref.uid) return { requeueAfter: 1000 };
    return this.reclaim(pv);
  }

  /** A volume whose claim is gone: Released, then what its reclaim policy says. */
  private async reclaim(pv: Obj): Promise<ReconcileResult> {
    const name = pv.metadata!.name!;
    if (pv.status?.phase === 'Failed') return;
    const released = await this.setVolumePhase(pv, 'Released');
    const fresh = () => released;
    const policy = pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain') return;
    if (policy === 'Recycle') {
      await this.setVolumePhase(fresh(), 'Failed', 'No recycler plugin found for the volume!');
      this.note(pv, 'Warning', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
      return;
    }
    // Delete
    if (pv.metadata?.annotations?.[PROVISIONED_BY] !== LOCAL_PATH_PROVISIONER) {
      const msg = `error getting deleter volume plugin for volume "${name}": no deletable volume plugin matched`;
      await this.setVolumePhase(fresh(), 'Failed', msg);
      this.note(pv, 'Warning', 'VolumeFailedDelete', msg);
      return;
    }
    const ref = pv.spec.claimRef;
    // pods still running with the claim keep their data until they are gone
    const users = this.podInf
      .list(ref.namespace)
      .filter((p) => !isPodTerminal(p) && ((p.spec?.volumes ?? []) as any[]).some((v) => v.persistentVolumeClaim?.claimName === ref.name));
    const current = this.pvcInf.get(ref.namespace, ref.name);
    if (users.length && !current) return { requeueAfter: 2000 };
    const path: string | undefined = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (path) {
      const abs = resolve(path);
      if (!abs.startsWith(this.storageDir + sep)) {
        const msg = `refusing to delete ${abs}: it is not under the provisioner's directory ${this.storageDir}`;
        await this.setVolumePhase(fresh(), 'Failed', msg);
        this.note(pv, 'Warning', 'VolumeFailedDelete', msg);
        return;
      }
      if (existsSync(abs)) rmSync(abs, { recursive: true, force: true });
    }
    try {
      await this.ctx.client.delete(PVS, undefined, name, { uid: pv.metadata?.uid });
      this.log(`deleted volume ${name}${path ? ` (${path})` : ''}`);
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}
