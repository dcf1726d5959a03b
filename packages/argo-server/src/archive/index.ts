/**
 * The workflow archive in PostgreSQL: `archiveWorkflow(pool, wf)` (what the controller — or argo-server, when
 * the controller does not — calls for a completed workflow), migrations, and the queries of the
 * archived-workflows API (list with label/field selectors and paging, get, delete, label keys/values, TTL GC).
 */
import pg from 'pg';
import type { Pool } from 'pg';
import { migrate, tablesFor, type Tables } from './migrate.js';
import { parseTTL, type Persistence, type SecretKeyRef } from './config.js';
import type { LabelReq } from '../fields.js';

export { migrate, tablesFor, type Tables } from './migrate.js';
export { parseControllerConfig, persistenceOf, parseTTL, type Persistence } from './config.js';

export interface ArchiveOpts {
  clusterName?: string;
  instanceId?: string;
  tables?: Tables;
}

interface WorkflowLike {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; creationTimestamp?: string };
  status?: { phase?: string; startedAt?: string; finishedAt?: string; nodes?: unknown };
  [k: string]: unknown;
}

const ESC = '\uE000';

/**
 * PostgreSQL's jsonb takes no NUL character (`\u0000`) in a string, which a workflow may well have (an argument,
 * an output): such strings are stored with NUL as U+E000 `0` and U+E000 itself doubled (a private-use character as
 * the escape), and read back as they were. A value without either is stored as is.
 */
export function escapeNul(v: unknown): unknown {
  const str = (s: string) => (s.includes('\0') || s.includes(ESC) ? s.replace(/\uE000/g, ESC + ESC).replace(/\0/g, ESC + '0') : s);
  if (typeof v === 'string') return str(v);
  if (Array.isArray(v)) return v.map(escapeNul);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [str(k), escapeNul(x)]));
  return v;
}

/** The value `escapeNul` stored. */
export function unescapeNul<T>(v: T): T {
  const str = (s: string) => (s.includes(ESC) ? s.replace(/\uE000(\uE000|0)/g, (_, c: string) => (c === '0' ? '\0' : ESC)) : s);
  if (typeof v === 'string') return str(v) as T;
  if (Array.isArray(v)) return v.map(unescapeNul) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [str(k), unescapeNul(x)])) as T;
  return v;
}

/** JSON for a jsonb column (NUL characters escaped, see escapeNul). */
function jsonb(v: unknown): string {
  const text = JSON.stringify(v);
  return /\\u0000|\uE000/.test(text) ? JSON.stringify(escapeNul(v)) : text;
}

function hasEsc(v: unknown): boolean {
  if (typeof v === 'string') return v.includes(ESC);
  if (Array.isArray(v)) return v.some(hasEsc);
  if (v && typeof v === 'object') {
    for (const k in v) if (k.includes(ESC) || hasEsc((v as Record<string, unknown>)[k])) return true;
  }
  return false;
}

/** Read back from a jsonb column: copied only when it has the escape character. */
function fromJsonb<T>(v: T): T {
  return hasEsc(v) ? unescapeNul(v) : v;
}

/** Writes (or rewrites: idempotent by uid) one workflow into the archive. */
export async function archiveWorkflow(pool: Pool, wf: WorkflowLike, o: ArchiveOpts = {}): Promise<void> {
  const t = o.tables ?? tablesFor();
  const m = wf.metadata ?? {};
  if (!m.uid || !m.name || !m.namespace) throw new Error('archiveWorkflow: the workflow needs metadata.uid, name and namespace');
  const s = wf.status ?? {};
  // the archived copy says it is persisted (as upstream's archive writes it)
  const labels = { ...(m.labels ?? {}), 'workflows.argoproj.io/workflow-archiving-status': 'Persisted' };
  const doc = { ...wf, apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { ...m, labels } };
  await pool.query(
    `INSERT INTO ${t.archived} (clustername, uid, name, namespace, instanceid, phase, startedat, finishedat, creationtimestamp, labels, workflow)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (clustername, uid) DO UPDATE SET name = EXCLUDED.name, namespace = EXCLUDED.namespace, instanceid = EXCLUDED.instanceid,
       phase = EXCLUDED.phase, startedat = EXCLUDED.startedat, finishedat = EXCLUDED.finishedat, creationtimestamp = EXCLUDED.creationtimestamp,
       labels = EXCLUDED.labels, workflow = EXCLUDED.workflow`,
    [o.clusterName ?? 'default', m.uid, m.name, m.namespace, o.instanceId ?? '', s.phase ?? '', s.startedAt || null, s.finishedAt || null, m.creationTimestamp || null, JSON.stringify(labels), jsonb(doc)],
  );
}

