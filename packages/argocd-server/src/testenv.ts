/**
 * Test support: a real API server (in-process, `startTestCluster`) with Argo CD's CRDs (read from
 * upstream's install.yaml fixture, or manifests/argo-cd/install.yaml when present), the `argocd`
 * namespace and `default` project, and argocd-server started against it; real HTTP(S) requests.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { stopProcess } from '@flotilla/kube-runtime/testkit';
import { parseAllDocuments, stringify } from 'yaml';
import { KubeClient } from '@flotilla/kube-runtime';
import { startTestCluster, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { startServer, type ArgoServer } from './server.js';
import type { RepoClientLike, ServerOptions } from './context.js';
import { newLogger } from './log.js';
import { repoClient } from './repo.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const UPSTREAM_INSTALL = join(ROOT, '../shared/upstream/install-manifests/argo-cd/install.yaml');
export const OWN_INSTALL = join(ROOT, 'manifests/argo-cd/install.yaml');

/** The CRDs of Argo CD as YAML, or undefined (with the reason) when no install.yaml is around. */
export function argoCrds(): { yaml?: string; reason?: string } {
  for (const f of [OWN_INSTALL, UPSTREAM_INSTALL]) {
    if (!existsSync(f)) continue;
    const docs = parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJSON()).filter((d) => d?.kind === 'CustomResourceDefinition');
    if (docs.length) return { yaml: docs.map((d) => stringify(d)).join('\n---\n') };
  }
  return { reason: `no Argo CD install.yaml at ${OWN_INSTALL} or ${UPSTREAM_INSTALL}` };
}

export interface Resp {
  status: number;
  body: any;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request to argocd-server (self-signed TLS accepted). */
export function call(base: string, method: string, path: string, o: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string | Buffer } = {}): Promise<Resp> {
  const u = new URL(path, base);
  const data = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (data !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(data));
  }
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(u, { method, headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, text, headers: res.headers });
      });
    });
    r.on('error', reject);
    r.end(data);
  });
}

export interface Env {
  cluster: TestCluster;
  client: KubeClient;
  server: ArgoServer;
  base: string;
  ns: string;
  adminPassword(): Promise<string>;
  login(user?: string, password?: string): Promise<string>;
  call(method: string, path: string, o?: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string | Buffer }): Promise<Resp>;
  restart(o?: Partial<ServerOptions>): Promise<void>;
  logs: string[];
  close(): Promise<void>;
}

export const DEFAULT_PROJECT = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'default', namespace: 'argocd' }, spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] } };

export async function startEnv(o: Partial<ServerOptions> & { repo?: RepoClientLike; realRepoServer?: boolean; setup?: (c: TestCluster) => Promise<void> } = {}): Promise<Env> {
  const crds = argoCrds();
  if (!crds.yaml) throw new Error(crds.reason);
  const cluster = await startTestCluster({ prefix: 'argocd-server-' });
  try {
    return await setupEnv(cluster, crds.yaml, o);
  } catch (e) {
    await cluster.close();
    throw e;
  }
}

async function setupEnv(cluster: TestCluster, crdYaml: string, o: Partial<ServerOptions> & { repo?: RepoClientLike; realRepoServer?: boolean; setup?: (c: TestCluster) => Promise<void> }): Promise<Env> {
  const f = join(cluster.dir, 'crds.yaml');
  writeFileSync(f, crdYaml);
  await cluster.k(['apply', '--server-side', '-f', f]);
  await cluster.k(['create', 'namespace', 'argocd']);
  await cluster.k(['wait', '--for=condition=Established', 'crd/applications.argoproj.io', 'crd/appprojects.argoproj.io', '--timeout=60s']);
  writeFileSync(join(cluster.dir, 'proj.json'), JSON.stringify(DEFAULT_PROJECT));
  await cluster.k(['apply', '-f', join(cluster.dir, 'proj.json')]);
  await o.setup?.(cluster);
  const client = new KubeClient(cluster.kubeconfig, { fieldManager: 'argocd-server', qps: 200, burst: 400 });
  const logs: string[] = [];
  const log = newLogger('debug', (l) => logs.push(l));
  const repoServer = o.realRepoServer ? await startRepoServer(cluster.kubeconfig) : undefined;
  const repo = repoServer ? await repoClient(repoServer.url) : (o.repo ?? { generateManifests: async () => ({ revision: '', manifests: [] }) });
  const start = (extra: Partial<ServerOptions> = {}) => startServer(client, { namespace: 'argocd', port: 0, address: '127.0.0.1', metricsPort: 0, metricsAddress: '127.0.0.1', refreshTimeoutMs: 3000, ...o, ...extra, log, repo });
  const env: Env = {
    cluster,
    client,
    server: await start(),
    base: '',
    ns: 'argocd',
    logs,
    async adminPassword() {
      const out = await cluster.k(['get', 'secret', '-n', 'argocd', 'argocd-initial-admin-secret', '-o', 'jsonpath={.data.password}']);
      return Buffer.from(out, 'base64').toString('utf8');
    },
    async login(user = 'admin', password?: string) {
      const r = await env.call('POST', '/api/v1/session', { body: { username: user, password: password ?? (await env.adminPassword()) } });
      if (r.status !== 200) throw new Error(`login ${user}: ${r.status} ${r.text}`);
      return r.body.token as string;
    },
    call: (method, path, oo) => call(env.base, method, path, oo),
    async restart(extra = {}) {
      await env.server.close();
      env.server = await start(extra);
      env.base = env.server.url;
    },
    async close() {
      await env.server.close();
      await repoServer?.stop();
      client.close();
      await cluster.close();
    },
  };
  env.base = env.server.url;
  return env;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const REPO_MAIN = `import('@flotilla/repo-server/main').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c ?? 0), (e) => { console.error(e); process.exit(1); });`;

/** The real argocd-repo-server as a process on loopback (reading repository Secrets of `argocd` through `kubeconfig`). */
export async function startRepoServer(kubeconfig: string): Promise<{ url: string; proc: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const mport = await freePort();
  const proc = spawn(process.execPath, ['--input-type=module', '-e', REPO_MAIN, '--', '--port', String(port), '--address', '127.0.0.1', '--metrics-port', String(mport), '--metrics-address', '127.0.0.1', '--namespace', 'argocd'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`argocd-repo-server exited (${proc.exitCode}):\n${out}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) {
      proc.kill('SIGKILL');
      throw new Error(`argocd-repo-server did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, proc, stop: async () => void (await stopProcess(proc)) };
}
