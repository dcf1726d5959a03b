/**
 * The `sso` section of workflow-controller-configmap, with upstream's keys:
 *
 *   sso:
 *     issuer: https://idp.example.com          # OIDC issuer (discovery at <issuer>/.well-known/openid-configuration)
 *     issuerAlias: https://idp-alias.example   # the `issuer` the discovery document / ID tokens may name instead
 *     clientId: {name: argo-server-sso, key: client-id}          # SecretKeySelectors in argo-server's namespace
 *     clientSecret: {name: argo-server-sso, key: client-secret}
 *     redirectUrl: https://argo.example.com/oauth2/callback
 *     scopes: [groups, email]                  # openid is always asked
 *     sessionExpiry: 240h                      # default 10h
 *     customGroupClaimName: argo_groups        # groups from this claim instead of `groups`
 *     userInfoPath: /userinfo                  # groups from <issuer><userInfoPath> instead of the ID token
 *     insecureSkipVerify: false                # the IdP's TLS certificate is not checked
 *     rootCA: |                                # PEM CA(s) the IdP's certificate is checked against (with the system's)
 *     filterGroupsRegex: ['^argo-']            # keep only matching groups
 *     rbac: {enabled: true}                    # pick a ServiceAccount by rbac-rule annotations
 *     logoutRedirectUrl: https://argo.example.com/login   # after /auth/logout (through the IdP's end_session_endpoint)
 *
 * Pure: checks the section and names the field at fault.
 */
export interface SecretKeySelector {
  name: string;
  key: string;
}

export interface SsoConfig {
  issuer: string;
  issuerAlias?: string;
  clientId: SecretKeySelector;
  clientSecret: SecretKeySelector;
  /** absent: `<http(s)>://<request host><base href>oauth2/callback`, as upstream */
  redirectUrl?: string;
  scopes: string[];
  /** milliseconds */
  sessionExpiryMs: number;
  customGroupClaimName?: string;
  userInfoPath?: string;
  insecureSkipVerify: boolean;
  rootCA?: string;
  filterGroupsRegex: RegExp[];
  rbacEnabled: boolean;
  logoutRedirectUrl?: string;
}

export const DEFAULT_SESSION_EXPIRY_MS = 10 * 3600_000;

export class SsoConfigError extends Error {}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("240h", "1h30m", "90s") in milliseconds. */
export function parseGoDuration(s: string, what: string): number {
  const t = String(s).trim();
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t))) {
    ms += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (!t || end !== t.length) throw new SsoConfigError(`${what}: "${s}" is not a duration like 240h, 10h30m or 90s`);
  return ms;
}

function selector(v: unknown, what: string): SecretKeySelector {
  if (!v || typeof v !== 'object') throw new SsoConfigError(`${what}: is required (a Secret key selector {name, key})`);
  const o = v as Record<string, unknown>;
  if (typeof o.name !== 'string' || !o.name) throw new SsoConfigError(`${what}.name: is required`);
  if (typeof o.key !== 'string' || !o.key) throw new SsoConfigError(`${what}.key: is required`);
  return { name: o.name, key: o.key };
}

