/**
 * Kafka through kafkajs, shared by the Kafka EventBus, the kafka event source and the kafka trigger:
 * brokers from upstream's comma-separated `url`, `tls` (caCertSecret, clientCertSecret, clientKeySecret,
 * insecureSkipVerify), `sasl` (mechanism PLAIN — upstream's default —, SCRAM-SHA-256, SCRAM-SHA-512 with
 * userSecret / passwordSecret). Connection failures become one clear message naming the brokers
 * (`kafka broker <url> unreachable: <cause>`); kafkajs' own retries are kept short so callers back off.
 */
import { Kafka, logLevel, type KafkaConfig, type SASLOptions, type LogEntry } from 'kafkajs';
import type { SecretSelector } from './sources/common.js';
import type { Logger } from './config.js';

/** Reads a Secret key referenced by the spec (undefined when not set). */
export type SecretReader = (sel: SecretSelector | undefined) => Promise<string | undefined>;

export interface KafkaConnectSpec {
  url?: string;
  tls?: { caCertSecret?: SecretSelector; clientCertSecret?: SecretSelector; clientKeySecret?: SecretSelector; insecureSkipVerify?: boolean };
  sasl?: { mechanism?: string; userSecret?: SecretSelector; passwordSecret?: SecretSelector };
}

/** `url` → broker list ("a:9092,b:9092"; a scheme, if any, dropped; port 9092 by default). */
export function brokersOf(url: unknown): string[] {
  const list = String(url ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, ''))
    .filter(Boolean)
    .map((s) => (/:\d+$/.test(s) ? s : `${s}:9092`));
  return list;
}

/** The root cause of a kafkajs error (retries wrap the original). */
export function kafkaCause(e: unknown): string {
  let cur = e as { message?: string; originalError?: unknown; cause?: unknown } | undefined;
  const seen = new Set<unknown>();
  while (cur && !seen.has(cur)) {
    seen.add(cur);
    const next = (cur.originalError ?? cur.cause) as typeof cur;
    if (!next || typeof next !== 'object') break;
    cur = next;
  }
  const msg = cur?.message || String(e);
  return msg.replace(/^Connection error: /, '');
}

/** The message every Kafka failure to connect is reported with. */
export function unreachable(url: string, e: unknown): Error {
  return new Error(`kafka broker ${url} unreachable: ${kafkaCause(e)}`);
}

export async function kafkaConfig(spec: KafkaConnectSpec, clientId: string, secret: SecretReader, log?: Logger): Promise<KafkaConfig> {
  const brokers = brokersOf(spec.url);
  if (!brokers.length) throw new Error('kafka: url is required');
  const cfg: KafkaConfig = {
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 3000 },
    logLevel: logLevel.ERROR,
    // kafkajs' own lines go to the runtime's JSON log at debug level: the callers report failures once, clearly
    logCreator: () => (entry: LogEntry) => log?.('debug', `kafkajs ${entry.namespace}: ${entry.log.message}`, { broker: entry.log.broker }),
  };
  const tls = spec.tls;
  if (tls && (tls.caCertSecret || tls.clientCertSecret || tls.clientKeySecret || tls.insecureSkipVerify)) {
    cfg.ssl = {
      rejectUnauthorized: !tls.insecureSkipVerify,
      ca: tls.caCertSecret ? [(await secret(tls.caCertSecret)) ?? ''] : undefined,
      cert: tls.clientCertSecret ? await secret(tls.clientCertSecret) : undefined,
      key: tls.clientKeySecret ? await secret(tls.clientKeySecret) : undefined,
    };
  }
  if (spec.sasl) {
    const mech = String(spec.sasl.mechanism || 'PLAIN').toUpperCase();
    const username = ((await secret(spec.sasl.userSecret)) ?? '').trim();
    const password = ((await secret(spec.sasl.passwordSecret)) ?? '').trim();
    const byName: Record<string, SASLOptions['mechanism']> = { PLAIN: 'plain', 'SCRAM-SHA-256': 'scram-sha-256', 'SCRAM-SHA-512': 'scram-sha-512' };
    const mechanism = byName[mech];
    if (!mechanism) throw new Error(`kafka: sasl mechanism ${JSON.stringify(spec.sasl.mechanism)} is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)`);
    cfg.sasl = { mechanism, username, password } as SASLOptions;
  }
  return cfg;
}

export async function kafkaClient(spec: KafkaConnectSpec, clientId: string, secret: SecretReader, log?: Logger): Promise<Kafka> {
  return new Kafka(await kafkaConfig(spec, clientId, secret, log));
}

/** Kafka header values (Buffer | string | arrays) → strings. */
export function headerStrings(h: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map((x) => String(x)).join(',') : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}
