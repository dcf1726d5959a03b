/** Test helpers: a real API server on loopback (the kube-runtime test kit's), a node agent on it, pod helpers. */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '@flotilla/apiserver';
import { KubeClient, ApiError, R, isAlreadyExists, isNotFound } from '@flotilla/kube-runtime';
import { kubectl, startTestCluster, waitFor } from '@flotilla/kube-runtime/testkit';
import { startNodeAgent, type NodeAgent, type NodeAgentOptions } from './index.js';

export { waitFor };

export interface Env {
  dir: string;
  server: ApiServer;
  kubeconfig: string;
  api: KubeClient;
  agent: NodeAgent;
  agentOpts: NodeAgentOptions;
  logs: string[];
  /** restarts the agent on the same dataDir */
  restartAgent(keepPods: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startEnv(o: Partial<NodeAgentOptions> = {}): Promise<Env> {
  const cluster = await startTestCluster({ start: startApiServer, prefix: 'flotilla-node-' });
  const { dir, server, kubeconfig } = cluster;
  const api = new KubeClient(kubeconfig, { qps: 1000, burst: 2000 });
  const logs: string[] = [];
  const agentOpts: NodeAgentOptions = {
    kubeconfig,
    dataDir: join(dir, 'node'),
    backoffBaseMs: 400,
    backoffMaxMs: 4000,
    log: (m) => {
      logs.push(m);
      if (process.env.NODE_AGENT_DEBUG) process.stderr.write(`[agent] ${m}\n`);
    },
    ...o,
  };
  const env: Env = {
    dir,
    server,
    kubeconfig,
    api,
    agent: await startNodeAgent(agentOpts),
    agentOpts,
    logs,
    async restartAgent(keepPods) {
      await env.agent.stop({ keepPods });
      env.agent = await startNodeAgent(agentOpts);
    },
    async close() {
      await env.agent.stop();
      api.close();
      // the test may have replaced the server (restarts): close the current one
      await env.server.close();
      rmSync(dir, { recursive: true, force: true });
      if (process.env.NODE_AGENT_DEBUG_HANDLES) {
        setTimeout(() => {
          const hs = (process as any)._getActiveHandles() as any[];
          const desc = hs.map((h) => `${h.constructor?.name} ${JSON.stringify(h.address?.() ?? '')} ${h.remoteAddress ?? ''}:${h.remotePort ?? ''} ${h.spawnfile ?? ''} ${h.pid ?? ''} ${h._idleTimeout ?? ''}`);
          writeFileSync(`/tmp/na-handles-${process.pid}.txt`, desc.join('\n'));
        }, 5000).unref();
      }
    },
  };
  return env;
}

export async function ensureNamespace(api: KubeClient, ns: string): Promise<void> {
  try {
    await api.create(R.namespaces, undefined, { metadata: { name: ns } });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

export function podManifest(name: string, spec: any, meta: any = {}): any {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...meta }, spec: { nodeName: 'flotilla-node', ...spec } };
}

export async function createPod(api: KubeClient, ns: string, pod: any): Promise<any> {
  await ensureNamespace(api, ns);
  return api.create(R.pods, ns, pod);
}

export async function getPod(api: KubeClient, ns: string, name: string): Promise<any | undefined> {
  try {
    return await api.get(R.pods, ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function create(api: KubeClient, path: string, obj: any): Promise<any> {
  return api.request('POST', path, { body: obj });
}

export function podWhere(api: KubeClient, ns: string, name: string, pred: (p: any) => boolean, what: string, timeoutMs = 20_000): Promise<any> {
  return waitFor(`${ns}/${name}: ${what}`, async () => {
    const p = await getPod(api, ns, name);
    if (p && pred(p)) return p;
    return false;
  }, timeoutMs).catch(async (e) => {
    const p = await getPod(api, ns, name).catch(() => undefined);
    throw new Error(`${e.message}\nstatus: ${JSON.stringify(p?.status, null, 1)?.slice(0, 4000)}`);
  });
}

export const cstatus = (p: any, name?: string): any => [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].find((c: any) => !name || c.name === name);
export const cond = (p: any, type: string): string | undefined => (p.status?.conditions ?? []).find((c: any) => c.type === type)?.status;

/** GET on the kubelet endpoint with the admin token. */
export function kubeletGet(env: Env, path: string, token = env.server.token): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request(`${env.agent.kubeletUrl}${path}`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

/** GET url; with `dial`, the connection is made through it (e.g. the agent's pod network). */
export function httpGet(url: string, timeoutMs = 2000, dial?: (ip: string, port: number) => Promise<import('node:stream').Duplex>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    // a new connection per request (no keep-alive): load balancing is per connection
    const opts: any = { agent: false };
    if (dial) delete opts.agent;
    if (dial)
      opts.createConnection = (_o: unknown, cb: (e: Error | null, s?: unknown) => void) => {
        dial(u.hostname, Number(u.port || 80)).then((s) => cb(null, s), cb);
        return undefined;
      };
    const r = request(url, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    r.end();
  });
}

/**
 * The live processes whose command line holds `marker`. A shell forks before it execs a command, and the
 * child carries the shell's command line for that moment: only processes seen in three samples 50 ms apart
 * count, so such a passing fork (a new pid every time) is never taken for one of the pod's processes.
 */
export function procsWith(marker: string): number[] {
  const first = sampleProcs(marker);
  if (!first.length) return first;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(pause, 0, 0, 50);
  const second = new Set(sampleProcs(marker));
  Atomics.wait(pause, 0, 0, 50);
  const third = new Set(sampleProcs(marker));
  return first.filter((p) => second.has(p) && third.has(p));
}

function sampleProcs(marker: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (!cmd.includes(marker)) continue;
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z') out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

export async function events(api: KubeClient, ns: string, pod: string): Promise<any[]> {
  const l = await api.list(R.events, ns);
  return (l.items ?? []).filter((e: any) => e.involvedObject?.name === pod);
}

export async function deletePod(api: KubeClient, ns: string, name: string, grace?: number): Promise<void> {
  await api.delete(R.pods, ns, name, grace === undefined ? {} : { gracePeriodSeconds: grace });
}

/** The environment kubectl runs with: this cluster's kubeconfig and a HOME of its own. */
export function kubectlEnv(e: Env, extra: Record<string, string> = {}): Record<string, string> {
  const home = join(e.dir, 'home');
  mkdirSync(home, { recursive: true });
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: e.kubeconfig, ...extra };
}

/** Runs the real kubectl to completion; `input` is piped to its stdin. */
export function runKubectl(e: Env, args: string[], o: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = kubectlEnv(e, o.env);
  return kubectl(env.HOME, env.KUBECONFIG, args, { ...o, env });
}
