/**
 * Client configuration: a kubeconfig file (kubectl's rules: KUBECONFIG, ~/.kube/config,
 * current-context, certificate-authority(-data), insecure-skip-tls-verify, tls-server-name, token,
 * tokenFile, client-certificate(-data), client-key(-data), username/password; files relative to the
 * kubeconfig), the in-cluster service-account config, or a server handle `{ url, caPem, token }`.
 * Exec and auth-provider credentials are resolved by @kubernetes/client-node, and YAML beyond what
 * kubeconfig files are written in by the `yaml` package, each loaded only then (client-node's import
 * costs ~80 MB; components that never need it never pay for it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { createRequire } from 'node:module';
import { parseSimpleYaml, Unsupported } from './yaml-lite.js';

const require = createRequire(import.meta.url);

/** JSON, the block YAML kubeconfigs are written in, or (loaded only then) any YAML. */
function parseYaml(text: string): unknown {
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch {
      // YAML flow style: below
    }
  }
  try {
    return parseSimpleYaml(text);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
  }
  return (require('yaml') as typeof import('yaml')).parse(text);
}

/** Everything a request needs to reach and authenticate to one API server. */
export interface ClientConfig {
  server: string;
  ca?: string;
  insecure?: boolean;
  servername?: string;
  token?: string;
  /** re-read periodically (bound service-account tokens rotate) */
  tokenFile?: string;
  cert?: string;
  key?: string;
  basicAuth?: string;
  /** credentials produced by a plugin (exec, auth-provider); refreshed periodically */
  dynamic?: () => Promise<{ headers: Record<string, string>; ca?: string; cert?: string; key?: string; insecure?: boolean }>;
  /** where this came from (a file path, "in-cluster", a URL), for error messages */
  source: string;
}

/** A bad or missing configuration: the message names the file. */
export class KubeConfigError extends Error {}

/** Duck type of @kubernetes/client-node's KubeConfig (accepted without importing it). */
export interface KubeConfigObject {
  getCurrentCluster(): { server: string; caData?: string; caFile?: string; skipTLSVerify?: boolean; tlsServerName?: string } | null;
  applyToHTTPSOptions(o: object): Promise<void>;
}

/** A path, kubeconfig YAML/JSON text, a client-node KubeConfig, a server handle, or undefined (the defaults). */
export type KubeConfigLike = string | KubeConfigObject | ClientConfig | { url: string; caPem?: string; token?: string; insecureSkipTlsVerify?: boolean };

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** In-cluster config (KUBERNETES_SERVICE_HOST/PORT and the mounted service-account token), if present. */
export function inClusterConfig(saDir = SA_DIR, env: NodeJS.ProcessEnv = process.env): ClientConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(join(saDir, 'token'))) return undefined;
  const h = host.includes(':') ? `[${host}]` : host;
  const ca = join(saDir, 'ca.crt');
  return { server: `https://${h}:${port}`, tokenFile: join(saDir, 'token'), ca: existsSync(ca) ? readFileSync(ca, 'utf8') : undefined, source: 'in-cluster config' };
}

/** kubectl's order: $KUBECONFIG (first existing file), ~/.kube/config, then the in-cluster config. */
export function defaultConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const paths = (env.KUBECONFIG ?? '').split(':').filter(Boolean);
  for (const p of paths) if (existsSync(p)) return kubeconfigFromFile(p);
  if (paths.length) throw new KubeConfigError(`KUBECONFIG=${env.KUBECONFIG}: no such file`);
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return kubeconfigFromFile(home);
  // a pod of Flotilla's node agent without bubblewrap sees its volumes under FLOTILLA_POD_ROOT, not at their mount paths
  const ic = inClusterConfig(SA_DIR, env) ?? (env.FLOTILLA_POD_ROOT ? inClusterConfig(join(env.FLOTILLA_POD_ROOT, SA_DIR), env) : undefined);
  if (ic) return ic;
  throw new KubeConfigError(`no kubeconfig: KUBECONFIG is not set, ${home} does not exist and this is not running in a cluster`);
}

