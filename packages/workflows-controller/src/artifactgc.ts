/**
 * Artifact garbage collection (upstream's `artifactGC`), a reconciler of its own beside the workflow controller:
 * - a workflow whose output artifacts have a strategy other than `Never` (the artifact's `artifactGC.strategy`, else
 *   the workflow's `spec.artifactGC.strategy`) gets the finalizer `workflows.argoproj.io/artifact-gc` while it runs;
 * - when it completes, the artifacts of `OnWorkflowCompletion` (and `OnWorkflowSuccessOrDeletion` when it
 *   Succeeded, `OnWorkflowFailureOrDeletion` when it did not) are deleted by pods `<wf>-artgc-wfcomp-<hash>`, one per
 *   service account and pod metadata (`artifactGC.serviceAccountName` / `podMetadata`, the artifact's over the
 *   workflow's), running `argoexec artifact delete` with the artifacts in ARGO_ARTIFACTS;
 * - when it is deleted, the rest (`OnWorkflowDeletion` and those not deleted yet) by `<wf>-artgc-wfdel-<hash>`;
 * - status.artifactGCStatus records `strategiesProcessed` and `podsRecouped`; deleted artifacts get `deleted: true`;
 *   a failed pod sets the condition `ArtifactGCError` and a Warning Event `ArtifactGCFailed`;
 * - the finalizer goes once nothing is left to delete at the workflow's deletion, or at a failure when
 *   `spec.artifactGC.forceFinalizerRemoval` is true.
 */
import { createHash } from 'node:crypto';
import { Controller, isNotFound, R, splitKey, type EventRecorder, type Informer, type InformerFactory, type KubeClient, type KubeObject, type ReconcileResult, type RuntimeContext, type LogLevel } from '@flotilla/kube-runtime';
import { parse as parseYaml } from 'yaml';
import { mergePodSpec, secretNames } from './pod.js';
import { WORKFLOWS, WORKFLOW_TEMPLATES, CLUSTER_WORKFLOW_TEMPLATES } from './resources.js';

type Obj = KubeObject & Record<string, any>;

export const FINALIZER_ARTIFACT_GC = 'workflows.argoproj.io/artifact-gc';
/** the label of GC pods: the workflow's name (not workflows.argoproj.io/workflow: they are no node's pods) */
export const LABEL_GC_POD = 'workflows.argoproj.io/artifact-gc-pod';
const DONE = new Set(['Succeeded', 'Failed', 'Error']);
const SECRETS = '/argo/secret';

export type Strategy = 'OnWorkflowCompletion' | 'OnWorkflowDeletion' | 'OnWorkflowSuccessOrDeletion' | 'OnWorkflowFailureOrDeletion' | 'Never';
type GCSpec = { strategy?: string; serviceAccountName?: string; podMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; forceFinalizerRemoval?: boolean; podSpecPatch?: string | Obj };

/** The strategy of an artifact: its own, else the workflow's; none is Never. */
export function strategyOf(art: { artifactGC?: GCSpec } & Record<string, any>, wfGC: GCSpec | undefined): Strategy {
  return ((art.artifactGC?.strategy || wfGC?.strategy || 'Never') as Strategy);
}

/** Whether an artifact of that strategy is deleted when the workflow completes in `phase`. */
export function deletedAtCompletion(s: Strategy, phase: string): boolean {
  return s === 'OnWorkflowCompletion' || (s === 'OnWorkflowSuccessOrDeletion' && phase === 'Succeeded') || (s === 'OnWorkflowFailureOrDeletion' && phase !== 'Succeeded');
}

/** Whether any output artifact of these templates is to be garbage-collected. */
export function templatesHaveGC(templates: Obj[], wfGC: GCSpec | undefined): boolean {
  return templates.some((t) => ((t?.outputs?.artifacts ?? []) as Obj[]).some((a) => strategyOf(a, wfGC) !== 'Never'));
}

export interface GCItem {
  nodeId: string;
  artifact: Obj;
  strategy: Strategy;
  serviceAccountName?: string;
  podMetadata?: GCSpec['podMetadata'];
  /** the repository a key-only artifact resolves against (the template's archiveLocation over the workflow's) */
  artifactRepository?: Obj;
}

