/**
 * Dynamic admission: MutatingWebhookConfiguration and ValidatingWebhookConfiguration webhooks
 * called as Kubernetes calls them. The configurations are compiled once and cached; the store's
 * change events for either kind drop the cache, so a request that matches no webhook costs a
 * map lookup.
 *
 * The object pipeline (objects.ts) is synchronous so that each write is atomic, and webhooks are
 * remote calls, so a write that webhooks see runs in phases through the hooks it offers
 * (`WriteOptions.admission`): (1) when mutating webhooks may match, a dry run up to the point of
 * mutating admission — after defaults and the built-in admission plugins — captures the object,
 * and the mutating webhooks are called on it; (2) when validating webhooks may match, a dry run in
 * which that point replays their result and which stops after validation, before storage,
 * captures the final object, and the validating webhooks are called on it; (3) the real write,
 * replaying both (so what is stored, uid and generated name included, is what the webhooks saw).
 * When the stored object changed between the phases (a concurrent write), the whole sequence
 * starts again.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '@flotilla/apimachinery';
import { isPlainObject } from '@flotilla/apimachinery';
import { clone, stringify } from '../json-int.js';
import type { UserInfo } from '../auth.js';
import { ApiError, badRequest, conflict } from '../errors.js';
import type { AdmissionHooks, WriteOptions } from '../objects.js';
import { apiVersionOf, type Registry, type Served } from '../registry.js';
import type { Store } from '../store.js';
import { agentFor, post, type ClusterView, type WebhookAgent } from './client.js';
import {
  compileConfig,
  exempt,
  matchRules,
  mayMatch,
  namespaceMatches,
  objectMatches,
  refusesDryRun,
  reviewVersion,
  type Hook,
  type HookType,
  type Operation,
  type ResourceRef,
} from './match.js';
import { applyPatch, buildReview, callFailed, denied, parseReview } from './review.js';

const MUTATING_KEY = 'admissionregistration.k8s.io/mutatingwebhookconfigurations';
const VALIDATING_KEY = 'admissionregistration.k8s.io/validatingwebhookconfigurations';

/** The cluster state the webhook client reads: Services, Endpoints, and where the kubelets are. */
export function clusterView(store: Store, kubeletToken: () => string): ClusterView {
  const kubeletOf = (n: KubeObject | undefined) => {
    const st = (n as any)?.status;
    const port = Number(st?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0);
    if (!port) return undefined;
    return { host: ((st.addresses ?? []) as any[]).find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1', port };
  };
  return {
    service: (ns, name) => store.get('core/services', ns, name)?.obj,
    endpoints: (ns, name) => store.get('core/endpoints', ns, name)?.obj,
    kubelet: (nodeName) => {
      if (nodeName) return kubeletOf(store.get('core/nodes', '', nodeName)?.obj);
      for (const n of store.list('core/nodes')) {
        const k = kubeletOf(n.obj);
        if (k) return k;
      }
      return undefined;
    },
    kubeletToken,
  };
}

/** The options object of a write, as the AdmissionReview carries it. */
function writeOptions(kind: string, o: WriteOptions): Record<string, unknown> {
  return {
    kind,
    apiVersion: 'meta.k8s.io/v1',
    ...(o.dryRun ? { dryRun: ['All'] } : {}),
    ...(o.fieldManager ? { fieldManager: o.fieldManager } : {}),
    ...(kind === 'PatchOptions' && o.force ? { force: true } : {}),
  };
}

/** A request as admission sees it. */
export interface Attributes {
  served: Served;
  /** subresource ("" for the main resource) */
  sub: string;
  namespace: string;
  name: string;
  user: UserInfo;
  dryRun: boolean;
  /** CreateOptions / UpdateOptions / DeleteOptions / the connect options object */
  options?: Record<string, unknown>;
  /** a PATCH (an update whose options are PatchOptions) */
  patch?: boolean;
}

class Restart extends Error {}
class Captured extends Error {}

/** JSON equality ignoring key order and the listed metadata fields. */
function same(a: KubeObject | undefined, b: KubeObject | undefined, ignore: string[]): boolean {
  if (!a || !b) return a === b;
  const strip = (o: KubeObject) => {
    const c = { ...o, metadata: { ...(o.metadata ?? {}) } } as any;
    for (const k of ignore) delete c.metadata[k];
    return c;
  };
  const s = (v: unknown) => JSON.stringify(v, (_k, val) => (isPlainObject(val) ? Object.fromEntries(Object.keys(val).sort().map((k) => [k, val[k]])) : val));
  return s(strip(a)) === s(strip(b));
}

/** Replaces the contents of `target` with `src` in place: the pipeline holds references to it and its metadata. */
function replaceContents(target: KubeObject, src: KubeObject): void {
  const meta = target.metadata as Record<string, unknown> | undefined;
  for (const k of Object.keys(target)) delete (target as any)[k];
  Object.assign(target, clone(src));
  if (meta && target.metadata) {
    for (const k of Object.keys(meta)) delete meta[k];
    Object.assign(meta, target.metadata);
    target.metadata = meta;
  }
}

export class Webhooks {
  private hooks?: { mutating: Hook[]; validating: Hook[] };
  private agents = new Map<Hook, WebhookAgent>();
  private fast = new Map<string, boolean>();

  constructor(
    private readonly store: Store,
    private readonly reg: Registry,
    private readonly view: ClusterView,
    private readonly log: (m: string) => void = (m) => console.warn(m),
  ) {
    store.subscribe((ev) => {
      if (ev.res === MUTATING_KEY || ev.res === VALIDATING_KEY) this.invalidate();
    });
  }

  private invalidate(): void {
    this.hooks = undefined;
    this.fast.clear();
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  close(): void {
    this.invalidate();
  }

  private all(): { mutating: Hook[]; validating: Hook[] } {
    if (this.hooks) return this.hooks;
    const load = (key: string, type: HookType) =>
      this.store
        .list(key)
        .map((so) => so.obj)
        .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))
        .flatMap((c) => compileConfig(type, c));
    this.hooks = { mutating: load(MUTATING_KEY, 'mutating'), validating: load(VALIDATING_KEY, 'validating') };
    return this.hooks;
  }

  /** The fast path: may any webhook of this type care about this operation on this resource? */
  wanted(type: HookType, op: Operation, s: Served, sub: string): boolean {
    const k = `${type}|${op}|${s.key}|${sub}`;
    let v = this.fast.get(k);
    if (v === undefined) {
      const ref = this.ref(s, sub);
      v = !exempt(ref) && this.all()[type].some((h) => mayMatch(h, op, s.info.group, s.info.plural, sub));
      this.fast.set(k, v);
    }
    return v;
  }

  /** Will `write` call webhooks (so `run` must start from a fresh copy of the request each time)? */
  involved(op: 'CREATE' | 'UPDATE', s: Served, sub: string): boolean {
    return this.any(op, s, sub) || (op === 'UPDATE' && this.any('CREATE', s, sub));
  }

  /** Does any webhook possibly match? (both types) */
  any(op: Operation, s: Served, sub: string): boolean {
    return this.wanted('mutating', op, s, sub) || this.wanted('validating', op, s, sub);
  }

  private ref(s: Served, sub: string): ResourceRef {
    return { group: s.info.group, version: s.info.version, resource: s.info.plural, subresource: sub, kind: s.info.kind, namespaced: s.info.namespaced };
  }

  private equivalents(s: Served, sub: string): () => ResourceRef[] {
    return () =>
      this.reg
        .all()
        .filter((o) => o.key === s.key && o.info.version !== s.info.version)
        .map((o) => this.ref(o, sub));
  }

  /** The webhooks of a type that match, each with the resource version it is called for. */
  private matching(type: HookType, op: Operation, a: Attributes, obj: KubeObject | undefined, old: KubeObject | undefined): { h: Hook; ref: ResourceRef }[] {
    const req = this.ref(a.served, a.sub);
    const out: { h: Hook; ref: ResourceRef }[] = [];
    let nsLabels: Record<string, string> | undefined | null = null;
    const labels = () => {
      if (nsLabels === null) nsLabels = this.store.get('core/namespaces', '', a.namespace)?.obj.metadata?.labels;
      return nsLabels;
    };
    for (const h of this.all()[type]) {
      const ref = matchRules(h, op, req, this.equivalents(a.served, a.sub));
      if (!ref) continue;
      if (h.selectorError) {
        this.failure(h, `invalid selector: ${h.selectorError}`);
        continue;
      }
      if (!namespaceMatches(h, req, labels, obj, old)) continue;
      if (!objectMatches(h, obj, old)) continue;
      out.push({ h, ref });
    }
    return out;
  }

  /** A failed call: Fail → the request is refused; Ignore → a warning in the server log. */
  private failure(h: Hook, detail: string): void {
    if (h.failurePolicy === 'Fail') throw callFailed(h.name, detail);
    this.log(`apiserver: webhook ${JSON.stringify(h.name)} (failurePolicy Ignore) failed and was skipped: ${detail}`);
  }

  private agent(h: Hook): WebhookAgent {
    let a = this.agents.get(h);
    if (!a) this.agents.set(h, (a = agentFor(h, this.view)));
    return a;
  }

  /** Calls one webhook; undefined when the call failed and the failure is ignored. */
  private async call(h: Hook, ref: ResourceRef, op: Operation, a: Attributes, obj: KubeObject | undefined, old: KubeObject | undefined) {
    if (a.dryRun && refusesDryRun(h)) throw badRequest(`admission webhook ${JSON.stringify(h.name)} does not support dry run`);
    const version = reviewVersion(h);
    if (!version) return this.failure(h, `webhook does not accept known AdmissionReview versions (asked for ${JSON.stringify(h.admissionReviewVersions)}, this server speaks v1, v1beta1)`);
    if (h.configError) return this.failure(h, h.configError);
    const req = this.ref(a.served, a.sub);
    const convert = (o: KubeObject | undefined) => (o && ref.version !== req.version && o.apiVersion ? { ...o, apiVersion: apiVersionOf(ref.group, ref.version) } : o);
    const uid = randomUUID();
    const review = buildReview({
      uid,
      version,
      operation: op,
      resource: ref,
      requestResource: req,
      name: a.name || (obj?.metadata?.name ?? ''),
      namespace: a.namespace,
      userInfo: a.user,
      object: convert(obj),
      oldObject: convert(old),
      dryRun: a.dryRun,
      options: a.options,
    });
    try {
      const text = await post(h, this.agent(h), stringify(review));
      return { result: parseReview(text, version, uid, h.type === 'mutating'), ref, req };
    } catch (e) {
      if (e instanceof ApiError) throw e;
      return this.failure(h, (e as Error).message);
    }
  }

  /**
   * Runs the mutating webhooks on `obj` (a copy is returned, changed by their patches) in order,
   * then once more those with reinvocationPolicy IfNeeded that saw an object changed after them.
   */
  async mutate(op: Operation, a: Attributes, obj: KubeObject | undefined, old: KubeObject | undefined, warnings: string[]): Promise<KubeObject | undefined> {
    let cur = obj ? clone(obj) : undefined;
    const hooks = this.matching('mutating', op, a, cur, old);
    if (!hooks.length) return cur;
    const lastChange = new Map<Hook, number>();
    let changes = 0;
    const run = async (h: Hook, ref: ResourceRef) => {
      const r = await this.call(h, ref, op, a, cur, old);
      if (!r) return;
      warnings.push(...r.result.warnings);
      if (!r.result.allowed) throw denied(h.name, r.result.status);
      if (r.result.patch && cur && op !== 'DELETE' && op !== 'CONNECT') {
        const inVersion = r.ref.version !== r.req.version && cur.apiVersion ? { ...cur, apiVersion: apiVersionOf(r.ref.group, r.ref.version) } : cur;
        let next: KubeObject;
        try {
          next = applyPatch(inVersion, r.result.patch);
        } catch (e) {
          return this.failure(h, (e as Error).message);
        }
        if (r.ref.version !== r.req.version) next.apiVersion = cur.apiVersion;
        for (const f of ['name', 'namespace', 'uid'] as const)
          if (!isPlainObject(next.metadata) || next.metadata[f] !== cur.metadata?.[f])
            throw new ApiError(400, 'BadRequest', `admission webhook ${JSON.stringify(h.name)} changed metadata.${f} (from ${JSON.stringify(cur.metadata?.[f] ?? '')} to ${JSON.stringify((next.metadata as any)?.[f] ?? '')}): it cannot be changed by a webhook`);
        if (!same(next, cur, [])) {
          cur = next;
          changes++;
        }
      }
      lastChange.set(h, changes);
    };
    for (const { h, ref } of hooks) await run(h, ref);
    for (const { h, ref } of hooks) if (h.reinvocationPolicy === 'IfNeeded' && (lastChange.get(h) ?? changes) < changes) await run(h, ref);
    return cur;
  }

  /** Runs the validating webhooks on the final object, all of them, in parallel as Kubernetes does. */
  async validate(op: Operation, a: Attributes, obj: KubeObject | undefined, old: KubeObject | undefined, warnings: string[]): Promise<void> {
    const hooks = this.matching('validating', op, a, obj, old);
    if (!hooks.length) return;
    const results = await Promise.allSettled(hooks.map(({ h, ref }) => this.call(h, ref, op, a, obj, old).then((r) => ({ h, r }))));
    let err: unknown;
    for (const x of results) {
      if (x.status === 'rejected') {
        err ??= x.reason;
        continue;
      }
      const { h, r } = x.value;
      if (!r) continue;
      warnings.push(...r.result.warnings);
      if (!r.result.allowed) err ??= denied(h.name, r.result.status);
    }
    if (err) throw err;
  }

  /**
   * Admission for a create, update or patch through the object pipeline: `run` performs the write
   * with the given options (called up to three times per attempt; it must start from the request
   * each time). Requests no webhook may match go straight through.
   */
  async write<R>(op: 'CREATE' | 'UPDATE', a: Attributes, o: WriteOptions, run: (o: WriteOptions) => R): Promise<R> {
    const s = a.served;
    // an apply or an update of a missing object may turn into a create: check both operations
    const mut = this.wanted('mutating', op, s, a.sub) || (op === 'UPDATE' && this.wanted('mutating', 'CREATE', s, a.sub));
    const val = this.wanted('validating', op, s, a.sub) || (op === 'UPDATE' && this.wanted('validating', 'CREATE', s, a.sub));
    if (!mut && !val) return run(o);
    const opOf = (old: KubeObject | undefined): Operation => (old ? 'UPDATE' : 'CREATE');
    const attrs = (old: KubeObject | undefined, obj: KubeObject): Attributes => ({ ...a, name: a.name || (obj.metadata?.name ?? ''), options: a.options ?? writeOptions(old ? (a.patch ? 'PatchOptions' : 'UpdateOptions') : 'CreateOptions', o) });
    for (let attempt = 0; attempt < 5; attempt++) {
      const warnings: string[] = [];
      try {
        // the object at the point of mutating admission, and what the mutating webhooks made of it
        let inp: { obj: KubeObject; old?: KubeObject } | undefined;
        let mutated: KubeObject | undefined;
        const capture = (obj: KubeObject, old: KubeObject | undefined) => {
          inp = { obj: clone(obj), old: old && clone(old) };
          mutated = inp.obj;
        };
        // the object at the mutating point follows from the request and the stored object (and
        // for a create from random names and uids, which the first run's replace): a changed stored
        // object means the webhooks saw something else
        const replay = (obj: KubeObject, old: KubeObject | undefined) => {
          if (!inp) return capture(obj, old);
          if (!same(old, inp.old, [])) throw new Restart();
          replaceContents(obj, mutated!);
        };
        if (mut) {
          // (1) a dry run to the point of mutating admission
          try {
            run({ ...o, warnings: [], dryRun: true, admission: { mutate: (obj, old) => { capture(obj, old); throw new Captured(); }, validate: () => {} } });
          } catch (e) {
            if (!(e instanceof Captured)) throw e;
          }
          if (!inp) return run(o); // a path without admission: nothing to admit
          const i: { obj: KubeObject; old?: KubeObject } = inp;
          mutated = (await this.mutate(opOf(i.old), attrs(i.old, i.obj), i.obj, i.old, warnings)) as KubeObject;
        }
        // (2) a dry run to the final object, validated, before storage
        let final: KubeObject | undefined;
        if (val) {
          try {
            run({ ...o, warnings: [], dryRun: true, admission: { mutate: replay, validate: (obj) => { final = clone(obj); throw new Captured(); } } });
          } catch (e) {
            if (!(e instanceof Captured)) throw e;
          }
          const i = inp;
          if (final && i) await this.validate(opOf(i.old), attrs(i.old, final), final, i.old, warnings);
        }
        // (3) the write, replaying the mutation: from the same object at the mutating point and the
        // same stored object, the pipeline makes the object the validating webhooks saw
        const out: WriteOptions = { ...o, warnings: [] };
        const r = run({ ...out, admission: { mutate: replay, validate: () => {} } });
        o.warnings.push(...out.warnings, ...warnings);
        return r;
      } catch (e) {
        if (!(e instanceof Restart)) throw e;
      }
    }
    throw conflict(s.info.group, s.info.plural, a.name, 'the object kept changing while admission webhooks were called; please try again');
  }

  /** Admission for a delete: the webhooks see oldObject (and the DeleteOptions). */
  async delete(a: Attributes, old: KubeObject, warnings: string[]): Promise<void> {
    if (!this.any('DELETE', a.served, a.sub)) return;
    const at = { ...a, options: a.options ?? { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' } };
    if (this.wanted('mutating', 'DELETE', a.served, a.sub)) await this.mutate('DELETE', at, undefined, old, warnings);
    if (this.wanted('validating', 'DELETE', a.served, a.sub)) await this.validate('DELETE', at, undefined, old, warnings);
  }

  /** Admission for a connect request (pods/exec, attach, portforward): the object is the options. */
  async connect(a: Attributes, options: KubeObject, warnings: string[]): Promise<void> {
    if (!this.any('CONNECT', a.served, a.sub)) return;
    const at = { ...a, options: undefined };
    if (this.wanted('mutating', 'CONNECT', a.served, a.sub)) await this.mutate('CONNECT', at, options, undefined, warnings);
    if (this.wanted('validating', 'CONNECT', a.served, a.sub)) await this.validate('CONNECT', at, options, undefined, warnings);
  }
}

export type { AdmissionHooks };
