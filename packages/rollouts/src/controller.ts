/**
 * The Rollout controller on kube-runtime: informers on Rollouts, ReplicaSets, Services and
 * AnalysisRuns; each reconcile reads the caches, asks the pure planner (plan.ts) what the world
 * should look like and makes it so — ReplicaSets `<rollout>-<hash>` owned by the Rollout, Service
 * selectors, AnalysisRuns built from their templates, the status through /status, and a requeue
 * when a pause or a deadline ends. Everything is derived from the objects, so a controller killed
 * mid-step continues from the same step and never makes a second ReplicaSet for a template.
 */
import { Controller, isAlreadyExists, isConflict, isNotFound, type Informer, type Resource, type RuntimeContext } from '@flotilla/kube-runtime';
import { R } from '@flotilla/kube-runtime';
import { buildAnalysisRun } from './analysis/build.js';
import { podTemplateHash, type Plan } from './common.js';
import { planRollout } from './plan.js';
import { ANALYSIS_RUNS, ANALYSIS_TEMPLATES, CLUSTER_ANALYSIS_TEMPLATES, EXPERIMENTS, INGRESSES, ROLLOUTS } from './resources.js';
import { canaryIngress, canaryIngressName, stableIngresses } from './canary/nginx.js';
import { HEADER_ANNOTATIONS, type HeaderRoute } from './canary/routes.js';
import { withAntiAffinity } from './affinity.js';
import { applyToMeta, ephemeralPatch, ephemeralRecord, type EphemeralChange } from './metadata.js';
import { EPHEMERAL_ANNOTATION, HASH_LABEL, MANAGED_BY_ANNOTATION, REVISION_ANNOTATION, type ReplicaSet, type Rollout, type Service } from './types.js';
import { resolveWorkloadRef, workloadReplicas } from './workloadref.js';

type Obj = { apiVersion?: string; kind?: string; metadata: Rollout['metadata']; spec?: any; status?: any; [k: string]: unknown };

export interface RolloutControllerOptions {
  workers?: number;
  now?: () => Date;
  /** called after each reconcile with the plan (metrics, tests) */
  onPlan?: (ro: Rollout, plan: Plan, seconds: number) => void;
}

export class RolloutController extends Controller {
  readonly rollouts: Informer<Rollout>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly services: Informer<Service>;
  readonly runs: Informer<Obj>;
  readonly templates: Informer<Obj>;
  readonly clusterTemplates: Informer<Obj>;
  readonly deployments: Informer<Obj>;
  readonly pods: Informer<Obj>;
  readonly ingresses: Informer<Obj>;
  readonly experiments: Informer<Obj>;
  private readonly now: () => Date;
  /** per Rollout key: the resourceVersion our last status write returned, when, and the ReplicaSets it was planned with (the cache must hold them all) */
  private readonly written = new Map<string, { rv: string; at: number; rs: string[] }>();

