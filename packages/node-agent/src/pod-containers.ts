/**
 * A container's process lifecycle: starting it (image, environment, mounts, sandbox, shim),
 * postStart, probes, exec beside it, its exit and the restart planned with back-off, and the
 * re-adoption of runs a previous agent started.
 */
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyImagePlan, fillPlaceholders, missingRequirement, planImage } from './images.js';
import { buildEnv } from './env.js';
import { findExecutable, launchSpec, linkMountsPlain, type Mount, type SandboxSpec } from './sandbox.js';
import { formatRecord } from './logs.js';
import { ProbeLoop, runProbe, type ProbeKind, type ProbeTarget } from './probes.js';
import { isAlive, procStartTime, signal } from './procs.js';
import { runProcess, type Spawned } from './spawner.js';
import { PodTermination } from './pod-termination.js';
import { commandForRun, containerMounts, execCommand, resolveArgv } from './pod-launch.js';
import { backoffDelay, errorBackoffDelay } from './pod-restart.js';
import { alive, DEFAULT_PATH, isoNow, shellQuote, type Ctr, type PodState, type Run } from './pod-types.js';

export abstract class PodContainers extends PodTermination {
  protected backoffDelay(level: number): number {
    return backoffDelay(level, this.ctx.backoffBaseMs, this.ctx.backoffMaxMs);
  }

  protected async maybeStart(c: Ctr): Promise<void> {
    if (this.terminating || this.terminal) return;
    const now = Date.now();
    if (now < c.retryAt) {
      this.wake(c.retryAt);
      return;
    }
    c.starting = true;
    try {
      await this.start(c);
    } catch (e) {
      this.ctx.log(`pod ${this.key}: starting ${c.name}: ${(e as Error).stack ?? e}`);
      this.waitingError(c, 'CreateContainerError', (e as Error).message);
    } finally {
      c.starting = false;
    }
  }

  /** A container that could not be created: waiting with a reason, retried with back-off. */
  protected waitingError(c: Ctr, reason: string, message: string, eventMessage?: string): void {
    c.state = { waiting: { reason, message } };
    const ev = eventMessage ?? `Error: ${message}`;
    this.event('Warning', 'Failed', ev, c);
    if (reason === 'ErrImagePull') this.event('Warning', 'Failed', `Error: ErrImagePull`, c);
    const delay = errorBackoffDelay(c.errLevel, this.ctx.backoffBaseMs, this.ctx.backoffMaxMs);
    c.errLevel++;
    c.retryAt = Date.now() + delay;
    this.wake(c.retryAt);
  }



  protected async start(c: Ctr): Promise<void> {
    const spec = c.spec;
    const image: string = spec.image ?? '';
    const img = this.ctx.images.resolve(image);
    if ('error' in img) {
      this.waitingError(c, 'ErrImagePull', img.error, `Failed to pull image "${image}": ${img.error}`);
      return;
    }
    let env: Record<string, string>;
    try {
      env = await buildEnv(
        { api: this.ctx.api, pod: this.pod, podIP: this.ip, services: this.ctx.servicesIn(this.namespace), apiHost: this.ctx.apiHost, apiPort: this.ctx.apiPort, alloc: this.ctx.alloc },
        spec,
      );
    } catch (e) {
      if (this.removed) return;
      this.waitingError(c, 'CreateContainerConfigError', (e as Error).message);
      return;
    }
    // the agent may have been stopped, or the pod deleted, while the environment was fetched
    if (this.removed || this.terminating || this.terminal) return;
    const missing = missingRequirement(img.mapping, process.env.PATH || DEFAULT_PATH);
    if (missing) {
      this.waitingError(c, 'ErrImagePull', `image "${image}" runs the host program ${missing.program}, which is not installed on this host: install the Debian package ${missing.package} (scripts/system-deps.sh does), or map "${img.key}" to another program in ${this.ctx.images.file}`);
      return;
    }
    let { argv, fromImage } = resolveArgv(c.spec, env, img.mapping, { tag: img.ref.tag, podIP: this.ip, listenIP: this.listenIP() });
    if (!argv.length) {
      this.waitingError(c, 'CreateContainerError', `failed to generate container "${c.name}" spec: no command specified (image "${image}" maps to no entrypoint: set command in the pod or an entrypoint in the image table)`);
      return;
    }
    const vars = { tag: img.ref.tag, podIP: this.ip, listenIP: this.listenIP() };
    const imageEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(img.mapping.env ?? {})) imageEnv[k] = fillPlaceholders(v, vars);
    let fullEnv: Record<string, string> = { PATH: process.env.PATH || DEFAULT_PATH, HOSTNAME: this.hostname(), HOME: process.getuid?.() === 0 ? '/root' : process.env.HOME ?? '/', FLOTILLA_POD_IP: this.ip, FLOTILLA_LISTEN_IP: this.listenIP(), ...imageEnv, ...env };
    let mounts: Mount[];
    try {
      mounts = containerMounts(c, env, this.volumeHosts, !!this.autoSA);
    } catch (e) {
      this.waitingError(c, 'CreateContainerConfigError', (e as Error).message);
      return;
    }
    // the image's own part: its entrypoint behaviour (adapter), volumes and files
    const plan = planImage(img.mapping, { argv, env: fullEnv, podMounts: mounts.map((m) => m.path), hostDir: join(this.dir, 'image', c.name), vars });
    try {
      if ('error' in plan) throw new Error(plan.error);
      applyImagePlan(plan);
    } catch (e) {
      this.waitingError(c, 'CreateContainerError', `image "${image}": ${(e as Error).message}`);
      return;
    }
    ({ argv, env: fullEnv } = plan);
    mounts = [...plan.mounts, ...mounts];
    const workingDir: string | undefined = spec.workingDir || img.mapping.workingDir || undefined;
    this.event('Normal', 'Pulled', `Container image "${image}" already present on machine`, c);

