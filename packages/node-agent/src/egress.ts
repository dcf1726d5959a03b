/**
 * Egress: pods reach every address the host can reach, and the host's loopback as
 * `host.flotilla.internal` (see docs/networking.md).
 *
 * The node network namespace gets a user-mode network stack, slirp4netns: a tap device `tap0`
 * whose packets slirp4netns (a process in the host namespace) turns into ordinary sockets of its
 * own — so outbound TCP and UDP go out as the host's own connections, and the gateway address of
 * its little network (`<cidr>.2`) is mapped to the host's 127.0.0.1. Inside the node namespace,
 * forwarding is on and pod addresses are masqueraded onto tap0 (nftables, in that namespace
 * only). Nothing is added to the host's network namespace: no interface, route, rule or sysctl.
 *
 * slirp4netns runs in a private mount namespace (`unshare --mount --propagation private`): its
 * sandbox unmounts everything, and /run/netns is a shared mount, so without it the unmounts would
 * reach the host and detach every network namespace mounted there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findTool, sh } from './tools.js';

export const EGRESS_DEVICE = 'tap0';
/** the host's name for pods */
export const HOST_NAME = 'host.flotilla.internal';

/** Candidate networks for slirp4netns, first that the host does not use. */
const CANDIDATES = ['10.0.2.0/24', '172.31.254.0/24', '198.18.254.0/24', '100.127.254.0/24'];

function toInt(ip: string): number {
  return ip.split('.').reduce((a, b) => (a << 8) + Number(b), 0) >>> 0;
}
function range(cidr: string): [number, number] {
  const [ip, bits] = cidr.split('/');
  const n = Number(bits ?? 32);
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  const start = (toInt(ip) & mask) >>> 0;
  return [start, (start | (~mask >>> 0)) >>> 0];
}
function overlaps(a: string, b: string): boolean {
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}

/**
 * The network slirp4netns gets: the first candidate that overlaps none of `inUse` (the host's
 * routes and addresses, the pod and service ranges) — or undefined when all do. Default routes
 * (0.0.0.0/0) do not count.
 */
export function pickEgressCidr(inUse: string[]): string | undefined {
  const used = inUse.filter((c) => !/^0\.0\.0\.0\/0$/.test(c) && /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(c));
  return CANDIDATES.find((c) => !used.some((u) => overlaps(c, u)));
}

/** The gateway of a slirp4netns network (`.2`): the host's loopback, seen from the namespace. */
export function gatewayOf(cidr: string): string {
  const [start] = range(cidr);
  const g = start + 2;
  return [g >>> 24, (g >>> 16) & 255, (g >>> 8) & 255, g & 255].join('.');
}

/** The host's IPv4 routes and addresses, as CIDRs (from /proc; nothing is changed). */
export function hostNetworks(): string[] {
  const out: string[] = [];
  try {
    // /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask … (little-endian hex)
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 8) continue;
      const le = (h: string) => {
        const n = parseInt(h, 16);
        return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
      };
      const bits = le(f[7])
        .split('.')
        .reduce((a, b) => a + Number(b).toString(2).replace(/0/g, '').length, 0);
      out.push(`${le(f[1])}/${bits}`);
    }
  } catch {
    /* not Linux */
  }
  try {
    // /proc/net/fib_trie lists local addresses as "/32 host LOCAL" leaves
    const t = readFileSync('/proc/net/fib_trie', 'utf8').split('\n');
    for (let i = 1; i < t.length; i++) if (/\/32 host LOCAL/.test(t[i])) out.push(`${t[i - 1].trim().replace(/^\|-- /, '')}/32`);
  } catch {
    /* none */
  }
  return out.filter((c) => !c.startsWith('127.'));
}

export interface EgressTools {
  slirp4netns?: string;
  nft?: string;
  unshare?: string;
  reason?: string;
}

