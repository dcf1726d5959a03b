/** SessionService and AccountService: login/logout/userinfo, accounts, passwords, can-i, account tokens. */
import { randomBytes } from 'node:crypto';
import { R, isNotFound } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import { Code, ApiErr, invalid, notFound, unauthenticated, type Router, type Req } from '../http.js';
import { can, enforce, username, type Ctx } from '../context.js';
import { CM, SECRET } from '../store.js';
import { checkPassword, hashPassword, userOf, ISSUER } from '../session.js';
import { secretKeyPrefix, parseExpiresIn, type Account } from '../accounts.js';
import { observeLogin } from '../metrics.js';

export const SESSION_COOKIE = 'argocd.token';
const DEFAULT_PASSWORD_PATTERN = '^.{8,32}$';

function accountJson(a: Account) {
  return {
    name: a.name,
    enabled: a.enabled,
    capabilities: a.capabilities,
    tokens: a.tokens.map((t) => ({ id: t.id, issuedAt: t.iat, ...(t.exp ? { expiresAt: t.exp } : {}) })),
  };
}

/** A reference object for audit events about an account (argocd-secret holds accounts). */
function secretRef(ctx: Ctx): KubeObject {
  const s = ctx.store.secrets.get(ctx.store.namespace, SECRET.argocd);
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: SECRET.argocd, namespace: ctx.store.namespace, uid: s?.metadata?.uid } };
}

