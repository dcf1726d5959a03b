/**
 * The generators' view of the world (`GenContext`) backed by the controller's informers (cluster
 * Secrets, repository Secrets, ConfigMaps of Argo CD's namespace), Git and fetch.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import type { Informer, KubeClient } from '@flotilla/kube-runtime';
import type { ClusterEntry, GenContext } from './generators.js';
import { GitReader, type GitCreds } from './git.js';
import type { LabelSelector, Obj } from './types.js';
import { GeneratorError } from './types.js';

export const IN_CLUSTER = 'https://kubernetes.default.svc';
export const SECRET_TYPE = 'argocd.argoproj.io/secret-type';

type Secret = KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };
const b64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));
const field = (s: Secret, k: string) => s.stringData?.[k] ?? b64(s.data?.[k]);

/** Cluster Secrets → clusters (the in-cluster one added when no Secret names its server). */
export function clustersFromSecrets(secrets: Secret[]): ClusterEntry[] {
  const out: ClusterEntry[] = [];
  for (const s of secrets) {
    if (s.metadata?.labels?.[SECRET_TYPE] !== 'cluster') continue;
    const server = (field(s, 'server') ?? '').replace(/\/+$/, '');
    if (!server) continue;
    out.push({ name: field(s, 'name') ?? server, server, project: field(s, 'project'), labels: { ...(s.metadata?.labels ?? {}) }, annotations: { ...(s.metadata?.annotations ?? {}) } });
  }
  if (!out.some((c) => c.server === IN_CLUSTER)) out.unshift({ name: 'in-cluster', server: IN_CLUSTER, labels: {}, annotations: {} });
  return out;
}

/** Credentials for a repository URL: a `repository` Secret for it, else the longest matching `repo-creds` prefix. */
export function repoCredentials(secrets: Secret[], url: string): GitCreds | undefined {
  const norm = (u: string) => u.replace(/\.git$/, '').replace(/\/+$/, '').toLowerCase();
  let best: { len: number; c: GitCreds } | undefined;
  for (const s of secrets) {
    const type = s.metadata?.labels?.[SECRET_TYPE];
    const u = field(s, 'url');
    if (!u || (type !== 'repository' && type !== 'repo-creds')) continue;
    const c: GitCreds = { username: field(s, 'username') ?? (field(s, 'bearerToken') ? 'x-token' : undefined), password: field(s, 'password') ?? field(s, 'bearerToken') };
    if (c.username === undefined && c.password === undefined) continue;
    if (type === 'repository' && norm(u) === norm(url)) return c;
    if (type === 'repo-creds' && url.startsWith(u) && (!best || u.length > best.len)) best = { len: u.length, c };
  }
  return best?.c;
}

/** `$key` (argocd-secret) or `$secret-name:key` → the value. */
export function resolveSecretRef(secrets: Secret[], ref: string, namespace: string): string | undefined {
  if (!ref.startsWith('$')) return ref;
  const body = ref.slice(1);
  const i = body.indexOf(':');
  const [name, key] = i < 0 ? ['argocd-secret', body] : [body.slice(0, i), body.slice(i + 1)];
  const s = secrets.find((x) => x.metadata?.name === name && (x.metadata?.namespace ?? namespace) === namespace);
  return s ? field(s, key) : undefined;
}

/** A context over a snapshot of Argo CD's Secrets and ConfigMaps read through the API (servers, CLIs: no informers). */
export async function loadContext(client: KubeClient, namespace: string, git: GitReader): Promise<GenContext> {
  const SECRETS = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
  const CMS = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
  const [secrets, cms] = await Promise.all([client.list(SECRETS, namespace), client.list(CMS, namespace)]);
  const snap = (items: KubeObject[]) => ({ list: () => items, get: (ns: string, name: string) => items.find((x) => x.metadata?.namespace === ns && x.metadata?.name === name) }) as unknown as Informer;
  return makeContext({ namespace, client, secrets: snap(secrets.items), configMaps: snap(cms.items), git });
}

/** --enable-scm-providers and --allowed-scm-providers as upstream applies them (pure). */
export function scmPolicy(enabled: boolean, allowed: string[]): (apiURL: string) => string | undefined {
  const norm = (u: string) => u.replace(/\/+$/, '').replace(/\/api\/(v1|v4)$|\/rest\/api\/1\.0$/, '');
  return (url) => {
    if (!enabled) return 'SCM providers are disabled (--enable-scm-providers=false)';
    if (allowed.length && !allowed.some((a) => norm(a) === norm(url))) return `${norm(url)} is not an allowed SCM provider (--allowed-scm-providers)`;
    return undefined;
  };
}

export function makeContext(o: { namespace: string; client: KubeClient; secrets: Informer; configMaps: Informer; git: GitReader; fetchTimeoutMs?: number; scmRefused?: (url: string) => string | undefined }): GenContext {
  const secrets = () => o.secrets.list() as Secret[];
  return {
    scmRefused: o.scmRefused,
    clusters: () => clustersFromSecrets(secrets()),
    gitDirectories: (url, rev) => o.git.directories(url, rev),
    gitFiles: (url, rev) => o.git.files(url, rev),
    gitRead: (url, rev, p) => o.git.read(url, rev, p),
    configMap: (name) => (o.configMaps.get(o.namespace, name) as (KubeObject & { data?: Record<string, string> }) | undefined)?.data ?? (o.configMaps.get(o.namespace, name) ? {} : undefined),
    secretValue: (ref) => resolveSecretRef(secrets(), ref, o.namespace),
    async resources(apiVersion: string, kind: string, name?: string, selector?: LabelSelector): Promise<Obj[]> {
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      let r;
      try {
        r = await o.client.resourceFor({ group: group!, version: version!, kind });
      } catch {
        // the ConfigMap may name the plural (upstream's examples say `placementdecisions`)
        const all = await o.client.resources(group!, version!).catch(() => []);
        r = all.find((x) => x.plural === kind.toLowerCase() || x.kind.toLowerCase() === kind.toLowerCase());
      }
      if (!r) throw new GeneratorError(`clusterDecisionResource: no resource ${kind} in ${apiVersion}`);
      if (name) {
        try {
          return [(await o.client.get(r, o.namespace, name)) as unknown as Obj];
        } catch (e) {
          if ((e as { code?: number }).code === 404) return [];
          throw e;
        }
      }
      const ls = [
        ...Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(selector?.matchExpressions ?? []).map((e) => (e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`)),
      ].join(',');
      return (await o.client.list(r, o.namespace, ls ? { labelSelector: ls } : {})).items as unknown as Obj[];
    },
    async fetch(url, init) {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(o.fetchTimeoutMs ?? 30_000) });
      return { status: res.status, text: await res.text() };
    },
  };
}
