/**
 * Endpoints and EndpointSlices for Services with selectors: the matching pods that have an IP, ready
 * ones as addresses and the others as notReadyAddresses (all ready with publishNotReadyAddresses),
 * target ports resolved by name against the pods' container ports. Services without a selector
 * (their endpoints are managed by hand), ExternalName services and `default/kubernetes` are left
 * alone. `desiredEndpoints` / `desiredEndpointSlices` are the pure core.
 */
import { isAlreadyExists, isNotFound, R } from '@flotilla/kube-runtime';
import { Controller, splitKey, type ControllerContext, type ReconcileResult } from './controller.js';
import type { Informer } from '@flotilla/kube-runtime';
import { computeHash, deepEqual, isControlledBy, isPodReady, isPodTerminal, isTerminating, ownerRef, type Obj, type Pod } from './util.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
const MAX_ENDPOINTS_PER_SLICE = 100;

export function managesEndpoints(svc: Obj): boolean {
  if (svc.metadata?.namespace === 'default' && svc.metadata?.name === 'kubernetes') return false;
  if (svc.spec?.type === 'ExternalName') return false;
  return !!svc.spec?.selector && Object.keys(svc.spec.selector).length > 0;
}

function selects(svc: Obj, p: Pod): boolean {
  const sel: Record<string, string> = svc.spec?.selector ?? {};
  const l = p.metadata?.labels ?? {};
  return Object.entries(sel).every(([k, v]) => l[k] === v);
}

interface EpPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** The service's ports for one pod, named target ports resolved against its containers (a port that does not resolve is left out). */
export function resolvePorts(svc: Obj, pod: Pod): EpPort[] {
  const out: EpPort[] = [];
  for (const sp of (svc.spec?.ports ?? []) as any[]) {
    const protocol = sp.protocol ?? 'TCP';
    const tp = sp.targetPort ?? sp.port;
    let port: number | undefined;
    if (typeof tp === 'number' || /^[0-9]+$/.test(String(tp))) port = Number(tp);
    else {
      for (const c of pod.spec?.containers ?? []) for (const cp of c.ports ?? []) if (cp.name === tp && (cp.protocol ?? 'TCP') === protocol) port ??= Number(cp.containerPort);
    }
    if (port === undefined) continue;
    const ep: EpPort = { port, protocol };
    if (sp.name) ep.name = sp.name;
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out.sort((a, b) => String(a.name ?? '').localeCompare(String(b.name ?? '')) || a.port - b.port);
}

function podAddress(svc: Obj, p: Pod): Record<string, unknown> {
  const a: Record<string, unknown> = { ip: p.status.podIP };
  if (p.spec?.hostname && p.spec?.subdomain === svc.metadata?.name) a.hostname = p.spec.hostname;
  if (p.spec?.nodeName) a.nodeName = p.spec.nodeName;
  a.targetRef = { kind: 'Pod', namespace: p.metadata?.namespace, name: p.metadata?.name, uid: p.metadata?.uid };
  return a;
}

const byIp = (a: any, b: any) => String(a.ip).localeCompare(String(b.ip), 'en', { numeric: true }) || String(a.targetRef?.name).localeCompare(String(b.targetRef?.name));

/** Pure: the subsets of a Service's Endpoints. */
export function desiredEndpoints(svc: Obj, pods: Pod[]): Record<string, unknown>[] {
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  const headlessNoPorts = !(svc.spec?.ports ?? []).length;
  const groups = new Map<string, { ports: EpPort[]; addresses: any[]; notReadyAddresses: any[] }>();
  for (const p of pods) {
    if (!selects(svc, p) || !p.status?.podIP || isPodTerminal(p) || isTerminating(p)) continue;
    const ports = resolvePorts(svc, p);
    if (!ports.length && !headlessNoPorts) continue;
    const k = JSON.stringify(ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ports, addresses: [], notReadyAddresses: [] }));
    (publishNotReady || isPodReady(p) ? g.addresses : g.notReadyAddresses).push(podAddress(svc, p));
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, g]) => {
      const s: Record<string, unknown> = {};
      if (g.addresses.length) s.addresses = g.addresses.sort(byIp);
      if (g.notReadyAddresses.length) s.notReadyAddresses = g.notReadyAddresses.sort(byIp);
      if (g.ports.length) s.ports = g.ports;
      return s;
    });
}

