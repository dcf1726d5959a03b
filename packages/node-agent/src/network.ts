/**
 * Pod networking (see docs/networking.md).
 *
 * `netns` mode (root with iproute2 and nsenter): the agent creates a node network namespace
 * holding a bridge (10.244.0.1/16) and one network namespace per pod, joined to the bridge by a
 * veth pair; every pod has its own address and port space. The Service range is routed to the
 * node namespace itself, where the helper process netd (./netd.ts) proxies ClusterIP:port to
 * ready endpoints and answers cluster DNS. The host sees none of it: nothing is added to the
 * host's network namespace, and the host reaches pods only through the agent (NodePorts,
 * LoadBalancer addresses on 127.0.1.x, port-forward, probes).
 *
 * `host` mode (fallback): pods share the host's network namespace with a loopback address each.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { join, dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FromNetd, ServiceEntry, ToNetd } from './netd.js';
import { dialTcp, readLine } from './sockets.js';
import { findTool, sh } from './tools.js';
import { runToEnd } from './spawner.js';
import { Batches } from './batches.js';
import { serveHostBridge } from './host-bridge.js';
import { detectEgress, Egress, HOST_NAME, hostNetworks, pickEgressCidr } from './egress.js';

export type { ServiceEntry } from './netd.js';

export interface PodNetwork {
  readonly mode: 'netns' | 'host';
  /** cluster DNS server for pods' resolv.conf (netns mode) */
  readonly dnsServer?: string;
  /** the address `host.flotilla.internal` resolves to in pods (reaches the host's loopback) */
  readonly hostAddress?: string;
  /** opens a TCP connection to ip:port as seen from the pod network */
  dial(ip: string, port: number): Promise<Duplex>;
  /** creates (or finds again) the pod's network with this address */
  setup(uid: string, ip: string): Promise<void>;
  /** removes the pod's network */
  teardown(uid: string, ip: string): Promise<void>;
  /** argv prefix that runs a command inside the pod's network */
  wrap(uid: string): string[];
  /** the Service table (ClusterIP:port → ready endpoints) */
  setServices(list: ServiceEntry[]): void;
  /** cluster DNS names → addresses */
  setDns(records: Record<string, string[]>): void;
  /** pod network namespaces this agent made that are not in `keep` (left by a crash) */
  sweep(keep: Set<string>): Promise<void>;
  /** stops the helper; `removeAll` also deletes the namespaces */
  stop(removeAll: boolean): Promise<void>;
}

/** Pods share the host's network namespace: pod addresses are host loopback addresses. */
export class HostNetwork implements PodNetwork {
  readonly mode = 'host' as const;
  readonly hostAddress = '127.0.0.1';
  dial(ip: string, port: number): Promise<Duplex> {
    return dialTcp(ip, port);
  }
  async setup(): Promise<void> {}
  async teardown(): Promise<void> {}
  wrap(): string[] {
    return [];
  }
  setServices(): void {}
  setDns(): void {}
  async sweep(): Promise<void> {}
  async stop(): Promise<void> {}
}

