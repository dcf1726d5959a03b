/**
 * Dex's `ldap` connector: a password connector that finds the user with a search (bound as `bindDN`,
 * or anonymously), checks the password by binding as the user's DN, and finds groups with one
 * search per `groupSearch.userMatchers` entry. Values from the login form are escaped (RFC 4515)
 * before they go into a filter, so `*)(uid=*` matches nobody.
 */
import ldapjs from 'ldapjs';
import type { Client, SearchOptions } from 'ldapjs';
import type { ConnectionOptions } from 'node:tls';
import type { ConnectorContext, ConnectorFactory, Identity, PasswordConnector, Scopes } from '../connector.js';
import { ConfigReader, reader } from './config.js';

/** RFC 4515 escaping of a value placed in a filter: `\ * ( )` and NUL become `\xx`. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => '\\' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** `(&<filter>(<attr>=<escaped value>))`, or just the equality when there is no filter (for messages) */
export function andEquals(filter: string | undefined, attr: string, value: string): string {
  const eq = `(${attr}=${escapeFilterValue(value)})`;
  return filter ? `(&${filter}${eq})` : eq;
}

/**
 * The same as a filter object: the value travels as the equality's raw octets, so no character of
 * it can change the filter's structure (ldapjs' parser would send `\2a` as three literal characters).
 */
export function andEqualsFilter(filter: string | undefined, attr: string, value: string): ldapjs.Filter {
  const eq = new ldapjs.EqualityFilter({ attribute: attr, value });
  return filter ? new ldapjs.AndFilter({ filters: [ldapjs.parseFilter(filter), eq] }) : eq;
}

interface UserMatcher { userAttr: string; groupAttr: string }

export interface LdapConfig {
  url: string;
  startTLS: boolean;
  tls: ConnectionOptions;
  bindDN: string;
  bindPW: string;
  usernamePrompt: string;
  user: { baseDN: string; filter?: string; username: string; scope: 'sub' | 'one'; idAttr: string; emailAttr: string; emailSuffix?: string; nameAttr?: string; preferredUsernameAttr?: string };
  group?: { baseDN: string; filter?: string; scope: 'sub' | 'one'; userMatchers: UserMatcher[]; nameAttr: string };
}

interface Entry { dn: string; attrs: Map<string, string[]> }

function filterOption(r: ConfigReader, field: string): string | undefined {
  let f = r.str(field);
  if (f === undefined) return undefined;
  f = f.trim();
  if (!f.startsWith('(')) f = `(${f})`;
  try {
    ldapjs.parseFilter(f);
  } catch (e) {
    throw r.error(field, `not a valid LDAP filter: ${(e as Error).message}`);
  }
  return f;
}

