/**
 * The saml connector against a real SAML IdP on loopback (saml-testidp.ts: HTTP-Redirect
 * AuthnRequest in, signed HTTP-POST Response out). The "browser" is an HTTP client that follows the
 * connector's login URL, fills the IdP's login form and posts the IdP's auto-submitting form to a
 * callback server standing where the broker's `/api/dex/callback` is, which hands the form to
 * `handleCallback` exactly as the broker does.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { parse as parseYAML } from 'yaml';
import type { ConnectorContext, Identity, RedirectConnector, Scopes } from '../connector.js';
import { CONNECTORS } from './index.js';
import { startTestIdP, parseForms, type KeyPair, type TestIdP, type ResponseOverrides } from './saml-testidp.js';

let idp: TestIdP;
let attacker: KeyPair;
let callback: Server;
let callbackURL = '';
const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
const connectors = new Map<string, RedirectConnector>();
let tmp = '';

const ALL: Scopes = { groups: true, offlineAccess: false };

async function keyPair(cn: string): Promise<KeyPair> {
  const pems = await generate([{ name: 'commonName', value: cn }], { keySize: 2048, algorithm: 'sha256' });
  return { key: pems.private, cert: pems.cert };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

function ctx(id: string): ConnectorContext {
  return {
    id,
    name: 'SAML',
    issuer: callbackURL.replace(/\/callback$/, ''),
    callbackURL,
    log: (level, msg, fields) => { logs.push({ level, msg, fields }); if (process.env.SAML_TEST_LOG) console.error(level, msg, JSON.stringify(fields)); },
  };
}

async function make(config: Record<string, unknown>, id = 'saml'): Promise<RedirectConnector> {
  const c = await CONNECTORS.saml!(config, ctx(id));
  assert.equal(c.kind, 'redirect');
  connectors.set(id, c as RedirectConnector);
  return c as RedirectConnector;
}

function baseConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ssoURL: idp.ssoURL, caData: b64(idp.signer.cert), usernameAttr: 'name', emailAttr: 'email', groupsAttr: 'groups', ...extra };
}

interface Outcome {
  status: number;
  identity?: Identity;
  error?: string;
  /** the form the IdP had the browser post to the callback */
  form: Record<string, string>;
  action: string;
}

