import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argosay = fileURLToPath(new URL('./argosay.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [argosay, ...args], { encoding: 'utf8' });

describe('argosay (built-in argoproj/argosay:v2)', () => {
  it('cp SRC DST copies a file, making the directory of DST (upstream smoke test secure-workflow)', () => {
    const d = mkdtempSync(join(tmpdir(), 'argosay-'));
    writeFileSync(join(d, 'message'), 'hello');
    const r = run('cp', join(d, 'message'), join(d, 'out', 'message'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(d, 'out', 'message'), 'utf8'), 'hello');
  });

  it('cp of a missing file or with a wrong number of arguments fails', () => {
    const d = mkdtempSync(join(tmpdir(), 'argosay-'));
    const r = run('cp', join(d, 'nope'), join(d, 'x'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cp: .*ENOENT/);
    assert.equal(run('cp', join(d, 'nope')).status, 1);
  });

  it('echo to a file then cat it; unknown commands fail', () => {
    const d = mkdtempSync(join(tmpdir(), 'argosay-'));
    execFileSync(process.execPath, [argosay, 'echo', 'hi there', join(d, 'f')]);
    assert.equal(run('cat', join(d, 'f')).stdout, 'hi there');
    const r = run('frobnicate');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown command "frobnicate" \(echo, cat, cp,/);
  });
});