  constructor(
    ctx: RuntimeContext,
    private readonly o: RolloutControllerOptions = {},
  ) {
    super('rollouts-controller', ctx, { workers: o.workers ?? 4, resyncMs: 5 * 60_000, maxDelayMs: 10_000 });
    this.now = o.now ?? (() => new Date());
    const inf = ctx.informers;
    this.rollouts = inf.for<Rollout>(ROLLOUTS);
    this.replicaSets = inf.for<ReplicaSet>(R.replicasets);
    this.services = inf.for<Service>(R.services);
    this.runs = inf.for<Obj>(ANALYSIS_RUNS);
    this.templates = inf.for<Obj>(ANALYSIS_TEMPLATES);
    this.clusterTemplates = inf.for<Obj>(CLUSTER_ANALYSIS_TEMPLATES);
    this.deployments = inf.for<Obj>(R.deployments);
    this.pods = inf.for<Obj>(R.pods);
    this.ingresses = inf.for<Obj>(INGRESSES);
    this.experiments = inf.for<Obj>(EXPERIMENTS);
    this.watchOwned(this.experiments as unknown as Informer, 'Rollout');
    this.watchOwned(this.ingresses as unknown as Informer, 'Rollout');
    this.watch(this.rollouts);
    this.watchOwned(this.replicaSets as unknown as Informer, 'Rollout');
    this.watchOwned(this.runs as unknown as Informer, 'Rollout');
    // a Service a Rollout names: enqueue the Rollouts of its namespace that name it
    this.watch(this.services as unknown as Informer, [], (svc) => this.rolloutsNaming(svc.metadata?.namespace ?? '', svc.metadata?.name ?? ''));
    // a pod of a Rollout's ReplicaSet (restartAt): enqueue the Rollout
    this.watch(this.pods as unknown as Informer, [], (p) => {
      const ref = p.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'ReplicaSet');
      const rs = ref ? this.replicaSets.get(p.metadata?.namespace, ref.name) : undefined;
      const ro = rs?.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Rollout');
      return ro && this.rollouts.get(p.metadata?.namespace, ro.name)?.spec.restartAt ? `${p.metadata?.namespace}/${ro.name}` : undefined;
    });
    this.watch(this.deployments as unknown as Informer, [], (d) =>
      this.rollouts
        .list(d.metadata?.namespace)
        .filter((r) => r.spec.workloadRef?.name === d.metadata?.name)
        .map((r) => `${r.metadata.namespace}/${r.metadata.name}`),
    );
  }

  protected primary(): Informer {
    return this.rollouts as unknown as Informer;
  }

  ready(): boolean {
    return this.rollouts.hasSynced && this.replicaSets.hasSynced && this.services.hasSynced;
  }

  /** blue-green with pre-promotion analysis: whether the preview Service's ready endpoints are all pods of the current template (endpoints: get only, as upstream's RBAC) */
  private async previewSettled(ro: Rollout): Promise<boolean> {
    const b = ro.spec.strategy?.blueGreen;
    if (!b?.previewService || !b.prePromotionAnalysis) return true;
    const sel = podTemplateHash(ro);
    if (this.services.get(ro.metadata.namespace, b.previewService)?.spec?.selector?.[HASH_LABEL] !== sel) return false;
    try {
      const ep = await this.ctx.client.get<any>(R.endpoints, ro.metadata.namespace, b.previewService);
      const addrs: { targetRef?: { name?: string } }[] = (ep.subsets ?? []).flatMap((s: any) => s.addresses ?? []);
      return addrs.length > 0 && addrs.every((a) => a.targetRef?.name?.startsWith(`${ro.metadata.name}-${sel}-`));
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  private rolloutsNaming(ns: string, name: string): string[] {
    return this.rollouts
      .list(ns)
      .filter((r) => serviceNames(r).includes(name))
      .map((r) => `${ns}/${r.metadata.name}`);
  }

  async reconcile(key: string): Promise<{ requeueAfter?: number } | void> {
    const [ns, name] = key.split('/');
    let cached = this.rollouts.get(ns, name);
    if (!cached || cached.metadata.deletionTimestamp) {
      this.written.delete(key);
      return;
    }
    const started = performance.now();
    // an update in progress reads its Rollout and ReplicaSets from the API server, not the caches: a
    // watch through the kubernetes Service was seen to go quiet in a pod, and a stale cache would hold
    // the rollout (steady Healthy rollouts stay on the caches)
    // …except within ECHO_MS of our own status write while the cache holds exactly what we wrote (its
    // watch event, a pause's end): the caches are a few seconds from a live read at most, a Rollout
    // changed meanwhile makes the status write conflict (and the retry reads it), and each request
    // waits on the client's QPS budget — 50 pauses ending at once, each reading the Rollout and its
    // ReplicaSets again, queued behind each other for seconds
    const mine = this.written.get(key);
    const fresh = !!mine && mine.rv === cached.metadata.resourceVersion && Date.now() - mine.at < ECHO_MS && mine.rs.every((n) => !!this.replicaSets.get(ns, n));
    const live = !fresh && (cached.status?.phase !== 'Healthy' || cached.status?.observedGeneration !== String(cached.metadata.generation));
    const selOf = (r: Rollout) => Object.entries(r.spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    let rsList: ReplicaSet[] | undefined;
    if (live) {
      // the Rollout and its ReplicaSets at once (the selector from the cache; again if the Rollout's differs)
      const guess = selOf(resolveWorkloadRef(cached, (n) => this.deployments.get(ns, n) as never));
      try {
        const [got, list] = await Promise.all([this.ctx.client.get<Rollout>(ROLLOUTS, ns, name), guess ? this.ctx.client.list<ReplicaSet>(R.replicasets, ns, { labelSelector: guess }) : undefined]);
        cached = got;
        rsList = list?.items;
        if (selOf(resolveWorkloadRef(got, (n) => this.deployments.get(ns, n) as never)) !== guess) rsList = undefined;
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
    }
    const ro = resolveWorkloadRef(cached, (n) => this.deployments.get(ns, n) as never);
    const uid = ro.metadata.uid;
    const sel = selOf(ro);
    if (live && !rsList) rsList = sel ? (await this.ctx.client.list<ReplicaSet>(R.replicasets, ns, { labelSelector: sel })).items : this.replicaSets.list(ns);
    rsList ??= this.replicaSets.list(ns);
    const owned = rsList.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller && r.uid === uid));
    const services: Record<string, Service | undefined> = {};
    for (const s of serviceNames(ro)) services[s] = this.services.get(ns, s);
    const runs = this.runs.list(ns).filter((r) => r.metadata.ownerReferences?.some((x) => x.controller && x.uid === uid));
    const rsUids = new Set(owned.map((r) => r.metadata.uid));
    const pods = ro.spec.restartAt ? this.pods.list(ns).filter((p) => p.metadata.ownerReferences?.some((r) => r.controller && rsUids.has(r.uid))) : [];
    const experiments = this.experiments.list(ns).filter((r) => r.metadata.ownerReferences?.some((x) => x.controller && x.uid === uid));
    const previewSettled = await this.previewSettled(ro);
    const plan = planRollout({ rollout: ro, replicaSets: owned, services, analysisRuns: runs as never, experiments: experiments as never, pods: pods as never, previewSettled, now: this.now() });
    const summary = [
      plan.create ? `create ${ro.metadata.name}-${plan.newHash} (${plan.create.replicas})` : '',
      ...plan.scale.map((x) => `scale ${x.name} to ${x.replicas}`),
      ...plan.deleteRS.map((x) => `delete ${x}`),
    ].filter(Boolean);
    const st = plan.status;
    if (summary.length || st.phase !== cached.status?.phase || st.currentStepIndex !== cached.status?.currentStepIndex)
      this.log(`${key}: ${st.phase}${st.message ? ` (${st.message})` : ''}, step ${st.currentStepIndex ?? '-'}${summary.length ? `; ${summary.join(', ')}` : ''}`);
    const conflicted = await this.execute(cached, ro, plan, owned, services, runs);
    this.o.onPlan?.(ro, plan, (performance.now() - started) / 1000);
    if (conflicted) return { requeueAfter: 200 };
    // while progressing, look again every few seconds even without an event (a safety net)
    const again = plan.status.phase === 'Progressing' ? Math.min(plan.requeueAfterMs ?? 5000, 5000) : plan.requeueAfterMs;
    return again !== undefined ? { requeueAfter: again + 50 } : undefined;
  }

  private async execute(base: Rollout, ro: Rollout, plan: Plan, owned: ReplicaSet[], services: Record<string, Service | undefined>, runs: Obj[]): Promise<boolean> {
    const c = this.ctx.client;
    const ns = ro.metadata.namespace!;
    if (plan.create) {
      try {
        await c.create(R.replicasets, ns, newReplicaSet(ro, plan.newHash, plan.create.replicas, plan.create.revision, plan.create.antiAffinityTo) as never);
        this.events.event(ro as never, 'Normal', 'NewReplicaSetCreated', `Created ReplicaSet ${ro.metadata.name}-${plan.newHash} (revision ${plan.create.revision}) with size ${plan.create.replicas}`);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    for (const s of plan.scale) {
      const rs = owned.find((r) => r.metadata.name === s.name);
      await c.patch(R.replicasets, ns, s.name, { spec: { replicas: s.replicas } }, 'merge');
      this.events.event(ro as never, 'Normal', 'ScalingReplicaSet', `Scaled ${(rs?.spec.replicas ?? 0) < s.replicas ? 'up' : 'down'} ReplicaSet ${s.name} (revision ${rs?.metadata.annotations?.[REVISION_ANNOTATION] ?? '?'}) from ${rs?.spec.replicas ?? 0} to ${s.replicas}`);
    }
    for (const a of plan.annotate) await c.patch(R.replicasets, ns, a.name, { metadata: { annotations: a.annotations } }, 'merge').catch(ignoreNotFound);
    let conflicted = false;
    for (const e of plan.ephemeral) conflicted = (await this.ephemeral(ns, e)) || conflicted;
    for (const d of plan.deleteRS) await c.delete(R.replicasets, ns, d).catch(ignoreNotFound);
    const wantSvc = new Map(plan.services.map((s) => [s.name, s.hash]));
    for (const [svcName, hash] of wantSvc) {
      const svc = services[svcName];
      if (!svc) continue;
      if (svc.spec?.selector?.[HASH_LABEL] === hash && svc.metadata.annotations?.[MANAGED_BY_ANNOTATION] === ro.metadata.name) continue;
      await c.patch(R.services, ns, svcName, { metadata: { annotations: { [MANAGED_BY_ANNOTATION]: ro.metadata.name } }, spec: { selector: { [HASH_LABEL]: hash } } }, 'merge');
      this.events.event(ro as never, 'Normal', 'SwitchService', `Switched selector for service '${svcName}' to '${hash}'`);
    }
    for (const w of plan.runs) {
      if (runs.some((r) => r.metadata.name === w.name)) continue;
      let run: Obj;
      try {
        run = buildAnalysisRun(ro, w, (n, cluster) => (cluster ? this.clusterTemplates.get(undefined, n) : this.templates.get(ns, n)));
      } catch (e) {
        // a template that is missing or invalid: the run says so (Error) and the rollout reacts to it
        run = buildAnalysisRun(ro, w, () => undefined, (e as Error).message);
      }
      try {
        await c.create(ANALYSIS_RUNS, ns, run as never);
        this.events.event(ro as never, 'Normal', 'AnalysisRunCreated', `Created AnalysisRun ${w.name}`);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    for (const p of plan.restartPods) {
      try {
        await c.createSub(R.pods, ns, p, 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p, namespace: ns } });
      } catch (e) {
        if (isNotFound(e)) await c.delete(R.pods, ns, p).catch(ignoreNotFound);
        else throw e;
      }
      this.events.event(ro as never, 'Normal', 'RolloutRestarted', `Restarted pod ${p} (restartAt ${ro.spec.restartAt})`);
    }
    if (plan.traffic) await this.route(ro, plan.traffic.weight, plan.traffic.headerRoutes);
    if (ro.spec.workloadRef?.name) {
      const want = workloadReplicas(ro, plan.status.phase, plan.status.availableReplicas ?? 0);
      const d = this.deployments.get(ns, ro.spec.workloadRef.name);
      // update, not patch: upstream's RBAC grants update on Deployments
      if (d && want !== undefined && d.spec?.replicas !== want) await c.update(R.deployments, { ...d, spec: { ...d.spec, replicas: want } } as never);
    }
    for (const w of plan.experiments) {
      if (this.experiments.get(ns, w.name)) continue;
      const stableRS = owned.find((r) => r.metadata.labels?.[HASH_LABEL] === w.stableHash);
      try {
        await c.create(EXPERIMENTS, ns, experimentFor(ro, w, stableRS) as never);
        this.events.event(ro as never, 'Normal', 'ExperimentCreated', `Created Experiment ${w.name}`);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    for (const t of plan.terminateExperiments) await c.patch(EXPERIMENTS, ns, t, { spec: { terminate: true } }, 'merge').catch(ignoreNotFound);
    for (const t of plan.terminateRuns) await c.patch(ANALYSIS_RUNS, ns, t, { spec: { terminate: true } }, 'merge').catch(ignoreNotFound);
    for (const ev of plan.events) this.events.event(ro as never, ev.type, ev.reason, ev.message);
    if (JSON.stringify(plan.status) !== JSON.stringify(ro.status ?? {})) {
      try {
        const out = await c.update<Rollout>(ROLLOUTS, { ...base, status: plan.status } as never, 'status');
        const key = `${ns}/${ro.metadata.name}`;
        const rs = [...owned.map((r) => r.metadata.name!), ...(plan.create ? [`${ro.metadata.name}-${plan.newHash}`] : [])].filter((n) => !plan.deleteRS.includes(n));
        if (out?.metadata?.resourceVersion) this.written.set(key, { rv: out.metadata.resourceVersion, at: Date.now(), rs });
      } catch (e) {
        // computed from a copy that is already behind: recompute from the fresh one (requeued)
        // the cache has not seen our previous write yet: recompute shortly from the fresh copy
        // (a fixed short delay, not the work queue's growing back-off)
        if (isConflict(e)) {
          this.written.delete(`${ns}/${ro.metadata.name}`);
          return true;
        }
        if (!isNotFound(e)) throw e;
      }
    }
    return conflicted;
  }

  /**
   * Role metadata: the ReplicaSet's pod template and record (merge patch), then its running pods
   * (update, the verb upstream's RBAC grants on pods). A pod that changed meanwhile: true (again soon).
   */
  private async ephemeral(ns: string, e: EphemeralChange): Promise<boolean> {
    const c = this.ctx.client;
    const p = ephemeralPatch(e.prev, e.next);
    const record = ephemeralRecord(e.next);
    // the template first: pods created from here on carry the role's keys
    await c.patch(R.replicasets, ns, e.name, { spec: { template: { metadata: { labels: p.labels, annotations: p.annotations } } } }, 'merge').catch(ignoreNotFound);
    let conflicted = false;
    for (const pod of this.pods.list(ns).filter((x) => x.metadata.labels?.[HASH_LABEL] === e.hash && !x.metadata.deletionTimestamp)) {
      const m = applyToMeta(pod.metadata, p);
      if (!m) continue;
      try {
        await c.update(R.pods, { ...pod, metadata: { ...pod.metadata, labels: m.labels, annotations: m.annotations } } as never);
      } catch (err) {
        if (isConflict(err)) conflicted = true;
        else if (!isNotFound(err)) throw err;
      }
    }
    // the record last: a failure above is retried with the same keys to remove
    if (!conflicted) await c.patch(R.replicasets, ns, e.name, { metadata: { annotations: { [EPHEMERAL_ANNOTATION]: record || null } } }, 'merge').catch(ignoreNotFound);
    return conflicted;
  }

  /** nginx: the canary Ingress of each stable Ingress at the weight (server-side apply, idempotent). */
  private async route(ro: Rollout, weight: number, headerRoutes: HeaderRoute[] = []): Promise<void> {
  const ns = ro.metadata.namespace!;
  for (const name of stableIngresses(ro)) {
    const stable = this.ingresses.get(ns, name);
    if (!stable) {
      this.events.event(ro as never, 'Warning', 'IngressNotFound', `ingress "${name}" not found`);
      continue;
    }
    const want = canaryIngress(ro, stable as never, weight, headerRoutes);
    const have = this.ingresses.get(ns, canaryIngressName(ro, name));
    // header annotations no longer wanted must go too (server-side apply drops the fields it no longer sets)
    const headerKeys = (a: Record<string, string> = {}) => Object.keys(a).filter((k) => HEADER_ANNOTATIONS.some((h) => k.endsWith(`/${h}`))).sort().join();
    if (have && JSON.stringify(have.spec) === JSON.stringify(want.spec) && Object.entries(want.metadata.annotations ?? {}).every(([k, v]) => have.metadata.annotations?.[k] === v) && headerKeys(have.metadata.annotations) === headerKeys(want.metadata.annotations)) continue;
    await this.ctx.client.apply(INGRESSES, want as never, { force: true });
    const hr = headerRoutes[0];
    this.events.event(ro as never, 'Normal', 'TrafficWeightUpdated', `Traffic weight updated to ${weight} (canary ingress ${want.metadata.name})${hr ? `, header route ${hr.name}` : ''}`);
  }
}
}

/** how long after our own status write the cached Rollout is trusted when it is what we wrote */
const ECHO_MS = 5000;

const ignoreNotFound = (e: unknown) => {
  if (!isNotFound(e)) throw e;
};

export function serviceNames(ro: Rollout): string[] {
  const c = ro.spec.strategy?.canary;
  const b = ro.spec.strategy?.blueGreen;
  return [c?.canaryService, c?.stableService, b?.activeService, b?.previewService].filter((x): x is string => !!x);
}

/** The Experiment of a canary `experiment` step: its templates from the stable or the canary pod template. */
export function experimentFor(ro: Rollout, w: Plan['experiments'][number], stableRS?: ReplicaSet): Record<string, unknown> {
  const strip = (t: any) => {
    const x = JSON.parse(JSON.stringify(t ?? {}));
    if (x.metadata?.labels) delete x.metadata.labels[HASH_LABEL];
    return x;
  };
  const templates = ((w.step.templates ?? []) as { name: string; specRef?: string; replicas?: number; metadata?: { labels?: Record<string, string> }; selector?: { matchLabels?: Record<string, string> }; service?: { name?: string } }[]).map((t) => {
    const tpl = strip(t.specRef === 'stable' && stableRS ? stableRS.spec.template : ro.spec.template);
    tpl.metadata = { ...(tpl.metadata ?? {}), labels: { ...(tpl.metadata?.labels ?? {}), ...(t.metadata?.labels ?? {}) } };
    return { name: t.name, replicas: t.replicas ?? 1, selector: { matchLabels: { ...(ro.spec.selector?.matchLabels ?? {}), ...(t.selector?.matchLabels ?? {}) } }, template: tpl, ...(t.service ? { service: t.service } : {}) };
  });
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Experiment',
    metadata: {
      name: w.name,
      namespace: ro.metadata.namespace,
      labels: { [HASH_LABEL]: w.podHash },
      annotations: { [REVISION_ANNOTATION]: ro.metadata.annotations?.[REVISION_ANNOTATION] ?? '' },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: ro.metadata.name!, uid: ro.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: { ...(w.step.duration !== undefined ? { duration: w.step.duration } : {}), templates, ...(w.step.analyses ? { analyses: w.step.analyses } : {}) },
  };
}

/** The ReplicaSet of a template revision: labels and selector carry the hash, owned by the Rollout. */
export function newReplicaSet(ro: Rollout, hash: string, replicas: number, revision: number, antiAffinityTo?: string): ReplicaSet {
  const t = JSON.parse(JSON.stringify(ro.spec.template ?? {}));
  if (antiAffinityTo) t.spec = withAntiAffinity(t.spec ?? {}, (ro.spec.strategy?.canary ?? ro.spec.strategy?.blueGreen)?.antiAffinity, antiAffinityTo);
  t.metadata = { ...(t.metadata ?? {}), labels: { ...(t.metadata?.labels ?? {}), [HASH_LABEL]: hash } };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${ro.metadata.name}-${hash}`,
      namespace: ro.metadata.namespace,
      labels: { ...(ro.spec.template?.metadata?.labels ?? {}), [HASH_LABEL]: hash },
      annotations: { [REVISION_ANNOTATION]: String(revision), 'rollout.argoproj.io/desired-replicas': String(ro.spec.replicas ?? 1) },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: ro.metadata.name!, uid: ro.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas,
      minReadySeconds: ro.spec.minReadySeconds,
      selector: { matchLabels: { ...(ro.spec.selector?.matchLabels ?? {}), [HASH_LABEL]: hash } },
      template: t,
    },
  };
}

export type { Resource };
