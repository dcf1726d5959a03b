/**
 * `argoexec emissary -- COMMAND ARGS…`: main's process. Places the inputs init loaded, runs the
 * command (PATH lookup as the container's; an image's built-in program names resolved as the node
 * agent resolves them), copies its stdout/stderr to its own and tees them to
 * /var/run/argo/ctr/<container>/{stdout,stderr}, forwards signals (and the ones `wait` asks for
 * through the `signal` file), then leaves the outputs for `wait` and writes `exitcode` last.
 */
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, constants as fsc, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { constants as osc } from 'node:os';
import { mainContainers, type ExecutorEnv } from './env.js';
import { STAGING_SCRIPT, exitCodeFile, inputArtifactFile, local, outputArtifactFile, outputParamFile, signalFile, stagedScript, stderrFile, stdoutFile } from './paths.js';
import { move } from './artifacts/move.js';
import type { Artifact } from './artifacts/types.js';
import { outputArtifacts } from './outputs.js';
import { writeAtomic, writeExitCode } from './fsutil.js';
import { log, logError } from './log.js';

/** The image of the container this emissary runs in (from the template). */
export function containerImage(env: Pick<ExecutorEnv, 'template' | 'containerName'>): string | undefined {
  const t = env.template;
  const cs = t.containerSet?.containers?.find((c) => c.name === env.containerName);
  return cs?.image ?? t.container?.image ?? t.script?.image;
}

export { resolveImageCommand } from './image-commands.js';

