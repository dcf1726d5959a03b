/**
 * One pod on this node: volumes, init containers in order (restartable ones as sidecars), the
 * containers, restarts with back-off, probes, status, termination — and the state file that lets
 * a restarted agent re-adopt the pod's processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync, realpathSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ApiError, R, type KubeClient, type EventRecorder } from '@flotilla/kube-runtime';
import { applyImagePlan, fillPlaceholders, missingRequirement, planImage, type ImageTable } from './images.js';
import { expandVars } from './expand.js';
import { buildEnv, ConfigError, type ServiceInfo } from './env.js';
import { renderVolume, VolumeError, writeAtomic, type VolumeContext } from './volumes.js';
import { findExecutable, launchSpec, linkMountsPlain, bwrapArgs, type FifoMaker, type BwrapContext, type Mount, type SandboxMode, type SandboxSpec } from './sandbox.js';
import { ContainerLog, formatRecord } from './logs.js';
import { ProbeLoop, runProbe, type ProbeKind, type ProbeTarget } from './probes.js';
import { childrenOf, descendants, isAlive, procStartTime, signal } from './procs.js';
import type { Ipam } from './ipam.js';
import type { PodNetwork } from './network.js';
import { HOST_NAME } from './egress.js';
import { resolvConf } from './services.js';

export interface AgentContext {
  api: KubeClient;
  nodeName: string;
  dataDir: string;
  images: ImageTable;
  mode: SandboxMode;
  bwrap?: BwrapContext;
  shim: string;
  log: (m: string) => void;
  events: EventRecorder;
  servicesIn(ns: string): ServiceInfo[];
  caPem: string;
  apiHost: string;
  apiPort: number;
  /** pod networking: a network namespace per pod, or the host's */
  net: PodNetwork;
  alloc: VolumeContext['nodeAllocatable'];
  backoffBaseMs: number;
  backoffMaxMs: number;
  logMaxBytes: number;
  logMaxFiles: number;
  ipam: Ipam;
  boot: string;
  hostIP: string;
  /** false when the pod with this namespace/name is not (or no longer) this uid */
  isCurrent(ns: string, name: string, uid: string): boolean;
  onRemoved(w: PodWorker): void;
  fifos: FifoMaker;
  /** ServiceAccounts known from a watch: true/false = automount, undefined = unknown */
  serviceAccount(ns: string, name: string): { automount?: boolean } | undefined;
}

type Kind = 'init' | 'sidecar' | 'regular';

interface Run {
  restart: number;
  shimPid: number;
  shimStart: string;
  /** path prefix of the run's files: `.exit`, `.info`, `.termlog`, `.stdout.rest` */
  runPrefix: string;
  startedAt: string;
  startedMs: number;
  image: string;
  containerID: string;
  sandbox: SandboxSpec;
  child?: ChildProcess;
  adopted?: boolean;
  exiting?: boolean;
  exited: boolean;
  killReason?: string;
  exitWaiters: (() => void)[];
}

interface Ctr {
  name: string;
  kind: Kind;
  spec: any;
  runs: number;
  restartCount: number;
  containerID?: string;
  imageID?: string;
  /** the image of the latest run */
  lastImage?: string;
  state: any;
  lastState: any;
  lastTerminated?: any;
  succeeded: boolean;
  started: boolean;
  run?: Run;
  starting: boolean;
  retryAt: number;
  backoffLevel: number;
  errLevel: number;
  lastEvent?: string;
  probes: ProbeLoop[];
  log: ContainerLog;
}

export interface PersistedCtr {
  runs: number;
  restartCount: number;
  containerID?: string;
  imageID?: string;
  lastImage?: string;
  state: any;
  lastState: any;
  lastTerminated?: any;
  succeeded: boolean;
  backoffLevel: number;
  run?: Omit<Run, 'child' | 'exited' | 'exiting' | 'exitWaiters' | 'adopted'>;
}

