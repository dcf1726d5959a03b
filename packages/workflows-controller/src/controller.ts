// The workflow reconciler: informers on Workflows, their Pods and WorkflowTaskResults, ConfigMaps and templates;
// per workflow key it derives the pods' observations from the API, runs the pure operate(), creates/deletes pods
// and writes the status back (optimistic concurrency on the Workflow's resourceVersion). Everything is derived
// from the API on every pass, so a restart (even kill -9) resumes without running a node twice: pod names are
// deterministic and a pod that exists is never created again.
import { Controller, InformerFactory, isAlreadyExists, isConflict, isNotFound, mergePatchOf, NOT_MERGEABLE, R, splitKey, ApiError, type EventRecorder, type Informer, type KubeClient, type KubeObject, type ReconcileResult, type RuntimeContext, type LogLevel } from '@flotilla/kube-runtime';
import { applyPlan, operate } from './operator/operate.js';
import type { PodObservation } from './operator/model.js';
import type { Workflow } from './types.js';
import { ANN_NODE_ID, buildPod, claimsOf, LABEL_COMPLETED, LABEL_PHASE, LABEL_WORKFLOW, PodBuildError } from './pod.js';
import { observePodCached, podObservationChanged, resultFromPod } from './observe.js';
import { ConfigError, parseControllerConfig, resolveArtifactRepository, type WorkflowControllerConfig } from './config.js';
import { CLUSTER_WORKFLOW_TEMPLATES, TASK_RESULTS, WORKFLOWS, WORKFLOW_TEMPLATES } from './resources.js';
import { PendingPods, phaseChanged, workflowMetrics, type WorkflowMetrics } from './metrics.js';
import { templatesFor } from './templates.js';
import { blockedBy, heldLocks, holdingStatus, workflowLocks, type Lock } from './sync.js';
import { LockTable } from './locks.js';
import { applyRetention, collectClaims, expireByTTL } from './completion.js';
import { lookup, memoOf } from './memoize.js';
import { MemoCaches } from './memo-caches.js';
import { delayedPodGC, podGCDue } from './pod-gc.js';
import { COALESCE_MS, informationalPatch } from './status-coalesce.js';
import { Admission, type Candidate, type Limits } from './admission.js';
import { estimate, originLabel, type Estimates } from './estimate.js';

/** A namespace's own cap on its running workflows, as upstream's (a label on the Namespace). */
const LABEL_NS_LIMIT = 'workflows.argoproj.io/parallelism-limit';

type Obj = KubeObject & Record<string, any>;
const TERMINAL = new Set(['Succeeded', 'Failed', 'Error']);
const BY_WORKFLOW = 'by-workflow';
const BY_PHASE = 'by-phase';
/** how often the parked workflows are looked at again, a safety net (a slot that frees calls `admitNext` at once) */
const ADMIT_POLL_MS = 2_000;
/** how long the events of a workflow's pods and task results are gathered into one reconcile, per node and at most */
export const BATCH_MS_PER_NODE = 5;
export const BATCH_MS_MAX = 1000;

export interface WorkflowControllerOptions {
  client: KubeClient;
  events: EventRecorder;
  log: (msg: string, level?: LogLevel) => void;
  /** the controller's own namespace (its ConfigMap and Lease) */
  namespace: string;
  /** the one namespace to manage (`--namespaced` / `--managed-namespace`); '' = all */
  managedNamespace: string;
  configMap?: string;
  executorImage?: string;
  workers?: number;
  metrics?: boolean;
  informers?: InformerFactory;
}

