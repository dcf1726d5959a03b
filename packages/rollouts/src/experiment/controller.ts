/**
 * The Experiment controller: ReplicaSets per template and AnalysisRuns per analysis, owned by the
 * Experiment, from the pure plan (plan.ts); status through /status; a requeue when the duration ends.
 */
import { Controller, isAlreadyExists, isNotFound, R, type Informer, type RuntimeContext } from '@flotilla/kube-runtime';
import { buildAnalysisRun } from '../analysis/build.js';
import { ANALYSIS_RUNS, ANALYSIS_TEMPLATES, CLUSTER_ANALYSIS_TEMPLATES, EXPERIMENTS } from '../resources.js';
import { HASH_LABEL, type ReplicaSet, type Rollout } from '../types.js';
import { experimentArgs, planExperiment, type Experiment } from './plan.js';

type Obj = { metadata: { name?: string; namespace?: string; uid?: string; ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[]; [k: string]: unknown }; spec?: any; status?: any; [k: string]: unknown };

export class ExperimentController extends Controller {
  readonly experiments: Informer<Experiment>;
  private readonly rs: Informer<ReplicaSet>;
  private readonly services: Informer<Obj>;
  private readonly runs: Informer<Obj>;
  private readonly templates: Informer<Obj>;
  private readonly clusterTemplates: Informer<Obj>;

  constructor(ctx: RuntimeContext, o: { workers?: number } = {}) {
    super('experiment-controller', ctx, { workers: o.workers ?? 4, maxDelayMs: 10_000 });
    this.experiments = ctx.informers.for<Experiment>(EXPERIMENTS);
    this.rs = ctx.informers.for<ReplicaSet>(R.replicasets);
    this.services = ctx.informers.for<Obj>(R.services);
    this.runs = ctx.informers.for<Obj>(ANALYSIS_RUNS);
    this.templates = ctx.informers.for<Obj>(ANALYSIS_TEMPLATES);
    this.clusterTemplates = ctx.informers.for<Obj>(CLUSTER_ANALYSIS_TEMPLATES);
    this.watch(this.experiments as unknown as Informer);
    this.watchOwned(this.rs as unknown as Informer, 'Experiment');
    this.watchOwned(this.runs as unknown as Informer, 'Experiment');
    this.watchOwned(this.services as unknown as Informer, 'Experiment');
  }

  protected primary(): Informer {
    return this.experiments as unknown as Informer;
  }

  async reconcile(key: string): Promise<{ requeueAfter?: number } | void> {
    const [ns, name] = key.split('/');
    const ex = this.experiments.get(ns, name);
    if (!ex || ex.metadata.deletionTimestamp) return;
    const uid = ex.metadata.uid;
    const owned = <T extends Obj | ReplicaSet>(xs: T[]) => xs.filter((x) => x.metadata.ownerReferences?.some((r) => r.controller && r.uid === uid));
    const rss = owned(this.rs.list(ns));
    const runs = owned(this.runs.list(ns));
    const plan = planExperiment(ex, rss, runs as never, new Date());
    const c = this.ctx.client;
    const owner = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Experiment', name: name, uid: uid!, controller: true, blockOwnerDeletion: true };
    for (const r of plan.replicaSets) {
      const t = (ex.spec.templates ?? []).find((x) => x.name === r.template)!;
      if (!r.exists) {
        if (r.replicas === 0) continue;
        const tpl = JSON.parse(JSON.stringify(t.template ?? {}));
        tpl.metadata = { ...(tpl.metadata ?? {}), labels: { ...(tpl.metadata?.labels ?? {}), [HASH_LABEL]: r.hash } };
        const rs = {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: { name: r.name, namespace: ns, labels: { ...(t.template?.metadata?.labels ?? {}), [HASH_LABEL]: r.hash }, annotations: { 'experiment.argoproj.io/template-name': t.name }, ownerReferences: [owner] },
          spec: { replicas: r.replicas, minReadySeconds: t.minReadySeconds, selector: { matchLabels: { ...(t.selector?.matchLabels ?? {}), [HASH_LABEL]: r.hash } }, template: tpl },
        };
        try {
          await c.create(R.replicasets, ns, rs as never);
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
        }
      } else {
        const cur = rss.find((x) => x.metadata.name === r.name);
        if (cur && cur.spec.replicas !== r.replicas) await c.patch(R.replicasets, ns, r.name, { spec: { replicas: r.replicas } }, 'merge');
      }
    }
    // the templates' Services (templates[].service): created while the experiment runs, deleted when it ends
    const svcs = owned(this.services.list(ns));
    for (const s of plan.services) {
      if (svcs.some((x) => x.metadata.name === s.name)) continue;
      const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: s.name, namespace: ns, labels: { 'experiment.argoproj.io/name': name }, annotations: { 'experiment.argoproj.io/template-name': s.template }, ownerReferences: [owner] }, spec: { selector: s.selector, ports: s.ports } };
      try {
        await c.create(R.services, ns, svc as never);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    for (const x of svcs) if (!plan.services.some((s) => s.name === x.metadata.name)) await c.delete(R.services, ns, x.metadata.name!).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
    for (const w of plan.runs) {
      const a = (ex.spec.analyses ?? []).find((x) => x.name === w.analysis)!;
      const asRollout = { metadata: ex.metadata, spec: {} } as unknown as Rollout;
      let run: any;
      try {
        const want = { name: w.name, kind: 'background' as const, analysis: { templates: [{ templateName: a.templateName, clusterScope: a.clusterScope }], args: experimentArgs(ex, a.args) }, podHash: '' };
        run = buildAnalysisRun(asRollout, want, (n, cluster) => (cluster ? this.clusterTemplates.get(undefined, n) : this.templates.get(ns, n)) as never);
      } catch (e) {
        const want = { name: w.name, kind: 'background' as const, analysis: { templates: [{ templateName: a.templateName, clusterScope: a.clusterScope }] }, podHash: '' };
        run = buildAnalysisRun(asRollout, want, () => undefined, (e as Error).message);
      }
      run.metadata.ownerReferences = [owner];
      run.metadata.labels = { 'experiment.argoproj.io/name': name };
      try {
        await c.create(ANALYSIS_RUNS, ns, run);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    for (const t of plan.terminateRuns) await c.patch(ANALYSIS_RUNS, ns, t, { spec: { terminate: true } }, 'merge').catch((e) => {
      if (!isNotFound(e)) throw e;
    });
    if (JSON.stringify(plan.status) !== JSON.stringify(ex.status ?? {})) await c.update(EXPERIMENTS, { ...ex, status: plan.status } as never); // no status subresource, as upstream
    return plan.requeueAfterMs !== undefined ? { requeueAfter: plan.requeueAfterMs + 50 } : undefined;
  }
}
