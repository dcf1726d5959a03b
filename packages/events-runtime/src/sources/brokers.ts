/** Message-broker sources: nats (subject), redis (pub/sub), redisStream (consumer groups), amqp (RabbitMQ), mqtt. */
import { connect as natsConnect, type ConnectionOptions } from 'nats';
import { Redis } from 'ioredis';
import * as amqp from 'amqplib';
import mqtt from 'mqtt';
import { bodyOf, readSecret, type SourceContext, type Source } from './common.js';
import { kafkaClient, kafkaCause, unreachable, headerStrings } from '../kafka.js';

const logEmit = (ctx: SourceContext, p: Promise<boolean>) => void p.catch((e) => ctx.log('error', `${ctx.type}: publishing failed: ${(e as Error).message}`, { eventName: ctx.eventName }));

/** Builds data with the message body per jsonBody; a body that is not JSON counts as a failed event. */
function withBody(ctx: SourceContext, raw: Buffer | Uint8Array | string, jsonBody: boolean | undefined, make: (body: unknown) => unknown): unknown {
  try {
    return make(bodyOf(raw, jsonBody));
  } catch (e) {
    ctx.failed((e as Error).message);
    ctx.log('warn', `${ctx.type}: ${(e as Error).message}; dropped`, { eventName: ctx.eventName });
    return undefined;
  }
}

export async function startNats(ctx: SourceContext, spec: any): Promise<Source> {
  if (!spec.url || !spec.subject) throw new Error('nats: url and subject are required');
  const opts: ConnectionOptions = { servers: String(spec.url).split(','), reconnect: true, maxReconnectAttempts: -1, waitOnFirstConnect: true, name: `${ctx.eventSourceName}-${ctx.eventName}` };
  const a = spec.auth ?? {};
  if (a.token) opts.token = (await readSecret(a.token, ctx.namespace, ctx.kube))?.trim();
  if (a.basic) {
    opts.user = (await readSecret(a.basic.username, ctx.namespace, ctx.kube))?.trim();
    opts.pass = (await readSecret(a.basic.password, ctx.namespace, ctx.kube))?.trim();
  }
  const nc = await natsConnect(opts);
  const sub = nc.subscribe(String(spec.subject), spec.queue ? { queue: String(spec.queue) } : {});
  void (async () => {
    for await (const m of sub) {
      const header: Record<string, string[]> = {};
      if (m.headers) for (const [k, v] of m.headers) header[k] = v;
      const data = withBody(ctx, m.data, spec.jsonBody, (body) => ({ subject: m.subject, data: body, header, metadata: spec.metadata }));
      if (data !== undefined) logEmit(ctx, ctx.emit(data));
    }
  })();
  return { stop: async () => void (await nc.drain().catch(() => nc.close())) };
}

async function redisClient(ctx: SourceContext, spec: any): Promise<Redis> {
  const [host, port] = String(spec.hostAddress ?? 'localhost:6379').split(':');
  const password = spec.password ? (await readSecret(spec.password, ctx.namespace, ctx.kube))?.trim() : undefined;
  const c = new Redis({ host, port: Number(port ?? 6379), db: Number(spec.db ?? 0), password, username: spec.username || undefined, lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 500, 10_000) });
  c.on('error', (e) => ctx.log('warn', `${ctx.type}: redis ${spec.hostAddress}: ${e.message}`));
  try {
    await c.connect();
  } catch (e) {
    c.disconnect();
    throw new Error(`redis ${spec.hostAddress}: ${(e as Error).message}`);
  }
  return c;
}

export async function startRedis(ctx: SourceContext, spec: any): Promise<Source> {
  const channels: string[] = spec.channels ?? [];
  if (!channels.length) throw new Error('redis: channels are required');
  const c = await redisClient(ctx, spec);
  c.on('pmessage', (pattern: string, channel: string, message: Buffer | string) => {
    const data = withBody(ctx, message, spec.jsonBody, (body) => ({ channel, pattern, body, metadata: spec.metadata }));
    if (data !== undefined) logEmit(ctx, ctx.emit(data));
  });
  await c.psubscribe(...channels);
  return { stop: async () => void c.disconnect() };
}