export class WorkflowController extends Controller {
  readonly informers: InformerFactory;
  readonly workflows: Informer<Obj>;
  /** who holds the mutexes and semaphores of workflows and templates, and who waits */
  private readonly lockTable: LockTable;
  private readonly pods: Informer<Obj>;
  private readonly results: Informer<Obj>;
  private readonly configMaps: Informer<Obj>;
  /** memoize caches: saved entries, read back before the ConfigMap cache shows them */
  private readonly memos: MemoCaches;
  private readonly controllerCM: Informer<Obj>;
  private readonly templates: Informer<Obj>;
  private readonly clusterTemplates: Informer<Obj>;
  /** namespaces, for their `workflows.argoproj.io/parallelism-limit` label (not watched by a namespaced controller) */
  private readonly namespaces?: Informer<Obj>;
  private readonly metrics: WorkflowMetrics;
  private readonly pending: PendingPods;
  config: WorkflowControllerConfig = {};
  private configRV = '';
  /** what this controller last wrote per workflow (the cache may be a moment behind) */
  private readonly written = new Map<string, Obj>();
  /** workflow key → the resourceVersions of the updates that came while this controller's write of it was in flight */
  private readonly writing = new Map<string, string[]>();
  /** "namespace/name" of the pods this controller is creating (their `add` tells it nothing new) */
  private readonly creating = new Set<string>();
  /** workflows admitted to run (controller `parallelism` / `namespaceParallelism`) */
  private readonly running = new Set<string>();
  /** workflows held back by the controller's parallelism, waiting for a slot */
  private readonly admission = new Admission();
  /** held workflows whose "postponed" message is still to be written (one write at a time, in the background) */
  private readonly toMark = new Map<string, string>();
  private marking = false;
  private admitTimer?: NodeJS.Timeout;
  /** uids of the pods labelled completed by this process (the cache may not show the label yet: not patched twice) */
  private readonly labelled = new Set<string>();
  /** workflow key → since when an informational-only status change waits to be written with the next one */
  private readonly coalescing = new Map<string, number>();

  constructor(readonly opts: WorkflowControllerOptions) {
    // (nothing here reads managedFields: the cache of pods and workflows leaves them out)
    const informers = opts.informers ?? new InformerFactory(opts.client, { log: opts.log, stripManagedFields: true });
    const ctx: RuntimeContext = { client: opts.client, informers, log: opts.log, events: opts.events };
    super('workflow-controller', ctx, { workers: opts.workers ?? 8, resyncMs: 10 * 60_000, maxDelayMs: 10_000 });
    this.informers = informers;
    const ns = opts.managedNamespace || '';
    const sel = { namespace: ns };
    this.workflows = informers.for<Obj>(WORKFLOWS, sel);
    this.lockTable = new LockTable(() => this.workflows.list(), (key) => this.enqueue(key));
    this.pods = informers.for<Obj>(R.pods, { ...sel, labelSelector: LABEL_WORKFLOW });
    this.results = informers.for<Obj>(TASK_RESULTS, { ...sel, labelSelector: LABEL_WORKFLOW });
    this.configMaps = informers.for<Obj>(R.configmaps, sel);
    this.memos = new MemoCaches(opts.client, this.configMaps, (m, l) => this.log(m, l), () => this.metrics.error('Memoize'));
    this.controllerCM = informers.for<Obj>(R.configmaps, { namespace: opts.namespace, fieldSelector: `metadata.name=${opts.configMap ?? 'workflow-controller-configmap'}` });
    this.templates = informers.for<Obj>(WORKFLOW_TEMPLATES, sel);
    this.clusterTemplates = informers.for<Obj>(CLUSTER_WORKFLOW_TEMPLATES);
    if (!ns) {
      this.namespaces = informers.for<Obj>(R.namespaces);
      // a namespace's limit raised (or its label removed): its held workflows may run now
      this.namespaces.on({ update: (a, b) => a.metadata?.labels?.[LABEL_NS_LIMIT] !== b.metadata?.labels?.[LABEL_NS_LIMIT] && this.admitNext() });
    }
    const byWf = (o: Obj) => {
      const w = o.metadata?.labels?.[LABEL_WORKFLOW];
      return w ? [`${o.metadata?.namespace}/${w}`] : [];
    };
    this.pods.addIndexer(BY_WORKFLOW, byWf);
    this.workflows.addIndexer(BY_PHASE, (w) => [w.status?.phase ?? '']);
    this.results.addIndexer(BY_WORKFLOW, byWf);
    // this controller's own status write coming back is not a reason for another pass: the pass that wrote it
    // already acted on that state (an update that comes while the write is in flight is decided when it returns)
    this.watch(this.workflows, [{ update: (a, b) => a.metadata?.resourceVersion !== b.metadata?.resourceVersion && !this.ownWrite(b) }]);
    const wfKey = (o: Obj) => byWf(o)[0];
    // a reconcile costs in proportion to the workflow's nodes: the events of its pods and task results
    // are gathered for up to BATCH_MS_PER_NODE per node (BATCH_MS_MAX at most) into one reconcile — a
    // single-pod workflow's at once, a 200-task DAG's about once a second instead of once per event
    const batchMs = (key: string) => {
      const [ns, name] = splitKey(key);
      const n = this.workflows.get(ns, name)?.status?.nodes;
      return n ? Math.min(BATCH_MS_MAX, Object.keys(n).length * BATCH_MS_PER_NODE) : 0;
    };
    // (a pod's update that changes nothing the controller observes, such as its conditions or the controller's own
    // label, is not enqueued)
    // (nor is the `add` of a pod this controller is creating, before it has a node or a status: the pass that created
    // it knows; a controller that starts reconciles every workflow anyway)
    this.watch(this.pods, [{ create: (p) => !this.ownFreshPod(p), update: podObservationChanged }], wfKey, batchMs);
    this.watch(this.results, [], wfKey, batchMs);
    this.pods.on({ delete: (p) => this.labelled.delete(p.metadata?.uid ?? '') });
    // a template change can unblock workflows waiting on it; the config map changes everything
    const all = () => this.workflows.list().filter((w) => !TERMINAL.has(w.status?.phase)).map((w) => `${w.metadata!.namespace}/${w.metadata!.name}`);
    this.watch(this.templates, [], all);
    this.watch(this.clusterTemplates, [], all);
    this.controllerCM.on({ add: () => this.loadConfig(), update: () => this.loadConfig(), delete: () => this.loadConfig() });
    this.metrics = workflowMetrics(opts.metrics !== false);
    this.pending = new PendingPods(this.metrics);
    this.metrics.collect(() => {
      const workflows: Record<string, number> = {};
      const conditions: Record<string, number> = {};
      for (const c of this.workflows.list()) {
        const w = this.latest(`${c.metadata!.namespace}/${c.metadata!.name}`) ?? c;
        const p = w.status?.phase || 'Pending';
        workflows[p] = (workflows[p] ?? 0) + 1;
        for (const k of w.status?.conditions ?? []) conditions[`${k.type}=${k.status}`] = (conditions[`${k.type}=${k.status}`] ?? 0) + 1;
      }
      const pods: Record<string, number> = {};
      for (const p of this.pods.list()) {
        const ph = p.status?.phase || 'Pending';
        pods[ph] = (pods[ph] ?? 0) + 1;
      }
      return { workflows, pods, queueDepth: { workflow_queue: this.queue.length }, busy: { workflow_queue: this.queue.busy }, conditions };
    });
  }

