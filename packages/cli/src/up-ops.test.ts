/**
 * Operating the cluster of a data dir as a user does, with `flotilla up` as a real process and the
 * real kubectl: both export lines, one `up` per data dir (refused naming pid and port; a stale
 * lock after kill -9 is taken over; a busy port leaves nothing behind), down, status, --detach.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, flotilla, kubectl, startUp, stopUp, type Up } from './testkit.js';
import { holderAlive, readLock } from './lock.js';

const root = mkdtempSync(join(tmpdir(), 'flotilla-ops-'));
const ups: Up[] = [];
after(async () => {
  for (const u of ups) await stopUp(u, 'SIGTERM');
  rmSync(root, { recursive: true, force: true });
});

/** the process with this pid has exited (and is not a zombie) */
const gone = (pid: number) => !holderAlive({ pid });

describe('flotilla up, down, status (a data dir operated as a user does)', { timeout: 600_000 }, () => {
  it('a fresh data dir: ./flotilla up prints both export lines, <data-dir>/bin is on the printed PATH; a second up is refused naming pid and port and the first keeps working', async () => {
    const dir = join(root, 'fresh', 'data');
    const up = await startUp(dir, 300_000, { args: ['--no-components'], launcher: true });
    ups.push(up);
    const out = up.output();
    assert.match(out, new RegExp(`export KUBECONFIG=${join(dir, 'kubeconfig')}\n`));
    const path = /export PATH=(\S+)\n/.exec(out)?.[1];
    assert.ok(path, out);
    assert.equal(path.split(':')[0], join(dir, 'bin'));
    assert.equal(path.split(':')[1], '$PATH');
    assert.ok(statSync(join(dir, 'bin')).isDirectory());
    const lock = readLock(dir)!;
    assert.equal(lock.pid, up.proc.pid);
    assert.ok(lock.port > 0);

    const kcBefore = readFileSync(up.kubeconfig, 'utf8');
    const second = await flotilla(['up', '--data-dir', dir, '--port', '0']);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`another 'flotilla up' is running for data dir ${dir} \\(pid ${up.proc.pid}, port ${lock.port}\\)`));
    assert.doesNotMatch(second.stdout, /embedded cluster is up/);
    // it touched nothing: the kubeconfig is the first one's, and the first one still writes
    assert.equal(readFileSync(up.kubeconfig, 'utf8'), kcBefore);
    const w = await kubectl(root, up.kubeconfig, ['create', 'configmap', 'after-second', '--from-literal=a=b']);
    assert.equal(w.code, 0, w.stderr);
    const w2 = await kubectl(root, up.kubeconfig, ['create', 'namespace', 'still-writable']);
    assert.equal(w2.code, 0, w2.stderr);

    // status names it; down stops it and waits for it; status then says nothing runs
    const st = await flotilla(['status', '--data-dir', dir]);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`pid:\\s+${up.proc.pid} `));
    assert.match(st.stdout, new RegExp(`API server: https://127\\.0\\.0\\.1:${lock.port} answers`));
    assert.match(st.stdout, /node:\s+flotilla-node Ready/);
    assert.match(st.stdout, /components: none installed/);
    const d = await flotilla(['down', '--data-dir', dir]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /stopped/);
    assert.ok(gone(up.proc.pid!), 'down returned before up exited');
    assert.match(up.output(), /SIGTERM received, stopping…\n[^]*flotilla: stopped\n/);
    assert.equal(existsSync(join(dir, 'up.lock')), false);
    const st2 = await flotilla(['status', '--data-dir', dir]);
    assert.equal(st2.code, 3);
    assert.match(st2.stdout, /no cluster is running for data dir/);
    const d2 = await flotilla(['down', '--data-dir', dir]);
    assert.equal(d2.code, 0);
    assert.match(d2.stdout, /no cluster is running/);
  });

  it('a lock left by a killed up (kill -9) is taken over by the next up, which keeps the state', async () => {
    const dir = join(root, 'stale');
    const first = await startUp(dir, 120_000, { args: ['--no-components', '--no-node'] });
    assert.equal((await kubectl(root, first.kubeconfig, ['create', 'namespace', 'kept'])).code, 0);
    assert.equal(await stopUp(first, 'SIGKILL'), null);
    await eventually('the killed up to be gone', async () => gone(first.proc.pid!));
    assert.equal(readLock(dir)?.pid, first.proc.pid, 'the lock file stays behind after kill -9');
    const st = await flotilla(['status', '--data-dir', dir]);
    assert.equal(st.code, 3, 'a stale lock is not a running cluster');
    const second = await startUp(dir, 120_000, { args: ['--no-components', '--no-node'] });
    ups.push(second);
    assert.equal(readLock(dir)?.pid, second.proc.pid);
    const ns = await kubectl(root, second.kubeconfig, ['get', 'namespace', 'kept', '-o', 'name']);
    assert.equal(ns.stdout.trim(), 'namespace/kept', ns.stderr);
    assert.equal(await stopUp(second, 'SIGTERM'), 0);
    assert.equal(existsSync(join(dir, 'up.lock')), false, 'a clean stop releases the lock');
  });

  it('a first start on a busy port fails with a message and leaves no half-made data dir', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as AddressInfo).port;
    try {
      const dir = join(root, 'busy', 'data');
      const r = await flotilla(['up', '--data-dir', dir, '--port', String(port), '--no-node']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`port ${port} is already in use`));
      assert.equal(existsSync(dir), false, `${dir} was left behind`);
      // the same in the background: --detach reports the failure and leaves nothing either
      const dd = await flotilla(['up', '--detach', '--data-dir', dir, '--port', String(port), '--no-node']);
      assert.equal(dd.code, 1);
      assert.match(dd.stderr, new RegExp(`exited \\(1\\) before the cluster was ready:[^]*port ${port} is already in use`));
      assert.equal(existsSync(dir), false, `${dir} was left behind by --detach`);
    } finally {
      busy.close();
    }
  });

  it('up --detach returns once the cluster answers, prints the export lines, logs to <data-dir>/up.log; down stops it', async () => {
    const dir = join(root, 'detached');
    const r = await flotilla(['up', '--detach', '--data-dir', dir, '--port', '0', '--no-components'], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`export KUBECONFIG=${join(dir, 'kubeconfig')}\n`));
    assert.match(r.stdout, new RegExp(`export PATH=${join(dir, 'bin')}:\\$PATH\n`));
    const lock = readLock(dir)!;
    assert.equal(lock.state, 'ready');
    try {
      // it answers right away, and its output goes to up.log
      const ns = await kubectl(root, join(dir, 'kubeconfig'), ['get', 'namespaces', '-o', 'name']);
      assert.match(ns.stdout, /namespace\/default/, ns.stderr);
      assert.match(readFileSync(join(dir, 'up.log'), 'utf8'), /embedded cluster is up at/);
      const again = await flotilla(['up', '--detach', '--data-dir', dir, '--port', '0']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, new RegExp(`pid ${lock.pid}, port ${lock.port}`));
    } finally {
      const d = await flotilla(['down', '--data-dir', dir]);
      assert.equal(d.code, 0, d.stderr);
    }
    assert.ok(gone(lock.pid));
    assert.match(readFileSync(join(dir, 'up.log'), 'utf8'), /flotilla: stopped\n/);
  });
});
