/**
 * argoexec.sh, the executor image's program in workflow pods (outside a cluster, with the node agent's
 * plain-process layout: FLOTILLA_POD_ROOT holds the pod's mount paths). The `init` of a plain container
 * is done in sh and writes a launcher whose emissary is sh: output passed through and teed, the exit
 * code recorded, signals forwarded, `wait`'s signal file obeyed; every other command, and any template
 * that has something to load or stage, runs Flotilla's argoexec (Node.js) as before. When the pod has nothing to
 * report, init prepares main's FIFOs and the emissary tees nothing. These paths start few processes (counted
 * with strace when it is installed).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARGO_VERSION } from '@flotilla/workflows-controller/version';

const SCRIPT = fileURLToPath(new URL('../argoexec.sh', import.meta.url));
const LAUNCHER_BODY = fileURLToPath(new URL('../argoexec-launcher.sh', import.meta.url));
const LIB = fileURLToPath(new URL('../argoexec-lib.sh', import.meta.url));
const DIST = fileURLToPath(new URL('.', import.meta.url));
const BIN = fileURLToPath(new URL('./bin.js', import.meta.url));
let root: string;
const r = (p: string) => join(root, p);
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

interface Run extends Promise<{ code: number | null; stdout: string; stderr: string }> {
  kill(s: NodeJS.Signals): void;
  output(): string;
}
function run(cmd: string, args: string[], env: Record<string, string>, input?: string): Run {
  const p = spawn(cmd, args, { env: { ...process.env, FLOTILLA_POD_ROOT: root, ARGO_NAMESPACE: 'argo', ARGO_POD_NAME: 'p', ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (input !== undefined) p.stdin!.end(input);
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d) => (stdout += d));
  p.stderr!.on('data', (d) => (stderr += d));
  const pr = new Promise((res) => p.on('close', (code) => res({ code, stdout, stderr }))) as Run;
  pr.kill = (s) => p.kill(s);
  pr.output = () => stdout;
  return pr;
}
const init = (template: object) => run('/bin/sh', [SCRIPT, process.execPath, 'init'], { ARGO_CONTAINER_NAME: 'init', ARGO_TEMPLATE: JSON.stringify(template) });
const launcher = () => r('/var/run/argo/argoexec');
const emissary = (cmd: string[], name: string, input?: string) => run(launcher(), ['emissary', '--', ...cmd], { ARGO_CONTAINER_NAME: name, ARGO_TEMPLATE: JSON.stringify(plain) }, input);
const plain = { name: 'main', container: { image: 'busybox', command: ['echo', 'hi'] }, inputs: { parameters: [{ name: 'x', value: '1' }] } };
const isFifo = (p: string) => existsSync(p) && statSync(p).isFIFO();

/**
 * The successful execve calls in `strace -f -e trace=execve` output (a failed one, e.g. a PATH entry without the
 * program, is no process; with -f a call may be split into `<unfinished ...>` and `<... execve resumed>` lines).
 */
