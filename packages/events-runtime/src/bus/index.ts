/**
 * The event bus client: core NATS (native / exotic EventBus, token auth) or JetStream (user/password,
 * stream `default` over `default.>`, a durable consumer per sensor + dependency). Publishes and
 * receives JSON CloudEvents. Connecting retries with exponential back-off (1 s → 30 s) and logs each
 * failure; once connected, the nats client reconnects forever and its status changes are logged.
 */
import { connect, AckPolicy, DeliverPolicy, type ConnectionOptions, type NatsConnection, type JetStreamClient, type JetStreamManager, type ConsumerMessages } from 'nats';
import type { KubeClient } from '@flotilla/kube-runtime';
import { KafkaBus, type KafkaBusConfig } from './kafka.js';
import { watchLimits, BUS_LIMITS_DIR } from './limits.js';
import { join } from 'node:path';
import dns from 'node:dns';
import { isIP } from 'node:net';
import { kafkaCause, type SecretReader } from '../kafka.js';
import { readSecret } from '../sources/common.js';
import type { BusStateListener } from './report.js';
import { readBusSecret, parseUserPass, ConfigError, type EventBusConfig, type CloudEvent, type Logger } from '../config.js';

export interface BusSubscription {
  /** dependency name (the sensor's) */
  name: string;
  eventSourceName: string;
  eventName: string;
}

/** Called per message; `ack` acknowledges it (JetStream: redelivered until acked; core NATS: no-op). */
export type BusHandler = (dep: string, ev: CloudEvent, ack: () => void) => void;

export interface Bus {
  readonly kind: 'nats' | 'jetstream' | 'kafka';
  publish(ev: CloudEvent): Promise<void>;
  subscribe(consumerPrefix: string, subs: BusSubscription[], handler: BusHandler): Promise<void>;
  close(): Promise<void>;
  readonly connected: boolean;
}

export interface BusOptions {
  config: EventBusConfig;
  /** EVENT_BUS_SUBJECT (core NATS prefix) */
  subject: string;
  log: Logger;
  /** client name shown by the server */
  name: string;
  env?: NodeJS.ProcessEnv;
  /** first back-off (ms) */
  backoffMs?: number;
  /** gives up after this many failed connects (default: never) */
  maxAttempts?: number;
  signal?: AbortSignal;
  /** the object's namespace (Kafka: default consumer group and topic; secrets) — else from `subject` */
  namespace?: string;
  /** an EventSource: keeps a native bus's channel stream (limits) in place */
  publisher?: boolean;
  /** the Kubernetes API, for Secrets a Kafka bus's tls / sasl name */
  kube?: () => KubeClient;
  /** told of every failed connect, the connect, and a connection lost for longer than lostGraceMs and back */
  onState?: BusStateListener;
  /** a connection lost (reconnecting) for longer than this counts as not connected (default 5000 ms) */
  lostGraceMs?: number;
}

