/**
 * The shell side of first use (scripts/npm-deps.sh, sourced by scripts/test.sh and ./flotilla):
 * npm ci is skipped while package-lock.json is unchanged since the last install, and long steps
 * say what they do and how long they take. Runs the real script with the real npm on a project
 * without dependencies (npm ci needs no network for it).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../scripts/npm-deps.sh', import.meta.url));
const sh = (cwd: string, cmd: string, env: Record<string, string> = {}) =>
  spawnSync('bash', ['-c', `set -euo pipefail; . ${JSON.stringify(SCRIPT)}; ${cmd}`], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });

describe('scripts/npm-deps.sh', () => {
  it('runs npm ci on a clean checkout, skips it while package-lock.json is unchanged, runs it again when it changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-npmdeps-'));
    try {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', private: true }));
      const lock = (v: string) => writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'p', version: v, lockfileVersion: 3, requires: true, packages: { '': { name: 'p', version: v } } }, null, 2));
      lock('1.0.0');
      const first = sh(dir, 'npm_deps test');
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stderr, /test: installing dependencies with npm ci \(about 2 minutes the first time\)…/);
      assert.match(first.stderr, /test: done in \d+ s/);
      assert.ok(existsSync(join(dir, 'node_modules', '.flotilla-installed')));
      const second = sh(dir, 'npm_deps test');
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stderr, /package-lock.json unchanged since the last npm ci\): skipping npm ci/);
      assert.doesNotMatch(second.stderr, /installing/);
      assert.equal(sh(dir, 'npm_deps flotilla --quiet').stderr, '', 'the launcher says nothing when nothing is to do');
      lock('1.0.1');
      const third = sh(dir, 'npm_deps test');
      assert.match(third.stderr, /installing dependencies with npm ci/);
      // npm ci failing fails the step
      writeFileSync(join(dir, 'package-lock.json'), '{ not json');
      assert.notEqual(sh(dir, 'npm_deps test').status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with_progress says what runs, how long it has been running, and how long it took', () => {
    const r = sh(tmpdir(), 'with_progress flotilla "waiting (about 3 s)" sleep 3', { FLOTILLA_PROGRESS_EVERY: '1' });
    assert.equal(r.status, 0);
    assert.match(r.stderr, /^flotilla: waiting \(about 3 s\)…\n/);
    assert.match(r.stderr, /flotilla: … still waiting \(\d s so far\)\n/);
    // sleep 3 plus the shell around it: 3 s, or 4 s on a loaded machine (whole seconds)
    assert.match(r.stderr, /flotilla: done in [34] s\n$/);
    const bad = sh(tmpdir(), 'with_progress flotilla "failing" false');
    assert.equal(bad.status, 1);
    assert.doesNotMatch(bad.stderr, /done in/);
  });
});

describe('Dockerfile', () => {
  it('copies what exists in the repository and runs the flotilla command the build produces', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
    // COPY sources from the build context (not --from=build) exist
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) for (const src of m[1].split(/\s+/)) assert.ok(existsSync(join(root, src)), `COPY ${src}: missing`);
    assert.match(text, /npx tsc -b/);
    // the command it links onto PATH is the built CLI, and it is a node script
    const link = /ln -s \/flotilla\/(\S+) \/usr\/local\/bin\/flotilla/.exec(text)?.[1];
    assert.equal(link, 'packages/cli/dist/main.js');
    assert.ok(existsSync(join(root, link)));
    assert.match(readFileSync(join(root, link), 'utf8'), /^#!\/usr\/bin\/env node\n/);
    assert.match(text, /^ENTRYPOINT \["flotilla"\]$/m);
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8');
    for (const p of ['**/node_modules', '**/dist', '.git']) assert.ok(ignore.split('\n').includes(p), p);
  });
});
