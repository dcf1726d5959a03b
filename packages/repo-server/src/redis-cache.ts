/**
 * The repo server's shared cache of rendered manifests in Redis (as Argo CD keeps it in
 * `argocd-redis`): key = hash of (repository, commit SHA, path, source options, render options),
 * value = the JSON response, gzip-compressed unless `compression: 'none'`. Redis is optional and
 * never in the way: while it is unreachable every lookup is a miss and every store is dropped
 * (logged once per outage), and the client reconnects in the background.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';

export interface RedisCacheOptions {
  /** `host:port` (Argo's `--redis` / `REDIS_SERVER`) */
  address: string;
  password?: string;
  username?: string;
  db?: number;
  /** prefix of every key (`ARGOCD_REDIS_KEY_PREFIX`) */
  keyPrefix?: string;
  /** seconds an entry lives (Argo's `--repo-cache-expiration`, default 24 h) */
  ttlSeconds?: number;
  compression?: 'gzip' | 'none';
  log?: (msg: string) => void;
}

/** `host:port` → parts; throws naming the value when it is not one. */
export function parseRedisAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(address.trim());
  const port = m?.[2] === undefined ? 6379 : Number(m[2]);
  if (!m || !m[1] || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`redis address "${address}" is not host:port`);
  return { host: m[1], port };
}

/** Stable JSON (sorted keys, undefined dropped): equal inputs give equal cache keys. */
export function stableJSON(v: unknown): string {
  if (v === undefined || v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(stableJSON).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJSON(o[k])}`).join(',')}}`;
}

export function manifestCacheKey(parts: unknown): string {
  return `mfst|${createHash('sha256').update(stableJSON(parts)).digest('hex')}`;
}

export class RedisCache {
  readonly client: Redis;
  private readonly ttl: number;
  private readonly gzip: boolean;
  private readonly log: (msg: string) => void;
  private down = false;
  /** Called after every Redis request (metrics). */
  onRequest?: (r: { failed: boolean; durationMs: number }) => void;
  /** lookups answered from Redis / missed / failed (observability and tests) */
  readonly stats = { hits: 0, misses: 0, errors: 0, stores: 0 };

  constructor(private readonly o: RedisCacheOptions) {
    const { host, port } = parseRedisAddress(o.address);
    this.ttl = o.ttlSeconds ?? 24 * 3600;
    this.gzip = (o.compression ?? 'gzip') !== 'none';
    this.log = o.log ?? (() => {});
    this.client = new Redis({
      host,
      port,
      ...(o.password ? { password: o.password } : {}),
      ...(o.username ? { username: o.username } : {}),
      db: o.db ?? 0,
      keyPrefix: o.keyPrefix ?? '',
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      commandTimeout: 5000,
      retryStrategy: (n) => Math.min(200 * n, 5000),
    });
    this.client.on('error', (e: Error) => this.outage(e));
    this.client.on('ready', () => {
      if (this.down) this.log(`redis ${o.address}: connected again`);
      else this.log(`redis ${o.address}: connected, caching rendered manifests`);
      this.down = false;
    });
  }

  private outage(e: unknown): void {
    this.stats.errors++;
    if (this.down) return;
    this.down = true;
    this.log(`redis ${this.o.address}: ${e instanceof Error ? e.message : String(e)}; rendering without the shared cache until it answers`);
  }

  private observe(t0: number, failed: boolean): void {
    this.onRequest?.({ failed, durationMs: Date.now() - t0 });
  }

  async get<T>(key: string): Promise<T | undefined> {
    const t0 = Date.now();
    try {
      const buf = await this.client.getBuffer(key);
      this.observe(t0, false);
      if (!buf) {
        this.stats.misses++;
        return undefined;
      }
      const text = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
      this.stats.hits++;
      return JSON.parse(text) as T;
    } catch (e) {
      this.observe(t0, true);
      this.outage(e);
      return undefined;
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    const t0 = Date.now();
    try {
      const text = JSON.stringify(value);
      await this.client.set(key, this.gzip ? gzipSync(text) : text, 'EX', this.ttl);
      this.observe(t0, false);
      this.stats.stores++;
    } catch (e) {
      this.observe(t0, true);
      this.outage(e);
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
