/**
 * argocd-dex-server as install.yaml runs it: `flotilla up` with Argo CD, the Deployment's pod reading
 * argocd-cm / argocd-secret through the API with its ServiceAccount, reached through
 * `kubectl port-forward svc/argocd-dex-server 5556`; its oidc connector reaches an independent upstream
 * oidc-provider process on the host as host.flotilla.internal. One `flotilla up` for the file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlFor, startUp, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';
import { dexClientSecret } from './secret.js';
import { dexSubject } from './broker.js';
import { startUpstreamIdP, type UpstreamIdP } from './testing/upstream-idp.js';
import { clientFor, codeFlow, upstreamLogin } from './testing/harness.js';
import { Browser } from './testing/browser.js';

const skip = existsSync('/usr/bin/kubectl') ? undefined : 'kubectl is not installed';
if (skip) console.log(`# skipping the argocd-dex-server e2e: ${skip}`);

function portForward(home: string, kubeconfig: string, target: string, port: number): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn('kubectl', ['port-forward', '-n', 'argocd', target, `:${port}`], { env: { PATH: process.env.PATH!, HOME: home, KUBECONFIG: kubeconfig } });
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`port-forward ${target} did not start: ${buf}`));
    }, 60_000);
    const on = (d: Buffer) => {
      buf += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve({ port: Number(m[1]), proc });
      }
    };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`port-forward ${target} exited (${code}): ${buf}`));
    });
  });
}

describe('argocd-dex-server on flotilla up', { skip }, () => {
  let dir: string;
  let up: Up;
  let k: ReturnType<typeof kubectlFor>;
  let pf: { port: number; proc: ChildProcess } | undefined;
  let idp: UpstreamIdP | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-dex-e2e-'));
    up = await startUp(join(dir, 'data'), 120_000, { components: ['argo-cd'] });
    k = kubectlFor(join(dir, 'home'), up.kubeconfig);
  });
  after(async () => {
    pf?.proc.kill('SIGTERM');
    await idp?.stop();
    if (up) await stopUp(up, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the pod waits for dex.config, then serves a login through the upstream IdP on the host', async () => {
    const deployReady = async () => {
      const r = await k.kubectl(['get', 'deployment', 'argocd-dex-server', '-n', 'argocd', '-o', 'json']);
      if (r.code !== 0) return false;
      const d = JSON.parse(r.stdout);
      return (d.status?.readyReplicas ?? 0) >= 1;
    };
    await waitFor('argocd-dex-server ready', deployReady, 150_000, 1000);
    const pod = JSON.parse(await k.k(['get', 'pods', '-n', 'argocd', '-l', 'app.kubernetes.io/name=argocd-dex-server', '-o', 'json'])).items[0].metadata.name;
    await waitFor('the waiting message', async () => /dex is not configured/.test((await k.kubectl(['logs', '-n', 'argocd', pod, '-c', 'dex'])).stdout), 30_000, 500);
    pf = await portForward(join(dir, 'home'), up.kubeconfig, 'svc/argocd-dex-server', 5556);
    const base = `http://127.0.0.1:${pf.port}`;
    idp = await startUpstreamIdP({ issuerHost: 'host.flotilla.internal', clients: [{ client_id: 'flotilla-broker', client_secret: 'upstream-secret', redirect_uris: [`${base}/api/dex/callback`], grant_types: ['authorization_code'], response_types: ['code'] }] });
    await k.k(['-n', 'argocd', 'create', 'secret', 'generic', 'upstream-oidc', '--from-literal=clientSecret=upstream-secret']);
    await k.k(['-n', 'argocd', 'label', 'secret', 'upstream-oidc', 'app.kubernetes.io/part-of=argocd']);
    const dexConfig = `connectors:\n- type: oidc\n  id: corp\n  name: Corp SSO\n  config: {issuer: "${idp.issuer}", clientID: flotilla-broker, clientSecret: "$upstream-oidc:clientSecret", insecureEnableGroups: true, scopes: [profile, email, groups]}\n`;
    await k.k(['-n', 'argocd', 'patch', 'configmap', 'argocd-cm', '--type', 'merge', '-p', JSON.stringify({ data: { url: base, 'dex.config': dexConfig } })]);
    await waitFor('discovery served', async () => (await fetch(`${base}/api/dex/.well-known/openid-configuration`).catch(() => undefined))?.status === 200, 60_000, 500);
    const serverKey = await waitFor('server.secretkey', async () => {
      const r = await k.kubectl(['get', 'secret', 'argocd-secret', '-n', 'argocd', '-o', 'json']);
      const v = r.code === 0 ? JSON.parse(r.stdout).data?.['server.secretkey'] : undefined;
      return v ? Buffer.from(v, 'base64').toString() : undefined;
    }, 60_000, 500);
    const c = await clientFor(`${base}/api/dex`, 'argo-cd', dexClientSecret(serverKey), `${base}/auth/callback`);
    const browser = new Browser((u) => u.href.startsWith(`${base}/auth/callback`), undefined, { 'host.flotilla.internal': '127.0.0.1' });
    const { claims } = await codeFlow(c, { loginPage: upstreamLogin('alice', 'alice-pw'), browser });
    assert.equal(claims.iss, `${base}/api/dex`);
    assert.equal(claims.sub, dexSubject('alice-0001', 'corp'));
    assert.deepEqual(claims.groups, ['devs', 'admins']);
    const logs = (await k.kubectl(['logs', '-n', 'argocd', pod, '-c', 'dex'])).stdout;
    assert.match(logs, /login successful: connector \\?"corp\\?"/);
    assert.ok(!logs.includes('upstream-secret') && !logs.includes(serverKey), 'no secret in the log');
  });
});
