/**
 * A native EventBus's channel store. Upstream's native bus is a NATS Streaming server whose channel keeps
 * messages within `maxAge`, `maxMsgs`, `maxBytes` and allows `maxSubs` subscriptions (0 = unlimited).
 * Flotilla's native servers run nats-server with JetStream enabled; the EventSources keep the bus's
 * subjects (`<EVENT_BUS_SUBJECT>.>`) in one stream named after the subject with those limits (oldest
 * messages discarded first; maxSubs → the stream's consumer limit). Events still travel over core NATS:
 * the stream is the retained history, and creating it never holds publishing up.
 */
import type { NatsConnection, StreamConfig } from 'nats';
import { DiscardPolicy, RetentionPolicy, StorageType } from 'nats';
import { readFileSync } from 'node:fs';
import type { Logger } from '../config.js';

export interface NativeLimits {
  /** seconds */
  maxAge?: number;
  maxMsgs?: number;
  /** bytes */
  maxBytes?: number;
  maxSubs?: number;
}

/** The stream name of a bus subject prefix (stream names allow no '.', '*', '>', whitespace). */
export const channelStreamName = (subject: string) => subject.replace(/[^A-Za-z0-9_-]/g, '_');

/** Upstream's limits → a JetStream stream configuration (0 = unlimited becomes JetStream's -1 / 0). */
export function channelStreamConfig(subject: string, l: NativeLimits, replicas: number): Partial<StreamConfig> & { name: string; subjects: string[] } {
  const lim = (v: number | undefined) => (v && v > 0 ? Math.floor(v) : -1);
  return {
    name: channelStreamName(subject),
    subjects: [`${subject}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: l.maxAge && l.maxAge > 0 ? Math.round(l.maxAge * 1e9) : 0,
    max_msgs: lim(l.maxMsgs),
    max_bytes: lim(l.maxBytes),
    max_consumers: lim(l.maxSubs),
    num_replicas: replicas,
  };
}

/** Creates the stream, or updates its limits when the bus's changed; R3 when the cluster has room, else R1. */
export async function ensureChannelStream(nc: NatsConnection, subject: string, l: NativeLimits, log: Logger): Promise<'created' | 'updated' | 'unchanged'> {
  const jsm = await nc.jetstreamManager({ timeout: 5000 });
  const name = channelStreamName(subject);
  const existing = await jsm.streams.info(name).catch(() => undefined);
  if (existing) {
    const want = channelStreamConfig(subject, l, existing.config.num_replicas);
    const c = existing.config;
    if (c.max_consumers !== want.max_consumers) log('warn', `the bus stream ${name} allows ${c.max_consumers} subscriptions; JetStream cannot change that of an existing stream (maxSubs ${l.maxSubs ?? 0} applies once the stream is recreated)`);
    if (c.max_age === want.max_age && c.max_msgs === want.max_msgs && c.max_bytes === want.max_bytes) return 'unchanged';
    const { max_consumers: _mc, ...rest } = c;
    void _mc;
    await jsm.streams.update(name, { ...rest, max_age: want.max_age, max_msgs: want.max_msgs, max_bytes: want.max_bytes });
    log('info', `updated the limits of the bus stream ${name}`, { maxAge: l.maxAge, maxMsgs: l.maxMsgs, maxBytes: l.maxBytes, maxSubs: l.maxSubs });
    return 'updated';
  }
  try {
    await jsm.streams.add(channelStreamConfig(subject, l, 3));
  } catch (e) {
    const msg = (e as Error).message;
    if (/already in use|already exists/i.test(msg)) return 'unchanged';
    if (!/replica|cluster|resources|peers/i.test(msg)) throw e;
    log('info', `the bus stream ${name} gets 1 replica (${msg})`);
    await jsm.streams.add(channelStreamConfig(subject, l, 1));
  }
  log('info', `created the bus stream ${name}`, { maxAge: l.maxAge, maxMsgs: l.maxMsgs, maxBytes: l.maxBytes, maxSubs: l.maxSubs });
  return 'created';
}

/** Where the EventSource pod has the bus ConfigMap's limits.json (EVENTS_BUS_LIMITS_DIR overrides). */
export const BUS_LIMITS_DIR = '/volumes/events-bus-limits';

/**
 * Applies the limits in `file` (the bus ConfigMap's limits.json, mounted: Kubernetes refreshes it in running
 * pods, so a changed limit needs no roll) now and whenever the file changes (checked every `everyMs`);
 * failures are retried with back-off (1 s → 30 s) and logged. Stops when the connection closes.
 */
export function watchLimits(nc: NatsConnection, subject: string, file: string, log: Logger, everyMs = 15_000): void {
  let applied = '';
  let wait = 1000;
  let warned = false;
  const tick = async () => {
    if (nc.isClosed()) return;
    let next = everyMs;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (!warned) log('warn', `no limits for the bus stream (${(e as Error).message}); checking again every ${everyMs / 1000} s`);
      warned = true;
    }
    if (text && text !== applied) {
      try {
        await ensureChannelStream(nc, subject, JSON.parse(text) as NativeLimits, log);
        applied = text;
        wait = 1000;
      } catch (e) {
        log(wait === 1000 ? 'info' : 'warn', `the bus stream ${channelStreamName(subject)} is not in place yet (retrying in ${wait} ms): ${(e as Error).message}`);
        next = wait;
        wait = Math.min(wait * 2, 30_000);
      }
    }
    if (!nc.isClosed()) setTimeout(() => void tick(), next).unref();
  };
  void tick();
}