/** A NATS connection's state: lost since when (the client reconnects on its own meanwhile). */
class Link {
  lostAt?: number;
  constructor(
    readonly nc: NatsConnection,
    private readonly graceMs: number,
  ) {}
  get connected(): boolean {
    return !this.nc.isClosed() && !(this.lostAt !== undefined && Date.now() - this.lostAt > this.graceMs);
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

/** A subject token must not contain '.', '*', '>' or whitespace. */
export const subjectToken = (s: string) => s.replace(/[.*>\s]/g, '_');

export function connectionOptions(o: BusOptions): ConnectionOptions {
  const env = o.env ?? process.env;
  const c = o.config;
  if (c.jetstream) {
    const opts: ConnectionOptions = { servers: c.jetstream.url.split(','), name: o.name };
    if (c.jetstream.accessSecret) Object.assign(opts, parseUserPass(readBusSecret(c.jetstream.accessSecret, env)));
    return opts;
  }
  if (c.nats) {
    const opts: ConnectionOptions = { servers: c.nats.url.split(','), name: o.name };
    if (c.nats.auth === 'token' || (c.nats.accessSecret && c.nats.auth !== 'none')) {
      if (!c.nats.accessSecret) throw new ConfigError('EVENTBUS_CONFIG: nats auth "token" without accessSecret');
      opts.token = readBusSecret(c.nats.accessSecret, env);
    }
    return opts;
  }
  throw new ConfigError('EVENTBUS_CONFIG has neither nats, jetstream nor kafka');
}

/**
 * The servers to dial: each named server's addresses (getaddrinfo, which applies the pod's DNS search
 * path, as the Service name `svc.ns.svc` needs), in random order, then the name itself. A headless
 * Service name stands for every bus server; given only the name, the nats client resolves it with a
 * DNS query that ignores the search path, which fails in a pod, then dials the name, and the TCP
 * connect takes the first address that accepts: every attempt then goes to that one server, and one
 * server that accepts connections but does not answer (stopped, overloaded, refusing the credentials)
 * keeps the client from the others for good. With the addresses listed, each is tried in turn.
 */
export async function expandServers(servers: string[], lookup: (host: string) => Promise<string[]> = lookupAll): Promise<string[]> {
  const out: string[] = [];
  for (const s of servers) {
    const m = /^(?:(nats|tls|wss?):\/\/)?([^@/]*@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(s.trim());
    const host = m?.[3];
    if (!m || !host || isIP(host.replace(/^\[|\]$/g, '')) || m[1] === 'tls' || m[1]?.startsWith('ws')) {
      out.push(s);
      continue;
    }
    const ips = await lookup(host).catch(() => [] as string[]);
    const port = m[4] ?? '4222';
    const shuffled = ips.map((ip) => ({ ip, r: Math.random() })).sort((a, b) => a.r - b.r).map((x) => x.ip);
    for (const ip of shuffled) out.push(`${m[1] ?? 'nats'}://${m[2] ?? ''}${isIP(ip) === 6 ? `[${ip}]` : ip}:${port}`);
    out.push(s);
  }
  return [...new Set(out)];
}

function lookupAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => dns.lookup(host, { all: true }, (e, a) => (e ? reject(e) : resolve(a.map((x) => x.address)))));
}

/** Connects with back-off; every failure is logged ("event bus unreachable"). */
export async function connectBus(o: BusOptions): Promise<Bus> {
  if ((o.config as { kafka?: { url?: string } }).kafka && !o.config.nats && !o.config.jetstream) return kafkaBus(o);
  const opts: ConnectionOptions = { ...connectionOptions(o), reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 1000, timeout: 5000 };
  let wait = o.backoffMs ?? 1000;
  const lostGraceMs = o.lostGraceMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new Error('aborted');
    try {
      // every server of the bus by address, then by name (see expandServers)
      const servers = await expandServers(([] as string[]).concat(opts.servers ?? []));
      const nc = await connect({ ...opts, servers, ...(servers.length > 1 ? { noRandomize: true } : {}) });
      const link = new Link(nc, lostGraceMs);
      if (o.config.jetstream) {
        const bus = new JetStreamBus(nc, o.log, link);
        try {
          await bus.ensureStream(o.config.jetstream.streamConfig);
        } catch (e) {
          // JetStream not ready yet (a cluster still electing, no quorum): close and try again
          await nc.close().catch(() => {});
          throw new Error(`JetStream stream ${STREAM}: ${(e as Error).message}`);
        }
        o.log('info', 'connected to the event bus', { servers: String(opts.servers), attempt });
        o.onState?.({ connected: true });
        watchStatus(link, o.log, lostGraceMs, o.onState);
        return bus;
      }
      o.log('info', 'connected to the event bus', { servers: String(opts.servers), attempt });
      o.onState?.({ connected: true });
      watchStatus(link, o.log, lostGraceMs, o.onState);
      // a native bus's channel store (its maxAge / maxMsgs / maxBytes / maxSubs), kept by the publishers
      if (o.publisher && o.config.nats?.limitsConfigMap) watchLimits(nc, o.subject, join(o.env?.EVENTS_BUS_LIMITS_DIR || process.env.EVENTS_BUS_LIMITS_DIR || BUS_LIMITS_DIR, 'limits.json'), o.log);
      return new CoreBus(nc, o.subject, o.log, link);
    } catch (e) {
      const msg = (e as Error).message || String(e);
      if (/authorization|authentication/i.test(msg) && attempt === 1) o.log('error', `event bus refused the credentials: ${msg}`);
      o.onState?.({ connected: false, error: msg });
      if (o.maxAttempts && attempt >= o.maxAttempts) throw new Error(`event bus unreachable after ${attempt} attempts: ${msg}`);
      o.log('warn', `event bus unreachable (retrying in ${wait} ms): ${msg}`, { servers: String(opts.servers), attempt });
      await sleep(wait, o.signal);
      wait = Math.min(wait * 2, 30_000);
    }
  }
}

