/**
 * Resource usage of the node and of each running container, read from /proc, served by the
 * kubelet endpoint as the kubelet's Summary API (`GET /stats/summary`, the subset metrics
 * consumers read) — what the API server's metrics.k8s.io (`kubectl top`) is built from.
 *
 * - A container is its process tree (every descendant of its shim). CPU is the time of its
 *   processes (user + system, plus that of their reaped children), counted per process between
 *   two samples so that processes coming and going do not skew it; memory is the sum of their
 *   resident set sizes (the working set).
 * - The node: CPU from /proc/stat (all but idle and iowait), memory from /proc/meminfo
 *   (MemTotal − MemAvailable is the working set).
 * - Usage is a rate over a window: since the previous sample when it is 1–60 s old, else a fresh
 *   window of one second. Requests within a second share one answer.
 */
import { readFileSync } from 'node:fs';
import { descendants } from './procs.js';

/** USER_HZ: /proc reports CPU times in these ticks (100 on every Linux ABI in use). */
const TICKS = 100;
const NS_PER_TICK = 1e9 / TICKS;

let pageSize = 4096;
try {
  // resident pages (statm) against VmRSS (kB) of this process
  const pages = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  if (pages > 0 && kb > 0) pageSize = [4096, 16384, 65536].reduce((best, s) => (Math.abs(s - (kb * 1024) / pages) < Math.abs(best - (kb * 1024) / pages) ? s : best), 4096);
} catch {
  /* not Linux */
}

export interface ProcReading {
  /** utime + stime + cutime + cstime, ticks */
  ticks: number;
  /** start time, ticks since boot */
  start: number;
  rssBytes: number;
}

/** One process from /proc/<pid>/stat; undefined when it is gone (or a zombie). */
export function readProc(pid: number): ProcReading | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return parseStat(s);
  } catch {
    return undefined;
  }
}

/** Parses /proc/<pid>/stat (the command may hold spaces and parentheses). */
export function parseStat(s: string): ProcReading | undefined {
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state); utime 14, stime 15, cutime 16, cstime 17, starttime 22, rss 24
  if (f[0] === 'Z' || f[0] === 'X') return undefined;
  const n = (i: number) => Number(f[i - 3]) || 0;
  return { ticks: n(14) + n(15) + n(16) + n(17), start: n(22), rssBytes: n(24) * pageSize };
}

/** Busy CPU time of the whole machine (all CPUs) from /proc/stat, in ticks. */
export function parseProcStat(s: string): { busy: number } {
  const cpu = s.split('\n').find((l) => l.startsWith('cpu '));
  const v = (cpu ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const busy = (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
  return { busy };
}

export function parseMeminfo(s: string): { total: number; available: number } {
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0) * 1024;
  return { total: kb('MemTotal'), available: kb('MemAvailable') };
}

export interface ContainerRef {
  name: string;
  /** the container's shim (its processes are the shim's descendants) */
  rootPid: number;
  startedAt?: string;
}

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
  startTime?: string;
  containers: ContainerRef[];
}

interface Sample {
  at: number;
  /** ticks since boot at `at` */
  uptimeTicks: number;
  nodeBusy: number;
  /** pod uid/container → pid:start → ticks */
  procs: Map<string, Map<string, number>>;
  rss: Map<string, number>;
}

function take(pods: PodRef[]): Sample {
  const procs = new Map<string, Map<string, number>>();
  const rss = new Map<string, number>();
  for (const p of pods)
    for (const c of p.containers) {
      const m = new Map<string, number>();
      let mem = 0;
      for (const pid of descendants(c.rootPid)) {
        if (pid === c.rootPid) continue; // the shim itself
        const r = readProc(pid);
        if (!r) continue;
        m.set(`${pid}:${r.start}`, r.ticks);
        mem += r.rssBytes;
      }
      procs.set(`${p.uid}/${c.name}`, m);
      rss.set(`${p.uid}/${c.name}`, mem);
    }
  let uptime = 0;
  let nodeBusy = 0;
  try {
    uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    nodeBusy = parseProcStat(readFileSync('/proc/stat', 'utf8')).busy;
  } catch {
    /* not Linux */
  }
  return { at: Date.now(), uptimeTicks: Math.floor(uptime * TICKS), nodeBusy, procs, rss };
}

