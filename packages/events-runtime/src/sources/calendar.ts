/** calendar: a cron `schedule` or an `interval`, skipping `exclusionDates`, in `timezone`; persistence of the last event time in a ConfigMap. */
import { Cron } from 'croner';
import { R, isNotFound } from '@flotilla/kube-runtime';
import { parseDuration, type SourceContext, type Source } from './common.js';

/** Go's time.String() form ("2006-01-02 15:04:05.999999999 -0700 MST") in the given zone. */
export function goTimeString(d: Date, timeZone = 'UTC'): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  const off = String(parts.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  const abbr = timeZone === 'UTC' ? 'UTC' : (new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '');
  const ms = d.getUTCMilliseconds();
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}${ms ? '.' + String(ms).padStart(3, '0').replace(/0+$/, '') : ''} ${off.replace(':', '')} ${abbr}`;
}

/** The local date (YYYY-MM-DD) of d in timeZone. */
export function localDate(d: Date, timeZone = 'UTC'): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** True when d falls on one of the exclusion dates (each read as a date, or an RFC 3339 time whose date counts). */
export function isExcluded(d: Date, exclusionDates: string[] | undefined, timeZone = 'UTC'): boolean {
  if (!exclusionDates?.length) return false;
  const day = localDate(d, timeZone);
  return exclusionDates.some((x) => {
    const s = String(x).trim();
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return s === day;
    const t = new Date(s);
    return !Number.isNaN(t.getTime()) && localDate(t, timeZone) === day;
  });
}

export async function startCalendar(ctx: SourceContext, spec: any): Promise<Source> {
  const tz: string = spec.timezone || 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new Error(`calendar: unknown timezone ${JSON.stringify(tz)}`);
  }
  const cmName: string | undefined = spec.persistence?.configMap?.name;
  const fire = async (at: Date) => {
    if (isExcluded(at, spec.exclusionDates, tz)) return ctx.log('info', `calendar: ${at.toISOString()} is an exclusion date; skipped`, { eventName: ctx.eventName });
    try {
      await ctx.emit({ eventTime: goTimeString(at, tz), metadata: spec.metadata });
      if (cmName) await persist(ctx, cmName, spec.persistence.configMap.createIfNotExist, at).catch((e) => ctx.log('warn', `calendar: persisting the last event time failed: ${(e as Error).message}`));
    } catch (e) {
      ctx.log('error', `calendar: publishing failed: ${(e as Error).message}`, { eventName: ctx.eventName });
    }
  };
  // robfig/cron's "@every 1h30m" (upstream's parser) is an interval
  const every = /^@every\s+(\S+)$/.exec(String(spec.schedule ?? '').trim());
  if (every) spec = { ...spec, schedule: undefined, interval: every[1] };
  if (spec.schedule) {
    let job: Cron;
    try {
      job = new Cron(String(spec.schedule), { timezone: tz, paused: true }, () => void fire(new Date()));
    } catch (e) {
      throw new Error(`calendar: invalid schedule ${JSON.stringify(spec.schedule)}: ${(e as Error).message}`);
    }
    if (cmName && spec.persistence?.catchup?.enabled) {
      const last = await lastEventTime(ctx, cmName).catch((e) => ctx.log('warn', `calendar: reading the last event time failed: ${(e as Error).message}`));
      if (last) for (const at of missedRuns(job, last, new Date(), parseDuration(spec.persistence.catchup.maxDuration))) await fire(at);
    }
    job.resume();
    return { stop: async () => job.stop() };
  }
  const everyMs = parseDuration(spec.interval);
  if (!everyMs || everyMs <= 0) throw new Error('calendar: one of schedule or interval is required');
  const t = setInterval(() => void fire(new Date()), everyMs);
  return { stop: async () => clearInterval(t) };
}

/** Schedule times after `last` up to `now` (only those within maxDurationMs of now, when given). */
export function missedRuns(job: { nextRun(prev?: Date): Date | null }, last: Date, now: Date, maxDurationMs?: number): Date[] {
  const out: Date[] = [];
  const from = maxDurationMs ? new Date(Math.max(last.getTime(), now.getTime() - maxDurationMs)) : last;
  let at = job.nextRun(from);
  while (at && at.getTime() <= now.getTime() && out.length < 1000) {
    out.push(at);
    at = job.nextRun(at);
  }
  return out;
}

async function lastEventTime(ctx: SourceContext, name: string): Promise<Date | undefined> {
  try {
    const cm = (await ctx.kube().get(R.configmaps, ctx.namespace, name)) as { data?: Record<string, string> };
    const v = cm.data?.[`${ctx.eventSourceName}.${ctx.eventName}`];
    if (!v) return undefined;
    const t = new Date((JSON.parse(v) as { eventTime?: string }).eventTime ?? '');
    return Number.isNaN(t.getTime()) ? undefined : t;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function persist(ctx: SourceContext, name: string, create: boolean | undefined, at: Date) {
  const key = `${ctx.eventSourceName}.${ctx.eventName}`;
  const kube = ctx.kube();
  const value = JSON.stringify({ eventTime: at.toISOString() });
  try {
    await kube.patch(R.configmaps, ctx.namespace, name, { data: { [key]: value } }, 'merge');
  } catch (e) {
    if (!isNotFound(e) || !create) throw e;
    await kube.create(R.configmaps, ctx.namespace, { metadata: { name, namespace: ctx.namespace }, data: { [key]: value } });
  }
}