/** A Kafka EventBus (kafkajs), connected with the same back-off as NATS; failures name the brokers. */
async function kafkaBus(o: BusOptions): Promise<Bus> {
  const cfg = (o.config as { kafka: KafkaBusConfig }).kafka;
  const url = String(cfg.url ?? '');
  if (!url.trim()) throw new ConfigError('EVENTBUS_CONFIG: kafka without url');
  const namespace = o.namespace ?? o.subject.replace(/^eventbus-/, '');
  const secret: SecretReader = (sel) =>
    readSecret(sel, namespace, () => {
      if (!o.kube) throw new Error('no Kubernetes API to read the secret');
      return o.kube();
    });
  let wait = o.backoffMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new Error('aborted');
    try {
      const bus = await KafkaBus.connect(cfg, { name: o.name, namespace, log: o.log, secret });
      o.log('info', 'connected to the event bus', { servers: url, topic: cfg.topic, attempt });
      return bus;
    } catch (e) {
      const err = kafkaCause(e);
      if (o.maxAttempts && attempt >= o.maxAttempts) throw new Error(`event bus unreachable after ${attempt} attempts: kafka broker ${url}: ${err}`);
      o.log('warn', `event bus unreachable (retrying in ${wait} ms): kafka broker ${url}: ${err}`, { attempt });
      await sleep(wait, o.signal);
      wait = Math.min(wait * 2, 30_000);
    }
  }
}

/** Logs the connection's changes; a connection lost for longer than graceMs is reported (onState), and its return. */
function watchStatus(link: Link, log: Logger, graceMs: number, onState?: BusStateListener): void {
  let timer: NodeJS.Timeout | undefined;
  let reported = false;
  void (async () => {
    for await (const s of link.nc.status()) {
      if (s.type === 'disconnect') {
        log('warn', `event bus connection lost (${String(s.data)}), reconnecting`);
        link.lostAt ??= Date.now();
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (link.lostAt === undefined || link.nc.isClosed()) return;
          reported = true;
          onState?.({ connected: false, error: `connection lost (${String(s.data)}), reconnecting for ${Math.round((Date.now() - link.lostAt) / 1000)} s` });
        }, graceMs + 50);
        timer.unref();
      } else if (s.type === 'reconnect') {
        log('info', `event bus reconnected (${String(s.data)})`);
        link.lostAt = undefined;
        clearTimeout(timer);
        if (reported) onState?.({ connected: true });
        reported = false;
      } else if (s.type === 'error') log('error', `event bus error: ${String(s.data)}`);
    }
  })().catch(() => {});
}