/** Whether egress can be set up here; the reason when not. */
export function detectEgress(find: (name: string) => string | undefined = findTool): EgressTools {
  const slirp4netns = find('slirp4netns');
  const nft = find('nft');
  const unshare = find('unshare');
  const missing = [!slirp4netns && 'slirp4netns (package slirp4netns)', !nft && 'nft (package nftables)', !unshare && 'unshare (package util-linux)'].filter(Boolean);
  if (missing.length) return { reason: `${missing.slice(0, -1).join(', ')}${missing.length > 1 ? ' and ' : ''}${missing[missing.length - 1]} ${missing.length > 1 ? 'are' : 'is'} not installed` };
  const r = spawnSync(slirp4netns!, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return { reason: `slirp4netns does not run: ${(r.stderr || r.error?.message || '').trim()}` };
  return { slirp4netns, nft, unshare };
}

/** The nftables ruleset of the node namespace: pod addresses leave through tap0 masqueraded. */
export function natRules(podCidr: string): string {
  return [
    'table ip flotilla {',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${podCidr} oifname "${EGRESS_DEVICE}" masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export interface EgressOptions {
  tools: Required<Omit<EgressTools, 'reason'>>;
  ip: string;
  nsenter: string;
  /** /run/netns/<node namespace> */
  nsPath: string;
  podCidr: string;
  cidr: string;
  log: (m: string) => void;
}

/** slirp4netns on the node namespace, restarted with back-off when it dies. */
export class Egress {
  readonly gateway: string;
  private proc?: ChildProcess;
  private stopped = false;
  private restarts = 0;

  private constructor(private readonly o: EgressOptions) {
    this.gateway = gatewayOf(o.cidr);
  }

  static async start(o: EgressOptions): Promise<Egress> {
    const e = new Egress(o);
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const inNs = `${q(o.nsenter)} --net=${q(o.nsPath)} --`;
    // forwarding and masquerading in the node namespace (its own sysctl and ruleset)
    await sh(`${inNs} /bin/sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' && { ${inNs} ${q(o.tools.nft)} delete table ip flotilla 2>/dev/null; ${inNs} ${q(o.tools.nft)} -f -; }`, natRules(o.podCidr));
    await e.spawnSlirp();
    return e;
  }

  private spawnSlirp(): Promise<void> {
    const o = this.o;
    // a tap0 left by a slirp4netns that is still going away
    spawnSync(o.ip, ['-n', o.nsPath.split('/').pop()!, 'link', 'del', EGRESS_DEVICE], { stdio: 'ignore' });
    return new Promise((resolve, reject) => {
      // fd 3: closes when this process dies, and slirp4netns exits with it; fd 4: "1" when ready
      const p = spawn(
        o.tools.unshare,
        ['--mount', '--propagation', 'private', '--', o.tools.slirp4netns, '--configure', '--mtu=65520', `--cidr=${o.cidr}`, '--disable-dns', '--enable-sandbox', '--enable-seccomp', '--exit-fd=3', '--ready-fd=4', '--netns-type=path', o.nsPath, EGRESS_DEVICE],
        { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
      );
      this.proc = p;
      let ready = false;
      let err = '';
      p.stderr!.on('data', (d) => (err = (err + d).slice(-2000)));
      (p.stdio[4] as NodeJS.ReadableStream).on('data', () => {
        if (ready) return;
        ready = true;
        this.restarts = 0;
        resolve();
      });
      (p.stdio[3] as NodeJS.WritableStream).on('error', () => {});
      p.on('error', (e) => {
        if (!ready) reject(new Error(`starting slirp4netns: ${e.message}`));
      });
      p.on('exit', (code, sig) => {
        if (this.proc === p) this.proc = undefined;
        const why = err.replace(/WARNING: Support for seccomp is experimental\n?/, '').trim();
        if (!ready) {
          reject(new Error(`slirp4netns exited (${sig ?? code}) before it was ready${why ? `: ${why}` : ''}`));
          return;
        }
        if (this.stopped) return;
        o.log(`slirp4netns (pod egress) exited (${sig ?? code})${why ? `: ${why}` : ''}; restarting`);
        const delay = Math.min(200 * 2 ** this.restarts++, 10_000);
        setTimeout(() => {
          if (!this.stopped) this.spawnSlirp().catch((e) => o.log(`pod egress: ${e.message}`));
        }, delay).unref();
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