export function parseLdapConfig(config: Record<string, unknown>, ctx: Pick<ConnectorContext, 'id'>): LdapConfig {
  const r = reader('ldap', ctx.id, config);
  const host = r.required('host', 'host:port of the LDAP server');
  const insecureNoSSL = r.bool('insecureNoSSL');
  const startTLS = r.bool('startTLS');
  if (insecureNoSSL && startTLS) throw r.error('startTLS', 'cannot be combined with insecureNoSSL');
  const hostMatch = /^(\[[^\]]+\]|[^:/\s]+)(?::(\d+))?$/.exec(host);
  if (!hostMatch) throw r.error('host', `must be host or host:port (got ${JSON.stringify(host)})`);
  const hostname = hostMatch[1]!.replace(/^\[|\]$/g, '');
  const port = hostMatch[2] ?? (insecureNoSSL || startTLS ? '389' : '636');
  const url = `${insecureNoSSL || startTLS ? 'ldap' : 'ldaps'}://${hostMatch[1]}:${port}`;
  const tls: ConnectionOptions = { servername: /^[\d.]+$|:/.test(hostname) ? undefined : hostname, rejectUnauthorized: !r.bool('insecureSkipVerify') };
  const ca = r.pem('rootCA', 'rootCAData');
  if (ca) tls.ca = ca;
  const cert = r.pem('clientCert');
  const key = r.pem('clientKey');
  if (!!cert !== !!key) throw r.error(cert ? 'clientKey' : 'clientCert', 'clientCert and clientKey go together');
  if (cert) Object.assign(tls, { cert, key });

  const us = r.sub('userSearch');
  const emailSuffix = us.str('emailSuffix');
  const user: LdapConfig['user'] = {
    baseDN: us.required('baseDN'),
    filter: filterOption(us, 'filter'),
    username: us.required('username', 'the attribute the login name is compared with, e.g. uid'),
    scope: us.oneOf('scope', ['sub', 'one'] as const, 'sub'),
    idAttr: us.str('idAttr', 'uid')!,
    emailAttr: us.str('emailAttr', 'mail')!,
    emailSuffix,
    nameAttr: us.str('nameAttr'),
    preferredUsernameAttr: us.str('preferredUsernameAttr'),
  };
  if (!/^[A-Za-z][\w-]*$/.test(user.username)) throw us.error('username', `not an attribute name (got ${JSON.stringify(user.username)})`);

  let group: LdapConfig['group'];
  const gs = r.sub('groupSearch');
  if (gs.has('baseDN')) {
    const matchers: UserMatcher[] = gs.list('userMatchers').map((m) => ({ userAttr: m.required('userAttr'), groupAttr: m.required('groupAttr') }));
    // Dex's older form: groupSearch.userAttr / groupAttr
    if (gs.has('userAttr') || gs.has('groupAttr')) matchers.push({ userAttr: gs.required('userAttr'), groupAttr: gs.required('groupAttr') });
    if (matchers.length === 0) throw gs.error('userMatchers', 'required: at least one {userAttr, groupAttr}');
    group = {
      baseDN: gs.required('baseDN'),
      filter: filterOption(gs, 'filter'),
      scope: gs.oneOf('scope', ['sub', 'one'] as const, 'sub'),
      userMatchers: matchers,
      nameAttr: gs.required('nameAttr', 'the attribute holding a group\'s name, e.g. cn'),
    };
  }
  return {
    url, startTLS, tls,
    bindDN: r.str('bindDN', '')!,
    bindPW: r.str('bindPW', '')!,
    usernamePrompt: r.str('usernamePrompt', 'Username')!,
    user, group,
  };
}

// ---- the connection (ldapjs, promisified) ----

/** ldapjs names a dropped connection "1__ldap://host:port closed" */
function why(e: Error, url: string): string {
  if (e.name === 'ConnectionError' || /__ldaps?:\/\/.* closed$/.test(e.message)) return `the connection to ${url} was closed`;
  return e.message || e.name;
}

class Conn {
  private constructor(private readonly client: Client, private readonly url: string) {}

