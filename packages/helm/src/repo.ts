// Helm chart repositories: an index.yaml listing chart versions and their archive URLs, served
// over HTTP(S). A version range follows semver constraint syntax; an empty range (or "*") picks the
// latest stable version. Archives are checked against the index's sha256 digest and unpacked into
// a cache directory.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SemverVersion, semverCompare } from '@flotilla/gotemplate';
import { readArchive } from './chart.js';
import { HelmError } from './errors.js';
import { parseYamlStrings } from './yaml.js';

interface IndexEntry {
  name?: string;
  version?: string;
  urls?: string[];
  digest?: string;
  removed?: boolean;
}

function authFor(u: URL): { url: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  if (u.username || u.password) {
    headers['Authorization'] = 'Basic ' + Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
    u = new URL(u.href);
    u.username = '';
    u.password = '';
  }
  return { url: u.href, headers };
}

async function get(url: URL, what: string): Promise<Buffer> {
  const { url: href, headers } = authFor(url);
  let res: Response;
  try {
    res = await fetch(href, { headers, redirect: 'follow' });
  } catch (e) {
    throw new HelmError(`failed to fetch ${href} : ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new HelmError(`failed to fetch ${href} : ${res.status} ${res.statusText}`.trimEnd() + (what ? ` (${what})` : ''));
  return Buffer.from(await res.arrayBuffer());
}

function parseVersion(v: string): SemverVersion | undefined {
  try {
    return SemverVersion.parse(v);
  } catch {
    return undefined;
  }
}

/** Picks the highest version of `entries` matching `range` (empty: latest stable). */
export function selectVersion<T extends { version?: string }>(entries: T[], range: string): T | undefined {
  const r = range.trim();
  let best: { e: T; v: SemverVersion } | undefined;
  for (const e of entries) {
    const v = e.version ? parseVersion(e.version) : undefined;
    if (!v || (e as { removed?: unknown }).removed === 'true') continue;
    if (r === '' || r === '*' || r === 'latest') {
      if (v.pre) continue;
    } else if (r === e.version) {
      // exact match, including prereleases
    } else {
      let ok = false;
      try {
        ok = semverCompare(r, e.version!);
      } catch {
        throw new HelmError(`improper constraint: ${r}`);
      }
      if (!ok) continue;
    }
    if (!best || v.compare(best.v) > 0) best = { e, v };
  }
  return best?.e;
}

/**
 * Downloads a chart from a chart repository and unpacks it under `cacheDir`; returns the chart
 * directory. A chart version already unpacked there is reused.
 */
export async function fetchChartFromRepo(repoUrl: string, chart: string, versionRange: string, cacheDir: string): Promise<string> {
  const base = new URL(repoUrl.replace(/\/*$/, '/'));
  const indexBuf = await get(new URL('index.yaml', base), 'repository index');
  let index: unknown;
  try {
    index = parseYamlStrings(indexBuf.toString('utf8'));
  } catch (e) {
    throw new HelmError(`cannot parse index.yaml of ${repoUrl}: ${(e as Error).message}`, { cause: e });
  }
  const entries = ((index as { entries?: Record<string, IndexEntry[]> } | null)?.entries ?? {})[chart];
  if (!Array.isArray(entries) || entries.length === 0) throw new HelmError(`chart ${JSON.stringify(chart)} not found in ${repoUrl} repository`);
  const entry = selectVersion(
    entries.filter((e) => !e.removed),
    versionRange ?? '',
  );
  if (!entry) throw new HelmError(`chart ${JSON.stringify(chart)} version ${JSON.stringify(versionRange)} not found in ${repoUrl} repository`);
  const version = entry.version!;
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._+-]/g, '_');
  const target = join(cacheDir, `${safe(chart)}-${safe(version)}`);
  const chartDir = join(target, safe(chart));
  if (existsSync(join(chartDir, 'Chart.yaml'))) return chartDir;
  const url = entry.urls?.[0];
  if (!url) throw new HelmError(`chart ${chart} ${version} has no download URL in ${repoUrl}`);
  const data = await get(new URL(url, base), `chart ${chart} ${version}`);
  if (entry.digest) {
    const sum = createHash('sha256').update(data).digest('hex');
    if (sum !== entry.digest.replace(/^sha256:/, '').toLowerCase()) throw new HelmError(`digest mismatch for ${chart}-${version}: index has ${entry.digest}, archive is ${sum}`);
  }
  const files = readArchive(data);
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  const tmpChart = join(tmp, safe(chart));
  for (const f of files) {
    const p = join(tmpChart, f.name);
    if (!p.startsWith(tmpChart + '/')) throw new HelmError(`chart archive entry escapes the chart directory: ${f.name}`);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.data);
  }
  mkdirSync(cacheDir, { recursive: true });
  try {
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(chartDir, 'Chart.yaml'))) throw e;
  }
  return chartDir;
}