  protected primary(): Informer {
    return this.workflows;
  }

  override async start(): Promise<void> {
    await super.start();
    if (this.stopped) return;
    this.admitTimer = setInterval(() => this.admitNext(), ADMIT_POLL_MS);
    this.admitTimer.unref();
  }

  override async stop(): Promise<void> {
    if (this.admitTimer) clearInterval(this.admitTimer);
    await super.stop();
  }

  ready(): boolean {
    return this.workflows.hasSynced && this.pods.hasSynced && this.controllerCM.hasSynced;
  }

  /** Reads workflow-controller-configmap; garbage keeps the last good configuration (and says why). */
  loadConfig(): void {
    const cm = this.controllerCM.list()[0];
    const rv = cm?.metadata?.resourceVersion ?? '';
    if (rv === this.configRV && rv) return;
    this.configRV = rv;
    try {
      this.config = parseControllerConfig(cm?.data);
      this.log(`configuration ${cm ? `from ${this.opts.namespace}/${cm.metadata!.name}` : '(no config map: defaults)'} loaded: ${Object.keys(this.config).join(', ') || 'defaults'}`);
    } catch (e) {
      this.metrics.error('ConfigMap');
      this.log(`invalid configuration in ${this.opts.namespace}/${cm?.metadata?.name}, keeping the last good one: ${e instanceof ConfigError ? e.message : (e as Error).message}`, 'warn');
      this.opts.events.event(cm!, 'Warning', 'InvalidConfig', `keeping the last good configuration: ${(e as Error).message}`);
    }
  }

  private latest(key: string): Obj | undefined {
    const [ns, name] = splitKey(key);
    const cached = this.workflows.get(ns, name);
    const mine = this.written.get(key);
    if (!cached) {
      this.written.delete(key);
      return undefined;
    }
    if (mine && mine.metadata?.uid === cached.metadata?.uid && Number(mine.metadata?.resourceVersion) > Number(cached.metadata?.resourceVersion)) return mine;
    this.written.delete(key);
    return cached;
  }

  /** Whether a Workflow update is this controller's last write of it, or an older state that write built on. */
  private ownWrite(w: Obj): boolean {
    const key = `${w.metadata?.namespace}/${w.metadata?.name}`;
    const rv = w.metadata?.resourceVersion ?? '';
    const seen = this.writing.get(key);
    if (seen) {
      seen.push(rv);
      return true;
    }
    const mine = this.written.get(key);
    return !!mine && mine.metadata?.uid === w.metadata?.uid && isAtMost(rv, mine.metadata?.resourceVersion);
  }