  static open(cfg: LdapConfig, timeoutMs = 10_000): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const client = ldapjs.createClient({
        url: cfg.url,
        tlsOptions: cfg.tls,
        connectTimeout: timeoutMs,
        timeout: timeoutMs,
        reconnect: false,
      } as ldapjs.ClientOptions);
      let done = false;
      const fail = (e: Error) => {
        if (done) return;
        done = true;
        client.destroy();
        reject(new Error(`ldap: cannot connect to ${cfg.url}: ${e.message || e.name}`));
      };
      client.on('error', fail);
      client.on('connectError', fail);
      client.on('setupError', fail);
      client.on('connectTimeout', () => fail(new Error(`no connection within ${timeoutMs} ms`)));
      client.on('connect', () => {
        if (done) return;
        if (!cfg.startTLS) {
          done = true;
          resolve(new Conn(client, cfg.url));
          return;
        }
        client.starttls(cfg.tls, [], (err: Error | null) => {
          if (err) return fail(new Error(`StartTLS: ${err.message}`));
          done = true;
          resolve(new Conn(client, cfg.url));
        });
      });
    }).then((c) => {
      // later socket errors surface through the pending operation; keep the process alive
      (c as Conn).client.removeAllListeners('error');
      (c as Conn).client.on('error', () => {});
      return c as Conn;
    });
  }

  /** resolves false for invalid credentials, throws for anything else */
  bind(dn: string, password: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.client.bind(dn, password, (err) => {
        if (!err) return resolve(true);
        if (err.name === 'InvalidCredentialsError') return resolve(false);
        reject(new Error(`ldap: bind as ${JSON.stringify(dn)} failed: ${why(err, this.url)}`));
      });
    });
  }

  search(base: string, opts: SearchOptions, shown: string): Promise<Entry[]> {
    return new Promise((resolve, reject) => {
      this.client.search(base, opts, (err, res) => {
        if (err) return reject(new Error(`ldap: search in ${JSON.stringify(base)} failed: ${why(err, this.url)}`));
        const out: Entry[] = [];
        res.on('searchEntry', (entry) => {
          const pojo = entry.pojo as { objectName: string; attributes: { type: string; values: string[] }[] };
          const attrs = new Map<string, string[]>();
          for (const a of pojo.attributes) attrs.set(a.type.toLowerCase(), a.values);
          out.push({ dn: pojo.objectName, attrs });
        });
        res.on('error', (e) => {
          if (e.name === 'NoSuchObjectError') return resolve([]);
          reject(new Error(`ldap: search in ${JSON.stringify(base)} with ${shown} failed: ${why(e, this.url)}`));
        });
        res.on('end', () => resolve(out));
      });
    });
  }

  close(): void {
    try {
      this.client.unbind(() => this.client.destroy());
    } catch {
      this.client.destroy();
    }
  }
}

function attr(e: Entry, name: string | undefined): string {
  if (!name) return '';
  if (name.toUpperCase() === 'DN') return e.dn;
  return e.attrs.get(name.toLowerCase())?.[0] ?? '';
}
function attrs(e: Entry, name: string): string[] {
  if (name.toUpperCase() === 'DN') return [e.dn];
  return e.attrs.get(name.toLowerCase()) ?? [];
}

interface LdapConnectorData { username: string; dn: string }

export class LdapConnector implements PasswordConnector {
  readonly kind = 'password' as const;
  constructor(readonly cfg: LdapConfig, private readonly ctx: ConnectorContext) {}

  prompt(): string {
    return this.cfg.usernamePrompt;
  }

