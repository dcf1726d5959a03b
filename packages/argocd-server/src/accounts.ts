/**
 * Local accounts as Argo CD keeps them: declared in argocd-cm (`admin.enabled`,
 * `accounts.<name>: apiKey, login`, `accounts.<name>.enabled`), passwords (bcrypt), password
 * mtimes and API tokens in argocd-secret (`admin.password`, `admin.passwordMtime`,
 * `accounts.<name>.password`, `accounts.<name>.passwordMtime`, `accounts.<name>.tokens`).
 */
export type Capability = 'login' | 'apiKey';

export interface AccountToken {
  id: string;
  iat: number;
  exp?: number;
}

export interface Account {
  name: string;
  enabled: boolean;
  capabilities: Capability[];
  passwordHash?: string;
  /** RFC 3339 */
  passwordMtime?: string;
  tokens: AccountToken[];
}

export function secretKeyPrefix(name: string): string {
  return name === 'admin' ? 'admin' : `accounts.${name}`;
}

/** Accounts from argocd-cm data and argocd-secret data (already base64-decoded). Bad entries are reported, not fatal. */
export function parseAccounts(cm: Record<string, string> = {}, secret: Record<string, string> = {}, errors: string[] = []): Map<string, Account> {
  const out = new Map<string, Account>();
  const tokensOf = (prefix: string): AccountToken[] => {
    const raw = secret[`${prefix}.tokens`];
    if (!raw) return [];
    try {
      const t = JSON.parse(raw) as AccountToken[];
      return Array.isArray(t) ? t.filter((x) => x && typeof x.id === 'string') : [];
    } catch (e) {
      errors.push(`argocd-secret ${prefix}.tokens: not JSON: ${(e as Error).message}`);
      return [];
    }
  };
  for (const [k, v] of Object.entries(cm)) {
    const m = /^accounts\.([^.]+)$/.exec(k);
    if (!m) continue;
    const name = m[1];
    const caps: Capability[] = [];
    for (const c of v.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (c === 'login' || c === 'apiKey') caps.push(c);
      else errors.push(`argocd-cm ${k}: unknown capability '${c}' (want apiKey, login)`);
    }
    const p = secretKeyPrefix(name);
    out.set(name, {
      name,
      enabled: (cm[`accounts.${name}.enabled`] ?? 'true').trim() !== 'false',
      capabilities: caps,
      passwordHash: secret[`${p}.password`] || undefined,
      passwordMtime: secret[`${p}.passwordMtime`] || undefined,
      tokens: tokensOf(p),
    });
  }
  const admin = out.get('admin');
  out.set('admin', {
    name: 'admin',
    enabled: (cm['admin.enabled'] ?? 'true').trim() !== 'false',
    capabilities: admin?.capabilities.length ? admin.capabilities : ['login'],
    passwordHash: secret['admin.password'] || undefined,
    passwordMtime: secret['admin.passwordMtime'] || undefined,
    tokens: tokensOf('admin'),
  });
  return out;
}

/** `users.session.duration` (Go duration, default 24h) in seconds. */
export function parseDuration(s: string | undefined, dflt: number): number {
  if (!s?.trim()) return dflt;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g;
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  let matched = '';
  for (const m of s.trim().matchAll(re)) {
    total += Number(m[1]) * units[m[2]];
    matched += m[0];
  }
  if (matched !== s.trim()) return dflt;
  return total;
}

/** `expiresIn` of a token request ("1h", "30m", "0" = never; a plain number is seconds). */
export function parseExpiresIn(s: string | number | undefined): number {
  if (s === undefined || s === '' || s === 0 || s === '0') return 0;
  if (typeof s === 'number' || /^\d+$/.test(s)) return Number(s);
  const d = parseDuration(s, -1);
  if (d < 0) throw new Error(`invalid expiresIn '${s}': want a duration like 1h, 30m or 24h`);
  return d;
}
