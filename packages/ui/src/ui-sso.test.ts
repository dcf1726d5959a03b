/**
 * Single sign-on in a real browser (Debian's chromium, playwright-core), without a cluster start:
 * - argocd-server as a process on an in-process API server, `oidc.config` pointing at an independent
 *   OpenID Connect provider process (oidc-provider, its own users and login form — argocd-server's SSO
 *   test IdP, imported): the login page offers "LOG IN VIA Test IdP", a deep link survives the round
 *   trip through the IdP's form, the user lands on the applications list as the IdP's user (name and
 *   groups in the navigation; the app is visible through a group's RBAC role), and logging out goes
 *   through argocd-server's /auth/logout and the IdP's end-session page, the old token refused after;
 *   then `dex.config` with one connector (a second provider process standing in for the broker behind
 *   `--dex-server`, reached through argocd-server's /api/dex proxy): "LOG IN VIA GitHub", and a session
 *   revoked behind the UI's back sends the next API call's 401 to the login page with the return URL;
 * - argo-server `--auth-mode sso` (argo-server's SSO scenario, imported): the Workflows login page offers
 *   single sign-on only (no token box), LOGIN goes through /oauth2/redirect and the IdP's form back to
 *   the Workflows list as that user.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startTestCluster, stopProcess, type TestCluster } from '@flotilla/kube-runtime/testkit';
import type { Browser, Page } from 'playwright-core';
import { UI_ASSETS } from './index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CD_INSTALL = join(ROOT, 'manifests/argo-cd/install.yaml');
// the servers' own test helpers (argocd-server and argo-server build after the UI, which they serve: imported at run time)
const CD_IDP = '@flotilla/argocd-server/sso/test-idp';
const ID_SECRET = '@flotilla/identity/secret';
const WF_SSO = join(ROOT, 'packages/argo-server/dist/sso/testkit.js');
const skip = !existsSync(CHROMIUM) ? `chromium not installed at ${CHROMIUM} (scripts/test.sh installs Debian's chromium)`
  : !existsSync(join(UI_ASSETS, 'index.html')) ? `the UI is not built (${UI_ASSETS}/index.html missing): run npm run build`
  : !existsSync(CD_INSTALL) ? `${CD_INSTALL} not found` : undefined;
if (skip) console.log(`# skipped: ${skip}`);

const CD_MAIN = `import('@flotilla/argocd-server/main').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c ?? 0), (e) => { console.error(e); process.exit(1); });`;

interface TestIdp { issuer: string; logs(): string; stop(): Promise<void> }

let cluster: TestCluster;
let idp: TestIdp | undefined;
let dex: TestIdp | undefined;
const SERVER_KEY = 'ui-sso-server-secretkey-' + randomBytes(8).toString('hex');
let cd: ChildProcess | undefined;
let logs = '';
let argo = '';
let browser: Browser;
const CLIENT_SECRET = 'ui-sso-client-secret-' + randomBytes(6).toString('hex');

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

const launch = async () => {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
};
const newPage = async (): Promise<Page> => {
  const p = await (await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 720 } })).newPage();
  p.setDefaultTimeout(20_000);
  return p;
};

before(async () => {
  if (skip) return;
  const { parseAllDocuments } = await import('yaml');
  cluster = await startTestCluster({ prefix: 'ui-sso-' });
  const crds = parseAllDocuments(readFileSync(CD_INSTALL, 'utf8')).map((d) => d.toJS()).filter((d) => d?.kind === 'CustomResourceDefinition');
  writeFileSync(join(cluster.dir, 'crds.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }));
  await cluster.k(['apply', '--server-side', '-f', join(cluster.dir, 'crds.json')]);
  await cluster.k(['create', 'namespace', 'argocd']);
  await cluster.k(['wait', '--for=condition=Established', 'crd/applications.argoproj.io', 'crd/appprojects.argoproj.io', '--timeout=60s']);
  const cdPort = await freePort();
  const idpPort = await freePort();
  const dexPort = await freePort();
  argo = `http://127.0.0.1:${cdPort}`;
  const issuer = `http://127.0.0.1:${idpPort}`;
  const { startTestIdp } = (await import(CD_IDP)) as { startTestIdp(c: unknown): Promise<TestIdp> };
  idp = await startTestIdp({
    issuer,
    port: idpPort,
    users: {
      alice: { password: 'alice-pw', email: 'alice@example.com', name: 'Alice', groups: ['devs', 'staff'] },
    },
    clients: [{ client_id: 'argo-cd-sso', client_secret: CLIENT_SECRET, redirect_uris: [`${argo}/auth/callback`], post_logout_redirect_uris: [`${argo}/`] }],
  });
  // the broker's stand-in behind --dex-server (the browser reaches it only through argocd-server's /api/dex proxy)
  const { dexClientSecret } = (await import(ID_SECRET)) as { dexClientSecret(k: string): string };
  dex = await startTestIdp({
    issuer: `${argo}/api/dex`,
    port: dexPort,
    users: { dave: { password: 'dave-pw', email: 'dave@example.com', groups: ['my-org:team-a'] } },
    clients: [{ client_id: 'argo-cd', client_secret: dexClientSecret(SERVER_KEY), redirect_uris: [`${argo}/auth/callback`] }],
  });
  const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'argocd' }, data });
  const oidcConfig = ['name: Test IdP', `issuer: ${issuer}`, 'clientID: argo-cd-sso', 'clientSecret: $oidc.test.clientSecret', 'requestedScopes: [openid, profile, email, groups]',
    `logoutURL: ${issuer}/session/end?id_token_hint={{token}}&post_logout_redirect_uri={{logoutRedirectURL}}`].join('\n');
  writeFileSync(join(cluster.dir, 'sso.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
    cm('argocd-cm', { url: argo, 'oidc.config': oidcConfig }),
    // no default role: alice sees the app through her group only
    cm('argocd-rbac-cm', { 'policy.default': '', scopes: '[groups]', 'policy.csv': 'g, devs, role:readonly' }),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-secret', namespace: 'argocd' }, type: 'Opaque', data: { 'server.secretkey': Buffer.from(SERVER_KEY).toString('base64'), 'oidc.test.clientSecret': Buffer.from(CLIENT_SECRET).toString('base64') } },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'default', namespace: 'argocd' }, spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] } },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'guestbook', namespace: 'argocd' }, spec: { project: 'default', source: { repoURL: 'https://example.test/apps.git', path: 'guestbook', targetRevision: 'HEAD' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } } },
  ] }));
  await cluster.k(['apply', '-f', join(cluster.dir, 'sso.json')]);
  cd = spawn(process.execPath, ['--input-type=module', '-e', CD_MAIN, '--', '--insecure', '--port', String(cdPort), '--address', '127.0.0.1', '--metrics-port', String(await freePort()), '--metrics-address', '127.0.0.1', '--repo-server', `127.0.0.1:${await freePort()}`, '--dex-server', `127.0.0.1:${dexPort}`, '--kubeconfig', cluster.kubeconfig, '-n', 'argocd'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: cluster.kubeconfig, REDIS_SERVER: '' } });
  cd.stdout!.on('data', (d) => (logs += d));
  cd.stderr!.on('data', (d) => (logs += d));
  const end = Date.now() + 60_000;
  while (!(await fetch(`${argo}/healthz`).then((r) => r.ok, () => false))) {
    if (cd.exitCode !== null || Date.now() > end) throw new Error(`argocd-server did not start:\n${logs}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  browser = await launch();
}, { timeout: 180_000 });

after(async () => {
  await browser?.close().catch(() => {});
  if (cd) await stopProcess(cd, 'SIGTERM');
  await idp?.stop();
  await dex?.stop();
  await cluster?.close();
});

test('Argo CD: LOG IN VIA the oidc.config IdP from the login page, the IdP\'s form, back on the deep link as the IdP\'s user with groups; logout through the IdP', { skip, timeout: 120_000 }, async () => {
  const page = await newPage();
  try {
    // a deep link without a session: the login page, with the link as the return URL
    await page.goto(`${argo}/applications?search=guest`);
    await page.waitForURL(/\/login\?return_url=applications%3Fsearch%3Dguest/);
    const sso = page.getByRole('link', { name: /log in via test idp/i });
    await sso.waitFor();
    assert.equal(await page.getByLabel('Username').count(), 1, 'local users can still log in next to SSO');
    assert.equal(await sso.getAttribute('href'), `/auth/login?return_url=${encodeURIComponent(`${argo}/applications?search=guest`)}`);
    mkdirSync(join(ROOT, 'docs/images'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'docs/images/ui-login-sso.png') });
    await sso.click();
    // the IdP's own login form (another process, another port)
    await page.waitForURL((u) => u.port === new URL(idp!.issuer).port);
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Invalid username or password').waitFor();
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('alice-pw');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // back through /auth/callback on the deep link, as alice
    await page.waitForURL(`${argo}/applications?search=guest`);
    await page.locator('article.tile[data-app="guestbook"]').waitFor(); // visible through the group's role only
    const user = page.getByLabel('User', { exact: true });
    await user.getByText('alice@example.com').waitFor();
    assert.match((await user.textContent()) ?? '', /Groups: devs, staff/);
    const token = (await page.context().cookies()).find((c) => c.name === 'argocd.token')?.value;
    assert.ok(token, 'the argocd.token cookie holds the IdP\'s ID token');
    // the user info page says the same, with the IdP as issuer
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('tab', { name: 'User info' }).click();
    const info = page.getByLabel('User info');
    await info.getByText(idp!.issuer).waitFor();
    assert.match((await info.textContent()) ?? '', /alice@example\.com.*devs, staff/);
    // logout: argocd-server's /auth/logout → the IdP's end-session page (logoutURL) → back to Argo CD → login
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((u) => u.port === new URL(idp!.issuer).port);
    await page.getByRole('button', { name: /yes, sign me out/i }).click();
    await page.waitForURL(/\/login\?return_url=/);
    await page.getByRole('link', { name: /log in via test idp/i }).waitFor();
    assert.equal((await page.context().cookies()).find((c) => c.name === 'argocd.token'), undefined, 'the session cookie is cleared');
    const gone = await fetch(`${argo}/api/v1/session/userinfo`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<{ loggedIn?: boolean }>);
    assert.equal(gone.loggedIn, false, 'the old token is revoked');
    // the IdP's session ended too: logging in again asks for the password
    await page.getByRole('link', { name: /log in via test idp/i }).click();
    await page.locator('input[name="password"]').waitFor();
  } finally {
    await page.context().close();
  }
});

test('Argo CD with dex.config: LOG IN VIA the one connector, through /api/dex to the broker and back as its user; a 401 after revocation returns to the login page and back', { skip, timeout: 120_000 }, async () => {
  const dexCm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' }, data: { url: argo, 'admin.enabled': 'false', 'dex.config': 'connectors:\n- type: github\n  id: github\n  name: GitHub\n  config:\n    clientID: gh-app\n    clientSecret: $dex.github.clientSecret\n' } };
  writeFileSync(join(cluster.dir, 'dex-cm.json'), JSON.stringify(dexCm));
  await cluster.k(['apply', '-f', join(cluster.dir, 'dex-cm.json')]);
  writeFileSync(join(cluster.dir, 'dex-rbac.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-rbac-cm', namespace: 'argocd' }, data: { 'policy.default': '', scopes: '[groups]', 'policy.csv': 'g, my-org:team-a, role:readonly' } }));
  await cluster.k(['apply', '-f', join(cluster.dir, 'dex-rbac.json')]);
  const end = Date.now() + 20_000;
  while (!(await fetch(`${argo}/api/v1/settings`).then((r) => r.json() as Promise<{ dexConfig?: unknown }>)).dexConfig) {
    if (Date.now() > end) throw new Error(`argocd-server did not pick up dex.config:\n${logs}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const page = await newPage();
  try {
    await page.goto(`${argo}/applications`);
    await page.waitForURL(/\/login\?return_url=applications/);
    const sso = page.getByRole('link', { name: /log in via github/i });
    await sso.waitFor();
    assert.equal(await page.getByLabel('Username').count(), 0, 'no local users (admin.enabled: false): SSO only');
    await sso.click();
    // the broker's form, served under argocd-server's own origin (/api/dex/…)
    await page.waitForURL((u) => u.href.startsWith(`${argo}/api/dex/`));
    await page.locator('input[name="login"]').fill('dave');
    await page.locator('input[name="password"]').fill('dave-pw');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${argo}/applications`);
    await page.locator('article.tile[data-app="guestbook"]').waitFor();
    const user = page.getByLabel('User', { exact: true });
    await user.getByText('dave@example.com').waitFor();
    assert.match((await user.textContent()) ?? '', /Groups: my-org:team-a/);
    // the session revoked behind the UI's back: the next API call's 401 sends to the login page with the return URL,
    // and the SSO button brings back there (the broker still knows the browser: no form this time)
    const token = (await page.context().cookies()).find((c) => c.name === 'argocd.token')?.value;
    assert.equal((await fetch(`${argo}/api/v1/session`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, 200);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(/\/login\?return_url=settings(%2F|$)/);
    await page.getByRole('link', { name: /log in via github/i }).click();
    await page.waitForURL(/\/settings(\/repos)?$/);
    await user.getByText('dave@example.com').waitFor();
    // no logoutURL with Dex: /auth/logout ends the session and opens the login page
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login/);
    await page.getByRole('link', { name: /log in via github/i }).waitFor();
    assert.equal((await page.context().cookies()).find((c) => c.name === 'argocd.token'), undefined);
  } finally {
    await page.context().close();
  }
});

test('Argo Workflows (argo-server --auth-mode sso): LOGIN through /oauth2/redirect and the IdP\'s form, back on the Workflows list as the IdP\'s user', { skip: skip || (!existsSync(WF_SSO) && `${WF_SSO} not built`), timeout: 180_000 }, async () => {
  const { startSsoScenario } = (await import(WF_SSO)) as { startSsoScenario(): Promise<{ env: { base: string }; idp: { issuer: string }; close(): Promise<void> }> };
  const s = await startSsoScenario();
  const page = await newPage();
  try {
    await page.goto(`${s.env.base}/`);
    await page.waitForURL(/\/login\?return_url=workflows/);
    const login = page.getByRole('link', { name: 'Login' });
    await login.waitFor();
    assert.equal(await page.getByLabel('Token').count(), 0, 'sso only: no token box');
    assert.equal(await login.getAttribute('href'), `/oauth2/redirect?redirect=${encodeURIComponent('/workflows')}`);
    await page.screenshot({ path: join(ROOT, 'docs/images/ui-workflows-login-sso.png') });
    await login.click();
    await page.waitForURL((u) => u.origin === new URL(s.idp.issuer).origin);
    await page.locator('input[name="username"]').fill('alice');
    await page.locator('input[name="password"]').fill('alice-pw');
    await page.locator('button[type="submit"], input[type="submit"]').first().click();
    await page.waitForURL(`${s.env.base}/workflows`);
    await page.getByRole('heading', { name: 'Workflows' }).waitFor();
    const user = page.getByLabel('User', { exact: true });
    await user.getByText('alice@example.com').waitFor();
    assert.match((await user.textContent()) ?? '', /Groups: argo-admins, staff/);
    await page.getByRole('row', { name: /hello/ }).waitFor();
    // logout: argo-server's /auth/logout clears the cookie; the login page again
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login\?return_url=/);
    await page.getByRole('link', { name: 'Login' }).waitFor();
    assert.equal((await page.context().cookies()).find((c) => c.name === 'authorization' && c.value), undefined);
  } finally {
    await page.context().close();
    await s.close();
  }
});