/** The browser's part: login URL → IdP login form → IdP's auto-posting form → callback. */
async function browserLogin(c: RedirectConnector, user: string, password: string, opts: { overrides?: ResponseOverrides; state?: string; scopes?: Scopes; tamper?: (xml: string) => string } = {}): Promise<Outcome> {
  const state = opts.state ?? `state-${Math.random().toString(36).slice(2)}`;
  const login = await c.loginURL(opts.scopes ?? ALL, callbackURL, state);
  assert.ok('url' in login, 'HTTP-Redirect binding gives a URL');
  idp.next = opts.overrides ?? {};
  const page = await fetch(login.url, { redirect: 'manual' });
  assert.equal(page.status, 200, 'the IdP shows its login form');
  const loginForm = parseForms(await page.text())[0]!;
  const answer = await fetch(new URL(loginForm.action, login.url), {
    method: 'POST',
    body: new URLSearchParams({ ...loginForm.fields, username: user, password }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(answer.status, 200, `the IdP accepted ${user}'s password`);
  const post = parseForms(await answer.text())[0]!;
  assert.equal(post.method, 'post');
  if (opts.tamper) post.fields.SAMLResponse = b64(opts.tamper(Buffer.from(post.fields.SAMLResponse!, 'base64').toString('utf8')));
  return { ...(await postCallback(post.action, post.fields, opts.scopes)), form: post.fields, action: post.action };
}

async function postCallback(action: string, fields: Record<string, string>, scopes?: Scopes): Promise<{ status: number; identity?: Identity; error?: string }> {
  const res = await fetch(action, {
    method: 'POST',
    body: new URLSearchParams(fields),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-connector': lastConnector, 'x-scopes': JSON.stringify(scopes ?? ALL) },
  });
  const body = (await res.json()) as { identity?: Identity; error?: string };
  return { status: res.status, ...body };
}
let lastConnector = 'saml';

before(async () => {
  const signer = await keyPair('test-idp');
  attacker = await keyPair('attacker');
  idp = await startTestIdP(signer, {
    alice: { password: 'alice-pw', nameID: 'u-1001', attributes: { name: ['alice'], email: ['alice@example.com'], groups: ['argocd-admins', 'devs'] } },
    bob: { password: 'bob-pw', nameID: 'u-1002', attributes: { name: ['bob'], email: ['bob@example.com'], groups: ['devs'] } },
    carol: { password: 'carol-pw', nameID: 'u-1003', attributes: { name: ['carol'], email: ['carol@example.com'] } },
    dave: { password: 'dave-pw', nameID: 'u-1004', attributes: { name: ['dave'], email: ['dave@example.com'], memberOf: ['ops;devs;qa'] } },
  });
  // where the broker's shared callback is: hands the POSTed form to the connector, as the broker does
  callback = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const c = connectors.get(String(req.headers['x-connector'] ?? 'saml'))!;
    try {
      const identity = await c.handleCallback(JSON.parse(String(req.headers['x-scopes'])) as Scopes, callbackURL, form, form.get('RelayState') ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ identity }));
    } catch (err) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }));
    }
  });
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
  callbackURL = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/api/dex/callback`;
  tmp = mkdtempSync(join(tmpdir(), 'saml-test-'));
});

after(async () => {
  await idp?.close();
  await new Promise<void>((r) => (callback ? callback.close(() => r()) : r()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('saml: login with groups — signed assertion, NameID as user id, username/email/groups from attributes', async () => {
  const c = await make(baseConfig());
  lastConnector = 'saml';
  const out = await browserLogin(c, 'alice', 'alice-pw');
  assert.equal(out.status, 200, out.error);
  assert.deepEqual(out.identity, { userID: 'u-1001', username: 'alice', email: 'alice@example.com', emailVerified: true, groups: ['argocd-admins', 'devs'] });
  // what the IdP received: an HTTP-Redirect AuthnRequest naming the callback and Dex's default NameID format
  const req = idp.requests.at(-1)!;
  assert.match(req.id, /^_[0-9a-f]{40}$/);
  assert.equal(req.acs, callbackURL);
  assert.equal(req.issuer, callbackURL, 'without entityIssuer the SP entity id is the callback URL');
  assert.equal(req.destination, idp.ssoURL);
  assert.equal(req.nameIDFormat, 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
  assert.equal(out.action, callbackURL, 'the IdP posts to the broker callback');
});

test('saml: without the groups scope no groups; a user the IdP gives no groups attribute logs in with none', async () => {
  const c = await make(baseConfig());
  lastConnector = 'saml';
  const noScope = await browserLogin(c, 'alice', 'alice-pw', { scopes: { groups: false, offlineAccess: false } });
  assert.equal(noScope.status, 200, noScope.error);
  assert.deepEqual(noScope.identity!.groups, []);
  const carol = await browserLogin(c, 'carol', 'carol-pw');
  assert.equal(carol.status, 200, carol.error);
  assert.deepEqual(carol.identity!.groups, []);
});

test('saml: response signed instead of (or as well as) the assertion is accepted', async () => {
  const c = await make(baseConfig());
  lastConnector = 'saml';
  for (const sign of ['response', 'both'] as const) {
    const out = await browserLogin(c, 'bob', 'bob-pw', { overrides: { sign } });
    assert.equal(out.status, 200, `${sign}: ${out.error}`);
    assert.equal(out.identity!.userID, 'u-1002');
  }
});

test('saml: expired assertion refused; within the 30 s clock skew accepted; not yet valid refused', async () => {
  const c = await make(baseConfig());
  lastConnector = 'saml';
  const expired = await browserLogin(c, 'alice', 'alice-pw', { overrides: { notOnOrAfter: -120 } });
  assert.equal(expired.status, 400);
  assert.match(expired.error!, /SAML response refused: the assertion is expired or not yet valid/);
  const conditions = await browserLogin(c, 'alice', 'alice-pw', { overrides: { conditionsNotOnOrAfter: -120 } });
  assert.equal(conditions.status, 400);
  assert.match(conditions.error!, /SAML assertion expired/);
  const skewed = await browserLogin(c, 'alice', 'alice-pw', { overrides: { notOnOrAfter: -10 } });
  assert.equal(skewed.status, 200, skewed.error);
  const early = await browserLogin(c, 'alice', 'alice-pw', { overrides: { notBefore: 120 } });
  assert.equal(early.status, 400);
  assert.match(early.error!, /not yet valid/);
});

test('saml: wrong audience refused; entityIssuer is the audience when set', async () => {
  const c = await make(baseConfig());
  lastConnector = 'saml';
  const wrong = await browserLogin(c, 'alice', 'alice-pw', { overrides: { audience: 'https://other-sp.example.com' } });
  assert.equal(wrong.status, 400);
  assert.match(wrong.error!, /audience mismatch/);
  const none = await browserLogin(c, 'alice', 'alice-pw', { overrides: { audience: null } });
  assert.equal(none.status, 400);
  assert.match(none.error!, /no AudienceRestriction/);
  const e = await make(baseConfig({ entityIssuer: 'https://argocd.example.com/api/dex/callback' }), 'saml-entity');
  lastConnector = 'saml-entity';
  const ok = await browserLogin(e, 'alice', 'alice-pw');
  assert.equal(ok.status, 200, ok.error);
  assert.equal(idp.requests.at(-1)!.issuer, 'https://argocd.example.com/api/dex/callback');
  const acsAsAudience = await browserLogin(e, 'alice', 'alice-pw', { overrides: { audience: callbackURL } });
  assert.equal(acsAsAudience.status, 400, 'with entityIssuer set, the callback URL is not the audience');
});

test('saml: unsigned response refused', async () => {
  const c = await make(baseConfig());
  lastConnector = 'saml';
  const out = await browserLogin(c, 'alice', 'alice-pw', { overrides: { sign: 'none' } });
  assert.equal(out.status, 400);
  assert.match(out.error!, /signature/i);
});

test('saml: caData with several certificates (IdP key rotation) accepts a signature by any of them', async () => {
  const c = await make(baseConfig({ caData: b64(attacker.cert + '\n' + idp.signer.cert) }), 'saml-rotation');
  lastConnector = 'saml-rotation';
  const byNew = await browserLogin(c, 'bob', 'bob-pw');
  assert.equal(byNew.status, 200, byNew.error);
  const byOld = await browserLogin(c, 'bob', 'bob-pw', { overrides: { signer: attacker } });
  assert.equal(byOld.status, 200, byOld.error);
});

test('saml: response signed by another key (its own certificate in KeyInfo) refused', async () => {
  const c = await make(baseConfig());
  lastConnector = 'saml';
  const out = await browserLogin(c, 'alice', 'alice-pw', { overrides: { signer: attacker, sign: 'both' } });
  assert.equal(out.status, 400);
  assert.match(out.error!, /signature/i);
});

test('saml: tampered assertion refused (group added, NameID changed, second assertion wrapped in)', async () => {
  const c = await make(baseConfig());
  lastConnector = 'saml';
  const addGroup = await browserLogin(c, 'bob', 'bob-pw', { tamper: (x) => x.replace('>devs</saml:AttributeValue>', '>argocd-admins</saml:AttributeValue>') });
  assert.equal(addGroup.status, 400);
  assert.match(addGroup.error!, /signature/i);
  const otherUser = await browserLogin(c, 'bob', 'bob-pw', { tamper: (x) => x.replace('>u-1002</saml:NameID>', '>u-1001</saml:NameID>') });
  assert.equal(otherUser.status, 400);
  const wrapped = await browserLogin(c, 'bob', 'bob-pw', {
    tamper: (x) => {
      const a = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(x)![0];
      const evil = a.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/, '').replace(/ID="[^"]+"/, 'ID="_evil"').replace('>u-1002<', '>u-1001<');
      return x.replace('<saml:Assertion', evil + '<saml:Assertion');
    },
  });
  assert.equal(wrapped.status, 400);
  // the check really ran on the untouched response in between
  const ok = await browserLogin(c, 'bob', 'bob-pw');
  assert.equal(ok.status, 200, ok.error);
});

test('saml: wrong InResponseTo, replayed response and an unsolicited response are refused', async () => {
  const c = await make(baseConfig());
  lastConnector = 'saml';
  const wrongIRT = await browserLogin(c, 'alice', 'alice-pw', { overrides: { inResponseTo: '_0123456789abcdef' } });
  assert.equal(wrongIRT.status, 400);
  assert.match(wrongIRT.error!, /InResponseTo/);

  const ok = await browserLogin(c, 'alice', 'alice-pw');
  assert.equal(ok.status, 200, ok.error);
  const replay = await postCallback(ok.action, ok.form);
  assert.equal(replay.status, 400, 'the same response posted twice');
  assert.match(replay.error!, /no login is waiting/);

  // the captured response under a fresh login attempt's state: answers another AuthnRequest
  const state = 'fresh-state';
  await c.loginURL(ALL, callbackURL, state);
  const moved = await postCallback(ok.action, { ...ok.form, RelayState: state });
  assert.equal(moved.status, 400);
  assert.match(moved.error!, /InResponseTo/);

  const unsolicited = await postCallback(ok.action, { SAMLResponse: ok.form.SAMLResponse!, RelayState: 'never-issued' });
  assert.equal(unsolicited.status, 400);
});

test('saml: a login under way survives the broker rebuilding its connectors (argocd-cm reload)', async () => {
  const before = await make(baseConfig(), 'saml-reload');
  const state = 'reload-state';
  const login = (await before.loginURL(ALL, callbackURL, state)) as { url: string };
  const page = parseForms(await (await fetch(login.url)).text())[0]!;
  const answer = await fetch(new URL(page.action, login.url), { method: 'POST', body: new URLSearchParams({ ...page.fields, username: 'bob', password: 'bob-pw' }) });
  const post = parseForms(await answer.text())[0]!;
  const after = await make(baseConfig(), 'saml-reload'); // a new instance, as after a reload
  lastConnector = 'saml-reload';
  const out = await postCallback(post.action, post.fields);
  assert.equal(out.status, 200, out.error);
  assert.equal(out.identity!.username, 'bob');
  assert.notEqual(before, after);
  const again = await postCallback(post.action, post.fields);
  assert.equal(again.status, 400, 'still accepted once only');
});

test('saml: Destination, Recipient and ssoIssuer must match; a non-Success status is reported', async () => {
  const c = await make(baseConfig({ ssoIssuer: idp.entityID }));
  lastConnector = 'saml';
  const dest = await browserLogin(c, 'alice', 'alice-pw', { overrides: { destination: 'https://elsewhere.example.com/acs' } });
  assert.equal(dest.status, 400);
  assert.match(dest.error!, /Destination/);
  const noDest = await browserLogin(c, 'alice', 'alice-pw', { overrides: { destination: null } });
  assert.equal(noDest.status, 200, 'Destination is optional: ' + noDest.error);
  const recipient = await browserLogin(c, 'alice', 'alice-pw', { overrides: { recipient: 'https://elsewhere.example.com/acs' } });
  assert.equal(recipient.status, 400);
  assert.match(recipient.error!, /Recipient/);
  const issuer = await browserLogin(c, 'alice', 'alice-pw', { overrides: { issuer: 'https://impostor.example.com' } });
  assert.equal(issuer.status, 400);
  assert.match(issuer.error!, /ssoIssuer/);
  const denied = await browserLogin(c, 'alice', 'alice-pw', { overrides: { status: 'urn:oasis:names:tc:SAML:2.0:status:Requester' } });
  assert.equal(denied.status, 400);
  assert.match(denied.error!, /answered Requester/);
  assert.ok(logs.some((l) => l.level === 'warn' && l.msg === 'SAML response refused'), 'refusals are logged');
});

test('saml: allowedGroups, filterGroups, groupsDelim', async () => {
  const c = await make(baseConfig({ allowedGroups: ['argocd-admins', 'ops'], filterGroups: true }));
  lastConnector = 'saml';
  const alice = await browserLogin(c, 'alice', 'alice-pw');
  assert.equal(alice.status, 200, alice.error);
  assert.deepEqual(alice.identity!.groups, ['argocd-admins'], 'filterGroups keeps only allowed groups');
  const bob = await browserLogin(c, 'bob', 'bob-pw');
  assert.equal(bob.status, 400);
  assert.match(bob.error!, /not a member of allowed groups/);
  const noScope = await browserLogin(c, 'alice', 'alice-pw', { scopes: { groups: false, offlineAccess: false } });
  assert.equal(noScope.status, 400, 'allowedGroups without the groups scope refuses, as Dex');

  const d = await make(baseConfig({ groupsAttr: 'memberOf', groupsDelim: ';', allowedGroups: ['ops'] }), 'saml-delim');
  lastConnector = 'saml-delim';
  const dave = await browserLogin(d, 'dave', 'dave-pw');
  assert.equal(dave.status, 200, dave.error);
  assert.deepEqual(dave.identity!.groups, ['ops', 'devs', 'qa'], 'without filterGroups all groups stay');
});

test('saml: a missing username/email attribute is refused naming it; nameIDPolicyFormat short names', async () => {
  const c = await make(baseConfig({ emailAttr: 'mail', nameIDPolicyFormat: 'emailAddress' }));
  lastConnector = 'saml';
  const out = await browserLogin(c, 'alice', 'alice-pw');
  assert.equal(out.status, 400);
  assert.match(out.error!, /no attribute named "mail" in the assertion \(it has: name, email, groups\)/);
  assert.equal(idp.requests.at(-1)!.nameIDFormat, 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
  const urn = await make(baseConfig({ nameIDPolicyFormat: 'urn:example:custom-format' }), 'saml-urn');
  // the URL the browser is sent to carries the AuthnRequest the IdP would parse
  const u = new URL((await urn.loginURL(ALL, callbackURL, 'urn-state-2') as { url: string }).url);
  assert.equal(u.searchParams.get('RelayState'), 'urn-state-2');
  const { parseAuthnRequest } = await import('./saml-testidp.js');
  assert.equal(parseAuthnRequest(u.searchParams.get('SAMLRequest')!).nameIDFormat, 'urn:example:custom-format');
});

test('saml: insecureSkipSignatureValidation accepts an unsigned response but still checks conditions', async () => {
  const c = await make({ ssoURL: idp.ssoURL, insecureSkipSignatureValidation: true, usernameAttr: 'name', emailAttr: 'email' }, 'saml-insecure');
  lastConnector = 'saml-insecure';
  const out = await browserLogin(c, 'bob', 'bob-pw', { overrides: { sign: 'none' } });
  assert.equal(out.status, 200, out.error);
  assert.equal(out.identity!.username, 'bob');
  const expired = await browserLogin(c, 'bob', 'bob-pw', { overrides: { sign: 'none', notOnOrAfter: -120 } });
  assert.equal(expired.status, 400);
  assert.ok(logs.some((l) => l.msg.includes('insecureSkipSignatureValidation')));
});

test("saml: Argo CD's documented dex.config saml examples (Okta: caData as a wrapped base64 block; Google: entityIssuer + ssoIssuer) work unchanged", async () => {
  // `base64 my_cert.pem` output: 76-column lines under `caData: |`
  const wrapped = b64(idp.signer.cert).replace(/.{76}/g, '$&\n      ');
  // The shapes of Argo CD's Okta and Google SAML examples; only the IdP's URL, certificate and the callback are this test's.
  const dexConfig = `
