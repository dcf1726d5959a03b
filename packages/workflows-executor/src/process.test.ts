/**
 * The executor's commands as processes (`flotilla argoexec …`), outside a cluster: the node
 * agent's plain-process layout (FLOTILLA_POD_ROOT holds the pod's mount paths) stands in for the
 * shared /var/run/argo volume. init's launcher, the emissary's tee / exit code / signals / staged
 * outputs, and wait's deadline handling and output collection.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOTILLA_MAIN } from './init.js';
import { commandOf, resolveImageCommand } from './emissary.js';
import { collectOutputs, runWait, stopSidecars, waitForContainers } from './wait.js';
import { parseEnv } from './env.js';
import { ARGO_VERSION } from '@flotilla/workflows-controller/version';

let root: string;
let work: string;
const skip = !existsSync(FLOTILLA_MAIN) ? `${FLOTILLA_MAIN} not built` : undefined;

function envFor(template: object, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, FLOTILLA_POD_ROOT: root, ARGO_TEMPLATE: JSON.stringify(template), ARGO_CONTAINER_NAME: 'main', ARGO_NAMESPACE: 'argo', ARGO_POD_NAME: 'p', ...extra };
}

function argoexec(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; kill: (s: NodeJS.Signals) => void }> & { proc?: unknown } {
  const p = spawn(process.execPath, [FLOTILLA_MAIN, 'argoexec', ...args], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  const pr = new Promise<{ code: number | null; stdout: string; stderr: string; kill: (s: NodeJS.Signals) => void }>((res) => p.on('close', (code) => res({ code, stdout, stderr, kill: () => undefined })));
  (pr as any).kill = (s: NodeJS.Signals) => p.kill(s);
  (pr as any).output = () => stdout;
  return pr;
}
const r = (p: string) => join(root, p);
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe('argoexec as processes', { skip, concurrency: false }, () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'argoexec-root-'));
    work = mkdtempSync(join(tmpdir(), 'argoexec-work-'));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('init writes a launcher that runs this argoexec, the script, the manifest, inputs', async () => {
    const template = {
      script: { image: 'busybox', command: ['sh'], source: 'echo from script' },
      resource: { action: 'create', manifest: 'kind: ConfigMap\n' },
      inputs: { parameters: [{ name: 'p', value: 'v' }], artifacts: [{ name: 'note', path: '/tmp/n', raw: { data: 'raw!' } }, { name: 'opt', path: '/tmp/o', optional: true }] },
    };
    const res = await argoexec(['init'], envFor(template));
    assert.equal(res.code, 0, res.stderr);
    const launcher = r('/var/run/argo/argoexec');
    assert.equal(statSync(launcher).mode & 0o777, 0o755);
    assert.match(readFileSync(launcher, 'utf8'), /^#!\/bin\/sh\n/);
    const v = spawnSync(launcher, ['version'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /argoexec: v3/);
    assert.equal(readFileSync(r('/var/run/argo/staging/script'), 'utf8'), 'echo from script');
    assert.equal(readFileSync(r('/var/run/argo/staging/manifest.yaml'), 'utf8'), 'kind: ConfigMap\n');
    assert.equal(readFileSync(r('/var/run/argo/inputs/parameters/p'), 'utf8'), 'v');
    assert.equal(readFileSync(r('/var/run/argo/inputs/artifacts/note'), 'utf8'), 'raw!');
    // a resource template's manifestFrom artifact is loaded into the shared volume for `argoexec resource`
    const mf = await argoexec(['init'], envFor({ resource: { action: 'create', manifestFrom: { artifact: { name: 'm' } } }, inputs: { artifacts: [{ name: 'm', raw: { data: 'kind: ConfigMap\nmetadata: {name: from-artifact}\n' } }] } }));
    assert.equal(mf.code, 0, mf.stderr);
    assert.match(readFileSync(r('/var/run/argo/inputs/artifacts/m'), 'utf8'), /from-artifact/);
    const missing = await argoexec(['init'], envFor({ inputs: { artifacts: [{ name: 'req', path: '/tmp/r' }] } }));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /inputs.artifacts.req was not supplied/);
  });

  it('emissary: passes output through, tees it, records the exit code, stages outputs, places inputs, runs the staged script', async () => {
    const out = join(work, 'outs');
    const template = {
      script: { image: 'busybox', command: ['sh'], source: `echo script-ran; cat ${join(work, 'in.txt')}; echo 5 > ${out}-p; mkdir -p ${out}-a; echo A > ${out}-a/a; echo bad >&2; exit 7` },
      inputs: { artifacts: [{ name: 'note', path: join(work, 'in.txt') }] },
      outputs: { parameters: [{ name: 'p', valueFrom: { path: `${out}-p` } }], artifacts: [{ name: 'a', path: `${out}-a` }, { name: 'none', path: `${out}-missing` }] },
    };
    rmSync(r('/var/run/argo/staging/script')); // init of this template did not run: the emissary writes the source itself
    const res = await argoexec(['emissary', '--', 'sh', '/argo/staging/script'], envFor(template));
    assert.equal(res.code, 7, res.stderr);
    assert.equal(res.stdout, 'script-ran\nraw!');
    assert.match(res.stderr, /bad/);
    assert.equal(readFileSync(r('/var/run/argo/ctr/main/stdout'), 'utf8'), 'script-ran\nraw!');
    assert.equal(readFileSync(r('/var/run/argo/ctr/main/stderr'), 'utf8'), 'bad\n');
    assert.equal(readFileSync(r('/var/run/argo/ctr/main/exitcode'), 'utf8'), '7');
    assert.equal(readFileSync(r('/var/run/argo/outputs/parameters/p'), 'utf8'), '5\n');
    assert.ok(statSync(r('/var/run/argo/outputs/artifacts/a')).size > 0);
    assert.equal(existsSync(r('/var/run/argo/outputs/artifacts/none')), false);
  });

  it('emissary: a missing program is 127 with the container runtime\'s message, also its termination message; no command is an error', async () => {
    mkdirSync(r('/dev'), { recursive: true });
    writeFileSync(r('/dev/termination-log'), ''); // the node agent provides it
    const res = await argoexec(['emissary', '--', 'no-such-program-xyz'], envFor({}, { ARGO_CONTAINER_NAME: 'c2' }));
    assert.equal(res.code, 127);
    assert.match(res.stderr, /exec: "no-such-program-xyz": executable file not found in \$PATH/);
    assert.equal(readFileSync(r('/dev/termination-log'), 'utf8'), 'exec: "no-such-program-xyz": executable file not found in $PATH');
    assert.equal(readFileSync(r('/var/run/argo/ctr/c2/exitcode'), 'utf8'), '127');
    assert.equal((await argoexec(['emissary', '--'], envFor({}, { ARGO_CONTAINER_NAME: 'c3' }))).code, 1);
  });

  it("emissary: a containerSet's retryStrategy runs the container again in place, its exit code written once for the last run", async () => {
    const flag = join(work, 'cs-retry-flag');
    rmSync(flag, { force: true });
    const script = `if test -f ${flag}; then echo second; exit 0; else touch ${flag}; echo first; exit 1; fi`;
    const cs = (retryStrategy?: object) => ({ name: 'main', containerSet: { containers: [{ name: 'csr', image: 'argoproj/argosay:v2' }], ...(retryStrategy ? { retryStrategy } : {}) } });
    const t0 = Date.now();
    const res = await argoexec(['emissary', '--', 'sh', '-c', script], envFor(cs({ retries: 2, duration: '1s' }), { ARGO_CONTAINER_NAME: 'csr' }));
    assert.equal(res.code, 0);
    assert.match(res.stdout, /first\n[\s\S]*second/);
    assert.ok(Date.now() - t0 >= 1000, 'the retry waited for its duration');
    assert.equal(readFileSync(r('/var/run/argo/ctr/csr/exitcode'), 'utf8'), '0');
    // without a retryStrategy: one run, its failure is the container's
    rmSync(flag, { force: true });
    const once = await argoexec(['emissary', '--', 'sh', '-c', script], envFor(cs(), { ARGO_CONTAINER_NAME: 'csr' }));
    assert.equal(once.code, 1);
    assert.doesNotMatch(once.stdout, /second/);
    assert.equal(once.stderr.split('capturing logs').length - 1, 1, once.stderr);
  });

  // upstream's e2e TestWorkflowTemplateWithRetryStrategyInContainerSet (retries "2"): c1 succeeds (one run), c2's
  // program is missing (not retried, never "capturing logs"), c3 fails every time (2 runs, 2 "capturing logs")
  it("emissary: a containerSet's `retries` is the number of runs; each run marks the log; a command that cannot run is not retried", async () => {
    const cs = (retries: unknown) => ({ name: 'test', containerSet: { retryStrategy: { retries }, containers: ['c1', 'c2', 'c3'].map((n) => ({ name: n, image: 'alpine:latest' })) } });
    const count = (s: string, w: string) => s.split(w).length - 1;
    const c1 = await argoexec(['emissary', '--', 'sh', '-c', 'echo hi'], envFor(cs('2'), { ARGO_CONTAINER_NAME: 'c1' }));
    assert.equal(c1.code, 0);
    assert.equal(count(c1.stderr, 'capturing logs'), 1);
    assert.match(c1.stderr, /^time="[^"]+" level=info msg="capturing logs"$/m);
    const c2 = await argoexec(['emissary', '--', 'invalid', 'command'], envFor(cs('2'), { ARGO_CONTAINER_NAME: 'c2' }));
    assert.equal(c2.code, 127);
    assert.equal(count(c2.stderr, 'capturing logs'), 0, c2.stderr);
    assert.equal(count(c2.stderr, 'executable file not found in $PATH'), 1, c2.stderr);
    assert.equal(readFileSync(r('/var/run/argo/ctr/c2/exitcode'), 'utf8'), '127');
    const c3 = await argoexec(['emissary', '--', 'sh', '-c', 'echo intentional failure; exit 1'], envFor(cs('2'), { ARGO_CONTAINER_NAME: 'c3' }));
    assert.equal(c3.code, 1);
    assert.equal(count(c3.stdout, 'intentional failure'), 2, c3.stdout);
    assert.equal(count(c3.stderr, 'capturing logs'), 2, c3.stderr);
    for (const [retries, runs] of [[0, 1], [1, 1], [3, 3]] as const) {
      const res = await argoexec(['emissary', '--', 'sh', '-c', 'echo run; exit 2'], envFor(cs(retries), { ARGO_CONTAINER_NAME: 'c3' }));
      assert.equal(res.code, 2);
      assert.equal(count(res.stdout, 'run\n'), runs, `retries ${retries}: ${res.stdout}`);
    }
  });

  // upstream's daemon-nginx: nginx opens /var/log/nginx/error.log, a link to /dev/stderr (a socket cannot be opened)
  it('emissary: the command\'s stdout and stderr are pipes it can open as /dev/stdout and /dev/stderr', async () => {
    const res = await argoexec(['emissary', '--', 'sh', '-c', 'echo opened-out > /dev/stdout && echo opened-err > /dev/stderr && echo plain; [ -p /dev/stdout ] && echo is-a-pipe'], envFor({}, { ARGO_CONTAINER_NAME: 'fifo' }));
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'opened-out\nplain\nis-a-pipe\n');
    assert.match(res.stderr, /opened-err/);
    assert.equal(readFileSync(r('/var/run/argo/ctr/fifo/stdout'), 'utf8'), 'opened-out\nplain\nis-a-pipe\n');
    assert.equal(readFileSync(r('/var/run/argo/ctr/fifo/stderr'), 'utf8'), 'opened-err\n');
  });

  it('a failing command that is main itself (data, resource, agent) still writes its exit code for wait', async () => {
    const res = await argoexec(['data'], envFor({ data: {} }, { ARGO_CONTAINER_NAME: 'd1', KUBECONFIG: join(work, 'no-kubeconfig') }));
    assert.equal(res.code, 1);
    assert.match(res.stderr, /source.artifactPaths is required/);
    assert.equal(readFileSync(r('/var/run/argo/ctr/d1/exitcode'), 'utf8'), '1');
  });

  it('emissary forwards SIGTERM to the command and exits with its code', async () => {
    const p = argoexec(['emissary', '--', 'sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while true; do sleep 0.1; done'], envFor({}, { ARGO_CONTAINER_NAME: 'sig' }));
    for (let i = 0; i < 100 && !(p as any).output().includes('ready'); i++) await sleep(50);
    (p as any).kill('SIGTERM');
    const res = await p;
    assert.equal(res.code, 42);
    assert.match(res.stdout, /got-term/);
  });

  it('emissary takes a signal from wait through the signal file; a killed command exits 128+n', async () => {
    const p = argoexec(['emissary', '--', 'sh', '-c', 'echo ready; exec sleep 30'], envFor({ containerSet: { containers: [{ name: 'sigf' }] } }, { ARGO_CONTAINER_NAME: 'sigf' }));
    for (let i = 0; i < 100 && !(p as any).output().includes('ready'); i++) await sleep(50);
    writeFileSync(r('/var/run/argo/ctr/sigf/signal'), '9');
    const res = await p;
    assert.equal(res.code, 137);
    assert.equal(readFileSync(r('/var/run/argo/ctr/sigf/exitcode'), 'utf8'), '137');
  });

  it('wait stops sidecars when main is done (SIGTERM through their emissary)', async () => {
    const p = argoexec(['emissary', '--', 'sh', '-c', 'echo ready; exec sleep 30'], envFor({}, { ARGO_CONTAINER_NAME: 'side' }));
    for (let i = 0; i < 100 && !(p as any).output().includes('ready'); i++) await sleep(50);
    process.env.FLOTILLA_POD_ROOT = root;
    try {
      await stopSidecars(['side'], 20_000, 50);
    } finally {
      delete process.env.FLOTILLA_POD_ROOT;
    }
    assert.equal((await p).code, 0, 'a sidecar stopped by wait ends cleanly');
    assert.equal(readFileSync(r('/var/run/argo/ctr/side/exitcode'), 'utf8'), '0');
  });

  it('containerSet: a container waits for its dependencies and does not run after a failed one', async () => {
    const template = { containerSet: { containers: [{ name: 'a' }, { name: 'b', dependencies: ['a'] }, { name: 'c', dependencies: ['x'] }] } };
    const b = argoexec(['emissary', '--', 'sh', '-c', 'echo b-ran'], envFor(template, { ARGO_CONTAINER_NAME: 'b' }));
    await sleep(500);
    assert.equal(existsSync(r('/var/run/argo/ctr/b/exitcode')), false, 'b waits for a');
    assert.equal((await argoexec(['emissary', '--', 'true'], envFor(template, { ARGO_CONTAINER_NAME: 'a' }))).code, 0);
    assert.equal((await b).stdout, 'b-ran\n');
    mkdirSync(r('/var/run/argo/ctr/x'), { recursive: true });
    writeFileSync(r('/var/run/argo/ctr/x/exitcode'), '1');
    const c = await argoexec(['emissary', '--', 'sh', '-c', 'echo c-ran'], envFor(template, { ARGO_CONTAINER_NAME: 'c' }));
    assert.equal(c.code, 1);
    assert.equal(c.stdout, '');
  });

  it('wait: signals main at the deadline, then collects the outputs', async () => {
    process.env.FLOTILLA_POD_ROOT = root;
    try {
      mkdirSync(r('/var/run/argo/ctr/dl'), { recursive: true });
      const env = parseEnv({ ARGO_TEMPLATE: '{}', ARGO_DEADLINE: new Date(Date.now() - 1000).toISOString() }, () => 'argo');
      const w = waitForContainers(env, ['dl'], { graceMs: 60_000, pollMs: 50, stopped: () => false });
      for (let i = 0; i < 100 && !existsSync(r('/var/run/argo/ctr/dl/signal')); i++) await sleep(20);
      assert.equal(readFileSync(r('/var/run/argo/ctr/dl/signal'), 'utf8'), '15');
      writeFileSync(r('/var/run/argo/ctr/dl/exitcode'), '143');
      const res = await w;
      assert.deepEqual(res.codes, { dl: 143 });
      assert.match(res.reason ?? '', /longer than the specified deadline/);

      const tmpl = { outputs: { parameters: [{ name: 'p', valueFrom: { path: '/x' } }, { name: 'q', valueFrom: { path: '/y' } }], artifacts: [{ name: 'o', path: '/o', optional: true }] } };
      const e2 = parseEnv({ ARGO_TEMPLATE: JSON.stringify(tmpl), ARGO_INCLUDE_SCRIPT_OUTPUT: 'true' }, () => 'argo');
      const ok = await collectOutputs(e2, 0, () => async () => '');
      assert.deepEqual(ok.outputs.parameters?.map((p) => `${p.name}=${p.value}`), ['p=5']);
      assert.equal(ok.outputs.result, 'script-ran\nraw!');
      assert.equal(ok.outputs.exitCode, '0');
      assert.deepEqual(ok.errors, ['failed to get output parameter q: open /y: no such file or directory']);
      // a failed main: missing outputs are not the executor's error
      assert.deepEqual((await collectOutputs(e2, 1, () => async () => '')).errors, []);
    } finally {
      delete process.env.FLOTILLA_POD_ROOT;
    }
  });

  it('wait: not-completed result at once, progress while main runs, outputs when it ends', async () => {
    process.env.FLOTILLA_POD_ROOT = root;
    try {
      rmSync(r('/var/run/argo/ctr/main'), { recursive: true, force: true });
      mkdirSync(r('/var/run/argo/ctr/main'), { recursive: true });
      writeFileSync(r('/var/run/argo/ctr/main/stdout'), 'out\n');
      const env = parseEnv({ ARGO_TEMPLATE: '{"container":{"image":"busybox"}}', ARGO_INCLUDE_SCRIPT_OUTPUT: 'true', ARGO_NODE_ID: 'n1', ARGO_WORKFLOW_NAME: 'wf', ARGO_WORKFLOW_UID: 'u', ARGO_PROGRESS_FILE: '/var/run/argo/progress' }, () => 'argo');
      const writes: any[] = [];
      const done = runWait(env, { secret: () => async () => '', writeResult: async (o) => void writes.push(structuredClone(o)), pollMs: 20, progressEveryMs: 50 });
      await sleep(200);
      writeFileSync(r('/var/run/argo/progress'), '1/2');
      for (let i = 0; i < 100 && !writes.some((w) => w.progress === '1/2'); i++) await sleep(20);
      writeFileSync(r('/var/run/argo/progress'), '2/2');
      writeFileSync(r('/var/run/argo/ctr/main/exitcode'), '0');
      assert.equal(await done, 0);
      const labels = writes.map((w) => `${w.metadata.labels['workflows.argoproj.io/report-outputs-completed']}:${w.progress ?? ''}`);
      assert.equal(labels[0], 'false:');
      assert.ok(labels.includes('false:1/2'), labels.join(' '));
      assert.equal(labels[labels.length - 1], 'true:2/2');
      assert.deepEqual(writes[writes.length - 1].outputs, { exitCode: '0', result: 'out' });
      assert.equal(writes[writes.length - 1].metadata.name, 'n1');
    } finally {
      delete process.env.FLOTILLA_POD_ROOT;
    }
  });

  it("wait's first log line is upstream's `Starting Workflow Executor` with the version, unless argoexec.sh's wait wrote it", () => {
    const first = (extra: Record<string, string>) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', `import('${new URL('./wait.js', import.meta.url).href}').then((m) => m.logStart())`], { env: { ...process.env, ...extra }, encoding: 'utf8' }).stderr;
    assert.match(first({}), new RegExp(`^time="[^"]+" level=info msg="Starting Workflow Executor" version=${ARGO_VERSION.replace(/[.+]/g, '\\$&')}\n$`));
    assert.equal(first({ FLOTILLA_WAIT_STARTED: 'true' }), '');
  });

  it('resolves an image\'s program names as the node agent does; the command follows --', () => {
    const a = resolveImageCommand(['/argosay', 'echo', 'hi'], 'argoproj/argosay:v2');
    assert.equal(a[0], process.execPath);
    assert.match(a[1], /argosay\.js$/);
    assert.deepEqual(a.slice(2), ['echo', 'hi']);
    assert.deepEqual(resolveImageCommand(['python', 'x.py'], 'python:alpine3.6'), ['python3', 'x.py']);
    assert.deepEqual(resolveImageCommand(['sh', '-c', 'x'], 'busybox'), ['sh', '-c', 'x']);
    assert.deepEqual(resolveImageCommand(['cowsay'], undefined), ['cowsay']);
    assert.deepEqual(commandOf(['--', 'a', '--', 'b']), ['a', '--', 'b']);
  });
});
