/**
 * The "already notified" state kept in the object's `notified.notifications.argoproj.io` annotation
 * (a JSON map of state key → unix time of the notification), as upstream keeps it: a condition that
 * stops being true forgets its keys (so it can notify again), except keys bound to an `oncePer` value.
 */
import type { ConditionResult } from './triggers.js';
import type { Destination } from './subscriptions.js';

export type NotifiedState = Record<string, number>;

/** At most this many keys are kept (the oldest are dropped). */
export const MAX_STATE_KEYS = 100;

export function parseState(annotation: string | undefined): NotifiedState {
  if (!annotation) return {};
  try {
    const v = JSON.parse(annotation) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'number')) as NotifiedState;
  } catch {
    return {};
  }
}

export function stateKey(trigger: string, r: Pick<ConditionResult, 'key' | 'oncePer'>, d: Destination): string {
  const k = `${r.key}:${trigger}:${d.service}:${d.recipient}`;
  return r.oncePer ? `${r.oncePer}:${k}` : k;
}

/** Sets or clears a key; returns whether the state changed. */
export function setNotified(s: NotifiedState, trigger: string, r: ConditionResult, d: Destination, notified: boolean, now = Math.floor(Date.now() / 1000)): boolean {
  const key = stateKey(trigger, r, d);
  if ((key in s) === notified) return false;
  if (notified) {
    s[key] = now;
    return true;
  }
  if (r.oncePer) return false;
  delete s[key];
  return true;
}

export function isNotified(s: NotifiedState, trigger: string, r: ConditionResult, d: Destination): boolean {
  return stateKey(trigger, r, d) in s;
}

export function serializeState(s: NotifiedState): string {
  const entries = Object.entries(s).sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  return JSON.stringify(Object.fromEntries(entries.slice(Math.max(0, entries.length - MAX_STATE_KEYS))));
}