  /** Whether a pod's `add` is of a pod this controller is creating, still without a node and a status. */
  private ownFreshPod(p: Obj): boolean {
    if (!this.creating.delete(`${p.metadata?.namespace}/${p.metadata?.name}`)) return false;
    return !p.spec?.nodeName && !p.metadata?.deletionTimestamp && (!p.status?.phase || p.status.phase === 'Pending') && !p.status?.containerStatuses?.length && !p.status?.initContainerStatuses?.length;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const t0 = performance.now();
    try {
      return await this.operateWorkflow(key);
    } finally {
      this.metrics.operation((performance.now() - t0) / 1000);
    }
  }

  private async operateWorkflow(key: string): Promise<ReconcileResult> {
    const wf = this.latest(key);
    if (!wf) {
      this.coalescing.delete(key);
      this.finished(key);
      return;
    }
    if (wf.metadata?.deletionTimestamp) return;
    const [ns, name] = splitKey(key);
    const client = this.opts.client;
    const now = new Date();
    const phase = wf.status?.phase as string | undefined;
    const pods = this.pods.byIndex(BY_WORKFLOW, key);
    if (phase && TERMINAL.has(phase)) {
      this.finished(key);
      await this.labelCompleted(pods);
      return this.afterCompletion(wf, now, pods);
    }
    // admission: the controller's `parallelism` and `namespaceParallelism` cap running workflows
    // (a held workflow is parked until a slot frees, and its message written in the background: holding
    // thousands must not take the workers and API requests of the running ones)
    if ((!phase || phase === 'Pending') && !this.running.has(key)) {
      const held = this.admission.decide(candidateOf(wf, key), this.runningKeys(), this.limits());
      if (held) {
        if (wf.status?.message !== held || wf.status?.phase !== 'Pending') this.mark(key, held);
        return;
      }
      this.toMark.delete(key);
      this.running.add(key);
    }
    // workflow-level synchronization: semaphores and mutexes (held until the workflow finishes)
    let locks: Lock[] = [];
    if (wf.spec?.synchronization) {
      const r = workflowLocks(wf.spec.synchronization, ns, (n, c) => this.configMaps.get(n, c) as { data?: Record<string, string> } | undefined);
      locks = r.locks;
      const mine = heldLocks(wf.status, name!);
      const blocked = r.error ? undefined : locks.every((l) => mine.includes(l.name)) ? undefined : blockedBy(locks, (l) => this.lockTable.holders(l), key);
      const wait = r.error ?? (blocked ? `Waiting for ${blocked.lock.name} lock. Lock status: ${Math.max(0, blocked.lock.limit - blocked.held)}/${blocked.lock.limit}` : undefined);
      if (wait) {
        // status.synchronization says what it waits for (upstream's fixtures.ToBeWaitingOnAMutex looks there)
        const waiting = blocked ? holdingStatus([], name!, { holding: [], waiting: [{ lock: blocked.lock.name, kind: blocked.lock.kind, nodeId: name! }] }) : undefined;
        if (wf.status?.message !== wait || wf.status?.phase !== 'Pending') await this.write(wf, { ...wf, status: { ...(wf.status ?? {}), phase: 'Pending', message: wait, ...(waiting ? { synchronization: waiting } : {}) } });
        return { requeueAfter: 2_000 };
      }
      for (const l of locks) this.lockTable.hold(l.name, key);
    }
    this.running.add(key);

    const results = new Map(this.results.byIndex(BY_WORKFLOW, key).map((r) => [r.metadata!.name!, r]));
    const observations: Record<string, PodObservation> = {};
    const outputsIn: Record<string, boolean> = {};
    const kill: string[] = [];
    let awaiting = false;
    for (const p of pods) {
      const id = p.metadata?.annotations?.[ANN_NODE_ID];
      if (!id) continue;
      let o = observePodCached(p, results.get(id) ?? resultFromPod(p), now);
      if (o.awaitingResult) {
        // the pod finished but the cached task result is not complete: ask the API (the cache may be behind)
        try {
          o = observePodCached(p, await this.opts.client.get<Obj>(TASK_RESULTS, ns, id), now);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      observations[id] = o.obs;
      if (o.obs.phase === 'Pending' && o.obs.message) this.pending.seen(ns, p.metadata?.uid, o.obs.message);
      // status.taskResultsCompletionStatus as upstream's: false from the pod's creation (below), true once it ended and
      // nothing is awaited (set with that phase change: a bound pod's informational write still waits, status-coalesce)
      if (!o.awaitingResult && ['Succeeded', 'Failed', 'Error'].includes(o.obs.phase)) outputsIn[id] = true;
      if (o.awaitingResult) awaiting = true;
      if (o.kill) kill.push(p.metadata!.name!);
    }
    const cfg = this.config;
    const getCM = (n: string) => this.configMaps.get(ns, n);
    const repo = resolveArtifactRepository(wf.spec?.artifactRepositoryRef, ns, getCM, cfg.artifactRepository);
    const configMaps: Record<string, Record<string, string>> = {};
    for (const cm of this.configMaps.list(ns)) configMaps[cm.metadata!.name!] = cm.data ?? {};
    this.memos.overlay(ns, configMaps);
    const plan = operate({
      workflow: wf as unknown as Workflow,
      pods: observations,
      templates: await templatesFor(this.opts.client, this.templates, this.clusterTemplates, ns, wf),
      configMaps,
      now,
      config: { workflowDefaults: cfg.workflowDefaults },
      observedAll: true,
      acquireLock: (lock, nodeId) => this.lockTable.acquire(lock, `${key}/${nodeId}`),
      estimates: this.estimatesOf(key, wf),
    });
    if (plan.locks) this.lockTable.keepNodeLocks(key, plan.locks.holding);

    // claims, then pods (a pod that exists is never created twice); status.persistentVolumes names them, as
    // upstream's does, for volumeClaimGC to delete once the workflow is done
    let claimVolumes: Obj[] | undefined;
    if (plan.podsToCreate.length && wf.spec?.volumeClaimTemplates?.length) {
      const claims = claimsOf(wf as unknown as Workflow);
      for (const { volumeName: _, ...c } of claims) {
        try {
          await client.create(R.pvcs, ns, c as KubeObject);
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
        }
      }
      claimVolumes = claims.map((c) => ({ name: c.volumeName, persistentVolumeClaim: { claimName: (c.metadata as Obj).name } }));
    }
    // memoized nodes that just succeeded are saved first: a later step of this pass may look the same key up
    await this.memos.save(ns, wf, plan.nodes, now);
    const existing = new Set(pods.map((p) => p.metadata!.name));
    // a pod to create whose name is still taken by a pod going away (`argo retry` deleted it): plan again once it is gone
    const terminating = new Set(pods.filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata!.name));
    if (plan.podsToCreate.some((r) => terminating.has(r.podName))) return { requeueAfter: 500 };
    await Promise.all(plan.podsToCreate.map(async (req) => {
      if (existing.has(req.podName)) return;
      // memoize: a fresh cache entry answers the node without a pod
      const memo = memoOf(req.template);
      const node = plan.nodes[req.nodeId];
      if (memo && node) {
        const hit = lookup(memo, this.memos.data(ns, memo.cacheName), now);
        node.memoizationStatus = { hit: !!hit, key: memo.key, cacheName: memo.cacheName };
        if (hit) {
          Object.assign(node, { phase: 'Succeeded', outputs: hit.outputs, finishedAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), progress: '1/1' });
          plan.changed = true;
          plan.requeueAfter = 0.01;
          return;
        }
      }
      try {
        const pod = buildPod(req, wf as unknown as Workflow, {
          executorImage: this.opts.executorImage, executor: cfg.executor, images: cfg.images, artifactRepository: repo.repository,
          now, includeScriptOutput: !!req.includeScriptOutput, instanceID: cfg.instanceID,
        });
        if (repo.error && (req.template.outputs?.artifacts?.length || req.template.inputs?.artifacts?.length)) throw new PodBuildError(repo.error);
        const podKey = `${ns}/${req.podName}`;
        this.creating.add(podKey);
        try {
          await client.create(R.pods, ns, pod as unknown as KubeObject, {}, { discard: true });
          outputsIn[req.nodeId] = false;
        } catch (e) {
          this.creating.delete(podKey);
          throw e;
        }
      } catch (e) {
        if (isAlreadyExists(e)) return;
        const permanent = e instanceof PodBuildError || (e instanceof ApiError && [400, 403, 404, 422].includes(e.code));
        if (!permanent) throw e;
        const n = plan.nodes[req.nodeId];
        const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
        if (n) Object.assign(n, { phase: 'Error', message: (e as Error).message, finishedAt: at });
        // the entrypoint's or the exit handler's own pod: the workflow ends in Error at once, as upstream's
        const which = req.nodeName === name ? 'entry' : req.nodeName === `${name}.onExit` ? 'exit' : undefined;
        if (which && !TERMINAL.has(plan.phase)) {
          const message = `error in ${which} template execution: ${(e as Error).message}`;
          Object.assign(plan, { phase: 'Error', message, finishedAt: at, conditions: [...(plan.conditions ?? []).filter((c) => c.type !== 'Completed'), { type: 'Completed', status: 'True' }] });
          plan.events.push({ type: 'Warning', reason: 'WorkflowFailed', message });
        }
        this.metrics.error('PodCreate');
        plan.changed = true;
        plan.requeueAfter = 0.01;
      }
    }));
    // podGC with deleteDelayDuration: a finished pod goes once the delay has passed since it ended (pod-gc.ts)
    const delayed = delayedPodGC(wf);
    let gcNextMs: number | undefined;
    let gone = plan.podsToDelete;
    if (delayed) {
      const finishedPod = (n: string) => ['Succeeded', 'Failed'].includes(this.pods.get(ns, n)?.status?.phase);
      const due = podGCDue(delayed.gc, delayed.delay, plan.phase, pods, now.getTime());
      gone = [...plan.podsToDelete.filter((n) => !finishedPod(n)), ...due.due];
      gcNextMs = due.nextMs;
    }
    await Promise.all([...new Set([...gone, ...kill])].map((p) => this.deletePod(ns, p, wf.spec?.podGC?.labelSelector)));

    // status, labels, events
    let next = applyPlan(wf as unknown as Workflow, plan) as unknown as Obj;
    next.status = { ...next.status };
    if (claimVolumes && !wf.status?.persistentVolumes) next.status.persistentVolumes = claimVolumes;
    if (Object.keys(outputsIn).length) next.status.taskResultsCompletionStatus = { ...(wf.status?.taskResultsCompletionStatus ?? {}), ...outputsIn };
    // what the workflow and its nodes hold and wait for; nothing once it is done (its locks are released)
    const holding = TERMINAL.has(plan.phase) ? undefined : holdingStatus(locks, name!, plan.locks);
    if (holding) next.status.synchronization = holding;
    else delete next.status.synchronization;
    if (repo.ref) next.status.artifactRepositoryRef = repo.ref;
    else delete next.status.artifactRepositoryRef;
    const done = TERMINAL.has(plan.phase);
    // spec.workflowMetadata's labels and annotations (labelsFrom evaluated) on the workflow itself, as upstream
    const labels: Record<string, string> = { ...(wf.metadata?.labels ?? {}), ...(plan.metadata?.labels ?? {}), [LABEL_PHASE]: plan.phase || 'Pending' };
    // a workflow of a (Cluster)WorkflowTemplate is labelled with it, as upstream's: what links its runs (estimates, the UI)
    const origin = originLabel(wf as unknown as Workflow);
    if (origin && !labels[origin[0]] && /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(origin[1])) labels[origin[0]] = origin[1];
    if (done) labels[LABEL_COMPLETED] = 'true';
    else labels[LABEL_COMPLETED] = 'false';
    const annotations = plan.metadata?.annotations ? { ...(wf.metadata?.annotations ?? {}), ...plan.metadata.annotations } : undefined;
    next = { ...next, metadata: { ...next.metadata, labels, ...(annotations ? { annotations } : {}) } };
    let coalesceMs: number | undefined;
    // what changed, as a merge patch (the nodes this pass did not touch are the same objects: not walked)
    const patch = mergePatchOf(wf, next, true);
    const changed = patch !== undefined;
    if (changed) {
      // a pod's node and address alone wait (COALESCE_MS at most) for the pod's next phase change
      const p = patch === NOT_MERGEABLE ? undefined : (patch as Obj);
      const informational = !done && !!p && Object.keys(p).length === 1 && !plan.events.length && !plan.podsToCreate.length && !plan.podsToDelete.length && !kill.length && informationalPatch(p.status);
      const since = this.coalescing.get(key);
      if (informational && (since === undefined || Date.now() - since < COALESCE_MS)) {
        if (since === undefined) this.coalescing.set(key, Date.now());
        coalesceMs = COALESCE_MS - (Date.now() - (since ?? Date.now()));
      }
    }
    if (coalesceMs === undefined && changed) {
      this.coalescing.delete(key);
      const wrote = await this.write(wf, next, patch);
      if (!wrote) return { requeueAfter: 200 };
      // a node's Event names the node as upstream's do (annotations workflows.argoproj.io/node-name and node-type)
      if (plan.metrics || plan.metricErrors) {
        for (const e of [...(plan.metricErrors ?? []), ...this.metrics.custom(plan.metrics ?? [])]) this.log(`${key}: custom metrics: ${e}`, 'warn');
      }
      for (const ev of plan.events) this.opts.events.event(wf, ev.type, ev.reason, ev.message, ev.nodeName ? { annotations: { 'workflows.argoproj.io/node-name': ev.nodeName, 'workflows.argoproj.io/node-type': ev.nodeType ?? '' } } : {});
      phaseChanged(this.metrics, ns, wf, plan);
      if (done) {
        this.metrics.finished(ns, plan.phase);
        this.finished(key);
        this.log(`${key}: ${plan.phase}${plan.message ? ` (${plan.message})` : ''}`);
        await this.applyRetention(ns, key, next);
      }
    }
    if (done) {
      await this.labelCompleted(this.pods.byIndex(BY_WORKFLOW, key));
      return this.afterCompletion(next, now, this.pods.byIndex(BY_WORKFLOW, key));
    }
    const after = [plan.requeueAfter !== undefined ? plan.requeueAfter * 1000 : undefined, awaiting ? 1000 : undefined, coalesceMs, gcNextMs].filter((x): x is number => x !== undefined);
    return after.length ? { requeueAfter: Math.max(10, Math.min(...after)) } : undefined;
  }

