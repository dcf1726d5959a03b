/**
 * How the argo CLI writes times and durations: `Mon Jan 02 15:04:05 -0700 (2 minutes ago)` in `argo get`,
 * `10 seconds` for a workflow's Duration, and Kubernetes' short human durations (`5s`, `2m30s`, `3h`)
 * in tables (AGE, DURATION). Pure: `now` is a parameter.
 */

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 12 * MONTH;

/** [below this many ms, words (n = the count in the unit), unit] — the first row the difference is below wins */
const SCALE: [number, (n: number) => string, number][] = [
  [SEC, () => '0 seconds', 1],
  [2 * SEC, () => '1 second', 1],
  [MIN, (n) => `${n} seconds`, SEC],
  [2 * MIN, () => '1 minute', 1],
  [HOUR, (n) => `${n} minutes`, MIN],
  [2 * HOUR, () => '1 hour', 1],
  [DAY, (n) => `${n} hours`, HOUR],
  [2 * DAY, () => '1 day', 1],
  [WEEK, (n) => `${n} days`, DAY],
  [2 * WEEK, () => '1 week', 1],
  [MONTH, (n) => `${n} weeks`, WEEK],
  [2 * MONTH, () => '1 month', 1],
  [YEAR, (n) => `${n} months`, MONTH],
  [18 * MONTH, () => '1 year', 1],
  [2 * YEAR, () => '2 years', 1],
  [Number.MAX_SAFE_INTEGER, (n) => `${n} years`, YEAR],
];

/** "10 seconds", "1 minute", "3 hours" for the span a→b; with a label ("ago" / "from now") when asked. */
export function relative(a: number, b: number, labels?: { past: string; future: string }): string {
  let diff = b - a;
  let label = labels?.past ?? '';
  if (diff < 0) {
    diff = -diff;
    label = labels?.future ?? '';
  }
  for (const [below, words, unit] of SCALE) {
    if (diff < below) {
      const w = words(Math.floor(diff / unit));
      // the "0 seconds" row takes no label
      return below === SEC || !label ? w : `${w} ${label}`;
    }
  }
  return 'a long while';
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's "Mon Jan 02 15:04:05 -0700" in local time. */
export function goStamp(d: Date): string {
  const off = -d.getTimezoneOffset();
  const o = `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${o}`;
}

/** `argo get`'s timestamps: "Mon Jan 02 15:04:05 -0700 (2 minutes ago)". */
export function timestamp(t: string | Date, now: number): string {
  const d = t instanceof Date ? t : new Date(t);
  return `${goStamp(d)} (${relative(d.getTime(), now, { past: 'ago', future: 'from now' })})`;
}

/** A workflow's Duration in `argo get`: "10 seconds" (the end defaults to now). */
export function longDuration(start: string, end: string | undefined, now: number): string {
  const a = new Date(start).getTime();
  const b = end ? new Date(end).getTime() : now;
  return relative(a, b);
}

/** Kubernetes' HumanDuration (kubectl's AGE): 5s, 2m30s, 15m, 3h10m, 2d4h, 400d, 3y20d. */
export function humanDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(ms / MIN);
  if (minutes < 10) {
    const s = Math.floor(ms / SEC) % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** The short span start→end (end defaults to now); "0s" when it never started. */
export function shortDuration(start: string | undefined, end: string | undefined, now: number): string {
  if (!start) return '0s';
  const a = new Date(start).getTime();
  const b = end ? new Date(end).getTime() : now;
  return humanDuration(b - a);
}

/** Go's time.Time String() in local time: "2024-01-02 15:04:05 +0000 UTC" (as `argo wait` prints FinishedAt). */
export function goTime(s: string | undefined): string {
  if (!s) return '0001-01-01 00:00:00 +0000 UTC';
  const d = new Date(s);
  const off = -d.getTimezoneOffset();
  const o = `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  const zone = off === 0 ? 'UTC' : o;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${o} ${zone}`;
}

/** "1m30s" style resources duration: `{cpu: 1, memory: 5}` → "1s*(1 cpu),5s*(100Mi memory)". */
export function resourcesDuration(r: Record<string, number> | undefined): string {
  if (!r) return '';
  const denom: Record<string, string> = { cpu: '1 cpu', memory: '100Mi memory', 'nvidia.com/gpu': '1 nvidia.com/gpu' };
  return Object.keys(r)
    .sort()
    .map((k) => `${goDurationSeconds(r[k])}*(${denom[k] ?? `1 ${k}`})`)
    .join(',');
}

/** Go's Duration String() of whole seconds: 5s, 1m30s, 1h0m0s. */
export function goDurationSeconds(s: number): string {
  if (!s) return '0s';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${m}m${sec}s` : m ? `${m}m${sec}s` : `${sec}s`;
}
