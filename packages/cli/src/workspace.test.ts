/**
 * The workspace's TypeScript project graph follows its package graph: every @flotilla/* package a
 * package depends on is among its tsconfig references. Otherwise `tsc -b` may build the package
 * before that dependency, and TypeScript caches the failed lookup of the dependency's types for the
 * rest of the build: a fresh clone's build failed with "Cannot find module '@flotilla/rollouts'"
 * in rollouts-cli, because packages/cli (which depends on it without a reference) was built first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));

test('every @flotilla/* dependency of a package is one of its tsconfig references', () => {
  const missing: string[] = [];
  for (const dir of readdirSync(PACKAGES)) {
    const tsconfig = join(PACKAGES, dir, 'tsconfig.json');
    if (!existsSync(tsconfig)) continue;
    const pkg = JSON.parse(readFileSync(join(PACKAGES, dir, 'package.json'), 'utf8'));
    const refs = new Set(((JSON.parse(readFileSync(tsconfig, 'utf8')).references ?? []) as { path: string }[]).map((r) => r.path.replace(/\/$/, '')));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
      if (dep.startsWith('@flotilla/') && !refs.has(`../${dep.slice('@flotilla/'.length)}`)) missing.push(`packages/${dir}: ${dep}`);
    }
  }
  assert.deepEqual(missing, []);
});