/** The command after `--` (pure). */
export function commandOf(args: string[]): string[] {
  const i = args.indexOf('--');
  return i >= 0 ? args.slice(i + 1) : args;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Places input artifacts init left in the shared volume at their paths (unless a volume already holds them). */
function placeInputs(env: ExecutorEnv): void {
  for (const a of (env.template.inputs?.artifacts ?? []) as Artifact[]) {
    if (!a.path) continue;
    const staged = local(inputArtifactFile(a.name));
    if (!existsSync(staged)) continue;
    try {
      move(staged, a.path);
    } catch (e) {
      throw new Error(`cannot place input artifact ${a.name} at ${a.path}: ${(e as Error).message} (mount a volume there)`);
    }
  }
}

/** Copies output parameters and archives output artifacts into the shared volume for `wait`. */
export async function stageOutputs(env: ExecutorEnv): Promise<void> {
  for (const p of env.template.outputs?.parameters ?? []) {
    const path = p.valueFrom?.path;
    if (!path) continue;
    try {
      if (existsSync(path) && statSync(path).isFile()) writeAtomic(local(outputParamFile(p.name)), readFileSync(path));
    } catch (e) {
      logError(`output parameter ${p.name}: ${(e as Error).message}`);
    }
  }
  for (const a of outputArtifacts(env.template)) {
    const dest = local(outputArtifactFile(a.name));
    try {
      if (!existsSync(a.path!)) continue;
      await (await import('./artifacts/archive.js')).archive(a.path!, dest, a);
    } catch (e) {
      writeFileSync(`${dest}.error`, `failed to archive ${a.path}: ${(e as Error).message}`);
    }
  }
}

/** Waits for the containerSet containers this one depends on; false when one of them failed. */
async function waitDependencies(env: ExecutorEnv): Promise<boolean> {
  const c = env.template.containerSet?.containers?.find((x) => x.name === env.containerName);
  for (const dep of c?.dependencies ?? []) {
    const f = local(exitCodeFile(dep));
    while (!existsSync(f)) await sleep(200);
    if (readFileSync(f, 'utf8').trim() !== '0') {
      logError(`dependency ${dep} failed: not running ${env.containerName}`);
      return false;
    }
  }
  return true;
}

const end = (s: WriteStream) => new Promise<void>((r) => s.end(r));

/**
 * Two FIFOs in `dir` for a child's stdout and stderr: their write ends for its stdio, their read ends as streams.
 * Undefined when they cannot be made (the caller falls back to Node.js's pipes).
 */
function realPipes(dir: string): { writers: number[]; out: Socket; err: Socket; closeWriters: () => void; drained: Promise<unknown> } | undefined {
  const paths = [`${dir}/.out`, `${dir}/.err`];
  try {
    for (const p of paths) rmSync(p, { force: true });
    const r = spawnSync('mkfifo', ['-m', '600', ...paths], { stdio: 'ignore' });
    if (r.status !== 0) return undefined;
    // the read end first (non-blocking), then the write end opens at once
    const readers = paths.map((p) => openSync(p, fsc.O_RDONLY | fsc.O_NONBLOCK));
    const writers = paths.map((p) => openSync(p, fsc.O_WRONLY));
    const [out, err] = readers.map((fd) => new Socket({ fd, readable: true, writable: false })) as [Socket, Socket];
    const drained = Promise.all([out, err].map((s) => new Promise((res) => { s.on('end', res); s.on('close', res); s.on('error', res); })));
    return { writers, out, err, closeWriters: () => writers.forEach((fd) => closeSync(fd)), drained };
  } catch {
    return undefined;
  }
}

/**
 * A containerSet template's `retryStrategy` (`retries`, `duration` as Argo writes durations), for its containers'
 * emissaries. `retries` is the number of runs in all, as upstream's emissary counts them (its e2e
 * TestWorkflowTemplateWithRetryStrategyInContainerSet sees a failing container run twice with `retries: "2"`).
 */
export function containerSetRetry(env: Pick<ExecutorEnv, 'template'>): { retries: number; duration?: string } | undefined {
  const r = (env.template as { containerSet?: { retryStrategy?: { retries?: number | string; duration?: string } } }).containerSet?.retryStrategy;
  if (!r) return undefined;
  const retries = Number(r.retries ?? 0);
  if (!Number.isFinite(retries) || retries <= 0) return undefined;
  return { retries: Math.floor(retries), duration: r.duration };
}

export async function runEmissary(env: ExecutorEnv, args: string[]): Promise<number> {
  const name = env.containerName;
  const isMain = name === 'main';
  mkdirSync(local(`/var/run/argo/ctr/${name}`), { recursive: true });
  const finish = (code: number) => {
    writeExitCode(local(exitCodeFile(name)), code);
    return code;
  };
  let argv = commandOf(args);
  if (!argv.length) {
    logError('emissary: no command given (argoexec emissary -- COMMAND ARGS…)');
    return finish(1);
  }
  try {
    if (isMain) placeInputs(env);
    // the script: /argo/staging/script when the pod mounts that directory, else init's copy in /var/run/argo
    if (argv.includes(STAGING_SCRIPT) && !existsSync(STAGING_SCRIPT)) {
      const staged = local(stagedScript);
      if (!existsSync(staged) && env.template.script?.source !== undefined) writeAtomic(staged, env.template.script.source, 0o755);
      argv = argv.map((a) => (a === STAGING_SCRIPT ? staged : a));
    }
  } catch (e) {
    logError((e as Error).message);
    return finish(1);
  }
  if (!(await waitDependencies(env))) return finish(1);
  const image = containerImage(env);
  if (image) argv = (await import('./image-commands.js')).resolveImageCommand(argv, image);

  const out = createWriteStream(local(stdoutFile(name)));
  const err = createWriteStream(local(stderrFile(name)));
  // `wait` asks for a signal (deadline, stop) through a file in the shared volume
  const sigFile = local(signalFile(name));
  let stoppedByWait = false;
  let child: ReturnType<typeof spawn> | undefined;
  const forward = (sig: NodeJS.Signals) => () => {
    try {
      child?.kill(sig);
    } catch {
      /* gone */
    }
  };
  const sigs: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = sigs.map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  const poll = setInterval(() => {
    if (!existsSync(sigFile)) return;
    const n = Number(readFileSync(sigFile, 'utf8').trim());
    rmSync(sigFile, { force: true });
    if (Number.isInteger(n) && n > 0) {
      log(`signal ${n} requested by wait`);
      stoppedByWait = true;
      try {
        child?.kill(n);
      } catch {
        /* gone */
      }
    }
  }, 500);
  // a containerSet's container marks each run that starts its command in its log, as upstream's emissary does
  const inSet = !!env.template.containerSet?.containers?.some((x) => x.name === name);
  /** The command could not be executed (missing, not executable): the same every time, so never retried. */
  let execFailed = false;
  /** One run of the command; its exit code once its output is read to the end. */
  const runOnce = async (): Promise<number> => {
    // the command's stdout and stderr are pipes (FIFOs), as a container runtime's are: a program that opens
    // /dev/stdout or /dev/stderr (nginx's logs) can (Node.js's own pipes are sockets, which cannot be opened)
    const pipes = realPipes(dirname(local(stdoutFile(name))));
    const c = spawn(argv[0], argv.slice(1), { stdio: ['inherit', pipes?.writers[0] ?? 'pipe', pipes?.writers[1] ?? 'pipe'] as StdioOptions });
    child = c;
    // 'spawn' comes only once the program was executed, and before any of its output is read
    if (inSet) c.once('spawn', () => log('capturing logs'));
    pipes?.closeWriters();
    const childOut = pipes?.out ?? c.stdout!;
    const childErr = pipes?.err ?? c.stderr!;
    childOut.on('data', (d: Buffer) => {
      process.stdout.write(d);
      out.write(d);
    });
    childErr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      err.write(d);
    });
    const code = await new Promise<number>((resolve) => {
      c.on('error', (e: NodeJS.ErrnoException) => {
        const msg = e.code === 'ENOENT' ? `exec: "${argv[0]}": executable file not found in $PATH` : e.code === 'EACCES' ? `exec: "${argv[0]}": permission denied` : e.message;
        process.stderr.write(`${msg}\n`);
        err.write(`${msg}\n`);
        // and as the container's termination message (its status says why it ended; the node's message carries it)
        try {
          const tl = local('/dev/termination-log');
          if (existsSync(tl)) writeFileSync(tl, msg);
        } catch {
          /* not writable here */
        }
        execFailed = e.code === 'ENOENT' || e.code === 'EACCES';
        resolve(execFailed ? 127 : 1);
      });
      c.on('close', (x, sig) => resolve(x ?? 128 + ((sig && osc.signals[sig]) || 0)));
    });
    // what the command wrote is read to its end (the FIFOs end when the last writer closes them)
    if (pipes) await pipes.drained;
    return code;
  };
  // a containerSet's retryStrategy: the container runs again in place (`duration` apart), as upstream's emissary
  // does, `retries` runs in all (upstream's e2e sees 2 runs with retries "2"), and not when the command could not be
  // executed at all; its exit code is written once, for the last run
  const retry = containerSetRetry(env);
  let code = await runOnce();
  if (retry && code !== 0 && !execFailed && retry.retries > 1) {
    // the controller's duration parser, loaded only here (most containers never retry)
    const { parseDuration } = await import('@flotilla/workflows-controller/vars');
    let ms = 0;
    try {
      ms = (parseDuration(retry.duration) ?? 0) * 1000;
    } catch {
      log(`retryStrategy.duration ${JSON.stringify(retry.duration)} is not a duration: retrying at once`);
    }
    for (let run = 2; code !== 0 && !execFailed && !stoppedByWait && run <= retry.retries; run++) {
      log(`${name} exited with code ${code}: run ${run} of ${retry.retries}${ms ? ` in ${ms} ms` : ''}`);
      if (ms) await new Promise((r) => setTimeout(r, ms));
      code = await runOnce();
    }
  }
  clearInterval(poll);
  await Promise.all([end(out), end(err)]);
  if (isMain) await stageOutputs(env);
  // a sidecar stopped by wait once main was done ends cleanly (upstream ignores sidecars' codes; the pod completes)
  if (stoppedByWait && !mainContainers(env.template).includes(name) && code !== 0) {
    log(`sidecar ${name} stopped (exit code ${code})`);
    return finish(0);
  }
  return finish(code);
}
