/**
 * startApiServer: the embedded Kubernetes-compatible API server as a library.
 */
import { createServer, type Server } from 'node:https';
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { ensureDefaultServiceAccount } from './admission.js';
import { secureDataDir, touchPrivate } from './data-dir.js';
import { ENCRYPTION_CONFIG_FILE, loadEncryption } from './encryption.js';
import { Api } from './api.js';
import { Authenticator, type LookedUp } from './auth.js';
import { Controllers } from './controllers.js';
import { nowIso } from './objects.js';
import { loadOrCreatePki } from './pki.js';
import { Registry } from './registry.js';
import { Rbac } from './rbac/index.js';
import { IdentityTokens } from './rbac/identities.js';
import { Store } from './store.js';
import { DEFAULT_EVENT_TTL_SECONDS, EventTtl } from './event-ttl.js';

export interface ApiServerOptions {
  /** where the database, certificates and tokens live */
  dataDir: string;
  /** 0 (default) picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** extra subject alternative names for the serving certificate */
  sans?: string[];
  /** watch-event history kept for resuming watches (default 20000 events) */
  eventWindow?: number;
  /** how long an Event is kept after its last write, as kube-apiserver's --event-ttl (default 3600; 0 keeps them) */
  eventTtlSeconds?: number;
}

export interface ApiServer {
  url: string;
  port: number;
  caPem: string;
  token: string;
  dataDir: string;
  /** writes a kubeconfig for this server and returns its path */
  writeKubeconfig(path?: string): string;
  /** the admin kubeconfig as YAML text */
  kubeconfig(): string;
  /**
   * A kubeconfig for one of the cluster's components, authenticating as `username` in `groups`
   * (and system:authenticated) with a token the server keeps; written to
   * `<dataDir>/identities/<username>.kubeconfig` unless `path` is given. What the identity may do
   * is up to RBAC (the bootstrap policy binds system:kube-controller-manager,
   * system:kube-scheduler and the group system:nodes).
   */
  writeIdentityKubeconfig(username: string, groups?: string[], path?: string): string;
  /**
   * Makes the server present a token of its own to kubelets (instead of the admin token) and
   * returns it, for a node agent that runs with a node identity to accept.
   */
  useKubeletClientToken(): string;
  close(): Promise<void>;
  /** internals for in-process components and tests */
  internals: { store: Store; registry: Registry; api: Api; auth: Authenticator; rbac: Rbac };
}

/** Where the objects a ServiceAccount token names are stored. */
const TOKEN_OBJECTS = { ServiceAccount: 'core/serviceaccounts', Pod: 'core/pods', Secret: 'core/secrets', Node: 'core/nodes' } as const;

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  // 0700 data dir, 0600 files (existing ones corrected): it holds every Secret, key and token
  const loose = secureDataDir(opts.dataDir);
  if (loose.length) process.stderr.write(`apiserver: made ${loose.length} file(s) in ${opts.dataDir} private to their owner (0600, directories 0700)\n`);
  const pki = await loadOrCreatePki(join(opts.dataDir, 'pki'), opts.sans ?? []);
  touchPrivate(join(opts.dataDir, 'state.db'));
  // opt-in encryption of Secrets in the database (docs/security.md)
  const transform = loadEncryption(join(opts.dataDir, ENCRYPTION_CONFIG_FILE));
  const store = new Store(join(opts.dataDir, 'state.db'), { eventWindow: opts.eventWindow, transform });
  const registry = new Registry();
  const identities = new IdentityTokens(join(opts.dataDir, 'pki', 'identities.json'));
  const auth = new Authenticator(
    pki.adminToken,
    pki.saKey,
    (kind, ns, name) => {
      const so = store.get(TOKEN_OBJECTS[kind], ns, name);
      if (!so) return undefined;
      const m = so.obj.metadata;
      const found: LookedUp = { uid: m?.uid, deletionTimestamp: m?.deletionTimestamp as string | undefined };
      if (kind === 'Secret' && (so.obj as { type?: string }).type === 'kubernetes.io/service-account-token') {
        const t = (so.obj as { data?: Record<string, unknown> }).data?.token;
        found.tokenSecret = { serviceAccount: m?.annotations?.['kubernetes.io/service-account.name'], token: typeof t === 'string' ? Buffer.from(t, 'base64').toString('utf8') : undefined };
      }
      return found;
    },
    identities,
  );
  const api = new Api(store, registry, auth);
  api.kubeletToken = pki.adminToken;
  const controllers = new Controllers(store, registry, api.objects);
  api.objects.onChange = () => {};
  controllers.start();
  const eventTtl = new EventTtl(store, (opts.eventTtlSeconds ?? DEFAULT_EVENT_TTL_SECONDS) * 1000);
  eventTtl.start();
  bootstrap(store, api);
  const rbac = new Rbac(store, api.objects, registry);
  rbac.start();
  api.rbac = rbac;

  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: pki.serverKey, cert: pki.serverCert, keepAliveTimeout: 60_000 }, (req, res) => {
    void api.handle(req, res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s) => s.setNoDelay(true));
  // exec, attach, port-forward: WebSocket and SPDY upgrades, proxied to the pod's kubelet
  server.on('upgrade', (req, socket, head) => api.handleUpgrade(req, socket, head));
  const host = opts.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
  } catch (e) {
    // nothing of this start may run on (the store's checkpoint thread opens state.db on its own and
    // would make its files again after a failed first start removed them): stop it all, then throw
    controllers.stop();
    eventTtl.stop();
    rbac.stop();
    api.webhooks.close();
    await store.close();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  publishKubernetesEndpoints(store, host, port);
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const kubeconfigFor = (user: string, token: string) =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: flotilla',
      '  cluster:',
      `    server: ${url}`,
      `    certificate-authority-data: ${Buffer.from(pki.caCert).toString('base64')}`,
      'users:',
      `- name: ${user}`,
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: flotilla',
      '  context:',
      '    cluster: flotilla',
      `    user: ${user}`,
      '    namespace: default',
      'current-context: flotilla',
      '',
    ].join('\n');
  const kubeconfig = () => kubeconfigFor('flotilla-admin', pki.adminToken);
  const writeFile0600 = (path: string, text: string) => {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, path);
    return path;
  };

  // FLOTILLA_TRACE_LOOP=1 prints event-loop delay every 2 s (diagnostics for benchmarks)
  let loopTimer: NodeJS.Timeout | undefined;
  if (process.env.FLOTILLA_TRACE_LOOP) {
    const { monitorEventLoopDelay } = await import('node:perf_hooks');
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    loopTimer = setInterval(() => {
      process.stdout.write(`loop-delay p50=${(h.percentile(50) / 1e6).toFixed(1)}ms p99=${(h.percentile(99) / 1e6).toFixed(1)}ms max=${(h.max / 1e6).toFixed(1)}ms\n`);
      h.reset();
    }, 2000);
    loopTimer.unref();
  }
  let closed = false;
  return {
    url,
    port,
    caPem: pki.caCert,
    token: pki.adminToken,
    dataDir: opts.dataDir,
    kubeconfig,
    writeKubeconfig(path = join(opts.dataDir, 'kubeconfig')) {
      return writeFile0600(path, kubeconfig());
    },
    writeIdentityKubeconfig(username, groups = [], path) {
      const id = identities.ensure(username, groups);
      if (!path) {
        mkdirSync(join(opts.dataDir, 'identities'), { recursive: true, mode: 0o700 });
        path = join(opts.dataDir, 'identities', `${username.replace(/[^A-Za-z0-9._-]/g, '_')}.kubeconfig`);
      }
      return writeFile0600(path, kubeconfigFor(username, id.token));
    },
    useKubeletClientToken() {
      // a fresh one per start: only this server and the agents it starts know it
      api.kubeletToken = randomBytes(32).toString('base64url');
      return api.kubeletToken;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (loopTimer) clearInterval(loopTimer);
      controllers.stop();
      eventTtl.stop();
      rbac.stop();
      api.closeWatches();
      api.webhooks.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await store.close();
    },
    internals: { store, registry, api, auth, rbac },
  };
}

