/**
 * An AppProject as the Settings → Projects form edits it: lists as lines of text, roles and sync
 * windows as rows. `projectForm` reads a project into the form; `projectSpec` turns the form back into
 * the project's spec (fields the form does not show are kept), throwing an error that names the field
 * and line of a bad entry.
 */

export interface GroupKind { group: string; kind: string }
export interface Destination { server?: string; name?: string; namespace?: string }
export interface ProjectRole { name: string; description?: string; policies?: string[]; groups?: string[]; jwtTokens?: unknown[] }
export interface SyncWindow { kind: string; schedule: string; duration: string; applications?: string[]; namespaces?: string[]; clusters?: string[]; manualSync?: boolean; timeZone?: string }
export interface ProjectSpec {
  description?: string;
  sourceRepos?: string[];
  destinations?: Destination[];
  clusterResourceWhitelist?: GroupKind[];
  clusterResourceBlacklist?: GroupKind[];
  namespaceResourceWhitelist?: GroupKind[];
  namespaceResourceBlacklist?: GroupKind[];
  roles?: ProjectRole[];
  syncWindows?: SyncWindow[];
  [k: string]: unknown;
}

export interface RoleForm { name: string; description: string; policies: string; groups: string }
export interface WindowForm { kind: string; schedule: string; duration: string; applications: string; namespaces: string; clusters: string; manualSync: boolean; timeZone: string }
export interface ProjectForm {
  name: string;
  description: string;
  sourceRepos: string;
  destinations: string;
  clusterAllow: string;
  clusterDeny: string;
  namespaceAllow: string;
  namespaceDeny: string;
  roles: RoleForm[];
  windows: WindowForm[];
}

const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** `group/Kind`; the core group is empty (`/Namespace` or just `Namespace`). */
export const gkText = (g: GroupKind) => (g.group ? `${g.group}/${g.kind}` : g.kind);

export function parseGroupKinds(text: string, field: string): GroupKind[] {
  return lines(text).map((l, i) => {
    const parts = l.split('/');
    if (parts.length > 2 || !parts[parts.length - 1]) throw new Error(`${field}, line ${i + 1} ("${l}"): want group/Kind (the core group: just Kind), e.g. apps/Deployment, Namespace or */*`);
    return parts.length === 1 ? { group: '', kind: parts[0] } : { group: parts[0], kind: parts[1] };
  });
}

/** A destination as `server-or-name namespace`: a URL is the cluster's server, anything else its name. */
export const destText = (d: Destination) => `${d.server || d.name || '*'} ${d.namespace || '*'}`;

export function parseDestinations(text: string): Destination[] {
  return lines(text).map((l, i) => {
    const parts = l.split(/\s+/);
    if (parts.length !== 2) throw new Error(`Destinations, line ${i + 1} ("${l}"): want "<cluster URL or name> <namespace>", e.g. https://kubernetes.default.svc guestbook or in-cluster *`);
    const [c, namespace] = parts;
    return /^https?:\/\//.test(c) || c === '*' ? { server: c, namespace } : { name: c, namespace };
  });
}

const subject = (project: string, role: string) => `proj:${project}:${role}`;

/** A role's policy as the form shows it: without `p, proj:<project>:<role>, ` when it has that subject. */
export function policyText(project: string, role: string, policy: string): string {
  const parts = policy.split(',').map((x) => x.trim());
  return parts[0] === 'p' && parts[1] === subject(project, role) ? parts.slice(2).join(', ') : policy;
}

/** `resource, action, object, effect` → the casbin line upstream stores; a full `p, …` line is kept. */
export function parsePolicy(project: string, role: string, line: string, where: string): string {
  const parts = line.split(',').map((x) => x.trim());
  if (parts[0] === 'p') {
    if (parts.length < 5 || parts[1] !== subject(project, role)) throw new Error(`${where} ("${line}"): a full policy line must be "p, ${subject(project, role)}, <resource>, <action>, <object>[, allow|deny]"`);
    return parts.join(', ');
  }
  if (parts.length < 3 || parts.length > 4 || parts.some((p) => !p)) throw new Error(`${where} ("${line}"): want "<resource>, <action>, <object>[, allow|deny]", e.g. applications, get, ${project}/*, allow`);
  const effect = parts[3] ?? 'allow';
  if (effect !== 'allow' && effect !== 'deny') throw new Error(`${where} ("${line}"): the effect must be allow or deny, not "${effect}"`);
  return ['p', subject(project, role), parts[0], parts[1], parts[2], effect].join(', ');
}

const DURATION = /^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/;

export function emptyWindow(): WindowForm {
  return { kind: 'allow', schedule: '', duration: '1h', applications: '*', namespaces: '', clusters: '', manualSync: false, timeZone: '' };
}

export function emptyRole(): RoleForm {
  return { name: '', description: '', policies: '', groups: '' };
}

