#!/usr/bin/env node
// The executor's share of a workflow pod (issue 11: 600 single-pod workflows a minute means the
// executor's processes must be cheap). Outside a cluster, on the plain-process layout
// (FLOTILLA_POD_ROOT holds /var/run/argo):
//   process CPU (user + system) of `argoexec init`, `argoexec emissary -- true` and `argoexec wait`
//   (wait without a reachable API: it collects the outputs and fails to write the task result),
//   against a bare `node -e ""` for scale; medians of BENCH_RUNS (default 10) runs each.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const root = mkdtempSync(join(tmpdir(), 'argoexec-bench-'));
const env = { ...process.env, FLOTILLA_POD_ROOT: root, ARGO_TEMPLATE: JSON.stringify({ container: { image: 'busybox', command: ['true'] } }), ARGO_INCLUDE_SCRIPT_OUTPUT: 'true', KUBECONFIG: join(root, 'none') };

/** CPU ms (user + system) of a child process, from `time`'s format. */
function cpuMs(argv) {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', ...argv], { env, encoding: 'utf8' });
  const [u, s] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return (u + s) * 1000;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function measure(name, argv, before = () => {}) {
  const xs = [];
  for (let i = 0; i < RUNS; i++) {
    before();
    xs.push(cpuMs(argv));
  }
  console.log(`${name.padEnd(28)} median ${median(xs).toFixed(0)} ms CPU (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`);
  return median(xs);
}

const bare = measure('node -e ""', [process.execPath, '-e', '']);
const init = measure('argoexec init', [process.execPath, MAIN, 'argoexec', 'init']);
const emissary = measure('argoexec emissary -- true', [process.execPath, MAIN, 'argoexec', 'emissary', '--', 'true']);
const wait = measure('argoexec wait', [process.execPath, MAIN, 'argoexec', 'wait'], () => {
  mkdirSync(join(root, 'var/run/argo/ctr/main'), { recursive: true });
  writeFileSync(join(root, 'var/run/argo/ctr/main/exitcode'), '0');
  writeFileSync(join(root, 'var/run/argo/ctr/main/stdout'), 'hello\n');
});
const total = init + emissary + wait;
console.log(`executor CPU per pod: ${total.toFixed(0)} ms (${(total - 3 * bare).toFixed(0)} ms above three bare node starts); 600 pods/min need ${((total * 10) / 1000).toFixed(1)} CPU cores for the executor alone`);
rmSync(root, { recursive: true, force: true });
