/**
 * Leader election over a coordination.k8s.io/v1 Lease, so that several replicas of a controller
 * manager can run and only one acts: a candidate takes the Lease when it is free or expired, the
 * leader renews it every retry period, and a leader that cannot renew within the renew deadline
 * steps down. Releasing on stop hands over at once.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { isAlreadyExists, isConflict, isNotFound, type KubeClient, type Resource } from './client.js';
import type { Obj } from './util.js';

export const LEASES: Resource = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };

export interface LeaderElectionOptions {
  /** Lease name (default "flotilla-controller-manager") */
  name?: string;
  /** Lease namespace (default "kube-system") */
  namespace?: string;
  /** this candidate (default hostname_pid_random) */
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/** MicroTime as the API writes it. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
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
  private timer?: NodeJS.Timeout;
  private lastRenew = 0;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly client: KubeClient,
    opts: LeaderElectionOptions,
    private readonly callbacks: { onStartedLeading: () => Promise<void> | void; onStoppedLeading: () => Promise<void> | void; log?: (m: string) => void },
  ) {
    this.name = opts.name ?? 'flotilla-controller-manager';
    this.namespace = opts.namespace ?? 'kube-system';
    this.identity = opts.identity ?? `${hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`;
    this.duration = opts.leaseDurationSeconds ?? 15;
    this.renewDeadline = opts.renewDeadlineMs ?? 10_000;
    this.retry = opts.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Tries once to take or renew the Lease; true when we hold it. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    let lease: Obj | undefined;
    try {
      lease = await this.client.get<Obj>(LEASES, this.namespace, this.name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const spec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.duration,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    if (!lease) {
      try {
        await this.client.create(LEASES, this.namespace, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.namespace }, spec });
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    const cur = lease.spec ?? {};
    const mine = cur.holderIdentity === this.identity;
    const renewed = Date.parse(cur.renewTime ?? cur.acquireTime ?? 0) || 0;
    const expired = !cur.holderIdentity || renewed + Number(cur.leaseDurationSeconds ?? this.duration) * 1000 < now.getTime();
    if (!mine && !expired) return false;
    const next = {
      ...lease,
      spec: mine
        ? { ...cur, renewTime: microTime(now), leaseDurationSeconds: this.duration }
        : { ...spec, leaseTransitions: Number(cur.leaseTransitions ?? 0) + 1 },
    };
    try {
      await this.client.update(LEASES, next);
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  start(): void {
    this.loop = this.run();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      this.timer = setTimeout(r, ms);
      this.wake = () => {
        clearTimeout(this.timer);
        r();
      };
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (e) {
        this.callbacks.log?.(`leader election: ${(e as Error).message}`);
      }
      if (this.stopped) break;
      if (ok) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.callbacks.log?.(`leader election: ${this.identity} became the leader (${this.namespace}/${this.name})`);
          await this.callbacks.onStartedLeading();
        }
      } else if (this.leading && Date.now() - this.lastRenew > this.renewDeadline) {
        this.leading = false;
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
      this.leading = false;
      await this.callbacks.onStoppedLeading();
      try {
        const lease = await this.client.get<Obj>(LEASES, this.namespace, this.name);
        if (lease.spec?.holderIdentity === this.identity)
          await this.client.update(LEASES, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) } });
      } catch {
        // best effort: the Lease expires anyway
      }
    }
  }
}