class CoreBus implements Bus {
  readonly kind = 'nats' as const;
  flushTimeoutMs = 10_000;
  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly link: Link,
  ) {}
  /** connected, or reconnecting for less than the grace period */
  get connected() {
    return this.link.connected;
  }
  subjectOf(es: string, ev: string) {
    return `${this.prefix}.${subjectToken(es)}.${subjectToken(ev)}`;
  }
  async publish(ev: CloudEvent): Promise<void> {
    this.nc.publish(this.subjectOf(ev.source, ev.subject), enc.encode(JSON.stringify(ev)));
    // while the connection is down the client buffers and flush waits for the reconnect: bound it
    let t: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.nc.flush(), new Promise((_, reject) => (t = setTimeout(() => reject(new Error(`the event bus did not confirm within ${this.flushTimeoutMs} ms (disconnected?)`)), this.flushTimeoutMs)))]);
    } finally {
      clearTimeout(t);
    }
  }
  async subscribe(_prefix: string, subs: BusSubscription[], handler: BusHandler): Promise<void> {
    const bySubject = new Map<string, string[]>();
    for (const s of subs) {
      const subj = this.subjectOf(s.eventSourceName, s.eventName);
      bySubject.set(subj, [...(bySubject.get(subj) ?? []), s.name]);
    }
    for (const [subj, deps] of bySubject) {
      this.nc.subscribe(subj, {
        callback: (err, m) => {
          if (err) return this.log('error', `subscription ${subj}: ${err.message}`);
          let ev: CloudEvent;
          try {
            ev = JSON.parse(dec.decode(m.data)) as CloudEvent;
          } catch (e) {
            return this.log('warn', `dropping a message on ${subj} that is not a JSON CloudEvent: ${(e as Error).message}`);
          }
          for (const d of deps) handler(d, ev, () => {});
        },
      });
    }
    await this.nc.flush();
  }
  async close() {
    await this.nc.drain().catch(() => this.nc.close());
  }
}

export const STREAM = 'default';