/** The saved artifacts of the workflow's nodes that `pick` selects (not yet deleted). */
export function gcItems(wf: Obj, pick: (s: Strategy) => boolean, repoOf: (node: Obj) => Obj | undefined): GCItem[] {
  const wfGC = effectiveGC(wf);
  const out: GCItem[] = [];
  for (const [id, n] of Object.entries((wf.status?.nodes ?? {}) as Record<string, Obj>)) {
    for (const a of (n.outputs?.artifacts ?? []) as Obj[]) {
      if (a.deleted || !(a.s3 || a.artifactory)) continue;
      const s = strategyOf(a, wfGC);
      if (s === 'Never' || !pick(s)) continue;
      out.push({ nodeId: id, artifact: a, strategy: s, serviceAccountName: a.artifactGC?.serviceAccountName || wfGC?.serviceAccountName, podMetadata: a.artifactGC?.podMetadata ?? wfGC?.podMetadata, artifactRepository: repoOf(n) });
    }
  }
  return out;
}

/** The workflow's artifactGC: its own, else its WorkflowTemplate's (stored in status). */
export function effectiveGC(wf: Obj): GCSpec | undefined {
  return wf.spec?.artifactGC ?? wf.status?.storedWorkflowTemplateSpec?.artifactGC;
}

export interface GCPod {
  name: string;
  serviceAccountName?: string;
  podMetadata?: GCSpec['podMetadata'];
  items: GCItem[];
}

/** One pod per service account and pod metadata: `<wf>-artgc-<wfcomp|wfdel>-<hash>`. */
export function groupPods(wfName: string, when: 'completion' | 'deletion', items: GCItem[]): GCPod[] {
  const groups = new Map<string, GCPod>();
  for (const it of items) {
    const id = JSON.stringify([it.serviceAccountName ?? '', it.podMetadata ?? {}]);
    let g = groups.get(id);
    if (!g) {
      const hash = createHash('sha1').update(id).digest('hex').slice(0, 8);
      g = { name: `${wfName.slice(0, 200)}-artgc-${when === 'completion' ? 'wfcomp' : 'wfdel'}-${hash}`, serviceAccountName: it.serviceAccountName, podMetadata: it.podMetadata, items: [] };
      groups.set(id, g);
    }
    g.items.push(it);
  }
  return [...groups.values()];
}

export interface ArtifactGCOptions {
  client: KubeClient;
  informers: InformerFactory;
  events: EventRecorder;
  log: (m: string, level?: LogLevel) => void;
  managedNamespace?: string;
  /** the executor image (the controller's configuration, read when a pod is made) */
  executorImage: () => string;
  /** the controller's workflowDefaults (its spec.artifactGC applies to workflows without one) */
  workflowDefaults?: () => Obj | undefined;
  workers?: number;
}

export class ArtifactGCController extends Controller {
  private readonly wfs: Informer<Obj>;
  private readonly pods: Informer<Obj>;
  private readonly templates: Informer<Obj>;
  private readonly clusterTemplates: Informer<Obj>;

  constructor(private readonly o: ArtifactGCOptions) {
    const ctx: RuntimeContext = { client: o.client, informers: o.informers, log: o.log, events: o.events };
    super('artifact-gc', ctx, { workers: o.workers ?? 4, resyncMs: 60_000 });
    const sel = { namespace: o.managedNamespace || '' };
    this.wfs = o.informers.for<Obj>(WORKFLOWS, sel);
    this.pods = o.informers.for<Obj>(R.pods, { ...sel, labelSelector: LABEL_GC_POD });
    this.templates = o.informers.for<Obj>(WORKFLOW_TEMPLATES, sel);
    this.clusterTemplates = o.informers.for<Obj>(CLUSTER_WORKFLOW_TEMPLATES);
    this.watch(this.wfs, [{ update: (a, b) => a.status?.phase !== b.status?.phase || !!b.metadata?.deletionTimestamp !== !!a.metadata?.deletionTimestamp || (a.metadata?.finalizers ?? []).length !== (b.metadata?.finalizers ?? []).length }]);
    this.watch(this.pods, [{ update: (a, b) => a.status?.phase !== b.status?.phase }], (p) => `${p.metadata!.namespace}/${p.metadata!.labels![LABEL_GC_POD]}`);
  }

  protected primary(): Informer {
    return this.wfs;
  }

