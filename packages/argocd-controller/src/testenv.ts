/**
 * Test support for the controller's end-to-end files: a real `flotilla up` (no components), Argo
 * CD's CRDs read from the upstream install manifest under ../shared/upstream (the test is skipped
 * with the reason when it is absent), a real git server (`@flotilla/repo-server/testkit`), the real
 * argocd-repo-server as a process (HTTP), and the controller in this process or as a process of its
 * own (kill -9 tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { KubeClient } from '@flotilla/kube-runtime';
import { kubectlFor, startUp, stopProcess, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';
import { startGitServer, type GitServer } from '@flotilla/repo-server/testkit';
import type { Application } from '@flotilla/argocd-engine';
import { APPLICATIONS } from './resources.js';
import { parseControllerArgs } from './flags.js';
import { startController, type RunningController } from './main.js';

export const UPSTREAM_INSTALL = fileURLToPath(new URL('../../../../shared/upstream/install-manifests/argo-cd/install.yaml', import.meta.url));
export const EXAMPLE_APPS = fileURLToPath(new URL('../../../../shared/upstream/argocd-example-apps', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Why the e2e files cannot run here (undefined: they can). */
export function skipReason(): string | undefined {
  if (!existsSync(UPSTREAM_INSTALL)) return `upstream Argo CD install manifest not found at ${UPSTREAM_INSTALL} (the CRDs come from there)`;
  if (!existsSync('/usr/bin/kubectl')) return 'kubectl not installed';
  return undefined;
}

/** Argo CD's CRDs (Application, AppProject, ApplicationSet) from the upstream install manifest, as YAML. */
export function argoCrdsYaml(): string {
  const docs = parseAllDocuments(readFileSync(UPSTREAM_INSTALL, 'utf8'));
  const items = docs
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } })
    .filter((o) => o?.kind === 'CustomResourceDefinition' && /argoproj\.io$/.test(o.metadata?.name ?? '') && /^(applications|appprojects|applicationsets)\./.test(o.metadata?.name ?? ''));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

