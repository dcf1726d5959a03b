// The state of one operate() pass: the node map being updated and what the pass asks for.
import type { Artifact, NodePhase, NodeStatus, NodeType, Outputs, Parameter, Template, TemplateRef, Workflow, WorkflowSpec, WorkflowTemplate } from '../types.js';
import { nodeId, podName } from './ids.js';
import type { ControllerConfig, NodeLock, OperateInput, PodObservation, PodToCreate, TemplateResolver } from './model.js';
import { attempts, isFulfilled, isPodType, leafProgress } from './model.js';
import type { Scope } from './vars.js';
import type { PlanMetric } from './custom-metrics.js';

export interface TemplateScope {
  /** `local/<workflow>` or `namespaced/<WorkflowTemplate>` / `cluster/<ClusterWorkflowTemplate>`. */
  key: string;
  templates: Template[];
}

export class OperateError extends Error {}

export class Ctx {
  readonly name: string;
  readonly nodes: Record<string, NodeStatus>;
  readonly nowISO: string;
  readonly nowMs: number;
  readonly podsToCreate: PodToCreate[] = [];
  readonly podsToDelete = new Set<string>();
  readonly newlyFulfilled = new Set<string>();
  requeueAfter: number | undefined;
  readonly global: Scope = {};
  readonly globalOutputs: Parameter[] = [];
  activePods = 0;
  /** Why no new work may start (deadline, shutdown); exit handlers may still run when `allowExit`. */
  stopping?: { message: string; allowExit: boolean };
  inExitHandler = false;
  /** Nodes this pass could not execute at all (their template could not be resolved or is not one), and why: the
   * entrypoint's or the exit handler's error ends the workflow in Error, as upstream's "error in … template execution". */
  readonly execErrors = new Map<string, string>();
  /** Template-level locks: taken through `acquireLock`, and held or waited for by the nodes of this pass. */
  acquireLock?: OperateInput['acquireLock'];
  readonly locksHeld: NodeLock[] = [];
  /** Custom metrics to emit once this pass's status is written (custom-metrics.ts), and why some could not be. */
  readonly metrics: PlanMetric[] = [];
  readonly metricErrors: string[] = [];
  readonly locksWaited: NodeLock[] = [];
  /** Nodes whose lock came in this pass after they waited: their pod is requested now. */
  readonly lockedNow = new Set<string>();
  /** Node durations by name from an earlier run of the same template: a new node's estimatedDuration. */
  estimates?: Record<string, number>;
  observedAll = false;

