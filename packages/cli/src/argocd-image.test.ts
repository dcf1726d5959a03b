// Argo CD's image (upstream install.yaml) mapped to Flotilla's programs: the image table's entries
// and the argocd-multicall dispatcher, run as the node agent runs them (a real process).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { DEFAULT_IMAGES } from '@flotilla/node-agent';
import { MAIN } from './testkit.js';

const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, KUBECONFIG: '/nonexistent' } });

describe("Argo CD's image", () => {
  it('maps every program of upstream install.yaml, by name and by path, to argocd-multicall <name>', () => {
    const m = DEFAULT_IMAGES['quay.io/argoproj/argocd']!;
    for (const p of ['argocd-application-controller', 'argocd-repo-server', 'argocd-server', 'argocd', 'argocd-dex', 'argocd-applicationset-controller', 'argocd-notifications']) {
      assert.deepEqual(m.commands?.[`/usr/local/bin/${p}`], ['{node}', '{flotilla}', 'argocd-multicall', p]);
      assert.deepEqual(m.commands?.[p], ['{node}', '{flotilla}', 'argocd-multicall', p]);
    }
    // the binary the copyutil init containers copy is there, and acts by the name it is called as
    assert.match(String(m.files?.['/usr/local/bin/argocd']), /argocd-multicall "\$\(basename "\$0"\)"/);
    const dex = DEFAULT_IMAGES['ghcr.io/dexidp/dex']!;
    assert.deepEqual(dex.commands?.['/shared/argocd-dex'], ['{node}', '{flotilla}', 'argocd-multicall', 'argocd-dex']);
  });

  it('argocd-multicall runs the entry point of that name', () => {
    const r = run(['argocd-multicall', '/usr/local/bin/argocd-repo-server', '--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Run ArgoCD Repository Server/);
    const bad = run(['argocd-multicall', 'argocd-repo-server', '--port', 'x']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--port must be an integer/);
    const appset = run(['argocd-multicall', '/usr/local/bin/argocd-applicationset-controller', '--help']);
    assert.equal(appset.status, 0, appset.stderr);
    assert.match(appset.stdout, /Starts Argo CD ApplicationSet controller/);
    const badPolicy = run(['argocd-multicall', 'argocd-applicationset-controller', '--policy', 'nope']);
    assert.equal(badPolicy.status, 2);
    assert.match(badPolicy.stderr, /--policy: unknown policy "nope"/);
  });

  it('argocd-dex (the dex-server program) is the identity broker', () => {
    const r = run(['argocd-multicall', '/shared/argocd-dex', '--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /argocd-dex rundex/);
    const bad = run(['argocd-multicall', 'argocd-dex', 'rundex', '--loglevel', 'loud']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--loglevel: "loud" is not one of/);
  });

  it('argocd-notifications runs the notifications controller', () => {
    const h = run(['argocd-multicall', '/usr/local/bin/argocd-notifications', '--help']);
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, /Starts Argo CD Notifications controller/);
    const bad = run(['argocd-multicall', 'argocd-notifications', '--processors-count', 'x']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /invalid value "x" for --processors-count/);
  });

  it('what the build does not have fails with exit 1 saying so', () => {
    for (const [prog, re] of [
      ['argocd-frobnicator', /"argocd-frobnicator" is not a program of Argo CD's image/],
    ] as const) {
      const r = run(['argocd-multicall', prog, 'rundex']);
      assert.equal(r.status, 1, prog);
      assert.match(r.stderr, re);
    }
  });

  it('argocd admin redis-initial-password: --help, bad flags, and a clear error without a cluster', () => {
    const h = run(['argocd-multicall', 'argocd', 'admin', 'redis-initial-password', '--help']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /Ensure the Redis password exists/);
    const bad = run(['argocd-multicall', 'argocd', 'admin', 'redis-initial-password', '--bogus']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown flag: --bogus/);
    const none = run(['argocd-multicall', 'argocd', 'admin', 'redis-initial-password', '--kubeconfig', '/nonexistent/kubeconfig']);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /argocd admin redis-initial-password: /);
  });
});

describe('argocd admin redis-initial-password against an API server', () => {
  it('creates argocd-redis once, keeps an existing password, fills in a missing one', async () => {
    const { startTestCluster } = await import('@flotilla/kube-runtime/testkit');
    const { main } = await import('./argocd-redis-password.js');
    const c = await startTestCluster({ prefix: 'flotilla-redispw-' });
    try {
      await c.k(['create', 'namespace', 'cd']);
      const pw = async () => Buffer.from(JSON.parse(await c.k(['get', 'secret', 'argocd-redis', '-n', 'cd', '-o', 'json'])).data.auth, 'base64').toString();
      assert.equal(await main(['--kubeconfig', c.kubeconfig, '-n', 'cd']), 0);
      const first = await pw();
      assert.match(first, /^[A-Za-z0-9]{16}$/);
      assert.equal(await main(['--kubeconfig', c.kubeconfig, '--namespace=cd']), 0);
      assert.equal(await pw(), first, 'an existing password is kept');
      await c.k(['delete', 'secret', 'argocd-redis', '-n', 'cd']);
      await c.k(['create', 'secret', 'generic', 'argocd-redis', '-n', 'cd', '--from-literal=other=x']);
      assert.equal(await main(['--kubeconfig', c.kubeconfig, '-n', 'cd', '--password-length', '24']), 0);
      assert.match(await pw(), /^[A-Za-z0-9]{24}$/);
      assert.equal(await main(['--kubeconfig', c.kubeconfig, '-n', 'cd', '--password-length', '3']), 2);
    } finally {
      await c.close();
    }
  });
});