export interface Env {
  dir: string;
  up: Up;
  kubeconfig: string;
  client: KubeClient;
  git: GitServer;
  repoServerURL: string;
  /** the argocd-repo-server process (benchmarks read its CPU) */
  repoServerProc: ChildProcess;
  k(args: string[], opts?: { input?: string }): Promise<string>;
  kubectl(args: string[], opts?: { input?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  controller?: RunningController;
  controllerProc?: ChildProcess;
  logs: string[];
  startController(extraArgs?: string[]): Promise<void>;
  startControllerProcess(extraArgs?: string[], nodeArgs?: string[]): Promise<ChildProcess>;
  stopController(): Promise<void>;
  app(name: string): Promise<Application>;
  waitApp(name: string, pred: (a: Application) => boolean | undefined, what: string, timeoutMs?: number): Promise<Application>;
  applyApp(obj: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

function startRepoServer(kubeconfig: string, cacheDir: string, nodeArgs: string[] = []): Promise<{ proc: ChildProcess; url: string }> {
  const script = `import { main } from '@flotilla/repo-server/main'; process.exitCode = await main(process.argv.slice(1));`;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', script, '--', '--port', '0', '--address', '127.0.0.1', '--metrics-port', '0', '--metrics-address', '127.0.0.1', '--namespace', 'argocd', '--cache-dir', cacheDir, '--logformat', 'text'], {
      cwd: ROOT,
      env: { ...process.env, KUBECONFIG: kubeconfig, REDIS_SERVER: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const t = setTimeout(() => reject(new Error(`argocd-repo-server did not start:\n${out}`)), 60_000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = /listening on [0-9.]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ proc, url: `http://127.0.0.1:${m[1]}` });
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.on('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`argocd-repo-server exited (${c}):\n${out}`));
    });
  });
}

export interface EnvOpts {
  repos: Record<string, string | null>;
  controller?: boolean;
  controllerArgs?: string[];
  /** node options of the repo server process (benchmarks: --cpu-prof) */
  repoServerNodeArgs?: string[];
}

export async function startEnv(o: EnvOpts): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-cd-'));
  const up = await startUp(join(dir, 'up'), 180_000, {});
  const cleanup: (() => Promise<unknown>)[] = [() => stopUp(up, 'SIGTERM')];
  try {
    return await startEnvOn(dir, up, o, cleanup);
  } catch (e) {
    // nothing started here outlives a failed start
    for (const c of cleanup.reverse()) await c().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startEnvOn(dir: string, up: Up, o: EnvOpts, cleanup: (() => Promise<unknown>)[]): Promise<Env> {
  const kubeconfig = up.kubeconfig;
  const kc = kubectlFor(join(dir, 'home'), kubeconfig);
  const k = async (args: string[], opts: { input?: string } = {}) => kc.k(args, opts as never);
  await waitFor('API server', async () => (await kc.kubectl(['get', 'ns', 'default'])).code === 0, 120_000, 500);
  writeFileSync(join(dir, 'crds.yaml'), argoCrdsYaml());
  await k(['apply', '--server-side', '-f', join(dir, 'crds.yaml')]);
  await k(['create', 'namespace', 'argocd']);
  await waitFor('CRDs served', async () => (await kc.kubectl(['get', 'applications.argoproj.io', '-n', 'argocd'])).code === 0, 60_000, 300);
  const git = await startGitServer({ repos: o.repos });
  cleanup.push(() => git.stop());
  const rs = await startRepoServer(kubeconfig, join(dir, 'repo-cache'), o.repoServerNodeArgs);
  cleanup.push(() => stopProcess(rs.proc, 'SIGTERM', 5000));
  const client = new KubeClient(kubeconfig, { qps: 100, burst: 200 });
  const logs: string[] = [];
  const args = (extra: string[] = []) => ['--namespace', 'argocd', '--repo-server', rs.url, '--metrics-port', '0', '--metrics-host', '127.0.0.1', '--kubeconfig', kubeconfig, '--app-resync', '30', '--app-resync-jitter', '2', ...(o.controllerArgs ?? []), ...extra];
  const env: Env = {
    dir,
    up,
    kubeconfig,
    client,
    git,
    repoServerURL: rs.url,
    repoServerProc: rs.proc,
    k,
    kubectl: (a, opts = {}) => kc.kubectl(a, opts as never),
    logs,
    async startController(extra) {
      const cfg = parseControllerArgs(args(extra), {});
      env.controller = await startController(cfg, { log: (m) => logs.push(`${new Date().toISOString()} ${m}`) });
    },
    async startControllerProcess(extra, nodeArgs = []) {
      const script = `import { main } from '@flotilla/argocd-controller/main'; process.exit(await main(process.argv.slice(1)));`;
      const proc = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', script, '--', ...args(extra)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
      const from = logs.length;
      proc.stdout!.on('data', (d) => logs.push(String(d)));
      proc.stderr!.on('data', (d) => logs.push(String(d)));
      env.controllerProc = proc;
      await waitFor('controller process started', () => logs.slice(from).join('').includes('controller started'), 60_000, 200);
      return proc;
    },
    async stopController() {
      await env.controller?.stop();
      env.controller = undefined;
      if (env.controllerProc) await stopProcess(env.controllerProc, 'SIGTERM', 10_000);
      env.controllerProc = undefined;
    },
    app: (name) => client.get<Application>(APPLICATIONS, 'argocd', name),
    async waitApp(name, pred, what, timeoutMs = 120_000) {
      let last: Application | undefined;
      try {
        return await waitFor(
          `${name}: ${what}`,
          async () => {
            last = await client.get<Application>(APPLICATIONS, 'argocd', name).catch(() => undefined);
            return last && pred(last) ? last : undefined;
          },
          timeoutMs,
          250,
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}\nlast status: ${JSON.stringify({ status: last?.status, operation: last?.operation }, null, 1).slice(0, 4000)}\ncontroller log (tail):\n${logs.slice(-30).join('\n')}`);
      }
    },
    async applyApp(obj) {
      const path = join(dir, `app-${Date.now()}.json`);
      writeFileSync(path, JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...obj }));
      await k(['apply', '-f', path]);
    },
    async stop() {
      await env.stopController().catch(() => {});
      client.close();
      await stopProcess(rs.proc, 'SIGTERM', 5000);
      await git.stop();
      await stopUp(up, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cleanup.push(() => env.stopController());
  if (o.controller !== false) await env.startController();
  return env;
}

export const synced = (a: Application) => a.status?.sync?.status === 'Synced';
export const healthy = (a: Application) => a.status?.health?.status === 'Healthy';
