/**
 * `argocd-dex rundex` against a real API server (the embedded one, in-process) and an independent
 * upstream oidc-provider process: argocd-cm / argocd-secret / a labelled Secret read through the API,
 * the broker served under `<url>/api/dex`, reconfigured when argocd-cm changes; flags; gendexcfg's model.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { KubeClient } from '@flotilla/kube-runtime';
import { startTestCluster, waitFor, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { main, parseArgs, runDex, type RunningDex } from './main.js';
import { dexClientSecret } from './secret.js';
import { dexSubject } from './broker.js';
import { startUpstreamIdP, type UpstreamIdP } from './testing/upstream-idp.js';
import { clientFor, codeFlow, upstreamLogin } from './testing/harness.js';
import { Browser } from './testing/browser.js';

const freePort = () =>
  new Promise<number>((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('argocd-dex rundex on a real API server', () => {
  let cluster: TestCluster;
  let idp: UpstreamIdP;
  let dex: RunningDex;
  let client: KubeClient;
  let base = '';
  const logs: string[] = [];

  before(async () => {
    cluster = await startTestCluster({ prefix: 'flotilla-dex-' });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    idp = await startUpstreamIdP({ clients: [{ client_id: 'flotilla-broker', client_secret: 'upstream-secret', redirect_uris: [`${base}/api/dex/callback`], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }] });
    await cluster.k(['create', 'namespace', 'argocd']);
    await cluster.k(['-n', 'argocd', 'create', 'secret', 'generic', 'argocd-secret', '--from-literal=server.secretkey=k8s-server-key']);
    await cluster.k(['-n', 'argocd', 'create', 'configmap', 'argocd-cm', `--from-literal=url=${base}`]);
    client = new KubeClient(cluster.kubeconfig);
    dex = await runDex(client, { namespace: 'argocd', address: '127.0.0.1', port, metricsPort: -1, log: (l, m) => logs.push(`${l} ${m}`) });
  });
  after(async () => {
    await dex?.stop();
    client?.close();
    await idp?.stop();
    await cluster?.close();
  });

  it('without dex.config: not configured (503), healthz passes', async () => {
    const r = await fetch(`${base}/api/dex/.well-known/openid-configuration`);
    assert.equal(r.status, 503);
    assert.match(await r.text(), /not configured/);
    assert.equal((await fetch(`${base}/api/dex/healthz`)).status, 200);
  });

  it('dex.config in argocd-cm with a $<secret>:<key> reference: log in through the upstream', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'upstream-oidc', namespace: 'argocd', labels: { 'app.kubernetes.io/part-of': 'argocd' } }, data: { clientSecret: b64('upstream-secret') } };
    await cluster.k(['apply', '-f', '-'], { input: JSON.stringify(secret) });
    const dexConfig = `connectors:
- type: oidc
  id: corp
  name: Corp SSO
  config:
    issuer: ${idp.issuer}
    clientID: flotilla-broker
    clientSecret: $upstream-oidc:clientSecret
    insecureEnableGroups: true
    scopes: [profile, email, groups]
`;
    await cluster.k(['-n', 'argocd', 'patch', 'configmap', 'argocd-cm', '--type', 'merge', '-p', JSON.stringify({ data: { 'dex.config': dexConfig } })]);
    await waitFor('the broker configured', async () => (await fetch(`${base}/api/dex/.well-known/openid-configuration`)).status === 200, 15_000);
    const disc = (await (await fetch(`${base}/api/dex/.well-known/openid-configuration`)).json()) as Record<string, string>;
    assert.equal(disc.issuer, `${base}/api/dex`);
    assert.equal(disc.authorization_endpoint, `${base}/api/dex/auth`);
    assert.equal(disc.token_endpoint, `${base}/api/dex/token`);
    assert.equal(disc.jwks_uri, `${base}/api/dex/keys`);
    assert.equal(disc.userinfo_endpoint, `${base}/api/dex/userinfo`);
    const c = await clientFor(`${base}/api/dex`, 'argo-cd', dexClientSecret('k8s-server-key'), `${base}/auth/callback`);
    const { claims } = await codeFlow(c, { loginPage: upstreamLogin('alice', 'alice-pw') });
    assert.equal(claims.sub, dexSubject('alice-0001', 'corp'));
    assert.deepEqual(claims.groups, ['devs', 'admins']);
    assert.ok(!logs.join('\n').includes('upstream-secret'), 'no secret in the log');
    assert.ok(!logs.join('\n').includes('k8s-server-key'), 'no secret in the log');
  });

  it('a change of argocd-cm reconfigures the broker in place: a second connector brings the choice page', async () => {
    const cm = JSON.parse(await cluster.k(['-n', 'argocd', 'get', 'configmap', 'argocd-cm', '-o', 'json']));
    const more = `${cm.data['dex.config']}- type: oidc
  id: other
  name: Other SSO
  config: {issuer: "http://127.0.0.1:1", clientID: x, clientSecret: y}
`;
    await cluster.k(['-n', 'argocd', 'patch', 'configmap', 'argocd-cm', '--type', 'merge', '-p', JSON.stringify({ data: { 'dex.config': more } })]);
    await waitFor('the broker reconfigured', () => dex.broker()?.connectorErrors()['other'], 15_000);
    const c = await clientFor(`${base}/api/dex`, 'argo-cd', dexClientSecret('k8s-server-key'), `${base}/auth/callback`);
    const { claims } = await codeFlow(c, {
      loginPage: async (b, page) => {
        assert.match(page.body, /Log in with Corp SSO/);
        assert.match(page.body, /Other SSO: unavailable/);
        return upstreamLogin('bob', 'bob-pw')(b, await b.get(Browser.links(page).find((l) => l.endsWith('/connector/corp'))!));
      },
    });
    assert.equal(claims.preferred_username, 'bob');
  });

  it('bad dex.config: the error is logged by name and the last good configuration keeps serving', async () => {
    await cluster.k(['-n', 'argocd', 'patch', 'configmap', 'argocd-cm', '--type', 'merge', '-p', JSON.stringify({ data: { 'dex.config': 'connectors: {not: a list}' } })]);
    await waitFor('the error logged', () => logs.some((l) => /cannot use the Dex configuration: argocd-cm dex.config: malformed Dex configuration: connectors must be a list/.test(l)), 15_000);
    assert.equal((await fetch(`${base}/api/dex/.well-known/openid-configuration`)).status, 200);
  });
});

describe('argocd-dex gendexcfg', () => {
  it('writes the generated configuration from the cluster (mode 0600)', async () => {
    const cluster = await startTestCluster({ prefix: 'flotilla-gendex-' });
    try {
      await cluster.k(['create', 'namespace', 'argocd']);
      await cluster.k(['-n', 'argocd', 'create', 'secret', 'generic', 'argocd-secret', '--from-literal=server.secretkey=gk', '--from-literal=dex.gh.secret=gh-s']);
      await cluster.k(['-n', 'argocd', 'create', 'configmap', 'argocd-cm', '--from-literal=url=https://cd.example.com', '--from-literal=dex.config=connectors: [{type: github, id: gh, name: GitHub, config: {clientID: a, clientSecret: $dex.gh.secret}}]']);
      const out = join(cluster.dir, 'dex.yaml');
      assert.equal(await main(['gendexcfg', '--kubeconfig', cluster.kubeconfig, '-n', 'argocd', '-o', out]), 0);
      const cfg = YAML.parse(readFileSync(out, 'utf8'));
      assert.equal(cfg.issuer, 'https://cd.example.com/api/dex');
      assert.equal(cfg.connectors[0].config.clientSecret, 'gh-s');
      assert.equal(cfg.connectors[0].config.redirectURI, 'https://cd.example.com/api/dex/callback');
      assert.equal(cfg.staticClients[0].secret, dexClientSecret('gk'));
      assert.equal(statSync(out).mode & 0o777, 0o600);
    } finally {
      await cluster.close();
    }
  });
});

describe('argocd-dex flags', () => {
  it('parses upstream flags and refuses bad ones', async () => {
    const o = parseArgs(['rundex', '--loglevel', 'debug', '--logformat=json', '--disable-tls', '--port', '6000']);
    assert.equal(o.cmd, 'rundex');
    assert.equal(o.loglevel, 'debug');
    assert.equal(o.logformat, 'json');
    assert.equal(o.port, 6000);
    assert.throws(() => parseArgs(['rundex', '--loglevel', 'loud']), /--loglevel: "loud" is not one of/);
    assert.throws(() => parseArgs(['rundex', '--bogus']), /unknown flag --bogus/);
    assert.equal(await main(['frobnicate']), 2);
  });
});
