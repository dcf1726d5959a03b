/**
 * Node fitting as pure functions: resource quantities, node selectors and affinity, taints and
 * tolerations, resource requests against allocatable. Used by the scheduler and the DaemonSet
 * controller.
 */
import type { Obj, Pod } from './util.js';

// ------------------------------------------------------------------------------------ quantities

const BIN: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DEC: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A resource.Quantity ("100m", "1.5", "128Mi", "1e3") as a number of base units; NaN if malformed. */
export function parseQuantity(q: unknown): number {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return NaN;
  const m = /^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|n|u|m|k|M|G|T|P|E)?$/.exec(q.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  const s = m[2] ?? '';
  if (s in BIN) return n * BIN[s];
  if (s in DEC) return n * DEC[s];
  if (/^[eE]/.test(s)) return n * 10 ** Number(s.slice(1));
  return NaN;
}

export type Resources = Record<string, number>;

function addInto(a: Resources, b: Record<string, unknown> | undefined): void {
  for (const [k, v] of Object.entries(b ?? {})) {
    const n = parseQuantity(v);
    if (Number.isFinite(n)) a[k] = (a[k] ?? 0) + n;
  }
}

/** What a pod asks for: the larger of its containers' sum and its largest init container, plus overhead. */
export function podRequests(p: Pod): Resources {
  const spec = p.spec ?? {};
  const sum: Resources = {};
  for (const c of spec.containers ?? []) addInto(sum, c.resources?.requests);
  // restartable (sidecar) init containers run alongside the others
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') addInto(sum, c.resources?.requests);
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') continue;
    const r: Resources = {};
    addInto(r, c.resources?.requests);
    for (const [k, v] of Object.entries(r)) if (v > (sum[k] ?? 0)) sum[k] = v;
  }
  addInto(sum, spec.overhead);
  return sum;
}

export function nodeAllocatable(n: Obj): Resources {
  const out: Resources = {};
  addInto(out, n.status?.allocatable ?? n.status?.capacity);
  return out;
}

// ------------------------------------------------------------------------------ selectors/affinity

interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

