/**
 * The global flags of `argo` and what they resolve to: the Kubernetes API (kubeconfig, the default) or
 * argo-server's REST API when ARGO_SERVER / `--argo-server` is set (with ARGO_SECURE, ARGO_INSECURE_SKIP_VERIFY,
 * ARGO_TOKEN, ARGO_HTTP1, ARGO_NAMESPACE, ARGO_BASE_HREF), as upstream's CLI reads them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '@flotilla/kube-runtime';
import type { FlagDef } from '@flotilla/cli-kit/flags';
import { io } from '@flotilla/cli-kit/io';
import YAML from './yaml.js';

/** An error the CLI reports as `FATA[0000] <message>` and exit code 1, as upstream's log.Fatal. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

const cleanups: (() => void)[] = [];
export function onCleanup(f: () => void): void {
  cleanups.push(f);
}
export function cleanup(): void {
  while (cleanups.length) {
    try {
      cleanups.pop()!();
    } catch {
      /* best effort */
    }
  }
}

const envBool = (v: string | undefined, dflt: boolean) => (v === undefined || v === '' ? dflt : /^(1|t|true|yes)$/i.test(v));

export function globalFlags(env: NodeJS.ProcessEnv = process.env): FlagDef[] {
  return [
    { name: 'argo-base-href', type: 'string', usage: 'Path to use with HTTP client due to Base HREF. Defaults to the ARGO_BASE_HREF environment variable.', default: env.ARGO_BASE_HREF ?? '' },
    { name: 'argo-http1', type: 'bool', usage: 'If true, use the HTTP client. Defaults to the ARGO_HTTP1 environment variable.', default: envBool(env.ARGO_HTTP1, false) },
    { name: 'argo-server', short: 's', type: 'string', usage: 'API server `host:port`. e.g. localhost:2746. Defaults to the ARGO_SERVER environment variable.', default: env.ARGO_SERVER ?? '' },
    { name: 'as', type: 'string', usage: 'Username to impersonate for the operation' },
    { name: 'certificate-authority', type: 'string', usage: 'Path to a cert file for the certificate authority' },
    { name: 'client-certificate', type: 'string', usage: 'Path to a client certificate file for TLS' },
    { name: 'client-key', type: 'string', usage: 'Path to a client key file for TLS' },
    { name: 'cluster', type: 'string', usage: 'The name of the kubeconfig cluster to use' },
    { name: 'context', type: 'string', usage: 'The name of the kubeconfig context to use' },
    { name: 'gloglevel', type: 'int', usage: 'Set the glog logging level' },
    { name: 'header', short: 'H', type: 'stringSlice', usage: 'Sets additional header to all requests made by Argo CLI. (Can be repeated multiple times to add multiple headers, also supports comma separated headers) Used only when either ARGO_HTTP1 or --argo-http1 is set to true.' },
    { name: 'insecure-skip-tls-verify', type: 'bool', usage: "If true, the server's certificate will not be checked for validity. This will make your HTTPS connections insecure" },
    { name: 'insecure-skip-verify', short: 'k', type: 'bool', usage: 'If true, the Argo Server\'s certificate will not be checked for validity. This will make your HTTPS connections insecure. Defaults to the ARGO_INSECURE_SKIP_VERIFY environment variable.', default: envBool(env.ARGO_INSECURE_SKIP_VERIFY, false) },
    { name: 'instanceid', type: 'string', usage: 'submit with a specific controller\'s instance id label. Default to the ARGO_INSTANCEID environment variable.', default: env.ARGO_INSTANCEID ?? '' },
    { name: 'kubeconfig', type: 'string', usage: 'Path to a kube config. Only required if out-of-cluster' },
    { name: 'loglevel', type: 'string', usage: 'Set the logging level. One of: debug|info|warn|error', default: 'info' },
    { name: 'namespace', short: 'n', type: 'string', usage: 'If present, the namespace scope for this CLI request' },
    { name: 'password', type: 'string', usage: 'Password for basic authentication to the API server' },
    { name: 'proxy-url', type: 'string', usage: 'If provided, this URL will be used to connect via proxy' },
    { name: 'request-timeout', type: 'string', usage: "The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't timeout requests.", default: '0' },
    { name: 'secure', short: 'e', type: 'bool', usage: 'Whether or not the server is using TLS with the Argo Server. Defaults to the ARGO_SECURE environment variable.', default: envBool(env.ARGO_SECURE, true) },
    { name: 'server', type: 'string', usage: 'The address and port of the Kubernetes API server' },
    { name: 'tls-server-name', type: 'string', usage: 'If provided, this name will be used to validate server certificate. If this is not provided, hostname used to contact the server is used.' },
    { name: 'token', type: 'string', usage: 'Bearer token for authentication to the API server' },
    { name: 'user', type: 'string', usage: 'The name of the kubeconfig user to use' },
    { name: 'username', type: 'string', usage: 'Username for basic authentication to the API server' },
    { name: 'verbose', short: 'v', type: 'bool', usage: 'Enabled verbose logging, i.e. --loglevel debug' },
  ];
}

