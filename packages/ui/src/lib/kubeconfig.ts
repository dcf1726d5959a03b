/**
 * Adding a cluster from a kubeconfig (Settings → Clusters → + Add cluster → From kubeconfig): the
 * contexts of a pasted kubeconfig (already parsed from YAML) and, for the chosen one, what Argo CD's
 * cluster Secret takes — the server, a name, and the credentials as `POST /api/v1/clusters`' `config`
 * (bearer token, basic auth, client certificate and key, CA data, insecure). What only works on the
 * machine kubectl runs on (file paths, exec plugins, auth providers) is refused, saying what to paste.
 */
import type { Checked } from './certs.js';

export interface KubeconfigCluster {
  server: string;
  name: string;
  config: {
    bearerToken?: string;
    username?: string;
    password?: string;
    tlsClientConfig: { insecure: boolean; caData?: string; certData?: string; keyData?: string; serverName?: string };
  };
  namespace?: string;
}


const FLATTEN = 'kubectl config view --raw --minify --flatten --context <name> prints it with the files inlined';

function named(list: unknown, key: string, name: string): Record<string, any> | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.find((x) => x && typeof x === 'object' && x.name === name)?.[key];
}

/** The context names of a kubeconfig, the current one first. */
export function kubeconfigContexts(doc: unknown): Checked<string[]> {
  const d = doc as Record<string, any> | null;
  if (!d || typeof d !== 'object' || Array.isArray(d)) return { error: 'Kubeconfig: not a YAML mapping' };
  if (d.kind !== undefined && d.kind !== 'Config') return { error: `Kubeconfig: kind is ${JSON.stringify(d.kind)}, not Config` };
  const names = (Array.isArray(d.contexts) ? d.contexts : []).map((c: any) => c?.name).filter((n: unknown): n is string => typeof n === 'string' && n !== '');
  if (!names.length) return { error: 'Kubeconfig: no contexts (want contexts: [{name, context: {cluster, user}}])' };
  const cur = d['current-context'];
  return { value: names.includes(cur) ? [cur, ...names.filter((n: string) => n !== cur)] : names };
}

/** The cluster of one context, as Argo CD's cluster Secret takes it. */
export function clusterFromKubeconfig(doc: unknown, context: string): Checked<KubeconfigCluster> {
  const d = (doc ?? {}) as Record<string, any>;
  const ctx = named(d.contexts, 'context', context);
  if (!ctx) return { error: `Kubeconfig: no context "${context}"` };
  const cl = named(d.clusters, 'cluster', ctx.cluster);
  if (!cl) return { error: `Kubeconfig: context "${context}" names cluster "${ctx.cluster}", which is not in clusters` };
  const server = String(cl.server ?? '');
  if (!/^https?:\/\/[^\s/]+/.test(server)) return { error: `Kubeconfig: cluster "${ctx.cluster}": server ${JSON.stringify(cl.server ?? '')} is not an http(s) URL` };
  if (cl['certificate-authority']) return { error: `Kubeconfig: cluster "${ctx.cluster}": certificate-authority is a file (${cl['certificate-authority']}) on the machine it came from — ${FLATTEN}` };
  const tls: KubeconfigCluster['config']['tlsClientConfig'] = { insecure: cl['insecure-skip-tls-verify'] === true };
  if (cl['certificate-authority-data']) tls.caData = String(cl['certificate-authority-data']);
  if (cl['tls-server-name']) tls.serverName = String(cl['tls-server-name']);
  const config: KubeconfigCluster['config'] = { tlsClientConfig: tls };
  if (ctx.user !== undefined && ctx.user !== '') {
    const u = named(d.users, 'user', ctx.user);
    if (!u) return { error: `Kubeconfig: context "${context}" names user "${ctx.user}", which is not in users` };
    const at = `Kubeconfig: user "${ctx.user}"`;
    if (u.exec) return { error: `${at}: an exec credential plugin (${u.exec.command ?? '?'}) runs on the machine kubectl runs on; Argo CD's cluster Secret needs a bearer token or client certificate here (e.g. a ServiceAccount token)` };
    if (u['auth-provider']) return { error: `${at}: auth-provider ${u['auth-provider'].name ?? ''} is not supported; use a bearer token or a client certificate` };
    for (const f of ['client-certificate', 'client-key', 'tokenFile'])
      if (u[f]) return { error: `${at}: ${f} is a file (${u[f]}) on the machine it came from — ${FLATTEN}` };
    if (u.token) config.bearerToken = String(u.token);
    if (u.username) config.username = String(u.username);
    if (u.password) config.password = String(u.password);
    if (u['client-certificate-data'] || u['client-key-data']) {
      if (!u['client-certificate-data'] || !u['client-key-data']) return { error: `${at}: client-certificate-data and client-key-data go together` };
      tls.certData = String(u['client-certificate-data']);
      tls.keyData = String(u['client-key-data']);
    }
    if (!config.bearerToken && !config.username && !tls.certData) return { error: `${at}: no credentials (token, username/password or client-certificate-data)` };
  }
  return { value: { server, name: context, config, ...(ctx.namespace ? { namespace: String(ctx.namespace) } : {}) } };
}