function serviceLabels(svc: Obj): Record<string, string> {
  const l: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  if (svc.spec?.clusterIP === 'None') l[HEADLESS_LABEL] = '';
  return l;
}

export function endpointsObject(svc: Obj, pods: Pod[]): Obj {
  const subsets = desiredEndpoints(svc, pods);
  const o: Obj = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: svc.metadata!.name, namespace: svc.metadata!.namespace, labels: serviceLabels(svc), ownerReferences: [ownerRef(svc, R.services)] },
  };
  if (subsets.length) o.subsets = subsets;
  return o;
}

/** Pure: the EndpointSlices of a Service (one per address family and port set, 100 endpoints each). */
export function desiredEndpointSlices(svc: Obj, pods: Pod[]): Obj[] {
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  const headlessNoPorts = !(svc.spec?.ports ?? []).length;
  const groups = new Map<string, { family: string; ports: EpPort[]; endpoints: any[] }>();
  for (const p of pods) {
    if (!selects(svc, p) || !p.status?.podIP || isPodTerminal(p)) continue;
    const ports = resolvePorts(svc, p);
    if (!ports.length && !headlessNoPorts) continue;
    const ip = String(p.status.podIP);
    const family = ip.includes(':') ? 'IPv6' : 'IPv4';
    const k = `${family} ${JSON.stringify(ports)}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { family, ports, endpoints: [] }));
    const ready = isPodReady(p);
    const terminating = isTerminating(p);
    const ep: Record<string, unknown> = {
      addresses: [ip],
      conditions: { ready: (publishNotReady || ready) && !terminating, serving: publishNotReady || ready, terminating },
      targetRef: { kind: 'Pod', namespace: p.metadata?.namespace, name: p.metadata?.name, uid: p.metadata?.uid },
    };
    if (p.spec?.hostname && p.spec?.subdomain === svc.metadata?.name) ep.hostname = p.spec.hostname;
    if (p.spec?.nodeName) ep.nodeName = p.spec.nodeName;
    g.endpoints.push(ep);
  }
  const base = svc.metadata!.name!;
  const labels = { ...serviceLabels(svc), [SERVICE_NAME_LABEL]: base, [MANAGED_BY_LABEL]: MANAGED_BY };
  const mk = (name: string, addressType: string, endpoints: any[], ports?: EpPort[]): Obj => {
    const s: Obj = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, namespace: svc.metadata!.namespace, labels, ownerReferences: [ownerRef(svc, R.services)] },
      addressType,
      endpoints,
    };
    if (ports?.length) s.ports = ports;
    return s;
  };
  const out: Obj[] = [];
  for (const [k, g] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const h = computeHash(k);
    const eps = g.endpoints.sort((a, b) => String(a.addresses[0]).localeCompare(String(b.addresses[0]), 'en', { numeric: true }));
    for (let i = 0; i * MAX_ENDPOINTS_PER_SLICE < eps.length; i++) {
      out.push(mk(`${base}-${h}${i ? `-${i}` : ''}`, g.family, eps.slice(i * MAX_ENDPOINTS_PER_SLICE, (i + 1) * MAX_ENDPOINTS_PER_SLICE), g.ports));
    }
  }
  // no endpoints at all: one empty placeholder slice, as Kubernetes keeps
  if (!out.length) out.push(mk(`${base}-${computeHash('placeholder')}`, 'IPv4', []));
  return out;
}

export class EndpointsController extends Controller {
  readonly svcInf: Informer<Obj>;
  readonly podInf: Informer<Pod>;
  readonly epInf: Informer<Obj>;
  readonly sliceInf: Informer<Obj>;

  constructor(ctx: ControllerContext) {
    super('endpoint-controller', ctx, 4);
    this.svcInf = ctx.informers.for<Obj>(R.services);
    this.podInf = ctx.informers.for<Pod>(R.pods);
    this.epInf = ctx.informers.for<Obj>(R.endpoints);
    this.sliceInf = ctx.informers.for<Obj>(R.endpointslices);
    this.svcInf.on({ add: (o) => this.enqueue(o), update: (_a, b) => this.enqueue(b), delete: (o) => this.enqueue(o) });
    const podEv = (p: Pod) => {
      for (const s of this.svcInf.list(p.metadata?.namespace)) if (managesEndpoints(s) && selects(s, p)) this.enqueue(s);
    };
    this.podInf.on({
      add: podEv,
      update: (a, b) => {
        podEv(b);
        if (!deepEqual(a.metadata?.labels, b.metadata?.labels)) podEv(a);
      },
      delete: podEv,
    });
    this.epInf.on({ delete: (e) => this.enqueue(e), update: (_a, b) => this.enqueue(b) });
    const sliceEv = (s: Obj) => {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (svc && s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) this.enqueue(`${s.metadata?.namespace}/${svc}`);
    };
    this.sliceInf.on({ update: (_a, b) => sliceEv(b), delete: sliceEv });
  }

  protected primary(): Informer {
    return this.svcInf as Informer;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    const svc = this.svcInf.get(ns, name);
    const client = this.ctx.client;
    const mySlices = this.sliceInf.list(ns).filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === name && s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
    if (!svc || isTerminating(svc)) {
      // the Service is gone: its managed Endpoints and slices go too
      const ep = this.epInf.get(ns, name);
      if (ep && (ep.metadata?.ownerReferences ?? []).some((r) => r.kind === 'Service' && r.name === name)) await this.del(R.endpoints, ns, name);
      for (const s of mySlices) await this.del(R.endpointslices, ns, s.metadata!.name!);
      return;
    }
    if (!managesEndpoints(svc)) {
      for (const s of mySlices.filter((x) => isControlledBy(x, svc))) await this.del(R.endpointslices, ns, s.metadata!.name!);
      return;
    }
    const pods = this.podInf.list(ns);

    // Endpoints
    const want = endpointsObject(svc, pods);
    const cur = this.epInf.get(ns, name);
    if (!cur) {
      try {
        await client.create(R.endpoints, ns, want);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        return { requeueAfter: 100 };
      }
    } else if (!deepEqual(cur.subsets ?? [], want.subsets ?? []) || !deepEqual(cur.metadata?.labels ?? {}, want.metadata?.labels ?? {}) || !isControlledBy(cur, svc)) {
      const refs = (cur.metadata?.ownerReferences ?? []).filter((r) => r.controller !== true);
      await client.update(R.endpoints, { ...cur, metadata: { ...cur.metadata, labels: want.metadata!.labels, ownerReferences: [...refs, ...(want.metadata!.ownerReferences ?? [])] }, subsets: want.subsets });
    }

    // EndpointSlices
    const slices = desiredEndpointSlices(svc, pods);
    const existing = new Map(mySlices.map((s) => [s.metadata!.name!, s]));
    for (const s of slices) {
      const e = existing.get(s.metadata!.name!);
      existing.delete(s.metadata!.name!);
      if (!e) {
        try {
          await client.create(R.endpointslices, ns, s);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          return { requeueAfter: 100 };
        }
      } else if (!deepEqual([e.addressType, e.endpoints ?? [], e.ports ?? [], e.metadata?.labels], [s.addressType, s.endpoints, s.ports ?? [], s.metadata?.labels]) || !isControlledBy(e, svc)) {
        await client.update(R.endpointslices, { ...e, metadata: { ...e.metadata, labels: s.metadata!.labels, ownerReferences: s.metadata!.ownerReferences }, addressType: s.addressType, endpoints: s.endpoints, ports: s.ports });
      }
    }
    for (const s of existing.values()) await this.del(R.endpointslices, ns, s.metadata!.name!);
  }

  private async del(r: typeof R.endpoints, ns: string, name: string): Promise<void> {
    try {
      await this.ctx.client.delete(r, ns, name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
