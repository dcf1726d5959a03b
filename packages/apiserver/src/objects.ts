/**
 * The object pipeline: create / update / patch / delete for any served resource, applying
 * Kubernetes' metadata rules, defaulting, validation, pruning, managedFields and lifecycle
 * (finalizers, deletionTimestamp). Synchronous from read to write, so each write is atomic.
 */
import { checkTypes } from './type-check.js';
import { randomUUID, randomBytes } from 'node:crypto';
import type { Cause, KubeObject, ObjectMeta } from '@flotilla/apimachinery';
import { isPlainObject, validateDns1123Subdomain, getPath, setPath } from '@flotilla/apimachinery';
import { clone, stringify } from './json-int.js';
import { convertHpa, HPA_V2 } from './hpa-convert.js';
import {
  applyBuiltinDefaults,
  validateBuiltin,
  normalizeSecret,
  generationRelevantChange,
  kindTracksGeneration,
} from '@flotilla/k8s-builtins';
import {
  applySchemaDefaults,
  findUnknownFields,
  pruneUnknownFields,
  validateObject,
  validateCrd,
} from '@flotilla/crd-schema';
import {
  ApplyConflictError,
  PatchError,
  deepEqual,
  jsonMergePatch,
  jsonPatch,
  serverSideApply,
  strategicMergePatch,
  updateManagedFields,
} from '@flotilla/k8s-patch';
import { admitCreate, ensureDefaultServiceAccount } from './admission.js';
import { ApiError, alreadyExists, badRequest, conflict, forbidden, invalid, notFound, tooLarge, unsupportedMediaType } from './errors.js';
import type { Registry, Served } from './registry.js';
import { apiVersionOf } from './registry.js';
import type { Store, StoredObject } from './store.js';

export const MAX_OBJECT_BYTES = 1572864; // 1.5 MiB, etcd's default request limit

export interface WriteOptions {
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: 'Strict' | 'Warn' | 'Ignore';
  force?: boolean;
  /** filled in by the pipeline: warnings for the Warning header */
  warnings: string[];
  /** the request's own check of the object about to be stored (RBAC escalation prevention) */
  check?: (s: Served, ns: string, obj: KubeObject) => void;
  /** admission webhooks' points in the pipeline (webhooks/index.ts) */
  admission?: AdmissionHooks;
}

/**
 * Called synchronously by the pipeline: `mutate` after defaulting and built-in admission (it may
 * change the object in place; defaults are applied again after it), `validate` after validation,
 * right before storage. Either may throw to stop the write.
 */
export interface AdmissionHooks {
  mutate(obj: KubeObject, old: KubeObject | undefined): void;
  validate(obj: KubeObject, old: KubeObject | undefined): void;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const SERVER_META = ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'];
const nameChars = 'bcdfghjklmnpqrstvwxz2456789';

export function nowIso(): string {
  return new Date().toISOString().slice(0, 19) + 'Z';
}

function randSuffix(): string {
  const b = randomBytes(5);
  let s = '';
  for (let i = 0; i < 5; i++) s += nameChars[b[i] % nameChars.length];
  return s;
}

/**
 * Whether two objects are equal as JSON (key order aside), leaving out the top-level keys `skip` and the metadata
 * keys `skipMeta`: only the top level and metadata are copied (shallowly), then one walk over both — no deep copies
 * and no serialization of objects of hundreds of KB on every write.
 */
function sameJson(a: KubeObject, b: KubeObject, skip: readonly string[], skipMeta: readonly string[] = []): boolean {
  const strip = (o: KubeObject): Record<string, unknown> => {
    const c: Record<string, unknown> = { ...o };
    for (const k of skip) delete c[k];
    if (skipMeta.length && isPlainObject(c.metadata)) {
      const m: Record<string, unknown> = { ...(c.metadata as Record<string, unknown>) };
      for (const k of skipMeta) delete m[k];
      c.metadata = m;
    }
    return c;
  };
  return deepEqual(strip(a), strip(b));
}

const VOLATILE_META = ['resourceVersion', 'managedFields'] as const;

export class Objects {
  /** Called after a write that may need garbage collection / lifecycle work. */
  onChange: () => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly reg: Registry,
  ) {}

