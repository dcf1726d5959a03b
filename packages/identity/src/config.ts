/**
 * Dex's configuration as Argo CD produces it from argocd-cm (`argocd-dex rundex` / `gendexcfg`):
 * `dex.config` parsed as YAML, the issuer `<url>/api/dex`, memory storage, `oauth2.skipApprovalScreen`
 * true unless set, the static clients Argo CD registers (`argo-cd`, `argo-cd-cli`, `argo-cd-pkce`) ahead
 * of the user's, each redirect connector's `redirectURI` set to `<url>/api/dex/callback`, and every
 * string value `$key` / `$<secret>:<key>` replaced from argocd-secret / named Secrets. Pure: no I/O.
 */
import YAML from 'yaml';
import { dexClientSecret } from './secret.js';

export interface StaticClient {
  id: string;
  name?: string;
  secret?: string;
  redirectURIs: string[];
  public?: boolean;
}

export interface ConnectorEntry {
  type: string;
  id: string;
  name: string;
  config: Record<string, unknown>;
}

/** The broker's settings (the parts of Dex's config this broker acts on). */
export interface BrokerConfig {
  issuer: string;
  skipApprovalScreen: boolean;
  staticClients: StaticClient[];
  connectors: ConnectorEntry[];
  /** Dex's `expiry.idTokens` (default 24h), seconds */
  idTokenTTL: number;
  /** Dex's `expiry.signingKeys` (default 6h), seconds */
  signingKeyTTL: number;
  /** Dex's `expiry.refreshTokens.absoluteLifetime` (default 3960h), seconds */
  refreshTokenTTL: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Connector types whose `redirectURI` Argo CD sets to `<url>/api/dex/callback`. */
const NEEDS_REDIRECT_URI = new Set(['oidc', 'saml', 'microsoft', 'linkedin', 'gitlab', 'github', 'bitbucket-cloud', 'openshift', 'gitea', 'google', 'oauth']);

export const ARGO_CD_CLIENT = 'argo-cd';
export const ARGO_CD_CLI_CLIENT = 'argo-cd-cli';

/** Secret data as Argo CD sees it: argocd-secret's keys, and `<secret>:<key>` for the other Secrets labelled part-of argocd. */
export function secretValues(argocdSecret: Record<string, string>, others: Record<string, Record<string, string>> = {}): Record<string, string> {
  const out: Record<string, string> = { ...argocdSecret };
  for (const [name, data] of Object.entries(others)) for (const [k, v] of Object.entries(data)) out[`${name}:${k}`] = v;
  return out;
}

/** `$key` / `$secret:key` → the secret's value (trimmed); unknown references stay as written and are reported (by name only). */
export function replaceSecrets<T>(v: T, secrets: Record<string, string>, missing: string[] = []): T {
  if (typeof v === 'string') {
    if (!v.startsWith('$') || v.length < 2) return v;
    const val = secrets[v.slice(1)];
    if (val === undefined) {
      missing.push(v);
      return v;
    }
    return val.trim() as T;
  }
  if (Array.isArray(v)) return v.map((x) => replaceSecrets(x, secrets, missing)) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceSecrets(x, secrets, missing)])) as T;
  return v;
}

const trimSlash = (u: string) => u.replace(/\/+$/, '');

/**
 * The Dex configuration Argo CD generates (as a plain object, what `argocd-dex gendexcfg` prints), or
 * undefined when Dex is not configured (no `url` or no `dex.config`). Throws ConfigError naming the problem.
 */