export interface ListQuery {
  namespace?: string;
  namePrefix?: string;
  name?: string;
  labels?: LabelReq[];
  /** startedAt bounds (RFC 3339) */
  minStartedAt?: string;
  maxStartedAt?: string;
  limit?: number;
  offset?: number;
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** A PostgreSQL connection for the archive, with the settings of `persistence`. */
export function poolFor(p: Persistence, user: string, password: string): Pool {
  const c = p.postgresql!;
  const ssl = c.ssl || (c.sslMode && c.sslMode !== 'disable') ? { rejectUnauthorized: c.sslMode === 'verify-full' || c.sslMode === 'verify-ca' } : undefined;
  return new pg.Pool({
    host: c.host,
    port: Number(c.port ?? 5432),
    database: c.database ?? 'postgres',
    user,
    password,
    ssl,
    max: p.connectionPool?.maxOpenConns || 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
}

/** The archive of one cluster/instance: migrated on open, queried by the API, written by the archiver. */
export class Archive {
  readonly tables: Tables;
  readonly clusterName: string;
  readonly instanceId: string;
  readonly ttlMs: number;
  private gcTimer?: NodeJS.Timeout;

  constructor(readonly pool: Pool, readonly persistence: Persistence, o: { instanceId?: string } = {}) {
    this.tables = tablesFor(persistence.postgresql?.tableName || undefined);
    this.clusterName = persistence.clusterName || 'default';
    this.instanceId = o.instanceId ?? '';
    this.ttlMs = parseTTL(persistence.archiveTTL);
  }

  /** Connects with credentials from the Secrets `persistence` names (`readSecret(ref)`), migrates (unless skipMigration). */
  static async open(p: Persistence, readSecret: (ref: SecretKeyRef) => Promise<string>, o: { instanceId?: string } = {}): Promise<Archive> {
    const c = p.postgresql!;
    const user = c.userNameSecret ? await readSecret(c.userNameSecret) : 'postgres';
    const password = c.passwordSecret ? await readSecret(c.passwordSecret) : '';
    const a = new Archive(poolFor(p, user, password), p, o);
    if (!p.skipMigration) await migrate(a.pool, a.tables);
    return a;
  }

  archive(wf: WorkflowLike): Promise<void> {
    return archiveWorkflow(this.pool, wf, { clusterName: this.clusterName, instanceId: this.instanceId, tables: this.tables });
  }

  /** Archived workflows, newest first, each without its node status (as upstream's list answers). */
  async list(q: ListQuery): Promise<{ items: WorkflowLike[]; more: boolean }> {
    const where: string[] = ['clustername = $1', 'instanceid = $2'];
    const args: unknown[] = [this.clusterName, this.instanceId];
    const arg = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    if (q.namespace) where.push(`namespace = ${arg(q.namespace)}`);
    if (q.name) where.push(`name = ${arg(q.name)}`);
    if (q.namePrefix) where.push(`name LIKE ${arg(q.namePrefix.replace(/[\\%_]/g, (c) => '\\' + c) + '%')}`);
    if (q.minStartedAt) where.push(`startedat >= ${arg(q.minStartedAt)}`);
    if (q.maxStartedAt) where.push(`startedat <= ${arg(q.maxStartedAt)}`);
    for (const r of q.labels ?? []) {
      const k = arg(r.key);
      switch (r.op) {
        case 'exists': where.push(`jsonb_exists(labels, ${k})`); break;
        case '!exists': where.push(`NOT jsonb_exists(labels, ${k})`); break;
        case 'in': where.push(`(labels ->> ${k}) = ANY(${arg(r.values)})`); break;
        case 'notin': where.push(`NOT coalesce((labels ->> ${k}) = ANY(${arg(r.values)}), false)`); break;
        case 'gt':
        case 'lt': where.push(`CASE WHEN (labels ->> ${k}) ~ '^-?[0-9]+$' THEN (labels ->> ${k})::numeric ${r.op === 'gt' ? '>' : '<'} ${arg(r.values[0])}::numeric ELSE false END`); break;
      }
    }
    const limit = q.limit && q.limit > 0 ? q.limit : undefined;
    const sql = `SELECT workflow #- '{status,nodes}' AS wf FROM ${this.tables.archived} WHERE ${where.join(' AND ')}
      ORDER BY startedat DESC NULLS LAST, name ASC ${limit ? `LIMIT ${limit + 1}` : ''} OFFSET ${Math.max(0, q.offset ?? 0)}`;
    const rows = (await this.pool.query<{ wf: WorkflowLike }>(sql, args)).rows.map((r) => fromJsonb(r.wf));
    const more = !!limit && rows.length > limit;
    return { items: more ? rows.slice(0, limit) : rows, more };
  }

  /** Stores a workflow's node status in the offload table; returns the version to put in status.offloadNodeStatusVersion. */
  async offloadNodes(wf: WorkflowLike): Promise<string> {
    const nodes = JSON.stringify(wf.status?.nodes ?? {});
    const version = `fnv:${fnv1a(nodes)}`;
    await this.pool.query(
      `INSERT INTO ${this.tables.offload} (clustername, uid, version, namespace, nodes, updatedat) VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (clustername, uid, version) DO UPDATE SET updatedat = now()`,
      [this.clusterName, wf.metadata?.uid, version, wf.metadata?.namespace ?? '', jsonb(wf.status?.nodes ?? {})],
    );
    return version;
  }

  /** The node status an offloaded workflow's status.offloadNodeStatusVersion names. */
  async offloadedNodes(uid: string, version: string): Promise<Record<string, unknown> | undefined> {
    const r = await this.pool.query<{ nodes: Record<string, unknown> }>(`SELECT nodes FROM ${this.tables.offload} WHERE clustername = $1 AND uid = $2 AND version = $3`, [this.clusterName, uid, version]);
    return fromJsonb(r.rows[0]?.nodes);
  }

  async get(uid: string): Promise<WorkflowLike | undefined> {
    const r = await this.pool.query<{ workflow: WorkflowLike }>(`SELECT workflow FROM ${this.tables.archived} WHERE clustername = $1 AND instanceid = $2 AND uid = $3`, [this.clusterName, this.instanceId, uid]);
    return fromJsonb(r.rows[0]?.workflow);
  }

  async delete(uid: string): Promise<boolean> {
    const r = await this.pool.query(`DELETE FROM ${this.tables.archived} WHERE clustername = $1 AND instanceid = $2 AND uid = $3`, [this.clusterName, this.instanceId, uid]);
    return (r.rowCount ?? 0) > 0;
  }

  async labelKeys(namespace?: string): Promise<string[]> {
    const r = await this.pool.query<{ k: string }>(
      `SELECT DISTINCT jsonb_object_keys(labels) AS k FROM ${this.tables.archived} WHERE clustername = $1 AND instanceid = $2 ${namespace ? 'AND namespace = $3' : ''} ORDER BY k`,
      namespace ? [this.clusterName, this.instanceId, namespace] : [this.clusterName, this.instanceId],
    );
    return r.rows.map((x) => x.k);
  }

  async labelValues(key: string, namespace?: string): Promise<string[]> {
    const r = await this.pool.query<{ v: string }>(
      `SELECT DISTINCT labels ->> $3 AS v FROM ${this.tables.archived} WHERE clustername = $1 AND instanceid = $2 AND jsonb_exists(labels, $3) ${namespace ? 'AND namespace = $4' : ''} ORDER BY v`,
      namespace ? [this.clusterName, this.instanceId, key, namespace] : [this.clusterName, this.instanceId, key],
    );
    return r.rows.map((x) => x.v);
  }

  /** Deletes workflows finished longer than archiveTTL ago; returns how many. */
  async gc(now = new Date()): Promise<number> {
    if (!this.ttlMs) return 0;
    const r = await this.pool.query(`DELETE FROM ${this.tables.archived} WHERE clustername = $1 AND instanceid = $2 AND finishedat < $3`, [this.clusterName, this.instanceId, new Date(now.getTime() - this.ttlMs).toISOString()]);
    return r.rowCount ?? 0;
  }

  /** Runs gc() now and then every `everyMs` (errors go to `onError`). */
  startGC(everyMs: number, onError: (e: Error) => void): void {
    if (!this.ttlMs) return;
    const run = () => this.gc().catch(onError);
    void run();
    this.gcTimer = setInterval(run, everyMs);
    this.gcTimer.unref();
  }

  async close(): Promise<void> {
    if (this.gcTimer) clearInterval(this.gcTimer);
    await this.pool.end();
  }
}