  /** The templates a workflow may run: its own, its WorkflowTemplate's, and those its steps/tasks reference. */
  private templatesOf(wf: Obj): Obj[] {
    const ns = wf.metadata!.namespace!;
    const out: Obj[] = [];
    const seen = new Set<string>();
    const lookup = (name: string, cluster: boolean) => (cluster ? this.clusterTemplates.get(undefined as never, name) ?? this.clusterTemplates.list().find((t) => t.metadata?.name === name) : this.templates.get(ns, name));
    const add = (ts: Obj[] | undefined, depth: number) => {
      for (const t of ts ?? []) {
        out.push(t);
        if (depth > 5) continue;
        const refs: Obj[] = [...((t.steps ?? []) as Obj[][]).flat(), ...((t.dag?.tasks ?? []) as Obj[])].map((s) => s?.templateRef).filter(Boolean);
        for (const r of refs) {
          const k = `${r.clusterScope ? 'c' : 'n'}/${r.name}`;
          if (seen.has(k)) continue;
          seen.add(k);
          add(lookup(r.name, !!r.clusterScope)?.spec?.templates, depth + 1);
        }
      }
    };
    add(wf.spec?.templates, 0);
    add(wf.status?.storedWorkflowTemplateSpec?.templates, 0);
    add(Object.values((wf.status?.storedTemplates ?? {}) as Record<string, Obj>), 0);
    const ref = wf.spec?.workflowTemplateRef;
    if (ref?.name) add(lookup(ref.name, !!ref.clusterScope)?.spec?.templates, 0);
    return out;
  }

  private gcOf(wf: Obj): GCSpec | undefined {
    const ref = wf.spec?.workflowTemplateRef;
    const wt = ref?.name ? (ref.clusterScope ? this.clusterTemplates.list().find((t) => t.metadata?.name === ref.name) : this.templates.get(wf.metadata!.namespace!, ref.name)) : undefined;
    return effectiveGC(wf) ?? wt?.spec?.artifactGC ?? this.o.workflowDefaults?.()?.spec?.artifactGC;
  }