export interface PodState {
  uid: string;
  namespace: string;
  name: string;
  ip: string;
  startTime: string;
  boot: string;
  terminal?: { phase: 'Succeeded' | 'Failed'; reason?: string; message?: string };
  initDone?: boolean;
  containers: Record<string, PersistedCtr>;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const AUTO_SA_VOLUME = 'kube-api-access-flotilla';

export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function alive(c: Ctr): boolean {
  return !!c.run && !c.run.exited;
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
}

export class PodWorker {
  pod: any;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly dir: string;
  ip: string;
  startTime: string;
  private readonly ctrs: Ctr[] = [];
  private readonly byName = new Map<string, Ctr>();
  private prepared = false;
  /** ran on this node before an agent restart: Running while it is prepared again */
  private wasPrepared = false;
  private prepareError?: string;
  private prepareLevel = 0;
  private prepareRetryAt = 0;
  private autoSA: boolean | undefined;
  private volumeHosts = new Map<string, string>();
  private readonly tokens = new Map<string, { token: string; refreshAt: number }>();
  private initDone = false;
  private terminal?: PodState['terminal'];
  private terminating = false;
  /** the pod object is gone from the API (force-deleted) */
  gone = false;
  removed = false;
  private syncing = false;
  private dirty = false;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = 0;
  private deadlineTimer?: NodeJS.Timeout;
  private published?: string;
  private publishedKeys: string[] = [];
  private publishing = false;
  private publishAgain = false;
  private conditionTimes = new Map<string, { status: string; time: string }>();
  private saveQueued = false;
  private lastVolumeRefresh = Date.now();

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
      ctx.ipam.reserve(this.ip);
      this.startTime = restored.startTime;
      this.terminal = restored.terminal;
      this.initDone = !!restored.initDone;
      this.wasPrepared = this.initDone || Object.values(restored.containers).some((c) => c.runs > 0);
      for (const c of pod.status?.conditions ?? []) if (c?.type && c.lastTransitionTime) this.conditionTimes.set(c.type, { status: c.status, time: c.lastTransitionTime });
      this.restore(restored);
      // containers that no longer run are shown as such now, not once they are started again
      if (this.ctrs.some((c) => c.runs > 0 && !alive(c))) this.publish();
    } else {
      // host-network pods share the node's address
      this.ip = pod.spec?.hostNetwork ? ctx.hostIP : ctx.ipam.allocate();
      this.startTime = isoNow();
    }
  }

  private addCtr(spec: any, kind: Kind): void {
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

  private fieldPath(c: Ctr): string {
    return `spec.${c.kind === 'regular' ? 'containers' : 'initContainers'}{${c.name}}`;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, c?: Ctr): void {
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

  private async runSync(): Promise<void> {
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

  private wake(at: number): void {
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

  private restartPolicy(): string {
    return this.pod.spec?.restartPolicy ?? 'Always';
  }

  private wantsRestart(c: Ctr, exitCode: number): boolean {
    if (this.terminating || this.terminal || this.gone) return false;
    if (c.kind === 'sidecar') return true;
    if (c.kind === 'init') return exitCode !== 0 && this.restartPolicy() !== 'Never';
    const p = this.restartPolicy();
    return p === 'Always' || (p === 'OnFailure' && exitCode !== 0);
  }

  private async syncOnce(): Promise<void> {
    if (this.removed) return;
    if (this.gone || this.pod.metadata?.deletionTimestamp) {
      await this.terminate();
      return;
    }
    if (!this.prepared) {
      if (Date.now() < this.prepareRetryAt) {
        this.wake(this.prepareRetryAt);
        this.publish();
        return;
      }
      await this.prepare();
      if (!this.prepared) {
        this.publish();
        return;
      }
    } else if (Date.now() - this.lastVolumeRefresh > 60_000) {
      this.lastVolumeRefresh = Date.now();
      await this.renderVolumes(true).catch(() => {});
    }
    if (this.terminal) {
      await this.stopAll(this.graceSeconds(), 'pod is terminal');
      this.publish();
      return;
    }
    const ads = this.pod.spec?.activeDeadlineSeconds;
    if (typeof ads === 'number' && Date.parse(this.startTime) + ads * 1000 <= Date.now()) {
      this.setTerminal('Failed', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
      this.event('Warning', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
      this.publish();
      await this.stopAll(this.graceSeconds(), 'deadline exceeded');
      this.publish();
      return;
    }
    // a container whose image changed is restarted with the new one
    for (const c of this.ctrs) {
      if (alive(c) && c.run!.image !== c.spec.image && !c.run!.killReason) {
        this.event('Normal', 'Killing', `Container ${c.name} definition changed, will be restarted`, c);
        c.backoffLevel = 0;
        void this.kill(c, this.graceSeconds(), 'definition changed').then(() => this.schedule());
      }
    }

    // init containers, in order
    let initDone = true;
    for (const c of this.ctrs) {
      if (c.kind === 'regular') continue;
      if (c.kind === 'sidecar') {
        if (!alive(c) && !c.starting) await this.maybeStart(c);
        // once the pod is initialized, a sidecar that restarts does not hold the containers back
        if (!(alive(c) && c.started) && !this.initDone) {
          initDone = false;
          break;
        }
        continue;
      }
      if (c.succeeded || this.initDone) continue;
      initDone = false;
      if (alive(c) || c.starting) break;
      const failed = c.runs > 0 && (c.lastTerminated?.exitCode ?? 1) !== 0;
      if (failed && this.restartPolicy() === 'Never') {
        this.setTerminal('Failed');
        await this.stopAll(this.graceSeconds(), 'init container failed');
        break;
      }
      await this.maybeStart(c);
      break;
    }
    // initialization happens once: afterwards only the containers (and sidecars) are restarted
    if (initDone && !this.initDone) {
      this.initDone = true;
      this.saveState();
    }
    if (this.initDone && !this.terminal) {
      const regular = this.ctrs.filter((c) => c.kind === 'regular');
      for (const c of regular) if (c.runs === 0 && c.state.waiting?.reason === 'PodInitializing') c.state = { waiting: { reason: 'ContainerCreating' } };
      await Promise.all(
        regular.map(async (c) => {
          if (alive(c) || c.starting) return;
          if (c.runs === 0 || this.wantsRestart(c, c.lastTerminated?.exitCode ?? 0)) await this.maybeStart(c);
        }),
      );
      const finished = regular.every((c) => !alive(c) && !c.starting && c.runs > 0 && !this.wantsRestart(c, c.lastTerminated?.exitCode ?? 0));
      if (finished) {
        const ok = regular.every((c) => c.lastTerminated?.exitCode === 0);
        this.setTerminal(ok ? 'Succeeded' : 'Failed');
        await this.stopAll(this.graceSeconds(), 'pod is terminal');
      }
    }
    this.publish();
  }

  private setTerminal(phase: 'Succeeded' | 'Failed', reason?: string, message?: string): void {
    if (this.terminal) return;
    this.terminal = { phase, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
    for (const c of this.ctrs) {
      for (const p of c.probes) p.stop();
      c.probes = [];
    }
    this.saveState();
  }

  private graceSeconds(): number {
    const g = this.pod.spec?.terminationGracePeriodSeconds;
    return typeof g === 'number' ? g : 30;
  }

  // ------------------------------------------------------------------------------------ prepare

  private automountWanted(): boolean {
    const spec = this.pod.spec ?? {};
    if (spec.automountServiceAccountToken === false) return false;
    if ((spec.volumes ?? []).some((v: any) => String(v.name).startsWith('kube-api-access-'))) return false;
    const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    if (all.some((c: any) => (c.volumeMounts ?? []).some((m: any) => posix.normalize(m.mountPath) === SA_MOUNT))) return false;
    return true;
  }

  private volumeCtx(): VolumeContext {
    return { pod: this.podView(), api: this.ctx.api, caPem: this.ctx.caPem, nodeAllocatable: this.ctx.alloc, tokens: this.tokens };
  }

  /** The pod as containers see it through the downward API (status fields filled in). */
  private podView(): any {
    return { ...this.pod, status: { ...(this.pod.status ?? {}), podIP: this.ip, podIPs: [{ ip: this.ip }], hostIP: this.ctx.hostIP, hostIPs: [{ ip: this.ctx.hostIP }] } };
  }

  private async renderVolumes(refresh: boolean): Promise<void> {
    const vctx = this.volumeCtx();
    for (const v of this.pod.spec?.volumes ?? []) {
      if (refresh && !(v.configMap || v.secret || v.downwardAPI || v.projected)) continue;
      const r = await renderVolume(vctx, v, this.ctx.dataDir);
      const dir = join(this.ctx.dataDir, 'volumes', `${this.uid}-${v.name}`);
      if (r.kind === 'files') writeAtomic(dir, r.files);
      else if (r.kind === 'empty') mkdirSync(dir, { recursive: true, mode: 0o777 });
      this.volumeHosts.set(v.name, r.kind === 'dir' ? r.host : dir);
    }
    if (this.autoSA === undefined || (this.autoSA && refresh)) {
      if (this.autoSA === undefined) {
        this.autoSA = false;
        if (this.automountWanted()) {
          const sa = this.pod.spec?.serviceAccountName || this.pod.spec?.serviceAccount || 'default';
          let saObj: any = this.ctx.serviceAccount(this.namespace, sa);
          if (saObj) saObj = { automountServiceAccountToken: saObj.automount };
          else {
            // not seen on the watch (yet): ask
            try {
              saObj = await this.ctx.api.get(R.serviceaccounts, this.namespace, sa);
            } catch (e) {
              if (!(e instanceof ApiError && e.code === 404)) throw e;
            }
          }
          if (saObj && saObj.automountServiceAccountToken !== false) this.autoSA = true;
          else if (!saObj && sa !== 'default') this.ctx.log(`pod ${this.key}: service account "${sa}" not found: no API token mounted`);
        }
      }
      if (this.autoSA) {
        const r = await renderVolume(
          vctx,
          {
            name: AUTO_SA_VOLUME,
            projected: {
              defaultMode: 0o644,
              sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }],
            },
          },
          this.ctx.dataDir,
        );
        const dir = join(this.ctx.dataDir, 'volumes', `${this.uid}-${AUTO_SA_VOLUME}`);
        if (r.kind === 'files') writeAtomic(dir, r.files);
        this.volumeHosts.set(AUTO_SA_VOLUME, dir);
      }
    }
  }

  private async prepare(): Promise<void> {
    try {
      // one directory per pod, in a long-lived parent: creating entries inside a directory that
      // was just created is slow on some filesystems, so the per-pod layout is flat
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      if (this.ownNetwork()) {
        await this.ctx.net.setup(this.uid, this.ip);
        if (this.ctx.net.dnsServer && this.pod.spec?.dnsPolicy !== 'Default') writeFileSync(join(this.dir, 'resolv.conf'), resolvConf(this.namespace, this.ctx.net.dnsServer, this.pod));
      }
      this.writeHosts();
      await this.renderVolumes(false);
      await this.makeFifos();
      if (this.removed) return;
      this.prepared = true;
      this.prepareError = undefined;
      this.lastVolumeRefresh = Date.now();
      this.saveState();
      const ads = this.pod.spec?.activeDeadlineSeconds;
      if (typeof ads === 'number' && !this.deadlineTimer) {
        const at = Date.parse(this.startTime) + ads * 1000;
        this.deadlineTimer = setTimeout(() => this.schedule(), Math.max(0, Math.min(at - Date.now(), 2 ** 31 - 1)));
      }
    } catch (e) {
      const msg = e instanceof VolumeError ? e.message : `failed to prepare the pod: ${(e as Error).message}`;
      if (msg !== this.prepareError) this.ctx.log(`pod ${this.key}: ${msg}`);
      this.prepareError = msg;
      this.event('Warning', 'FailedMount', msg);
      const delay = Math.min(1000 * 2 ** this.prepareLevel, 30_000);
      this.prepareLevel++;
      this.prepareRetryAt = Date.now() + delay;
      this.wake(this.prepareRetryAt);
    }
  }

  /** the pod has a network namespace of its own (not hostNetwork, and the agent makes them) */
  private ownNetwork(): boolean {
    return this.ctx.net.mode === 'netns' && !this.pod.spec?.hostNetwork;
  }

  /** where a server in the pod listens: everywhere in a network of its own, else on its pod IP */
  private listenIP(): string {
    return this.ownNetwork() ? '0.0.0.0' : this.ip;
  }

  /** argv prefix entering the pod's network namespace */
  private netWrap(): string[] {
    return this.ownNetwork() ? this.ctx.net.wrap(this.uid) : [];
  }

  private writeHosts(): void {
    const spec = this.pod.spec ?? {};
    const hostname = this.hostname();
    const fqdn = spec.subdomain ? `${hostname}.${spec.subdomain}.${this.namespace}.svc.cluster.local` : '';
    const lines = ['# Kubernetes-managed hosts file (flotilla node agent).', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${this.ip}\t${fqdn ? `${fqdn}\t` : ''}${hostname}`];
    // the host's loopback, as pods reach it (docs/networking.md)
    const hostAddress = this.ownNetwork() ? this.ctx.net.hostAddress : '127.0.0.1';
    if (hostAddress) lines.push(`${hostAddress}\t${HOST_NAME}`);
    for (const a of spec.hostAliases ?? []) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
    writeFileSync(join(this.dir, 'hosts'), lines.join('\n') + '\n');
  }

  private hostname(): string {
    return String(this.pod.spec?.hostname || this.name).slice(0, 63);
  }

  private fifoPaths(c: Ctr): { out: string; err: string; in: string } {
    return { out: join(this.dir, `${c.name}.out`), err: join(this.dir, `${c.name}.err`), in: join(this.dir, `${c.name}.in`) };
  }

  private async makeFifos(): Promise<void> {
    const need: string[] = [];
    for (const c of this.ctrs) {
      const f = this.fifoPaths(c);
      for (const p of [f.out, f.err]) if (!existsSync(p)) need.push(p);
      // spec.stdin: the FIFO kubectl attach writes the container's stdin to
      if (c.spec.stdin && !existsSync(f.in)) need.push(f.in);
    }
    await this.ctx.fifos.make(need);
  }

  // ------------------------------------------------------------------------------------ start

  private backoffDelay(level: number): number {
    if (level <= 0) return 0;
    return Math.min(this.ctx.backoffBaseMs * 2 ** (level - 1), this.ctx.backoffMaxMs);
  }

  private async maybeStart(c: Ctr): Promise<void> {
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
  private waitingError(c: Ctr, reason: string, message: string, eventMessage?: string): void {
    c.state = { waiting: { reason, message } };
    const ev = eventMessage ?? `Error: ${message}`;
    this.event('Warning', 'Failed', ev, c);
    if (reason === 'ErrImagePull') this.event('Warning', 'Failed', `Error: ErrImagePull`, c);
    const delay = Math.min(Math.max(this.ctx.backoffBaseMs, 1000) * 2 ** c.errLevel, this.ctx.backoffMaxMs);
    c.errLevel++;
    c.retryAt = Date.now() + delay;
    this.wake(c.retryAt);
  }

  private resolveArgv(c: Ctr, env: Record<string, string>, mapping: any, tag: string): { argv: string[]; fromImage: boolean } {
    const spec = c.spec;
    const vars = { tag, podIP: this.ip, listenIP: this.listenIP() };
    const fill = (s: string) => fillPlaceholders(String(s), vars);
    const exp = (s: string) => expandVars(String(s), (k) => env[k]);
    const cmd: string[] | undefined = spec.command?.length ? spec.command.map(exp) : undefined;
    const args: string[] | undefined = spec.args?.length ? spec.args.map(exp) : undefined;
    const entry: string[] = (mapping.entrypoint ?? []).map(fill);
    const imgCmd: string[] = (mapping.cmd ?? []).map(fill);
    let argv: string[];
    let fromImage = false;
    if (cmd) argv = [...cmd, ...(args ?? [])];
    else if (args) {
      argv = [...entry, ...args];
      fromImage = entry.length > 0;
    } else {
      argv = [...entry, ...imgCmd];
      fromImage = true;
    }
    if (argv.length && mapping.commands) {
      const alias = mapping.commands[argv[0]];
      if (alias !== undefined) {
        argv = [...(Array.isArray(alias) ? alias : [alias]).map(fill), ...argv.slice(1)];
        fromImage = true;
      }
    }
    argv.push(...(mapping.appendArgs ?? []).map(fill));
    return { argv, fromImage };
  }

  private containerMounts(c: Ctr, env: Record<string, string>): Mount[] {
    const mounts: Mount[] = [];
    for (const m of c.spec.volumeMounts ?? []) {
      const host = this.volumeHosts.get(m.name);
      if (!host) throw new ConfigError(`cannot find volume "${m.name}" to mount into container "${c.name}"`);
      let src = host;
      const sub: string | undefined = m.subPathExpr ? expandVars(m.subPathExpr, (k) => env[k]) : m.subPath;
      if (sub) {
        if (sub.startsWith('/') || sub.split('/').includes('..')) throw new ConfigError(`invalid subPath "${sub}" for volume "${m.name}"`);
        src = join(host, sub);
        if (!existsSync(src)) mkdirSync(src, { recursive: true, mode: 0o777 });
        src = realpathSync(src);
      }
      mounts.push({ host: src, path: posix.normalize(m.mountPath), readOnly: !!m.readOnly });
    }
    if (this.autoSA && this.volumeHosts.has(AUTO_SA_VOLUME)) mounts.push({ host: this.volumeHosts.get(AUTO_SA_VOLUME)!, path: SA_MOUNT, readOnly: true });
    return mounts;
  }

  private async start(c: Ctr): Promise<void> {
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
    let { argv, fromImage } = this.resolveArgv(c, env, img.mapping, img.ref.tag);
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
      mounts = this.containerMounts(c, env);
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

    const child = spawn('/bin/sh', [this.ctx.shim, runPrefix, fifo.out, fifo.err, spec.stdin ? `${this.ctx.mode}:in` : this.ctx.mode, '--', ...this.netWrap(), launch.file, ...launch.args], {
      detached: true,
      stdio: 'ignore',
      cwd: launch.cwd,
      env: launch.env,
    });
    if (!child.pid) {
      const spawned = await new Promise<Error | undefined>((resolve) => {
        child.once('spawn', () => resolve(undefined));
        child.once('error', (e) => resolve(e));
      });
      const message = `failed to start the container process: ${spawned?.message ?? 'no pid'}`;
      this.event('Warning', 'Failed', `Error: ${message}`, c);
      c.runs++;
      c.restartCount = c.runs - 1;
      this.exited(c, { exitCode: 128, reason: 'StartError', message, startedAt: '1970-01-01T00:00:00Z', finishedAt: isoNow(), containerID }, 0);
      return;
    }
    // registered before anything else can run: a stop() or a deletion always sees this process
    child.on('error', () => {});
    child.unref();
    const startedMs = Date.now();
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
      child,
      exited: false,
      exitWaiters: [],
    };
    child.on('exit', () => void this.onExit(c, run));
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

  private async postStart(c: Ctr, run: Run): Promise<void> {
    const r = await runProbe({ ...c.spec.lifecycle.postStart, timeoutSeconds: this.graceSeconds() || 30 }, this.probeTarget(c, run));
    if (!r.ok && !run.exited) {
      this.event('Warning', 'FailedPostStartHook', `PostStartHook failed: ${r.message}`, c);
      void this.kill(c, this.graceSeconds(), 'FailedPostStartHook');
    }
  }

  // ------------------------------------------------------------------------------------ probes

  private probeTarget(c: Ctr, run: Run): ProbeTarget {
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

  private commandForRun(run: Run, cmd: string[]): { file: string; args: string[]; cwd: string; env: Record<string, string> } {
    const spec: SandboxSpec = { ...run.sandbox, argv: cmd };
    let file: string;
    let args: string[];
    let cwd = '/';
    let env = spec.env;
    if (this.ctx.mode === 'bwrap' && this.ctx.bwrap) {
      file = this.ctx.bwrap.bwrap;
      args = [...bwrapArgs(this.ctx.bwrap, spec), ...cmd];
    } else {
      const l = launchSpec('none', undefined, spec);
      file = l.file;
      args = l.args;
      cwd = l.cwd;
      env = l.env;
    }
    const wrap = this.netWrap();
    if (wrap.length) {
      args = [...wrap.slice(1), file, ...args];
      file = wrap[0];
    }
    return { file, args, cwd, env };
  }

  execIn(run: Run, cmd: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
    const { file, args, cwd, env } = this.commandForRun(run, cmd);
    return new Promise((resolve) => {
      let out = '';
      let done = false;
      const p = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const add = (d: Buffer) => {
        if (out.length < 10_240) out += d.toString('utf8');
      };
      p.stdout!.on('data', add);
      p.stderr!.on('data', add);
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        if (p.pid) signal(-p.pid, 'SIGKILL');
        resolve({ code: -1, output: out });
      }, timeoutMs);
      p.on('error', (e) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ code: 127, output: e.message });
      });
      p.on('close', (code, sig) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ code: code ?? (sig ? 128 : 1), output: out });
      });
    });
  }

  private startProbes(c: Ctr, run: Run): void {
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

  private startLiveReady(c: Ctr, _run: Run, make: (kind: ProbeKind, probe: any) => ProbeLoop): void {
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

  private isReady(c: Ctr): boolean {
    if (c.kind === 'init') return c.succeeded;
    if (!alive(c) || !c.started) return false;
    const r = c.probes.find((p) => p.kind === 'readiness');
    if (c.spec.readinessProbe) return r?.result === true;
    return true;
  }

  // ------------------------------------------------------------------------------------ exit

  private readExit(run: Run): number | undefined {
    try {
      const t = readFileSync(`${run.runPrefix}.exit`, 'utf8').trim();
      if (/^\d+$/.test(t)) return Number(t);
    } catch {
      /* none */
    }
    return undefined;
  }

  private async onExit(c: Ctr, run: Run, finishedAt?: string): Promise<void> {
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
  private exited(c: Ctr, term: any, ranMs: number): void {
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
    // re-adopted pods are prepared again before the next status: show the exit now
    if (!this.prepared) this.publish();
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

  // ------------------------------------------------------------------------------------ kill

  private containerPid(run: Run): number | undefined {
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

  private signalRun(run: Run, sig: NodeJS.Signals): void {
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

  private waitExit(run: Run, ms: number): Promise<boolean> {
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

  private async stopAll(graceSeconds: number, reason: string): Promise<void> {
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

  // ------------------------------------------------------------------------------------ terminate

  private terminatePromise?: Promise<void>;

  terminate(): Promise<void> {
    this.terminatePromise ??= this.doTerminate();
    return this.terminatePromise;
  }

  private async doTerminate(): Promise<void> {
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
    if (this.ownNetwork()) {
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
    this.flushState();
    for (const c of this.ctrs) c.log.close();
  }

  // ------------------------------------------------------------------------------------ status

  private condition(type: string, ok: boolean, reason?: string, message?: string): any {
    const status = ok ? 'True' : 'False';
    const prev = this.conditionTimes.get(type);
    let time = prev?.time;
    if (!prev || prev.status !== status) {
      time = isoNow();
      this.conditionTimes.set(type, { status, time });
    }
    return { type, status, lastProbeTime: null, lastTransitionTime: time, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  }

  private ctrStatus(c: Ctr): any {
    return {
      name: c.name,
      state: c.state,
      lastState: c.lastState ?? {},
      ready: this.isReady(c),
      restartCount: c.restartCount,
      image: c.lastImage ?? c.spec.image,
      imageID: c.runs > 0 ? c.imageID ?? '' : '',
      ...(c.containerID ? { containerID: c.containerID } : {}),
      started: alive(c) && c.started,
    };
  }

  phase(): string {
    // terminal once every container (sidecars included) has stopped
    if (this.terminal && !this.ctrs.some((c) => alive(c) || c.starting)) return this.terminal.phase;
    if ((!this.prepared && !this.wasPrepared) || !this.initDone) return 'Pending';
    const regular = this.ctrs.filter((c) => c.kind === 'regular');
    if (regular.some((c) => c.runs === 0)) return 'Pending';
    return 'Running';
  }

  buildStatus(): any {
    const phase = this.phase();
    const inits = this.ctrs.filter((c) => c.kind !== 'regular');
    const regular = this.ctrs.filter((c) => c.kind === 'regular');
    const incompleteInit = inits.filter((c) => (c.kind === 'init' ? !c.succeeded : !(alive(c) && c.started))).map((c) => c.name);
    const initialized = this.initDone || incompleteInit.length === 0 || (!!this.terminal && inits.every((c) => c.kind === 'sidecar' || c.succeeded));
    const readyCtrs = [...regular, ...inits.filter((c) => c.kind === 'sidecar')];
    const unready = readyCtrs.filter((c) => !this.isReady(c)).map((c) => c.name);
    const completed = phase === 'Succeeded' || phase === 'Failed';
    const allReady = !completed && unready.length === 0;
    const readyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
    const readyMessage = completed ? undefined : `containers with unready status: [${unready.join(' ')}]`;
    const gates: string[] = (this.pod.spec?.readinessGates ?? []).map((g: any) => g.conditionType);
    const foreign = (this.pod.status?.conditions ?? []).filter((x: any) => !['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].includes(x.type));
    const gatesOk = gates.every((g) => foreign.some((x: any) => x.type === g && x.status === 'True'));
    const conditions = [
      this.condition('PodReadyToStartContainers', this.prepared && !completed),
      this.condition('Initialized', initialized, initialized ? undefined : 'ContainersNotInitialized', initialized ? undefined : `containers with incomplete status: [${incompleteInit.join(' ')}]`),
      this.condition('Ready', allReady && gatesOk, allReady && gatesOk ? undefined : allReady ? 'ReadinessGatesNotReady' : readyReason, allReady && gatesOk ? undefined : allReady ? `corresponding condition of pod readiness gate "${gates.find((g) => !foreign.some((x: any) => x.type === g && x.status === 'True'))}" does not exist.` : readyMessage),
      this.condition('ContainersReady', allReady, allReady ? undefined : readyReason, allReady ? undefined : readyMessage),
      this.condition('PodScheduled', true),
      ...foreign,
    ];
    const st: any = {
      phase,
      conditions,
      hostIP: this.ctx.hostIP,
      hostIPs: [{ ip: this.ctx.hostIP }],
      podIP: this.ip,
      podIPs: [{ ip: this.ip }],
      startTime: this.startTime,
      containerStatuses: regular.map((c) => this.ctrStatus(c)),
    };
    if (inits.length) st.initContainerStatuses = inits.map((c) => this.ctrStatus(c));
    if (this.terminal?.reason) st.reason = this.terminal.reason;
    if (this.terminal?.message) st.message = this.terminal.message;
    else if (this.prepareError && !this.prepared) st.message = this.prepareError;
    return st;
  }

  /** Writes the status soon (coalesced; one request in flight per pod). */
  publish(): void {
    if (this.removed && !this.terminating) return;
    if (this.publishing) {
      this.publishAgain = true;
      return;
    }
    this.publishing = true;
    setImmediate(() => void this.doPublish());
  }

  private async doPublish(): Promise<void> {
    try {
      do {
        this.publishAgain = false;
        await this.sendStatus();
      } while (this.publishAgain);
    } finally {
      this.publishing = false;
    }
  }

  async publishNow(): Promise<void> {
    while (this.publishing) await new Promise((r) => setTimeout(r, 5));
    this.publishing = true;
    try {
      await this.sendStatus();
    } finally {
      this.publishing = false;
    }
  }

  private async sendStatus(): Promise<void> {
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
      if (res?.metadata?.uid === this.uid) this.pod = { ...this.pod, status: res.status };
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      this.ctx.log(`pod ${this.key}: status update failed: ${(e as Error).message}`);
      setTimeout(() => this.publish(), 1000);
    }
  }

  // ------------------------------------------------------------------------------------ state

  private statePath(): string {
    return join(this.dir, 'state.json');
  }

  private persisted(): PodState {
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
    return { uid: this.uid, namespace: this.namespace, name: this.name, ip: this.ip, startTime: this.startTime, boot: this.ctx.boot, terminal: this.terminal, initDone: this.initDone, containers };
  }

  saveState(): void {
    if (this.saveQueued || this.removed) return;
    this.saveQueued = true;
    setImmediate(() => {
      this.saveQueued = false;
      if (!this.removed) this.flushState();
    });
  }

  private flushState(): void {
    if (!existsSync(this.dir)) return;
    const tmp = `${this.statePath()}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.persisted()), { mode: 0o600 });
      renameSync(tmp, this.statePath());
    } catch (e) {
      this.ctx.log(`pod ${this.key}: saving state: ${(e as Error).message}`);
    }
  }

  /** Takes over the containers of a previous agent: running ones are adopted, dead ones recorded. */
  private restore(s: PodState): void {
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
}

/** Quotes a word for sh. */
function shellQuote(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

export function readState(dir: string): PodState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

export function listPodDirs(dataDir: string): string[] {
  const base = join(dataDir, 'pods');
  try {
    return readdirSync(base)
      .map((d) => join(base, d))
      .filter((d) => {
        try {
          return lstatSync(d).isDirectory();
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/** Everything a pod left on disk: its directory and its entries in the shared directories. */
export function removePodFiles(dataDir: string, uid: string): void {
  rmSync(join(dataDir, 'pods', uid), { recursive: true, force: true });
  for (const d of ['tmp', 'volumes', 'logs']) {
    let entries: string[] = [];
    try {
      entries = readdirSync(join(dataDir, d));
    } catch {
      continue;
    }
    for (const e of entries) if (e.startsWith(`${uid}-`)) rmSync(join(dataDir, d, e), { recursive: true, force: true });
  }
}