  /** estimate.ts's figures for a running workflow from a template or CronWorkflow, worked out once per workflow */
  private readonly estimated = new Map<string, Estimates | undefined>();
  private estimatesOf(key: string, wf: Obj): Estimates | undefined {
    if (!originLabel(wf as unknown as Workflow)) return undefined;
    if (!this.estimated.has(key)) this.estimated.set(key, estimate(wf as unknown as Workflow, this.workflows.list(wf.metadata!.namespace) as unknown as Workflow[]));
    return this.estimated.get(key);
  }

  /** `retentionPolicy`: deletes the namespace's oldest finished workflows beyond the limits. */
  private applyRetention(ns: string, key: string, just: Obj): Promise<void> {
    const all = this.workflows.list(ns).map((w) => (`${ns}/${w.metadata!.name}` === key ? just : w));
    return applyRetention(this.opts.client, this.config.retentionPolicy, ns, all, (m, l) => this.log(m, l));
  }

  /** The workflows running (admitted here, or Running in the cache: a predecessor admitted them). */
  private runningKeys(): Set<string> {
    const out = new Set(this.running);
    for (const w of this.workflows.byIndex(BY_PHASE, 'Running')) out.add(`${w.metadata!.namespace}/${w.metadata!.name}`);
    return out;
  }

