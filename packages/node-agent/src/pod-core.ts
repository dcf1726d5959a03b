/**
 * The base of a pod worker: its fields and the pieces every layer uses — events, the sync
 * scheduling, status publishing (computed by pod-status.ts) and the state file. The layers
 * above it: pod-prepare.ts (volumes, network, FIFOs), pod-termination.ts (signals, kill,
 * terminate), pod-containers.ts (starting, probing, exits, re-adoption), pod.ts (the sync pass).
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, R } from '@flotilla/kube-runtime';
import { ContainerLog } from './logs.js';
import type { ProbeTarget } from './probes.js';
import { signal } from './procs.js';
import { buildPodStatus, podPhase, type ObservedPod } from './pod-status.js';
import { wantsRestart } from './pod-restart.js';
import { alive, isoNow, stable, type AgentContext, type Ctr, type Kind, type PersistedCtr, type PodState, type Run } from './pod-types.js';

/** A pod's status changes within this long are one write (ms). */
export const STATUS_COALESCE_MS = 200;
/**
 * A pod still starting (Pending before and after the change: an address, an init container running or done) is
 * written at most this often: kubelet's once-a-second relist shows such steps as late. A short pod's start and
 * end are then one write instead of two (its watchers, a workflow controller among them, get one event fewer).
 */
export const STARTING_COALESCE_MS = 1000;

export abstract class PodCore {
  pod: any;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly dir: string;
  ip: string;
  startTime: string;
  protected readonly ctrs: Ctr[] = [];
  protected readonly byName = new Map<string, Ctr>();
  protected prepared = false;
  /** ran on this node before an agent restart: Running while it is prepared again */
  protected wasPrepared = false;
  protected prepareError?: string;
  protected prepareLevel = 0;
  protected prepareRetryAt = 0;
  protected autoSA: boolean | undefined;
  protected volumeHosts = new Map<string, string>();
  protected readonly tokens = new Map<string, { token: string; refreshAt: number }>();
  protected initDone = false;
  protected terminal?: PodState['terminal'];
  /** the network was given back when the pod finished (its address may belong to another pod now) */
  protected netReleased = false;
  protected terminating = false;
  /** the pod object is gone from the API (force-deleted) */
  gone = false;
  removed = false;
  protected syncing = false;
  protected dirty = false;
  protected wakeTimer?: NodeJS.Timeout;
  protected wakeAt = 0;
  protected deadlineTimer?: NodeJS.Timeout;
  protected published?: string;
  protected publishedKeys: string[] = [];
  protected publishing = false;
  protected publishAgain = false;
  private publishTimer?: NodeJS.Timeout;
  private publishDue = 0;
  /** the phase of the last status written (Pending before the first) */
  protected publishedPhase = 'Pending';
  protected conditionTimes = new Map<string, { status: string; time: string }>();
  protected saveQueued = false;
  /** an asynchronous state write in progress (see saveState) */
  protected stateWrite?: Promise<void>;
  private stateDirty = false;
  protected lastVolumeRefresh = Date.now();
  protected terminatePromise?: Promise<void>;