  private async withConn<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    const conn = await Conn.open(this.cfg);
    try {
      await this.serviceBind(conn);
      return await fn(conn);
    } finally {
      conn.close();
    }
  }

  private async serviceBind(conn: Conn): Promise<void> {
    if (!this.cfg.bindDN) return; // anonymous search
    if (!(await conn.bind(this.cfg.bindDN, this.cfg.bindPW))) {
      throw new Error(`ldap: the connector's bindDN ${JSON.stringify(this.cfg.bindDN)} was refused (invalid credentials)`);
    }
  }

  private userAttrs(): string[] {
    const u = this.cfg.user;
    const names = [u.idAttr, u.emailAttr, u.nameAttr, u.preferredUsernameAttr, ...(this.cfg.group?.userMatchers.map((m) => m.userAttr) ?? [])];
    return [...new Set(names.filter((n): n is string => !!n && n.toUpperCase() !== 'DN'))];
  }

  private async findUser(conn: Conn, username: string): Promise<Entry | undefined> {
    const u = this.cfg.user;
    const filter = andEquals(u.filter, u.username, username);
    const entries = await conn.search(u.baseDN, { filter: andEqualsFilter(u.filter, u.username, username), scope: u.scope, attributes: this.userAttrs() }, filter);
    if (entries.length === 0) {
      this.ctx.log('info', 'ldap: no user matched', { connector: this.ctx.id, username, filter });
      return undefined;
    }
    if (entries.length > 1) throw new Error(`ldap: the user search ${filter} in ${JSON.stringify(u.baseDN)} matched ${entries.length} entries (expected one)`);
    return entries[0];
  }

  private identity(e: Entry): Identity {
    const u = this.cfg.user;
    const missing: string[] = [];
    const userID = attr(e, u.idAttr);
    if (!userID) missing.push(u.idAttr);
    let username = '';
    if (u.nameAttr) {
      username = attr(e, u.nameAttr);
      if (!username) missing.push(u.nameAttr);
    }
    let email: string;
    if (u.emailSuffix) email = `${username}@${u.emailSuffix}`;
    else {
      email = attr(e, u.emailAttr);
      if (!email) missing.push(u.emailAttr);
    }
    if (missing.length) throw new Error(`ldap: entry ${JSON.stringify(e.dn)} lacks the required attribute(s) ${missing.join(', ')}`);
    const id: Identity = { userID, username, email, emailVerified: true, groups: [] };
    const pref = attr(e, u.preferredUsernameAttr);
    if (pref) id.preferredUsername = pref;
    return id;
  }

  private async groups(conn: Conn, user: Entry): Promise<string[]> {
    const g = this.cfg.group;
    if (!g) return [];
    const names: string[] = [];
    for (const m of g.userMatchers) {
      for (const value of attrs(user, m.userAttr)) {
        const filter = andEquals(g.filter, m.groupAttr, value);
        const found = await conn.search(g.baseDN, { filter: andEqualsFilter(g.filter, m.groupAttr, value), scope: g.scope, attributes: [g.nameAttr] }, filter);
        for (const ge of found) {
          const name = attr(ge, g.nameAttr);
          if (!name) {
            this.ctx.log('warn', 'ldap: group entry without its name attribute', { connector: this.ctx.id, group: ge.dn, nameAttr: g.nameAttr });
            continue;
          }
          names.push(name);
        }
      }
    }
    if (names.length === 0) this.ctx.log('info', 'ldap: user is in no group', { connector: this.ctx.id, user: user.dn });
    return [...new Set(names)];
  }

  async login(scopes: Scopes, username: string, password: string): Promise<Identity | undefined> {
    // an empty password would be an anonymous ("unauthenticated") bind, which servers accept
    if (!username || !password) return undefined;
    return this.withConn(async (conn) => {
      const user = await this.findUser(conn, username);
      if (!user) return undefined;
      if (!(await conn.bind(user.dn, password))) {
        this.ctx.log('info', 'ldap: invalid password', { connector: this.ctx.id, username });
        return undefined;
      }
      const id = this.identity(user);
      if (scopes.groups && this.cfg.group) {
        await this.serviceBind(conn);
        id.groups = await this.groups(conn, user);
      }
      id.connectorData = { username, dn: user.dn } satisfies LdapConnectorData;
      return id;
    });
  }

  async refresh(scopes: Scopes, identity: Identity): Promise<Identity> {
    const data = identity.connectorData as LdapConnectorData | undefined;
    if (!data?.username) throw new Error('ldap: refresh without connector data (log in again)');
    return this.withConn(async (conn) => {
      const user = await this.findUser(conn, data.username);
      if (!user) throw new Error(`ldap: refresh: user ${JSON.stringify(data.username)} no longer exists`);
      if (user.dn !== data.dn) throw new Error(`ldap: refresh: user ${JSON.stringify(data.username)} is now ${JSON.stringify(user.dn)}, was ${JSON.stringify(data.dn)}`);
      const id = this.identity(user);
      if (scopes.groups && this.cfg.group) id.groups = await this.groups(conn, user);
      id.connectorData = data;
      return id;
    });
  }
}

export const ldapConnector: ConnectorFactory = (config, ctx) => new LdapConnector(parseLdapConfig(config, ctx), ctx);
