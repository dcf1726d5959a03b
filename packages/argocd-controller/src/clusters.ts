/**
 * Destination clusters: the in-cluster one (`https://kubernetes.default.svc`, name `in-cluster`)
 * and every cluster Secret (`argocd.argoproj.io/secret-type: cluster`) of Argo CD's namespace:
 * `server`, `name`, `config` ({bearerToken, username/password, tlsClientConfig {caData, certData,
 * keyData, insecure, serverName}}), `namespaces`, `clusterResources`, `shard`. Each gets a client and
 * a live-state cache, started on first use; a Secret that changes restarts its cache.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { KubeClient, type ClientConfig } from '@flotilla/kube-runtime';
import { IN_CLUSTER } from '@flotilla/argocd-engine';
import { ClusterCache, type ClusterCacheOptions } from './cluster-cache.js';

export interface ClusterInfo {
  server: string;
  name: string;
  namespaces: string[];
  clusterResources: boolean;
  shard?: number;
  /** the client configuration (undefined: the in-cluster client) */
  config?: ClientConfig;
  /** resourceVersion of the Secret (a change restarts the cache) */
  version: string;
  /** why the Secret cannot be used */
  error?: string;
}

const b64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

/** A cluster Secret → cluster info (pure). Errors are kept on the info, naming the Secret and field. */
export function clusterFromSecret(s: KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> }): ClusterInfo {
  const where = `cluster Secret ${s.metadata?.namespace}/${s.metadata?.name}`;
  const get = (k: string) => s.stringData?.[k] ?? b64(s.data?.[k]);
  const server = (get('server') ?? '').trim().replace(/\/+$/, '');
  const info: ClusterInfo = {
    server,
    name: get('name') ?? server,
    namespaces: (get('namespaces') ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    clusterResources: get('clusterResources') === 'true',
    version: s.metadata?.resourceVersion ?? '',
  };
  const shard = get('shard');
  if (shard !== undefined && shard !== '') info.shard = Number(shard);
  if (!server) return { ...info, error: `${where}: data.server is missing` };
  let cfg: { bearerToken?: string; username?: string; password?: string; tlsClientConfig?: { caData?: string; certData?: string; keyData?: string; insecure?: boolean; serverName?: string } } = {};
  const raw = get('config');
  if (raw) {
    try {
      cfg = JSON.parse(raw);
    } catch (e) {
      return { ...info, error: `${where}: data.config is not JSON: ${(e as Error).message}` };
    }
  }
  if (server === IN_CLUSTER && !raw) return info;
  const tls = cfg.tlsClientConfig ?? {};
  info.config = {
    server,
    source: where,
    token: cfg.bearerToken,
    basicAuth: cfg.username ? `${cfg.username}:${cfg.password ?? ''}` : undefined,
    ca: b64(tls.caData),
    cert: b64(tls.certData),
    key: b64(tls.keyData),
    insecure: tls.insecure,
    servername: tls.serverName,
  };
  return info;
}

/** Which replica handles a cluster (Argo CD's legacy sharding: the Secret's `shard`, else a hash of its id). */
export function shardOf(c: { server: string; shard?: number; uid?: string }, replicas: number): number {
  if (replicas <= 1) return 0;
  if (c.shard !== undefined && Number.isInteger(c.shard)) return c.shard % replicas;
  if (c.server === IN_CLUSTER) return 0;
  let h = 0;
  for (const ch of c.uid ?? c.server) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % replicas;
}

export class Clusters {
  private readonly infos = new Map<string, ClusterInfo>();
  private readonly caches = new Map<string, { cache: ClusterCache; version: string }>();

  constructor(
    private readonly inCluster: () => KubeClient,
    private readonly cacheOpts: Omit<ClusterCacheOptions, 'server' | 'namespaces' | 'clusterResources'>,
    private readonly clientOpts: { qps?: number; burst?: number } = {},
  ) {}

  /** Replaces the set of cluster Secrets. Caches of changed or removed clusters stop. */
  setSecrets(secrets: KubeObject[]): void {
    this.infos.clear();
    for (const s of secrets) {
      const c = clusterFromSecret(s);
      if (c.server) this.infos.set(c.server, c);
    }
    for (const [server, e] of [...this.caches]) {
      const info = this.infos.get(server);
      const version = info?.version ?? (server === IN_CLUSTER ? '' : 'gone');
      if (version !== e.version) {
        this.caches.delete(server);
        void e.cache.stop();
      }
    }
  }

  /** A destination (server or name) → the cluster, or an error message. */
  resolve(dest: { server?: string; name?: string }): ClusterInfo | { error: string } {
    if (dest.server && dest.name) return { error: `application destination can't have both name and server defined: ${dest.name} ${dest.server}` };
    if (dest.name) {
      if (dest.name === 'in-cluster' && ![...this.infos.values()].some((c) => c.name === 'in-cluster')) return this.resolve({ server: IN_CLUSTER });
      const c = [...this.infos.values()].find((x) => x.name === dest.name);
      return c ?? { error: `there are no clusters with this name: ${dest.name}` };
    }
    const server = (dest.server ?? '').replace(/\/+$/, '');
    if (!server) return { error: 'Destination server missing from app spec' };
    const c = this.infos.get(server);
    if (c) return c;
    if (server === IN_CLUSTER) return { server, name: 'in-cluster', namespaces: [], clusterResources: true, version: '' };
    return { error: `cluster '${server}' has not been configured` };
  }

  list(): ClusterInfo[] {
    const out = [...this.infos.values()];
    if (!this.infos.has(IN_CLUSTER)) out.unshift({ server: IN_CLUSTER, name: 'in-cluster', namespaces: [], clusterResources: true, version: '' });
    return out;
  }

  /** The live-state cache of a cluster (started on first use). */
  cache(info: ClusterInfo): ClusterCache {
    let e = this.caches.get(info.server);
    if (!e) {
      const client = info.config ? new KubeClient(info.config, { fieldManager: 'argocd-controller', ...this.clientOpts }) : this.inClusterClient();
      const cache = new ClusterCache(client, { ...this.cacheOpts, server: info.server, namespaces: info.namespaces, clusterResources: info.clusterResources });
      e = { cache, version: info.version };
      this.caches.set(info.server, e);
    }
    return e.cache;
  }

  private inClusterClient(): KubeClient {
    return this.inCluster();
  }

  started(): ClusterCache[] {
    return [...this.caches.values()].map((e) => e.cache);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.caches.values()].map((e) => e.cache.stop()));
    this.caches.clear();
  }
}
