/**
 * The `persistence` section of workflow-controller-configmap (upstream's keys): `archive`, `archiveTTL`,
 * `archiveLabelSelector`, `clusterName`, `nodeStatusOffLoad`, `postgresql: {host, port, database, tableName,
 * userNameSecret, passwordSecret, ssl, sslMode}`, `connectionPool`. The ConfigMap holds either one `config`
 * key of YAML or one YAML value per top-level key; both are read.
 */
import { parse } from 'yaml';

export interface SecretKeyRef { name: string; key: string }

export interface Persistence {
  archive?: boolean;
  archiveTTL?: string;
  archiveLabelSelector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  clusterName?: string;
  nodeStatusOffLoad?: boolean;
  skipMigration?: boolean;
  connectionPool?: { maxIdleConns?: number; maxOpenConns?: number; connMaxLifetime?: string };
  postgresql?: {
    host: string;
    port?: number | string;
    database?: string;
    tableName?: string;
    userNameSecret?: SecretKeyRef;
    passwordSecret?: SecretKeyRef;
    ssl?: boolean;
    sslMode?: string;
  };
  mysql?: unknown;
}

/** The controller ConfigMap's data as one object (the `config` key's YAML merged under the per-key values). */
export function parseControllerConfig(data: Record<string, string> | undefined): Record<string, any> {
  const out: Record<string, any> = {};
  if (!data) return out;
  if (data.config) {
    const c = parse(data.config);
    if (c && typeof c === 'object') Object.assign(out, c);
  }
  for (const [k, v] of Object.entries(data)) {
    if (k === 'config') continue;
    try {
      out[k] = parse(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** Checks a persistence section; returns it (or undefined when there is none) or throws naming the field. */
export function persistenceOf(config: Record<string, any>): Persistence | undefined {
  const p = config.persistence as Persistence | undefined;
  if (!p || typeof p !== 'object') return undefined;
  if (p.mysql && !p.postgresql) throw new Error('persistence.mysql: only persistence.postgresql is supported by this argo-server');
  if (!p.postgresql) throw new Error('persistence.postgresql: is required when persistence is set');
  if (!p.postgresql.host) throw new Error('persistence.postgresql.host: is required');
  if (p.archiveTTL !== undefined) parseTTL(p.archiveTTL);
  return p;
}

/** `7d`, `12h`, `30m`, `1d12h` → milliseconds (0 or empty: no TTL). */
export function parseTTL(s: string | undefined): number {
  const t = (s ?? '').trim();
  if (!t || t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(d|h|m|s)/gy;
  let ms = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(t))) {
    ms += Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'd'];
    end = re.lastIndex;
  }
  if (end !== t.length || !ms) throw new Error(`persistence.archiveTTL: "${s}" is not a duration like 7d, 12h or 30m`);
  return ms;
}