  constructor(
    readonly wf: Workflow,
    readonly spec: WorkflowSpec,
    nodes: Record<string, NodeStatus>,
    now: Date,
    readonly pods: Record<string, PodObservation>,
    readonly resolver: TemplateResolver | undefined,
    readonly configMaps: Record<string, Record<string, string>>,
    readonly config: ControllerConfig,
    readonly storedTemplates: Record<string, Template>,
  ) {
    this.name = wf.metadata.name ?? '';
    this.nodes = nodes;
    this.nowMs = now.getTime();
    this.nowISO = new Date(Math.floor(this.nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    // (a node waiting for its lock has no pod yet)
    for (const n of Object.values(nodes)) if (isPodType(n) && (n.phase === 'Pending' || n.phase === 'Running') && !n.message?.includes(' lock. Lock status: ')) this.activePods++;
  }

  private readonly ids = new Map<string, string>();

  id(nodeName: string): string {
    let id = this.ids.get(nodeName);
    if (id === undefined) this.ids.set(nodeName, (id = nodeId(this.name, nodeName)));
    return id;
  }

  get(nodeName: string): NodeStatus | undefined {
    return this.nodes[this.id(nodeName)];
  }

  private readonly podNames = new Map<string, string>();

  /** The pod name of a node (`podName`, remembered for the pass). */
  podName(nodeName: string, templateName: string | undefined): string {
    const k = `${nodeName}\u0000${templateName ?? ''}`;
    let n = this.podNames.get(k);
    if (n === undefined) this.podNames.set(k, (n = podName(this.name, nodeName, templateName)));
    return n;
  }

  /**
   * Pod nodes already walked in this pass and not fulfilled by it. Within a pass their pod's observation does not
   * change, so walking one again (a DAG or steps loop goes round once more when a task finished) would decide the
   * same: the walk returns the node as it is.
   */
  readonly walked = new Set<string>();

  init(nodeName: string, type: NodeType, o: { displayName?: string; boundaryID?: string; phase?: NodePhase; message?: string; templateName?: string; templateRef?: TemplateRef; scope?: string; parentId?: string }): NodeStatus {
    const id = this.id(nodeName);
    const existing = this.nodes[id];
    if (existing) return existing;
    const n: NodeStatus = {
      id,
      name: nodeName,
      displayName: o.displayName ?? nodeName,
      type,
      phase: o.phase ?? 'Running',
      startedAt: this.nowISO,
    };
    const est = this.estimates?.[nodeName];
    if (est !== undefined) n.estimatedDuration = est;
    if (o.templateName) n.templateName = o.templateName;
    if (o.templateRef) n.templateRef = o.templateRef;
    n.templateScope = o.scope ?? `local/${this.name}`;
    if (o.boundaryID) n.boundaryID = o.boundaryID;
    if (o.message) n.message = o.message;
    this.nodes[id] = n;
    if (isFulfilled(n)) this.finish(n, n.phase, n.message);
    if (o.parentId) this.link(o.parentId, id);
    return n;
  }

  /** parent id → its children as a set (built on first use in the pass: a wide DAG links hundreds of children) */
  private readonly childSets = new Map<string, Set<string>>();

  link(parentId: string, childId: string): void {
    const p = this.nodes[parentId];
    if (!p) return;
    p.children ??= [];
    let set = this.childSets.get(parentId);
    if (!set || set.size !== p.children.length) this.childSets.set(parentId, (set = new Set(p.children)));
    if (set.has(childId)) return;
    p.children.push(childId);
    set.add(childId);
  }

  /** Sets a node's phase (and finishedAt when it becomes fulfilled). */
  finish(n: NodeStatus, phase: NodePhase, message?: string): NodeStatus {
    const wasFulfilled = isFulfilled(n) && n.finishedAt !== undefined;
    n.phase = phase;
    if (message !== undefined) n.message = message;
    if (isFulfilled(n) && !wasFulfilled) {
      n.finishedAt = this.nowISO;
      this.newlyFulfilled.add(n.id);
      if (isPodType(n)) {
        const [done, total] = leafProgress(n);
        n.progress = `${done}/${total}`;
      }
      if (n.type === 'Steps' || n.type === 'DAG') this.stopDaemons(n.id);
    }
    return n;
  }

  /** Daemons end with the steps/dag that started them (or with the workflow, boundary undefined). */
  stopDaemons(boundaryID?: string): void {
    for (const d of Object.values(this.nodes)) {
      if (!d.daemoned || d.phase !== 'Running' || (boundaryID !== undefined && d.boundaryID !== boundaryID)) continue;
      if (d.type === 'Retry') {
        const last = attempts(this.nodes, d).pop();
        const child = last ? this.nodes[last] : undefined;
        if (child && child.phase === 'Running') {
          this.podsToDelete.add(this.podName(child.name, child.templateName ?? child.templateRef?.template));
          this.activePods--;
          this.finish(child, 'Succeeded');
        }
      } else {
        this.podsToDelete.add(this.podName(d.name, d.templateName ?? d.templateRef?.template));
        this.activePods--;
      }
      this.finish(d, 'Succeeded');
    }
  }

  requeue(seconds: number): void {
    const s = Math.max(1, Math.ceil(seconds));
    if (this.requeueAfter === undefined || s < this.requeueAfter) this.requeueAfter = s;
  }

  /** A WorkflowTemplate / ClusterWorkflowTemplate through the resolver. */
  lookupWorkflowTemplate(name: string, clusterScope: boolean): WorkflowTemplate | undefined {
    const r = this.resolver;
    if (!r) return undefined;
    if (typeof r === 'function') return r(name, clusterScope);
    return r[clusterScope ? `cluster/${name}` : name];
  }

  readonly globalArtifacts: Artifact[] = [];

  recordGlobalArtifacts(defs: Artifact[] | undefined, outputs: Outputs | undefined): void {
    for (const d of defs ?? []) {
      if (!d.globalName) continue;
      // only an artifact the node produced (a failed or skipped one's declaration is no artifact)
      const a = outputs?.artifacts?.find((x) => x.name === d.name);
      if (!a) continue;
      const entry = { ...a, name: d.globalName };
      delete entry.globalName;
      const i = this.globalArtifacts.findIndex((x) => x.name === d.globalName);
      if (i >= 0) this.globalArtifacts[i] = entry;
      else this.globalArtifacts.push(entry);
      this.global[`workflow.outputs.artifacts.${d.globalName}`] = JSON.stringify(entry);
    }
  }

  /** The workflow's global outputs recorded so far in this pass, into a scope copied before they were (a steps or
   * DAG template's): a later step reads `{{workflow.outputs.…}}` an earlier one of the same pass set. */
  refreshGlobals(scope: Scope): void {
    if (!this.globalOutputs.length && !this.globalArtifacts.length) return;
    for (const p of this.globalOutputs) scope[`workflow.outputs.parameters.${p.name}`] = p.value;
    for (const a of this.globalArtifacts) scope[`workflow.outputs.artifacts.${a.name}`] = this.global[`workflow.outputs.artifacts.${a.name}`];
  }

  recordGlobalOutputs(defs: Parameter[] | undefined, outputs: Outputs | undefined): void {
    for (const d of defs ?? []) {
      if (!d.globalName) continue;
      const v = outputs?.parameters?.find((p) => p.name === d.name)?.value;
      if (v === undefined) continue;
      const i = this.globalOutputs.findIndex((p) => p.name === d.globalName);
      const entry = { name: d.globalName, value: String(v) };
      if (i >= 0) this.globalOutputs[i] = entry;
      else this.globalOutputs.push(entry);
      this.global[`workflow.outputs.parameters.${d.globalName}`] = String(v);
    }
  }
}
