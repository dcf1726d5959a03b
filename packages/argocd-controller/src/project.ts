/**
 * AppProject rules (pure): source repositories, destinations, cluster / namespace resource
 * allow and deny lists, orphaned-resource settings, sync windows. As Argo CD documents them:
 * globs where `*` matches any run of characters, entries starting with `!` deny.
 */
import { globMatch } from '@flotilla/repo-server';
import { CronSchedule } from '@flotilla/controllers';
import type { AppProject, ApplicationDestination, SyncWindow } from '@flotilla/argocd-engine';

const match = (pattern: string | undefined, value: string): boolean => {
  if (pattern === undefined || pattern === '') return value === '';
  return pattern === '*' || globMatch(pattern, value);
};

/** Allowed when some positive entry matches and no `!` entry matches the value. */
function allowedByList(list: string[] | undefined, value: string): boolean {
  let ok = false;
  for (const p of list ?? []) {
    if (p.startsWith('!')) {
      if (match(p.slice(1), value)) return false;
    } else if (match(p, value)) ok = true;
  }
  return ok;
}

/** `spec.sourceRepos` admits the repository URL. */
export function sourceRepoAllowed(proj: AppProject, repoURL: string): boolean {
  const norm = (u: string) => u.replace(/\/+$/, '').replace(/\.git$/, '');
  const list = proj.spec?.sourceRepos ?? [];
  return allowedByList(list, repoURL) || allowedByList(list.map((p) => (p.startsWith('!') ? '!' + norm(p.slice(1)) : norm(p))), norm(repoURL));
}

/** `spec.destinations` admits the destination (server or name, and namespace). */
export function destinationAllowed(proj: AppProject, dest: { server?: string; name?: string; namespace?: string }): boolean {
  const dests = proj.spec?.destinations ?? [];
  const ns = dest.namespace ?? '';
  const entryMatches = (d: ApplicationDestination): boolean => {
    const serverOk = !!d.server && dest.server !== undefined && match(d.server, dest.server);
    const nameOk = !!d.name && dest.name !== undefined && match(d.name, dest.name);
    const nsPat = d.namespace ?? '';
    return (serverOk || nameOk) && (nsPat === '*' || match(nsPat, ns));
  };
  const isNeg = (d: ApplicationDestination) => !!(d.server?.startsWith('!') || d.name?.startsWith('!') || d.namespace?.startsWith('!'));
  for (const d of dests) {
    if (!isNeg(d)) continue;
    // a deny entry: every field that is negated must match its pattern, the others must match normally
    const strip = (s?: string) => (s?.startsWith('!') ? s.slice(1) : s);
    const server = d.server ?? '';
    const serverHit = server === '' ? false : match(strip(server), dest.server ?? '');
    const nameHit = (d.name ?? '') === '' ? false : match(strip(d.name), dest.name ?? '');
    const nsHit = match(strip(d.namespace) || '*', ns);
    if ((serverHit || nameHit) && nsHit) return false;
  }
  return dests.some((d) => !isNeg(d) && entryMatches(d));
}

interface GK {
  group?: string;
  kind?: string;
}
const gkMatches = (e: GK, group: string, kind: string) => match(e.group ?? '', group) && match(e.kind ?? '', kind);

/**
 * Whether the project permits managing a resource of this group/kind. Cluster-scoped kinds need an
 * entry in clusterResourceWhitelist (none by default) and none in clusterResourceBlacklist;
 * namespaced kinds are all allowed unless blacklisted or a non-empty namespaceResourceWhitelist omits them.
 */
export function resourceAllowed(proj: AppProject, group: string, kind: string, namespaced: boolean): boolean {
  const s = proj.spec ?? {};
  if (namespaced) {
    if ((s.namespaceResourceBlacklist ?? []).some((e) => gkMatches(e, group, kind))) return false;
    const wl = s.namespaceResourceWhitelist;
    return !wl || !wl.length || wl.some((e) => gkMatches(e, group, kind));
  }
  if ((s.clusterResourceBlacklist ?? []).some((e) => gkMatches(e, group, kind))) return false;
  return (s.clusterResourceWhitelist ?? []).some((e) => gkMatches(e, group, kind));
}

/** Orphaned-resource warnings wanted, and whether an object is on the ignore list. */
export function orphanIgnored(proj: AppProject, group: string, kind: string, name: string): boolean {
  return (proj.spec?.orphanedResources?.ignore ?? []).some((i) => match(i.group ?? '', group) && (i.kind === undefined || match(i.kind, kind)) && (i.name === undefined || match(i.name, name)));
}

// ---------------------------------------------------------------------------------- sync windows

/** Go duration ("1h", "30m", "1h30m", "10s") → ms. */
export function goDurationMs(s: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let pos = 0;
  let total = 0;
  if (!s) return undefined;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms']!;
    pos = re.lastIndex;
  }
  return total;
}

export function windowActive(w: SyncWindow, now: number): boolean {
  const dur = goDurationMs(w.duration);
  if (!dur) return false;
  let sched: CronSchedule;
  try {
    sched = new CronSchedule(w.schedule, w.timeZone || 'UTC');
  } catch {
    return false;
  }
  const start = sched.prev(now);
  return start !== undefined && now < start + dur;
}

export function windowMatches(w: SyncWindow, app: { name: string; namespace: string; server: string; clusterName?: string }): boolean {
  const any = (list: string[] | undefined, ...vals: (string | undefined)[]) => (list ?? []).some((p) => vals.some((v) => v !== undefined && match(p, v)));
  return any(w.applications, app.name) || any(w.namespaces, app.namespace) || any(w.clusters, app.server, app.clusterName);
}

export interface WindowVerdict {
  /** automated syncs may run */
  automated: boolean;
  /** manual syncs may run */
  manual: boolean;
  message?: string;
}

/** Argo CD's sync-window rules: an active deny window blocks; allow windows that exist but are all inactive block. */
export function syncWindowVerdict(windows: SyncWindow[] | undefined, app: { name: string; namespace: string; server: string; clusterName?: string }, now = Date.now()): WindowVerdict {
  const matching = (windows ?? []).filter((w) => windowMatches(w, app));
  if (!matching.length) return { automated: true, manual: true };
  const active = matching.filter((w) => windowActive(w, now));
  const denies = active.filter((w) => w.kind === 'deny');
  const allows = matching.filter((w) => w.kind === 'allow');
  const activeAllows = active.filter((w) => w.kind === 'allow');
  if (denies.length) {
    const manual = denies.every((w) => w.manualSync);
    return { automated: false, manual, message: `Blocked by sync window (deny ${denies.map((w) => w.schedule).join(', ')})` };
  }
  if (allows.length && !activeAllows.length) {
    const manual = allows.some((w) => w.manualSync);
    return { automated: false, manual, message: 'Blocked by sync window (no active allow window)' };
  }
  return { automated: true, manual: true };
}
