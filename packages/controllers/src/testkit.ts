/**
 * Test helpers (not part of the package API): a fresh embedded API server, the real kubectl against
 * it, and a stand-in for the node agent that does not exist yet — it "runs" pods bound to its node by
 * writing their status through the API (/status), and finishes graceful deletions.
 */
import { startApiServer, type ApiServer } from '@flotilla/apiserver';
import { isConflict, isNotFound, KubeClient, R, Informer } from '@flotilla/kube-runtime';
import { startTestCluster, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { rfc3339, type Obj, type Pod } from './util.js';

export { sleep, eventually } from '@flotilla/kube-runtime/testkit';

export interface Cluster extends TestCluster<ApiServer> {
  client: KubeClient;
}

/** The kit's API server, and a client of it. */
export async function startCluster(): Promise<Cluster> {
  const c = await startTestCluster({ start: startApiServer, prefix: 'flotilla-ctrl-' });
  const client = new KubeClient(c.kubeconfig, { qps: 1000, burst: 2000 });
  return {
    ...c,
    client,
    async close() {
      client.close();
      await c.close();
    },
  };
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