class JetStreamBus implements Bus {
  readonly kind = 'jetstream' as const;
  private readonly js: JetStreamClient;
  private jsm?: JetStreamManager;
  private readonly iters: ConsumerMessages[] = [];
  private streamConfig?: string;
  private closed = false;
  /** the first wait before subscribing again */
  retryMs = 1000;
  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly link: Link,
  ) {
    this.js = nc.jetstream();
  }
  get connected() {
    return this.link.connected;
  }
  async ensureStream(streamConfig?: string): Promise<void> {
    this.streamConfig = streamConfig;
    this.jsm = await this.nc.jetstreamManager();
    const extra = parseStreamConfig(streamConfig);
    try {
      await this.jsm.streams.info(STREAM);
    } catch {
      try {
        try {
          await this.jsm.streams.add({ ...extra, name: STREAM, subjects: [`${STREAM}.>`] });
        } catch (e) {
          // a server that is not clustered (or smaller than replicas) refuses replicas > 1
          if (!/replica|cluster/i.test((e as Error).message) || !extra.num_replicas || extra.num_replicas === 1) throw e;
          this.log('warn', `JetStream refused ${String(extra.num_replicas)} stream replicas (${(e as Error).message}); creating the stream with 1`);
          await this.jsm.streams.add({ ...extra, num_replicas: 1, name: STREAM, subjects: [`${STREAM}.>`] });
        }
        this.log('info', `created the JetStream stream ${STREAM}`);
      } catch (e) {
        // another process created it meanwhile
        await this.jsm.streams.info(STREAM).catch(() => {
          throw e;
        });
      }
    }
  }
  async publish(ev: CloudEvent): Promise<void> {
    await this.js.publish(`${STREAM}.${subjectToken(ev.source)}.${subjectToken(ev.subject)}`, enc.encode(JSON.stringify(ev)), { msgID: ev.id });
  }
  /**
   * One durable consumer per dependency. Creating it is retried with back-off (1 s → 30 s) while
   * JetStream cannot answer (a cluster electing its leaders, the stream missing: it is created again),
   * rather than failing the Sensor, whose pod would then wait in CrashLoopBackOff for minutes.
   */
  async subscribe(prefix: string, subs: BusSubscription[], handler: BusHandler): Promise<void> {
    for (const s of subs) {
      for (let wait = this.retryMs, attempt = 1; ; wait = Math.min(wait * 2, 30_000), attempt++) {
        if (this.closed) throw new Error('the bus is closed');
        try {
          await this.subscribeOne(prefix, s, handler);
          break;
        } catch (e) {
          const msg = (e as Error).message;
          this.log('warn', `cannot subscribe dependency ${s.name} on the JetStream bus (retrying in ${wait} ms): ${msg}`, { attempt });
          if (/stream not found/i.test(msg)) await this.ensureStream(this.streamConfig).catch(() => {});
          await sleep(wait);
        }
      }
    }
  }
  private async subscribeOne(prefix: string, s: BusSubscription, handler: BusHandler): Promise<void> {
    const jsm = this.jsm ?? (this.jsm = await this.nc.jetstreamManager());
    const durable = `${subjectToken(prefix)}-${subjectToken(s.name)}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const filter = `${STREAM}.${subjectToken(s.eventSourceName)}.${subjectToken(s.eventName)}`;
    const existing = await jsm.consumers.info(STREAM, durable).catch(() => undefined);
    if (existing && existing.config.filter_subject !== filter) {
      // the dependency now names another event: the old position means nothing for the new subject
      this.log('info', `consumer ${durable} filtered ${existing.config.filter_subject}; recreating it for ${filter}`);
      await jsm.consumers.delete(STREAM, durable);
    }
    if (!existing || existing.config.filter_subject !== filter) {
      await jsm.consumers.add(STREAM, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New, filter_subject: filter, ack_wait: 30_000_000_000 });
    }
    const consumer = await this.js.consumers.get(STREAM, durable);
    const msgs = await consumer.consume();
    this.iters.push(msgs);
    void (async () => {
      for await (const m of msgs) {
        let ev: CloudEvent;
        try {
          ev = JSON.parse(dec.decode(m.data)) as CloudEvent;
        } catch (e) {
          this.log('warn', `dropping a message on ${m.subject} that is not a JSON CloudEvent: ${(e as Error).message}`);
          m.term();
          continue;
        }
        handler(s.name, ev, () => m.ack());
      }
    })().catch((e) => this.log('error', `consumer ${durable} stopped: ${(e as Error).message}`));
  }
  async close() {
    this.closed = true;
    for (const i of this.iters) await i.close()?.catch(() => {});
    await this.nc.drain().catch(() => this.nc.close());
  }
}

/** streamConfig: upstream's `maxMsgs`, `maxAge` (72h), `maxBytes` (-1, 1GB), `replicas`, `duplicates`, `retention` (0 limits, 1 interest, 2 workqueue), `discard` (0 old, 1 new) lines. */
export function parseStreamConfig(text?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!text) return out;
  const dur = (s: string) => {
    const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)?$/.exec(s.trim());
    if (!m) return undefined;
    const mult: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
    return Math.round(Number(m[1]) * mult[m[2] ?? 's']!);
  };
  const bytes = (s: string) => {
    const m = /^(-?\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?$/i.exec(s.trim());
    if (!m) return undefined;
    const u = (m[2] ?? '').toUpperCase().replace(/I?B$/, '');
    const mult: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
    return Math.round(Number(m[1]) * (mult[u] ?? 1));
  };
  const num = (s: string) => (Number.isFinite(Number(s)) ? Number(s) : undefined);
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s*:\s*"?([^"#]*?)"?\s*$/.exec(line);
    if (!m) continue;
    const [, k, v] = m as unknown as [string, string, string];
    const set = (key: string, val: unknown) => {
      if (val !== undefined) out[key] = val;
    };
    if (k === 'maxMsgs') set('max_msgs', num(v));
    else if (k === 'maxBytes') set('max_bytes', bytes(v));
    else if (k === 'maxAge') set('max_age', dur(v));
    else if (k === 'duplicates') set('duplicate_window', dur(v));
    else if (k === 'replicas') set('num_replicas', num(v));
    else if (k === 'retention') set('retention', ({ '0': 'limits', '1': 'interest', '2': 'workqueue', limits: 'limits', interest: 'interest', workqueue: 'workqueue' } as Record<string, string>)[v.toLowerCase()]);
    else if (k === 'discard') set('discard', ({ '0': 'old', '1': 'new', old: 'old', new: 'new' } as Record<string, string>)[v.toLowerCase()]);
  }
  return out;
}
