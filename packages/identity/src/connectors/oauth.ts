/**
 * Dex's generic `oauth` connector: an OAuth 2.0 authorization server with a userinfo endpoint.
 * Config as Dex reads it: clientID, clientSecret, redirectURI, authorizationURL, tokenURL, userInfoURL,
 * scopes, rootCAs, insecureSkipVerify, userIDKey (id), claimMapping {userNameKey (user_name),
 * preferredUsernameKey (preferred_username), groupsKey (groups), emailKey (email), emailVerifiedKey
 * (email_verified)}. The code exchange authenticates with HTTP Basic, then with the form as Go's
 * oauth2 does when Basic is refused; state and PKCE are checked.
 */
import { createHash } from 'node:crypto';
import type { ConnectorFactory, Identity, RedirectConnector, Scopes } from '../connector.js';
import { Fields, deriver, groupList, loadCAs, tlsFetch } from './http.js';

interface Settings {
  clientID: string;
  clientSecret: string;
  authorizationURL: URL;
  tokenURL: URL;
  userInfoURL: URL;
  scopes: string[];
  userIDKey: string;
  userNameKey: string;
  preferredUsernameKey: string;
  groupsKey: string;
  emailKey: string;
  emailVerifiedKey: string;
}

export function parseOAuthConfig(config: Record<string, unknown>, id: string): Settings & { ca?: string[]; insecureSkipVerify: boolean } {
  const f = new Fields(config, `connector ${id} (oauth)`);
  const cm = f.map('claimMapping');
  return {
    clientID: f.req('clientID'),
    clientSecret: f.req('clientSecret'),
    authorizationURL: f.url('authorizationURL')!,
    tokenURL: f.url('tokenURL')!,
    userInfoURL: f.url('userInfoURL')!,
    scopes: f.list('scopes') ?? [],
    userIDKey: f.str('userIDKey', false, 'id')!,
    userNameKey: cm.str('userNameKey', false, 'user_name')!,
    preferredUsernameKey: cm.str('preferredUsernameKey', false, 'preferred_username')!,
    groupsKey: cm.str('groupsKey', false, 'groups')!,
    emailKey: cm.str('emailKey', false, 'email')!,
    emailVerifiedKey: cm.str('emailVerifiedKey', false, 'email_verified')!,
    ca: loadCAs(f.list('rootCAs'), `connector ${id} (oauth)`),
    insecureSkipVerify: f.bool('insecureSkipVerify'),
  };
}

export function identityFromUserInfo(s: Settings, info: Record<string, unknown>, scopes: Scopes): Identity {
  const id = info[s.userIDKey];
  if (typeof id !== 'string' && typeof id !== 'number') throw new Error(`the userinfo has no "${s.userIDKey}" (userIDKey)`);
  const str = (k: string) => (typeof info[k] === 'string' ? (info[k] as string) : undefined);
  return {
    userID: String(id),
    username: str(s.userNameKey) ?? '',
    preferredUsername: str(s.preferredUsernameKey),
    email: str(s.emailKey),
    emailVerified: info[s.emailVerifiedKey] === true,
    groups: scopes.groups ? groupList(info[s.groupsKey]) : [],
  };
}

async function json(res: Response, what: string): Promise<Record<string, any>> {
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = Object.fromEntries(new URLSearchParams(text)); // some servers answer the token request form-encoded
  }
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status}${body?.error ? ` ${body.error}${body.error_description ? `: ${body.error_description}` : ''}` : ''}`);
  if (!body || typeof body !== 'object') throw new Error(`${what}: the answer is not a JSON object`);
  return body;
}

export const oauth: ConnectorFactory = (config, ctx) => {
  const s = parseOAuthConfig(config, ctx.id);
  const doFetch = tlsFetch({ ca: s.ca, insecureSkipVerify: s.insecureSkipVerify, timeoutMs: 10_000 });
  const derive = deriver();

  const token = async (form: Record<string, string>): Promise<Record<string, any>> => {
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(s.clientID)}:${encodeURIComponent(s.clientSecret)}`).toString('base64')}`;
    const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    let res = await doFetch(s.tokenURL, { method: 'POST', headers: { ...headers, authorization: basic }, body: new URLSearchParams(form).toString() });
    if (res.status === 401 || res.status === 400) {
      const first = await res.text();
      if (/invalid_client|unauthorized/i.test(first) || res.status === 401) {
        res = await doFetch(s.tokenURL, { method: 'POST', headers, body: new URLSearchParams({ ...form, client_id: s.clientID, client_secret: s.clientSecret }).toString() });
      } else res = new Response(first, { status: res.status, headers: res.headers });
    }
    const body = await json(res, `the token request to ${s.tokenURL.origin}${s.tokenURL.pathname}`);
    if (typeof body.access_token !== 'string') throw new Error('the token answer has no access_token');
    return body;
  };

  const userInfo = async (accessToken: string, scopes: Scopes): Promise<Identity> => {
    const res = await doFetch(s.userInfoURL, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
    return identityFromUserInfo(s, await json(res, `the userinfo request to ${s.userInfoURL.origin}${s.userInfoURL.pathname}`), scopes);
  };

  const c: RedirectConnector = {
    kind: 'redirect',
    async loginURL(_scopes, callbackURL, state) {
      const u = new URL(s.authorizationURL);
      u.searchParams.set('client_id', s.clientID);
      u.searchParams.set('redirect_uri', callbackURL);
      u.searchParams.set('response_type', 'code');
      if (s.scopes.length) u.searchParams.set('scope', s.scopes.join(' '));
      u.searchParams.set('state', state);
      u.searchParams.set('code_challenge', createHash('sha256').update(derive('pkce', state)).digest('base64url'));
      u.searchParams.set('code_challenge_method', 'S256');
      return { url: u.href };
    },
    async handleCallback(scopes, callbackURL, params, state) {
      const err = params.get('error');
      if (err) throw new Error(`the authorization server answered ${err}${params.get('error_description') ? `: ${params.get('error_description')}` : ''}`);
      if (params.get('state') !== state) throw new Error('state mismatch');
      const code = params.get('code');
      if (!code) throw new Error('the callback has no code');
      const t = await token({ grant_type: 'authorization_code', code, redirect_uri: callbackURL, code_verifier: derive('pkce', state) });
      const id = await userInfo(t.access_token, scopes);
      id.connectorData = { refreshToken: t.refresh_token };
      return id;
    },
    async refresh(scopes, identity) {
      const rt = (identity.connectorData as { refreshToken?: string } | undefined)?.refreshToken;
      if (!rt) return identity;
      const t = await token({ grant_type: 'refresh_token', refresh_token: rt });
      const id = await userInfo(t.access_token, scopes);
      if (id.userID !== identity.userID) throw new Error('the upstream refresh returned another user');
      id.connectorData = { refreshToken: t.refresh_token ?? rt };
      return id;
    },
  };
  return c;
};
