/**
 * Kubernetes Events from the kubelet (source component "kubelet"): posted in the background,
 * repeats of the same event bump its count instead of creating a new one.
 */
import type { KubeClient } from './kube.js';

interface Pending {
  key: string;
  ns: string;
  body: any;
}

const MAX_QUEUE = 2000;
const DEDUP_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  private seq = 0;
  private readonly seen = new Map<string, { name: string; ns: string; count: number; at: number; first: string; pending?: boolean }>();
  private readonly queue: Pending[] = [];
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly api: KubeClient,
    private readonly node: string,
    private readonly log: (m: string) => void,
  ) {}

  /** `fieldPath` e.g. `spec.containers{app}`. */
  emit(pod: any, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    if (this.stopped) return;
    const md = pod.metadata ?? {};
    const key = `${md.uid}|${fieldPath ?? ''}|${reason}|${message}`;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const prev = this.seen.get(key);
    if (prev && Date.now() - prev.at < DEDUP_WINDOW_MS) {
      prev.count++;
      prev.at = Date.now();
      this.push({ key, ns: prev.ns, body: { patch: true, name: prev.name, count: prev.count, lastTimestamp: now } });
      return;
    }
    const name = `${md.name}.${(Date.now() * 1000 + (this.seq++ % 1000)).toString(16)}`;
    this.seen.set(key, { name, ns: md.namespace, count: 1, at: Date.now(), first: now });
    if (this.seen.size > 5000) {
      for (const [k, v] of this.seen) if (Date.now() - v.at > DEDUP_WINDOW_MS) this.seen.delete(k);
    }
    this.push({
      key,
      ns: md.namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: md.namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: md.name, namespace: md.namespace, uid: md.uid, ...(fieldPath ? { fieldPath } : {}) },
        reason,
        message,
        type,
        source: { component: 'kubelet', host: this.node },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: 'kubelet',
        reportingInstance: this.node,
      },
    });
  }

  private push(p: Pending): void {
    if (this.queue.length >= MAX_QUEUE) return;
    this.queue.push(p);
    // events yield to status updates: sent a moment later, two at a time
    if (!this.timer) this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, 50);
  }

  private timer?: NodeJS.Timeout;

  private pump(): void {
    while (this.active < 2 && this.queue.length) {
      const p = this.queue.shift()!;
      this.active++;
      void this.send(p).finally(() => {
        this.active--;
        if (!this.active && !this.queue.length) for (const w of this.idleWaiters.splice(0)) w();
        this.pump();
      });
    }
  }

  private async send(p: Pending): Promise<void> {
    try {
      if (p.body.patch) {
        await this.api.mergePatch(`/api/v1/namespaces/${encodeURIComponent(p.ns)}/events/${encodeURIComponent(p.body.name)}`, { count: p.body.count, lastTimestamp: p.body.lastTimestamp });
      } else {
        await this.api.request('POST', `/api/v1/namespaces/${encodeURIComponent(p.ns)}/events`, p.body);
      }
    } catch (e) {
      if (!this.stopped) this.log(`event ${p.body.reason ?? 'update'} in ${p.ns}: ${(e as Error).message}`);
    }
  }

  /** Resolves when every queued event has been sent (tests, shutdown). */
  flush(): Promise<void> {
    if (!this.active && !this.queue.length) return Promise.resolve();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.pump();
    }
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue.length = 0;
  }
}
