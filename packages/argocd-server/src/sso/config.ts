/**
 * The SSO configuration of argocd-cm as Argo CD reads it: `oidc.config` (an external OpenID
 * Connect provider) or `dex.config` (the bundled broker: issuer `<url>/api/dex`, client `argo-cd`
 * with the secret derived from `server.secretkey`, CLI client `argo-cd-cli`). `oidc.config` wins
 * when both are set, as upstream. `$key` values resolve from argocd-secret, `$<secret>:<key>` from
 * the named Secret; errors name the key, never a secret's value.
 */
import { parse as parseYaml } from 'yaml';
import { dexClientSecret } from '@flotilla/identity/secret';

export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'groups'];
export const DEX_CLIENT = 'argo-cd';
export const DEX_CLI_CLIENT = 'argo-cd-cli';

export interface SsoSettings {
  kind: 'oidc' | 'dex';
  /** the name on the login button */
  name: string;
  issuer: string;
  clientID: string;
  clientSecret?: string;
  cliClientID?: string;
  requestedScopes: string[];
  requestedIDTokenClaims?: Record<string, unknown>;
  logoutURL?: string;
  rootCA?: string;
  enablePKCEAuthentication: boolean;
  /** audiences accepted besides clientID and cliClientID */
  allowedAudiences: string[];
  /** argocd-cm `url` (no trailing slash): redirect URIs and return URLs are under it */
  url: string;
  /** argocd-cm `additionalUrls`: other external URLs Argo CD is served at (their own redirect URIs) */
  additionalUrls: string[];
  redirectURI: string;
  /** server-side requests to the issuer go here (dex: --dex-server) */
  rewrite?: { from: string; to: string };
}

export type SecretLookup = (name: string) => Record<string, string> | undefined;

/** `$key` → argocd-secret[key]; `$name:key` → Secret name's key; anything else as is. */
export function resolveSecretRef(v: unknown, argoSecret: Record<string, string>, lookup: SecretLookup, where: string): string | undefined {
  if (typeof v !== 'string') return v === undefined || v === null ? undefined : String(v);
  if (!v.startsWith('$')) return v;
  const ref = v.slice(1);
  const i = ref.indexOf(':');
  if (i > 0) {
    const name = ref.slice(0, i);
    const key = ref.slice(i + 1);
    const s = lookup(name);
    if (!s) throw new Error(`${where}: Secret '${name}' referenced by '${v}' does not exist`);
    if (s[key] === undefined) throw new Error(`${where}: key '${key}' not found in Secret '${name}' (referenced by '${v}')`);
    return s[key];
  }
  if (argoSecret[ref] === undefined) throw new Error(`${where}: key '${ref}' not found in argocd-secret (referenced by '${v}')`);
  return argoSecret[ref];
}

