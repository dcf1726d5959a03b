/**
 * Trigger evaluation: each condition's `when` is an expr expression over the object's variables
 * (`app` for Argo CD, `rollout` for Rollouts) plus `time.Now()` / `time.Parse(s)`; `oncePer` is an
 * expr expression whose value (e.g. the synced revision) keys the "already notified" state.
 */
import { createHash } from 'node:crypto';
import { compile, toStr, type Program } from '@flotilla/expr';
import { GoTime, UTC, parseTime } from '@flotilla/gotemplate';
import type { Condition } from './config.js';

export interface ConditionResult {
  /** `[<index>].<hash of when and send>`: part of the state key, changes when the condition is edited */
  key: string;
  triggered: boolean;
  templates: string[];
  oncePer: string;
  /** an evaluation error (the condition counts as not triggered) */
  error?: string;
}

const RFC3339 = '2006-01-02T15:04:05Z07:00';
/** The functions triggers can call besides the object's variables. */
export function triggerFunctions(): Record<string, unknown> {
  return {
    time: {
      Now: () => GoTime.now(),
      Parse: (s: unknown) => parseTime(RFC3339, String(s), UTC),
    },
  };
}

const programs = new Map<string, Program>();
function program(src: string): Program {
  let p = programs.get(src);
  if (!p) {
    p = compile(src);
    if (programs.size > 2000) programs.clear();
    programs.set(src, p);
  }
  return p;
}

export function conditionKey(i: number, c: Condition): string {
  const h = createHash('sha1').update(c.when).update('\0').update(c.send.join(',')).digest('base64url').slice(0, 22);
  return `[${i}].${h}`;
}

/** Evaluates every condition of a trigger. Evaluation errors are reported, not thrown. */
export function evaluateTrigger(conditions: Condition[], vars: Record<string, unknown>): ConditionResult[] {
  const env = { ...triggerFunctions(), ...vars };
  return conditions.map((c, i) => {
    const r: ConditionResult = { key: conditionKey(i, c), triggered: false, templates: c.send, oncePer: '' };
    try {
      const v = program(c.when).run(env);
      if (typeof v !== 'boolean') throw new Error(`expected a boolean, got ${toStr(v)}`);
      r.triggered = v;
      if (v && c.oncePer) {
        const o = program(c.oncePer).run(env);
        r.oncePer = o === null || o === undefined ? '' : toStr(o);
      }
    } catch (e) {
      r.triggered = false;
      r.error = `when "${c.when}": ${(e as Error).message}`;
    }
    return r;
  });
}
