/**
 * A scheduler: binds pending pods without a node to a Node that fits (nodeSelector / required node
 * affinity, `spec.unschedulable`, NoSchedule/NoExecute taints vs tolerations, resource requests vs
 * allocatable and the pod count), preferring the least loaded. Pods that fit nowhere stay Pending
 * with PodScheduled=False, reason Unschedulable and a message saying why.
 *
 * Volumes (the VolumeBinding plugin): a pod whose PersistentVolumeClaim is missing, being deleted,
 * or unbound (Immediate binding) waits, Unschedulable, and is retried when its claims change; bound
 * volumes with node affinity restrict the nodes; claims of WaitForFirstConsumer classes get the
 * chosen node in `volume.kubernetes.io/selected-node` and the pod is bound once they are.
 *
 * Binding uses the pods/binding subresource; if the API server does not serve it (404/405), the
 * scheduler falls back to setting spec.nodeName with a patch and PodScheduled=True in status.
 */
import { hostname } from 'node:os';
import { cpus, totalmem } from 'node:os';
import { ApiError, isConflict, isNotFound, R } from '@flotilla/kube-runtime';
import { Controller, splitKey, type ControllerContext, type ReconcileResult } from './controller.js';
import type { Informer } from '@flotilla/kube-runtime';
import { PVS, SELECTED_NODE_ANNOTATION, STORAGE_CLASSES } from './provisioner.js';
import { checkPodClaims, hostPorts, nodeScore, podFitsNode, podRequests, unschedulableMessage, volumeNodeReasons, type Resources } from './scheduling.js';
import { deepEqual, getCondition, isPodTerminal, isTerminating, rfc3339, setCondition, type Condition, type Obj, type Pod } from './util.js';

export interface NodeOption {
  name?: string;
  labels?: Record<string, string>;
  /** capacity (also allocatable), e.g. { cpu: '8', memory: '16Gi', pods: '110' }; defaults from this host */
  capacity?: Record<string, string>;
}

export interface SchedulerOptions {
  /** schedulerName values this scheduler serves (default ["default-scheduler"]) */
  schedulerNames?: string[];
  /** create a Node when the cluster has none (the node agent normally registers it) */
  createNode?: boolean | NodeOption;
  /** retry unschedulable pods at least this often (ms, default 15000) */
  retryMs?: number;
}

export const DEFAULT_NODE_NAME = 'flotilla-node';

/** Pure: choose a node for a pod, or explain why none fits (`extra`: more per-node reasons, e.g. volumes). */
export function schedulePod(pod: Pod, nodes: Obj[], podsByNode: Map<string, Pod[]>, extra?: (node: Obj) => string[]): { node?: string; message?: string } {
  const perNode: string[][] = [];
  let best: { name: string; score: number } | undefined;
  const req = podRequests(pod);
  for (const n of [...nodes].sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))) {
    if (isTerminating(n)) {
      perNode.push(['node(s) were being deleted']);
      continue;
    }
    const on = podsByNode.get(n.metadata!.name!) ?? [];
    const used: Resources = {};
    for (const p of on) for (const [k, v] of Object.entries(podRequests(p))) used[k] = (used[k] ?? 0) + v;
    const fit = podFitsNode(pod, n, used, on.length, on.flatMap(hostPorts));
    const more = extra ? extra(n) : [];
    if (!fit.fits || more.length) {
      perNode.push([...fit.reasons, ...more]);
      continue;
    }
    const score = nodeScore(n, used, req);
    if (!best || score < best.score) best = { name: n.metadata!.name!, score };
  }
  if (best) return { node: best.name };
  return { message: unschedulableMessage(nodes.length, perNode) };
}

export class Scheduler extends Controller {
  readonly podInf: Informer<Pod>;
  readonly nodeInf: Informer<Obj>;
  readonly pvcInf: Informer<Obj>;
  readonly pvInf: Informer<Obj>;
  readonly scInf: Informer<Obj>;
  private readonly names: Set<string>;
  /** pods bound by this scheduler that the cache does not show bound yet: key → node */
  private readonly assumed = new Map<string, { node: string; pod: Pod; at: number }>();
  private bindingServed: boolean | undefined;
  private readonly retryMs: number;