export async function startRedisStream(ctx: SourceContext, spec: any): Promise<Source> {
  const streams: string[] = spec.streams ?? [];
  if (!streams.length) throw new Error('redisStream: streams are required');
  const group: string = spec.consumerGroup || 'argo-events-cg';
  const count = Number(spec.maxMsgCountPerRead || 10);
  const c = await redisClient(ctx, spec);
  for (const s of streams) {
    try {
      await c.xgroup('CREATE', s, group, '$', 'MKSTREAM');
    } catch (e) {
      if (!/BUSYGROUP/.test((e as Error).message)) throw e;
    }
  }
  const consumer = `${ctx.eventSourceName}-${process.env.POD_NAME ?? process.pid}`;
  let stopped = false;
  const loop = (async () => {
    // first the messages delivered to this consumer but never acknowledged, then new ones
    let ids = streams.map(() => '0');
    while (!stopped) {
      let res: [string, [string, string[]][]][] | null;
      try {
        res = (await c.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'BLOCK', 1000, 'STREAMS', ...streams, ...ids)) as typeof res;
      } catch (e) {
        if (stopped) break;
        ctx.log('warn', `redisStream: read failed: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      let anyOld = false;
      for (const [stream, entries] of res ?? []) {
        if (ids[streams.indexOf(stream)] === '0' && entries.length) anyOld = true;
        for (const [id, kv] of entries) {
          const values: Record<string, string> = {};
          for (let i = 0; i + 1 < kv.length; i += 2) values[kv[i]!] = kv[i + 1]!;
          try {
            await ctx.emit({ stream, id, values, metadata: spec.metadata });
            await c.xack(stream, group, id);
          } catch (e) {
            ctx.log('error', `redisStream: publishing ${stream} ${id} failed: ${(e as Error).message}`);
          }
        }
      }
      if (!anyOld) ids = streams.map(() => '>');
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop.catch(() => {});
      c.disconnect();
    },
  };
}

export async function startAmqp(ctx: SourceContext, spec: any): Promise<Source> {
  if (!spec.url && !spec.urlSecret) throw new Error('amqp: url is required');
  let url = spec.url ? String(spec.url) : ((await readSecret(spec.urlSecret, ctx.namespace, ctx.kube)) ?? '').trim();
  if (spec.auth?.username && spec.auth?.password) {
    const u = new URL(url);
    u.username = encodeURIComponent(((await readSecret(spec.auth.username, ctx.namespace, ctx.kube)) ?? '').trim());
    u.password = encodeURIComponent(((await readSecret(spec.auth.password, ctx.namespace, ctx.kube)) ?? '').trim());
    url = u.toString();
  }
  const conn = await amqp.connect(url).catch((e: Error) => {
    throw new Error(`amqp ${new URL(url).host}: ${e.message}`);
  });
  conn.on('error', (e) => ctx.log('warn', `amqp: ${e.message}`));
  const ch = await conn.createChannel();
  const ed = spec.exchangeDeclare ?? {};
  const exchange: string = spec.exchangeName ?? '';
  if (exchange) await ch.assertExchange(exchange, spec.exchangeType || 'topic', { durable: ed.durable ?? true, autoDelete: ed.autoDelete ?? false, internal: ed.internal ?? false });
  const qd = spec.queueDeclare ?? {};
  const q = await ch.assertQueue(qd.name ?? '', { durable: qd.durable ?? false, autoDelete: qd.autoDelete ?? false, exclusive: qd.exclusive ?? true, arguments: parseArgs(qd.arguments) });
  if (exchange) await ch.bindQueue(q.queue, exchange, spec.routingKey ?? '');
  const cs = spec.consume ?? {};
  const autoAck = cs.autoAck ?? true;
  await ch.consume(
    q.queue,
    (m) => {
      if (!m) return;
      const p = m.properties;
      const data = withBody(ctx, m.content, spec.jsonBody, (body) => ({
        contentType: p.contentType ?? '',
        contentEncoding: p.contentEncoding ?? '',
        deliveryMode: p.deliveryMode ?? 0,
        priority: p.priority ?? 0,
        correlationId: p.correlationId ?? '',
        replyTo: p.replyTo ?? '',
        expiration: p.expiration ?? '',
        messageId: p.messageId ?? '',
        timestamp: p.timestamp ? new Date(Number(p.timestamp) * 1000).toISOString() : '0001-01-01T00:00:00Z',
        type: p.type ?? '',
        appId: p.appId ?? '',
        exchange: m.fields.exchange,
        routingKey: m.fields.routingKey,
        headers: p.headers ?? {},
        body,
        metadata: spec.metadata,
      }));
      if (data === undefined) return autoAck ? undefined : ch.nack(m, false, false);
      void ctx
        .emit(data)
        .then(() => (autoAck ? undefined : ch.ack(m)))
        .catch((e) => {
          ctx.log('error', `amqp: publishing failed: ${(e as Error).message}`);
          if (!autoAck) ch.nack(m, false, true);
        });
    },
    { consumerTag: cs.consumerTag || undefined, noAck: autoAck, exclusive: cs.exclusive ?? false, noLocal: cs.noLocal ?? false },
  );
  return { stop: async () => void (await conn.close().catch(() => {})) };
}

/** queueDeclare.arguments: upstream's "x-queue-type: quorum" YAML-ish text. */
function parseArgs(text: unknown): Record<string, unknown> | undefined {
  if (!text) return undefined;
  if (typeof text === 'object') return text as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const line of String(text).split('\n')) {
    const m = /^\s*([^:#]+?)\s*:\s*"?([^"]*?)"?\s*$/.exec(line);
    if (m) out[m[1]!] = /^-?\d+$/.test(m[2]!) ? Number(m[2]) : m[2];
  }
  return out;
}

export async function startMqtt(ctx: SourceContext, spec: any): Promise<Source> {
  if (!spec.url || !spec.topic) throw new Error('mqtt: url and topic are required');
  const user = spec.auth?.username ? (await readSecret(spec.auth.username, ctx.namespace, ctx.kube))?.trim() : undefined;
  const pass = spec.auth?.password ? (await readSecret(spec.auth.password, ctx.namespace, ctx.kube))?.trim() : undefined;
  const client = mqtt.connect(String(spec.url), { clientId: spec.clientId || `argo-events-${Math.random().toString(16).slice(2, 10)}`, username: user, password: pass, reconnectPeriod: 1000, connectTimeout: 5000 });
  await new Promise<void>((resolve, reject) => {
    const fail = (e: Error) => {
      client.removeListener('connect', ok);
      client.end(true);
      reject(new Error(`mqtt ${spec.url}: ${e.message || 'connection failed'}`));
    };
    const ok = () => {
      client.removeListener('error', fail);
      resolve();
    };
    client.once('connect', ok);
    client.once('error', fail);
  });
  client.on('error', (e) => ctx.log('warn', `mqtt: ${e.message}`));
  client.on('message', (topic, payload, packet) => {
    const data = withBody(ctx, payload, spec.jsonBody, (body) => ({ topic, messageId: packet.messageId ?? 0, body, metadata: spec.metadata }));
    if (data !== undefined) logEmit(ctx, ctx.emit(data));
  });
  await client.subscribeAsync(String(spec.topic), { qos: (Number(spec.qos ?? 0) as 0 | 1 | 2) });
  return { stop: async () => void (await client.endAsync().catch(() => {})) };
}

/**
 * kafka (kafkajs): `url` (brokers), `topic`, `partition` (only that partition's messages), `consumerGroup`
 * (`groupName` — default `argo-events-<namespace>-<eventsource>-<event>` —, `oldest`), `jsonBody`,
 * `limitEventsPerSecond`, `tls`, `sasl`, `metadata`. Data as upstream: `{topic, key, partition, offset,
 * timestamp, headers, body, metadata}`. An unreachable broker fails the start with `kafka broker <url>
 * unreachable: …` (the eventsource service retries it with back-off).
 */
export async function startKafka(ctx: SourceContext, spec: any): Promise<Source> {
  const url = String(spec.url ?? '');
  if (!url || !spec.topic) throw new Error('kafka: url and topic are required');
  const secret = (sel: any) => readSecret(sel, ctx.namespace, ctx.kube);
  const kafka = await kafkaClient(spec, `argo-events-${ctx.eventSourceName}-${ctx.eventName}`, secret, ctx.log);
  const groupId = String(spec.consumerGroup?.groupName || `argo-events-${ctx.namespace}-${ctx.eventSourceName}-${ctx.eventName}`);
  const consumer = kafka.consumer({ groupId, retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 30_000 } });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: String(spec.topic), fromBeginning: !!spec.consumerGroup?.oldest });
  } catch (e) {
    await consumer.disconnect().catch(() => {});
    throw unreachable(url, e);
  }
  consumer.on(consumer.events.CRASH, (e) => ctx.log('warn', `kafka: consumer crashed (${kafkaCause(e.payload.error)}), ${e.payload.restart ? 'restarting' : 'stopped'}`, { eventName: ctx.eventName }));
  const only = spec.partition !== undefined && spec.partition !== '' ? Number(spec.partition) : undefined;
  const gapMs = Number(spec.limitEventsPerSecond) > 0 ? 1000 / Number(spec.limitEventsPerSecond) : 0;
  let next = 0;
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (only !== undefined && partition !== only) return;
      if (gapMs) {
        const wait = next - Date.now();
        next = Math.max(next, Date.now()) + gapMs;
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const data = withBody(ctx, message.value ?? Buffer.alloc(0), spec.jsonBody, (body) => ({
        topic,
        key: message.key?.toString('utf8') ?? '',
        partition,
        offset: Number(message.offset),
        timestamp: new Date(Number(message.timestamp)).toISOString(),
        headers: headerStrings(message.headers as Record<string, unknown>),
        body,
        metadata: spec.metadata,
      }));
      // the offset is committed once the event is on the bus: a failed publish is consumed again
      if (data !== undefined) await ctx.emit(data);
    },
  });
  return { stop: async () => void (await consumer.disconnect().catch(() => {})) };
}