export function kubeconfigFromFile(path: string): ClientConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new KubeConfigError(`kubeconfig ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return kubeconfigFromText(text, path, dirname(path));
}

function named(list: unknown, name: unknown, what: string, src: string): any {
  const e = (Array.isArray(list) ? list : []).find((x: any) => x?.name === name);
  if (!e) throw new KubeConfigError(`kubeconfig ${src}: ${what} "${name}" not found`);
  return e;
}

function fileOrData(base: string, file: unknown, data: unknown, src: string, what: string): string | undefined {
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8');
  if (typeof file === 'string' && file) {
    const p = isAbsolute(file) ? file : join(base, file);
    try {
      return readFileSync(p, 'utf8');
    } catch (e) {
      throw new KubeConfigError(`kubeconfig ${src}: ${what} ${p}: ${(e as Error).message}`);
    }
  }
  return undefined;
}

/** Parses kubeconfig text (YAML or JSON); `src` names it in errors, `base` resolves relative files. */
export function kubeconfigFromText(text: string, src = '<kubeconfig text>', base = process.cwd()): ClientConfig {
  let doc: any;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new KubeConfigError(`kubeconfig ${src}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new KubeConfigError(`kubeconfig ${src}: not a kubeconfig (expected a mapping with clusters, users and contexts)`);
  const ctxName = doc['current-context'];
  if (!ctxName) throw new KubeConfigError(`kubeconfig ${src}: no current-context`);
  const ctx = named(doc.contexts, ctxName, 'context', src).context ?? {};
  const cluster = named(doc.clusters, ctx.cluster, 'cluster', src).cluster ?? {};
  const user = ctx.user ? (named(doc.users, ctx.user, 'user', src).user ?? {}) : {};
  const server = String(cluster.server ?? '');
  if (!server) throw new KubeConfigError(`kubeconfig ${src}: cluster "${ctx.cluster}" has no server`);
  try {
    new URL(server);
  } catch {
    throw new KubeConfigError(`kubeconfig ${src}: cluster "${ctx.cluster}" has an invalid server URL "${server}"`);
  }
  const r: ClientConfig = { server, source: src };
  r.ca = fileOrData(base, cluster['certificate-authority'], cluster['certificate-authority-data'], src, 'certificate-authority');
  if (cluster['insecure-skip-tls-verify'] === true) r.insecure = true;
  if (cluster['tls-server-name']) r.servername = String(cluster['tls-server-name']);
  if (user.exec || user['auth-provider']) {
    r.dynamic = pluginCredentials(text, src);
    return r;
  }
  if (user.token) r.token = String(user.token);
  else if (user.tokenFile) r.tokenFile = isAbsolute(user.tokenFile) ? user.tokenFile : join(base, user.tokenFile);
  r.cert = fileOrData(base, user['client-certificate'], user['client-certificate-data'], src, 'client-certificate');
  r.key = fileOrData(base, user['client-key'], user['client-key-data'], src, 'client-key');
  if (user.username && user.password) r.basicAuth = `${user.username}:${user.password}`;
  return r;
}

/** Exec plugins and auth providers: @kubernetes/client-node runs them (loaded on first use). */
function pluginCredentials(text: string, src: string): ClientConfig['dynamic'] {
  let kc: KubeConfigObject | undefined;
  return async () => {
    if (!kc) {
      const { KubeConfig } = await import('@kubernetes/client-node');
      const k = new KubeConfig();
      k.loadFromString(text);
      kc = k as unknown as KubeConfigObject;
    }
    return fromClientNode(kc, src);
  };
}

async function fromClientNode(kc: KubeConfigObject, src: string) {
  const o: any = {};
  try {
    await kc.applyToHTTPSOptions(o);
  } catch (e) {
    throw new KubeConfigError(`kubeconfig ${src}: credentials plugin: ${(e as Error).message}`);
  }
  const str = (v: unknown) => (v === undefined || v === null ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
  return { headers: (o.headers ?? {}) as Record<string, string>, ca: str(o.ca), cert: str(o.cert), key: str(o.key), insecure: o.rejectUnauthorized === false ? true : undefined };
}

/** Resolves any accepted form to a ClientConfig. */
export function resolveConfig(src?: KubeConfigLike): ClientConfig {
  if (src === undefined) return defaultConfig();
  if (typeof src === 'string') {
    // one line: a path; several lines (or JSON): kubeconfig text
    if (!src.includes('\n') && !src.trimStart().startsWith('{')) return kubeconfigFromFile(src);
    return kubeconfigFromText(src);
  }
  if (typeof (src as KubeConfigObject).getCurrentCluster === 'function') {
    const kc = src as KubeConfigObject;
    const c = kc.getCurrentCluster();
    if (!c) throw new KubeConfigError('KubeConfig: no current cluster');
    return { server: c.server, source: c.server, dynamic: () => fromClientNode(kc, c.server) };
  }
  if ('server' in src && typeof (src as ClientConfig).server === 'string') return src as ClientConfig;
  const s = src as { url: string; caPem?: string; token?: string; insecureSkipTlsVerify?: boolean };
  if (!s.url) throw new KubeConfigError('client config: no server URL');
  return { server: s.url, ca: s.caPem, token: s.token, insecure: s.insecureSkipTlsVerify, source: s.url };
}
