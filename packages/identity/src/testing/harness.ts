/**
 * Test and benchmark harness: the broker on a loopback HTTP server with the contract's layout
 * (issuer `http://127.0.0.1:<port>/api/dex`), and an OAuth client side (authorization URL with PKCE,
 * code exchange with openid-client, which validates the ID token against the broker's JWKS).
 */
import { createServer, type Server } from 'node:http';
import * as oc from 'openid-client';
import { Broker, type BrokerOptions } from '../broker.js';
import type { BrokerConfig } from '../config.js';
import { Browser } from './browser.js';

export interface RunningBroker {
  broker: Broker;
  /** http://127.0.0.1:<port> (what argocd-cm's url would be) */
  base: string;
  issuer: string;
  server: Server;
  close(): Promise<void>;
}

export async function startBroker(cfgFor: (base: string, issuer: string) => BrokerConfig, o: BrokerOptions = {}): Promise<RunningBroker> {
  let handler: Broker['handle'] | undefined;
  const server = createServer((req, res) => (handler ? handler(req, res) : (res.writeHead(503), res.end())));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const issuer = `${base}/api/dex`;
  const broker = await Broker.create(cfgFor(base, issuer), o);
  handler = broker.handle;
  return {
    broker,
    base,
    issuer,
    server,
    close: async () => {
      broker.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface ClientSide {
  config: oc.Configuration;
  redirectURI: string;
}

export async function clientFor(issuer: string, clientID: string, secret: string | undefined, redirectURI: string): Promise<ClientSide> {
  const config = await oc.discovery(new URL(issuer), clientID, undefined, secret ? oc.ClientSecretBasic(secret) : oc.None(), { execute: [oc.allowInsecureRequests] });
  return { config, redirectURI };
}

/** A browser that stops at the client's redirect URI; `login` runs the whole flow and exchanges the code. */
export async function codeFlow(
  c: ClientSide,
  o: { scope?: string; pkce?: boolean; loginPage: (b: Browser, first: import('./browser.js').Page) => Promise<import('./browser.js').Page>; browser?: Browser },
): Promise<{ tokens: Awaited<ReturnType<typeof oc.authorizationCodeGrant>>; claims: oc.IDToken; browser: Browser; callback: URL }> {
  const redirect = new URL(c.redirectURI);
  const b = o.browser ?? new Browser((u) => u.origin === redirect.origin && u.pathname === redirect.pathname);
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const verifier = oc.randomPKCECodeVerifier();
  const params: Record<string, string> = { redirect_uri: c.redirectURI, scope: o.scope ?? 'openid profile email groups', state, nonce };
  if (o.pkce !== false) Object.assign(params, { code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const first = await b.get(oc.buildAuthorizationUrl(c.config, params).href);
  const end = first.status === 0 ? first : await o.loginPage(b, first);
  if (end.status !== 0) throw new Error(`the flow did not come back to ${c.redirectURI}: ${end.status} at ${end.url}: ${end.body.replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 400)}`);
  const callback = new URL(end.url);
  const tokens = await oc.authorizationCodeGrant(c.config, callback, { expectedState: state, expectedNonce: nonce, pkceCodeVerifier: o.pkce !== false ? verifier : undefined, idTokenExpected: true });
  return { tokens, claims: tokens.claims()!, browser: b, callback };
}

/** the upstream IdP's login form: username + password */
export const upstreamLogin = (username: string, password: string) => (b: Browser, page: import('./browser.js').Page) => b.submit(page, { username, password });