  /** The repository a node's key-only artifacts resolve against: the template's archiveLocation over the workflow's. */
  private repoOf(wf: Obj): (n: Obj) => Obj | undefined {
    const base = (wf.status?.artifactRepositoryRef?.artifactRepository ?? undefined) as Obj | undefined;
    const ts = this.templatesOf(wf);
    return (n) => {
      const t = n.templateRef ? (wf.status?.storedTemplates?.[`${n.templateRef.clusterScope ? 'cluster' : 'namespaced'}/${n.templateRef.name}/${n.templateRef.template}`] ?? ts.find((x) => x.name === n.templateRef.template)) : ts.find((x) => x.name === n.templateName);
      const al = t?.archiveLocation as Obj | undefined;
      if (!al?.s3 && !al?.artifactory) return base;
      return { ...(base ?? {}), ...(al.s3 ? { s3: { ...(base?.s3 ?? {}), ...al.s3 } } : {}), ...(al.artifactory ? { artifactory: al.artifactory } : {}) };
    };
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    const wf = this.wfs.get(ns, name);
    if (!wf) return;
    const fins: string[] = wf.metadata?.finalizers ?? [];
    const has = fins.includes(FINALIZER_ARTIFACT_GC);
    const phase = wf.status?.phase ?? '';
    const deleting = !!wf.metadata?.deletionTimestamp;
    if (!has) {
      // while it runs: does anything need collecting later?
      if (deleting || DONE.has(phase) || wf.status?.artifactGCStatus?.strategiesProcessed) return;
      if (!templatesHaveGC(this.templatesOf(wf), this.gcOf(wf))) return;
      await this.patchFinalizers(wf, [...fins, FINALIZER_ARTIFACT_GC]);
      this.log(`${key}: finalizer ${FINALIZER_ARTIFACT_GC} added`);
      return;
    }
    if (!deleting && !DONE.has(phase)) return;
    const wfGC = this.gcOf(wf);
    const gcStatus = (wf.status?.artifactGCStatus ?? {}) as { strategiesProcessed?: Record<string, boolean>; podsRecouped?: Record<string, boolean> };
    // the completion's collection first (once), the deletion's when it is being deleted
    let when: 'completion' | 'deletion';
    if (DONE.has(phase) && !gcStatus.strategiesProcessed?.OnWorkflowCompletion) when = 'completion';
    else if (deleting && !gcStatus.strategiesProcessed?.OnWorkflowDeletion) when = 'deletion';
    else {
      // all collected: the finalizer goes as decided below (again, when removing it failed the first time)
      // (at the deletion, only a failure of the deletion's collection counts: it retried what failed before)
      const failed = ((wf.status?.conditions ?? []) as Obj[]).some((c) => c.type === 'ArtifactGCError' && (!deleting || String(c.message).includes('OnWorkflowDeletion')));
      const left = gcItems({ ...wf, spec: { ...wf.spec, artifactGC: wfGC } }, (st) => !deletedAtCompletion(st, phase), () => undefined).length;
      if (failed ? !!wfGC?.forceFinalizerRemoval : deleting || !left) await this.removeFinalizer(wf);
      return;
    }
    const wfView = { ...wf, spec: { ...wf.spec, artifactGC: wfGC } };
    const items = gcItems(wfView, when === 'completion' ? (s) => deletedAtCompletion(s, phase) : () => true, this.repoOf(wf));
    const pods = groupPods(name, when, items);
    let pending = false;
    const failures: string[] = [];
    const recouped: Record<string, boolean> = {};
    const deletedArts = new Set<string>();
    for (const g of pods) {
      if (gcStatus.podsRecouped?.[g.name]) continue;
      const pod = this.pods.get(ns, g.name);
      if (!pod) {
        try {
          await this.createPod(wf, g, wfGC?.podSpecPatch);
          pending = true;
        } catch (e) {
          // refused for good (a missing service account, an invalid pod): a failure of this collection
          const code = (e as { code?: number }).code;
          if (code !== 403 && code !== 422 && code !== 400) throw e;
          failures.push(`Artifact Garbage Collection failed for strategy ${when === 'completion' ? 'OnWorkflowCompletion' : 'OnWorkflowDeletion'}: could not create pod ${g.name}: ${(e as Error).message}`);
        }
        continue;
      }
      const ph = pod.status?.phase;
      if (ph !== 'Succeeded' && ph !== 'Failed') {
        pending = true;
        continue;
      }
      // the executor's outcome: its termination message (JSON lines); a pod that Succeeded deleted everything
      const term = ((pod.status?.containerStatuses ?? []) as Obj[]).find((c) => c.name === 'main')?.state?.terminated?.message ?? '';
      const results = parseResults(String(term));
      for (const it of g.items) {
        const r = results.get(`${it.artifact.name}\u0000${it.artifact.s3?.key ?? it.artifact.artifactory?.url ?? ''}`);
        if (ph === 'Succeeded' || (r && r.error === undefined)) deletedArts.add(`${it.nodeId}/${it.artifact.name}`);
      }
      if (ph === 'Failed') {
        const errs = [...results.values()].filter((r) => r.error).map((r) => `${r.name}: ${r.error}`);
        failures.push(`Artifact Garbage Collection failed for strategy ${when === 'completion' ? 'OnWorkflowCompletion' : 'OnWorkflowDeletion'}, pod ${g.name} exited with non-zero exit code${errs.length ? `: ${errs.join('; ')}` : ': check pod logs for more information'}`);
      }
      recouped[g.name] = true;
    }
    if (pending) return { requeueAfter: 5000 };
    // all of this strategy's pods are done: record, then let the pods go
    const strategy = when === 'completion' ? 'OnWorkflowCompletion' : 'OnWorkflowDeletion';
    const status: Obj = {
      artifactGCStatus: { ...gcStatus, strategiesProcessed: { ...(gcStatus.strategiesProcessed ?? {}), [strategy]: true }, podsRecouped: { ...(gcStatus.podsRecouped ?? {}), ...recouped } },
    };
    if (deletedArts.size) {
      const nodes: Record<string, Obj> = {};
      for (const [id, n] of Object.entries((wf.status?.nodes ?? {}) as Record<string, Obj>)) {
        const arts = (n.outputs?.artifacts ?? []) as Obj[];
        if (!arts.some((a) => deletedArts.has(`${id}/${a.name}`))) continue;
        nodes[id] = { outputs: { artifacts: arts.map((a) => (deletedArts.has(`${id}/${a.name}`) ? { ...a, deleted: true } : a)) } };
      }
      status.nodes = nodes;
    }
    if (failures.length) {
      const conds = ((wf.status?.conditions ?? []) as Obj[]).filter((c) => c.type !== 'ArtifactGCError');
      status.conditions = [...conds, { type: 'ArtifactGCError', status: 'True', message: failures.join('; ') }];
      for (const f of failures) this.o.events.event(wf, 'Warning', 'ArtifactGCFailed', f);
    }
    await this.o.client.patch(WORKFLOWS, ns, name, { status }, 'merge').catch((e) => {
      if (!isNotFound(e)) throw e;
    });
    for (const g of pods) if (recouped[g.name]) await this.o.client.delete(R.pods, ns, g.name).catch(() => {});
    this.log(`${key}: artifact GC ${strategy}: ${items.length} artifact(s) in ${pods.length} pod(s)${failures.length ? `, ${failures.length} failed` : ''}`);
    // the finalizer: gone after the deletion's collection, or at a failure with forceFinalizerRemoval, or when
    // nothing is left for the deletion
    const left = when === 'completion' ? gcItems(wfView, (st) => !deletedAtCompletion(st, phase), () => undefined).length : 0;
    if (failures.length ? !!wfGC?.forceFinalizerRemoval : when === 'deletion' || !left) {
      await this.removeFinalizer(this.wfs.get(ns, name) ?? wf);
    } else if (when === 'completion' && deleting) return { requeueAfter: 100 };
    return;
  }