function matchRequirement(r: NodeSelectorRequirement, get: (k: string) => string | undefined): boolean {
  const v = get(r.key);
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return v !== undefined && vals.includes(v);
    case 'NotIn':
      return v === undefined || !vals.includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
    case 'Lt': {
      if (v === undefined || vals.length !== 1) return false;
      const a = Number(v);
      const b = Number(vals[0]);
      if (!Number.isInteger(a) || !Number.isInteger(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** A NodeSelectorTerm: all its requirements hold (an empty term matches nothing). */
export function matchNodeSelectorTerm(term: { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }, node: Obj): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels: Record<string, string> = node.metadata?.labels ?? {};
  for (const r of exprs) if (!matchRequirement(r, (k) => labels[k])) return false;
  for (const r of fields) if (!matchRequirement(r, (k) => (k === 'metadata.name' ? node.metadata?.name : undefined))) return false;
  return true;
}

/** nodeSelector and required node affinity. */
export function matchesNodeSelectorAndAffinity(spec: any, node: Obj): boolean {
  const labels: Record<string, string> = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries((spec?.nodeSelector ?? {}) as Record<string, string>)) if (labels[k] !== v) return false;
  const req = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) {
    const terms = req.nodeSelectorTerms ?? [];
    if (!terms.some((t: any) => matchNodeSelectorTerm(t, node))) return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------------ taints

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** The first taint with one of `effects` that no toleration tolerates. */
export function untoleratedTaint(node: Obj, tolerations: Toleration[], effects: string[]): Taint | undefined {
  for (const taint of (node.spec?.taints ?? []) as Taint[]) {
    if (!effects.includes(taint.effect)) continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return taint;
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------- fit

export interface FitResult {
  fits: boolean;
  /** why not, in the scheduler's wording (one reason per failed check) */
  reasons: string[];
}

export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

/** The host ports a pod asks for, as "protocol/ip/port". */
export function hostPorts(p: Pod): string[] {
  const out: string[] = [];
  for (const c of [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])])
    for (const cp of c.ports ?? []) if (cp.hostPort) out.push(`${cp.protocol ?? 'TCP'}/${cp.hostIP || '0.0.0.0'}/${cp.hostPort}`);
  return out;
}

function portsConflict(a: string, b: string): boolean {
  const [pa, ia, na] = a.split('/');
  const [pb, ib, nb] = b.split('/');
  return pa === pb && na === nb && (ia === ib || ia === '0.0.0.0' || ib === '0.0.0.0');
}

/** Whether a pod fits a node, given what the pods already there request (and their host ports). */
export function podFitsNode(pod: Pod, node: Obj, used: Resources, podsOnNode: number, usedPorts: string[] = []): FitResult {
  const reasons: string[] = [];
  const spec = pod.spec ?? {};
  const tolerations: Toleration[] = spec.tolerations ?? [];
  if (node.spec?.unschedulable && !tolerations.some((t) => tolerates(t, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' }))) reasons.push('node(s) were unschedulable');
  if (!matchesNodeSelectorAndAffinity(spec, node)) reasons.push("node(s) didn't match Pod's node affinity/selector");
  const taint = untoleratedTaint(node, tolerations, ['NoSchedule', 'NoExecute']);
  if (taint) reasons.push(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  const want = hostPorts(pod);
  if (want.some((w) => usedPorts.some((u) => portsConflict(w, u)))) reasons.push("node(s) didn't have free ports for the requested pod ports");
  const alloc = nodeAllocatable(node);
  const req = podRequests(pod);
  if (alloc.pods !== undefined && podsOnNode + 1 > alloc.pods) reasons.push('Too many pods');
  for (const [k, v] of Object.entries(req)) {
    if (v <= 0) continue;
    const have = alloc[k];
    if (have === undefined) {
      // cpu/memory/ephemeral-storage unset on a node means "not reported": do not guess
      if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') continue;
      reasons.push(`Insufficient ${k}`);
      continue;
    }
    if ((used[k] ?? 0) + v > have + 1e-9) reasons.push(`Insufficient ${k}`);
  }
  return { fits: reasons.length === 0, reasons };
}

/** "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector." */
export function unschedulableMessage(total: number, perNode: string[][]): string {
  if (total === 0) return 'no nodes available to schedule pods';
  const counts = new Map<string, number>();
  for (const rs of perNode) for (const r of new Set(rs)) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts.entries()].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${total} nodes are available: ${parts.join(', ')}.`;
}

/** Lower is better: the node's fraction of cpu and memory in use after placing the pod. */
export function nodeScore(node: Obj, used: Resources, req: Resources): number {
  const alloc = nodeAllocatable(node);
  let s = 0;
  for (const k of ['cpu', 'memory']) {
    const a = alloc[k];
    if (!a) continue;
    s += ((used[k] ?? 0) + (req[k] ?? 0)) / a;
  }
  return s;
}

// ----------------------------------------------------------------------------------------- volumes

/** What a pod's PersistentVolumeClaims say about scheduling it (Kubernetes' VolumeBinding plugin). */
export interface ClaimCheck {
  /** why the pod cannot be scheduled at all (a claim missing, being deleted, or unbound with Immediate binding) */
  blocking?: string;
  /** unbound claims of WaitForFirstConsumer classes: provisioned once the pod has a node */
  delayed: Obj[];
  /** the bound claims' volumes (undefined: bound to a volume that does not exist) */
  volumes: (Obj | undefined)[];
}

/** Pure: checks the claims a pod mounts (`persistentVolumeClaim` volumes). */
export function checkPodClaims(
  pod: Pod,
  getClaim: (name: string) => Obj | undefined,
  getVolume: (name: string) => Obj | undefined,
  getClass: (name: string) => Obj | undefined,
): ClaimCheck {
  const out: ClaimCheck = { delayed: [], volumes: [] };
  let unboundImmediate = false;
  const seen = new Set<string>();
  for (const v of (pod.spec?.volumes ?? []) as any[]) {
    const name = v?.persistentVolumeClaim?.claimName;
    if (typeof name !== 'string' || seen.has(name)) continue;
    seen.add(name);
    const pvc = getClaim(name);
    if (!pvc) return { ...out, blocking: `persistentvolumeclaim "${name}" not found` };
    if (pvc.metadata?.deletionTimestamp) return { ...out, blocking: `persistentvolumeclaim "${name}" is being deleted` };
    const volumeName = pvc.spec?.volumeName;
    if (volumeName && pvc.status?.phase === 'Bound') {
      out.volumes.push(getVolume(volumeName));
      continue;
    }
    const cls = pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'];
    const sc = cls ? getClass(cls) : undefined;
    if (!volumeName && sc && (sc as any).volumeBindingMode === 'WaitForFirstConsumer') out.delayed.push(pvc);
    else unboundImmediate = true;
  }
  if (unboundImmediate) out.blocking = 'pod has unbound immediate PersistentVolumeClaims';
  return out;
}

/** Per node: the reasons the pod's bound volumes rule it out (a missing volume, volume node affinity). */
export function volumeNodeReasons(volumes: (Obj | undefined)[], node: Obj): string[] {
  const reasons: string[] = [];
  for (const pv of volumes) {
    if (!pv) {
      reasons.push('node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)');
      continue;
    }
    const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
    if (Array.isArray(terms) && terms.length && !terms.some((t: any) => matchNodeSelectorTerm(t, node))) reasons.push('node(s) had volume node affinity conflict');
  }
  return [...new Set(reasons)];
}