/**
 * CPU ticks a container used between two samples: per process, what it added; a process that
 * started after `base` counts whole; processes that ended are lost (unless reaped by one that
 * stays, whose children's time then grows).
 */
export function cpuDelta(base: Map<string, number> | undefined, now: Map<string, number>, baseUptimeTicks: number): number {
  let total = 0;
  for (const [k, t] of now) {
    const b = base?.get(k);
    if (b !== undefined) total += Math.max(0, t - b);
    else if (Number(k.split(':')[1]) >= baseUptimeTicks) total += t;
  }
  return total;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class ResourceStats {
  private last?: Sample;
  private cached?: { at: number; summary: any };
  private pending?: Promise<any>;
  /** CPU time per container and for the node, accumulated over samples (usageCoreNanoSeconds) */
  private cumulative = new Map<string, number>();

  private readonly bootTime: string;

  constructor(
    private readonly nodeName: string,
    private readonly pods: () => PodRef[],
  ) {
    let up = 0;
    try {
      up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    } catch {
      /* not Linux */
    }
    this.bootTime = iso(Date.now() - up * 1000);
  }

  /** The Summary API document (`/stats/summary`). */
  summary(): Promise<any> {
    if (this.cached && Date.now() - this.cached.at < 1000) return Promise.resolve(this.cached.summary);
    this.pending ??= this.compute().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async compute(): Promise<any> {
    let base = this.last;
    if (!base || Date.now() - base.at > 60_000) {
      base = take(this.pods());
      await new Promise((r) => setTimeout(r, 1000));
    } else if (Date.now() - base.at < 1000) await new Promise((r) => setTimeout(r, 1000 - (Date.now() - base!.at)));
    const pods = this.pods();
    const now = take(pods);
    this.last = now;
    const secs = Math.max(0.001, (now.at - base.at) / 1000);
    const time = iso(now.at);
    const rate = (ticks: number) => Math.round((ticks * NS_PER_TICK) / secs);
    const acc = (k: string, ticks: number) => {
      const v = (this.cumulative.get(k) ?? 0) + ticks * NS_PER_TICK;
      this.cumulative.set(k, v);
      return Math.round(v);
    };
    let mem = { total: 0, available: 0 };
    try {
      mem = parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
    } catch {
      /* not Linux */
    }
    const nodeTicks = Math.max(0, now.nodeBusy - base.nodeBusy);
    const seen = new Set<string>();
    const summary = {
      node: {
        nodeName: this.nodeName,
        startTime: this.bootTime,
        cpu: { time, usageNanoCores: rate(nodeTicks), usageCoreNanoSeconds: now.nodeBusy * NS_PER_TICK },
        memory: { time, availableBytes: mem.available, usageBytes: mem.total - mem.available, workingSetBytes: mem.total - mem.available, rssBytes: mem.total - mem.available },
      },
      pods: pods.map((p) => {
        const containers = p.containers.map((c) => {
          const k = `${p.uid}/${c.name}`;
          seen.add(k);
          const ticks = cpuDelta(base!.procs.get(k), now.procs.get(k) ?? new Map(), base!.uptimeTicks);
          const ws = now.rss.get(k) ?? 0;
          return {
            name: c.name,
            startTime: c.startedAt ?? p.startTime,
            cpu: { time, usageNanoCores: rate(ticks), usageCoreNanoSeconds: acc(k, ticks) },
            memory: { time, workingSetBytes: ws, rssBytes: ws, usageBytes: ws },
          };
        });
        const sum = (f: (c: (typeof containers)[number]) => number) => containers.reduce((a, c) => a + f(c), 0);
        return {
          podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
          startTime: p.startTime,
          containers,
          cpu: { time, usageNanoCores: sum((c) => c.cpu.usageNanoCores), usageCoreNanoSeconds: sum((c) => c.cpu.usageCoreNanoSeconds) },
          memory: { time, workingSetBytes: sum((c) => c.memory.workingSetBytes), rssBytes: sum((c) => c.memory.rssBytes), usageBytes: sum((c) => c.memory.usageBytes) },
        };
      }),
      /** not in the kubelet's document: the window the rates were measured over */
      window: `${secs.toFixed(3)}s`,
    };
    for (const k of this.cumulative.keys()) if (!seen.has(k)) this.cumulative.delete(k);
    this.cached = { at: Date.now(), summary };
    return summary;
  }
}
