/**
 * Secrets at rest (issue 18 item 4): the data dir is 0700 and every file the server keeps in it
 * 0600 — database, WAL, SHM, keys, tokens, kubeconfigs — also when an existing data dir had
 * looser modes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startApiServer, type ApiServer } from './server.js';

/** Every path under `dir` (itself included) with its permission bits, e.g. {'.': '700', 'state.db': '600'}. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    out[relative(dir, d) || '.'] = (lstatSync(d).mode & 0o777).toString(8);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = (lstatSync(p).mode & 0o777).toString(8);
    }
  };
  walk(dir);
  return out;
}

function createSecret(s: ApiServer, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request(new URL('/api/v1/namespaces/default/secrets', s.url), { method: 'POST', ca: s.caPem, headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: 'hunter2' } }));
  });
}

const assertPrivate = (dir: string) => {
  const m = modes(dir);
  for (const f of ['state.db', 'state.db-wal', 'state.db-shm', 'kubeconfig', 'pki/sa.key', 'pki/ca.key', 'pki/admin.token', 'pki/identities.json', 'identities/system_kube-scheduler.kubeconfig'])
    assert.ok(f in m, `${f} exists (${JSON.stringify(m)})`);
  const loose = Object.entries(m).filter(([p, mode]) => mode !== (lstatSync(join(dir, p)).isDirectory() ? '700' : '600'));
  assert.deepEqual(loose, [], 'every directory 0700, every file 0600');
};

describe('files at rest', { timeout: 120_000 }, () => {
  it('a new data dir is 0700 and every file in it 0600 (db, WAL, SHM, keys, tokens, kubeconfigs)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'flotilla-perm-'));
    const dir = join(parent, 'data');
    const old = process.umask(0o022);
    try {
      const s = await startApiServer({ dataDir: dir });
      try {
        s.writeKubeconfig();
        s.writeIdentityKubeconfig('system:kube-scheduler');
        assert.equal(await createSecret(s, 'db-password'), 201);
        assertPrivate(dir);
      } finally {
        await s.close();
      }
    } finally {
      process.umask(old);
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('corrects the modes of an existing data dir on start', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'flotilla-perm-'));
    const dir = join(parent, 'data');
    try {
      let s = await startApiServer({ dataDir: dir });
      s.writeKubeconfig();
      s.writeIdentityKubeconfig('system:kube-scheduler');
      assert.equal(await createSecret(s, 'old'), 201);
      await s.close();
      // what an older version left: a world-readable dir and files
      const m = modes(dir);
      for (const p of Object.keys(m)) chmodSync(join(dir, p), lstatSync(join(dir, p)).isDirectory() ? 0o755 : 0o644);
      s = await startApiServer({ dataDir: dir });
      try {
        s.writeKubeconfig();
        assert.equal(await createSecret(s, 'new'), 201);
        assertPrivate(dir);
      } finally {
        await s.close();
      }
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
