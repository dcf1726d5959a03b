/** Cluster Secrets (`argocd.argoproj.io/secret-type: cluster`) as Argo CD stores them, read from the server's cache. */
import { LABELS, IN_CLUSTER } from '@flotilla/argocd-engine/types';
import type { Ctx } from './context.js';
import { decodeData } from './store.js';

export interface ClusterEntry {
  secretName: string;
  name: string;
  server: string;
  config: { bearerToken?: string; username?: string; password?: string; tlsClientConfig?: { insecure?: boolean; caData?: string; certData?: string; keyData?: string; serverName?: string }; execProviderConfig?: unknown; awsAuthConfig?: unknown };
  namespaces: string[];
  clusterResources: boolean;
  project?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  rv: string;
}

export function clusterSecrets(ctx: Ctx): ClusterEntry[] {
  return ctx.store.secrets
    .list(ctx.store.namespace)
    .filter((s) => s.metadata?.labels?.[LABELS.secretType] === 'cluster')
    .map((s) => {
      const d = decodeData(s);
      let config: ClusterEntry['config'] = {};
      try {
        config = d.config ? JSON.parse(d.config) : {};
      } catch {
        config = {};
      }
      const labels = { ...(s.metadata?.labels ?? {}) } as Record<string, string>;
      return {
        secretName: s.metadata!.name!,
        name: d.name ?? '',
        server: (d.server ?? '').replace(/\/+$/, ''),
        config,
        namespaces: (d.namespaces ?? '').split(',').map((x) => x.trim()).filter(Boolean),
        clusterResources: d.clusterResources === 'true',
        project: d.project || undefined,
        labels,
        annotations: { ...(s.metadata?.annotations ?? {}) } as Record<string, string>,
        rv: s.metadata?.resourceVersion ?? '',
      };
    });
}

/** A kube-runtime client configuration for a cluster entry. */
export function clusterConfigOf(c: ClusterEntry): { url: string; caPem?: string; token?: string; insecureSkipTlsVerify?: boolean } {
  const tls = c.config.tlsClientConfig ?? {};
  return {
    url: c.server,
    caPem: tls.caData ? Buffer.from(tls.caData, 'base64').toString('utf8') : undefined,
    token: c.config.bearerToken,
    insecureSkipTlsVerify: tls.insecure,
  };
}

export { IN_CLUSTER };