/** Whether network namespaces can be made here; the reason when not. */
export function detectNetns(): { ip?: string; nsenter?: string; reason?: string } {
  if (process.platform !== 'linux') return { reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { reason: 'creating network namespaces needs root (the agent runs as an unprivileged user)' };
  const ip = findTool('ip');
  if (!ip) return { reason: 'iproute2 (`ip`) is not installed (apt-get install iproute2)' };
  const nsenter = findTool('nsenter');
  if (!nsenter) return { reason: '`nsenter` (util-linux) is not installed' };
  const probe = `flprobe-${process.pid}`;
  const r = spawnSync(ip, ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return { reason: `cannot create a network namespace: ${(r.stderr || r.error?.message || '').trim()}` };
  spawnSync(ip, ['netns', 'del', probe]);
  return { ip, nsenter };
}

const NETD = join(dirname(fileURLToPath(import.meta.url)), 'netd.js');
const HOST_BRIDGE = join(dirname(fileURLToPath(import.meta.url)), 'host-bridge-main.js');
const NETNS_DIR = '/run/netns';
export const BRIDGE_IP = '10.244.0.1';
export const POD_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/12';

/**
 * `ip -batch -` (in namespace `ns` when given): `lines` must succeed, `tolerated` may fail
 * (with -force the batch goes on after a failed line).
 */
function ipBatch(ip: string, lines: string[], tolerated: string[] = [], ns?: string, force = true): Promise<void> {
  const all = [...tolerated, ...lines];
  if (!all.length) return Promise.resolve();
  return runToEnd({ file: ip, args: [...(ns ? ['-n', ns] : []), ...(force ? ['-force'] : []), '-batch', '-'], input: all.join('\n') + '\n', capture: true }).then(({ code, stderr: err }) => {
    if (code === 0 || (tolerated.length && !lines.length)) return;
    // with -force, failures of tolerated lines are expected; a failed required line is reported
    const bad = err
      .split('\n')
      .filter((l) => l.trim() && !/^Command failed -:(\d+)$/.test(l.trim()))
      .join('; ');
    const failedLines = [...err.matchAll(/Command failed -:(\d+)/g)].map((m) => Number(m[1]));
    if (failedLines.every((n) => n <= tolerated.length)) return;
    throw new Error(bad || `ip exited with ${code}`);
  });
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Shell step that pins the bridge's MAC address to the one it has now. A Linux bridge whose address
 * was never set takes the lowest MAC of its ports and changes it whenever that port leaves: every
 * other pod still has the old address cached for its gateway (10.244.0.1), and everything it sends
 * to ClusterIPs (the API server), DNS and the outside is dropped until the pod's ARP entry
 * expires and is probed again — 20 to 60 s without an answer on an established connection. An
 * address set explicitly never changes. Idempotent; on a bridge that already carries pods it
 * keeps the address they have cached.
 */
export function pinBridgeMac(ip: string, ns: string, dev = 'br0'): string {
  return `mac=$(${ip} -n ${ns} -o link show ${dev} | sed -n 's#.* link/ether \\([0-9a-f:]*\\) .*#\\1#p') && [ -n "$mac" ] && ${ip} -n ${ns} link set ${dev} address "$mac"`;
}

/** A pod network asked for and not made yet. */
type PendingSetup = { uid: string; podIp: string; resolve: () => void; reject: (e: Error) => void };

export interface NetnsOptions {
  /** distinguishes this agent's namespaces from other agents' on the host (from the data dir) */
  id: string;
  ip: string;
  nsenter: string;
  log: (m: string) => void;
}

export class NetnsNetwork implements PodNetwork {
  readonly mode = 'netns' as const;
  readonly dnsServer = BRIDGE_IP;
  readonly nodeNs: string;
  private readonly sockDir: string;
  private netd?: ChildProcess;
  private hostServer?: Server;
  private hostBridge?: ChildProcess;
  private egress?: Egress;
  private services: ServiceEntry[] = [];
  private dns: Record<string, string[]> = {};
  private stopped = false;
  private restarts = 0;

  private constructor(private readonly o: NetnsOptions) {
    this.nodeNs = `fl-${o.id}`;
    this.sockDir = join('/run/flotilla', o.id);
  }

  /** Ids are short hashes: veth and namespace names stay within the kernel's limits. */
  static idFor(dataDir: string): string {
    return createHash('sha256').update(dataDir).digest('hex').slice(0, 8);
  }

  static async start(o: NetnsOptions): Promise<NetnsNetwork> {
    const n = new NetnsNetwork(o);
    await n.ensureNodeNs();
    mkdirSync(n.sockDir, { recursive: true, mode: 0o700 });
    await n.startHostBridge();
    await n.startEgress();
    await n.startNetd();
    return n;
  }

  get hostAddress(): string | undefined {
    return this.egress?.gateway;
  }

  /**
   * Egress (./egress.ts): slirp4netns gives the node namespace a way out and the host's loopback
   * at its gateway address. Without it pods still work, but reach nothing outside the cluster.
   */
  private async startEgress(): Promise<void> {
    const warn = (why: string) =>
      this.o.log(`WARNING: ${why}: pods cannot reach addresses outside the cluster, nor the host as ${HOST_NAME}. Install slirp4netns and nftables (scripts/system-deps.sh does) to give them a way out.`);
    const tools = detectEgress();
    if (tools.reason) return warn(tools.reason);
    const cidr = pickEgressCidr([...hostNetworks(), POD_CIDR, SERVICE_CIDR]);
    if (!cidr) return warn('every network slirp4netns could use overlaps one of the host');
    try {
      this.egress = await Egress.start({ tools: tools as Required<typeof tools>, ip: this.o.ip, nsenter: this.o.nsenter, nsPath: join(NETNS_DIR, this.nodeNs), podCidr: POD_CIDR, cidr, log: this.o.log });
      this.o.log(`pod egress: slirp4netns on ${cidr}; pods reach the host's 127.0.0.1 as ${HOST_NAME} (${this.egress.gateway})`);
    } catch (e) {
      warn(`setting up pod egress failed (${(e as Error).message})`);
    }
  }

  /** Cluster DNS records plus host.flotilla.internal. */
  private dnsRecords(): Record<string, string[]> {
    const gw = this.hostAddress;
    return gw ? { ...this.dns, [HOST_NAME]: [gw] } : this.dns;
  }

  private podNs(uid: string): string {
    return `fl-${this.o.id}-${uid}`;
  }

  /** the host-side (node namespace) end of a pod's veth pair */
  static vethFor(ip: string): string {
    const [, , a, b] = ip.split('.').map(Number);
    return `vh${(a * 256 + b).toString(16)}`;
  }

  private async ensureNodeNs(): Promise<void> {
    const ns = this.nodeNs;
    const ip = this.o.ip;
    if (!existsSync(join(NETNS_DIR, ns))) await sh(`${ip} netns add ${ns}`);
    // idempotent: each step tolerates "exists"
    await sh(
      [
        `${ip} -n ${ns} link set lo up`,
        `${ip} -n ${ns} link show br0 >/dev/null 2>&1 || ${ip} -n ${ns} link add br0 type bridge`,
        `${ip} -n ${ns} addr show dev br0 | grep -q ' ${BRIDGE_IP}/' || ${ip} -n ${ns} addr add ${BRIDGE_IP}/16 dev br0`,
        pinBridgeMac(ip, ns),
        `${ip} -n ${ns} link set br0 up`,
        `${ip} -n ${ns} route show table local | grep -q '^local ${SERVICE_CIDR} ' || ${ip} -n ${ns} route add local ${SERVICE_CIDR} dev lo`,
      ].join(' && '),
    );
  }

  /**
   * host.sock (./host-bridge.ts): netd reaches host loopback (the API server) through a process of
   * its own — or, when that cannot start, through the agent itself.
   */
  private async startHostBridge(): Promise<void> {
    const path = join(this.sockDir, 'host.sock');
    try {
      this.hostBridge = await this.spawnHostBridge(path);
    } catch (e) {
      this.o.log(`host bridge: ${(e as Error).message}: the agent relays host.sock itself`);
      this.hostServer = await serveHostBridge(path);
    }
  }

  private spawnHostBridge(path: string): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['--max-semi-space-size=4', HOST_BRIDGE, path], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let ready = false;
      p.on('message', (m: { t?: string }) => {
        if (m?.t !== 'ready' || ready) return;
        ready = true;
        p.unref();
        (p.channel as { unref?: () => void } | undefined)?.unref?.();
        resolve(p);
      });
      p.on('error', (e) => {
        if (!ready) reject(new Error(`starting the host bridge: ${e.message}`));
      });
      p.on('exit', (code, sig) => {
        if (!ready) {
          reject(new Error(`the host bridge exited (${sig ?? code}) before it was ready`));
          return;
        }
        if (this.hostBridge === p) this.hostBridge = undefined;
        if (this.stopped) return;
        this.o.log(`host bridge exited (${sig ?? code}); restarting`);
        setTimeout(() => {
          if (!this.stopped && !this.hostBridge) void this.startHostBridge();
        }, 200).unref();
      });
    });
  }

  private startNetd(): Promise<void> {
    return new Promise((resolve, reject) => {
      const p = spawn(this.o.nsenter, [`--net=${join(NETNS_DIR, this.nodeNs)}`, '--', process.execPath, NETD, this.sockDir, BRIDGE_IP], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      this.netd = p;
      let ready = false;
      p.on('message', (m: FromNetd) => {
        if (m.t === 'ready') {
          ready = true;
          this.send({ t: 'services', list: this.services });
          this.send({ t: 'dns', records: this.dnsRecords() });
          resolve();
        } else if (m.t === 'log') this.o.log(`netd: ${m.msg}`);
        else if (m.t === 'listen-error') this.o.log(`service ${m.name}: cannot listen: ${m.msg}`);
        else if (m.t === 'lookup') {
          lookup(m.name, { all: true, family: 4 }).then(
            (a) => this.send({ t: 'lookup-result', id: m.id, addrs: a.map((x) => x.address) }),
            () => this.send({ t: 'lookup-result', id: m.id, addrs: [] }),
          );
        }
      });
      p.on('error', (e) => {
        if (!ready) reject(new Error(`starting the network helper: ${e.message}`));
      });
      p.on('exit', (code, sig) => {
        if (this.netd === p) this.netd = undefined;
        if (!ready) {
          reject(new Error(`the network helper exited (${sig ?? code}) before it was ready`));
          return;
        }
        if (this.stopped) return;
        this.o.log(`network helper exited (${sig ?? code}); restarting`);
        const delay = Math.min(100 * 2 ** this.restarts++, 5000);
        setTimeout(() => {
          if (!this.stopped) this.startNetd().catch((e) => this.o.log(e.message));
        }, delay).unref();
      });
    });
  }

  private send(m: ToNetd): void {
    const p = this.netd;
    if (p?.connected) p.send(m);
  }

  async dial(ip: string, port: number): Promise<Duplex> {
    const s = connect({ path: join(this.sockDir, 'dial.sock'), allowHalfOpen: true });
    s.write(`${ip} ${port}\n`);
    let line: string;
    try {
      line = await readLine(s);
    } catch (e) {
      s.destroy();
      throw new Error(`dial tcp ${ip}:${port}: the network helper: ${(e as Error).message}`);
    }
    if (line !== 'OK') {
      s.destroy();
      const e = new Error(line.replace(/^ERR /, '')) as NodeJS.ErrnoException;
      if (/connection refused/.test(line)) e.code = 'ECONNREFUSED';
      throw e;
    }
    return s;
  }

  async setup(uid: string, podIp: string): Promise<void> {
    const ip = this.o.ip;
    const ns = this.podNs(uid);
    if (existsSync(join(NETNS_DIR, ns))) {
      // re-adopted: keep it when it still has the address
      const r = spawnSync(ip, ['-n', ns, '-o', '-4', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
      if (r.status === 0 && r.stdout.includes(` ${podIp}/`)) return;
      await this.teardown(uid, podIp);
    }
    await new Promise<void>((resolve, reject) => this.setups.add({ uid, podIp, resolve, reject }));
  }

  private readonly setups = new Batches<PendingSetup>((b) => this.runSetups(b), 64);

  /**
   * Pod networks are made in batches (a burst of pods costs a few `ip` processes, not seven
   * each): the namespaces and veth pairs in one `ip -batch`, the bridge ports in another, then
   * one `ip -n POD -batch` per pod for its address and routes.
   */
  private async runSetups(batch: PendingSetup[]): Promise<void> {
    const ip = this.o.ip;
    const node = this.nodeNs;
    const items = batch.map((b) => ({ ...b, ns: this.podNs(b.uid), veth: NetnsNetwork.vethFor(b.podIp) }));
    // a veth of the same name can be left by a pod whose namespace a dying process still holds
    await ipBatch(ip, [], items.map((i) => `link del ${i.veth}`), node).catch(() => {});
    await ipBatch(ip, items.flatMap((i) => [`netns add ${i.ns}`, `link add ${i.veth} netns ${node} type veth peer name eth0 netns ${i.ns}`])).catch(() => {});
    await ipBatch(ip, items.map((i) => `link set ${i.veth} master br0 up`), [], node).catch(() => {});
    await Promise.all(
      items.map(async (i) => {
        try {
          await ipBatch(ip, [`addr add ${i.podIp}/16 dev eth0`, 'link set lo up', 'link set eth0 up', `route add default via ${BRIDGE_IP}`], [], i.ns, false);
          i.resolve();
        } catch (e) {
          await this.teardown(i.uid, i.podIp).catch(() => {});
          i.reject(new Error(`setting up the pod network (${i.podIp}): ${(e as Error).message}`));
        }
      }),
    );
  }

  async teardown(uid: string, podIp: string): Promise<void> {
    await new Promise<void>((resolve) => this.teardowns.add({ ns: this.podNs(uid), veth: podIp ? NetnsNetwork.vethFor(podIp) : '', resolve }));
  }

  /**
   * Pod networks are removed in batches too: the veths (at once, even while a dying process still
   * holds the namespace) in one `ip -batch` in the node's namespace, the namespaces in another —
   * a burst of finished pods costs two `ip` processes, not three processes each. Never fails.
   */
  private readonly teardowns = new Batches<{ ns: string; veth: string; resolve: () => void }>(async (batch) => {
    await ipBatch(this.o.ip, [], batch.filter((b) => b.veth).map((b) => `link del ${b.veth}`), this.nodeNs).catch(() => {});
    await ipBatch(this.o.ip, [], batch.map((b) => `netns del ${b.ns}`)).catch(() => {});
    for (const b of batch) b.resolve();
  }, 256);

  wrap(uid: string): string[] {
    return [this.o.nsenter, `--net=${join(NETNS_DIR, this.podNs(uid))}`, '--'];
  }

  setServices(list: ServiceEntry[]): void {
    this.services = list;
    this.send({ t: 'services', list });
  }

  setDns(records: Record<string, string[]>): void {
    this.dns = records;
    this.send({ t: 'dns', records: this.dnsRecords() });
  }

  async sweep(keep: Set<string>, quiet = false): Promise<void> {
    const prefix = `fl-${this.o.id}-`;
    let names: string[] = [];
    try {
      names = readdirSync(NETNS_DIR);
    } catch {
      return;
    }
    const gone = names.filter((n) => n.startsWith(prefix) && !keep.has(n.slice(prefix.length)));
    if (!quiet) for (const n of gone) this.o.log(`removing the network of pod ${n.slice(prefix.length)}: no such pod on this node`);
    await ipBatch(this.o.ip, [], gone.map((n) => `netns del ${n}`)).catch(() => {});
  }

  async stop(removeAll: boolean): Promise<void> {
    this.stopped = true;
    const p = this.netd;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.disconnect?.();
      p.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    await new Promise<void>((r) => (this.hostServer ? this.hostServer.close(() => r()) : r()));
    const hb = this.hostBridge;
    this.hostBridge = undefined;
    if (hb && hb.exitCode === null) {
      const exited = new Promise((r) => hb.once('exit', r));
      hb.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    await this.egress?.stop();
    if (removeAll) {
      await this.sweep(new Set(), true);
      await sh(`${this.o.ip} netns del ${this.nodeNs} 2>/dev/null; true`);
      rmSync(this.sockDir, { recursive: true, force: true });
    }
  }
}