export function projectForm(p?: { metadata?: { name?: string }; spec?: ProjectSpec }): ProjectForm {
  const s = p?.spec ?? {};
  const name = p?.metadata?.name ?? '';
  return {
    name,
    description: s.description ?? '',
    sourceRepos: (s.sourceRepos ?? []).join('\n'),
    destinations: (s.destinations ?? []).map(destText).join('\n'),
    clusterAllow: (s.clusterResourceWhitelist ?? []).map(gkText).join('\n'),
    clusterDeny: (s.clusterResourceBlacklist ?? []).map(gkText).join('\n'),
    namespaceAllow: (s.namespaceResourceWhitelist ?? []).map(gkText).join('\n'),
    namespaceDeny: (s.namespaceResourceBlacklist ?? []).map(gkText).join('\n'),
    roles: (s.roles ?? []).map((r) => ({ name: r.name, description: r.description ?? '', policies: (r.policies ?? []).map((x) => policyText(name, r.name, x)).join('\n'), groups: (r.groups ?? []).join('\n') })),
    windows: (s.syncWindows ?? []).map((w) => ({ kind: w.kind, schedule: w.schedule, duration: w.duration, applications: (w.applications ?? []).join(', '), namespaces: (w.namespaces ?? []).join(', '), clusters: (w.clusters ?? []).join(', '), manualSync: !!w.manualSync, timeZone: w.timeZone ?? '' })),
  };
}

/**
 * The spec for `POST /api/v1/projects` / `PUT /api/v1/projects/{name}`: `base` is the project's spec
 * as read (its other fields and the roles' tokens are kept). `validSchedule` checks a cron schedule
 * (the browser passes croner's); it returns an error message or undefined.
 */
export function projectSpec(f: ProjectForm, base: ProjectSpec = {}, validSchedule: (s: string) => string | undefined = () => undefined): ProjectSpec {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(f.name)) throw new Error(`Name "${f.name}": lower case letters, digits, '-' and '.', starting and ending with a letter or digit`);
  const spec: ProjectSpec = { ...base };
  const set = <K extends keyof ProjectSpec>(k: K, v: ProjectSpec[K] | undefined) => {
    if (v === undefined || (Array.isArray(v) && !v.length) || v === '') delete spec[k];
    else spec[k] = v;
  };
  set('description', f.description.trim());
  set('sourceRepos', lines(f.sourceRepos));
  set('destinations', parseDestinations(f.destinations));
  set('clusterResourceWhitelist', parseGroupKinds(f.clusterAllow, 'Cluster resource allow list'));
  set('clusterResourceBlacklist', parseGroupKinds(f.clusterDeny, 'Cluster resource deny list'));
  set('namespaceResourceWhitelist', parseGroupKinds(f.namespaceAllow, 'Namespace resource allow list'));
  set('namespaceResourceBlacklist', parseGroupKinds(f.namespaceDeny, 'Namespace resource deny list'));
  const seen = new Set<string>();
  set('roles', f.roles.map((r, i) => {
    const name = r.name.trim();
    if (!/^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(name)) throw new Error(`Role ${i + 1}: the name "${name}" must be letters, digits, '-' and '_'`);
    if (seen.has(name)) throw new Error(`Role ${i + 1}: there is already a role "${name}"`);
    seen.add(name);
    const old = base.roles?.find((x) => x.name === name);
    const policies = lines(r.policies).map((l, j) => parsePolicy(f.name, name, l, `Role ${name}, policy line ${j + 1}`));
    const groups = lines(r.groups);
    return { name, ...(r.description.trim() ? { description: r.description.trim() } : {}), ...(policies.length ? { policies } : {}), ...(groups.length ? { groups } : {}), ...(old?.jwtTokens ? { jwtTokens: old.jwtTokens } : {}) };
  }));
  set('syncWindows', f.windows.map((w, i) => {
    const where = `Sync window ${i + 1}`;
    if (w.kind !== 'allow' && w.kind !== 'deny') throw new Error(`${where}: the kind must be allow or deny`);
    const schedule = w.schedule.trim();
    if (schedule.split(/\s+/).length !== 5) throw new Error(`${where}: the schedule "${schedule}" must be a cron schedule of five fields, e.g. 0 22 * * *`);
    const bad = validSchedule(schedule);
    if (bad) throw new Error(`${where}: the schedule "${schedule}": ${bad}`);
    const duration = w.duration.trim();
    if (!DURATION.test(duration)) throw new Error(`${where}: the duration "${duration}" must be like 1h, 30m or 1h30m`);
    const applications = list(w.applications), namespaces = list(w.namespaces), clusters = list(w.clusters);
    if (!applications.length && !namespaces.length && !clusters.length) throw new Error(`${where}: name the applications, namespaces or clusters it applies to (* for all)`);
    return { kind: w.kind, schedule, duration, ...(applications.length ? { applications } : {}), ...(namespaces.length ? { namespaces } : {}), ...(clusters.length ? { clusters } : {}), ...(w.manualSync ? { manualSync: true } : {}), ...(w.timeZone.trim() ? { timeZone: w.timeZone.trim() } : {}) };
  }));
  return spec;
}