    const restart = c.runs;
    const runPrefix = join(this.dir, `${c.name}.${restart}`);
    for (const x of ['exit', 'info', 'stdout.rest', 'stderr.rest']) if (existsSync(`${runPrefix}.${x}`)) rmSync(`${runPrefix}.${x}`, { force: true });
    const termLog = `${runPrefix}.termlog`;
    writeFileSync(termLog, '');
    const tmpDir = join(this.ctx.dataDir, 'tmp', `${this.uid}-${c.name}`);
    mkdirSync(tmpDir, { recursive: true, mode: 0o1777 });
    const files: Mount[] = [{ host: join(this.dir, 'hosts'), path: '/etc/hosts', readOnly: true }];
    if (existsSync(join(this.dir, 'resolv.conf'))) files.push({ host: join(this.dir, 'resolv.conf'), path: '/etc/resolv.conf', readOnly: true });
    const tmp = spec.terminationMessagePath ?? '/dev/termination-log';
    files.push({ host: termLog, path: tmp });
    const fsRoot = join(this.dir, 'fs', c.name);
    // tty: the container runs on a terminal of its own (script(1) allocates it; its output is the log)
    const ttyArgv = spec.tty ? ['script', '-qfec', argv.map(shellQuote).join(' '), '/dev/null'] : argv;
    const sandbox: SandboxSpec = { argv: ttyArgv, env: spec.tty ? { TERM: 'xterm', ...fullEnv } : fullEnv, workingDir, mounts, hostname: this.hostname(), tmpDir, fsRoot, files };

    const exe = findExecutable(argv[0], fullEnv.PATH, mounts, workingDir);
    const containerID = `flotilla://${randomBytes(32).toString('hex')}`;
    c.imageID = `flotilla.local/${img.ref.repo}@sha256:${createHash('sha256').update(JSON.stringify([img.key, img.mapping])).digest('hex')}`;
    if (!exe) {
      if (fromImage && !img.mapping.hostUserland) {
        this.waitingError(
          c,
          'ErrImagePull',
          `image "${image}" is mapped to the program "${argv[0]}", which is not installed on this host: install it, or change the mapping of "${img.key}" in ${this.ctx.images.file} or the node agent's "images" option`,
        );
        return;
      }
      const message =
        `exec: "${argv[0]}": ${argv[0].includes('/') ? `stat ${argv[0]}: no such file or directory` : 'executable file not found in $PATH'}` +
        (img.mapping.hostUserland
          ? ` (the host's userland stands in for image "${image}" on node ${this.ctx.nodeName}: the program must be installed on the host, or the image mapped to a program in ${this.ctx.images.file})`
          : ` (image "${image}" runs as mapped in the image table: ${img.mapping.description ?? img.key})`);
      this.event('Normal', 'Created', `Created container: ${c.name}`, c);
      this.event('Warning', 'Failed', `Error: ${message}`, c);
      const now = isoNow();
      c.runs++;
      c.restartCount = c.runs - 1;
      c.containerID = containerID;
      c.lastState = c.lastTerminated ? { terminated: c.lastTerminated } : {};
      this.exited(c, { exitCode: 128, reason: 'StartError', message, startedAt: '1970-01-01T00:00:00Z', finishedAt: now, containerID }, 0);
      return;
    }