export function registerAccount(r: Router, ctx: Ctx): void {
  r.add('POST', '/api/v1/session', async (req) => {
    const { username: user, password, token } = req.body ?? {};
    if (token && !user) {
      // re-validating an existing token (upstream accepts {token} too)
      await ctx.sessions.verify(String(token));
      return { token };
    }
    try {
      const tok = await ctx.sessions.login(String(user ?? ''), String(password ?? ''));
      observeLogin(true);
      ctx.log.info('login successful', { user, remote: req.raw.socket.remoteAddress, event: 'login' });
      ctx.audit(secretRef(ctx), 'LoginSucceeded', `${user} logged in`, req);
      const secure = !ctx.opts.insecure;
      req.res.setHeader('set-cookie', `${SESSION_COOKIE}=${tok}; path=${ctx.opts.basehref || '/'}; SameSite=lax; httpOnly${secure ? '; Secure' : ''}`);
      return { token: tok };
    } catch (e) {
      observeLogin(false);
      ctx.log.warn('login failed', { user, remote: req.raw.socket.remoteAddress, error: (e as Error).message, failures: ctx.limiter.failCount(String(user)), event: 'login' });
      ctx.audit(secretRef(ctx), 'LoginFailed', `${user} failed to log in: ${(e as Error).message}`, undefined, 'Warning');
      throw e;
    }
  }, { auth: false });

  r.add('DELETE', '/api/v1/session', async (req) => {
    if (req.claims?.sub.endsWith(':login')) {
      ctx.sessions.revoke(req.claims);
      ctx.log.info('logout', { user: username(req), event: 'logout' });
    } else if (req.claims && req.claims.iss !== ISSUER) {
      // an SSO session: the identity provider's token is refused from now on
      const token = tokenFromRequest(req);
      if (token) ctx.sessions.revokeToken(token, req.claims);
      ctx.log.info('logout', { user: username(req), event: 'logout' });
    }
    req.res.setHeader('set-cookie', `${SESSION_COOKIE}=; path=${ctx.opts.basehref || '/'}; Max-Age=0`);
    return {};
  }, { auth: false });

  r.add('GET', '/api/v1/session/userinfo', async (req) => {
    // userinfo answers without a session too: loggedIn false
    const c = req.claims;
    if (!c) return { loggedIn: false };
    return { loggedIn: true, username: username(req), iss: c.iss, groups: (c.groups as string[] | undefined) ?? [] };
  }, { auth: false });

  // ------------------------------------------------------------------------------ accounts
  r.add('GET', '/api/v1/account', async (req) => {
    await enforce(ctx, req, 'accounts', 'get', '*');
    const items = [...ctx.store.accounts().values()].sort((a, b) => a.name.localeCompare(b.name)).map(accountJson);
    return { items };
  });

  r.add('GET', '/api/v1/account/can-i/{resource}/{action}/{subresource=**}', async (req) => {
    const { resource, action, subresource } = req.params;
    return { value: (await can(ctx, req, resource, action, subresource)) ? 'yes' : 'no' };
  });

  r.add('PUT', '/api/v1/account/password', async (req) => {
    const { newPassword, currentPassword } = req.body ?? {};
    const self = username(req);
    const name = String(req.body?.name || self);
    if (req.claims?.sub.startsWith('proj:')) throw new ApiErr(Code.InvalidArgument, 'password can only be changed for local users');
    if (name !== self) await enforce(ctx, req, 'accounts', 'update', name);
    const accounts = ctx.store.accounts();
    const me = accounts.get(self);
    if (!me) throw invalid(`password can only be changed for local users, not user ${self}`);
    if (!(await checkPassword(String(currentPassword ?? ''), me.passwordHash))) {
      ctx.audit(secretRef(ctx), 'PasswordUpdateFailed', `${self} failed to update the password of ${name}: current password does not match`, req, 'Warning');
      throw new ApiErr(Code.InvalidArgument, 'current password does not match');
    }
    const target = accounts.get(name);
    if (!target) throw notFound(`account '${name}' does not exist`);
    const pattern = ctx.store.cm(CM.argocd).passwordPattern || DEFAULT_PASSWORD_PATTERN;
    let re: RegExp;
    try {
      re = new RegExp(pattern);
    } catch {
      re = new RegExp(DEFAULT_PASSWORD_PATTERN);
    }
    if (!re.test(String(newPassword ?? ''))) throw invalid(`New password does not match the following expression: ${pattern}.`);
    const p = secretKeyPrefix(name);
    await ctx.store.patchArgoSecret({ [`${p}.password`]: await hashPassword(String(newPassword)), [`${p}.passwordMtime`]: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    ctx.log.info('password updated', { user: self, account: name, event: 'password' });
    ctx.audit(secretRef(ctx), 'PasswordUpdated', `${self} updated the password of account ${name}`, req);
    return {};
  });

  r.add('GET', '/api/v1/account/{name}', async (req) => {
    await enforce(ctx, req, 'accounts', 'get', req.params.name);
    const a = ctx.store.accounts().get(req.params.name);
    if (!a) throw notFound(`account '${req.params.name}' does not exist`);
    return accountJson(a);
  });

  r.add('POST', '/api/v1/account/{name}/token', async (req) => {
    const name = req.params.name;
    if (name !== username(req)) await enforce(ctx, req, 'accounts', 'update', name);
    const a = ctx.store.accounts().get(name);
    if (!a) throw notFound(`account '${name}' does not exist`);
    if (!a.capabilities.includes('apiKey')) throw invalid(`account '${name}' does not have 'apiKey' capability`);
    let expiresIn: number;
    try {
      expiresIn = parseExpiresIn(req.body?.expiresIn);
    } catch (e) {
      throw invalid((e as Error).message);
    }
    const id = String(req.body?.id || ctx.sessions.newTokenId());
    if (a.tokens.some((t) => t.id === id)) throw new ApiErr(Code.AlreadyExists, `account already has token with id '${id}'`);
    const { token, claims } = await ctx.sessions.create(`${name}:apiKey`, expiresIn, id);
    const tokens = [...a.tokens, { id, iat: claims.iat!, ...(claims.exp ? { exp: claims.exp } : {}) }];
    await ctx.store.patchArgoSecret({ [`${secretKeyPrefix(name)}.tokens`]: JSON.stringify(tokens) });
    ctx.log.info('account token created', { user: username(req), account: name, id, event: 'token' });
    ctx.audit(secretRef(ctx), 'TokenCreated', `${username(req)} created token '${id}' for account ${name}`, req);
    return { token };
  });

  r.add('DELETE', '/api/v1/account/{name}/token/{id}', async (req) => {
    const { name, id } = req.params;
    if (name !== username(req)) await enforce(ctx, req, 'accounts', 'update', name);
    const a = ctx.store.accounts().get(name);
    if (!a) throw notFound(`account '${name}' does not exist`);
    if (!a.tokens.some((t) => t.id === id)) throw notFound(`account '${name}' does not have token with id '${id}'`);
    await ctx.store.patchArgoSecret({ [`${secretKeyPrefix(name)}.tokens`]: JSON.stringify(a.tokens.filter((t) => t.id !== id)) });
    ctx.log.info('account token deleted', { user: username(req), account: name, id, event: 'token' });
    ctx.audit(secretRef(ctx), 'TokenDeleted', `${username(req)} deleted token '${id}' of account ${name}`, req);
    return {};
  });
}

/** The initial admin password: generated (as upstream, random) into argocd-initial-admin-secret when argocd-secret has none. */
export async function ensureInitialAdmin(ctx: Ctx): Promise<boolean> {
  const cm = ctx.store.cm(CM.argocd);
  if ((cm['admin.enabled'] ?? 'true').trim() === 'false') return false;
  if (ctx.store.secret(SECRET.argocd)['admin.password']) return false;
  const password = randomPassword();
  await ctx.store.patchArgoSecret({ 'admin.password': await hashPassword(password), 'admin.passwordMtime': new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
  const ns = ctx.store.namespace;
  const body = { metadata: { name: SECRET.initial, namespace: ns }, type: 'Opaque', data: { password: Buffer.from(password).toString('base64') } } as KubeObject;
  try {
    await ctx.client.delete(R.secrets, ns, SECRET.initial);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  await ctx.client.create(R.secrets, ns, body);
  ctx.log.info('generated the initial admin password into argocd-initial-admin-secret', { namespace: ns });
  return true;
}

function randomPassword(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(16);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

export function tokenFromRequest(req: Pick<Req, 'headers'>): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const cookie = req.headers.cookie;
  if (cookie) {
    // argocd.token may be split into argocd.token, argocd.token-1, … when long (upstream joins them)
    const parts = new Map<string, string>();
    for (const c of cookie.split(';')) {
      const i = c.indexOf('=');
      if (i > 0) parts.set(c.slice(0, i).trim(), c.slice(i + 1).trim());
    }
    let tok = parts.get(SESSION_COOKIE);
    if (tok) {
      for (let i = 1; parts.has(`${SESSION_COOKIE}-${i}`); i++) tok += parts.get(`${SESSION_COOKIE}-${i}`);
      return tok;
    }
  }
  return undefined;
}

export { userOf, unauthenticated };