  private async removeFinalizer(wf: Obj): Promise<void> {
    const fins: string[] = wf.metadata?.finalizers ?? [];
    if (!fins.includes(FINALIZER_ARTIFACT_GC)) return;
    await this.patchFinalizers(wf, fins.filter((f) => f !== FINALIZER_ARTIFACT_GC));
    this.log(`${wf.metadata!.namespace}/${wf.metadata!.name}: finalizer ${FINALIZER_ARTIFACT_GC} removed`);
  }

  private async patchFinalizers(wf: Obj, finalizers: string[]): Promise<void> {
    try {
      await this.o.client.patch(WORKFLOWS, wf.metadata!.namespace, wf.metadata!.name!, [
        { op: 'test', path: '/metadata/resourceVersion', value: wf.metadata!.resourceVersion },
        { op: wf.metadata?.finalizers ? 'replace' : 'add', path: '/metadata/finalizers', value: finalizers },
      ], 'json');
    } catch (e) {
      if (isNotFound(e)) return;
      throw Object.assign(e as Error, { code: (e as { code?: number }).code === 422 ? 409 : (e as { code?: number }).code });
    }
  }

  private async createPod(wf: Obj, g: GCPod, podSpecPatch?: string | Obj): Promise<void> {
    const ns = wf.metadata!.namespace!;
    const arts = g.items.map((it) => ({ ...it.artifact, ...(it.artifactRepository ? { artifactRepository: it.artifactRepository } : {}) }));
    const volumes: Obj[] = [];
    const mounts: Obj[] = [];
    for (const s of secretNames([arts])) {
      const vol = `argo-secret-${s}`.slice(0, 63).replace(/[^a-z0-9-]/g, '-').replace(/-+$/, '');
      if (volumes.some((v) => v.name === vol)) continue;
      volumes.push({ name: vol, secret: { secretName: s, optional: true } });
      mounts.push({ name: vol, mountPath: `${SECRETS}/${s}`, readOnly: true });
    }
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: g.name,
        namespace: ns,
        labels: { ...(g.podMetadata?.labels ?? {}), [LABEL_GC_POD]: wf.metadata!.name!, 'workflows.argoproj.io/component': 'artifact-gc' },
        annotations: { ...(g.podMetadata?.annotations ?? {}) },
        ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: wf.metadata!.name!, uid: wf.metadata!.uid!, blockOwnerDeletion: false }],
      },
      spec: {
        restartPolicy: 'Never',
        ...(g.serviceAccountName ? { serviceAccountName: g.serviceAccountName } : {}),
        volumes,
        containers: [{
          name: 'main',
          image: this.o.executorImage(),
          command: ['argoexec', 'artifact', 'delete'],
          env: [
            { name: 'ARGO_ARTIFACTS', value: JSON.stringify(arts) },
            { name: 'ARGO_POD_NAME', value: g.name },
            { name: 'ARGO_NAMESPACE', value: ns },
            { name: 'ARGO_WORKFLOW_NAME', value: wf.metadata!.name },
            ...(wf.status?.artifactRepositoryRef?.artifactRepository ? [{ name: 'ARGO_ARTIFACT_REPOSITORY', value: JSON.stringify(wf.status.artifactRepositoryRef.artifactRepository) }] : []),
          ],
          volumeMounts: mounts,
        }],
      },
    };
    // the workflow's artifactGC.podSpecPatch (JSON or YAML), merged as the workflow pods' podSpecPatch is
    if (podSpecPatch) {
      const patch = typeof podSpecPatch === 'string' ? (parseYaml(podSpecPatch) as Obj | null) : podSpecPatch;
      if (patch && typeof patch === 'object') pod.spec = mergePodSpec(pod.spec, patch);
    }
    try {
      await this.o.client.create(R.pods, ns, pod);
      this.log(`${ns}/${wf.metadata!.name}: artifact GC pod ${g.name} created (${g.items.length} artifact(s))`);
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
    }
  }
}

/** The GC pod's JSON lines: `{name, key, deleted | error}` by name and key. */
export function parseResults(logs: string): Map<string, { name: string; key?: string; deleted?: number; error?: string }> {
  const out = new Map<string, { name: string; key?: string; deleted?: number; error?: string }>();
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const r = JSON.parse(line) as { name?: string; key?: string; deleted?: number; error?: string };
      if (typeof r.name === 'string') out.set(`${r.name}\u0000${r.key ?? ''}`, r as { name: string });
    } catch {
      /* a log line */
    }
  }
  return out;
}