  /** A workflow finished or went away: its slot and locks go to the next. */
  private finished(key: string): void {
    this.estimated.delete(key);
    const had = this.running.delete(key);
    this.admission.drop(key);
    this.toMark.delete(key);
    this.lockTable.release(key);
    if (had) this.admitNext();
  }

  /** The admission limits: the ConfigMap's, and each namespace's own `workflows.argoproj.io/parallelism-limit` label. */
  private limits(): Limits {
    const nsInf = this.namespaces;
    if (!nsInf) return this.config;
    return {
      ...this.config,
      namespaceLimit: (ns) => {
        const v = nsInf.get('', ns)?.metadata?.labels?.[LABEL_NS_LIMIT];
        return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
      },
    };
  }

  /** Reconciles the best parked workflows that the free slots take. */
  private admitNext(): void {
    if (this.stopped || !this.admission.size) return;
    for (const k of this.admission.next(this.runningKeys(), this.limits())) this.enqueue(k);
  }

  /** Writes a held workflow's Pending phase and message, one at a time, behind the running workflows' requests. */
  private mark(key: string, message: string): void {
    this.toMark.set(key, message);
    if (this.marking) return;
    this.marking = true;
    void (async () => {
      try {
        while (this.toMark.size && !this.stopped) {
          const [k, msg] = this.toMark.entries().next().value as [string, string];
          this.toMark.delete(k);
          const wf = this.latest(k);
          if (!wf || !this.admission.has(k) || (wf.status?.phase && wf.status.phase !== 'Pending')) continue;
          if (wf.status?.message === msg && wf.status?.phase === 'Pending') continue;
          try {
            await this.write(wf, { ...wf, status: { ...(wf.status ?? {}), phase: 'Pending', message: msg } });
          } catch (e) {
            this.log(`${k}: cannot write that it is held back: ${(e as Error).message}`, 'warn');
          }
        }
      } finally {
        this.marking = false;
      }
    })();
  }

