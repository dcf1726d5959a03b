/**
 * Services as the node sees them: the ClusterIP table the service proxy serves, the cluster DNS
 * names, and the host-side listeners for NodePort and LoadBalancer Services.
 *
 * The table and the names are pure functions of Services and Endpoints; `HostPorts` is the I/O.
 */
import { createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AnyObject as KubeObject } from '@flotilla/kube-runtime';
import type { ServiceEntry } from './network.js';
import { relay, type RoundRobin } from './sockets.js';

export const CLUSTER_DOMAIN = 'cluster.local';

interface Backend {
  ip: string;
  port: number;
}

/** Ready endpoints of one Service port (matched by port name, as kube-proxy does). */
export function backendsFor(svcPort: any, ep: KubeObject | undefined): Backend[] {
  const out: Backend[] = [];
  const name = svcPort.name ?? '';
  const proto = svcPort.protocol ?? 'TCP';
  for (const ss of ep?.subsets ?? []) {
    const p = (ss.ports ?? []).find((x: any) => (x.name ?? '') === name && (x.protocol ?? 'TCP') === proto);
    if (!p) continue;
    for (const a of ss.addresses ?? []) out.push({ ip: a.ip, port: p.port });
  }
  return out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

export interface ServicePorts {
  /** ClusterIP:port → endpoints */
  entries: ServiceEntry[];
  /** host listeners: NodePorts on 127.0.0.1 and LoadBalancer ports (address chosen later) */
  nodePorts: { key: string; port: number; backends: Backend[]; name: string }[];
  loadBalancers: { key: string; uid: string; ns: string; svc: string; ports: { port: number; backends: Backend[]; name: string }[]; ingress?: string }[];
}

/**
 * The proxy's view of the cluster's Services: TCP and UDP ClusterIP ports; NodePorts and
 * LoadBalancers for TCP (SCTP is not proxied).
 */
export function serviceTable(services: Iterable<KubeObject>, endpoints: Map<string, KubeObject>): ServicePorts {
  const entries: ServiceEntry[] = [];
  const nodePorts: ServicePorts['nodePorts'] = [];
  const loadBalancers: ServicePorts['loadBalancers'] = [];
  for (const s of services) {
    const ns = s.metadata?.namespace;
    const name = s.metadata?.name;
    if (!ns || !name) continue;
    const type = s.spec?.type ?? 'ClusterIP';
    if (type === 'ExternalName') continue;
    const ep = endpoints.get(`${ns}/${name}`);
    const ip = s.spec?.clusterIP;
    const lbPorts: ServicePorts['loadBalancers'][number]['ports'] = [];
    for (const p of s.spec?.ports ?? []) {
      const proto = p.protocol ?? 'TCP';
      if (proto !== 'TCP' && proto !== 'UDP') continue;
      const backends = backendsFor(p, ep);
      const label = `${ns}/${name}:${p.name || p.port}`;
      if (proto === 'UDP') {
        if (ip && ip !== 'None') entries.push({ ip, port: p.port, backends, name: label, protocol: 'UDP' });
        continue;
      }
      if (ip && ip !== 'None') entries.push({ ip, port: p.port, backends, name: label });
      if ((type === 'NodePort' || type === 'LoadBalancer') && p.nodePort) nodePorts.push({ key: `np:${p.nodePort}`, port: p.nodePort, backends, name: label });
      if (type === 'LoadBalancer') lbPorts.push({ port: p.port, backends, name: label });
    }
    if (type === 'LoadBalancer' && lbPorts.length) {
      const ingress = (s.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip).find((x: any) => typeof x === 'string' && x.startsWith('127.'));
      loadBalancers.push({ key: `lb:${ns}/${name}`, uid: s.metadata?.uid, ns, svc: name, ports: lbPorts, ingress });
    }
  }
  return { entries, nodePorts, loadBalancers };
}

/**
 * Cluster DNS names: `svc.ns.svc.cluster.local` → ClusterIP (headless: the ready endpoints),
 * `hostname.svc.ns.svc.cluster.local` for endpoints with a hostname (StatefulSet pods),
 * ExternalName Services as `cname:<target>`.
 */
export function dnsRecords(services: Iterable<KubeObject>, endpoints: Map<string, KubeObject>): Record<string, string[]> {
  const r: Record<string, string[]> = {};
  const add = (n: string, ip: string) => {
    const k = n.toLowerCase();
    (r[k] ??= []).includes(ip) || r[k].push(ip);
  };
  for (const s of services) {
    const ns = s.metadata?.namespace;
    const name = s.metadata?.name;
    if (!ns || !name) continue;
    const base = `${name}.${ns}.svc.${CLUSTER_DOMAIN}`;
    if (s.spec?.type === 'ExternalName') {
      // a CNAME to the external name (netd resolves the target)
      if (s.spec.externalName) r[base.toLowerCase()] = [`cname:${String(s.spec.externalName).replace(/\.$/, '')}`];
      continue;
    }
    const ep = endpoints.get(`${ns}/${name}`);
    const ip = s.spec?.clusterIP;
    if (ip && ip !== 'None') add(base, ip);
    else r[base.toLowerCase()] ??= [];
    for (const ss of ep?.subsets ?? []) {
      const addrs = [...(ss.addresses ?? []), ...(s.spec?.publishNotReadyAddresses ? ss.notReadyAddresses ?? [] : [])];
      for (const a of addrs) {
        if (!ip || ip === 'None') add(base, a.ip);
        if (a.hostname) add(`${a.hostname}.${base}`, a.ip);
      }
    }
  }
  return r;
}

/** A pod's /etc/resolv.conf, as the kubelet writes it for dnsPolicy ClusterFirst. */
export function resolvConf(namespace: string, server: string, pod: any): string {
  const cfg = pod?.spec?.dnsConfig ?? {};
  const search = [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN, ...(cfg.searches ?? [])];
  const servers = pod?.spec?.dnsPolicy === 'None' ? cfg.nameservers ?? [] : [server, ...(cfg.nameservers ?? [])];
  const opts = new Map<string, string | undefined>([['ndots', '5']]);
  for (const o of cfg.options ?? []) opts.set(o.name, o.value);
  const lines = servers.map((s: string) => `nameserver ${s}`);
  lines.push(`search ${(pod?.spec?.dnsPolicy === 'None' ? cfg.searches ?? [] : search).join(' ')}`);
  lines.push(`options ${[...opts].map(([k, v]) => (v === undefined ? k : `${k}:${v}`)).join(' ')}`);
  return lines.join('\n') + '\n';
}

// ------------------------------------------------------------------------------- host listeners

interface HostListener extends RoundRobin {
  server: Server;
  name: string;
}

/**
 * NodePorts on 127.0.0.1 and LoadBalancer Services on an address of their own in 127.0.1.0/24
 * (written to the Service's status.loadBalancer.ingress): connections are spread round-robin over
 * the ready endpoints, dialled through the pod network.
 */
export class HostPorts {
  private readonly listeners = new Map<string, HostListener>();
  /** LoadBalancer Service key → its address */
  private readonly lbAddr = new Map<string, string>();
  private readonly failed = new Map<string, string>();

  constructor(
    private readonly dial: (ip: string, port: number) => Promise<Duplex>,
    private readonly log: (m: string) => void,
    private readonly publishIngress: (ns: string, name: string, ip: string | undefined) => void,
  ) {}

  async apply(t: ServicePorts): Promise<void> {
    const want = new Map<string, { host: string; port: number; backends: Backend[]; name: string }>();
    for (const np of t.nodePorts) want.set(`127.0.0.1:${np.port}`, { host: '127.0.0.1', port: np.port, backends: np.backends, name: np.name });
    const lbKeys = new Set(t.loadBalancers.map((l) => l.key));
    for (const k of [...this.lbAddr.keys()]) if (!lbKeys.has(k)) this.lbAddr.delete(k);
    for (const [k, v] of this.listeners) {
      if (!want.has(k) && !k.startsWith('127.0.1.')) {
        v.server.close();
        this.listeners.delete(k);
      }
    }
    for (const [k, w] of want) await this.ensure(k, w);
    // load balancers: all ports of a Service on one address
    const lbWanted = new Set<string>();
    for (const lb of t.loadBalancers) {
      let addr = this.lbAddr.get(lb.key) ?? lb.ingress;
      for (let attempt = 0; attempt < 254; attempt++) {
        if (!addr) addr = this.freeLbAddress();
        if (!addr) break;
        let ok = true;
        for (const p of lb.ports) {
          const k = `${addr}:${p.port}`;
          lbWanted.add(k);
          if (!(await this.ensure(k, { host: addr, port: p.port, backends: p.backends, name: p.name }, true))) ok = false;
        }
        if (ok) break;
        // taken (another cluster on this host): move to the next address
        for (const p of lb.ports) {
          const k = `${addr}:${p.port}`;
          lbWanted.delete(k);
          this.listeners.get(k)?.server.close();
          this.listeners.delete(k);
        }
        this.lbAddr.set(lb.key, '');
        addr = this.freeLbAddress(addr);
      }
      if (addr) this.lbAddr.set(lb.key, addr);
      if (addr !== lb.ingress) this.publishIngress(lb.ns, lb.svc, addr);
    }
    for (const [k, v] of this.listeners) {
      if (k.startsWith('127.0.1.') && !lbWanted.has(k)) {
        v.server.close();
        this.listeners.delete(k);
      }
    }
  }

  private freeLbAddress(after?: string): string | undefined {
    const used = new Set(this.lbAddr.values());
    const start = after ? Number(after.split('.')[3]) + 1 : 1;
    for (let i = start; i < 255; i++) {
      const a = `127.0.1.${i}`;
      if (!used.has(a)) return a;
    }
    return undefined;
  }

  /** Makes sure a listener exists; false when the address is taken. */
  private async ensure(key: string, w: { host: string; port: number; backends: Backend[]; name: string }, quiet = false): Promise<boolean> {
    const cur = this.listeners.get(key);
    if (cur) {
      cur.backends = w.backends;
      cur.name = w.name;
      return true;
    }
    const l: HostListener = { server: undefined as unknown as Server, backends: w.backends, next: 0, name: w.name };
    l.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (c) => {
      c.on('error', () => {});
      relay(l, c, this.dial);
    });
    const ok = await new Promise<boolean>((resolve) => {
      l.server.once('error', (e: NodeJS.ErrnoException) => {
        const msg = `cannot listen on ${key} for ${w.name}: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.message}`;
        if (!quiet && this.failed.get(key) !== msg) this.log(msg);
        this.failed.set(key, msg);
        resolve(false);
      });
      l.server.listen({ host: w.host, port: w.port }, () => resolve(true));
    });
    if (!ok) return false;
    this.failed.delete(key);
    l.server.on('error', (e) => this.log(`${key}: ${e.message}`));
    this.listeners.set(key, l);
    return true;
  }

  /** The address given to a LoadBalancer Service (tests, status). */
  addressOf(ns: string, name: string): string | undefined {
    return this.lbAddr.get(`lb:${ns}/${name}`) || undefined;
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((l) => new Promise<void>((r) => l.server.close(() => r()))));
    this.listeners.clear();
  }
}
