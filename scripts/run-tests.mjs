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
// Longest first (the two lanes then end together instead of one running a long file alone at the
// end): the files that took longest in CI's log, heaviest first, then other end-to-end files, then
// the rest, each group by the size of its compiled file.
const LONGEST = [
  'events/dist/journey.e2e.test.js',
  'cli/dist/demo.e2e.test.js',
  'workflows-controller/dist/examples.e2e.test.js',
  'rollouts/dist/examples.e2e.test.js',
  'ui/dist/ui-sections.test.js',
  'argocd-cli/dist/journey-upstream.e2e.test.js',
  'argocd-controller/dist/example-apps.e2e.test.js',
  'cli/dist/workloads.e2e.test.js',
  'rollouts/dist/journey.e2e.test.js',
  'argocd-controller/dist/hooks.e2e.test.js',
  'argo-cli/dist/journey.e2e.test.js',
  'events/dist/controllers.test.js',
  'argocd-cli/dist/journey.e2e.test.js',
  'ui/dist/ui-workflows.e2e.test.js',
];
const rank = (f) => {
  const i = LONGEST.findIndex((l) => f.endsWith(l));
  return i >= 0 ? i : f.includes('e2e') ? LONGEST.length : LONGEST.length + 1;
};
const size = new Map(files.map((f) => [f, statSync(f).size]));
files.sort((a, b) => rank(a) - rank(b) || size.get(b) - size.get(a) || a.localeCompare(b));
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