  constructor(
    readonly ctx: AgentContext,
    pod: any,
    restored?: PodState,
  ) {
    this.pod = pod;
    this.uid = pod.metadata.uid;
    this.namespace = pod.metadata.namespace;
    this.name = pod.metadata.name;
    this.dir = join(ctx.dataDir, 'pods', this.uid);
    const spec = pod.spec ?? {};
    for (const c of spec.initContainers ?? []) this.addCtr(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init');
    for (const c of spec.containers ?? []) this.addCtr(c, 'regular');
    if (restored && restored.uid === this.uid) {
      this.ip = restored.ip;
      this.netReleased = !!restored.netReleased;
      if (!this.netReleased) ctx.ipam.reserve(this.ip);
      this.startTime = restored.startTime;
      this.terminal = restored.terminal;
      this.initDone = !!restored.initDone;
      this.wasPrepared = this.initDone || Object.values(restored.containers).some((c) => c.runs > 0);
      for (const c of pod.status?.conditions ?? []) if (c?.type && c.lastTransitionTime) this.conditionTimes.set(c.type, { status: c.status, time: c.lastTransitionTime });
      this.restore(restored);
      // containers that no longer run are shown as such now (not coalesced), not once they are started again
      if (this.ctrs.some((c) => c.runs > 0 && !alive(c))) this.publish(0);
    } else {
      // host-network pods share the node's address
      this.ip = pod.spec?.hostNetwork ? ctx.hostIP : ctx.ipam.allocate();
      this.startTime = isoNow();
    }
  }

  protected addCtr(spec: any, kind: Kind): void {
    const c: Ctr = {
      name: spec.name,
      kind,
      spec,
      runs: 0,
      restartCount: 0,
      state: { waiting: { reason: kind === 'regular' && (this.pod.spec?.initContainers ?? []).length ? 'PodInitializing' : 'ContainerCreating' } },
      lastState: {},
      succeeded: false,
      started: false,
      starting: false,
      retryAt: 0,
      backoffLevel: 0,
      errLevel: 0,
      probes: [],
      log: new ContainerLog(join(this.ctx.dataDir, 'logs', `${this.pod.metadata.uid}-${spec.name}`), this.ctx.logMaxBytes, this.ctx.logMaxFiles),
    };
    this.ctrs.push(c);
    this.byName.set(c.name, c);
  }

  get key(): string {
    return `${this.namespace}/${this.name}`;
  }

  protected fieldPath(c: Ctr): string {
    return `spec.${c.kind === 'regular' ? 'containers' : 'initContainers'}{${c.name}}`;
  }

  protected event(type: 'Normal' | 'Warning', reason: string, message: string, c?: Ctr): void {
    this.ctx.events.emit(this.pod, type, reason, message, c ? this.fieldPath(c) : undefined);
  }

  // ------------------------------------------------------------------------------------ updates

  update(pod: any): void {
    const oldMeta = this.pod.metadata ?? {};
    this.pod = pod;
    // a changed image restarts the container (the only in-place spec change Kubernetes allows)
    const specs = new Map<string, any>([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c: any) => [c.name, c]));
    for (const c of this.ctrs) {
      const s = specs.get(c.name);
      if (s) c.spec = s;
    }
    if (stable(oldMeta.labels) !== stable(pod.metadata?.labels) || stable(oldMeta.annotations) !== stable(pod.metadata?.annotations)) this.lastVolumeRefresh = 0;
    this.schedule();
  }

  /** Runs a sync pass soon (passes never overlap). */
  schedule(): void {
    if (this.removed) return;
    if (this.syncing) {
      this.dirty = true;
      return;
    }
    this.syncing = true;
    setImmediate(() => void this.runSync());
  }

  protected async runSync(): Promise<void> {
    try {
      do {
        this.dirty = false;
        try {
          await this.syncOnce();
        } catch (e) {
          this.ctx.log(`pod ${this.key}: sync failed: ${(e as Error).stack ?? e}`);
          this.wake(Date.now() + 2000);
        }
      } while (this.dirty && !this.removed);
    } finally {
      this.syncing = false;
    }
  }

