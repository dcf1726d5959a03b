/** How `argocd app …` prints applications: the summary block, resource tables, operation results. */
import type { Application, ApplicationSource, OperationState } from '@flotilla/argocd-engine/types';
import { formatDuration } from '@flotilla/cli-kit/flags';
import { goTime, kv, table } from '../output.js';

export interface SyncWindowsInfo {
  assignedWindows?: { kind: string; schedule: string; duration: string; manualSync?: boolean }[];
  activeWindows?: { kind: string; schedule: string; duration: string; manualSync?: boolean }[];
  canSync?: boolean;
}

export const qualifiedName = (a: Application): string => (a.metadata?.namespace ? `${a.metadata.namespace}/${a.metadata.name}` : String(a.metadata?.name ?? ''));
export const serverOf = (a: Application): string => a.spec?.destination?.server || a.spec?.destination?.name || '';
export const sourceOf = (a: Application): ApplicationSource => (a.spec?.source ?? a.spec?.sources?.[0] ?? ({ repoURL: '' } as ApplicationSource));
const isSHA = (s: string) => /^[0-9a-f]{40}$/.test(s) || /^[0-9a-f]{7,39}$/.test(s);

/** The app's URL in the UI: argocd-cm `url` when set, else the server the CLI talks to. */
export function appURL(settingsURL: string, serverAddr: string, plaintext: boolean, name: string): string {
  if (settingsURL) return `${settingsURL.replace(/\/+$/, '')}/applications/${name}`;
  let server = serverAddr;
  if (!plaintext && server.endsWith(':443')) server = server.slice(0, -4);
  return `${plaintext ? 'http' : 'https'}://${server}/applications/${name}`;
}

function sourceDetails(s: ApplicationSource): string {
  let out = kv('- Repo:', s.repoURL);
  out += kv('  Target:', s.targetRevision ?? '');
  if (s.path) out += kv('  Path:', s.path);
  if ((s as any).ref) out += kv('  Ref:', (s as any).ref);
  const vf = (s as any).helm?.valueFiles as string[] | undefined;
  if (vf?.length) out += kv('  Helm Values:', vf.join(','));
  const np = (s as any).kustomize?.namePrefix;
  if (np) out += kv('  Name Prefix:', np);
  return out;
}

export function syncWindowStatus(w: SyncWindowsInfo | undefined): { status: string; assigned: string[] } {
  const assigned = w?.assignedWindows ?? [];
  if (!assigned.length) return { status: 'Sync Allowed', assigned: [] };
  const active = w?.activeWindows ?? [];
  const deny = active.some((x) => x.kind === 'deny');
  const allow = active.some((x) => x.kind !== 'deny');
  const inactiveAllows = assigned.some((x) => x.kind === 'allow' && !active.some((a) => a.kind === x.kind && a.schedule === x.schedule && a.duration === x.duration));
  let status = 'Sync Allowed';
  if (deny || (!deny && !allow && inactiveAllows)) status = w?.canSync ? 'Manual Allowed' : 'Sync Denied';
  return { status, assigned: assigned.map((x) => `${x.kind}:${x.schedule}:${x.duration}`) };
}

/** upstream's printAppSummaryTable */
export function summary(app: Application, url: string, windows?: SyncWindowsInfo): string {
  let out = '';
  out += kv('Name:', qualifiedName(app));
  out += kv('Project:', app.spec?.project || 'default');
  out += kv('Server:', serverOf(app));
  out += kv('Namespace:', app.spec?.destination?.namespace ?? '');
  out += kv('URL:', url);
  const sources = app.spec?.sources?.length ? app.spec.sources : [sourceOf(app)];
  out += app.spec?.sources?.length ? 'Sources:\n' : 'Source:\n';
  for (const s of sources) out += sourceDetails(s);
  const sw = syncWindowStatus(windows);
  out += kv('SyncWindow:', sw.status);
  if (sw.assigned.length) out += kv('Assigned Windows:', sw.assigned.join(','));
  let policy = 'Manual';
  const auto = app.spec?.syncPolicy?.automated;
  if (auto && auto.enabled !== false) {
    policy = 'Automated';
    if (auto.prune) policy += ' (Prune)';
  }
  out += kv('Sync Policy:', policy);
  const st = app.status?.sync?.status ?? '';
  const target = sourceOf(app).targetRevision ?? '';
  let syncStr: string = st;
  if (st === 'Synced') syncStr += ` to ${target}`;
  else if (st === 'OutOfSync') syncStr += ` from ${target}`;
  const rev = app.status?.sync?.revision ?? '';
  if (!isSHA(target) && rev.length > 7) syncStr += ` (${rev.slice(0, 7)})`;
  out += kv('Sync Status:', syncStr);
  // the application's health message is deprecated upstream and not printed
  out += kv('Health Status:', app.status?.health?.status ?? '');
  return out;
}

export interface ResourceState {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  status: string;
  health: string;
  hook: string;
  message: string;
}

const key = (r: { group?: string; kind: string; namespace?: string; name: string }) => `${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`;

