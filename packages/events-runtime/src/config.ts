/**
 * The runtime's configuration, exactly as the ev-ctl controllers pass it (TEAM.md "Events runtime config"):
 * EVENTSOURCE_OBJECT / SENSOR_OBJECT and EVENTBUS_CONFIG are base64 JSON; bus credentials are files under
 * /volumes/events-bus-auth/<secret>/<key> (EVENTS_BUS_AUTH_DIR overrides the directory, for tests).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SecretRef {
  name: string;
  key: string;
}

export interface EventBusConfig {
  nats?: { url: string; clusterID?: string; auth?: 'none' | 'token'; accessSecret?: SecretRef; limitsConfigMap?: string };
  jetstream?: { url: string; accessSecret?: SecretRef; streamConfig?: string };
  /** an external Kafka bus (kafkajs): url, topic, tls, sasl, consumerGroup */
  kafka?: { url?: string; topic?: string; version?: string; tls?: any; sasl?: any; consumerGroup?: { groupName?: string; rebalanceStrategy?: string; startOldest?: boolean } };
}

export class ConfigError extends Error {}

/** Decodes a base64 JSON env variable (plain JSON is accepted too). */
export function decodeEnvObject<T = any>(name: string, env: NodeJS.ProcessEnv = process.env): T {
  const raw = env[name];
  if (!raw) throw new ConfigError(`${name} is not set`);
  const text = raw.trimStart().startsWith('{') ? raw : Buffer.from(raw, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ConfigError(`${name} is not base64 of a JSON object: ${(e as Error).message}`);
  }
}

export const busAuthDir = (env: NodeJS.ProcessEnv = process.env) => env.EVENTS_BUS_AUTH_DIR || '/volumes/events-bus-auth';

/** Reads a bus credential mounted from a Secret. */
export function readBusSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  const p = join(busAuthDir(env), ref.name, ref.key);
  try {
    return readFileSync(p, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`cannot read the event bus credential ${p}: ${(e as Error).message}`);
  }
}

/** JetStream credentials: upstream's secret holds `username: …` / `password: …` lines (YAML); `user:pass` also works. */
export function parseUserPass(text: string): { user: string; pass: string } {
  const m = /^\s*user(?:name)?\s*:\s*"?([^"\n]*?)"?\s*$/m.exec(text);
  const p = /^\s*password\s*:\s*"?([^"\n]*?)"?\s*$/m.exec(text);
  if (m && p) return { user: m[1]!, pass: p[1]! };
  const i = text.indexOf(':');
  if (i > 0 && !text.includes('\n')) return { user: text.slice(0, i), pass: text.slice(i + 1) };
  throw new ConfigError('the JetStream credential is neither "username: …\\npassword: …" nor "user:pass"');
}

export type Logger = (level: 'info' | 'warn' | 'error' | 'debug', msg: string, fields?: Record<string, unknown>) => void;

/** JSON lines on stderr (upstream logs JSON with level/ts/msg). */
export function makeLogger(base: Record<string, unknown>): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 } as const;
  const min = order[(process.env.LOG_LEVEL ?? 'info').toLowerCase() as keyof typeof order] ?? 1;
  return (level, msg, fields) => {
    if (order[level] < min) return;
    process.stderr.write(JSON.stringify({ level, ts: new Date().toISOString(), msg, ...base, ...fields }) + '\n');
  };
}

/** A CloudEvent as it travels on the bus. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: string;
  data: unknown;
}

/** A field read as Go's encoding/json matches names: exact first, then case-insensitively. */
export function field<T = any>(obj: unknown, name: string): T | undefined {
  if (!obj || typeof obj !== 'object') return undefined;
  const o = obj as Record<string, unknown>;
  if (name in o) return o[name] as T;
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k] as T;
  return undefined;
}
