/**
 * `strategy: RollingSync` (pure): each Application belongs to the first step whose
 * matchExpressions match its labels; a step's apps are synced only when every app of the earlier
 * steps is Healthy, at most `maxUpdate` (number or percentage of the step) at a time. Apps of no
 * step (step "0") are not synced by the rollout. Automated sync is removed from generated apps (as upstream).
 */
import type { AppStatusEntry, Application, ApplicationSet, RollingStep } from './types.js';
import { GeneratorError } from './types.js';

export function isRollingSync(set: ApplicationSet): boolean {
  return set.spec?.strategy?.type === 'RollingSync';
}

export function stepOf(steps: RollingStep[], labels: Record<string, string> | undefined): number {
  return steps.findIndex((s) =>
    (s.matchExpressions ?? []).every((e) => {
      const v = labels?.[e.key];
      if (e.operator === 'In') return v !== undefined && (e.values ?? []).includes(v);
      if (e.operator === 'NotIn') return v === undefined || !(e.values ?? []).includes(v);
      throw new GeneratorError(`strategy.rollingSync: step operator "${e.operator as string}" is not In or NotIn`);
    }),
  );
}

export function maxUpdateOf(step: RollingStep, size: number): number {
  const m = step.maxUpdate;
  if (m === undefined || m === null) return size;
  if (typeof m === 'number') return m;
  const pct = /^(\d+)%$/.exec(m);
  if (!pct) {
    if (/^\d+$/.test(m)) return Number(m);
    throw new GeneratorError(`strategy.rollingSync: maxUpdate "${m}" is not a number or a percentage`);
  }
  const n = Math.floor((size * Number(pct[1])) / 100);
  return Number(pct[1]) > 0 ? Math.max(1, n) : 0;
}

const upToDate = (a: Application) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy';
const running = (a: Application) => !!a.operation || a.status?.operationState?.phase === 'Running';

/** The apps' rollout status and the apps to sync now. */
export function rollout(set: ApplicationSet, apps: Application[], previous: AppStatusEntry[] = [], now = new Date().toISOString()): { status: AppStatusEntry[]; sync: string[] } {
  const steps = set.spec?.strategy?.rollingSync?.steps ?? [];
  const prev = new Map(previous.map((e) => [e.application, e]));
  const entries: (AppStatusEntry & { stepIdx: number; app: Application })[] = [];
  for (const a of apps) {
    const name = a.metadata!.name!;
    const idx = stepOf(steps, a.metadata?.labels);
    const p = prev.get(name);
    let status: AppStatusEntry['status'];
    let message: string;
    if (!p?.status.match(/^(Pending|Progressing)$/) && running(a)) {
      // an operation under way (ours, from a status not seen yet, or anyone's): never a second one
      status = 'Progressing';
      message = 'Application resource became Progressing, updating status from Pending to Progressing.';
    } else if (p && (p.status === 'Pending' || p.status === 'Progressing') && (running(a) || !upToDate(a))) {
      status = running(a) || p.status === 'Progressing' ? 'Progressing' : 'Pending';
      message = status === 'Progressing' ? 'Application resource became Progressing, updating status from Pending to Progressing.' : p.message;
    } else if (upToDate(a)) {
      status = 'Healthy';
      message = p?.status === 'Progressing' ? 'Application resource became Healthy, updating status from Progressing to Healthy.' : 'Application resource is already Healthy, updating status from Waiting to Healthy.';
    } else {
      status = 'Waiting';
      message = 'Application has pending changes, setting status to Waiting.';
    }
    const changed = !p || p.status !== status;
    const sync = a.status?.sync as { revision?: string; revisions?: string[] } | undefined;
    const targetRevisions = sync?.revisions ?? (sync?.revision ? [sync.revision] : []);
    entries.push({ application: name, status, message, step: String(idx + 1), targetRevisions, lastTransitionTime: changed ? now : p?.lastTransitionTime ?? now, stepIdx: idx, app: a });
  }
  const sync: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const earlier = entries.filter((e) => e.stepIdx >= 0 && e.stepIdx < i);
    if (!earlier.every((e) => e.status === 'Healthy')) break;
    const mine = entries.filter((e) => e.stepIdx === i);
    let room = maxUpdateOf(steps[i]!, mine.length) - mine.filter((e) => e.status === 'Pending' || e.status === 'Progressing').length;
    for (const e of mine) {
      if (room <= 0) break;
      if (e.status !== 'Waiting') continue;
      e.status = 'Pending';
      e.message = 'Application moved to Pending status, watching for the Application resource to start Progressing.';
      e.lastTransitionTime = now;
      sync.push(e.application);
      room--;
    }
  }
  const status = entries
    .map(({ stepIdx: _s, app: _a, ...e }) => e as AppStatusEntry)
    .sort((a, b) => a.application.localeCompare(b.application));
  return { status, sync };
}

/** Generated apps of a RollingSync set carry no automated sync (the rollout syncs them). */
export function withoutAutoSync(a: Application): Application {
  const sp = (a.spec as { syncPolicy?: { automated?: unknown } } | undefined)?.syncPolicy;
  if (!sp?.automated) return a;
  const { automated: _x, ...rest } = sp;
  return { ...a, spec: { ...a.spec, syncPolicy: rest } };
}