/** The resources of an app merged with the last operation's results (upstream's getResourceStates). */
export function resourceStates(app: Application, selected?: { group?: string; kind: string; name: string; namespace?: string }[]): ResourceState[] {
  const byKey = new Map((app.status?.resources ?? []).map((r) => [key(r), r]));
  const states: ResourceState[] = [];
  for (const res of app.status?.operationState?.syncResult?.resources ?? []) {
    let sync: string = res.hookPhase ?? '';
    let health: string = res.status ?? '';
    const k = key(res);
    const r = byKey.get(k);
    if (r && !res.hookType) {
      health = r.health?.status ?? '';
      sync = r.status ?? '';
    }
    states.push({ group: res.group ?? '', kind: res.kind, namespace: res.namespace ?? '', name: res.name, status: sync, health, hook: res.hookType ?? '', message: res.message ?? '' });
    byKey.delete(k);
  }
  for (const k of [...byKey.keys()].sort()) {
    const r = byKey.get(k)!;
    states.push({ group: r.group ?? '', kind: r.kind, namespace: r.namespace ?? '', name: r.name, status: r.status ?? '', health: r.health?.status ?? '', hook: '', message: '' });
  }
  if (selected?.length) {
    return states.filter((s) => selected.some((x) => (x.group ?? '') === s.group && x.kind === s.kind && x.name === s.name && (!x.namespace || x.namespace === s.namespace)));
  }
  return states;
}

/** GROUP KIND NAMESPACE NAME STATUS HEALTH HOOK MESSAGE */
export function resourcesTable(app: Application): string {
  const w = table().row('GROUP', 'KIND', 'NAMESPACE', 'NAME', 'STATUS', 'HEALTH', 'HOOK', 'MESSAGE');
  for (const r of resourceStates(app)) w.row(r.group, r.kind, r.namespace, r.name, r.status, r.health, r.hook, r.message);
  return w.flush();
}

export function conditionsTable(app: Application): string {
  const w = table().row('CONDITION', 'MESSAGE', 'LAST TRANSITION');
  for (const c of app.status?.conditions ?? []) w.row(c.type, c.message, goTime(c.lastTransitionTime));
  return w.flush();
}

/** upstream's printOperationResult */
export function operationResult(op: OperationState | undefined, now = Date.now()): string {
  if (!op) return '';
  let out = '';
  if (op.syncResult) {
    out += kv('Operation:', 'Sync');
    out += kv('Sync Revision:', op.syncResult.sources?.length && op.syncResult.revisions?.length ? op.syncResult.revisions.join(', ') : op.syncResult.revision);
  }
  out += kv('Phase:', op.phase);
  out += kv('Start:', goTime(op.startedAt));
  out += kv('Finished:', goTime(op.finishedAt));
  const start = Math.floor(new Date(op.startedAt).getTime() / 1000);
  const end = op.finishedAt ? Math.floor(new Date(op.finishedAt).getTime() / 1000) : Math.floor(now / 1000);
  out += kv('Duration:', formatDuration((end - start) * 1000));
  if (op.message) out += kv('Message:', op.message);
  return out;
}

export function formatSyncPolicy(a: Application): string {
  const auto = a.spec?.syncPolicy?.automated;
  if (!auto || auto.enabled === false) return 'Manual';
  return auto.prune ? 'Auto-Prune' : 'Auto';
}

export function conditionsSummary(a: Application): string {
  if (!a.status?.conditions?.length) return '<none>';
  const counts = new Map<string, number>();
  for (const c of a.status.conditions) counts.set(c.type, (counts.get(c.type) ?? 0) + 1);
  const items = [...counts].map(([t, n]) => (n > 1 ? `${t}(${n})` : t)).sort();
  return items.length ? items.join(',') : '<none>';
}

/** `argocd app list` table */
export function appsTable(apps: Application[], output: string): string {
  const wide = output === 'wide';
  const w = table();
  w.row('NAME', 'CLUSTER', 'NAMESPACE', 'PROJECT', 'STATUS', 'HEALTH', 'SYNCPOLICY', 'CONDITIONS', ...(wide ? ['REPO', 'PATH', 'TARGET'] : []));
  for (const a of apps) {
    const s = sourceOf(a);
    w.row(qualifiedName(a), serverOf(a), a.spec?.destination?.namespace ?? '', a.spec?.project || 'default', a.status?.sync?.status ?? '', a.status?.health?.status ?? '', formatSyncPolicy(a), conditionsSummary(a), ...(wide ? [s.repoURL, s.path ?? '', s.targetRevision ?? ''] : []));
  }
  return w.flush();
}

/** `argocd app history` table (grouped by source repository, as upstream) */
export function historyTable(app: Application): string {
  const groups = new Map<string, { id: number; date: string; rev: string }[]>();
  for (const h of app.status?.history ?? []) {
    const srcs = h.sources?.length ? h.sources : [h.source ?? ({ repoURL: '' } as ApplicationSource)];
    srcs.forEach((src, i) => {
      const revision = h.sources?.length ? (h.revisions?.[i] ?? '') : (h.revision ?? '');
      let rev = src.targetRevision ?? '';
      if (revision.length >= 7) rev = `${rev} (${revision.slice(0, 7)})`;
      const list = groups.get(src.repoURL) ?? [];
      list.push({ id: h.id, date: goTime(h.deployedAt), rev });
      groups.set(src.repoURL, list);
    });
  }
  const w = table();
  let i = 0;
  for (const [repo, rows] of groups) {
    w.row('SOURCE', repo);
    w.row('ID', 'DATE', 'REVISION');
    for (const r of rows) w.row(r.id, r.date, r.rev);
    if (++i < groups.size) w.write('\n');
  }
  return w.flush();
}
