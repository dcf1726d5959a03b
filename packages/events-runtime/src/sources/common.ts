/** What every event source gets from the eventsource service, and helpers they share. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { KubeClient, R } from '@flotilla/kube-runtime';
import type { Logger } from '../config.js';

export interface SourceContext {
  namespace: string;
  eventSourceName: string;
  /** the source type (CloudEvent `type`): webhook, calendar, … */
  type: string;
  eventName: string;
  log: Logger;
  /** publishes data as a CloudEvent (after filter.expression); false when filtered out; throws when the bus fails */
  emit(data: unknown): Promise<boolean>;
  /** counts an event that could not be processed (bad input) */
  failed(reason: string): void;
  kube(): KubeClient;
  signal: AbortSignal;
}

export interface Source {
  stop(): Promise<void>;
}

export type SourceStarter = (ctx: SourceContext, spec: any) => Promise<Source>;

export class NotAvailable extends Error {}

export interface SecretSelector {
  name: string;
  key: string;
  optional?: boolean;
}

/**
 * A Secret referenced by a source or trigger: the volume upstream mounts (`/argo-events/secrets/<name>/<key>`,
 * ARGO_EVENTS_SECRETS_DIR overrides), else read through the Kubernetes API in the object's namespace.
 */
export async function readSecret(sel: SecretSelector | undefined, namespace: string, kube: () => KubeClient): Promise<string | undefined> {
  if (!sel?.name || !sel.key) return undefined;
  const dir = process.env.ARGO_EVENTS_SECRETS_DIR || '/argo-events/secrets';
  const p = join(dir, sel.name, sel.key);
  if (existsSync(p)) return readFileSync(p, 'utf8');
  try {
    const s = (await kube().get(R.secrets, namespace, sel.name)) as { data?: Record<string, string>; stringData?: Record<string, string> };
    const v = s.data?.[sel.key];
    if (v !== undefined) return Buffer.from(v, 'base64').toString('utf8');
    if (s.stringData?.[sel.key] !== undefined) return s.stringData[sel.key];
    throw new Error(`secret ${namespace}/${sel.name} has no key ${sel.key}`);
  } catch (e) {
    if (sel.optional) return undefined;
    throw new Error(`cannot read secret ${sel.name}/${sel.key}: ${(e as Error).message}`);
  }
}

/** A message body as upstream puts it in event data: parsed JSON with jsonBody, else bytes (base64 in JSON). */
export function bodyOf(buf: Buffer | Uint8Array | string, jsonBody: boolean | undefined): unknown {
  const b = typeof buf === 'string' ? Buffer.from(buf) : Buffer.from(buf);
  if (jsonBody) {
    try {
      return JSON.parse(b.toString('utf8'));
    } catch {
      throw new Error('jsonBody is set but the message is not JSON');
    }
  }
  return b.toString('base64');
}

/** Go-style duration ("10s", "1m30s", "1h", "500ms") → milliseconds. */
export function parseDuration(s: string | number | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  if (typeof s === 'number') return s * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let total = 0;
  let seen = 0;
  let m: RegExpExecArray | null;
  const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  while ((m = re.exec(s))) {
    total += Number(m[1]) * mult[m[2]!]!;
    seen += m[0].length;
  }
  if (seen !== s.length) {
    if (/^\d+$/.test(s)) return Number(s) * 1000;
    throw new Error(`invalid duration ${JSON.stringify(s)}`);
  }
  return total;
}

/** Whether host:port accepts a TCP connection: undefined when it does, else the error. */
export function probeTcp(hostPort: string, defaultPort: number, timeoutMs = 3000): Promise<string | undefined> {
  const [host, port] = hostPort.trim().replace(/^[a-z]+:\/\//, '').split(':');
  return new Promise((resolve) => {
    if (!host) return resolve('no address');
    const s = tcpConnect({ host, port: Number(port || defaultPort), timeout: timeoutMs });
    s.once('connect', () => (s.destroy(), resolve(undefined)));
    s.once('timeout', () => (s.destroy(), resolve('connect timed out')));
    s.once('error', (e) => resolve(e.message));
  });
}