logger:
  level: debug
  format: json
connectors:
- type: saml
  id: okta
  name: Okta
  config:
    ssoURL: ${idp.ssoURL}
    caData: |
      ${wrapped}
    redirectURI: ${callbackURL}
    usernameAttr: email
    emailAttr: email
    groupsAttr: group
- type: saml
  id: saml
  name: saml
  config:
    ssoURL: ${idp.ssoURL}
    entityIssuer: ${callbackURL}
    caData: |
      ${wrapped}
    redirectURI: ${callbackURL}
    usernameAttr: name
    emailAttr: email
    # optional
    ssoIssuer: ${idp.entityID}
`;
  const entries = (parseYAML(dexConfig) as { connectors: { type: string; id: string; config: Record<string, unknown> }[] }).connectors;
  assert.ok((entries[0]!.config.caData as string).includes('\n'), 'the certificate block spans lines');
  idp.users.set('erin', { password: 'erin-pw', nameID: '00u1erin', attributes: { name: ['erin@example.com'], email: ['erin@example.com'], group: ['argocd-admins'] } });
  const okta = await make(entries[0]!.config, entries[0]!.id);
  lastConnector = 'okta';
  const out = await browserLogin(okta, 'erin', 'erin-pw');
  assert.equal(out.status, 200, out.error);
  assert.deepEqual(out.identity, { userID: '00u1erin', username: 'erin@example.com', email: 'erin@example.com', emailVerified: true, groups: ['argocd-admins'] });
  const google = await make(entries[1]!.config, entries[1]!.id);
  lastConnector = 'saml';
  const g = await browserLogin(google, 'erin', 'erin-pw');
  assert.equal(g.status, 200, g.error);
  assert.equal(g.identity!.username, 'erin@example.com');
  assert.deepEqual(g.identity!.groups, [], 'no groupsAttr: no groups');
});

test('saml: ca as a file path; bad configuration is refused naming the field', async () => {
  const caFile = join(tmp, 'idp-ca.pem');
  writeFileSync(caFile, idp.signer.cert);
  const c = await make({ ssoURL: idp.ssoURL, ca: caFile, usernameAttr: 'name', emailAttr: 'email' }, 'saml-cafile');
  lastConnector = 'saml-cafile';
  const out = await browserLogin(c, 'bob', 'bob-pw');
  assert.equal(out.status, 200, out.error);

  const bad = async (config: Record<string, unknown>, re: RegExp) => {
    await assert.rejects(async () => CONNECTORS.saml!(config, ctx('bad')), re);
  };
  const ok = baseConfig();
  await bad({ ...ok, ssoURL: undefined }, /saml connector "bad": config\.ssoURL is required/);
  await bad({ ...ok, ssoURL: 'not a url' }, /config\.ssoURL is not a URL/);
  await bad({ ...ok, caData: undefined }, /config\.ca or config\.caData is required/);
  await bad({ ...ok, caData: 'bm90IGEgY2VydA==' }, /config\.caData \(base64-decoded\): no PEM CERTIFICATE block/);
  await bad({ ...ok, caData: '%%%' }, /config\.caData: not base64/);
  await bad({ ...ok, caData: '$dex.saml.ca\n' }, /config\.caData: "\$dex\.saml\.ca" is a secret reference that was not resolved/);
  await bad({ ...ok, ca: caFile }, /set config\.ca or config\.caData, not both/);
  await bad({ ...ok, caData: undefined, ca: join(tmp, 'missing.pem') }, /config\.ca: cannot read .*missing\.pem: ENOENT/);
  await bad({ ...ok, usernameAttr: undefined }, /config\.usernameAttr is required/);
  await bad({ ...ok, emailAttr: '' }, /config\.emailAttr is required/);
  await bad({ ...ok, allowedGroups: 'admins' }, /config\.allowedGroups must be a list of strings/);
  await bad({ ...ok, filterGroups: 'yes' }, /config\.filterGroups must be true or false/);
});

test('saml: a callback without SAMLResponse or with a foreign RelayState is refused', async () => {
  const c = await make(baseConfig());
  await c.loginURL(ALL, callbackURL, 's1');
  await assert.rejects(c.handleCallback(ALL, callbackURL, new URLSearchParams({ RelayState: 's1' }), 's1'), /without a SAMLResponse/);
  await assert.rejects(c.handleCallback(ALL, callbackURL, new URLSearchParams({ SAMLResponse: 'eA==', RelayState: 's2' }), 's1'), /RelayState does not belong/);
  await assert.rejects(c.handleCallback(ALL, callbackURL, new URLSearchParams({ SAMLResponse: b64('<not-xml'), RelayState: 's1' }), 's1'), /SAML response refused: SAMLResponse is not well-formed XML/);
  await c.loginURL(ALL, callbackURL, 's1');
  const dtd = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&a;</samlp:Response>';
  await assert.rejects(c.handleCallback(ALL, callbackURL, new URLSearchParams({ SAMLResponse: b64(dtd), RelayState: 's1' }), 's1'), /SAMLResponse contains a DOCTYPE/);
});
