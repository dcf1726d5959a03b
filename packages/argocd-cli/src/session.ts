/**
 * The global flags (`--server`, `--auth-token`, `--config`, `--core`, …) and what they resolve to:
 * an API client for the current context, or a Kubernetes client for `--core`.
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fs } from './node-fs.js';
import YAML from '@flotilla/cli-kit/yaml';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '@flotilla/kube-runtime';
import type { ApiClient } from './client.js';
import { RpcError } from './rpc-error.js';
import type { FlagDef } from '@flotilla/cli-kit/flags';
import { defaultConfigPath, readConfig, resolveContext, type LocalConfig } from './config.js';

const { existsSync, readFileSync } = fs;

export function globalFlags(env: NodeJS.ProcessEnv = process.env): FlagDef[] {
  return [
    { name: 'argocd-context', type: 'string', usage: 'The name of the Argo-CD server context to use' },
    { name: 'auth-token', type: 'string', usage: 'Authentication token; set this or the ARGOCD_AUTH_TOKEN environment variable' },
    { name: 'client-crt', type: 'string', usage: 'Client certificate file' },
    { name: 'client-crt-key', type: 'string', usage: 'Client certificate key file' },
    { name: 'config', type: 'string', usage: 'Path to Argo CD config', default: defaultConfigPath(env).replace(env.HOME || homedir(), env.HOME || homedir()) },
    { name: 'controller-name', type: 'string', usage: "Name of the Argo CD Application controller; set this or the ARGOCD_APPLICATION_CONTROLLER_NAME environment variable when the controller's name label differs from the default, for example when installing via the Helm chart", default: 'argocd-application-controller' },
    { name: 'core', type: 'bool', usage: 'If set to true then CLI talks directly to Kubernetes instead of talking to Argo CD API server' },
    { name: 'grpc-web', type: 'bool', usage: 'Enables gRPC-web protocol. Useful if Argo CD server is behind proxy which does not support HTTP2.' },
    { name: 'grpc-web-root-path', type: 'string', usage: 'Enables gRPC-web protocol. Useful if Argo CD server is behind proxy which does not support HTTP2. Set web root.' },
    { name: 'header', short: 'H', type: 'stringSlice', usage: 'Sets additional header to all requests made by Argo CD CLI. (Can be repeated multiple times to add multiple headers, also supports comma separated headers)' },
    { name: 'http-retry-max', type: 'int', usage: 'Maximum number of retries to establish http connection to Argo CD server' },
    { name: 'insecure', type: 'bool', usage: 'Skip server certificate and domain verification' },
    { name: 'kube-context', type: 'string', usage: 'Directs the command to the given kube-context' },
    { name: 'logformat', type: 'string', usage: 'Set the logging format. One of: json|text', default: 'text' },
    { name: 'loglevel', type: 'string', usage: 'Set the logging level. One of: debug|info|warn|error', default: 'info' },
    { name: 'plaintext', type: 'bool', usage: 'Disable TLS' },
    { name: 'port-forward', type: 'bool', usage: 'Connect to a random argocd-server port using port forwarding' },
    { name: 'port-forward-namespace', type: 'string', usage: 'Namespace name which should be used for port forwarding' },
    { name: 'prompts-enabled', type: 'bool', usage: 'Force optional interactive prompts to be enabled or disabled, overriding local configuration. If not specified, the local configuration value will be used, which is false by default.' },
    { name: 'server', type: 'string', usage: 'Argo CD server address' },
    { name: 'server-crt', type: 'string', usage: 'Server certificate file' },
    { name: 'server-name', type: 'string', usage: "Name of the Argo CD API server; set this or the ARGOCD_SERVER_NAME environment variable when the server's name label differs from the default, for example when installing via the Helm chart", default: 'argocd-server' },
  ];
}

/** An error answered by the Kubernetes API (kube-runtime's ApiError), without loading kube-runtime. */
export function isApiError(e: unknown, code?: number): e is Error & { code: number; reason: string } {
  return e instanceof Error && typeof (e as any).code === 'number' && 'reason' in e && (code === undefined || (e as any).code === code);
}

/** The built-in resources the CLI uses (kube-runtime's R, without loading it at start). */
export const RES = {
  secrets: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  configmaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  serviceaccounts: { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
};

export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 20,
  ) {
    super(message);
  }
}

