/** The applications list's filters and counts: pure functions over Application objects. */

export interface AppLike {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: string };
  spec: { project?: string; destination?: { server?: string; name?: string; namespace?: string }; source?: { repoURL?: string; path?: string; chart?: string; targetRevision?: string } };
  status?: { sync?: { status?: string }; health?: { status?: string } };
}

export interface AppFilter {
  search?: string;
  projects?: string[];
  sync?: string[];
  health?: string[];
  namespaces?: string[];
  clusters?: string[];
  /** `key=value` or `key` (present) */
  labels?: string[];
}

export const syncOf = (a: AppLike) => a.status?.sync?.status || 'Unknown';
export const healthOf = (a: AppLike) => a.status?.health?.status || 'Unknown';
export const projectOf = (a: AppLike) => a.spec.project || 'default';
export const clusterOf = (a: AppLike) => a.spec.destination?.name || a.spec.destination?.server || '';
export const namespaceOf = (a: AppLike) => a.spec.destination?.namespace || '';

function labelMatch(a: AppLike, want: string): boolean {
  const labels = a.metadata.labels ?? {};
  const eq = want.indexOf('=');
  if (eq < 0) return want.trim() in labels;
  return labels[want.slice(0, eq).trim()] === want.slice(eq + 1).trim();
}

const inSet = (list: string[] | undefined, v: string) => !list || list.length === 0 || list.includes(v);

export function matches(a: AppLike, f: AppFilter): boolean {
  if (f.search) {
    const s = f.search.toLowerCase();
    const hay = `${a.metadata.name} ${a.spec.source?.repoURL ?? ''} ${a.spec.source?.path ?? ''} ${a.spec.source?.chart ?? ''}`.toLowerCase();
    if (!hay.includes(s)) return false;
  }
  return (
    inSet(f.projects, projectOf(a)) &&
    inSet(f.sync, syncOf(a)) &&
    inSet(f.health, healthOf(a)) &&
    inSet(f.namespaces, namespaceOf(a)) &&
    inSet(f.clusters, clusterOf(a)) &&
    (f.labels ?? []).every((l) => !l.trim() || labelMatch(a, l))
  );
}

export function filterApps<T extends AppLike>(apps: T[], f: AppFilter): T[] {
  return apps.filter((a) => matches(a, f)).sort((x, y) => x.metadata.name.localeCompare(y.metadata.name));
}

/** How many apps have each value of sync, health, project, namespace and cluster (for the filter boxes). */
export function counts(apps: AppLike[]): Record<'sync' | 'health' | 'projects' | 'namespaces' | 'clusters', Map<string, number>> {
  const mk = () => new Map<string, number>();
  const out = { sync: mk(), health: mk(), projects: mk(), namespaces: mk(), clusters: mk() };
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const a of apps) {
    inc(out.sync, syncOf(a));
    inc(out.health, healthOf(a));
    inc(out.projects, projectOf(a));
    inc(out.namespaces, namespaceOf(a));
    inc(out.clusters, clusterOf(a));
  }
  return out;
}

/** A filter as URL query parameters and back (so a filtered list can be bookmarked). */
export function filterToQuery(f: AppFilter): URLSearchParams {
  const q = new URLSearchParams();
  if (f.search) q.set('search', f.search);
  for (const k of ['projects', 'sync', 'health', 'namespaces', 'clusters', 'labels'] as const) for (const v of f[k] ?? []) q.append(k, v);
  return q;
}

export function filterFromQuery(q: URLSearchParams): AppFilter {
  return { search: q.get('search') ?? '', projects: q.getAll('projects'), sync: q.getAll('sync'), health: q.getAll('health'), namespaces: q.getAll('namespaces'), clusters: q.getAll('clusters'), labels: q.getAll('labels') };
}
