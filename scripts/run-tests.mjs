#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js) with Node's test runner.
// Usage: node scripts/run-tests.mjs [package-name-filter ...]
// The TAP stream goes to stdout as it comes; at the end every failed or cancelled test is
// listed again with its file and error, so the last lines of a long CI log say what failed.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
for (const pkg of readdirSync(join(root, 'packages')).sort()) {
  if (filters.length && !filters.some((f) => pkg.includes(f))) continue;
  const dist = join(root, 'packages', pkg, 'dist');
  if (existsSync(dist)) walk(dist);
}
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=480000', ...files], {
  stdio: ['inherit', 'pipe', 'inherit'],
  cwd: root,
});

// Collect "not ok" entries with their YAML diagnostic block (up to its closing "...").
const failures = [];
let current = null;
const rl = createInterface({ input: child.stdout });
rl.on('line', (line) => {
  process.stdout.write(line + '\n');
  if (current) {
    current.lines.push(line);
    if (line.trim() === '...' && line.indexOf('...') <= current.indent + 2) current = null;
    else if (current.lines.length > 150) current = null;
    return;
  }
  const m = /^(\s*)not ok \d+ - (.*)$/.exec(line);
  if (m) {
    current = { indent: m[1].length, lines: [line] };
    failures.push(current);
  }
});
child.on('close', (code, signal) => {
  if (failures.length) {
    process.stdout.write(`\n# ===== ${failures.length} failed or cancelled test(s), repeated here =====\n`);
    for (const f of failures) process.stdout.write(f.lines.map((l) => l.slice(f.indent)).join('\n') + '\n');
  }
  process.exit(code ?? (signal ? 1 : 0));
});