    if (this.ctx.mode === 'none') {
      rmSync(fsRoot, { recursive: true, force: true });
      linkMountsPlain(sandbox, (t, p) => symlinkSync(t, p));
    }
    const launch = launchSpec(this.ctx.mode, this.ctx.bwrap, sandbox);
    const fifo = this.fifoPaths(c);
    c.log.openFifos(fifo.out, fifo.err);
    c.log.beginRun(restart);

    let child: Spawned;
    try {
      // through the agent's process helper: a fork here would block the agent's event loop (see spawner.ts)
      // BestEffort pods yield the CPU to everything else (a kubelet gives them the smallest cpu.shares)
      // (the process helper of that priority starts them: see spawner.ts)
      const nice = this.pod.status?.qosClass === 'BestEffort' && this.ctx.bestEffortNice ? this.ctx.bestEffortNice : undefined;
      child = await runProcess({
        file: '/bin/sh',
        // (an argument or variable holding a NUL ends there, as execve's C strings do in any container runtime)
        args: [this.ctx.shim, runPrefix, fifo.out, fifo.err, spec.stdin ? `${this.ctx.mode}:in` : this.ctx.mode, String(this.ctx.reader.pid), this.ctx.reader.token, '--', ...this.netWrap(), launch.file, ...launch.args].map(cString),
        nice,
        detached: true,
        hold: false,
        cwd: launch.cwd,
        env: launch.env && Object.fromEntries(Object.entries(launch.env).map(([k, v]) => [k, v === undefined ? v : cString(v)])),
      });
    } catch (e) {
      const message = `failed to start the container process: ${(e as Error).message}`;
      this.event('Warning', 'Failed', `Error: ${message}`, c);
      c.runs++;
      c.restartCount = c.runs - 1;
      this.exited(c, { exitCode: 128, reason: 'StartError', message, startedAt: '1970-01-01T00:00:00Z', finishedAt: isoNow(), containerID }, 0);
      return;
    }
    // deleted (or the agent stopped) while the helper started it: nothing else would stop this process
    if (this.removed || this.terminating) {
      signal(-child.pid, 'SIGKILL');
      return;
    }
    // registered before anything else can run: a stop() or a deletion always sees this process
    const startedMs = Date.now();
    const status: Run['child'] = { exitCode: null, signalCode: null };
    const run: Run = {
      restart,
      shimPid: child.pid,
      shimStart: procStartTime(child.pid) ?? '',
      runPrefix,
      startedAt: isoNow(),
      startedMs,
      image,
      containerID,
      sandbox,
      child: status,
      exited: false,
      exitWaiters: [],
    };
    child.exited.then(
      (e) => {
        status!.exitCode = e.code;
        status!.signalCode = e.signal;
        void this.onExit(c, run);
      },
      // the helper is gone: the process is watched by its pid, as a re-adopted one
      () => (run.adopted = true),
    );
    c.run = run;
    c.runs++;
    c.restartCount = c.runs - 1;
    c.containerID = containerID;
    c.lastImage = image;
    c.errLevel = 0;
    c.lastState = c.lastTerminated ? { terminated: c.lastTerminated } : {};
    c.state = { running: { startedAt: run.startedAt } };
    c.started = !spec.startupProbe;
    this.saveState();
    this.event('Normal', 'Created', `Created container: ${c.name}`, c);
    this.event('Normal', 'Started', `Started container ${c.name}`, c);
    this.startProbes(c, run);
    if (spec.lifecycle?.postStart) void this.postStart(c, run);
  }

  protected async postStart(c: Ctr, run: Run): Promise<void> {
    const r = await runProbe({ ...c.spec.lifecycle.postStart, timeoutSeconds: this.graceSeconds() || 30 }, this.probeTarget(c, run));
    if (!r.ok && !run.exited) {
      this.event('Warning', 'FailedPostStartHook', `PostStartHook failed: ${r.message}`, c);
      void this.kill(c, this.graceSeconds(), 'FailedPostStartHook');
    }
  }

  // ------------------------------------------------------------------------------------ probes

  protected probeTarget(c: Ctr, run: Run): ProbeTarget {
    return {
      podIP: this.ip,
      ports: c.spec.ports ?? [],
      dial: this.ownNetwork() ? (host, port) => this.ctx.net.dial(host, port) : undefined,
      exec: (cmd, timeoutMs) => this.execIn(run, cmd, timeoutMs),
    };
  }

  /** Runs a command with the container's filesystem view and environment (probes, hooks). */
  /**
   * The command line that runs `cmd` beside a running container: its filesystem view, environment
   * and network (probes, hooks, `kubectl exec`). Undefined when the container is not running.
   */
  commandIn(container: string, cmd: string[]): { file: string; args: string[]; cwd: string; env: Record<string, string> } | undefined {
    const c = this.byName.get(container);
    if (!c || !alive(c)) return undefined;
    return this.commandForRun(c.run!, cmd);
  }

  protected commandForRun(run: Run, cmd: string[]): { file: string; args: string[]; cwd: string; env: Record<string, string> } {
    return commandForRun(run.sandbox, cmd, this.ctx.mode, this.ctx.bwrap, this.netWrap());
  }

  execIn(run: Run, cmd: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
    return execCommand(this.commandForRun(run, cmd), timeoutMs);
  }

  protected startProbes(c: Ctr, run: Run): void {
    for (const p of c.probes) p.stop();
    c.probes = [];
    const spec = c.spec;
    const target = this.probeTarget(c, run);
    const names: Record<ProbeKind, string> = { startup: 'Startup', readiness: 'Readiness', liveness: 'Liveness' };
    const make = (kind: ProbeKind, probe: any) =>
      new ProbeLoop(
        kind,
        probe,
        target,
        (k, ok, message) => {
          if (run.exited || c.run !== run) return;
          if (k === 'startup' && ok) {
            c.started = true;
            for (const p of c.probes) if (p.kind === 'startup') p.stop();
            c.probes = c.probes.filter((p) => p.kind !== 'startup');
            this.startLiveReady(c, run, make);
            this.schedule();
            return;
          }
          if ((k === 'liveness' || k === 'startup') && !ok) {
            this.event('Normal', 'Killing', `Container ${c.name} failed ${k} probe, will be restarted`, c);
            const g = probe.terminationGracePeriodSeconds ?? this.graceSeconds();
            void this.kill(c, g, `${k} probe failed: ${message}`);
            return;
          }
          this.schedule();
        },
        (k, message) => {
          if (run.exited || c.run !== run) return;
          this.event('Warning', 'Unhealthy', `${names[k]} probe failed: ${message}`, c);
        },
      );
    if (spec.startupProbe) {
      const p = make('startup', spec.startupProbe);
      c.probes.push(p);
      p.start();
    } else this.startLiveReady(c, run, make);
  }

  protected startLiveReady(c: Ctr, _run: Run, make: (kind: ProbeKind, probe: any) => ProbeLoop): void {
    if (c.kind === 'init') return;
    for (const [kind, probe] of [
      ['readiness', c.spec.readinessProbe],
      ['liveness', c.spec.livenessProbe],
    ] as const) {
      if (!probe) continue;
      const p = make(kind, probe);
      c.probes.push(p);
      p.start();
    }
  }

  // ------------------------------------------------------------------------------------ exit

  protected readExit(run: Run): number | undefined {
    try {
      const t = readFileSync(`${run.runPrefix}.exit`, 'utf8').trim();
      if (/^\d+$/.test(t)) return Number(t);
    } catch {
      /* none */
    }
    return undefined;
  }

  protected async onExit(c: Ctr, run: Run, finishedAt?: string): Promise<void> {
    // the run counts as alive until its exit is recorded (a sync pass must not see it half-done)
    if (run.exited || run.exiting) return;
    run.exiting = true;
    for (const p of c.probes) p.stop();
    c.probes = [];
    let code = this.readExit(run);
    if (code === undefined) {
      const sig = run.child?.signalCode;
      code = sig ? 128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : 6) : run.child?.exitCode ?? 137;
      if (!run.child) code = 137;
    }
    if (c.log.running && c.log.currentRun === run.restart) {
      const rest = (s: string): Buffer | undefined => {
        try {
          return readFileSync(`${run.runPrefix}.${s}.rest`);
        } catch {
          return undefined;
        }
      };
      await c.log.endRun({ stdout: rest('stdout'), stderr: rest('stderr') });
    }
    let message: string | undefined;
    try {
      const t = readFileSync(`${run.runPrefix}.termlog`, 'utf8');
      if (t) message = t.slice(0, 4096);
    } catch {
      /* none */
    }
    if (!message && code !== 0 && c.spec.terminationMessagePolicy === 'FallbackToLogsOnError') {
      const rs = c.log.read(run.restart).slice(-80);
      message = rs.map((r) => formatRecord(r, false)).join('').slice(-2048);
    }
    const term: any = {
      exitCode: code,
      reason: code === 0 ? 'Completed' : 'Error',
      ...(message ? { message } : {}),
      startedAt: run.startedAt,
      finishedAt: finishedAt ?? isoNow(),
      containerID: run.containerID,
    };
    run.exited = true;
    if (c.run === run) c.run = undefined;
    c.started = false;
    this.exited(c, term, Date.now() - run.startedMs);
    for (const w of run.exitWaiters.splice(0)) w();
  }

  /** Records a terminated run and plans the restart. */
  protected exited(c: Ctr, term: any, ranMs: number): void {
    c.lastTerminated = term;
    if (c.kind === 'init' && term.exitCode === 0) c.succeeded = true;
    if (this.wantsRestart(c, term.exitCode)) {
      if (ranMs >= 2 * this.ctx.backoffMaxMs) c.backoffLevel = 0;
      const delay = this.backoffDelay(c.backoffLevel);
      c.backoffLevel++;
      c.retryAt = Date.now() + delay;
      if (delay > 0) {
        c.lastState = { terminated: term };
        if (term.reason === 'StartError') c.state = { waiting: { reason: 'RunContainerError', message: term.message } };
        else c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${this.name}_${this.namespace}(${this.uid})` } };
        this.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${this.name}_${this.namespace}(${this.uid})`, c);
        this.wake(c.retryAt);
      } else c.state = { terminated: term };
    } else c.state = { terminated: term };
    this.saveState();
    // re-adopted pods are prepared again before the next status: show the exit now (not coalesced)
    if (!this.prepared) this.publish(0);
    this.schedule();
  }

  /** Polls re-adopted processes (not our children, so no exit event). */
  pollAdopted(): void {
    for (const c of this.ctrs) {
      const r = c.run;
      if (r && r.adopted && !r.exited && !isAlive(r.shimPid, r.shimStart)) {
        let at: string | undefined;
        try {
          at = statSync(`${r.runPrefix}.exit`).mtime.toISOString().replace(/\.\d{3}Z$/, 'Z');
        } catch {
          at = undefined;
        }
        void this.onExit(c, r, at);
      }
    }
  }

  /** Takes over the containers of a previous agent: running ones are adopted, dead ones recorded. */
  protected restore(s: PodState): void {
    this.prepared = false; // volumes are re-rendered (and FIFOs re-checked) on the first sync
    for (const c of this.ctrs) {
      const p = s.containers[c.name];
      if (!p) continue;
      c.runs = p.runs;
      c.restartCount = p.restartCount;
      c.containerID = p.containerID;
      c.imageID = p.imageID;
      c.lastImage = p.lastImage;
      c.state = p.state;
      c.lastState = p.lastState ?? {};
      c.lastTerminated = p.lastTerminated;
      c.succeeded = p.succeeded;
      c.backoffLevel = p.backoffLevel;
      if (c.state?.waiting && c.runs > 0 && c.lastTerminated) c.retryAt = Date.now();
      const r = p.run;
      if (!r) continue;
      const run: Run = { ...r, adopted: true, exited: false, exitWaiters: [] };
      const fifo = this.fifoPaths(c);
      const sameBoot = s.boot === this.ctx.boot;
      if (sameBoot && isAlive(r.shimPid, r.shimStart) && existsSync(fifo.out)) {
        c.run = run;
        try {
          c.log.openFifos(fifo.out, fifo.err);
        } catch (e) {
          this.ctx.log(`pod ${this.key}: reopening the logs of ${c.name}: ${(e as Error).message}`);
        }
        c.log.beginRun(r.restart);
        c.started = !c.spec.startupProbe;
        this.startProbes(c, run);
        this.ctx.log(`pod ${this.key}: re-adopted container ${c.name} (pid ${r.shimPid})`);
      } else {
        // it ended while no agent was watching
        let at: string | undefined;
        try {
          at = statSync(`${r.runPrefix}.exit`).mtime.toISOString().replace(/\.\d{3}Z$/, 'Z');
        } catch {
          at = undefined;
        }
        c.run = run;
        c.log.beginRun(r.restart);
        void this.onExit(c, run, at);
      }
    }
  }
}

/** A string as a C program receives it: up to its first NUL. */
export function cString(s: string): string {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}