  constructor(
    ctx: ControllerContext,
    private readonly opts: SchedulerOptions = {},
  ) {
    super('default-scheduler', ctx, 1);
    this.names = new Set(opts.schedulerNames ?? ['default-scheduler']);
    this.retryMs = opts.retryMs ?? 15_000;
    this.podInf = ctx.informers.for<Pod>(R.pods);
    this.nodeInf = ctx.informers.for<Obj>(R.nodes);
    this.pvcInf = ctx.informers.for<Obj>(R.pvcs);
    this.pvInf = ctx.informers.for<Obj>(PVS);
    this.scInf = ctx.informers.for<Obj>(STORAGE_CLASSES);
    // pods waiting for a claim are retried when it changes (created, bound, deleted)
    const claimEvent = (c: Obj) => this.retryClaimUsers(c.metadata?.namespace, c.metadata?.name);
    this.pvcInf.on({ add: claimEvent, update: (_a, b) => claimEvent(b), delete: claimEvent });
    // (a volume may show up in the cache after the claim bound to it)
    const volumeEvent = (v: Obj) => this.retryClaimUsers(v.spec?.claimRef?.namespace, v.spec?.claimRef?.name);
    this.pvInf.on({ add: volumeEvent, update: (_a, b) => volumeEvent(b) });
    this.podInf.on({
      add: (p) => this.podEvent(p),
      update: (a, b) => {
        if (b.spec?.nodeName) this.assumed.delete(`${b.metadata?.namespace}/${b.metadata?.name}`);
        this.podEvent(b);
        // a pod that finished or is going frees room for the pending ones
        if (a.spec?.nodeName && (isPodTerminal(b) !== isPodTerminal(a) || (!a.metadata?.deletionTimestamp && b.metadata?.deletionTimestamp))) this.retryPending();
      },
      delete: (p) => {
        this.assumed.delete(`${p.metadata?.namespace}/${p.metadata?.name}`);
        if (p.spec?.nodeName) this.retryPending();
      },
    });
    this.nodeInf.on({ add: () => this.retryPending(), update: () => this.retryPending(), delete: () => this.retryPending() });
  }

  protected primary(): Informer {
    return this.podInf as Informer;
  }

  private wants(p: Pod): boolean {
    return !p.spec?.nodeName && this.names.has(p.spec?.schedulerName ?? 'default-scheduler') && !isTerminating(p) && !isPodTerminal(p);
  }

  private podEvent(p: Pod): void {
    if (this.wants(p)) this.enqueue(p);
  }

  private retryPending(): void {
    for (const p of this.podInf.list()) if (this.wants(p)) this.enqueue(p);
  }

  private retryClaimUsers(ns: string | undefined, claim: string | undefined): void {
    if (!ns || !claim) return;
    for (const p of this.podInf.list(ns))
      if (this.wants(p) && ((p.spec?.volumes ?? []) as any[]).some((v) => v?.persistentVolumeClaim?.claimName === claim)) this.enqueue(p);
  }

  override async start(): Promise<void> {
    await this.ctx.informers.waitForSync();
    if (this.opts.createNode && this.nodeInf.list().length === 0) await this.registerNode(typeof this.opts.createNode === 'object' ? this.opts.createNode : {});
    await super.start();
  }