  /**
   * Writes what changed from `wf` to `next` as a merge patch carrying `wf`'s resourceVersion (optimistic
   * concurrency, as a PUT has it; the CRD has no status subresource), or the whole Workflow when the change
   * cannot be said as a merge patch (a field set to null). A conflict means another pass will do it.
   */
  private async write(wf: Obj, next: Obj, patch: unknown = mergePatchOf(wf, next, true)): Promise<boolean> {
    const key = `${wf.metadata!.namespace}/${wf.metadata!.name}`;
    if (patch === undefined) return true;
    const seen: string[] = [];
    this.writing.set(key, seen);
    let out: Obj | undefined;
    try {
      const client = this.opts.client;
      const m = wf.metadata!;
      out = patch === NOT_MERGEABLE
        ? await client.update<Obj>(WORKFLOWS, next)
        : await client.patch<Obj>(WORKFLOWS, m.namespace, m.name!, { ...(patch as Obj), metadata: { ...((patch as Obj).metadata ?? {}), resourceVersion: m.resourceVersion } });
      this.written.set(key, out);
      return true;
    } catch (e) {
      if (isConflict(e)) {
        this.written.delete(key);
        return false;
      }
      if (isNotFound(e)) return true;
      throw e;
    } finally {
      if (this.writing.get(key) === seen) this.writing.delete(key);
      // an update that came meanwhile and is not this write (nor older: the write's precondition rules out
      // another writer before it) is reconciled as usual
      if (seen.some((rv) => !out || !isAtMost(rv, out.metadata?.resourceVersion))) this.enqueue(key);
    }
  }

