/**
 * The connector contract: how the broker (broker.ts) gets an upstream identity. A connector is
 * created from one entry of Dex's `connectors:` list (`type`, `id`, `name`, `config`) and is either
 * a password connector (the broker shows a username/password form and calls `login`) or a redirect
 * connector (the broker sends the browser to `loginURL` and later hands the callback — a GET query,
 * or for SAML a POSTed form — to `handleCallback`). All connectors share the broker's callback URL
 * `<issuer>/callback` (Dex's `redirectURI`); `state` ties a callback to its login attempt.
 */

/** What a connector learns about a user (Dex's connector.Identity). */
export interface Identity {
  /** stable id at the upstream (becomes part of the token's `sub`) */
  userID: string;
  username: string;
  preferredUsername?: string;
  email?: string;
  emailVerified?: boolean;
  groups: string[];
  /** opaque data the connector needs for `refresh` (e.g. an upstream refresh token) */
  connectorData?: unknown;
}

export interface Logger {
  (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

export interface ConnectorContext {
  /** the connector's `id` in dex.config */
  id: string;
  /** the connector's `name` (shown on the login page) */
  name: string;
  /** the broker's issuer URL, e.g. https://argocd.example.com/api/dex */
  issuer: string;
  /** the broker's callback URL (`<issuer>/callback`); a connector's `redirectURI` overrides it */
  callbackURL: string;
  log: Logger;
}

export interface Scopes {
  /** the client asked for `offline_access` (the connector should keep what refresh needs) */
  offlineAccess: boolean;
  /** the client asked for `groups` */
  groups: boolean;
}

export interface PasswordConnector {
  kind: 'password';
  /** the label of the username field (Dex's `usernamePrompt`, default "Username") */
  prompt(): string;
  /** undefined = wrong username or password (the form says so); throws on a connector failure */
  login(scopes: Scopes, username: string, password: string): Promise<Identity | undefined>;
  refresh?(scopes: Scopes, identity: Identity): Promise<Identity>;
}

export interface RedirectConnector {
  kind: 'redirect';
  /** where to send the browser; for SAML's HTTP-POST binding `form` is returned instead (an auto-submitting form) */
  loginURL(scopes: Scopes, callbackURL: string, state: string): Promise<{ url: string } | { form: { action: string; fields: Record<string, string> } }>;
  /** the upstream's answer: `params` holds the query (GET) or the form (POST) */
  handleCallback(scopes: Scopes, callbackURL: string, params: URLSearchParams, state: string): Promise<Identity>;
  refresh?(scopes: Scopes, identity: Identity): Promise<Identity>;
}

export type Connector = PasswordConnector | RedirectConnector;

/** Builds a connector from its `config:` map (with `$secret` references already resolved); throws with a message naming the bad field. */
export type ConnectorFactory = (config: Record<string, unknown>, ctx: ConnectorContext) => Connector | Promise<Connector>;
