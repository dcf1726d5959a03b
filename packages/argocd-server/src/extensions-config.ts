/**
 * Proxy extensions' configuration, as Argo CD documents it (developer guide, "Proxy Extensions"):
 * `extension.config` in argocd-cm (`extensions: [{name, backend: {…}}]`) and `extension.config.<name>`
 * keys (the backend of the extension `<name>`). A backend has `services` (each `url`, `headers`
 * `[{name, value}]` with `$key` values read from argocd-secret, and `cluster` `{name, server}`) and
 * the connection settings `connectionTimeout`, `keepAlive`, `idleConnectionTimeout`,
 * `maxIdleConnections`, `responseHeaderTimeout` (Go durations). Pure: no I/O.
 *
 * Flotilla addition (not in upstream's documentation): a service may say `insecureSkipVerify: true` to
 * reach an HTTPS backend whose certificate is self-signed (argo-server's default); without it the
 * certificate is verified against the system's roots.
 */
import { parse as parseYaml } from 'yaml';

export const EXT_CONFIG_KEY = 'extension.config';
export const DEFAULTS = { connectionTimeoutMs: 2_000, keepAliveMs: 15_000, idleConnectionTimeoutMs: 60_000, maxIdleConnections: 30 };

export interface ExtService {
  url: URL;
  /** resolved header values */
  headers: { name: string; value: string }[];
  cluster?: { name?: string; server?: string };
  insecureSkipVerify: boolean;
}

export interface ExtBackend {
  connectionTimeoutMs: number;
  keepAliveMs: number;
  idleConnectionTimeoutMs: number;
  maxIdleConnections: number;
  /** 0: none */
  responseHeaderTimeoutMs: number;
  services: ExtService[];
}

export interface Extension {
  name: string;
  /** where it was configured (`argocd-cm extension.config`, `argocd-cm extension.config.<name>`) */
  source: string;
  backend: ExtBackend;
}

const NAME = /^[A-Za-z0-9_-]+$/;
const UNIT: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`2s`, `1m30s`, `500ms`) in milliseconds; throws naming `what` when bad. */
export function parseDuration(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v / 1e6; // a bare number is nanoseconds in Go's JSON
  const s = String(v ?? '').trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let seen = false;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    ms += Number(m[1]) * UNIT[m[2]];
    seen = true;
    if (re.lastIndex === s.length) break;
  }
  if (!seen || re.lastIndex !== s.length) throw new Error(`${what}: invalid duration "${s}" (want e.g. 2s, 500ms, 1m30s)`);
  return ms;
}

/** Resolves a header value: `$key` is argocd-secret's `key` (an error when it has none). */
function headerValue(v: unknown, secret: Record<string, string>, what: string): string {
  const s = typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
  if (!s.startsWith('$')) return s;
  const key = s.slice(1);
  const val = secret[key];
  if (val === undefined) throw new Error(`${what}: argocd-secret has no key "${key}"`);
  return val;
}

function parseBackend(b: any, secret: Record<string, string>, where: string): ExtBackend {
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new Error(`${where}: backend must be an object with services`);
  const dur = (k: string, def: number) => (b[k] === undefined || b[k] === null || b[k] === '' ? def : parseDuration(b[k], `${where}.${k}`));
  const maxIdle = b.maxIdleConnections === undefined ? DEFAULTS.maxIdleConnections : Number(b.maxIdleConnections);
  if (!Number.isInteger(maxIdle) || maxIdle < 0) throw new Error(`${where}.maxIdleConnections: want a whole number, got ${JSON.stringify(b.maxIdleConnections)}`);
  const raw = b.services;
  if (!Array.isArray(raw) || raw.length === 0) throw new Error(`${where}.services: at least one service is required`);
  const services = raw.map((s: any, i: number): ExtService => {
    const w = `${where}.services[${i}]`;
    if (!s || typeof s !== 'object') throw new Error(`${w}: must be an object with url`);
    let url: URL;
    try {
      url = new URL(String(s.url ?? ''));
    } catch {
      throw new Error(`${w}.url: invalid URL ${JSON.stringify(s.url ?? '')}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${w}.url: want http:// or https://, got ${url.protocol}`);
    if (!Array.isArray(s.headers ?? [])) throw new Error(`${w}.headers: must be a list of {name, value}`);
    const headers = ((s.headers ?? []) as any[]).map((h, j) => {
      const hw = `${w}.headers[${j}]`;
      const name = String(h?.name ?? '').trim();
      if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`${hw}.name: invalid header name ${JSON.stringify(h?.name ?? '')}`);
      const value = headerValue(h?.value, secret, `${hw}.value`);
      if (/[\r\n]/.test(value)) throw new Error(`${hw}.value: must not contain line breaks`);
      return { name, value };
    });
    const c = s.cluster;
    const cluster = c && (c.name || c.server) ? { name: c.name ? String(c.name) : undefined, server: c.server ? String(c.server) : undefined } : undefined;
    return { url, headers, cluster, insecureSkipVerify: s.insecureSkipVerify === true || s.insecureSkipVerify === 'true' };
  });
  if (services.length > 1) {
    services.forEach((s, i) => {
      if (!s.cluster) throw new Error(`${where}.services[${i}].cluster: with more than one service, each needs cluster.name or cluster.server`);
    });
  }
  return {
    connectionTimeoutMs: dur('connectionTimeout', DEFAULTS.connectionTimeoutMs),
    keepAliveMs: dur('keepAlive', DEFAULTS.keepAliveMs),
    idleConnectionTimeoutMs: dur('idleConnectionTimeout', DEFAULTS.idleConnectionTimeoutMs),
    maxIdleConnections: maxIdle,
    responseHeaderTimeoutMs: dur('responseHeaderTimeout', 0),
    services,
  };
}