export function generateDexConfig(cm: Record<string, string>, secrets: Record<string, string>, o: { disableTLS?: boolean; warn?: (msg: string) => void } = {}): Record<string, any> | undefined {
  const url = (cm['url'] ?? '').trim();
  const raw = cm['dex.config'] ?? '';
  if (!url || !raw.trim()) return undefined;
  let dex: any;
  try {
    dex = YAML.parse(raw);
  } catch (e) {
    throw new ConfigError(`argocd-cm dex.config: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (dex == null) return undefined;
  if (typeof dex !== 'object' || Array.isArray(dex)) throw new ConfigError('argocd-cm dex.config: must be a YAML map');
  const base = trimSlash(url);
  dex.issuer = `${base}/api/dex`;
  dex.storage = { type: 'memory' };
  dex.web = o.disableTLS === false ? { https: '0.0.0.0:5556' } : { http: '0.0.0.0:5556' };
  dex.grpc = { addr: '0.0.0.0:5557' };
  dex.telemetry = { http: '0.0.0.0:5558' };
  if (dex.oauth2 && typeof dex.oauth2 === 'object') {
    if (typeof dex.oauth2.skipApprovalScreen !== 'boolean') dex.oauth2.skipApprovalScreen = true;
  } else dex.oauth2 = { skipApprovalScreen: true };
  const additional = parseAdditionalUrls(cm['additionalUrls']);
  const serverKey = secrets['server.secretkey'];
  const argoCD: StaticClient = {
    id: ARGO_CD_CLIENT,
    name: 'Argo CD',
    secret: serverKey ? dexClientSecret(serverKey) : undefined,
    redirectURIs: [`${base}/auth/callback`, ...additional.map((u) => `${trimSlash(u)}/auth/callback`)],
  };
  if (!serverKey) o.warn?.('argocd-secret has no server.secretkey: the argo-cd client has no secret and cannot get tokens');
  const cli: StaticClient = { id: ARGO_CD_CLI_CLIENT, name: 'Argo CD CLI', public: true, redirectURIs: ['http://localhost', 'http://localhost:8085/auth/callback'] };
  const pkce: StaticClient = { id: 'argo-cd-pkce', name: 'Argo CD PKCE', public: true, redirectURIs: [`${base}/pkce/verify`] };
  const user = dex.staticClients;
  if (user !== undefined && !Array.isArray(user)) throw new ConfigError('argocd-cm dex.config: staticClients must be a list');
  dex.staticClients = [argoCD, cli, pkce, ...(user ?? [])];
  const connectors = dex.connectors;
  if (!Array.isArray(connectors)) throw new ConfigError('argocd-cm dex.config: malformed Dex configuration: connectors must be a list');
  connectors.forEach((c: any, i: number) => {
    if (!c || typeof c !== 'object') throw new ConfigError(`argocd-cm dex.config: connectors[${i}] must be a map`);
    if (typeof c.type !== 'string' || !c.type) throw new ConfigError(`argocd-cm dex.config: connectors[${i}].type is missing`);
    if (!NEEDS_REDIRECT_URI.has(c.type)) return;
    if (c.config == null) c.config = {};
    if (typeof c.config !== 'object') throw new ConfigError(`argocd-cm dex.config: connectors[${i}].config must be a map`);
    c.config.redirectURI = `${base}/api/dex/callback`;
  });
  const missing: string[] = [];
  const out = replaceSecrets(dex, secrets, missing);
  for (const m of new Set(missing)) o.warn?.(`dex.config references ${m}, but that key does not exist in the secret`);
  return out;
}

function parseAdditionalUrls(v: string | undefined): string[] {
  if (!v?.trim()) return [];
  const list = YAML.parse(v);
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw new ConfigError('argocd-cm additionalUrls: must be a list of URLs');
  return list;
}

/** Go durations as Dex writes them (`24h`, `90m`, `1h30m`, `10s`). */
export function parseDuration(v: unknown, where: string, dflt: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v !== 'string') throw new ConfigError(`${where}: expected a duration like "24h", got ${JSON.stringify(v)}`);
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(v))) {
    total += Number(m[1]) * { h: 3600, m: 60, s: 1, ms: 0.001 }[m[2] as 'h']!;
    pos = re.lastIndex;
  }
  if (pos !== v.length || pos === 0) throw new ConfigError(`${where}: "${v}" is not a duration (like "24h" or "90m")`);
  return total;
}

/** Dex's configuration (as generated above, or a plain Dex config file) → the broker's settings. */
export function brokerConfig(dex: Record<string, any>): BrokerConfig {
  if (typeof dex.issuer !== 'string' || !/^https?:\/\//.test(dex.issuer)) throw new ConfigError('dex config: issuer must be an http(s) URL');
  const clients: StaticClient[] = (dex.staticClients ?? []).map((c: any, i: number) => {
    const where = `dex config staticClients[${i}]`;
    if (!c || typeof c.id !== 'string' || !c.id) throw new ConfigError(`${where}: id is missing`);
    const redirectURIs = c.redirectURIs ?? [];
    if (!Array.isArray(redirectURIs) || redirectURIs.some((u: unknown) => typeof u !== 'string')) throw new ConfigError(`${where} (${c.id}): redirectURIs must be a list of URLs`);
    const secret = c.secret ?? (c.secretEnv ? process.env[c.secretEnv] : undefined);
    if (!c.public && !secret) throw new ConfigError(`${where} (${c.id}): a client that is not public needs a secret`);
    return { id: c.id, name: c.name, secret, redirectURIs, public: !!c.public };
  });
  const seen = new Set<string>();
  for (const c of clients) {
    if (seen.has(c.id)) throw new ConfigError(`dex config staticClients: client id "${c.id}" appears twice`);
    seen.add(c.id);
  }
  const connectors: ConnectorEntry[] = (dex.connectors ?? []).map((c: any, i: number) => {
    const where = `dex config connectors[${i}]`;
    if (!c || typeof c.type !== 'string') throw new ConfigError(`${where}: type is missing`);
    if (typeof c.id !== 'string' || !c.id) throw new ConfigError(`${where} (${c.type}): id is missing`);
    if (!/^[A-Za-z0-9_.-]+$/.test(c.id)) throw new ConfigError(`${where}: id "${c.id}" may only hold letters, digits, '_', '.', '-'`);
    if (c.config != null && (typeof c.config !== 'object' || Array.isArray(c.config))) throw new ConfigError(`${where} (${c.id}): config must be a map`);
    return { type: c.type, id: c.id, name: typeof c.name === 'string' && c.name ? c.name : c.id, config: c.config ?? {} };
  });
  const cids = new Set<string>();
  for (const c of connectors) {
    if (cids.has(c.id)) throw new ConfigError(`dex config connectors: id "${c.id}" appears twice`);
    cids.add(c.id);
  }
  const exp = dex.expiry ?? {};
  return {
    issuer: trimSlash(dex.issuer),
    skipApprovalScreen: dex.oauth2?.skipApprovalScreen === true,
    staticClients: clients,
    connectors,
    idTokenTTL: parseDuration(exp.idTokens, 'dex config expiry.idTokens', 24 * 3600),
    signingKeyTTL: parseDuration(exp.signingKeys, 'dex config expiry.signingKeys', 6 * 3600),
    refreshTokenTTL: parseDuration(exp.refreshTokens?.absoluteLifetime, 'dex config expiry.refreshTokens.absoluteLifetime', 3960 * 3600),
  };
}