  // ---------------------------------------------------------------- reads

  get(s: Served, ns: string, name: string): StoredObject {
    const so = this.store.get(s.key, ns, name);
    if (!so) throw notFound(s.info.group, s.info.plural, name);
    return so;
  }

  /** The object as the requested version presents it (CRDs: the apiVersion changes). */
  present(s: Served, obj: KubeObject): KubeObject {
    const av = apiVersionOf(s.info.group, s.info.version);
    if (obj.apiVersion === av) return obj;
    // HorizontalPodAutoscaler: v1 is a conversion of the stored v2 (hpa-convert.ts)
    const hpa = s.builtin && s.info.kind === 'HorizontalPodAutoscaler' ? convertHpa(obj, av) : undefined;
    return hpa ?? { ...obj, apiVersion: av };
  }

  presentJson(s: Served, so: { json: string; obj: KubeObject }): string {
    const av = apiVersionOf(s.info.group, s.info.version);
    if (so.obj.apiVersion === av) return so.json;
    return stringify(this.present(s, so.obj));
  }

  // ---------------------------------------------------------------- helpers

  private checkKind(s: Served, body: unknown): KubeObject {
    if (!isPlainObject(body)) throw badRequest(`the body of the request was in an unknown format: expected a JSON object for ${s.info.kind}`);
    const obj = body as KubeObject;
    const want = apiVersionOf(s.info.group, s.info.version);
    if (obj.kind !== undefined && obj.kind !== s.info.kind)
      throw badRequest(`the kind in the body ("${String(obj.kind)}") does not match the resource "${s.info.plural}" (kind "${s.info.kind}")`);
    if (obj.apiVersion !== undefined && obj.apiVersion !== want)
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`);
    if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) throw badRequest('metadata: expected an object');
    checkTypes(s, obj);
    obj.apiVersion = want;
    obj.kind = s.info.kind;
    obj.metadata = obj.metadata ?? {};
    return obj;
  }

  /** Unknown fields → error (Strict) or warnings (Warn); then they are dropped. */
  private handleUnknown(s: Served, obj: KubeObject, opts: WriteOptions): void {
    const schema = s.schema();
    if (!schema) return;
    if (opts.fieldValidation !== 'Ignore') {
      const unknown = findUnknownFields(schema, obj);
      if (unknown.length) {
        const msgs = unknown.map((f: string) => `unknown field "${f.replace(/^\./, '')}"`);
        if (opts.fieldValidation === 'Strict') throw badRequest(`strict decoding error: ${msgs.join(', ')}`);
        opts.warnings.push(...msgs);
      }
    }
    pruneUnknownFields(schema, obj);
  }

  private validate(s: Served, obj: KubeObject, old?: KubeObject): void {
    const causes: Cause[] = [];
    const name = obj.metadata?.name ?? '';
    if (s.builtin) {
      causes.push(...validateBuiltin(s.info, obj, old));
      if (s.info.group === 'apiextensions.k8s.io' && s.info.kind === 'CustomResourceDefinition') causes.push(...validateCrd(obj, old));
    } else {
      for (const e of validateDns1123Subdomain(name)) causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": ${e}` });
      const schema = s.schema();
      if (schema) {
        // metadata is validated by the API machinery, not the schema; an empty stand-in keeps a
        // schema that lists `metadata` as required (Argo CD's CRDs) satisfied
        const body = { ...obj, metadata: {} };
        causes.push(...validateObject(schema, body));
      }
    }
    if (causes.length) throw invalid(s.info.group, s.info.kind, name, causes);
  }

  private defaults(s: Served, obj: KubeObject): void {
    if (s.builtin) applyBuiltinDefaults(s.info, obj);
    else {
      const schema = s.schema();
      if (schema) applySchemaDefaults(schema, obj);
    }
  }

  private checkSize(obj: KubeObject): string {
    const json = stringify(obj);
    if (json.length > MAX_OBJECT_BYTES)
      throw tooLarge(`object is too large: ${json.length} bytes exceeds the ${MAX_OBJECT_BYTES}-byte limit`);
    return json;
  }

  private checkNamespace(s: Served, ns: string): void {
    if (!s.info.namespaced) return;
    const nsObj = this.store.get('core/namespaces', '', ns);
    if (!nsObj) throw notFound('', 'namespaces', ns);
    if (nsObj.obj.metadata?.deletionTimestamp)
      throw forbidden(`${s.info.plural} "${'?'}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, {
        kind: s.info.plural,
        group: s.info.group,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
      });
  }

  private manager(opts: WriteOptions, fallback: string): string {
    return opts.fieldManager || fallback;
  }

  private allocate(s: Served, obj: KubeObject, old?: KubeObject): void {
    if (!(s.builtin && s.info.group === '' && s.info.kind === 'Service')) return;
    const spec = (obj.spec ?? {}) as Record<string, any>;
    obj.spec = spec;
    const oldSpec = (old?.spec ?? {}) as Record<string, any>;
    if (spec.type === 'ExternalName') return;
    if (!spec.clusterIP && oldSpec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    if (!spec.clusterIP) {
      const used = new Set(this.store.list('core/services').map((o) => (o.obj.spec as any)?.clusterIP));
      let ip: string | undefined;
      for (let n = 10; n < 65534 * 16; n++) {
        const cand = `10.96.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
        if (!used.has(cand)) {
          ip = cand;
          break;
        }
      }
      spec.clusterIP = ip;
    }
    if (spec.clusterIP && !spec.clusterIPs) spec.clusterIPs = [spec.clusterIP];
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      const used = new Set<number>();
      for (const o of this.store.list('core/services')) for (const p of ((o.obj.spec as any)?.ports ?? []) as any[]) if (p.nodePort) used.add(p.nodePort);
      const oldPorts = (oldSpec.ports ?? []) as any[];
      for (const p of (spec.ports ?? []) as any[]) {
        if (p.nodePort) continue;
        const prev = oldPorts.find((q) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
        if (prev?.nodePort) {
          p.nodePort = prev.nodePort;
          continue;
        }
        const port = allocateNodePort(used);
        if (port === undefined) throw invalid('', 'Service', String((obj.metadata as ObjectMeta | undefined)?.name ?? ''), [{ reason: 'FieldValueInvalid', field: 'spec.ports[].nodePort', message: 'Internal error: range is full' }]);
        p.nodePort = port;
        used.add(port);
      }
    }
  }

  // ---------------------------------------------------------------- create

  create(s: Served, ns: string, body: unknown, opts: WriteOptions, userAgent: string): { obj: KubeObject; so?: StoredObject } {
    const obj = this.checkKind(s, body);
    const meta = obj.metadata as ObjectMeta;
    if (s.info.namespaced) {
      if (meta.namespace && meta.namespace !== ns)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = ns;
    } else delete meta.namespace;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    const requestedName = meta.name || meta.generateName || '';
    if (!meta.name) {
      // as Kubernetes: the prefix is cut to 58 characters, so a generated name fits in 63 (a label value's limit)
      if (meta.generateName) meta.name = `${meta.generateName.slice(0, 58)}${randSuffix()}`;
      else
        throw invalid(s.info.group, s.info.kind, '', [
          { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' },
        ]);
    }
    this.handleUnknown(s, obj, opts);
    for (const k of SERVER_META) delete meta[k];
    delete meta.managedFields;
    meta.uid = randomUUID();
    meta.creationTimestamp = nowIso();
    if (s.info.subresources?.status && !(s.builtin && s.info.kind === 'Namespace')) delete obj.status;
    if (!s.builtin || kindTracksGeneration(s.info)) meta.generation = 1;
    if (s.builtin && s.info.kind === 'Secret' && s.info.group === '') normalizeSecret(obj);
    if (s.builtin && s.info.group === 'apiextensions.k8s.io' && s.info.kind === 'CustomResourceDefinition') {
      meta.finalizers = [...new Set([...(meta.finalizers ?? []), 'customresourcecleanup.apiextensions.k8s.io'])];
    }
    this.defaults(s, obj);
    if (s.builtin) admitCreate(this.store, s.info, obj, requestedName);
    if (opts.admission) {
      opts.admission.mutate(obj, undefined);
      this.defaults(s, obj);
    }
    this.validate(s, obj);
    opts.check?.(s, ns, obj);
    this.checkNamespace(s, ns);
    if (this.store.get(s.key, s.info.namespaced ? ns : '', meta.name!)) throw alreadyExists(s.info.group, s.info.plural, meta.name!);
    this.allocate(s, obj);
    const now = nowIso();
    meta.managedFields = updateManagedFields({
      old: undefined,
      updated: obj,
      manager: this.manager(opts, userAgent),
      schema: s.schema(),
      apiVersion: apiVersionOf(s.info.group, s.info.version),
      now,
    });
    if (meta.managedFields.length === 0) delete meta.managedFields;
    this.afterCreateHook(s, obj);
    opts.admission?.validate(obj, undefined);
    const stored = this.toStorage(s, obj);
    if (opts.dryRun) {
      this.checkSize(obj);
      return { obj };
    }
    const so = this.putChecked(s.key, s.info.namespaced ? ns : '', meta.name!, stored);
    if (s.builtin && s.info.group === '' && s.info.kind === 'Namespace') ensureDefaultServiceAccount(this, this.reg, this.store, meta.name!);
    this.onChange();
    return { obj: this.present(s, so.obj), so };
  }

  /** store.put with the 1.5 MiB object limit checked on the JSON the store writes. */
  private putChecked(key: string, ns: string, name: string, obj: KubeObject): StoredObject {
    try {
      return this.store.put(key, ns, name, obj, MAX_OBJECT_BYTES);
    } catch (e) {
      if (e instanceof RangeError) throw tooLarge(e.message);
      throw e;
    }
  }

  private afterCreateHook(s: Served, obj: KubeObject): void {
    if (s.builtin && s.info.group === 'apiextensions.k8s.io' && s.info.kind === 'CustomResourceDefinition') crdStatus(obj);
  }

  private toStorage(s: Served, obj: KubeObject): KubeObject {
    // HorizontalPodAutoscalers are stored as autoscaling/v2, whichever version wrote them
    if (s.builtin && s.info.kind === 'HorizontalPodAutoscaler') return convertHpa(obj, HPA_V2) ?? obj;
    if (obj.apiVersion !== s.storageApiVersion) return { ...obj, apiVersion: s.storageApiVersion };
    return obj;
  }

  // ---------------------------------------------------------------- update

  /**
   * Replaces an object (PUT). `sub` = "status" writes only status; otherwise status is kept.
   */
  update(s: Served, ns: string, name: string, body: unknown, opts: WriteOptions, userAgent: string, sub?: string): { obj: KubeObject; so?: StoredObject } {
    const obj = this.checkKind(s, body);
    const meta = obj.metadata as ObjectMeta;
    if (meta.name && meta.name !== name)
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    if (s.info.namespaced && meta.namespace && meta.namespace !== ns)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const cur = this.store.get(s.key, s.info.namespaced ? ns : '', name);
    if (!cur) throw notFound(s.info.group, s.info.plural, name);
    if (meta.resourceVersion && meta.resourceVersion !== cur.obj.metadata?.resourceVersion)
      throw conflict(s.info.group, s.info.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
    this.handleUnknown(s, obj, opts);
    return this.commitUpdate(s, cur, obj, opts, this.manager(opts, userAgent), sub, 'Update');
  }

  /** The shared tail of update and patch. */
  private commitUpdate(
    s: Served,
    cur: StoredObject,
    next: KubeObject,
    opts: WriteOptions,
    manager: string,
    sub: string | undefined,
    operation: 'Update' | 'Apply',
  ): { obj: KubeObject; so?: StoredObject } {
    const old = this.present(s, cur.obj);
    let obj = next;
    const meta = (obj.metadata = obj.metadata ?? {}) as ObjectMeta;
    const oldMeta = old.metadata as ObjectMeta;
    if (sub === 'status') {
      const o = clone(old);
      o.status = obj.status;
      // status writers may not change anything else; keep managedFields computed below
      if (operation === 'Apply') o.metadata!.managedFields = meta.managedFields;
      obj = o;
    } else if (s.info.subresources?.status && sub !== 'finalize') {
      if (old.status === undefined) delete obj.status;
      else obj.status = clone(old.status);
    }
    const m = obj.metadata as ObjectMeta;
    m.name = oldMeta.name;
    if (s.info.namespaced) m.namespace = oldMeta.namespace;
    else delete m.namespace;
    m.uid = oldMeta.uid;
    m.creationTimestamp = oldMeta.creationTimestamp;
    if (oldMeta.deletionTimestamp) {
      m.deletionTimestamp = oldMeta.deletionTimestamp;
      m.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    if (oldMeta.deletionTimestamp) {
      const added = (m.finalizers ?? []).filter((f) => !(oldMeta.finalizers ?? []).includes(f));
      if (added.length)
        throw invalid(s.info.group, s.info.kind, oldMeta.name!, [
          { reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` },
        ]);
    }
    if (s.builtin && s.info.kind === 'Secret' && s.info.group === '') normalizeSecret(obj);
    if (s.builtin && s.info.kind === 'Namespace' && s.info.group === '' && sub !== 'finalize') {
      // spec.finalizers only change through the finalize subresource
      obj.spec = clone(old.spec);
    }
    this.defaults(s, obj);
    this.allocate(s, obj, old);
    if (opts.admission) {
      opts.admission.mutate(obj, old);
      this.defaults(s, obj);
    }
    // generation
    m.generation = oldMeta.generation;
    if (m.generation !== undefined || !s.builtin) {
      const changed = s.builtin ? generationRelevantChange(s.info, old, obj) : crChanged(old, obj);
      if (changed) m.generation = (oldMeta.generation ?? 0) + 1;
      else if (m.generation === undefined) delete m.generation;
    }
    this.validate(s, obj, old);
    opts.check?.(s, m.namespace ?? '', obj);
    if (s.builtin && s.info.group === 'apiextensions.k8s.io' && s.info.kind === 'CustomResourceDefinition' && sub !== 'status') crdStatus(obj, old);
    if (operation === 'Update') {
      m.managedFields = updateManagedFields({
        old,
        updated: obj,
        manager,
        schema: s.schema(),
        apiVersion: apiVersionOf(s.info.group, s.info.version),
        now: nowIso(),
        subresource: sub,
      });
      if (m.managedFields.length === 0) delete m.managedFields;
    }
    opts.admission?.validate(obj, old);
    // a no-op write changes nothing, not even the resourceVersion
    const unchanged = sameJson(obj, old, [], VOLATILE_META);
    const mfUnchanged = deepEqual(stripTimes(m.managedFields), stripTimes(oldMeta.managedFields));
    if (unchanged && mfUnchanged) return { obj: old, so: cur };
    if (unchanged) m.managedFields = oldMeta.managedFields;
    if (unchanged) return { obj: old, so: cur };
    if (opts.dryRun) {
      this.checkSize(obj);
      return { obj };
    }
    // finalizers all gone on an object being deleted: it goes now
    if (m.deletionTimestamp && !(m.finalizers ?? []).length && !(s.builtin && s.info.kind === 'Pod' && (obj.spec as any)?.nodeName && (m.deletionGracePeriodSeconds ?? 0) > 0)) {
      if (!(s.builtin && s.info.kind === 'Namespace' && ((obj.spec as any)?.finalizers ?? []).length)) {
        this.putChecked(s.key, cur.obj.metadata?.namespace ?? '', m.name!, this.toStorage(s, obj));
        const so = this.store.remove(s.key, cur.obj.metadata?.namespace ?? '', m.name!)!;
        this.onChange();
        return { obj: this.present(s, so.obj), so };
      }
    }
    const so = this.putChecked(s.key, s.info.namespaced ? m.namespace! : '', m.name!, this.toStorage(s, obj));
    this.onChange();
    return { obj: this.present(s, so.obj), so };
  }

  // ---------------------------------------------------------------- patch

  patch(
    s: Served,
    ns: string,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions,
    userAgent: string,
    sub?: string,
  ): { obj: KubeObject; so?: StoredObject; created?: boolean } {
    const key = s.info.namespaced ? ns : '';
    const cur = this.store.get(s.key, key, name);
    if (type === 'strategic' && !s.builtin)
      throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
    if (type === 'apply') {
      if (!opts.fieldManager) throw badRequest('PATCH /apply requires a fieldManager (the fieldManager query parameter must be set)');
      if (!isPlainObject(patch)) throw badRequest('the apply patch must be a YAML or JSON object');
      const applied = patch as KubeObject;
      const want = apiVersionOf(s.info.group, s.info.version);
      if (applied.apiVersion !== want) throw badRequest(`the API version in the data (${String(applied.apiVersion ?? '')}) does not match the expected API version (${want})`);
      if (applied.kind !== s.info.kind) throw badRequest(`the kind in the data (${String(applied.kind ?? '')}) does not match the expected kind (${s.info.kind})`);
      const am = (applied.metadata ?? {}) as ObjectMeta;
      if (am.name && am.name !== name) throw badRequest(`the name of the object (${am.name}) does not match the name on the URL (${name})`);
      if (!cur) {
        if (sub) throw notFound(s.info.group, s.info.plural, name);
        // apply creates
        const obj = clone(applied);
        obj.metadata = { ...(obj.metadata ?? {}), name };
        this.handleUnknown(s, obj, opts);
        const created = serverSideApply({
          live: undefined,
          applied: obj,
          manager: opts.fieldManager,
          force: !!opts.force,
          schema: s.schema(),
          apiVersion: want,
          now: nowIso(),
        });
        const mf = created.metadata?.managedFields;
        const r = this.create(s, ns, { ...created, metadata: { ...created.metadata, managedFields: undefined } }, { ...opts, fieldValidation: 'Ignore' }, opts.fieldManager);
        // create() computed Update-style ownership; the apply owner is the right one
        if (r.so && mf) {
          r.so.obj.metadata!.managedFields = mf;
          const so = this.store.put(s.key, key, name, r.so.obj);
          return { obj: this.present(s, so.obj), so, created: true };
        }
        if (!r.so && mf) r.obj.metadata!.managedFields = mf;
        return { ...r, created: true };
      }
      const applyCopy = clone(applied);
      this.handleUnknown(s, applyCopy, opts);
      const live = this.present(s, cur.obj);
      let next: KubeObject;
      try {
        next = serverSideApply({
          live: sub === 'status' ? live : live,
          applied: applyCopy,
          manager: opts.fieldManager,
          force: !!opts.force,
          schema: s.schema(),
          apiVersion: want,
          now: nowIso(),
          subresource: sub,
        });
      } catch (e) {
        if (e instanceof ApplyConflictError)
          throw new ApiError(409, 'Conflict', e.message, {
            name,
            group: s.info.group,
            kind: s.info.plural,
            causes: e.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: c.field })),
          });
        if (e instanceof PatchError) throw new ApiError(e.code, e.code === 400 ? 'BadRequest' : 'Invalid', e.message);
        throw e;
      }
      return this.commitUpdate(s, cur, next, opts, opts.fieldManager, sub, 'Apply');
    }
    if (!cur) throw notFound(s.info.group, s.info.plural, name);
    const live = this.present(s, cur.obj);
    let next: unknown;
    try {
      if (type === 'json') next = jsonPatch(clone(live), patch);
      else if (type === 'merge') {
        if (!isPlainObject(patch)) throw new PatchError('a merge patch must be a JSON object', 400);
        next = jsonMergePatch(clone(live), patch);
      } else {
        if (!isPlainObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object', 400);
        next = strategicMergePatch(clone(live), patch, s.schema());
      }
    } catch (e) {
      if (e instanceof PatchError) throw new ApiError(e.code, e.code === 400 ? 'BadRequest' : e.code === 409 ? 'Conflict' : 'Invalid', e.message);
      throw e;
    }
    const obj = this.checkKind(s, next);
    // a patch may not rename or move the object, as a PUT may not
    const pm = (obj.metadata ?? {}) as ObjectMeta;
    if (pm.name !== name) throw badRequest(`the name of the object (${typeof pm.name === 'string' ? pm.name : JSON.stringify(pm.name ?? '')}) does not match the name on the URL (${name})`);
    if (s.info.namespaced && pm.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const wantRv = isPlainObject(patch) && isPlainObject((patch as any).metadata) ? (patch as any).metadata.resourceVersion : undefined;
    if (wantRv && wantRv !== cur.obj.metadata?.resourceVersion)
      throw conflict(s.info.group, s.info.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
    this.handleUnknown(s, obj, opts);
    return this.commitUpdate(s, cur, obj, opts, this.manager(opts, userAgent), sub, 'Update');
  }

  // ---------------------------------------------------------------- delete

  delete(s: Served, ns: string, name: string, opts: DeleteOptions): { obj: KubeObject; status: number; deleted: boolean } {
    const key = s.info.namespaced ? ns : '';
    const cur = this.store.get(s.key, key, name);
    if (!cur) throw notFound(s.info.group, s.info.plural, name);
    const meta = cur.obj.metadata as ObjectMeta;
    if (opts.preconditions?.uid && opts.preconditions.uid !== meta.uid)
      throw conflict(s.info.group, s.info.plural, name, `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${meta.uid}`);
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== meta.resourceVersion)
      throw conflict(s.info.group, s.info.plural, name, `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
    const obj = clone(cur.obj);
    const m = obj.metadata as ObjectMeta;
    const finalizers = new Set(m.finalizers ?? []);
    if (opts.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
    if (opts.propagationPolicy === 'Orphan') finalizers.add('orphan');
    const isNamespace = s.builtin && s.info.group === '' && s.info.kind === 'Namespace';
    const isBoundPod = s.builtin && s.info.group === '' && s.info.kind === 'Pod' && !!(obj.spec as any)?.nodeName;
    const grace = isBoundPod ? opts.gracePeriodSeconds ?? (obj.spec as any)?.terminationGracePeriodSeconds ?? 30 : 0;
    if (isNamespace) {
      if (!m.deletionTimestamp) {
        m.deletionTimestamp = nowIso();
        m.deletionGracePeriodSeconds = 0;
        obj.status = { ...((obj.status as object) ?? {}), phase: 'Terminating' };
      }
      m.finalizers = [...finalizers];
      if (!m.finalizers.length) delete m.finalizers;
      if (opts.dryRun) return { obj: this.present(s, obj), status: 200, deleted: false };
      const so = this.store.put(s.key, key, name, obj);
      this.onChange();
      return { obj: this.present(s, so.obj), status: 200, deleted: false };
    }
    if (finalizers.size > 0 || (isBoundPod && grace > 0)) {
      const already = !!m.deletionTimestamp;
      if (!already) {
        m.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        m.deletionGracePeriodSeconds = grace;
      } else if (isBoundPod && grace < (m.deletionGracePeriodSeconds ?? 0)) {
        m.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        m.deletionGracePeriodSeconds = grace;
      }
      m.finalizers = [...finalizers];
      if (!m.finalizers.length) delete m.finalizers;
      if (opts.dryRun) return { obj: this.present(s, obj), status: 200, deleted: false };
      if (deepEqual(obj, cur.obj)) return { obj: this.present(s, cur.obj), status: 200, deleted: false };
      const so = this.store.put(s.key, key, name, obj);
      this.onChange();
      return { obj: this.present(s, so.obj), status: already ? 200 : 200, deleted: false };
    }
    if (opts.dryRun) return { obj: this.present(s, cur.obj), status: 200, deleted: true };
    const so = this.store.remove(s.key, key, name)!;
    this.onChange();
    return { obj: this.present(s, so.obj), status: 200, deleted: true };
  }

  /** Removes a finalizer (internal controllers); deletes the object when the last one goes. */
  removeFinalizer(key: string, ns: string, name: string, finalizer: string): void {
    const cur = this.store.get(key, ns, name);
    if (!cur) return;
    const fins = cur.obj.metadata?.finalizers ?? [];
    if (!fins.includes(finalizer)) return;
    const obj = clone(cur.obj);
    obj.metadata!.finalizers = fins.filter((f) => f !== finalizer);
    if (!obj.metadata!.finalizers.length) delete obj.metadata!.finalizers;
    if (obj.metadata!.deletionTimestamp && !obj.metadata!.finalizers) {
      this.store.put(key, ns, name, obj);
      this.store.remove(key, ns, name);
    } else this.store.put(key, ns, name, obj);
    this.onChange();
  }

  /** Internal write used by controllers (status updates etc.), no validation. */
  putInternal(key: string, ns: string, name: string, obj: KubeObject): void {
    this.store.put(key, ns, name, obj);
    this.onChange();
  }
}

function stripTimes(mf: unknown): unknown {
  if (!Array.isArray(mf)) return mf ?? [];
  return mf.map((e) => ({ ...e, time: undefined }));
}

/** Custom resources: generation follows any change outside metadata and status. */
function crChanged(a: KubeObject, b: KubeObject): boolean {
  return !sameJson(a, b, ['metadata', 'status']);
}

/** What the apiextensions controller reports for an accepted CRD. */
function crdStatus(crd: KubeObject, old?: KubeObject): void {
  const spec = crd.spec as any;
  const now = nowIso();
  const storage = (spec?.versions ?? []).find((v: any) => v.storage)?.name;
  const prev = (old?.status as any) ?? {};
  const stored = new Set<string>(prev.storedVersions ?? []);
  if (storage) stored.add(storage);
  const cond = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: (prev.conditions ?? []).find((c: any) => c.type === type && c.status === 'True')?.lastTransitionTime ?? now,
    reason,
    message,
  });
  crd.status = {
    acceptedNames: {
      plural: spec?.names?.plural,
      singular: spec?.names?.singular ?? spec?.names?.kind?.toLowerCase(),
      kind: spec?.names?.kind,
      listKind: spec?.names?.listKind ?? `${spec?.names?.kind}List`,
      ...(spec?.names?.shortNames ? { shortNames: spec.names.shortNames } : {}),
      ...(spec?.names?.categories ? { categories: spec.names.categories } : {}),
    },
    conditions: [cond('NamesAccepted', 'NoConflicts', 'no conflicts found'), cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
    storedVersions: [...stored],
  };
}

export { getPath, setPath };

/** NodePort range and its static band (the low ports kept for explicit requests), as Kubernetes sizes it. */
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;
const STATIC_BAND = Math.min(Math.max(16, Math.floor((NODE_PORT_MAX - NODE_PORT_MIN + 1) / 32)), 128);

/**
 * A free node port, chosen at random as Kubernetes does: from the dynamic band first (above the
 * static band), then anywhere. Random, not lowest-first: two clusters on one host (two `flotilla
 * up`s, e.g. test files run in parallel) then rarely want the same host port.
 */
export function allocateNodePort(used: Set<number>, random: () => number = Math.random): number | undefined {
  const pick = (lo: number, hi: number): number | undefined => {
    const n = hi - lo + 1;
    const start = Math.floor(random() * n);
    for (let i = 0; i < n; i++) {
      const port = lo + ((start + i) % n);
      if (!used.has(port)) return port;
    }
    return undefined;
  };
  return pick(NODE_PORT_MIN + STATIC_BAND, NODE_PORT_MAX) ?? pick(NODE_PORT_MIN, NODE_PORT_MIN + STATIC_BAND - 1);
}