/**
 * The extensions configured in argocd-cm (`cm`), headers resolved from argocd-secret (`secret`).
 * A bad extension is left out with an error naming it and where; the others stand.
 */
export function parseExtensions(cm: Record<string, string>, secret: Record<string, string>): { extensions: Map<string, Extension>; errors: string[] } {
  const extensions = new Map<string, Extension>();
  const errors: string[] = [];
  const add = (name: unknown, backend: unknown, source: string) => {
    const n = typeof name === 'string' ? name.trim() : '';
    if (!n || !NAME.test(n)) return void errors.push(`${source}: invalid extension name ${JSON.stringify(name ?? '')} (letters, digits, - and _)`);
    if (extensions.has(n)) return void errors.push(`${source}: extension "${n}" is configured twice (also in ${extensions.get(n)!.source})`);
    try {
      extensions.set(n, { name: n, source, backend: parseBackend(backend, secret, `${source} ${n}.backend`) });
    } catch (e) {
      errors.push((e as Error).message);
    }
  };
  const main = cm[EXT_CONFIG_KEY];
  if (main?.trim()) {
    let doc: any;
    try {
      doc = parseYaml(main);
    } catch (e) {
      errors.push(`argocd-cm ${EXT_CONFIG_KEY}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (doc !== undefined && doc !== null) {
      if (!Array.isArray(doc?.extensions)) errors.push(`argocd-cm ${EXT_CONFIG_KEY}: want "extensions:" with a list`);
      else doc.extensions.forEach((e: any, i: number) => add(e?.name, e?.backend, `argocd-cm ${EXT_CONFIG_KEY} extensions[${i}]`));
    }
  }
  for (const key of Object.keys(cm).sort()) {
    if (!key.startsWith(`${EXT_CONFIG_KEY}.`)) continue;
    const name = key.slice(EXT_CONFIG_KEY.length + 1);
    let doc: any;
    try {
      doc = parseYaml(cm[key]);
    } catch (e) {
      errors.push(`argocd-cm ${key}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    add(name, doc, `argocd-cm ${key}`);
  }
  return { extensions, errors };
}

/** The service of an extension for an application's destination: the only one, else the one of its cluster. */
export function serviceFor(b: ExtBackend, dest: { name?: string; server?: string }): ExtService | undefined {
  if (b.services.length === 1 && !b.services[0].cluster) return b.services[0];
  const IN = 'https://kubernetes.default.svc';
  const server = dest.server || (dest.name === 'in-cluster' ? IN : undefined);
  const name = dest.name || (dest.server === IN ? 'in-cluster' : undefined);
  return (
    b.services.find((s) => s.cluster?.name && s.cluster?.server && s.cluster.name === name && s.cluster.server.replace(/\/+$/, '') === server?.replace(/\/+$/, '')) ??
    b.services.find((s) => s.cluster?.name && !s.cluster.server && s.cluster.name === name) ??
    b.services.find((s) => s.cluster?.server && !s.cluster.name && s.cluster.server.replace(/\/+$/, '') === server?.replace(/\/+$/, ''))
  );
}