  private async deletePod(ns: string, name: string, labelSelector?: { matchLabels?: Record<string, string> }): Promise<void> {
    const pod = this.pods.get(ns, name);
    if (!pod || pod.metadata?.deletionTimestamp) return;
    if (labelSelector?.matchLabels && !Object.entries(labelSelector.matchLabels).every(([k, v]) => pod.metadata?.labels?.[k] === v)) return;
    try {
      await this.opts.client.delete(R.pods, ns, name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private async labelCompleted(pods: Obj[]): Promise<void> {
    const todo = pods.filter((p) => p.metadata?.labels?.[LABEL_COMPLETED] !== 'true' && !this.labelled.has(p.metadata?.uid ?? '') && !p.metadata?.deletionTimestamp && (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed'));
    await Promise.all(todo.map(async (p) => {
      try {
        await this.opts.client.patch(R.pods, p.metadata!.namespace, p.metadata!.name!, { metadata: { labels: { [LABEL_COMPLETED]: 'true' } } }, 'merge', undefined, { discard: true });
        if (p.metadata?.uid) this.labelled.add(p.metadata.uid);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }));
  }

  /** volumeClaimGC, podGC's delayed deletions and ttlStrategy of a finished workflow. */
  private async afterCompletion(wf: Obj, now: Date, pods: Obj[]): Promise<ReconcileResult> {
    const log = (m: string, l?: LogLevel) => this.log(m, l);
    await collectClaims(this.opts.client, wf, log);
    const delayed = delayedPodGC(wf);
    const gc = delayed ? podGCDue(delayed.gc, delayed.delay, wf.status?.phase ?? '', pods, now.getTime()) : undefined;
    if (gc) await Promise.all(gc.due.map((p) => this.deletePod(wf.metadata!.namespace!, p)));
    const ttl = await expireByTTL(this.opts.client, wf, now, log);
    const later = [ttl?.requeueAfter, gc?.nextMs].filter((x): x is number => x !== undefined);
    return later.length ? { requeueAfter: Math.min(...later) } : ttl;
  }
}

/** a ≤ b for resourceVersions (numbers as strings; anything else compares as "not known to be older") */
function isAtMost(a: string | undefined, b: string | undefined): boolean {
  const x = Number(a), y = Number(b);
  return a !== undefined && b !== undefined && a !== '' && Number.isFinite(x) && Number.isFinite(y) && x <= y;
}

function candidateOf(wf: Obj, key: string): Candidate {
  const [ns] = splitKey(key);
  return { key, ns: ns ?? '', priority: Number(wf.spec?.priority) || 0, created: wf.metadata?.creationTimestamp ?? '' };
}
