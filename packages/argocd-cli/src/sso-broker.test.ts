/**
 * `argocd login --sso` against argocd-server with `dex.config` and Flotilla's real broker (`runDex`
 * of @flotilla/identity) federating an independent oidc-provider process: the CLI as `argo-cd-cli`
 * at `<url>/api/dex` through argocd-server, the browser at the upstream IdP's form, the upstream
 * groups deciding an RBAC question.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { runDex } from '@flotilla/identity';
import { parse as parseYaml } from 'yaml';

const RUNNER = fileURLToPath(new URL('../../cli/dist/cli-runner.js', import.meta.url));
const CLI = new URL('./cli.js', import.meta.url).href;
const SERVER_DIST = new URL('../../argocd-server/dist/', import.meta.url).href;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

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

/** Starts argocd; `onLine` sees stdout lines as they come. */
let p: ReturnType<typeof spawn> | undefined;
function argocd(args: string[], home: string, onLine?: (l: string) => void, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, CLI, ...args], { env: { PATH: process.env.PATH, HOME: home, TZ: 'UTC' }, stdio: ['pipe', 'pipe', 'pipe'] });
    p = child;
    let stdout = '';
    let stderr = '';
    let buf = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        onLine?.(line);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`argocd ${args.join(' ')} hung:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** `argocd login|relogin … --sso`, with a browser that logs `user` in at whatever the CLI prints. */
async function ssoLogin(args: string[], home: string, user: string, password: string, o: { browser?: any; beforeBrowser?: (authUrl: string) => Promise<void> } = {}): Promise<{ run: Run; authUrl: string; page: any }> {
  const b = o.browser ?? new Browser();
  let authUrl = '';
  let page: any;
  let browsing: Promise<void> | undefined;
  let browserError: unknown;
  const run = await argocd(args, home, (l) => {
    const m = /^Performing authorization_code flow login: (\S+)$/.exec(l);
    if (!m) return;
    authUrl = m[1];
    browsing = (async () => {
      await o.beforeBrowser?.(authUrl);
      const first = await b.go(authUrl);
      page = /<form/.test(first.text) ? await b.submit(first, { login: user, password }) : first;
      if (!/Authentication successful/.test(page.text)) throw new Error(`the browser ended at ${page.url} (${page.status}): ${page.text.slice(0, 800)}`);
    })().catch((e) => {
      browserError = e;
      p?.kill('SIGTERM');
    });
  });
  await browsing;
  if (browserError) throw browserError;
  return { run, authUrl, page };
}

/** The token of the current context (or of `user`) in argocd's config. */
const token = (home: string, user?: string): string => {
  const cfg = parseYaml(readFileSync(join(home, '.config/argocd/config'), 'utf8'));
  const name = user ?? cfg.contexts.find((c: any) => c.name === cfg['current-context'])?.user;
  return cfg.users.find((u: any) => u.name === name)?.['auth-token'] ?? '';
};
const claims = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());

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
