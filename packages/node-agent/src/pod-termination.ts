/**
 * Stopping containers and pods: signals to a container's processes, the preStop hook and the
 * grace period, deletion (the final status and delete), cleanup, and agent shutdown.
 */
import { readFileSync } from 'node:fs';
import { ApiError, R } from '@flotilla/kube-runtime';
import { runProbe } from './probes.js';
import { childrenOf, descendants, isAlive, signal } from './procs.js';
import { PodPrepare } from './pod-prepare.js';
import { removePodFiles } from './pod-files.js';
import { alive, type Ctr, type Run } from './pod-types.js';

export abstract class PodTermination extends PodPrepare {
  protected containerPid(run: Run): number | undefined {
    try {
      const j = JSON.parse(readFileSync(`${run.runPrefix}.info`, 'utf8'));
      const pid = Number(j['child-pid']);
      if (pid > 0 && isAlive(pid)) return pid;
    } catch {
      /* not yet written */
    }
    // shim → bwrap → container
    for (const b of childrenOf(run.shimPid)) for (const k of childrenOf(b)) return k;
    return undefined;
  }

  protected signalRun(run: Run, sig: NodeJS.Signals): void {
    if (run.exited || !isAlive(run.shimPid, run.shimStart || undefined)) return;
    if (this.ctx.mode === 'bwrap') {
      if (sig === 'SIGKILL') {
        const pid = this.containerPid(run);
        if (pid) signal(pid, 'SIGKILL');
        signal(-run.shimPid, 'SIGKILL');
        return;
      }
      // every process of the container (its PID namespace is the tree under its PID 1; PID 1
      // itself only dies of signals it handles, as in any container)
      const pid = this.containerPid(run);
      if (pid) for (const p of descendants(pid)) signal(p, sig);
      return;
    }
    // the shim traps SIGTERM and stays to record the exit code
    signal(-run.shimPid, sig);
  }

  protected waitExit(run: Run, ms: number): Promise<boolean> {
    if (run.exited) return Promise.resolve(true);
    return new Promise((resolve) => {
      let done = false;
      const finish = (v: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(t);
        clearInterval(poll);
        resolve(v);
      };
      const t = setTimeout(() => finish(run.exited), Math.max(0, ms));
      // adopted processes have no exit event: poll
      const poll = setInterval(() => {
        if (run.adopted && !isAlive(run.shimPid, run.shimStart)) this.pollAdopted();
      }, 100);
      run.exitWaiters.push(() => finish(true));
    });
  }

  /** Stops a container: preStop hook, SIGTERM, the grace period, SIGKILL. */
  async kill(c: Ctr, graceSeconds: number, reason: string): Promise<void> {
    const run = c.run;
    if (!run || run.exited) return;
    if (run.killReason) {
      await this.waitExit(run, graceSeconds * 1000 + 5000);
      return;
    }
    run.killReason = reason;
    for (const p of c.probes) p.stop();
    c.probes = [];
    const deadline = Date.now() + graceSeconds * 1000;
    const preStop = c.spec.lifecycle?.preStop;
    if (preStop && graceSeconds > 0) {
      const r = await Promise.race([
        runProbe({ ...preStop, timeoutSeconds: graceSeconds }, this.probeTarget(c, run)),
        new Promise<{ ok: boolean; message: string }>((res) => this.waitExit(run, graceSeconds * 1000).then(() => res({ ok: true, message: '' }))),
      ]);
      if (!r.ok) this.event('Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.message}`, c);
    }
    if (graceSeconds > 0) {
      this.signalRun(run, 'SIGTERM');
      await this.waitExit(run, deadline - Date.now());
    }
    if (!run.exited) {
      this.signalRun(run, 'SIGKILL');
      if (!(await this.waitExit(run, 5000))) {
        // the shim is gone without an exit event (adopted): settle it
        this.pollAdopted();
      }
    }
  }

  protected async stopAll(graceSeconds: number, reason: string): Promise<void> {
    const running = this.ctrs.filter((c) => alive(c));
    if (!running.length) return;
    const regular = running.filter((c) => c.kind !== 'sidecar');
    const sidecars = running.filter((c) => c.kind === 'sidecar').reverse();
    const deadline = Date.now() + graceSeconds * 1000;
    for (const c of regular) if (!c.run!.killReason) this.event('Normal', 'Killing', `Stopping container ${c.name}`, c);
    await Promise.all(regular.map((c) => this.kill(c, graceSeconds, reason)));
    for (const c of sidecars) {
      if (!c.run!.killReason) this.event('Normal', 'Killing', `Stopping container ${c.name}`, c);
      await this.kill(c, Math.max(0, Math.ceil((deadline - Date.now()) / 1000)), reason);
    }
  }

  terminate(): Promise<void> {
    this.terminatePromise ??= this.doTerminate();
    return this.terminatePromise;
  }

  protected async doTerminate(): Promise<void> {
    this.terminating = true;
    const md = this.pod.metadata ?? {};
    let grace: number;
    if (this.gone) grace = Math.min(2, this.graceSeconds());
    else if (md.deletionTimestamp && typeof md.deletionGracePeriodSeconds === 'number') grace = md.deletionGracePeriodSeconds;
    else grace = this.graceSeconds();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await this.stopAll(grace, 'pod deleted');
    if (!this.gone) {
      if (!this.terminal) {
        const regular = this.ctrs.filter((c) => c.kind === 'regular');
        const ok = regular.length > 0 && regular.every((c) => c.lastTerminated?.exitCode === 0);
        this.terminal = { phase: ok ? 'Succeeded' : 'Failed' };
      }
      await this.publishNow();
      try {
        await this.ctx.api.delete(R.pods, this.namespace, this.name, { gracePeriodSeconds: 0, uid: this.uid });
      } catch (e) {
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) this.ctx.log(`pod ${this.key}: final delete: ${(e as Error).message}`);
      }
    }
    this.cleanup();
  }

  /** Removes everything this pod left on the node. */
  cleanup(): void {
    if (this.removed) return;
    this.removed = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    for (const c of this.ctrs) {
      for (const p of c.probes) p.stop();
      c.log.close();
    }
    removePodFiles(this.ctx.dataDir, this.uid);
    // a state write in progress may put its file back into the removed directory
    void this.stateWrite?.then(() => removePodFiles(this.ctx.dataDir, this.uid));
    if (this.netReleased) {
      // given back when the pod finished: the address may be another pod's now
    } else if (this.ownNetwork()) {
      // the address is free again once its namespace and veth are gone
      void this.ctx.net
        .teardown(this.uid, this.ip)
        .catch((e) => this.ctx.log(`pod ${this.key}: removing its network: ${e.message}`))
        .finally(() => this.ctx.ipam.release(this.ip));
    } else if (this.ip !== this.ctx.hostIP) this.ctx.ipam.release(this.ip);
    this.ctx.onRemoved(this);
  }

  /** Agent shutdown: kill (or leave running, for a restart) without touching the API. */
  async shutdown(keepPods: boolean): Promise<void> {
    this.removed = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    for (const c of this.ctrs) {
      for (const p of c.probes) p.stop();
      c.probes = [];
    }
    if (!keepPods) {
      await Promise.all(
        this.ctrs.map(async (c) => {
          const run = c.run;
          if (!run || run.exited) return;
          run.killReason = 'agent stopped';
          this.signalRun(run, 'SIGTERM');
          await this.waitExit(run, 2000);
          if (!run.exited) {
            this.signalRun(run, 'SIGKILL');
            await this.waitExit(run, 3000);
          }
        }),
      );
    }
    await this.flushState();
    for (const c of this.ctrs) c.log.close();
  }
}