export interface Globals {
  server: string;
  authToken: string;
  config: string;
  argocdContext: string;
  core: boolean;
  insecure: boolean;
  plaintext: boolean;
  grpcWeb: boolean;
  grpcWebRootPath: string;
  header: string[];
  kubeContext: string;
  portForward: boolean;
  portForwardNamespace: string;
  clientCrt: string;
  clientCrtKey: string;
  serverName: string;
}

export function configPath(o: Record<string, any>): string {
  return o.config || defaultConfigPath();
}

export function loadConfig(o: Record<string, any>): LocalConfig | undefined {
  return readConfig(configPath(o));
}

const cleanups: (() => void)[] = [];
/** Runs at exit of main: closes clients and port-forwards. */
export function cleanup(): void {
  while (cleanups.length) {
    try {
      cleanups.pop()!();
    } catch {
      /* best effort */
    }
  }
}

/** The connection settings of the current context, overridden by flags and environment. */
export function connection(o: Record<string, any>, changed: Set<string>): { server: string; insecure: boolean; plaintext: boolean; grpcWeb: boolean; grpcWebRootPath: string; token: string; core: boolean; contextName?: string } {
  const env = process.env;
  let cfg: LocalConfig | undefined;
  try {
    cfg = loadConfig(o);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  let server = o.server || env.ARGOCD_SERVER || '';
  let insecure = !!o.insecure;
  let plaintext = !!o.plaintext;
  let grpcWeb = !!o.grpcWeb;
  let grpcWebRootPath = o.grpcWebRootPath || '';
  let token = o.authToken || env.ARGOCD_AUTH_TOKEN || '';
  let core = !!o.core;
  let contextName: string | undefined;
  if (cfg && (cfg['current-context'] || o.argocdContext)) {
    try {
      const ctx = resolveContext(cfg, o.argocdContext || undefined);
      contextName = ctx.name;
      if (!server || server === ctx.server.server) {
        server = ctx.server.server;
        if (!changed.has('insecure')) insecure = !!ctx.server.insecure;
        if (!changed.has('plaintext')) plaintext = !!ctx.server['plain-text'];
        if (!changed.has('grpcWeb')) grpcWeb = !!ctx.server['grpc-web'];
        if (!changed.has('grpcWebRootPath')) grpcWebRootPath = ctx.server['grpc-web-root-path'] ?? '';
        if (!changed.has('core')) core = core || !!ctx.server.core;
        if (!token) token = ctx.user['auth-token'] ?? '';
      }
    } catch (e) {
      if (o.argocdContext) throw new CliError((e as Error).message);
    }
  }
  return { server, insecure, plaintext, grpcWeb, grpcWebRootPath, token, core, contextName };
}

/** An API client for the command's flags; errors tell the user to log in when there is no server. */
export async function apiClient(o: Record<string, any>, changed: Set<string>, opts: { needAuth?: boolean } = {}): Promise<ApiClient> {
  const c = connection(o, changed);
  let server = c.server;
  if (o.portForward) server = await portForward(o);
  if (!server) throw new CliError("Argo CD server address unspecified: run 'argocd login SERVER' first (or pass --server, or use --core)");
  // the HTTP client (and node:http/https behind it) only for commands that talk to a server
  const { ApiClient } = await import('./client.js');
  const client = new ApiClient({
    server,
    insecure: c.insecure,
    plaintext: c.plaintext && !o.portForward ? true : o.portForward ? false : c.plaintext,
    grpcWeb: c.grpcWeb,
    grpcWebRootPath: c.grpcWebRootPath,
    authToken: c.token || undefined,
    headers: o.header,
    clientCert: o.clientCrt ? readFileSync(o.clientCrt, 'utf8') : undefined,
    clientKey: o.clientCrtKey ? readFileSync(o.clientCrtKey, 'utf8') : undefined,
  });
  if (o.portForward) (client.o as any).insecure = true;
  cleanups.push(() => client.close());
  if (c.contextName && c.token && !o.authToken && !process.env.ARGOCD_AUTH_TOKEN && /^[\w-]+\.[\w-]+\./.test(c.token)) {
    // an SSO session from the config: renewed with its refresh token when expired (loaded only then)
    const exp = jwtExp(c.token);
    if (exp !== undefined && exp * 1000 < Date.now() + 5_000) await (await import('./sso.js')).refreshIfExpired(client, configPath(o), c.contextName, c.insecure);
  }
  if (opts.needAuth !== false && !c.token) {
    // upstream asks the server and gets Unauthenticated; say what to do instead
    (client as any).noToken = true;
  }
  return client;
}

function jwtExp(token: string): number | undefined {
  try {
    const c = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    return typeof c.exp === 'number' ? c.exp : undefined;
  } catch {
    return undefined;
  }
}

/** Re-throws an Unauthenticated error of a client without a token as "run argocd login". */
export function explainAuth(e: unknown, client?: ApiClient): never {
  if (e instanceof RpcError && e.code === 16 && client && !client.token) {
    throw new CliError(`${e.message}: not logged in; run 'argocd login ${client.base.host}' first (or set ARGOCD_AUTH_TOKEN)`);
  }
  throw e;
}

function kubeconfigPath(o: Record<string, any>): string | undefined {
  const p = o.kubeconfig || process.env.KUBECONFIG?.split(':')[0] || join(process.env.HOME || homedir(), '.kube', 'config');
  return o.kubeconfig || existsSync(p) ? p : undefined;
}

/** A Kubernetes client from the kubeconfig (`--kubeconfig`, `--context`/`--kube-context`), or in-cluster. */
export async function kubeClient(o: Record<string, any>): Promise<KubeClient> {
  const { KubeClient } = await import('@flotilla/kube-runtime');
  const path = kubeconfigPath(o);
  const ctx = o.context || o.kubeContext;
  let src: any = path;
  if (path && ctx) src = withContext(readFileSync(path, 'utf8'), ctx);
  let k: KubeClient;
  try {
    k = new KubeClient(src, { fieldManager: 'argocd', qps: 50, burst: 100 });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  cleanups.push(() => k.close());
  return k;
}

/** The kubeconfig text with current-context set to ctx (errors when it has no such context). */
export function withContext(text: string, ctx: string): string {
  const doc = YAML.parse(text) ?? {};
  if (!(doc.contexts ?? []).some((c: any) => c.name === ctx)) throw new CliError(`context "${ctx}" does not exist`);
  doc['current-context'] = ctx;
  return YAML.stringify(doc);
}

/** `-n`, else the namespace of the kubeconfig's current context, else the pod's, else fallback. */
export function kubeNamespace(o: Record<string, any>, fallback = 'default'): string {
  if (o.namespace) return o.namespace;
  const path = kubeconfigPath(o);
  if (path) {
    try {
      const doc = YAML.parse(readFileSync(path, 'utf8')) ?? {};
      const name = o.context || o.kubeContext || doc['current-context'];
      const ctx = (doc.contexts ?? []).find((c: any) => c.name === name);
      return ctx?.context?.namespace || fallback;
    } catch {
      return fallback;
    }
  }
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || fallback;
  } catch {
    return fallback;
  }
}

/** kubectl's connection flags that admin / core commands take */
export function kubeFlags(): FlagDef[] {
  return [
    { name: 'kubeconfig', type: 'string', usage: 'Path to a kube config. Only required if out-of-cluster' },
    { name: 'context', type: 'string', usage: 'The name of the kubeconfig context to use' },
    { name: 'namespace', short: 'n', type: 'string', usage: 'If present, the namespace scope for this CLI request' },
  ];
}

/** `--port-forward`: `kubectl port-forward` to the argocd-server Service on a random local port. */
async function portForward(o: Record<string, any>): Promise<string> {
  const ns = o.portForwardNamespace || kubeNamespace(o, 'argocd');
  const args = ['port-forward', '-n', ns, `svc/${o.serverName || 'argocd-server'}`, ':443', '--address', '127.0.0.1'];
  if (o.kubeContext) args.push('--context', o.kubeContext);
  const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const proc: ChildProcess = spawn('kubectl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => proc.kill('SIGTERM'));
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new CliError(`port forwarding to ${ns}/${o.serverName || 'argocd-server'} did not start: ${out}`)), 20_000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(`127.0.0.1:${m[1]}`);
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.on('error', (e) => reject(new CliError(`port forwarding needs kubectl: ${e.message}`)));
    proc.on('exit', (c) => {
      clearTimeout(t);
      reject(new CliError(`kubectl port-forward exited (${c}): ${out.trim()}`));
    });
  });
}
