/** HTTP for the services: fetch with a timeout, optional TLS verification off, and retries with back-off. */
import { Agent } from 'node:https';

export class DeliveryError extends Error {}

export interface HttpOpts {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  insecureSkipVerify?: boolean;
  timeoutMs?: number;
  /** retries after the first attempt on network errors and 5xx/429 */
  retryMax?: number;
  retryWaitMinMs?: number;
  retryWaitMaxMs?: number;
}

export interface HttpResult {
  status: number;
  text: string;
}

const insecure = new Agent({ rejectUnauthorized: false });

async function once(url: string, o: HttpOpts): Promise<HttpResult> {
  let res: Response;
  // fetch (undici) takes no node:https agent: insecure TLS goes through node's https
  if (o.insecureSkipVerify && url.startsWith('https:')) return viaNodeHttps(url, o);
  try {
    res = await fetch(url, { method: o.method ?? 'POST', headers: o.headers, body: o.body, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
  } catch (e) {
    throw new DeliveryError(`${o.method ?? 'POST'} ${redact(url)}: ${(e as Error).cause ? ((e as Error).cause as Error).message : (e as Error).message}`);
  }
  return { status: res.status, text: await res.text() };
}

function viaNodeHttps(url: string, o: HttpOpts): Promise<HttpResult> {
  return import('node:https').then(
    (https) =>
      new Promise<HttpResult>((resolve, reject) => {
        const req = https.request(url, { method: o.method ?? 'POST', headers: o.headers, agent: insecure, timeout: o.timeoutMs ?? 10_000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', (e) => reject(new DeliveryError(`${o.method ?? 'POST'} ${redact(url)}: ${e.message}`)));
        req.end(o.body);
      }),
  );
}

/** Tokens in URLs (Telegram's /bot<token>/) never reach logs or errors. */
export function redact(url: string): string {
  return url.replace(/\/bot[^/]+\//, '/bot***/').replace(/\/\/[^/@]*@/, '//***@');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends, retrying network errors, 429 and 5xx; a final non-2xx status is a DeliveryError naming it. */
export async function httpSend(url: string, o: HttpOpts): Promise<HttpResult> {
  const max = o.retryMax ?? 0;
  let wait = o.retryWaitMinMs ?? 1000;
  for (let attempt = 0; ; attempt++) {
    let r: HttpResult | undefined;
    let err: Error | undefined;
    try {
      r = await once(url, o);
    } catch (e) {
      err = e as Error;
    }
    const retryable = err !== undefined || (r !== undefined && (r.status === 429 || r.status >= 500));
    if (!retryable && r && r.status >= 200 && r.status < 300) return r;
    if (!retryable || attempt >= max) {
      if (err) throw err;
      throw new DeliveryError(`${o.method ?? 'POST'} ${redact(url)}: HTTP ${r!.status}${r!.text ? ': ' + r!.text.slice(0, 200) : ''}`);
    }
    await sleep(wait);
    wait = Math.min(wait * 2, o.retryWaitMaxMs ?? 5000);
  }
}

/** Parses a JSON string a template rendered (e.g. slack.attachments), naming the field when invalid. */
export function jsonField(v: unknown, where: string): unknown {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch (e) {
    throw new DeliveryError(`${where}: not valid JSON: ${(e as Error).message}`);
  }
}

/** A duration like `1s`, `500ms`, `2m` (Go's) in milliseconds. */
export function durationMs(v: unknown, dflt: number, where: string): number {
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'number') return v * 1000;
  const m = String(v).match(/^(\d+(?:\.\d+)?)(ms|s|m|h)$/);
  if (!m) throw new DeliveryError(`${where}: invalid duration ${JSON.stringify(v)} (e.g. 1s, 500ms)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

export function str(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}
