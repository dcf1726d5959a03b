/**
 * The shapes a pod worker keeps (containers, runs, the state file) and its small helpers.
 */
import type { KubeClient, EventRecorder } from '@flotilla/kube-runtime';
import type { ImageTable } from './images.js';
import type { ServiceInfo } from './env.js';
import type { VolumeContext } from './volumes.js';
import type { FifoMaker, BwrapContext, SandboxMode, SandboxSpec } from './sandbox.js';
import type { ContainerLog } from './logs.js';
import type { ProbeLoop } from './probes.js';
import type { Ipam } from './ipam.js';
import type { PodNetwork } from './network.js';
import type { PodCore } from './pod-core.js';

export interface AgentContext {
  api: KubeClient;
  nodeName: string;
  dataDir: string;
  images: ImageTable;
  mode: SandboxMode;
  bwrap?: BwrapContext;
  shim: string;
  /** this agent (pid) reads its containers' FIFOs to their end while the token file exists: the shim's cue to save nothing */
  reader: { pid: number; token: string };
  /** the CPU priority (nice) of a BestEffort pod's processes (0: no change); see NodeAgentOptions.bestEffortNice */
  bestEffortNice: number;
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
  onRemoved(w: PodCore): void;
  fifos: FifoMaker;
  /** ServiceAccounts known from a watch: true/false = automount, undefined = unknown */
  serviceAccount(ns: string, name: string): { automount?: boolean } | undefined;
}

export type Kind = 'init' | 'sidecar' | 'regular';

export interface Run {
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
  /** how the process exited, as its parent saw it (absent for a re-adopted run) */
  child?: { exitCode: number | null; signalCode: NodeJS.Signals | null };
  adopted?: boolean;
  exiting?: boolean;
  exited: boolean;
  killReason?: string;
  exitWaiters: (() => void)[];
}

export interface Ctr {
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
  /** the pod finished and its network (namespace, veth, address) was given back */
  netReleased?: boolean;
  containers: Record<string, PersistedCtr>;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
export const AUTO_SA_VOLUME = 'kube-api-access-flotilla';

export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function alive(c: Ctr): boolean {
  return !!c.run && !c.run.exited;
}

export function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
}

/** Quotes a word for sh. */
export function shellQuote(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
