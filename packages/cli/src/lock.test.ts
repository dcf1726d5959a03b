/** The data dir lock (lock.ts) with real processes: one holder at a time, stale locks, reused pids, half-made dirs. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, holderAlive, LockHeldError, LOCK_FILE, processStartTime, readLock, runningUp, snapshotDataDir } from './lock.js';

const LOCK_JS = new URL('./lock.js', import.meta.url).href;

/** a process that tries to take the lock at a given moment, holds it 1.5 s when it got it, and prints what happened */
function contender(dir: string, at: number): Promise<string> {
  const code = `
    const { acquireLock } = await import(${JSON.stringify(LOCK_JS)});
    while (Date.now() < ${at}) {}
    try { acquireLock(${JSON.stringify(dir)}, { port: 1, host: 'h' }); process.stdout.write('won'); setTimeout(() => {}, 1500); }
    catch (e) { process.stdout.write(e.constructor.name); }`;
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', () => resolve(out));
  });
}

describe('data dir lock', () => {
  it('one holder at a time: the second is refused naming the first, release lets the next one in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-lock-'));
    try {
      const a = acquireLock(dir, { port: 6443, host: '127.0.0.1' });
      assert.equal(readLock(dir)?.pid, process.pid);
      assert.equal(readLock(dir)?.startTime, processStartTime(process.pid));
      assert.throws(
        () => acquireLock(dir, { port: 0, host: '127.0.0.1' }),
        (e: unknown) => e instanceof LockHeldError && e.holder.pid === process.pid && /pid \d+, port 6443/.test(e.message),
      );
      a.update({ state: 'ready', port: 7000 });
      assert.equal(runningUp(dir)?.port, 7000);
      a.release();
      assert.equal(existsSync(join(dir, LOCK_FILE)), false);
      const b = acquireLock(dir, { port: 1, host: 'h' });
      b.release();
      assert.deepEqual(readdirSync(dir), [], 'no temporary files are left');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a lock of a dead process, or of a live pid that is another process (reused), is stale and taken over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-lock-'));
    try {
      // pid 2^22+ does not exist (pid_max); then our own pid with another start time: a reused pid
      for (const stale of [{ pid: 4_194_400 }, { pid: process.pid, startTime: '1' }]) {
        writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...stale, port: 9, host: 'h', state: 'ready', startedAt: '' }));
        assert.equal(holderAlive(stale), false);
        assert.equal(runningUp(dir), undefined);
        const l = acquireLock(dir, { port: 2, host: 'h' });
        assert.equal(readLock(dir)?.port, 2);
        l.release();
      }
      writeFileSync(join(dir, LOCK_FILE), 'garbage');
      acquireLock(dir, { port: 3, host: 'h' }).release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('processes racing for the same fresh data dir: exactly one wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-lock-'));
    try {
      const at = Date.now() + 1500;
      const results = await Promise.all(Array.from({ length: 4 }, () => contender(dir, at)));
      assert.equal(results.filter((r) => r === 'won').length, 1, results.join(','));
      assert.equal(results.filter((r) => r === 'LockHeldError').length, 3, results.join(','));
      // …and racing to take over a stale lock: exactly one wins too
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 4_194_400, port: 9, host: 'h', state: 'ready', startedAt: '' }));
      const at2 = Date.now() + 1500;
      const again = await Promise.all(Array.from({ length: 4 }, () => contender(dir, at2)));
      assert.equal(again.filter((r) => r === 'won').length, 1, again.join(','));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('undo of a failed first start removes what it made (and the dir it created), never what was there', () => {
    const root = mkdtempSync(join(tmpdir(), 'flotilla-lock-'));
    try {
      const fresh = join(root, 'a', 'data');
      const s1 = snapshotDataDir(fresh);
      mkdirSync(join(fresh, 'pki'), { recursive: true });
      writeFileSync(join(fresh, 'state.db'), '');
      s1.undo();
      assert.equal(existsSync(fresh), false);
      const mine = join(root, 'mine');
      mkdirSync(mine);
      writeFileSync(join(mine, 'notes.txt'), 'keep');
      const s2 = snapshotDataDir(mine);
      writeFileSync(join(mine, 'state.db'), '');
      s2.undo();
      assert.deepEqual(readdirSync(mine), ['notes.txt']);
      // a data dir with a cluster in it is never undone
      writeFileSync(join(mine, 'state.db'), '');
      const s3 = snapshotDataDir(mine);
      assert.equal(s3.fresh, false);
      writeFileSync(join(mine, 'kubeconfig'), '');
      s3.undo();
      assert.deepEqual(readdirSync(mine).sort(), ['kubeconfig', 'notes.txt', 'state.db']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