function strings(v: unknown, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${where}: want a list of strings`);
  return v as string[];
}

/** The dex server address as a URL: `argocd-dex-server:5556` → `http://argocd-dex-server:5556`. */
export function dexServerUrl(addr: string): string {
  const a = addr.trim().replace(/\/+$/, '');
  return /^https?:\/\//.test(a) ? a : `http://${a}`;
}

/**
 * argocd-cm + secrets → the SSO settings (undefined when SSO is not configured), or an error naming
 * the key at fault.
 */
export function ssoSettings(cm: Record<string, string>, argoSecret: Record<string, string>, lookup: SecretLookup, dexServer: string): { settings?: SsoSettings; error?: string } {
  const oidcRaw = cm['oidc.config']?.trim();
  const dexRaw = cm['dex.config']?.trim();
  if (!oidcRaw && !dexRaw) return {};
  const url = (cm.url ?? '').trim().replace(/\/+$/, '');
  const key = oidcRaw ? 'oidc.config' : 'dex.config';
  if (!url) return { error: `argocd-cm: ${key} is set but 'url' is not: SSO needs Argo CD's external URL for its redirect URI` };
  try {
    new URL(url);
  } catch {
    return { error: `argocd-cm url: '${url}' is not an absolute URL` };
  }
  const redirectURI = `${url}/auth/callback`;
  let additionalUrls: string[] = [];
  if (cm.additionalUrls?.trim()) {
    try {
      additionalUrls = (strings(parseYaml(cm.additionalUrls), 'argocd-cm additionalUrls') ?? []).map((u) => u.trim().replace(/\/+$/, ''));
      for (const u of additionalUrls) new URL(u);
    } catch (e) {
      return { error: e instanceof TypeError ? `argocd-cm additionalUrls: not an absolute URL` : (e as Error).message };
    }
  }
  try {
    if (oidcRaw) {
      let o: Record<string, unknown>;
      try {
        o = parseYaml(oidcRaw) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`oidc.config: not YAML: ${(e as Error).message.split('\n')[0]}`);
      }
      if (!o || typeof o !== 'object') throw new Error('oidc.config: want a YAML mapping');
      const r = (k: string) => resolveSecretRef(o[k], argoSecret, lookup, `oidc.config ${k}`);
      const issuer = r('issuer');
      const clientID = r('clientID');
      if (!issuer) throw new Error('oidc.config: issuer is required');
      if (!clientID) throw new Error('oidc.config: clientID is required');
      try {
        new URL(issuer);
      } catch {
        throw new Error(`oidc.config issuer: '${issuer}' is not an absolute URL`);
      }
      const claims = o.requestedIDTokenClaims;
      if (claims !== undefined && (typeof claims !== 'object' || Array.isArray(claims))) throw new Error('oidc.config requestedIDTokenClaims: want a mapping of claim → {essential, value, values}');
      return {
        settings: {
          kind: 'oidc',
          name: String(o.name ?? 'SSO'),
          issuer,
          clientID,
          clientSecret: r('clientSecret'),
          cliClientID: r('cliClientID'),
          requestedScopes: strings(o.requestedScopes, 'oidc.config requestedScopes') ?? DEFAULT_SCOPES,
          requestedIDTokenClaims: claims as Record<string, unknown> | undefined,
          logoutURL: r('logoutURL'),
          rootCA: r('rootCA'),
          enablePKCEAuthentication: o.enablePKCEAuthentication === true || o.enablePKCEAuthentication === 'true',
          allowedAudiences: strings(o.allowedAudiences, 'oidc.config allowedAudiences') ?? [],
          url,
          additionalUrls,
          redirectURI,
        },
      };
    }
    try {
      parseYaml(dexRaw!);
    } catch (e) {
      throw new Error(`dex.config: not YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    const sk = argoSecret['server.secretkey'];
    if (!sk) throw new Error('dex.config: server.secretkey is missing from argocd-secret (the argo-cd client secret derives from it)');
    const issuer = `${url}/api/dex`;
    return {
      settings: {
        kind: 'dex',
        name: 'Dex',
        issuer,
        clientID: DEX_CLIENT,
        clientSecret: dexClientSecret(sk),
        cliClientID: DEX_CLI_CLIENT,
        requestedScopes: DEFAULT_SCOPES,
        enablePKCEAuthentication: true,
        allowedAudiences: [],
        url,
        additionalUrls,
        redirectURI,
        rewrite: { from: issuer, to: dexServerUrl(dexServer) },
      },
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** What `/api/v1/settings` tells clients (the UI, `argocd login --sso`). */
export function publicSsoFields(s: SsoSettings | undefined, dexConnectors: () => { name?: string; type?: string }[]): Record<string, unknown> {
  if (!s) return {};
  if (s.kind === 'dex') return { dexConfig: { connectors: dexConnectors() } };
  return {
    oidcConfig: {
      name: s.name,
      issuer: s.issuer,
      clientID: s.clientID,
      ...(s.cliClientID ? { cliClientID: s.cliClientID } : {}),
      scopes: s.requestedScopes,
      ...(s.requestedIDTokenClaims ? { idTokenClaims: s.requestedIDTokenClaims } : {}),
      enablePKCEAuthentication: s.enablePKCEAuthentication,
    },
  };
}