function url(v: unknown, what: string): string {
  if (typeof v !== 'string' || !v) throw new SsoConfigError(`${what}: is required`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new SsoConfigError(`${what}: "${v}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new SsoConfigError(`${what}: "${v}" is not an http(s) URL`);
  return v;
}

/** The `sso` section of the parsed controller config, or undefined when there is none. */
export function ssoConfigOf(config: Record<string, any>): SsoConfig | undefined {
  const s = config.sso;
  if (s === undefined || s === null || s === '') return undefined;
  if (typeof s !== 'object' || Array.isArray(s)) throw new SsoConfigError('sso: want a mapping');
  const scopes = s.scopes ?? [];
  if (!Array.isArray(scopes) || scopes.some((x: unknown) => typeof x !== 'string')) throw new SsoConfigError('sso.scopes: want a list of strings');
  const filters = s.filterGroupsRegex ?? [];
  if (!Array.isArray(filters)) throw new SsoConfigError('sso.filterGroupsRegex: want a list of regular expressions');
  const filterGroupsRegex = filters.map((f: unknown, i: number) => {
    try {
      return new RegExp(String(f));
    } catch (e) {
      throw new SsoConfigError(`sso.filterGroupsRegex[${i}]: ${(e as Error).message}`);
    }
  });
  if (s.userInfoPath !== undefined && (typeof s.userInfoPath !== 'string' || !s.userInfoPath.startsWith('/'))) throw new SsoConfigError('sso.userInfoPath: want a path starting with "/" (appended to the issuer)');
  if (s.rootCA !== undefined && (typeof s.rootCA !== 'string' || !/-----BEGIN CERTIFICATE-----/.test(s.rootCA))) throw new SsoConfigError('sso.rootCA: want PEM-encoded certificates (-----BEGIN CERTIFICATE-----)');
  if (s.rbac !== undefined && (typeof s.rbac !== 'object' || s.rbac === null)) throw new SsoConfigError('sso.rbac: want a mapping like {enabled: true}');
  if (s.logoutRedirectUrl !== undefined && s.logoutRedirectUrl !== '') {
    const u = url(s.logoutRedirectUrl, 'sso.logoutRedirectUrl');
    const p = new URL(u);
    if (p.hash || u.includes('#') || p.username || p.password) throw new SsoConfigError(`sso.logoutRedirectUrl: "${u}" must be an absolute http(s) URL without user info or a fragment`);
  }
  return {
    logoutRedirectUrl: s.logoutRedirectUrl || undefined,
    issuer: url(s.issuer, 'sso.issuer'),
    issuerAlias: s.issuerAlias ? url(s.issuerAlias, 'sso.issuerAlias') : undefined,
    clientId: selector(s.clientId, 'sso.clientId'),
    clientSecret: selector(s.clientSecret, 'sso.clientSecret'),
    redirectUrl: s.redirectUrl ? url(s.redirectUrl, 'sso.redirectUrl') : undefined,
    scopes: ['openid', ...scopes.filter((x: string) => x !== 'openid')],
    sessionExpiryMs: s.sessionExpiry ? parseGoDuration(s.sessionExpiry, 'sso.sessionExpiry') : DEFAULT_SESSION_EXPIRY_MS,
    customGroupClaimName: s.customGroupClaimName || undefined,
    userInfoPath: s.userInfoPath || undefined,
    insecureSkipVerify: s.insecureSkipVerify === true || s.insecureSkipVerify === 'true',
    rootCA: s.rootCA || undefined,
    filterGroupsRegex,
    rbacEnabled: s.rbac?.enabled === true || s.rbac?.enabled === 'true',
  };
}

/** The groups of a user: the claim named by customGroupClaimName (else `groups`), filtered by filterGroupsRegex. */
export function groupsOf(claims: Record<string, unknown>, c: Pick<SsoConfig, 'customGroupClaimName' | 'filterGroupsRegex'>): string[] {
  const raw = claims[c.customGroupClaimName ?? 'groups'];
  const list = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' && raw ? [raw] : [];
  return c.filterGroupsRegex.length ? list.filter((g) => c.filterGroupsRegex.some((r) => r.test(g))) : list;
}

/**
 * Where the callback may send the browser at the end: a path on this server, or a URL on the redirectUrl's
 * origin (when one is configured). Anything else (another host, `//host`, `javascript:`) is refused — undefined.
 */
export function safeFinalRedirect(target: string | null | undefined, redirectUrl: string | undefined, baseHref: string): string | undefined {
  const base = '/' + baseHref.replace(/^\/+|\/+$/g, '');
  const dflt = base === '/' ? '/' : base + '/';
  if (!target) return dflt;
  if (/[\u0000-\u001f\\]/.test(target)) return undefined;
  if (target.startsWith('/') && !target.startsWith('//')) return target;
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    return undefined;
  }
  return redirectUrl && u.origin === new URL(redirectUrl).origin ? u.toString() : undefined;
}
