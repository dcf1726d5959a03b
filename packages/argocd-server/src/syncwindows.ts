/** Sync windows of a project as they apply to an app (pure, over a clock): assigned, active, canSync — Argo CD's rules. */
import { CronSchedule } from '@flotilla/controllers';
import type { AppProject, Application, SyncWindow } from '@flotilla/argocd-engine/types';
import { globMatch } from './rbac.js';
import { parseDuration } from './accounts.js';

export function windowMatches(w: SyncWindow, app: Application): boolean {
  const name = app.metadata?.name ?? '';
  const ns = app.spec?.destination?.namespace ?? '';
  const server = app.spec?.destination?.server ?? app.spec?.destination?.name ?? '';
  return (w.applications ?? []).some((p) => globMatch(name, p)) || (w.namespaces ?? []).some((p) => globMatch(ns, p)) || (w.clusters ?? []).some((p) => globMatch(server, p) || globMatch(app.spec?.destination?.name ?? '', p));
}

export function windowActive(w: SyncWindow, now: number): boolean {
  try {
    const dur = parseDuration(w.duration, -1) * 1000;
    if (dur <= 0) return false;
    const next = new CronSchedule(w.schedule, w.timeZone || 'UTC').next(now - dur - 1);
    return next !== undefined && next <= now;
  } catch {
    return false;
  }
}

export interface WindowsState {
  assignedWindows: SyncWindow[];
  activeWindows: SyncWindow[];
  canSync: boolean;
}

/** `manual`: a sync asked for by a user (deny windows with manualSync allow it). */
export function syncWindowsState(p: AppProject | undefined, app: Application, now: number, manual = true): WindowsState {
  const assigned = (p?.spec?.syncWindows ?? []).filter((w) => windowMatches(w, app));
  const active = assigned.filter((w) => windowActive(w, now));
  const allows = assigned.filter((w) => w.kind === 'allow');
  const activeAllow = active.filter((w) => w.kind === 'allow');
  const activeDeny = active.filter((w) => w.kind === 'deny');
  let canSync = true;
  if (activeDeny.length) canSync = manual && activeDeny.every((w) => w.manualSync);
  else if (allows.length && !activeAllow.length) canSync = manual && allows.some((w) => w.manualSync);
  return { assignedWindows: assigned, activeWindows: active, canSync };
}
