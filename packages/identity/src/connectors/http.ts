/**
 * Shared by the oidc and oauth connectors: reading a connector's config fields with errors that name
 * the field (never its value), and a fetch that trusts extra CAs (`rootCAs`) or skips verification
 * (`insecureSkipVerify`) — Node's global fetch has no per-request CA.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createHmac, randomBytes } from 'node:crypto';

export class Fields {
  constructor(
    readonly config: Record<string, unknown>,
    readonly where: string,
  ) {}

  str(key: string, required = false, dflt?: string): string | undefined {
    const v = this.config[key];
    if (v === undefined || v === null || v === '') {
      if (required) throw new Error(`${this.where}: ${key} is required`);
      return dflt;
    }
    if (typeof v !== 'string') throw new Error(`${this.where}: ${key} must be a string`);
    return v;
  }

  req(key: string): string {
    return this.str(key, true)!;
  }

  bool(key: string, dflt = false): boolean {
    const v = this.config[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw new Error(`${this.where}: ${key} must be true or false`);
    return v;
  }

  list(key: string): string[] | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${this.where}: ${key} must be a list of strings`);
    return v as string[];
  }

  map(key: string): Fields {
    const v = this.config[key];
    if (v === undefined || v === null) return new Fields({}, `${this.where} ${key}`);
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${this.where}: ${key} must be a map`);
    return new Fields(v as Record<string, unknown>, `${this.where} ${key}`);
  }

  url(key: string, required = true): URL | undefined {
    const v = this.str(key, required);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
      return u;
    } catch {
      throw new Error(`${this.where}: ${key} "${v}" is not an http(s) URL`);
    }
  }
}

/** `rootCAs` entries: PEM text, or paths of PEM files (Dex's form). */
export function loadCAs(entries: string[] | undefined, where: string): string[] | undefined {
  if (!entries?.length) return undefined;
  return entries.map((e, i) => {
    if (e.includes('-----BEGIN CERTIFICATE-----')) return e;
    try {
      const pem = readFileSync(e, 'utf8');
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
      return pem;
    } catch (err) {
      throw new Error(`${where}: rootCAs[${i}] "${e}" cannot be read: ${(err as Error).message}`);
    }
  });
}

export interface FetchOptions {
  ca?: string[];
  insecureSkipVerify?: boolean;
  timeoutMs?: number;
}

/** a fetch (the subset openid-client and the connectors use) over node:http(s) with the TLS options */
export function tlsFetch(o: FetchOptions = {}): (url: string | URL, init?: { method?: string; headers?: any; body?: any; signal?: AbortSignal | null; redirect?: string }) => Promise<Response> {
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const u = new URL(String(url));
      const headers: Record<string, string> = {};
      new Headers(init.headers ?? {}).forEach((v, k) => (headers[k] = v));
      const body = init.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : init.body instanceof URLSearchParams ? init.body.toString() : Buffer.from(init.body as ArrayBuffer);
      if (init.body instanceof URLSearchParams && !headers['content-type']) headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
      const fn = u.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = fn(u, { method: init.method ?? 'GET', headers, ca: o.ca, rejectUnauthorized: !o.insecureSkipVerify, signal: init.signal ?? undefined, timeout: o.timeoutMs ?? 15_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) for (const x of Array.isArray(v) ? v : [v]) h.append(k, x);
          const status = res.statusCode ?? 0;
          resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: h }));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${u.origin}: no answer in ${o.timeoutMs ?? 15_000} ms`)));
      req.on('error', (e) => reject(new Error(`${u.origin}${u.pathname}: ${e.message}`)));
      if (body !== undefined) req.write(body);
      req.end();
    });
}

/** per-connector secret derivations of a login's state: the nonce and the PKCE verifier need no storage */
export function deriver(): (purpose: string, state: string) => string {
  const key = randomBytes(32);
  return (purpose, state) => createHmac('sha256', key).update(`${purpose}:${state}`).digest('base64url');
}

/** a claim's value as a list of group names (strings, or objects with a `name`) */
export function groupList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return [];
  return v.flatMap((g) => (typeof g === 'string' ? [g] : g && typeof g === 'object' && typeof (g as any).name === 'string' ? [(g as any).name] : []));
}
