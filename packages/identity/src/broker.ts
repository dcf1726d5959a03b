/**
 * The identity broker: an OpenID Connect provider (oidc-provider) whose users come from connectors.
 * Every path is served under the issuer's path (`<issuer>/.well-known/openid-configuration`, `/auth`,
 * `/token`, `/keys`, `/userinfo`, `/callback`, the login pages under `/interaction/<uid>`).
 *
 * A login: the client's `/auth` request → oidc-provider starts an interaction → the login page (the
 * connector choice; skipped when there is one connector) → a password form (password connectors) or the
 * upstream (redirect connectors; its answer comes back to the shared `/callback` with our `state`, then
 * to `/interaction/<uid>/done` where the interaction cookie ties it to the browser that started) → the
 * account is recorded under Dex's subject (connector + user id) and the grant made (approval screen
 * skipped when `oauth2.skipApprovalScreen`) → the code goes back to the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import Provider, { type Account, type KoaContextWithOIDC, type ClientMetadata } from 'oidc-provider';
import type { Connector, ConnectorFactory, Identity, Logger, Scopes } from './connector.js';
import type { BrokerConfig, ConnectorEntry, StaticClient } from './config.js';
import { CONNECTORS } from './connectors/index.js';
import { KeyRing } from './keys.js';
import { MemoryStore } from './store.js';
import { approvalPage, errorPage, loginChoicePage, passwordPage, postFormPage } from './pages.js';

export interface BrokerOptions {
  log?: Logger;
  /** connector factories by type (default: the registry in connectors/index.ts) */
  factories?: Record<string, ConnectorFactory>;
  now?: () => number;
}

interface LoadedConnector {
  entry: ConnectorEntry;
  connector?: Connector;
  /** why the connector could not be set up (shown on the login page) */
  error?: string;
}

interface AccountRecord {
  identity: Identity;
  connectorId: string;
}

interface Pending {
  uid: string;
  connectorId: string;
  scopes: Scopes;
  exp: number;
  identity?: Identity;
}

const PENDING_TTL_MS = 10 * 60_000;
const MAX_BODY = 1 << 20;

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** Dex's `sub`: the protobuf IDTokenSubject {user_id = 1, conn_id = 2}, base64url without padding. */
export function dexSubject(userID: string, connectorID: string): string {
  const field = (no: number, s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([(no << 3) | 2]), varint(b.length), b]);
  };
  return Buffer.concat([field(1, userID), field(2, connectorID)]).toString('base64url');
}

export function scopesOf(scope: unknown): Scopes {
  const s = new Set(String(scope ?? '').split(/\s+/));
  return { offlineAccess: s.has('offline_access'), groups: s.has('groups') };
}

const LOOPBACK = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/;

function clientMetadata(c: StaticClient): ClientMetadata {
  const native = !!c.public && c.redirectURIs.every((u) => LOOPBACK.test(u) || !/^https?:/.test(u));
  return {
    client_id: c.id,
    client_name: c.name,
    ...(c.public ? { token_endpoint_auth_method: 'none' } : { client_secret: c.secret, token_endpoint_auth_method: 'client_secret_basic' }),
    redirect_uris: c.redirectURIs,
    application_type: native ? 'native' : 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
}

function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(html);
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(302, { location: to, 'cache-control': 'no-store' });
  res.end();
}

export class Broker {
  private provider!: Provider;
  private cfg!: BrokerConfig;
  private connectors = new Map<string, LoadedConnector>();
  private readonly store: MemoryStore;
  private readonly accounts = new Map<string, AccountRecord>();
  private readonly pending = new Map<string, Pending>();
  private readonly cookieKeys = [randomBytes(32).toString('base64url')];
  private keys?: KeyRing;
  private path = '';
  private timer?: NodeJS.Timeout;
  private readonly log: Logger;
  private readonly factories: Record<string, ConnectorFactory>;
  private readonly now: () => number;

  private constructor(o: BrokerOptions) {
    this.log = o.log ?? (() => {});
    this.factories = o.factories ?? CONNECTORS;
    this.now = o.now ?? Date.now;
    this.store = new MemoryStore(this.now);
  }

