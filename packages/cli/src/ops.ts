/** Operating the cluster of a data dir: `flotilla down`, `flotilla status`, `flotilla up --detach`. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { holderAlive, LockHeldError, readLock, runningUp, type LockInfo } from './lock.js';

export interface Io {
  stdout(t: string): void;
  stderr(t: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lines `flotilla up` prints to use the cluster and the Argo command lines. */
export function exportLines(dataDir: string, kubeconfig: string): string {
  return `  export KUBECONFIG=${kubeconfig}\n  export PATH=${join(dataDir, 'bin')}:$PATH\n`;
}

/** `flotilla down`: SIGTERM to the data dir's `up`, then wait until it has exited. */
export async function down(dataDir: string, timeoutMs: number, io: Io): Promise<number> {
  const l = runningUp(dataDir);
  if (!l) {
    io.stdout(`flotilla: no cluster is running for data dir ${dataDir}\n`);
    return 0;
  }
  io.stdout(`flotilla: stopping the cluster of ${dataDir} (pid ${l.pid})…\n`);
  try {
    process.kill(l.pid, 'SIGTERM');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPERM') {
      io.stderr(`flotilla: not allowed to stop pid ${l.pid} (it runs as another user)\n`);
      return 1;
    }
  }
  const t0 = Date.now();
  while (holderAlive(l)) {
    if (Date.now() - t0 > timeoutMs) {
      io.stderr(`flotilla: pid ${l.pid} has not exited after ${Math.round(timeoutMs / 1000)}s; it is still stopping its pods (see ${join(dataDir, 'up.log')} if it was started with --detach), or 'kill -9 ${l.pid}' (the next 'flotilla up' re-adopts its pods)\n`);
      return 1;
    }
    await sleep(100);
  }
  io.stdout(`flotilla: stopped (${((Date.now() - t0) / 1000).toFixed(1)}s)\n`);
  return 0;
}

/** `flotilla status`: 0 when the data dir's cluster runs, 3 when not. */
export async function status(dataDir: string, io: Io): Promise<number> {
  const l = runningUp(dataDir);
  if (!l) {
    io.stdout(`flotilla: no cluster is running for data dir ${dataDir}\n`);
    return 3;
  }
  const row = (k: string, v: string) => io.stdout(`${k.padEnd(12)}${v}\n`);
  row('data dir:', dataDir);
  row('pid:', `${l.pid} (since ${l.startedAt}, ${l.state === 'ready' ? 'running' : l.state === 'up' ? 'installing components' : 'starting'})`);
  if (!l.url || !l.kubeconfig) return 0;
  const { KubeClient } = await import('@flotilla/kube-runtime');
  const { deploymentHealth } = await import('./components-install.js');
  const client = new KubeClient(l.kubeconfig, { timeoutMs: 10_000 });
  try {
    let api = 'answers';
    try {
      const v: any = await client.request('GET', '/version');
      api = `answers (${v.gitVersion ?? 'version unknown'})`;
    } catch (e) {
      api = `does not answer: ${(e as Error).message}`;
    }
    row('API server:', `${l.url} ${api}`);
    row('kubeconfig:', l.kubeconfig);
    row('bin:', join(dataDir, 'bin'));
    let nodes = 'none';
    try {
      const list: any = await client.request('GET', '/api/v1/nodes');
      if (list.items?.length)
        nodes = list.items
          .map((n: any) => `${n.metadata.name} ${(n.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady'}`)
          .join(', ');
    } catch (e) {
      nodes = `unknown (${(e as Error).message})`;
    }
    row('node:', nodes);
    const comps = l.components ?? [];
    io.stdout(`components:${comps.length ? '' : ' none installed'}\n`);
    for (const c of comps) {
      if (!c.manifest) {
        io.stdout(`  ${c.name.padEnd(18)}not part of this build yet\n`);
        continue;
      }
      if (c.error) {
        io.stdout(`  ${c.name.padEnd(18)}install failed: ${c.error}\n`);
        continue;
      }
      const health = await Promise.all(c.deployments.map((k) => deploymentHealth(client, k)));
      const ok = health.every((h) => h.available);
      io.stdout(`  ${c.name.padEnd(18)}${ok ? 'available' : 'not available'} (namespace ${c.namespace}, ${c.deployments.length} Deployment${c.deployments.length === 1 ? '' : 's'})\n`);
      c.deployments.forEach((k, i) => io.stdout(`    deployment ${k}: ${health[i].text}\n`));
    }
    return 0;
  } finally {
    client.close();
  }
}

/**
 * `flotilla up --detach`: runs `flotilla up <args>` in the background (its own session, output to
 * <data-dir>/up.log) and returns once its lock says the cluster and components are ready.
 */
export async function detach(o: { dataDir: string; main: string; args: string[]; timeoutMs: number }, io: Io): Promise<number> {
  const held = runningUp(o.dataDir);
  if (held) {
    io.stderr(`flotilla: ${new LockHeldError(o.dataDir, held).message}\n`);
    return 1;
  }
  const existed = existsSync(o.dataDir);
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const logPath = join(o.dataDir, 'up.log');
  const fd = openSync(logPath, 'w', 0o600);
  const child = spawn(process.execPath, [o.main, 'up', '--data-dir', o.dataDir, ...o.args], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited: number | null | undefined;
  child.on('exit', (code, sig) => (exited = code ?? (sig ? 128 : 1)));
  child.unref();
  io.stdout(`flotilla: starting in the background (pid ${child.pid}, log ${logPath})…\n`);
  const t0 = Date.now();
  let l: LockInfo;
  for (;;) {
    const cur = readLock(o.dataDir);
    if (cur && cur.pid === child.pid && cur.state === 'ready') {
      l = cur;
      break;
    }
    if (exited !== undefined) {
      const log = readFileSync(logPath, 'utf8');
      io.stderr(`flotilla: 'flotilla up' exited (${exited}) before the cluster was ready:\n${log.replace(/^/gm, '  ')}\n`);
      // a failed first start leaves nothing behind (up removed what it made; the log is ours)
      if (!existed) {
        rmSync(logPath, { force: true });
        if (readdirSync(o.dataDir).length === 0) rmSync(o.dataDir, { recursive: true, force: true });
      }
      return 1;
    }
    if (Date.now() - t0 > o.timeoutMs) {
      io.stderr(`flotilla: not ready after ${Math.round(o.timeoutMs / 1000)}s; it keeps starting in the background (pid ${child.pid}): see ${logPath} and 'flotilla status'\n`);
      return 1;
    }
    await sleep(200);
  }
  io.stdout(`flotilla: the cluster is up at ${l.url} (pid ${l.pid}; 'flotilla down --data-dir ${o.dataDir}' stops it)\nTo use it with kubectl and the Argo command lines:\n\n${exportLines(o.dataDir, l.kubeconfig!)}\n`);
  return 0;
}
