/**
 * Opt-in encryption of Secrets at rest (docs/security.md): with `<data-dir>/encryption-config.yaml`
 * the database holds no Secret in plain text, the server reads them back after a restart, Secrets
 * written before encryption was enabled stay readable, and a bad configuration is refused naming
 * what is wrong.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from './server.js';

function call(s: ApiServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const r = request(new URL(path, s.url), { method, ca: s.caPem, headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' } }, (res) => {
      let t = '';
      res.on('data', (d) => (t += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: t ? JSON.parse(t) : undefined }));
    });
    r.on('error', reject);
    r.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
const secret = (name: string, pw: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: pw } });
const config = (provider: string) =>
  `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n${provider}  - identity: {}\n`;

describe('encryption of Secrets at rest', { timeout: 120_000 }, () => {
  for (const kind of ['aesgcm', 'aescbc']) {
    it(`${kind}: the database holds no Secret in plain text; Secrets read back after a restart`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flotilla-enc-'));
      try {
        // a Secret written before encryption is enabled
        let s = await startApiServer({ dataDir: dir });
        assert.equal((await call(s, 'POST', '/api/v1/namespaces/default/secrets', secret('before', 'plain-before-PW'))).status, 201);
        await s.close();
        writeFileSync(join(dir, 'encryption-config.yaml'), config(`  - ${kind}:\n      keys:\n      - name: key1\n        secret: ${randomBytes(32).toString('base64')}\n`), { mode: 0o600 });
        s = await startApiServer({ dataDir: dir });
        assert.equal((await call(s, 'POST', '/api/v1/namespaces/default/secrets', secret('db', 'sw0rdfish-TOPSECRET'))).status, 201);
        assert.equal((await call(s, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { k: 'visible-CONFIG' } })).status, 201);
        await s.close();
        const raw = readFileSync(join(dir, 'state.db')).toString('latin1');
        assert.ok(!raw.includes(Buffer.from('sw0rdfish-TOPSECRET').toString('base64')), 'the Secret value is not in the database');
        assert.ok(raw.includes(`k8s:enc:${kind}:v1:key1:`));
        assert.ok(raw.includes('visible-CONFIG'), 'other resources are stored as before');
        s = await startApiServer({ dataDir: dir });
        try {
          const got = await call(s, 'GET', '/api/v1/namespaces/default/secrets/db');
          assert.equal(Buffer.from(got.body.data.password, 'base64').toString(), 'sw0rdfish-TOPSECRET');
          const old = await call(s, 'GET', '/api/v1/namespaces/default/secrets/before');
          assert.equal(Buffer.from(old.body.data.password, 'base64').toString(), 'plain-before-PW');
        } finally {
          await s.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('refuses a bad configuration, naming what is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-enc-'));
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'encryption-config.yaml'), config(`  - aesgcm:\n      keys:\n      - name: key1\n        secret: c2hvcnQ=\n`));
      await assert.rejects(startApiServer({ dataDir: dir }), /providers\[0\]\.aesgcm\.keys\[0\]\.secret must be 16, 24 or 32 bytes/);
      writeFileSync(join(dir, 'encryption-config.yaml'), config(`  - kms:\n      name: x\n`));
      await assert.rejects(startApiServer({ dataDir: dir }), /"kms" is not supported/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