  static async create(cfg: BrokerConfig, o: BrokerOptions = {}): Promise<Broker> {
    const b = new Broker(o);
    await b.configure(cfg);
    b.timer = setInterval(() => {
      b.rotateKeys(false);
      void b.retryFailed();
    }, 60_000);
    b.timer.unref();
    return b;
  }

  get issuer(): string {
    return this.cfg.issuer;
  }

  /** the connectors that could not be set up, with why */
  connectorErrors(): Record<string, string> {
    return Object.fromEntries([...this.connectors].filter(([, c]) => c.error).map(([id, c]) => [id, c.error!]));
  }

  /** (Re)configures: connectors built again, a new provider over the same storage, keys and cookies. */
  async configure(cfg: BrokerConfig): Promise<void> {
    const loaded = new Map<string, LoadedConnector>();
    await Promise.all(
      cfg.connectors.map(async (entry) => {
        const lc: LoadedConnector = { entry };
        loaded.set(entry.id, lc);
        const factory = this.factories[entry.type];
        if (!factory) {
          lc.error = `connector type "${entry.type}" is not supported by this broker (known: ${Object.keys(this.factories).sort().join(', ') || 'none'})`;
        } else {
          try {
            lc.connector = await factory(entry.config, {
              id: entry.id,
              name: entry.name,
              issuer: cfg.issuer,
              callbackURL: `${cfg.issuer}/callback`,
              log: (level, msg, fields) => this.log(level, msg, { connector: entry.id, ...fields }),
            });
          } catch (e) {
            lc.error = (e as Error).message;
          }
        }
        if (lc.error) this.log('error', `connector ${entry.id} (${entry.type}) cannot be used: ${lc.error}`, { connector: entry.id });
      }),
    );
    this.keys ??= new KeyRing(cfg.signingKeyTTL * 1000, cfg.idTokenTTL * 1000, this.now);
    this.cfg = cfg;
    this.path = new URL(cfg.issuer).pathname.replace(/\/+$/, '');
    this.connectors = new Map(cfg.connectors.map((c) => [c.id, loaded.get(c.id)!]));
    this.provider = this.build();
  }

  /** Rotates the signing key when due (or now, with force); the old key stays published for verification. */
  rotateKeys(force = true): boolean {
    if (!this.keys?.maybeRotate(force)) return false;
    this.provider = this.build();
    this.log('info', 'keys rotated', { kid: this.keys.state.signing.kid });
    return true;
  }

