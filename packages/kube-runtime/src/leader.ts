/**
 * Leader election over a coordination.k8s.io/v1 Lease (client-go's leaderelection): a candidate
 * takes the Lease when it is free or has not been renewed for leaseDurationSeconds (measured on this
 * process's clock from when it last saw the record change, so clock skew between machines does not
 * matter), the leader renews it every retry period, a leader that cannot renew within the renew
 * deadline steps down, and stopping releases the Lease so another candidate takes over at once.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '@flotilla/apimachinery';
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from './client.js';
import { R, resourcePath } from './resources.js';
import { metrics } from './metrics.js';

export const LEASES = R.leases;

export interface LeaderElectionOptions {
  /** Lease name (default "flotilla-controller-manager") */
  name?: string;
  /** Lease namespace (default "kube-system") */
  namespace?: string;
  /** this candidate (default: LEADER_ELECTION_IDENTITY, POD_NAME, or hostname_pid_random) */
  identity?: string;
  /** default 15 (as kube-controller-manager) */
  leaseDurationSeconds?: number;
  /** default 10 s */
  renewDeadlineMs?: number;
  /** default 2 s */
  retryPeriodMs?: number;
}

/** The identity Kubernetes components use: an explicit one, the pod's name, or host + pid + random. */
export function leaderIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.LEADER_ELECTION_IDENTITY || env.POD_NAME || `${hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** `--leader-elect[=true|false]`, `--leader-elect-lease-duration=15s`, … from a command line. */
export function leaderElectionFromArgs(argv: string[]): LeaderElectionOptions | undefined {
  let on = false;
  const o: LeaderElectionOptions = {};
  const secs = (v: string) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
    if (!m) throw new Error(`not a duration: "${v}" (e.g. 15s)`);
    const n = Number(m[1]);
    return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const val = () => inline ?? argv[++i] ?? '';
    if (flag === '--leader-elect') on = inline === undefined ? true : inline === 'true';
    else if (flag === '--leader-elect-lease-duration') o.leaseDurationSeconds = secs(val());
    else if (flag === '--leader-elect-renew-deadline') o.renewDeadlineMs = secs(val()) * 1000;
    else if (flag === '--leader-elect-retry-period') o.retryPeriodMs = secs(val()) * 1000;
    else if (flag === '--leader-elect-resource-name') o.name = val();
    else if (flag === '--leader-elect-resource-namespace') o.namespace = val();
  }
  return on ? o : undefined;
}

/** MicroTime as the API writes it. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export interface LeaderCallbacks {
  onStartedLeading: () => Promise<void> | void;
  onStoppedLeading: () => Promise<void> | void;
  onNewLeader?: (identity: string) => void;
  log?: (m: string) => void;
}

export class LeaderElector {
  readonly name: string;
  readonly namespace: string;
  readonly identity: string;
  private readonly duration: number;
  private readonly renewDeadline: number;
  private readonly retry: number;
  private leading = false;
  private stopped = false;
  private lastRenew = 0;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** the last Lease record seen and when (this process's clock) */
  private observed?: { record: string; at: number; holder: string };

  /**
   * The Lease's own client (same cluster and credentials, its own connections, no client-side rate limit):
   * a renewal must not queue behind the component's own requests — a controller creating 200 pods at its
   * QPS kept the renewal waiting past the renew deadline, lost the lease and restarted mid-workflow.
   */
  private readonly client: KubeClient;

  constructor(
    client: KubeClient,
    opts: LeaderElectionOptions,
    private readonly callbacks: LeaderCallbacks,
  ) {
    this.client = client.derive({ qps: 0 });
    this.name = opts.name ?? 'flotilla-controller-manager';
    this.namespace = opts.namespace ?? 'kube-system';
    this.identity = opts.identity ?? leaderIdentity();
    this.duration = opts.leaseDurationSeconds ?? 15;
    this.renewDeadline = opts.renewDeadlineMs ?? 10_000;
    this.retry = opts.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Who holds the Lease, as last seen. */
  get leader(): string | undefined {
    return this.observed?.holder || undefined;
  }

  /** Tries once to take or renew the Lease; true when we hold it. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    let lease: KubeObject | undefined;
    // an attempt is worth nothing after the renew deadline (client-go bounds it so too): a request
    // left to the client's own 60 s timeout would keep a leader that cannot renew believing it leads
    const timeoutMs = this.renewDeadline;
    const path = resourcePath(LEASES, this.namespace, this.name);
    try {
      lease = await this.client.request<KubeObject>('GET', path, { timeoutMs });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const spec = { holderIdentity: this.identity, leaseDurationSeconds: this.duration, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
    if (!lease) {
      try {
        await this.client.create(LEASES, this.namespace, { metadata: { name: this.name, namespace: this.namespace }, spec });
        this.observe(this.identity, JSON.stringify(spec));
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    const cur = (lease.spec ?? {}) as Record<string, any>;
    const holder = String(cur.holderIdentity ?? '');
    const record = `${holder}|${cur.renewTime ?? ''}|${cur.acquireTime ?? ''}`;
    this.observe(holder, record);
    const mine = holder === this.identity;
    const durationMs = Number(cur.leaseDurationSeconds ?? this.duration) * 1000;
    const expired = !holder || this.observed!.at + durationMs < Date.now();
    if (!mine && !expired) return false;
    const next: KubeObject & { spec: Record<string, any> } = {
      ...lease,
      spec: mine ? { ...cur, renewTime: microTime(now), leaseDurationSeconds: this.duration } : { ...spec, leaseTransitions: Number(cur.leaseTransitions ?? 0) + 1 },
    };
    try {
      await this.client.request('PUT', path, { body: next, query: { fieldManager: this.client.fieldManager }, timeoutMs });
      this.observe(this.identity, `${this.identity}|${next.spec.renewTime}|${next.spec.acquireTime}`);
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  private observe(holder: string, record: string): void {
    if (this.observed?.record === record) return;
    const changedHolder = this.observed?.holder !== holder;
    this.observed = { record, at: Date.now(), holder };
    if (changedHolder && holder) this.callbacks.onNewLeader?.(holder);
  }

  start(): void {
    this.loop = this.run();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      this.wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }

  private setLeading(v: boolean): void {
    this.leading = v;
    metrics.leaderElectionMaster.set({ name: this.name }, v ? 1 : 0);
  }

  private async run(): Promise<void> {
    let failing = false;
    while (!this.stopped) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
        if (failing) this.callbacks.log?.(`leader election: reaching ${this.client.server.origin} again`);
        failing = false;
      } catch (e) {
        if (!failing) this.callbacks.log?.(`leader election: ${(e as Error).message} (retrying every ${this.retry} ms)`);
        failing = true;
      }
      if (this.stopped) break;
      if (ok) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.setLeading(true);
          this.callbacks.log?.(`leader election: ${this.identity} became the leader (${this.namespace}/${this.name})`);
          await this.callbacks.onStartedLeading();
        }
      } else if (this.leading && Date.now() - this.lastRenew > this.renewDeadline) {
        this.setLeading(false);
        this.callbacks.log?.(`leader election: ${this.identity} lost the lease`);
        await this.callbacks.onStoppedLeading();
      }
      await this.sleep(this.retry);
    }
  }

  /** Stops campaigning; a leader steps down and releases the Lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      this.setLeading(false);
      await this.callbacks.onStoppedLeading();
      try {
        const lease = await this.client.get(LEASES, this.namespace, this.name);
        const spec = (lease.spec ?? {}) as Record<string, unknown>;
        if (spec.holderIdentity === this.identity) await this.client.update(LEASES, { ...lease, spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) } });
      } catch {
        // best effort: the Lease expires anyway
      }
    }
    this.client.close();
  }
}
