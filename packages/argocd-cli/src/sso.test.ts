/**
 * `argocd login --sso` and `argocd relogin` against argocd-server whose `oidc.config` points at an
 * independent oidc-provider process (its own users and form), then with `dex.config` and a second
 * provider process behind `--dex-server` (reached through argocd-server's `/api/dex`). The CLI
 * prints the URL to open; an HTTP client plays the browser (cookies, redirects, the IdP's form)
 * and lands on the CLI's local callback server on `--sso-port`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { dexClientSecret } from '@flotilla/identity/secret';
import { parse as parseYaml } from 'yaml';
import { argocd, claims, ssoLogin, token, SERVER_DIST } from './sso-testkit.js';

let dir: string;
let env: any;
let idp: any;
let dex: any;
let host = '';
let argoUrl = '';
let cliPort = 0;
let Browser: any;
const SECRET_KEY = randomBytes(32);
const CLIENT_SECRET = 'cli-test-secret-' + randomBytes(4).toString('hex');


describe('argocd login --sso / relogin', { timeout: 300_000 }, () => {
  const alice = () => join(dir, 'alice');
  const bob = () => join(dir, 'bob');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argocd-sso-'));
    const { startEnv, freePort } = await import(`${SERVER_DIST}testenv.js`);
    const { startTestIdp } = await import(`${SERVER_DIST}sso/test-idp.js`);
    ({ Browser } = await import(`${SERVER_DIST}sso/browser.js`));
    const argoPort = await freePort();
    const idpPort = await freePort();
    const dexPort = await freePort();
    cliPort = await freePort();
    argoUrl = `http://127.0.0.1:${argoPort}`;
    host = `127.0.0.1:${argoPort}`;
    const issuer = `http://127.0.0.1:${idpPort}`;
    const users = {
      alice: { password: 'alice-pw', email: 'alice@example.com', groups: ['devs'] },
      bob: { password: 'bob-pw', email: 'bob@example.com', groups: ['viewers'] },
    };
    const cli = { client_id: 'argo-cd-cli', public: true, redirect_uris: [`http://localhost:${cliPort}/auth/callback`] };
    idp = await startTestIdp({ issuer, port: idpPort, users, clients: [{ client_id: 'argo-cd-sso', client_secret: CLIENT_SECRET, redirect_uris: [`${argoUrl}/auth/callback`] }, { ...cli, client_id: 'argocd-cli' }] });
    dex = await startTestIdp({ issuer: `${argoUrl}/api/dex`, port: dexPort, users, idTokenTtl: 3, clients: [{ client_id: 'argo-cd', client_secret: dexClientSecret(SECRET_KEY.toString('utf8')), redirect_uris: [`${argoUrl}/auth/callback`] }, cli] });
    const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'argocd' }, data });
    env = await startEnv({
      port: argoPort,
      insecure: true,
      dexServer: `http://127.0.0.1:${dexPort}`,
      setup: async (c: any) => {
        const f = join(c.dir, 'sso.json');
        writeFileSync(f, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
          cm('argocd-cm', { url: argoUrl, 'oidc.config': `name: Test IdP\nissuer: ${issuer}\nclientID: argo-cd-sso\nclientSecret: $oidc.clientSecret\ncliClientID: argocd-cli\n` }),
          cm('argocd-rbac-cm', { 'policy.csv': 'g, devs, role:admin\ng, viewers, role:readonly' }),
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-secret', namespace: 'argocd' }, type: 'Opaque', data: { 'server.secretkey': SECRET_KEY.toString('base64'), 'oidc.clientSecret': Buffer.from(CLIENT_SECRET).toString('base64') } },
        ] }));
        await c.k(['apply', '-f', f]);
      },
    });
  });
  after(async () => {
    await env?.close();
    await idp?.stop();
    await dex?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('login --sso: prints the URL, the browser logs in at the IdP, the ID token is stored; get-user-info shows the groups', async () => {
    const { run, authUrl, page } = await ssoLogin(['login', host, '--sso', '--sso-port', String(cliPort), '--plaintext'], alice(), 'alice', 'alice-pw');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const u = new URL(authUrl);
    assert.equal(u.origin, idp.issuer);
    assert.equal(u.searchParams.get('client_id'), 'argocd-cli');
    assert.equal(u.searchParams.get('redirect_uri'), `http://localhost:${cliPort}/auth/callback`);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.match(page.text, /Authentication successful/);
    assert.match(run.stdout, new RegExp(`Authentication successful\\n'alice@example.com' logged in successfully\\nContext '${host}' updated\\n$`));
    const c = claims(token(alice()));
    assert.equal(c.iss, idp.issuer);
    assert.equal(c.aud, 'argocd-cli');
    const info = await argocd(['account', 'get-user-info'], alice());
    assert.equal(info.code, 0, info.stderr);
    assert.equal(info.stdout, `Logged In: true\nUsername: alice@example.com\nIssuer: ${idp.issuer}\nGroups: devs\n`);
  });

  it('groups decide: alice (devs → role:admin) creates a project, bob (viewers → role:readonly) is denied; a foreign callback is refused', async () => {
    const { run } = await ssoLogin(['login', host, '--sso', '--sso-port', String(cliPort), '--plaintext'], bob(), 'bob', 'bob-pw', {
      beforeBrowser: async () => {
        const r = await fetch(`http://localhost:${cliPort}/auth/callback?code=forged&state=not-ours`);
        assert.equal(r.status, 400);
        assert.match(await r.text(), /Unknown state/);
      },
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const ok = await argocd(['proj', 'create', 'sso-proj'], alice());
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const denied = await argocd(['proj', 'create', 'sso-bob'], bob());
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /PermissionDenied.*permission denied: projects, create, sso-bob, sub: bob/);
    const list = await argocd(['proj', 'list', '-o', 'name'], bob());
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /sso-proj/);
  });

  it('relogin renews an SSO context through the browser (the IdP session skips its form)', async () => {
    const b = new Browser();
    const first = await ssoLogin(['login', host, '--sso', '--sso-port', String(cliPort), '--plaintext', '--name', 'again'], alice(), 'alice', 'alice-pw', { browser: b });
    assert.equal(first.run.code, 0, first.run.stderr);
    const before = token(alice());
    await new Promise((r) => setTimeout(r, 1100));
    const r = await ssoLogin(['relogin', '--sso-port', String(cliPort)], alice(), 'alice', 'alice-pw', { browser: b });
    assert.equal(r.run.code, 0, r.run.stdout + r.run.stderr);
    assert.match(r.run.stdout, /Context 'again' updated\n$/);
    assert.ok(!/<form/.test(r.page.text), 'no second password form');
    const after = token(alice());
    assert.notEqual(after, before);
    assert.ok(claims(after).iat > claims(before).iat);
  });

  it('relogin of a local account asks for the password again', async () => {
    const home = join(dir, 'admin');
    const pw = await env.adminPassword();
    assert.equal((await argocd(['login', host, '--username', 'admin', '--password', pw, '--plaintext'], home)).code, 0);
    const r = await argocd(['relogin', '--password', pw], home);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Context '${host}' updated\n`);
  });

  it('dex.config: the CLI logs in as argo-cd-cli at <url>/api/dex through argocd-server', async () => {
    const f = join(env.cluster.dir, 'dex-cm.json');
    writeFileSync(f, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' }, data: { url: argoUrl, 'dex.config': 'connectors:\n- type: ldap\n  id: ldap\n  name: LDAP\n' } }));
    await env.cluster.k(['apply', '-f', f]);
    for (let i = 0; i < 100; i++) {
      if ((await env.call('GET', '/api/v1/settings')).body.dexConfig) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const home = join(dir, 'dex');
    const { run, authUrl } = await ssoLogin(['login', host, '--sso', '--sso-port', String(cliPort), '--plaintext'], home, 'alice', 'alice-pw');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(authUrl.startsWith(`${argoUrl}/api/dex/auth?`), authUrl);
    const c = claims(token(home));
    assert.equal(c.iss, `${argoUrl}/api/dex`);
    assert.equal(c.aud, 'argo-cd-cli');
    const cfg = parseYaml(readFileSync(join(home, '.config/argocd/config'), 'utf8'));
    assert.ok(cfg.users[0]['refresh-token'], 'the refresh token is kept');
    // the broker's ID tokens live 3 s here: the next command renews the session with the refresh token, no browser
    await new Promise((r) => setTimeout(r, 3000));
    const old = token(home);
    const ok = await argocd(['proj', 'create', 'dex-proj'], home);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const renewed = token(home);
    assert.notEqual(renewed, old);
    assert.ok(claims(renewed).exp > claims(old).exp);
  });
});