  /** Connectors that could not be set up (an unreachable issuer at start…) are tried again (every minute). */
  async retryFailed(): Promise<void> {
    const cfg = this.cfg;
    for (const lc of this.connectors.values()) {
      const factory = this.factories[lc.entry.type];
      if (!lc.error || !factory) continue;
      try {
        const c = await factory(lc.entry.config, { id: lc.entry.id, name: lc.entry.name, issuer: cfg.issuer, callbackURL: `${cfg.issuer}/callback`, log: (level, msg, fields) => this.log(level, msg, { connector: lc.entry.id, ...fields }) });
        if (this.cfg !== cfg) return;
        lc.connector = c;
        lc.error = undefined;
        this.log('info', `connector ${lc.entry.id} (${lc.entry.type}) is usable now`);
      } catch (e) {
        lc.error = (e as Error).message;
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  private build(): Provider {
    const cfg = this.cfg;
    const provider = new Provider(cfg.issuer, {
      adapter: this.store.adapter(),
      clients: cfg.staticClients.map(clientMetadata),
      jwks: this.keys!.jwks(),
      cookies: { keys: this.cookieKeys },
      findAccount: (ctx, sub, token) => this.findAccount(ctx, sub, token),
      claims: {
        openid: ['sub', 'federated_claims'],
        email: ['email', 'email_verified'],
        profile: ['name', 'preferred_username'],
        groups: ['groups'],
        'federated:id': ['federated_claims'],
      },
      scopes: ['openid', 'offline_access', 'profile', 'email', 'groups', 'federated:id'],
      conformIdTokenClaims: false,
      responseTypes: ['code'],
      features: {
        devInteractions: { enabled: false },
        revocation: { enabled: true },
        userinfo: { enabled: true },
      },
      interactions: { url: (_ctx, interaction) => `${this.path}/interaction/${interaction.uid}` },
      routes: { authorization: '/auth', token: '/token', jwks: '/keys', userinfo: '/userinfo', revocation: '/token/revoke', end_session: '/logout' },
      ttl: {
        IdToken: cfg.idTokenTTL,
        AccessToken: cfg.idTokenTTL,
        AuthorizationCode: 600,
        Interaction: 3600,
        Session: cfg.idTokenTTL,
        Grant: cfg.refreshTokenTTL,
        RefreshToken: cfg.refreshTokenTTL,
      },
      pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
      issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
      renderError: async (ctx, out) => {
        ctx.type = 'html';
        ctx.body = errorPage('Login error', `${out.error}${out.error_description ? `: ${out.error_description}` : ''}`);
      },
    });
    provider.proxy = true;
    provider.on('server_error', (_ctx, err) => this.log('error', `provider error: ${err.message}`));
    provider.on('grant.error', (_ctx, err) => this.log('info', `token request refused: ${err.message}`));
    return provider;
  }

  private async findAccount(_ctx: KoaContextWithOIDC, sub: string, token?: unknown): Promise<Account | undefined> {
    const rec = this.accounts.get(sub);
    if (!rec) return undefined;
    const t = token as { kind?: string; scope?: string } | undefined;
    if (t?.kind === 'RefreshToken') {
      const c = this.connectors.get(rec.connectorId)?.connector;
      if (!c) {
        this.log('info', `refresh refused: connector ${rec.connectorId} is gone`);
        return undefined;
      }
      if (c.refresh) {
        try {
          rec.identity = await c.refresh(scopesOf(t.scope), rec.identity);
        } catch (e) {
          this.log('info', `refresh refused by connector ${rec.connectorId}: ${(e as Error).message}`);
          return undefined;
        }
      }
    }
    const id = rec.identity;
    return {
      accountId: sub,
      claims: async () => ({
        sub,
        email: id.email,
        email_verified: id.email ? (id.emailVerified ?? false) : undefined,
        name: id.username,
        preferred_username: id.preferredUsername,
        groups: id.groups ?? [],
        federated_claims: { connector_id: rec.connectorId, user_id: id.userID },
      }),
    };
  }

  /** The node HTTP handler (everything under the issuer's path; 404 elsewhere). */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res).catch((e) => {
      this.log('error', `request ${req.method} ${(req.url ?? '').split('?')[0]} failed: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, errorPage('Internal error', 'The login could not be completed; see the broker log.'));
      else res.end();
    });
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // URLs the provider makes (discovery, redirects between its steps) are on the issuer's origin, whatever
    // Host a proxy (argocd-server's /api/dex/* → argocd-dex-server:5556) or the client sent
    const iss = new URL(this.cfg.issuer);
    req.headers['x-forwarded-host'] = iss.host;
    req.headers['x-forwarded-proto'] = iss.protocol.slice(0, -1);
    const url = new URL(req.url ?? '/', 'http://broker');
    const p = url.pathname;
    if (p !== this.path && !p.startsWith(`${this.path}/`)) return send(res, 404, errorPage('Not found', `${p} is not served here (the issuer's path is ${this.path || '/'})`));
    const rel = p.slice(this.path.length) || '/';
    if (rel === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('Health check passed');
    }
    if (rel === '/callback') return this.callback(req, res, url);
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(connector)\/([A-Za-z0-9_.-]+)|\/(done|approve))?$/.exec(rel);
    if (m) return this.interaction(req, res, m[1]!, m[3], m[4], url);
    // Dex keeps no login session of its own (every authorization request logs in through a connector) and
    // gives refresh tokens for offline_access without prompt=consent: ask oidc-provider for both.
    if (rel === '/auth' && req.method === 'GET' && !url.searchParams.has('prompt')) url.searchParams.set('prompt', 'login consent');
    req.url = rel + url.search;
    Object.assign(req, { originalUrl: this.path + req.url, baseUrl: this.path });
    await (this.provider.callback() as (req: IncomingMessage, res: ServerResponse) => Promise<void>)(req, res);
  }

  private async details(req: IncomingMessage, res: ServerResponse, uid: string) {
    try {
      const d = await this.provider.interactionDetails(req, res);
      if (d.uid !== uid) return undefined;
      return d;
    } catch {
      return undefined;
    }
  }

  private async interaction(req: IncomingMessage, res: ServerResponse, uid: string, connectorId: string | undefined, action: string | undefined, url: URL): Promise<void> {
    const details = await this.details(req, res, uid);
    if (!details) return send(res, 400, errorPage('Login expired', 'This login attempt is unknown or has expired (or was started in another browser). Start the login again from the application.'));
    const scopes = scopesOf(details.params.scope);
    const base = `${this.path}/interaction/${uid}`;
    if (action === 'approve') return this.approve(req, res, details);
    if (action === 'done') {
      const state = url.searchParams.get('state') ?? '';
      const pend = this.pending.get(state);
      this.pending.delete(state);
      if (!pend?.identity || pend.uid !== uid || pend.exp < this.now()) return send(res, 400, errorPage('Login failed', 'Unknown or already used login state.'));
      return this.finishLogin(req, res, details, pend.identity, pend.connectorId);
    }
    if (details.prompt.name === 'consent') return this.consent(req, res, details);
    if (!connectorId) {
      const usable = [...this.connectors.values()].filter((c) => c.connector);
      if (this.connectors.size === 1 && usable.length === 1) connectorId = usable[0]!.entry.id;
      else return send(res, 200, loginChoicePage([...this.connectors.values()].map((c) => ({ id: c.entry.id, name: c.entry.name, href: `${base}/connector/${encodeURIComponent(c.entry.id)}`, error: c.error }))));
    }
    const lc = this.connectors.get(connectorId);
    if (!lc) return send(res, 404, errorPage('Login failed', `There is no connector "${connectorId}".`));
    if (!lc.connector) {
      this.log('warn', `login through connector ${lc.entry.id} refused: ${lc.error}`);
      return send(res, 503, errorPage(`${lc.entry.name} is unavailable`, lc.error ?? 'not set up'));
    }
    const c = lc.connector;
    const back = this.connectors.size > 1 ? base : undefined;
    const action0 = `${base}/connector/${encodeURIComponent(lc.entry.id)}`;
    if (c.kind === 'password') {
      if (req.method !== 'POST') return send(res, 200, passwordPage({ action: action0, connectorName: lc.entry.name, prompt: c.prompt(), back }));
      const form = await readBody(req);
      const username = form.get('login') ?? '';
      const password = form.get('password') ?? '';
      let identity: Identity | undefined;
      try {
        identity = username && password ? await c.login(scopes, username, password) : undefined;
      } catch (e) {
        this.log('error', `connector ${lc.entry.id}: login failed: ${(e as Error).message}`);
        return send(res, 200, passwordPage({ action: action0, connectorName: lc.entry.name, prompt: c.prompt(), username, error: `Login failed: ${(e as Error).message}`, back }));
      }
      if (!identity) {
        this.log('info', `connector ${lc.entry.id}: invalid credentials`, { username });
        return send(res, 401, passwordPage({ action: action0, connectorName: lc.entry.name, prompt: c.prompt(), username, invalid: true, back }));
      }
      return this.finishLogin(req, res, details, identity, lc.entry.id);
    }
    const state = randomBytes(24).toString('base64url');
    this.sweepPending();
    this.pending.set(state, { uid, connectorId: lc.entry.id, scopes, exp: this.now() + PENDING_TTL_MS });
    try {
      const r = await c.loginURL(scopes, this.callbackFor(lc.entry), state);
      if ('url' in r) return redirect(res, r.url);
      return send(res, 200, postFormPage(r.form.action, r.form.fields));
    } catch (e) {
      this.pending.delete(state);
      this.log('error', `connector ${lc.entry.id}: cannot start the login: ${(e as Error).message}`);
      return send(res, 502, errorPage(`${lc.entry.name} is unavailable`, (e as Error).message));
    }
  }

  private callbackFor(entry: ConnectorEntry): string {
    const r = entry.config['redirectURI'];
    return typeof r === 'string' && r ? r : `${this.cfg.issuer}/callback`;
  }

  private sweepPending(): void {
    const t = this.now();
    for (const [k, p] of this.pending) if (p.exp < t) this.pending.delete(k);
  }

  private async callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const params = req.method === 'POST' ? await readBody(req) : url.searchParams;
    const state = params.get('state') ?? params.get('RelayState') ?? '';
    const pend = this.pending.get(state);
    if (!pend || pend.identity || pend.exp < this.now()) {
      this.log('info', 'callback with an unknown, used or expired state refused');
      return send(res, 400, errorPage('Login failed', 'Unknown or already used login state: start the login again.'));
    }
    const lc = this.connectors.get(pend.connectorId);
    const c = lc?.connector;
    if (!c || c.kind !== 'redirect') {
      this.pending.delete(state);
      return send(res, 400, errorPage('Login failed', `The connector "${pend.connectorId}" is no longer available.`));
    }
    let identity: Identity;
    try {
      identity = await c.handleCallback(pend.scopes, this.callbackFor(lc.entry), params, state);
    } catch (e) {
      this.pending.delete(state);
      this.log('warn', `connector ${pend.connectorId}: callback refused: ${(e as Error).message}`);
      return send(res, 400, errorPage('Login failed', `${lc.entry.name}: ${(e as Error).message}`));
    }
    pend.identity = identity;
    redirect(res, `${this.path}/interaction/${pend.uid}/done?state=${encodeURIComponent(state)}`);
  }

  private async finishLogin(req: IncomingMessage, res: ServerResponse, details: Awaited<ReturnType<Provider['interactionDetails']>>, identity: Identity, connectorId: string): Promise<void> {
    if (!identity.userID) throw new Error(`connector ${connectorId} returned an identity without a user id`);
    const sub = dexSubject(identity.userID, connectorId);
    this.accounts.set(sub, { identity: { ...identity, groups: identity.groups ?? [] }, connectorId });
    this.log('info', `login successful: connector "${connectorId}", username="${identity.username}", preferred_username="${identity.preferredUsername ?? ''}", email="${identity.email ?? ''}", groups=${JSON.stringify(identity.groups ?? [])}`);
    const result: Record<string, unknown> = { login: { accountId: sub } };
    if (this.cfg.skipApprovalScreen) result.consent = { grantId: await this.grant(sub, details) };
    await this.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }

  private async grant(accountId: string, details: Awaited<ReturnType<Provider['interactionDetails']>>): Promise<string> {
    const grant = details.grantId ? await this.provider.Grant.find(details.grantId) : undefined;
    const g = grant ?? new this.provider.Grant({ accountId, clientId: String(details.params.client_id) });
    g.addOIDCScope(String(details.params.scope ?? 'openid'));
    return g.save();
  }

  private async consent(req: IncomingMessage, res: ServerResponse, details: Awaited<ReturnType<Provider['interactionDetails']>>): Promise<void> {
    const accountId = details.session?.accountId;
    if (!accountId) return send(res, 400, errorPage('Login failed', 'No logged-in user for this approval.'));
    if (this.cfg.skipApprovalScreen) {
      const grantId = await this.grant(accountId, details);
      return void (await this.provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true }));
    }
    const client = await this.provider.Client.find(String(details.params.client_id));
    send(res, 200, approvalPage({ action: `${this.path}/interaction/${details.uid}/approve`, clientName: client?.clientName ?? String(details.params.client_id), scopes: String(details.params.scope ?? '').split(/\s+/).filter(Boolean) }));
  }

  private async approve(req: IncomingMessage, res: ServerResponse, details: Awaited<ReturnType<Provider['interactionDetails']>>): Promise<void> {
    if (req.method !== 'POST') return send(res, 405, errorPage('Approval', 'Use the form.'));
    const form = await readBody(req);
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || !accountId) return send(res, 400, errorPage('Approval', 'Nothing to approve.'));
    if (form.get('approval') !== 'approve') {
      return void (await this.provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user did not grant access' }, { mergeWithLastSubmission: false }));
    }
    const grantId = await this.grant(accountId, details);
    await this.provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
}