/** Objects every cluster has: the standard namespaces and the `kubernetes` service. */
function bootstrap(store: Store, api: Api): void {
  const ns = api.objects;
  const nsServed = { dryRun: false, fieldValidation: 'Ignore' as const, warnings: [], fieldManager: 'flotilla-apiserver' };
  const reg = api.reg;
  const nsRes = reg.find('', 'v1', 'namespaces')!;
  for (const name of DEFAULT_NAMESPACES) {
    if (!store.get('core/namespaces', '', name)) ns.create(nsRes, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, nsServed, 'flotilla-apiserver');
  }
  // namespaces created before the server made their ServiceAccount "default" (idempotent)
  for (const so of store.list('core/namespaces')) ensureDefaultServiceAccount(ns, reg, store, so.obj.metadata!.name!);
  const svcRes = reg.find('', 'v1', 'services')!;
  if (!store.get('core/services', 'default', 'kubernetes')) {
    ns.create(
      svcRes,
      'default',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
      },
      nsServed,
      'flotilla-apiserver',
    );
  }
  void nowIso;
}

/** The `kubernetes` Service's Endpoints and EndpointSlice point at this server, as a real API server keeps them. */
function publishKubernetesEndpoints(store: Store, host: string, port: number): void {
  const ip = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const now = nowIso();
  const ep = store.get('core/endpoints', 'default', 'kubernetes')?.obj;
  const subsets = [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }];
  if (JSON.stringify(ep?.subsets) !== JSON.stringify(subsets)) {
    store.put('core/endpoints', 'default', 'kubernetes', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        uid: (ep?.metadata?.uid as string) ?? randomUUID(),
        creationTimestamp: (ep?.metadata?.creationTimestamp as string) ?? now,
        labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
      },
      subsets,
    });
  }
  const slice = store.get('discovery.k8s.io/endpointslices', 'default', 'kubernetes')?.obj;
  const endpoints = [{ addresses: [ip], conditions: { ready: true } }];
  if (JSON.stringify(slice?.endpoints) !== JSON.stringify(endpoints) || JSON.stringify(slice?.ports) !== JSON.stringify([{ name: 'https', port, protocol: 'TCP' }])) {
    store.put('discovery.k8s.io/endpointslices', 'default', 'kubernetes', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        uid: (slice?.metadata?.uid as string) ?? randomUUID(),
        creationTimestamp: (slice?.metadata?.creationTimestamp as string) ?? now,
        labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
        generation: 1,
      },
      addressType: ip.includes(':') ? 'IPv6' : 'IPv4',
      endpoints,
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    });
  }
}
