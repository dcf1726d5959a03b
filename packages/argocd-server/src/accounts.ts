/**
 * Local accounts as Argo CD keeps them: declared in argocd-cm (`admin.enabled`,
 * `accounts.<name>: apiKey, login`, `accounts.<name>.enabled`), passwords (bcrypt), password
 * mtimes and API tokens in argocd-secret (`admin.password`, `admin.passwordMtime`,
 * `accounts.<name>.password`, `accounts.<name>.passwordMtime`, `accounts.<name>.tokens`).
 */
import { parseSettings, parseDurationSeconds, type ArgoSettings } from '@flotilla/argocd-engine/settings';

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

/**
 * Accounts: declared in argocd-cm as the engine's settings parser reads it (`settings.accounts`,
 * `adminEnabled`; its errors name the key), with passwords and tokens from argocd-secret data
 * (already base64-decoded). Bad entries are reported, not fatal.
 */
export function parseAccounts(cm: Record<string, string> = {}, secret: Record<string, string> = {}, errors: string[] = [], settings: ArgoSettings = parseSettings(cm)): Map<string, Account> {
  const out = new Map<string, Account>();
  for (const e of settings.errors) if (e.key.startsWith('accounts.') || e.key === 'admin.enabled') errors.push(`argocd-cm ${e.key}: ${e.message}`);
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
  for (const a of settings.accounts.values()) {
    const p = secretKeyPrefix(a.name);
    out.set(a.name, {
      name: a.name,
      enabled: a.enabled,
      capabilities: a.capabilities.filter((c): c is Capability => c === 'login' || c === 'apiKey'),
      passwordHash: secret[`${p}.password`] || undefined,
      passwordMtime: secret[`${p}.passwordMtime`] || undefined,
      tokens: tokensOf(p),
    });
  }
  const admin = out.get('admin');
  out.set('admin', {
    name: 'admin',
    enabled: settings.adminEnabled,
    capabilities: admin?.capabilities.length ? admin.capabilities : ['login'],
    passwordHash: secret['admin.password'] || undefined,
    passwordMtime: secret['admin.passwordMtime'] || undefined,
    tokens: tokensOf('admin'),
  });
  return out;
}

/** A Go duration ("1h30m", or plain seconds) in seconds, through the engine's parser; `dflt` when empty or bad. */
export function parseDuration(s: string | undefined, dflt: number): number {
  if (!s?.trim()) return dflt;
  try {
    const v = parseDurationSeconds(s);
    return Number.isFinite(v) ? v : dflt;
  } catch {
    return dflt;
  }
}

/** `expiresIn` of a token request ("1h", "30m", "0" = never; a plain number is seconds). */
export function parseExpiresIn(s: string | number | undefined): number {
  if (s === undefined || s === '' || s === 0 || s === '0') return 0;
  if (typeof s === 'number' || /^\d+$/.test(s)) return Number(s);
  const d = parseDuration(s, -1);
  if (d < 0) throw new Error(`invalid expiresIn '${s}': want a duration like 1h, 30m or 24h`);
  return d;
}
