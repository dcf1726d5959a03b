/**
 * The write-ahead log stays bounded (issue 18 item 7): under a sustained write burst, after a
 * crash left a large WAL behind (recovered and truncated at start), and when the store is idle.
 * That every acknowledged write survives kill -9 is durability.test.ts's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from './store.js';
import { eventually } from './testutil.js';

const MiB = 1024 * 1024;
const cm = (name: string, i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', uid: `u-${i}` }, data: { v: 'x'.repeat(4096) + i } });

describe('write-ahead log', { timeout: 180_000 }, () => {
  it('stays bounded during a long write burst and is truncated once the store is idle', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-wal-'));
    const limit = 4 * MiB;
    const store = new Store(join(dir, 'state.db'), { walLimitBytes: limit });
    try {
      let max = 0;
      // 12,000 writes of 4 KB objects (~100 MB through the WAL), the event loop turning between batches as a server's does
      for (let i = 0; i < 12_000; i++) {
        store.put('core/configmaps', 'default', `c${i % 3000}`, cm(`c${i % 3000}`, i));
        if (i % 50 === 49) {
          max = Math.max(max, store.walBytes());
          await new Promise((r) => setImmediate(r));
        }
      }
      max = Math.max(max, store.walBytes());
      t.diagnostic(`largest WAL ${(max / MiB).toFixed(1)} MiB (limit ${limit / MiB} MiB)`);
      assert.ok(max < 4 * limit, `the WAL grew to ${(max / MiB).toFixed(1)} MiB (limit ${limit / MiB} MiB)`);
      await eventually(() => store.walBytes() === 0, 20_000, 'the WAL truncated while idle');
      assert.equal(store.count('core/configmaps'), 3000);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a large WAL left by a crash is recovered and truncated at start, without losing a committed write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-wal-'));
    const file = join(dir, 'state.db');
    try {
      await new Store(file).close();
      // a writer that never checkpoints, killed with SIGKILL after committing 3,000 objects
      const mod = createRequire(import.meta.url).resolve('better-sqlite3');
      const script = `
        const Database = require(${JSON.stringify(mod)});
        const db = new Database(${JSON.stringify(file)});
        db.pragma('journal_mode = WAL');
        db.pragma('wal_autocheckpoint = 0');
        const up = db.prepare('INSERT INTO objects(res, ns, name, rv, data) VALUES (?, ?, ?, ?, ?)');
        const ev = db.prepare('INSERT INTO events(rv, type, res, ns, name, data) VALUES (?, ?, ?, ?, ?, ?)');
        for (let i = 1; i <= 3000; i++) {
          const json = JSON.stringify((${cm.toString()})('k' + i, i));
          db.transaction(() => { up.run('core/configmaps', 'default', 'k' + i, i, json); ev.run(i, 'ADDED', 'core/configmaps', 'default', 'k' + i, json); })();
        }
        process.kill(process.pid, 'SIGKILL');`;
      const r = spawnSync(process.execPath, ['-e', script], { stdio: 'inherit' });
      assert.equal(r.signal, 'SIGKILL');
      const before = statSync(`${file}-wal`).size;
      assert.ok(before > 20 * MiB, `the crashed writer left a ${(before / MiB).toFixed(1)} MiB WAL`);
      const store = new Store(file);
      try {
        assert.equal(store.walBytes(), 0, 'the WAL is checkpointed and truncated at start');
        assert.equal(store.count('core/configmaps'), 3000);
        assert.equal(store.rv, 3000);
        assert.equal((store.get('core/configmaps', 'default', 'k3000')?.obj.data as any)?.v.endsWith('3000'), true);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
