/**
 * Test helpers (not part of the package API): a fresh embedded API server, the real kubectl against
 * it, and a stand-in for the node agent that does not exist yet — it "runs" pods bound to its node by
 * writing their status through the API (/status), and finishes graceful deletions.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '@flotilla/apiserver';
import { isConflict, isNotFound, KubeClient, R } from './client.js';
import { Informer } from './informer.js';
import { rfc3339, type Obj, type Pod } from './util.js';

export interface Cluster {
  server: ApiServer;
  dir: string;
  kubeconfig: string;
  client: KubeClient;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** kubectl that must succeed; returns stdout */
  k(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-ctrl-'));
  const server = await startApiServer({ dataDir: join(dir, 'data'), port: 0 });
  const kubeconfig = server.writeKubeconfig(join(dir, 'kubeconfig'));
  const client = new KubeClient(kubeconfig);
  const kubectl: Cluster['kubectl'] = (args, o = {}) =>
    new Promise((resolve) => {
      const child = spawn('kubectl', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(dir, 'home'), KUBECONFIG: kubeconfig }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
      child.on('close', (code) => {
        clearTimeout(t);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(o.input ?? '');
    });
  const k: Cluster['k'] = async (args, o) => {
    const r = await kubectl(args, o);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  return {
    server,
    dir,
    kubeconfig,
    client,
    kubectl,
    k,
    async close() {
      client.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < timeoutMs) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** What the stand-in kubelet does with a pod bound to its node. */
export type Behaviour = 'run' | 'run-unready' | 'succeed' | 'fail' | 'ignore';

/** Image-based default: images containing "fail" fail, "succeed"/"busybox" succeed, others run and are ready. */
export function defaultBehaviour(p: Pod): Behaviour {
  const img = String(p.spec?.containers?.[0]?.image ?? '');
  if (img.includes('unready')) return 'run-unready';
  if (img.includes('fail')) return 'fail';
  if (img.includes('succeed') || img.includes('busybox')) return 'succeed';
  return 'run';
}

export interface FakeKubelet {
  stop(): Promise<void>;
  /** looks at every pod on the node again (after the behaviour changed) */
  resync(): void;
  /** pods it has started */
  started: Set<string>;
}

/**
 * A stand-in for the node agent (test only): watches pods bound to `nodeName`, writes a status for
 * each according to `behave`, and completes graceful deletions (delete with grace period 0).
 */
export function startFakeKubelet(client: KubeClient, opts: { nodeName?: string; behave?: (p: Pod) => Behaviour } = {}): FakeKubelet {
  const node = opts.nodeName ?? 'flotilla-node';
  const behave = opts.behave ?? defaultBehaviour;
  const inf = new Informer<Pod>(client, R.pods, { fieldSelector: `spec.nodeName=${node}` });
  const started = new Set<string>();
  const busy = new Set<string>();
  let ip = 10;
  let stopped = false;
  const work = async (p: Pod) => {
    const uid = p.metadata!.uid!;
    if (stopped || busy.has(uid)) return;
    busy.add(uid);
    try {
      if (p.metadata?.deletionTimestamp) {
        await client.delete(R.pods, p.metadata.namespace, p.metadata.name!, { gracePeriodSeconds: 0, uid }).catch((e) => {
          if (!isNotFound(e) && !isConflict(e)) throw e;
        });
        return;
      }
      if (started.has(uid)) return;
      const b = behave(p);
      if (b === 'ignore') return;
      started.add(uid);
      const now = rfc3339(new Date());
      const containers = (p.spec?.containers ?? []) as any[];
      const running = b === 'run' || b === 'run-unready';
      const ready = b === 'run';
      const exitCode = b === 'fail' ? 1 : 0;
      const status: Record<string, unknown> = {
        ...(p.status ?? {}),
        phase: running ? 'Running' : b === 'fail' ? 'Failed' : 'Succeeded',
        hostIP: '127.0.0.1',
        podIP: `10.244.0.${ip}`,
        podIPs: [{ ip: `10.244.0.${ip}` }],
        startTime: now,
        conditions: [
          { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: now },
          { type: 'Initialized', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now, ...(ready ? {} : { reason: running ? 'ContainersNotReady' : 'PodCompleted' }) },
          { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        ],
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image,
          imageID: '',
          ready,
          started: running,
          restartCount: 0,
          state: running ? { running: { startedAt: now } } : { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: now, finishedAt: now } },
        })),
      };
      ip = ip >= 250 ? 10 : ip + 1;
      try {
        await client.update(R.pods, { ...p, status }, 'status');
      } catch (e) {
        started.delete(uid);
        if (!isNotFound(e) && !isConflict(e)) throw e;
        // conflict: the next event brings the fresh pod
        setTimeout(() => {
          const cur = inf.get(p.metadata?.namespace, p.metadata!.name!);
          if (cur) void work(cur);
        }, 20);
      }
    } catch {
      // best effort; the next event retries
    } finally {
      busy.delete(uid);
    }
  };
  inf.on({ add: (p) => void work(p), update: (_a, b) => void work(b) });
  inf.start();
  return {
    started,
    resync() {
      for (const p of inf.list()) void work(p);
    },
    async stop() {
      stopped = true;
      await inf.stop();
    },
  };
}

/** Sets a pod's Ready condition through /status (what a kubelet's readiness probe would do). */
export async function setPodReady(client: KubeClient, ns: string, name: string, ready: boolean): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const p = await client.get<Pod>(R.pods, ns, name);
    const now = rfc3339(new Date());
    const conds = ((p.status?.conditions ?? []) as any[]).filter((c) => c.type !== 'Ready' && c.type !== 'ContainersReady');
    conds.push({ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }, { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now });
    try {
      await client.update(R.pods, { ...p, status: { ...(p.status ?? {}), conditions: conds } }, 'status');
      return;
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
}

export async function listPods(client: KubeClient, ns: string, selector?: string): Promise<Pod[]> {
  return (await client.list<Pod>(R.pods, ns, { labelSelector: selector })).items;
}

export type { Obj };