export function kubeconfigPath(o: Record<string, any>): string | undefined {
  const p = o.kubeconfig || process.env.KUBECONFIG?.split(':').find((x) => x && existsSync(x)) || join(process.env.HOME || homedir(), '.kube', 'config');
  return o.kubeconfig || existsSync(p) ? p : undefined;
}

function kubeconfigDoc(o: Record<string, any>): any {
  const path = kubeconfigPath(o);
  if (!path) return undefined;
  try {
    return YAML.parse(readFileSync(path, 'utf8')) ?? {};
  } catch {
    return undefined;
  }
}

/** A Kubernetes client from the kubeconfig (`--kubeconfig`, `--context`, `--server`, `--token`), or in-cluster. */
export async function kubeClient(o: Record<string, any>): Promise<KubeClient> {
  const { KubeClient, resolveConfig } = await import('@flotilla/kube-runtime');
  const path = kubeconfigPath(o);
  let src: any = path;
  if (path && o.context) {
    const doc = kubeconfigDoc(o);
    if (!(doc?.contexts ?? []).some((c: any) => c.name === o.context)) throw new CliError(`context "${o.context}" does not exist`);
    doc['current-context'] = o.context;
    src = YAML.stringify(doc);
  }
  let k: KubeClient;
  try {
    let cfg = resolveConfig(src);
    // client-go's klog line at verbosity 6 (`-v` sets it, as `--gloglevel=6` does)
    if (path && (o.verbose || Number(o.gloglevel) >= 6)) io.err(`${klogHeader(new Date())} loader.go:395] Config loaded from file:  ${path}\n`);
    if (o.server || o.token || o.insecureSkipTlsVerify) cfg = { ...cfg, server: o.server || cfg.server, token: o.token || cfg.token, insecure: o.insecureSkipTlsVerify || cfg.insecure };
    k = new KubeClient(cfg, { fieldManager: 'argo', qps: 50, burst: 100, timeoutMs: 60_000 });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  onCleanup(() => k.close());
  return k;
}

/** klog's line header: `I1207 21:00:00.000000   12345` */
export function klogHeader(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `I${p(d.getMonth() + 1)}${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)} ${String(process.pid).padStart(7)}`;
}

/** `-n`, else ARGO_NAMESPACE (server mode), else the kubeconfig's current context's namespace, else "default". */
export function namespaceOf(o: Record<string, any>): string {
  if (o.namespace) return o.namespace;
  if (serverMode(o) && process.env.ARGO_NAMESPACE) return process.env.ARGO_NAMESPACE;
  const doc = kubeconfigDoc(o);
  if (doc) {
    const name = o.context || doc['current-context'];
    const ctx = (doc.contexts ?? []).find((c: any) => c.name === name);
    if (ctx?.context?.namespace) return ctx.context.namespace;
    return 'default';
  }
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

export function serverMode(o: Record<string, any>): boolean {
  return !!(o.argoServer || process.env.ARGO_SERVER);
}

/** The bearer token for argo-server: ARGO_TOKEN (with or without "Bearer "), else the kubeconfig's token. */
export function argoToken(o: Record<string, any>): string | undefined {
  const t = process.env.ARGO_TOKEN;
  if (t) return t.replace(/^Bearer\s+/i, '');
  if (o.token) return o.token;
  try {
    const path = kubeconfigPath(o);
    if (!path) return undefined;
    return (kubeconfigToken(path, o.context) || undefined) as string | undefined;
  } catch {
    return undefined;
  }
}

function kubeconfigToken(path: string, ctx?: string): string | undefined {
  const doc = YAML.parse(readFileSync(path, 'utf8')) ?? {};
  const c = (doc.contexts ?? []).find((x: any) => x.name === (ctx || doc['current-context']));
  const u = (doc.users ?? []).find((x: any) => x.name === c?.context?.user);
  return u?.user?.token;
}
