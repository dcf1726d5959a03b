/**
 * The argo CLI with an SSO login: the `v2:` token a browser got from argo-server's /oauth2/callback (the UI shows
 * it for ARGO_TOKEN) is what `argo auth token` prints and what `argo list` sends to argo-server (`--auth-mode sso`
 * against an independent oidc-provider IdP process); the rbac rules then decide by the user's groups.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli.js';
import { io } from '@flotilla/cli-kit/io';
// argo-server's SSO test kit (built files of the sibling package)
import { startSsoScenario, type SsoScenario } from '../../argo-server/dist/sso/testkit.js';

let s: SsoScenario;
let dir: string;
const saved = { ...io };

async function argo(token: string | undefined, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  io.out = (x: string) => void (out += x);
  io.err = (x: string) => void (err += x);
  const prev = { ...process.env };
  Object.assign(process.env, { ARGO_SERVER: new URL(s.env.base).host, ARGO_INSECURE_SKIP_VERIFY: 'true', ARGO_NAMESPACE: 'argo', KUBECONFIG: join(dir, 'no-kubeconfig') });
  if (token) process.env.ARGO_TOKEN = token;
  else delete process.env.ARGO_TOKEN;
  try {
    return { code: await main(argv), out, err };
  } finally {
    Object.assign(io, saved);
    for (const k of ['ARGO_SERVER', 'ARGO_INSECURE_SKIP_VERIFY', 'ARGO_NAMESPACE', 'KUBECONFIG', 'ARGO_TOKEN']) if (prev[k] === undefined) delete process.env[k];
    Object.assign(process.env, prev);
  }
}

describe('argo CLI with an SSO token', { timeout: 120_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argo-cli-sso-'));
    s = await startSsoScenario();
  });
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('argo auth token prints the SSO token; argo list works for alice (admin ServiceAccount) and is refused for bob (viewer)', async () => {
    const alice = (await s.login('alice', 'alice-pw')).token;
    const bob = (await s.login('bob', 'bob-pw')).token;
    assert.ok(alice?.startsWith('v2:') && bob?.startsWith('v2:'));
    const t = await argo(`Bearer ${alice}`, 'auth', 'token');
    assert.equal(t.code, 0, t.err);
    assert.equal(t.out, `Bearer ${alice}\n`);
    const la = await argo(`Bearer ${alice}`, 'list');
    assert.equal(la.code, 0, la.err);
    assert.match(la.out, /^NAME\s+STATUS/);
    assert.match(la.out, /\nhello\s/);
    const lb = await argo(`Bearer ${bob}`, 'list');
    assert.notEqual(lb.code, 0, 'bob may not list');
    assert.match(lb.err, /system:serviceaccount:argo:viewer/);
    const none = await argo(undefined, 'list');
    assert.notEqual(none.code, 0);
    // kube mode (no ARGO_SERVER): ARGO_TOKEN is still what `argo auth token` prints, as upstream
    const prev = { ...process.env };
    let kubeOut = '';
    io.out = (x: string) => void (kubeOut += x);
    delete process.env.ARGO_SERVER;
    process.env.ARGO_TOKEN = `Bearer ${bob}`;
    try {
      assert.equal(await main(['auth', 'token']), 0);
    } finally {
      Object.assign(io, saved);
      delete process.env.ARGO_TOKEN;
      Object.assign(process.env, prev);
    }
    assert.equal(kubeOut, `Bearer ${bob}\n`);
    const noToken = await argo(undefined, 'auth', 'token');
    assert.notEqual(noToken.code, 0);
    assert.match(noToken.err, /ARGO_TOKEN is not set/);
  });
});
