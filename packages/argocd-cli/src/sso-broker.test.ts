/**
 * `argocd login --sso` against argocd-server with `dex.config` and Flotilla's real broker (`runDex`
 * of @flotilla/identity) federating an independent oidc-provider process: the CLI as `argo-cd-cli`
 * at `<url>/api/dex` through argocd-server, the browser at the upstream IdP's form, the upstream
 * groups deciding an RBAC question.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runDex } from '@flotilla/identity';
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


describe('argocd login --sso through the broker', { timeout: 300_000 }, () => {
  let broker: any;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argocd-sso-broker-'));
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
    idp = await startTestIdp({
      issuer,
      port: idpPort,
      users: { alice: { password: 'alice-pw', email: 'alice@example.com', groups: ['devs'] }, bob: { password: 'bob-pw', email: 'bob@example.com', groups: ['viewers'] } },
      clients: [{ client_id: 'flotilla-dex', client_secret: CLIENT_SECRET, redirect_uris: [`${argoUrl}/api/dex/callback`] }],
    });
    const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'argocd' }, data });
    const dexConfig = `connectors:\n- type: oidc\n  id: corp\n  name: Corp\n  config:\n    issuer: ${issuer}\n    clientID: flotilla-dex\n    clientSecret: $dex.corp.clientSecret\n    insecureEnableGroups: true\n    scopes: [openid, profile, email, groups]\n`;
    env = await startEnv({
      port: argoPort,
      insecure: true,
      dexServer: `http://127.0.0.1:${dexPort}`,
      setup: async (c: any) => {
        const f = join(c.dir, 'sso.json');
        writeFileSync(f, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
          cm('argocd-cm', { url: argoUrl, 'dex.config': dexConfig }),
          cm('argocd-rbac-cm', { 'policy.csv': 'g, devs, role:admin\ng, viewers, role:readonly' }),
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-secret', namespace: 'argocd' }, type: 'Opaque', data: { 'server.secretkey': SECRET_KEY.toString('base64'), 'dex.corp.clientSecret': Buffer.from(CLIENT_SECRET).toString('base64') } },
        ] }));
        await c.k(['apply', '-f', f]);
      },
    });
    broker = await runDex(env.client, { namespace: 'argocd', address: '127.0.0.1', port: dexPort, metricsPort: -1, log: () => {} });
  });
  after(async () => {
    await broker?.stop();
    await env?.close();
    await idp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('login --sso as argo-cd-cli at <url>/api/dex; the upstream groups decide proj create (alice yes, bob PermissionDenied)', async () => {
    const a = await ssoLogin(['login', host, '--sso', '--sso-port', String(cliPort), '--plaintext'], join(dir, 'alice'), 'alice', 'alice-pw');
    assert.equal(a.run.code, 0, a.run.stdout + a.run.stderr);
    assert.ok(a.authUrl.startsWith(`${argoUrl}/api/dex/auth?`), a.authUrl);
    assert.equal(new URL(a.authUrl).searchParams.get('client_id'), 'argo-cd-cli');
    const c = claims(token(join(dir, 'alice')));
    assert.equal(c.iss, `${argoUrl}/api/dex`);
    assert.equal(c.aud, 'argo-cd-cli');
    assert.deepEqual(c.groups, ['devs']);
    const b = await ssoLogin(['login', host, '--sso', '--sso-port', String(cliPort), '--plaintext'], join(dir, 'bob'), 'bob', 'bob-pw');
    assert.equal(b.run.code, 0, b.run.stdout + b.run.stderr);
    const info = await argocd(['account', 'get-user-info'], join(dir, 'bob'));
    assert.match(info.stdout, /Username: bob@example.com\nIssuer: .*\/api\/dex\nGroups: viewers\n/);
    const ok = await argocd(['proj', 'create', 'broker-proj'], join(dir, 'alice'));
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const denied = await argocd(['proj', 'create', 'broker-bob'], join(dir, 'bob'));
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /PermissionDenied/);
  });
});