function execs(trace: string): string[] {
  const out: string[] = [];
  const pending = new Map<string, string>();
  for (const line of trace.split('\n')) {
    const pid = line.split(/\s+/)[0]!;
    const call = /execve\("([^"]*)"/.exec(line);
    if (call && line.includes('<unfinished ...>')) pending.set(pid, call[1]!);
    else if (call && / = 0$/.test(line)) out.push(call[1]!);
    else if (line.includes('<... execve resumed>')) {
      if (/ = 0$/.test(line) && pending.has(pid)) out.push(pending.get(pid)!);
      pending.delete(pid);
    }
  }
  return out;
}
const straceMissing = (): string | undefined => {
  if (spawnSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' }).status !== 0) return 'strace is not installed';
  if (spawnSync('strace', ['-f', '-o', '/dev/null', 'true'], { stdio: 'ignore' }).status !== 0) return 'strace cannot trace here (ptrace not permitted)';
  return undefined;
};

describe('argoexec.sh', { skip: !existsSync(BIN) ? `${BIN} not built` : undefined, concurrency: false }, () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'argoexec-sh-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('init of a plain container writes the sh launcher without starting Node.js; other templates get the Node.js launcher', async () => {
    // PATH without node: init of a plain container must not need it
    const res = await run('/bin/sh', [SCRIPT, '/nonexistent/node', 'init'], { ARGO_CONTAINER_NAME: 'init', ARGO_TEMPLATE: JSON.stringify(plain), PATH: '/usr/bin:/bin' });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(statSync(launcher()).mode & 0o777, 0o755);
    assert.match(readFileSync(launcher(), 'utf8'), /main's emissary in sh/);
    assert.match(readFileSync(launcher(), 'utf8'), /^_argo_node='\/nonexistent\/node'$/m);
    for (const t of [
      { container: { image: 'busybox' }, outputs: { parameters: [{ name: 'p', valueFrom: { path: '/tmp/p' } }] } },
      { container: { image: 'busybox' }, inputs: { artifacts: [{ name: 'a', path: '/tmp/a', raw: { data: 'x' } }] } },
      { script: { image: 'busybox', source: 'echo' } },
      { container: { image: 'busybox' }, sidecars: [{ name: 's', image: 'busybox' }] },
    ]) {
      rmSync(launcher());
      const n = await init(t);
      assert.equal(n.code, 0, n.stderr);
      assert.match(readFileSync(launcher(), 'utf8'), /runs Flotilla's argoexec/, JSON.stringify(t));
    }
    // any other command is Flotilla's argoexec
    const v = await run('/bin/sh', [SCRIPT, process.execPath, 'version'], {});
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /argoexec: v3/);
    assert.equal((await init(plain)).code, 0);
  });

  it("the sh emissary passes output through, tees it, keeps stdin, records the exit code; `version` is argoexec's", async () => {
    const res = await emissary(['sh', '-c', 'echo out; cat; echo err >&2; exit 3'], 'main', 'from stdin\n');
    assert.equal(res.code, 3, res.stderr);
    assert.equal(res.stdout, 'out\nfrom stdin\n');
    assert.equal(res.stderr, 'err\n');
    assert.equal(readFileSync(r('/var/run/argo/ctr/main/stdout'), 'utf8'), 'out\nfrom stdin\n');
    assert.equal(readFileSync(r('/var/run/argo/ctr/main/stderr'), 'utf8'), 'err\n');
    assert.equal(readFileSync(r('/var/run/argo/ctr/main/exitcode'), 'utf8'), '3');
    assert.equal(existsSync(r('/var/run/argo/ctr/main/.out')), false, 'the FIFOs are removed');
    const v = await run(launcher(), ['version'], {});
    assert.match(v.stdout, /argoexec: v3/);
  });

  it('a program sh cannot find goes to the Node.js emissary: 127 with the runtime\'s message', async () => {
    const res = await emissary(['no-such-program-xyz'], 'nf');
    assert.equal(res.code, 127);
    assert.match(res.stderr, /exec: "no-such-program-xyz": executable file not found in \$PATH/);
    assert.equal(readFileSync(r('/var/run/argo/ctr/nf/exitcode'), 'utf8'), '127');
    assert.equal((await emissary(['/no/such/path'], 'nf2')).code, 127);
  });

  it('SIGTERM to the emissary reaches the command; its exit code is the container\'s', async () => {
    const p = emissary(['sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while true; do sleep 0.1; done'], 'sig');
    for (let i = 0; i < 100 && !p.output().includes('ready'); i++) await sleep(50);
    p.kill('SIGTERM');
    const res = await p;
    assert.equal(res.code, 42);
    assert.match(res.stdout, /got-term/);
    assert.equal(readFileSync(r('/var/run/argo/ctr/sig/exitcode'), 'utf8'), '42');
  });

  it('wait with nothing to report waits for main in sh and exits 0, without Node.js; any other wait is Node.js', async () => {
    const env = { ARGO_CONTAINER_NAME: 'wait', ARGO_TEMPLATE: JSON.stringify(plain), PATH: '/usr/bin:/bin' };
    rmSync(r('/var/run/argo/ctr/main'), { recursive: true, force: true }); // (an earlier test's main)
    const w = run('/bin/sh', [SCRIPT, '/nonexistent/node', 'wait'], { ...env, FLOTILLA_NOTHING_TO_REPORT: 'true' });
    let done = false;
    void w.then(() => (done = true));
    await sleep(600);
    assert.equal(done, false, 'waits while main runs');
    assert.equal((await emissary(['sh', '-c', 'exit 3'], 'main')).code, 3);
    const res = await w;
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /level=info msg="main container\(s\) finished: main=3 \(nothing to report\)"/);
    // its first line is upstream's (`argo logs … -c wait` contains "Executor"), with this installation's version
    assert.equal(res.stderr.split('\n')[0], `level=info msg="Starting Workflow Executor" version=${ARGO_VERSION}`);
    // without the controller's word, `wait` is Flotilla's argoexec (here a node that does not exist)
    const other = await run('/bin/sh', [SCRIPT, '/nonexistent/node', 'wait'], env);
    assert.equal(other.code, 127);
    assert.match(other.stderr, /nonexistent\/node/);
  });

  it('wait with nothing to report hands over to the full wait (Node.js) once main writes its progress to $ARGO_PROGRESS_FILE', async () => {
    const env = { ARGO_CONTAINER_NAME: 'wait', ARGO_TEMPLATE: JSON.stringify(plain), PATH: '/usr/bin:/bin', FLOTILLA_NOTHING_TO_REPORT: 'true', FLOTILLA_WAIT_RECHECK: '0.2', ARGO_PROGRESS_FILE: '/var/run/argo/progress' };
    rmSync(r('/var/run/argo/ctr/main'), { recursive: true, force: true });
    rmSync(r('/var/run/argo/progress'), { force: true });
    const w = run('/bin/sh', [SCRIPT, '/nonexistent/node', 'wait'], env);
    let done = false;
    void w.then(() => (done = true));
    await sleep(600);
    assert.equal(done, false, 'waits while main runs and writes no progress');
    writeFileSync(r('/var/run/argo/progress'), '0/100\n');
    const res = await w;
    // the full wait is started (here a node that does not exist: 127, named), told the first line is written
    assert.equal(res.code, 127, res.stderr);
    assert.equal(res.stderr.split('Starting Workflow Executor').length - 1, 1, res.stderr);
    assert.match(res.stderr, /nonexistent\/node/);
    rmSync(r('/var/run/argo/progress'), { force: true });
  });

  it('wait with nothing to report wakes through the FIFO `.exited` when main\'s exit code is written (sh launcher, Node.js), at once when it was written before', async () => {
    const env = { ARGO_CONTAINER_NAME: 'wait', ARGO_TEMPLATE: JSON.stringify(plain), PATH: '/usr/bin:/bin', FLOTILLA_NOTHING_TO_REPORT: 'true', FLOTILLA_WAIT_RECHECK: '60' };
    const dir = r('/var/run/argo/ctr/main');
    const blocked = async () => {
      rmSync(dir, { recursive: true, force: true });
      const w = run('/bin/sh', [SCRIPT, '/nonexistent/node', 'wait'], env);
      for (let i = 0; i < 100 && !existsSync(join(dir, '.exited')); i++) await sleep(50);
      assert.ok(statSync(join(dir, '.exited')).isFIFO(), 'wait made the FIFO');
      await sleep(200);
      return { w }; // (not `w` itself: an async function's result that is a promise is waited for)
    };
    // (the look at the file every FLOTILLA_WAIT_RECHECK = 60 s cannot be what ends these within 10 s)
    let { w } = await blocked();
    assert.equal((await emissary(['sh', '-c', 'exit 3'], 'main')).code, 3);
    let t = Date.now();
    let res = await w;
    assert.ok(Date.now() - t < 10_000, `woken after ${Date.now() - t} ms`);
    assert.match(res.stderr, /main=3 \(nothing to report\)/);
    ({ w } = await blocked());
    const { writeExitCode } = await import('./fsutil.js');
    t = Date.now();
    writeExitCode(join(dir, 'exitcode'), 7);
    res = await w;
    assert.ok(Date.now() - t < 10_000, `woken after ${Date.now() - t} ms`);
    assert.match(res.stderr, /main=7 \(nothing to report\)/);
    // main finished before wait started: the file is looked at after the FIFO is open
    t = Date.now();
    res = await run('/bin/sh', [SCRIPT, '/nonexistent/node', 'wait'], env);
    assert.ok(Date.now() - t < 10_000);
    assert.match(res.stderr, /main=7 \(nothing to report\)/);
    // nobody waiting: the write does not block
    rmSync(join(dir, 'exitcode'));
    writeExitCode(join(dir, 'exitcode'), 0);
    assert.equal(readFileSync(join(dir, 'exitcode'), 'utf8'), '0');
  });

  it("wait's signal file stops the command (deadline, stop): killed by a signal is 128+N", async () => {
    const p = emissary(['sleep', '30'], 'stop');
    const t0 = Date.now();
    for (let i = 0; i < 100 && !existsSync(r('/var/run/argo/ctr/stop/.out')); i++) await sleep(50);
    writeFileSync(r('/var/run/argo/ctr/stop/signal'), '15');
    const res = await p;
    assert.equal(res.code, 143);
    assert.ok(Date.now() - t0 < 5000, `stopped after ${Date.now() - t0} ms`);
    assert.equal(readFileSync(r('/var/run/argo/ctr/stop/exitcode'), 'utf8'), '143');
    assert.equal(existsSync(r('/var/run/argo/ctr/stop/signal')), false, 'the request is consumed');
  });
  it('init with nothing to report prepares main\'s FIFOs; the emissary then tees nothing: the output is the container\'s own, the exit code recorded, `wait` in sh woken', async () => {
    rmSync(r('/var/run/argo'), { recursive: true, force: true });
    const env = { ARGO_CONTAINER_NAME: 'init', ARGO_TEMPLATE: JSON.stringify(plain), PATH: '/usr/bin:/bin', FLOTILLA_NOTHING_TO_REPORT: 'true' };
    const res = await run('/bin/sh', [SCRIPT, '/nonexistent/node', 'init'], env);
    assert.equal(res.code, 0, res.stderr);
    const dir = r('/var/run/argo/ctr/main');
    for (const f of ['.out', '.err', '.exited']) assert.ok(isFifo(join(dir, f)), `${f} is a FIFO`);
    assert.equal(statSync(launcher()).mode & 0o777, 0o755);
    assert.match(readFileSync(launcher(), 'utf8'), /^_argo_nothing=true$/m);
    assert.deepEqual(readdirSync(r('/var/run/argo')).sort(), ['argoexec', 'ctr'], 'no temporary file left');
    // wait (sh) blocks on `.exited` while main runs
    const w = run('/bin/sh', [SCRIPT, '/nonexistent/node', 'wait'], { ARGO_CONTAINER_NAME: 'wait', ARGO_TEMPLATE: JSON.stringify(plain), PATH: '/usr/bin:/bin', FLOTILLA_NOTHING_TO_REPORT: 'true', FLOTILLA_WAIT_RECHECK: '60' });
    await sleep(300);
    const t = Date.now();
    const m = await emissary(['sh', '-c', 'echo out; cat; echo err >&2; exit 3'], 'main', 'from stdin\n');
    assert.equal(m.code, 3, m.stderr);
    assert.equal(m.stdout, 'out\nfrom stdin\n');
    assert.equal(m.stderr, 'err\n');
    assert.equal(readFileSync(join(dir, 'exitcode'), 'utf8'), '3');
    for (const f of ['stdout', 'stderr', '.exitcode']) assert.equal(existsSync(join(dir, f)), false, `no ${f}: nothing to report, nothing teed`);
    const wr = await w;
    assert.ok(Date.now() - t < 10_000, `woken after ${Date.now() - t} ms`);
    assert.equal(wr.code, 0, wr.stderr);
    assert.match(wr.stderr, /main container\(s\) finished: main=3 \(nothing to report\)/);
    // a second run reuses the FIFOs; the node agent's SIGTERM (deadline, stop: no Node.js `wait` writes a signal
    // file in such a pod, so no poller runs) reaches the command
    const p = emissary(['sleep', '30'], 'main');
    await sleep(300);
    const t0 = Date.now();
    p.kill('SIGTERM');
    assert.equal((await p).code, 143);
    assert.ok(Date.now() - t0 < 5000, `stopped after ${Date.now() - t0} ms`);
    assert.equal(readFileSync(join(dir, 'exitcode'), 'utf8'), '143');
    // the command's environment is the container's: the launcher's own variables do not overwrite it
    const envOut = await run(launcher(), ['emissary', '--', 'sh', '-c', 'echo "$node $bin $nothing $d $pid $code $n $s"'], { ARGO_CONTAINER_NAME: 'main', ARGO_TEMPLATE: JSON.stringify(plain), node: 'N', bin: 'B', nothing: 'X', d: 'D', pid: 'P', code: 'C', n: 'n1', s: 's1' });
    assert.equal(envOut.code, 0, envOut.stderr);
    assert.equal(envOut.stdout, 'N B X D P C n1 s1\n');
    // (the later tests' launcher tees)
    assert.equal((await init(plain)).code, 0);
    assert.match(readFileSync(launcher(), 'utf8'), /^_argo_nothing=false$/m);
  });

  it('paths with a single quote: the launcher quotes node, bin and its body (the sed fallback)', async () => {
    const odd = r("/it's here");
    mkdirSync(odd, { recursive: true });
    symlinkSync(SCRIPT, join(odd, 'argoexec.sh'));
    symlinkSync(LAUNCHER_BODY, join(odd, 'argoexec-launcher.sh'));
    symlinkSync(LIB, join(odd, 'argoexec-lib.sh'));
    symlinkSync(DIST, join(odd, 'dist'));
    symlinkSync(process.execPath, join(odd, "no'de"));
    const node = join(odd, "no'de");
    const res = await run('/bin/sh', [join(odd, 'argoexec.sh'), node, 'init'], { ARGO_CONTAINER_NAME: 'init', ARGO_TEMPLATE: JSON.stringify(plain) });
    assert.equal(res.code, 0, res.stderr);
    const text = readFileSync(launcher(), 'utf8');
    assert.ok(text.includes(`_argo_node='${node.replaceAll("'", "'\\''")}'\n`), text);
    // node and bin: any other command is the Node.js argoexec; the body: the emissary
    const v = await run(launcher(), ['version'], {});
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /argoexec: v3/);
    const e = await emissary(['sh', '-c', 'echo quoted; exit 4'], 'q');
    assert.equal(e.code, 4, e.stderr);
    assert.equal(e.stdout, 'quoted\n');
    assert.equal(readFileSync(r('/var/run/argo/ctr/q/stdout'), 'utf8'), 'quoted\n');
    assert.equal((await init(plain)).code, 0);
  });

  // Processes a plain pod's executor starts (successful execve calls, the scripts' own included), each phase
  // in a fresh pod directory, main's command `true` (a builtin of sh), `wait` after main. Before this was
  // counted: init 7 (sh, mkdir, sed, sed, cat, chmod, mv: 13 processes with the subshells), emissary 8–9 (the
  // launcher, mkdir, rm, mkfifo, tee, tee, the poller's sleep, rm, mv: 10–11 processes), wait 5 (sh, mkdir,
  // mkfifo, date, cat: 6 processes): 20–21. Now init 4 (sh, mkdir, mkfifo, chmod), emissary 1 (the launcher: no
  // signal-file poller when there is nothing to report), wait 2 (sh, date): 7.
  it('a plain pod with nothing to report starts few processes: init, the emissary and wait (strace)', { skip: straceMissing() }, async () => {
    const pod = mkdtempSync(join(tmpdir(), 'argoexec-sh-strace-'));
    try {
      const traced = async (name: string, cmd: string, args: string[], env: Record<string, string>) => {
        const out = join(pod, `${name}.trace`);
        const res = await run('strace', ['-f', '-e', 'trace=execve', '-o', out, cmd, ...args], { FLOTILLA_POD_ROOT: pod, ARGO_TEMPLATE: JSON.stringify(plain), FLOTILLA_NOTHING_TO_REPORT: 'true', ...env });
        assert.equal(res.code, 0, res.stderr);
        return execs(readFileSync(out, 'utf8'));
      };
      const init = await traced('init', '/bin/sh', [SCRIPT, process.execPath, 'init'], { ARGO_CONTAINER_NAME: 'init' });
      const em = await traced('emissary', join(pod, 'var/run/argo/argoexec'), ['emissary', '--', 'true'], { ARGO_CONTAINER_NAME: 'main' });
      const wait = await traced('wait', '/bin/sh', [SCRIPT, process.execPath, 'wait'], { ARGO_CONTAINER_NAME: 'wait' });
      const report = `init ${JSON.stringify(init)}, emissary ${JSON.stringify(em)}, wait ${JSON.stringify(wait)}`;
      assert.equal(readFileSync(join(pod, 'var/run/argo/ctr/main/exitcode'), 'utf8'), '0');
      assert.ok(init.length <= 4, report);
      assert.ok(em.length <= 1, report);
      assert.ok(wait.length <= 2, report);
      assert.ok(init.length + em.length + wait.length <= 7, report);
      assert.ok(![...init, ...em, ...wait].some((p) => /node$/.test(p)), `no Node.js: ${report}`);
    } finally {
      rmSync(pod, { recursive: true, force: true });
    }
  });
});