  protected wake(at: number): void {
    if (this.removed) return;
    if (this.wakeTimer && this.wakeAt <= at && this.wakeAt > Date.now()) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.schedule();
      },
      Math.max(0, at - Date.now()),
    );
  }

  // ------------------------------------------------------------------------------------ sync

  protected restartPolicy(): string {
    return this.pod.spec?.restartPolicy ?? 'Always';
  }

  protected wantsRestart(c: Ctr, exitCode: number): boolean {
    return wantsRestart(c.kind, this.restartPolicy(), exitCode, !!(this.terminating || this.terminal || this.gone));
  }

  protected graceSeconds(): number {
    const g = this.pod.spec?.terminationGracePeriodSeconds;
    return typeof g === 'number' ? g : 30;
  }

  /**
   * A finished pod gives its network back, as a kubelet tears a finished pod's sandbox down: its namespace, its
   * veth on the node's bridge (a Linux bridge takes at most 1,023 ports, so finished pods kept until deleted
   * cut every new pod off) and its address. The status keeps showing the address, as Kubernetes does.
   */
  protected releaseNetwork(): void {
    if (this.netReleased || !this.terminal || !this.ownNetwork()) return;
    if (this.ctrs.some((c) => alive(c) || c.starting)) return;
    this.netReleased = true;
    this.saveState();
    const ip = this.ip;
    void this.ctx.net
      .teardown(this.uid, ip)
      .catch((e) => this.ctx.log(`pod ${this.key}: removing its network: ${e.message}`))
      .finally(() => this.ctx.ipam.release(ip));
  }

  /** the pod has a network namespace of its own (not hostNetwork, and the agent makes them) */
  protected ownNetwork(): boolean {
    return this.ctx.net.mode === 'netns' && !this.pod.spec?.hostNetwork;
  }

  /** where a server in the pod listens: everywhere in a network of its own, else on its pod IP */
  protected listenIP(): string {
    return this.ownNetwork() ? '0.0.0.0' : this.ip;
  }

  /** argv prefix entering the pod's network namespace */
  protected netWrap(): string[] {
    return this.ownNetwork() ? this.ctx.net.wrap(this.uid) : [];
  }

  protected hostname(): string {
    return String(this.pod.spec?.hostname || this.name).slice(0, 63);
  }

  protected fifoPaths(c: Ctr): { out: string; err: string; in: string } {
    return { out: join(this.dir, `${c.name}.out`), err: join(this.dir, `${c.name}.err`), in: join(this.dir, `${c.name}.in`) };
  }

  // ------------------------------------------------------------------------------------ status

  /** What the status is computed from (pod-status.ts). */
  protected observe(): ObservedPod {
    return {
      pod: this.pod,
      containers: this.ctrs.map((c) => ({
        name: c.name,
        kind: c.kind,
        spec: c.spec,
        state: c.state,
        lastState: c.lastState,
        restartCount: c.restartCount,
        runs: c.runs,
        imageID: c.imageID,
        containerID: c.containerID,
        lastImage: c.lastImage,
        succeeded: c.succeeded,
        alive: alive(c),
        started: c.started,
        starting: c.starting,
        readiness: c.probes.find((p) => p.kind === 'readiness')?.result,
      })),
      prepared: this.prepared,
      wasPrepared: this.wasPrepared,
      initDone: this.initDone,
      terminal: this.terminal,
      prepareError: this.prepareError,
      hostIP: this.ctx.hostIP,
      ip: this.ip,
      startTime: this.startTime,
    };
  }

  phase(): string {
    return podPhase(this.observe());
  }

  buildStatus(): any {
    const { status, times } = buildPodStatus(this.observe(), this.conditionTimes, isoNow());
    this.conditionTimes = times;
    return status;
  }

  /**
   * Writes the status soon: coalesced over STATUS_COALESCE_MS (the changes of a moment — an init container
   * that ran in 50 ms, `wait` exiting just after `main` — are one write, as kubelet's once-a-second relist
   * makes them), one request in flight per pod. `delayMs` 0: what an agent restart found is shown at once.
   */
  publish(delayMs = STATUS_COALESCE_MS): void {
    if (this.removed && !this.terminating) return;
    // still starting: Pending written and Pending now
    if (delayMs === STATUS_COALESCE_MS && this.publishedPhase === 'Pending' && this.phase() === 'Pending') delayMs = STARTING_COALESCE_MS;
    const due = Date.now() + delayMs;
    if (this.publishing) {
      // a write waiting to be coalesced goes sooner when this change must not wait
      if (!this.publishTimer || due >= this.publishDue) {
        this.publishAgain = true;
        return;
      }
      clearTimeout(this.publishTimer);
    }
    this.publishing = true;
    this.publishDue = due;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      void this.doPublish();
    }, delayMs);
  }

  protected async doPublish(): Promise<void> {
    try {
      do {
        this.publishAgain = false;
        // an agent that stopped meanwhile leaves the status as it was (its next start shows what it finds)
        if (this.removed && !this.terminating) break;
        await this.sendStatus();
        if (this.publishAgain) await new Promise((r) => setTimeout(r, STATUS_COALESCE_MS));
      } while (this.publishAgain);
    } finally {
      this.publishing = false;
    }
  }

  /** Writes the status now (a write waiting to be coalesced goes now). */
  async publishNow(): Promise<void> {
    if (this.publishTimer) {
      clearTimeout(this.publishTimer);
      this.publishTimer = undefined;
      this.publishing = false;
    }
    while (this.publishing) await new Promise((r) => setTimeout(r, 5));
    this.publishing = true;
    try {
      this.publishAgain = false;
      await this.sendStatus();
    } finally {
      this.publishing = false;
    }
    if (this.publishAgain) this.publish();
  }

  protected async sendStatus(): Promise<void> {
    if (!this.ctx.isCurrent(this.namespace, this.name, this.uid)) return;
    const st = this.buildStatus();
    const s = stable(st);
    if (s === this.published) return;
    const patch: any = { ...st };
    for (const k of this.publishedKeys) if (!(k in st)) patch[k] = null;
    try {
      const res = await this.ctx.api.patch(R.pods, this.namespace, this.name, { metadata: { uid: this.uid }, status: patch }, 'merge', 'status');
      this.published = s;
      this.publishedKeys = Object.keys(st);
      this.publishedPhase = String(st.phase ?? 'Pending');
      if (res?.metadata?.uid === this.uid) this.pod = { ...this.pod, status: res.status };
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      this.ctx.log(`pod ${this.key}: status update failed: ${(e as Error).message}`);
      setTimeout(() => this.publish(), 1000);
    }
  }

  // ------------------------------------------------------------------------------------ state

  protected statePath(): string {
    return join(this.dir, 'state.json');
  }

  protected persisted(): PodState {
    const containers: Record<string, PersistedCtr> = {};
    for (const c of this.ctrs) {
      const r = c.run;
      containers[c.name] = {
        runs: c.runs,
        restartCount: c.restartCount,
        containerID: c.containerID,
        imageID: c.imageID,
        lastImage: c.lastImage,
        state: c.state,
        lastState: c.lastState,
        lastTerminated: c.lastTerminated,
        succeeded: c.succeeded,
        backoffLevel: c.backoffLevel,
        ...(r && !r.exited
          ? { run: { restart: r.restart, shimPid: r.shimPid, shimStart: r.shimStart, runPrefix: r.runPrefix, startedAt: r.startedAt, startedMs: r.startedMs, image: r.image, containerID: r.containerID, sandbox: r.sandbox, killReason: r.killReason } }
          : {}),
      };
    }
    return { uid: this.uid, namespace: this.namespace, name: this.name, ip: this.ip, startTime: this.startTime, boot: this.ctx.boot, terminal: this.terminal, initDone: this.initDone, ...(this.netReleased ? { netReleased: true } : {}), containers };
  }

  /**
   * Saves the state file soon, off the event loop: a synchronous write and rename took ~10 ms each on
   * a small VM's ext4 under load (a rename over a file flushes the new one), and a burst of pods spent
   * seconds of the agent's event loop there. Writes of one pod are serialized; changes made during a
   * write are saved by the next one.
   */
  saveState(): void {
    if (this.removed) return;
    this.stateDirty = true;
    if (this.saveQueued || this.stateWrite) return;
    this.saveQueued = true;
    setImmediate(() => {
      this.saveQueued = false;
      if (!this.removed && !this.stateWrite) this.stateWrite = this.writeStateLoop().finally(() => (this.stateWrite = undefined));
    });
  }

  private async writeStateLoop(): Promise<void> {
    while (this.stateDirty && !this.removed) {
      this.stateDirty = false;
      const tmp = `${this.statePath()}.tmp`;
      try {
        await writeFile(tmp, JSON.stringify(this.persisted()), { mode: 0o600 });
        await rename(tmp, this.statePath());
      } catch (e) {
        // the pod's directory is gone (removed meanwhile): nothing to keep
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(this.dir)) this.ctx.log(`pod ${this.key}: saving state: ${(e as Error).message}`);
      }
    }
  }

  /** Writes the state file now (agent shutdown), after any write in progress. */
  protected async flushState(): Promise<void> {
    await this.stateWrite;
    if (!existsSync(this.dir)) return;
    const tmp = `${this.statePath()}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.persisted()), { mode: 0o600 });
      renameSync(tmp, this.statePath());
    } catch (e) {
      this.ctx.log(`pod ${this.key}: saving state: ${(e as Error).message}`);
    }
  }

  /** Running containers and their shims (their processes are the shim's descendants), for stats.ts. */
  usageRefs(): { name: string; rootPid: number; startedAt?: string }[] {
    return this.ctrs.filter((c) => alive(c)).map((c) => ({ name: c.name, rootPid: c.run!.shimPid, startedAt: c.run!.startedAt }));
  }

  /** The pids of the shims this worker owns (adopted or started). */
  shimPids(): number[] {
    return this.ctrs.filter((c) => alive(c)).map((c) => c.run!.shimPid);
  }

  // ------------------------------------------------------------------------------------ logs

  /**
   * The stdin FIFO of a running container with `stdin: true` (kubectl attach writes to it), and
   * whether the first attach ends it (`stdinOnce`).
   */
  stdinOf(name: string): { path: string; once: boolean } | undefined {
    const c = this.byName.get(name);
    if (!c || !c.spec.stdin || !alive(c)) return undefined;
    return { path: this.fifoPaths(c).in, once: !!c.spec.stdinOnce };
  }

  /** Ends a container's stdin: its shim closes the writer it holds (stdinOnce, after the first attach). */
  closeStdin(name: string): void {
    const c = this.byName.get(name);
    if (c && alive(c)) signal(c.run!.shimPid, 'SIGUSR1');
  }

  containerLog(name: string): ContainerLog | undefined {
    return this.byName.get(name)?.log;
  }

  containerInfo(name: string): { restartCount: number; runs: number; running: boolean; waiting?: string } | undefined {
    const c = this.byName.get(name);
    if (!c) return undefined;
    return { restartCount: c.restartCount, runs: c.runs, running: alive(c), waiting: c.state?.waiting?.reason };
  }

  // ------------------------------------------------------------------------------------ layers

  protected abstract syncOnce(): Promise<void>;
  protected abstract restore(s: PodState): void;
  protected abstract startProbes(c: Ctr, run: Run): void;
  protected abstract probeTarget(c: Ctr, run: Run): ProbeTarget;
  protected abstract onExit(c: Ctr, run: Run, finishedAt?: string): Promise<void>;
  abstract pollAdopted(): void;
  abstract kill(c: Ctr, graceSeconds: number, reason: string): Promise<void>;
  abstract terminate(): Promise<void>;
}
