/** http, log, nats and kafka triggers; the cloud triggers (not available). */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as natsConnect } from 'nats';
import { buildPayload } from '../sensor/params.js';
import { readSecret } from '../sources/common.js';
import { CompressionTypes, type Producer } from 'kafkajs';
import { kafkaClient, kafkaCause, unreachable } from '../kafka.js';
import { PermanentError, type TriggerContext, type TriggerResult } from './common.js';

export async function runHttp(spec: any, ctx: TriggerContext, policy?: any): Promise<TriggerResult> {
  if (!spec.url) throw new PermanentError('http trigger without url');
  const url = new URL(spec.url);
  const method = String(spec.method || 'POST').toUpperCase();
  const headers: Record<string, string> = { ...(spec.headers ?? {}) };
  for (const h of spec.secureHeaders ?? []) {
    const ref = h.valueFrom?.secretKeyRef;
    const v = ref ? await readSecret(ref, ctx.namespace, ctx.kube) : h.valueFrom?.configMapKeyRef ? undefined : undefined;
    if (v !== undefined) headers[h.name] = v.trim();
  }
  if (spec.basicAuth) {
    const u = ((await readSecret(spec.basicAuth.username, ctx.namespace, ctx.kube)) ?? '').trim();
    const p = ((await readSecret(spec.basicAuth.password, ctx.namespace, ctx.kube)) ?? '').trim();
    headers.authorization = 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
  }
  const body = spec.payload?.length || !['GET', 'DELETE', 'HEAD'].includes(method) ? JSON.stringify(buildPayload(spec.payload, ctx.events)) : undefined;
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const tls = spec.tls ?? {};
  const tlsOpts: Record<string, unknown> = {};
  if (url.protocol === 'https:') {
    if (tls.insecureSkipVerify) tlsOpts.rejectUnauthorized = false;
    if (tls.caCertSecret) tlsOpts.ca = await readSecret(tls.caCertSecret, ctx.namespace, ctx.kube);
    if (tls.clientCertSecret) tlsOpts.cert = await readSecret(tls.clientCertSecret, ctx.namespace, ctx.kube);
    if (tls.clientKeySecret) tlsOpts.key = await readSecret(tls.clientKeySecret, ctx.namespace, ctx.kube);
  }
  const timeoutMs = Number(spec.timeout ?? 60) * 1000;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, timeout: timeoutMs, ...tlsOpts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').slice(0, 1000) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new Error(`${method} ${url.href}: ${e.message}`)));
    req.end(body);
  });
  const allow: number[] | undefined = policy?.status?.allow;
  if (allow?.length && !allow.includes(status)) throw new Error(`${method} ${url.href} answered ${status}, not one of the allowed ${allow.join(', ')}: ${text}`);
  return { status, message: `${method} ${url.href} → ${status}` };
}

export async function runLog(spec: any, ctx: TriggerContext): Promise<TriggerResult> {
  void spec;
  for (const [dep, ev] of Object.entries(ctx.events)) {
    const data = ev.data === undefined ? undefined : JSON.stringify(ev.data);
    ctx.log('info', `${ctx.sensorName}.${ctx.triggerName}: event`, { triggerName: ctx.triggerName, dependencyName: dep, eventContext: { id: ev.id, source: ev.source, subject: ev.subject, type: ev.type, time: ev.time }, data });
  }
  return { message: `logged ${Object.keys(ctx.events).length} event(s)` };
}

export async function runNats(spec: any, ctx: TriggerContext): Promise<TriggerResult> {
  if (!spec.url || !spec.subject) throw new PermanentError('nats trigger needs url and subject');
  const opts: Record<string, unknown> = { servers: String(spec.url).split(','), timeout: 5000 };
  if (spec.auth?.token) opts.token = (await readSecret(spec.auth.token, ctx.namespace, ctx.kube))?.trim();
  const nc = await natsConnect(opts).catch((e: Error) => {
    throw new Error(`nats ${spec.url}: ${e.message}`);
  });
  try {
    nc.publish(String(spec.subject), new TextEncoder().encode(JSON.stringify(buildPayload(spec.payload, ctx.events))));
    await nc.flush();
  } finally {
    await nc.close();
  }
  return { message: `published to nats subject ${spec.subject}` };
}

/**
 * kafka (kafkajs): `url`, `topic`, `partition`, `partitioningKey` (the message key), `payload` (the body,
 * as the http trigger builds it), `headers` / `secureHeaders`, `requiredAcks` (upstream's default 1;
 * -1 all), `compress` (gzip), `tls`, `sasl`. One producer per broker list, kept between events and
 * dropped on a failure.
 */
export async function runKafka(spec: any, ctx: TriggerContext): Promise<TriggerResult> {
  const url = String(spec.url ?? '').trim();
  if (!url) throw new PermanentError('kafka trigger without url');
  if (!spec.topic) throw new PermanentError('kafka trigger without topic');
  const headers: Record<string, string> = { ...(spec.headers ?? {}) };
  for (const h of spec.secureHeaders ?? []) {
    const ref = h.valueFrom?.secretKeyRef;
    const v = ref ? await readSecret(ref, ctx.namespace, ctx.kube) : undefined;
    if (v !== undefined) headers[h.name] = v.trim();
  }
  const key = `${ctx.namespace}/${url}/${spec.tls ? 'tls' : ''}/${spec.sasl ? JSON.stringify(spec.sasl) : ''}`;
  let p = producers.get(key);
  if (!p) {
    const kafka = await kafkaClient(spec, `argo-events-${ctx.sensorName}`, (sel) => readSecret(sel as any, ctx.namespace, ctx.kube), ctx.log);
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    p = producer.connect().then(
      () => producer,
      (e) => {
        producers.delete(key);
        void producer.disconnect().catch(() => {});
        throw unreachable(url, e);
      },
    );
    producers.set(key, p);
  }
  const producer = await p;
  const partition = spec.partition !== undefined && spec.partition !== '' && Number(spec.partition) >= 0 ? Number(spec.partition) : undefined;
  try {
    const r = await producer.send({
      topic: String(spec.topic),
      acks: spec.requiredAcks !== undefined ? Number(spec.requiredAcks) : 1,
      compression: spec.compress ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: [{ key: spec.partitioningKey ? String(spec.partitioningKey) : null, value: JSON.stringify(buildPayload(spec.payload, ctx.events)), headers, partition }],
    });
    const at = r[0] ? ` (partition ${r[0].partition}, offset ${r[0].baseOffset ?? '?'})` : '';
    return { message: `produced to kafka topic ${spec.topic}${at}` };
  } catch (e) {
    producers.delete(key);
    void producer.disconnect().catch(() => {});
    throw new Error(`kafka topic ${spec.topic} at ${url}: ${kafkaCause(e)}`);
  }
}

const producers = new Map<string, Promise<Producer>>();

/** Disconnects the kafka trigger's producers (the sensor stopping). */
export async function closeKafkaProducers(): Promise<void> {
  const all = [...producers.values()];
  producers.clear();
  await Promise.all(all.map((p) => p.then((x) => x.disconnect()).catch(() => {})));
}

export const UNAVAILABLE_TRIGGERS = ['awsLambda', 'azureEventHubs', 'azureServiceBus', 'slack', 'pulsar', 'openWhisk', 'custom', 'email'];
