/**
 * The archive's schema, versioned: each step runs once, in order, in a transaction holding an advisory lock
 * (two processes starting together — controller and argo-server — do not race), recorded in a history table.
 * Running them again is a no-op.
 */
import type { Pool, PoolClient } from 'pg';

export interface Tables {
  /** archived workflows */
  archived: string;
  /** node status offload (persistence.postgresql.tableName, upstream's default "argo_workflows") */
  offload: string;
  history: string;
}

export function tablesFor(tableName = 'argo_workflows'): Tables {
  if (!/^[a-z_][a-z0-9_]{0,50}$/i.test(tableName)) throw new Error(`persistence.postgresql.tableName: "${tableName}" is not a plain SQL identifier`);
  return { archived: 'argo_archived_workflows', offload: tableName, history: 'argo_flotilla_schema_history' };
}

const steps = (t: Tables): string[] => [
  `CREATE TABLE IF NOT EXISTS ${t.archived} (
     clustername varchar(64) NOT NULL,
     uid varchar(128) NOT NULL,
     name varchar(256) NOT NULL,
     namespace varchar(256) NOT NULL,
     instanceid varchar(64) NOT NULL DEFAULT '',
     phase varchar(25) NOT NULL,
     startedat timestamptz,
     finishedat timestamptz,
     creationtimestamp timestamptz,
     labels jsonb NOT NULL DEFAULT '{}'::jsonb,
     workflow jsonb NOT NULL,
     PRIMARY KEY (clustername, uid))`,
  `CREATE INDEX IF NOT EXISTS ${t.archived}_i_ns_started ON ${t.archived} (clustername, instanceid, namespace, startedat DESC)`,
  `CREATE INDEX IF NOT EXISTS ${t.archived}_i_labels ON ${t.archived} USING gin (labels)`,
  `CREATE INDEX IF NOT EXISTS ${t.archived}_i_finished ON ${t.archived} (clustername, instanceid, finishedat)`,
  `CREATE TABLE IF NOT EXISTS ${t.offload} (
     clustername varchar(64) NOT NULL,
     uid varchar(128) NOT NULL,
     version varchar(64) NOT NULL,
     namespace varchar(256) NOT NULL,
     nodes jsonb NOT NULL,
     updatedat timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (clustername, uid, version))`,
];

/** Applies the steps not yet applied; returns how many ran. */
export async function migrate(pool: Pool, t: Tables = tablesFor()): Promise<number> {
  const c: PoolClient = await pool.connect();
  let ran = 0;
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock(7244201)');
    await c.query(`CREATE TABLE IF NOT EXISTS ${t.history} (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await c.query<{ version: number }>(`SELECT version FROM ${t.history}`)).rows.map((r) => Number(r.version)));
    const all = steps(t);
    for (let v = 0; v < all.length; v++) {
      if (done.has(v)) continue;
      await c.query(all[v]!);
      await c.query(`INSERT INTO ${t.history} (version) VALUES ($1)`, [v]);
      ran++;
    }
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
  return ran;
}