  /** Creates a Node object with capacity (only asked for when no node agent registers one). */
  async registerNode(o: NodeOption): Promise<void> {
    const name = o.name ?? DEFAULT_NODE_NAME;
    const capacity = o.capacity ?? { cpu: String(cpus().length || 1), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110', 'ephemeral-storage': '100Gi' };
    const client = this.ctx.client;
    let node: Obj;
    try {
      node = await client.create<Obj>(R.nodes, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch, ...(o.labels ?? {}) } },
        spec: {},
      });
    } catch (e) {
      if (e instanceof ApiError && e.code === 409) return;
      throw e;
    }
    const now = rfc3339(this.ctx.clock.now());
    node.status = {
      capacity,
      allocatable: capacity,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'FlotillaNodeRegistered', message: 'registered by the Flotilla scheduler (no node agent heartbeat)', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: hostname() },
      ],
      nodeInfo: { operatingSystem: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch, kubeletVersion: 'v1.32.0-flotilla', containerRuntimeVersion: 'flotilla://0.1', kernelVersion: '', osImage: 'Flotilla', kubeProxyVersion: '', machineID: '', systemUUID: '', bootID: '' },
    };
    await client.update(R.nodes, node, 'status');
    this.log(`registered node ${name}`);
  }

  private podsByNode(): Map<string, Pod[]> {
    const m = new Map<string, Pod[]>();
    for (const p of this.podInf.list()) {
      const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
      const n = p.spec?.nodeName ?? this.assumed.get(key)?.node;
      if (!n || isPodTerminal(p)) continue;
      let l = m.get(n);
      if (!l) m.set(n, (l = []));
      l.push(p);
    }
    return m;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    const pod = this.podInf.get(ns, name);
    if (!pod || !this.wants(pod)) return;
    const a = this.assumed.get(key);
    if (a) {
      if (a.pod.metadata?.uid === pod.metadata?.uid && Date.now() - a.at < 30_000) return { requeueAfter: 1000 };
      this.assumed.delete(key);
    }
    if ((pod.spec?.schedulingGates ?? []).length) {
      // gated pods wait for their gates to be removed (an update re-enqueues them)
      await this.setUnschedulable(pod, 'SchedulingGated', 'Scheduling is blocked due to non-empty scheduling gates');
      return;
    }
    const nodes = this.nodeInf.list();
    const claims = checkPodClaims(
      pod,
      (n) => this.pvcInf.get(ns, n),
      (n) => this.pvInf.get(undefined, n),
      (n) => this.scInf.get(undefined, n),
    );
    if (claims.blocking) {
      const msg = `0/${nodes.length} nodes are available: ${claims.blocking}.`;
      if (await this.setUnschedulable(pod, 'Unschedulable', msg)) this.events.event(pod, 'Warning', 'FailedScheduling', msg);
      return { requeueAfter: this.retryMs };
    }
    const res = schedulePod(pod, nodes, this.podsByNode(), claims.volumes.length ? (n) => volumeNodeReasons(claims.volumes, n) : undefined);
    if (res.node && claims.delayed.length) {
      // WaitForFirstConsumer: the claims are provisioned for the chosen node, then the pod is bound
      for (const c of claims.delayed) {
        if (c.metadata?.annotations?.[SELECTED_NODE_ANNOTATION]) continue;
        await this.ctx.client.patch(R.pvcs, ns, c.metadata!.name!, { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: res.node } } });
      }
      return { requeueAfter: this.retryMs };
    }
    if (res.node) {
      await this.bind(pod, res.node);
      this.assumed.set(key, { node: res.node, pod, at: Date.now() });
      this.events.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${res.node}`);
      return;
    }
    if (await this.setUnschedulable(pod, 'Unschedulable', res.message!)) this.events.event(pod, 'Warning', 'FailedScheduling', res.message!);
    return { requeueAfter: this.retryMs };
  }

  /** PodScheduled=False with a reason; true when the condition changed. */
  private async setUnschedulable(pod: Pod, reason: string, message: string): Promise<boolean> {
    const conds = setCondition(pod.status?.conditions as Condition[], { type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null }, rfc3339(this.ctx.clock.now()));
    if (deepEqual(conds, pod.status?.conditions ?? [])) return false;
    await this.ctx.client.update(R.pods, { ...pod, status: { ...(pod.status ?? {}), conditions: conds } }, 'status');
    return true;
  }

  private async bind(pod: Pod, node: string): Promise<void> {
    const client = this.ctx.client;
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    if (this.bindingServed !== false) {
      try {
        await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}/binding`, {
          body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns, uid: pod.metadata?.uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
        });
        this.bindingServed = true;
        return;
      } catch (e) {
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 405) && !isNotFoundPod(e))) throw e;
        this.bindingServed = false;
        this.log('pods/binding is not served: binding by setting spec.nodeName');
      }
    }
    // fallback: set spec.nodeName (allowed once on an unbound pod), then PodScheduled=True
    let bound: Pod;
    try {
      bound = await client.request<Pod>('PATCH', `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`, {
        body: [
          { op: 'test', path: '/metadata/uid', value: pod.metadata?.uid },
          { op: 'add', path: '/spec/nodeName', value: node },
        ],
        contentType: 'application/json-patch+json',
      });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const conds = setCondition(bound.status?.conditions as Condition[], { type: 'PodScheduled', status: 'True', lastProbeTime: null } as Condition, rfc3339(this.ctx.clock.now()));
    const cur = getCondition(conds, 'PodScheduled');
    if (cur) {
      delete cur.reason;
      delete cur.message;
    }
    try {
      await client.update(R.pods, { ...bound, status: { ...(bound.status ?? {}), conditions: conds } }, 'status');
    } catch (e) {
      if (!isConflict(e) && !isNotFound(e)) throw e;
    }
  }
}

/** A 404 about the pod itself (deleted meanwhile), as opposed to the subresource not existing. */
function isNotFoundPod(e: ApiError): boolean {
  const d = (e.status as { details?: { kind?: string } } | undefined)?.details;
  return e.code === 404 && d?.kind === 'pods';
}
