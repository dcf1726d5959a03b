/**
 * Cron schedules as CronJob accepts them: five fields (minute hour day-of-month month day-of-week) with lists,
 * ranges, steps, `*`/`?` and month/day names, or a descriptor (@hourly, @daily, @every 1h30m, ...).
 * Error texts follow what the API server reports for invalid schedules.
 */

export interface CronSchedule {
  /** Sets of allowed values per field. */
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  dayOfWeek: Set<number>;
  /** true when the field was `*` / `?` (affects how day-of-month and day-of-week combine). */
  dayOfMonthStar: boolean;
  dayOfWeekStar: boolean;
  /** set for "@every <duration>" schedules: the interval in milliseconds. */
  everyMs?: number;
}

export class CronParseError extends Error {}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const BOUNDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];

function parseIntStrict(s: string, expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new CronParseError(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(s: string, b: Bounds, expr: string): number {
  if (b.names) {
    const n = b.names[s.toLowerCase()];
    if (n !== undefined) return n;
  }
  return parseIntStrict(s, expr);
}

function parseRange(expr: string, b: Bounds, out: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    if (!single) throw new CronParseError(`too many hyphens: ${expr}`);
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0], b, expr);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], b, expr);
    else throw new CronParseError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseIntStrict(rangeAndStep[1], expr);
    if (single && !star) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronParseError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronParseError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronParseError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) out.add(i);
  return star;
}

function parseField(field: string, b: Bounds): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of field.split(',')) if (parseRange(part, b, values)) star = true;
  return { values, star };
}

const GO_DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** Parses a Go duration ("1h30m", "90s", "1.5h") into milliseconds. */
export function parseGoDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let sign = 1;
  let str = s;
  if (str.startsWith('-') || str.startsWith('+')) {
    sign = str.startsWith('-') ? -1 : 1;
    str = str.slice(1);
  }
  if (str === '') return undefined;
  re.lastIndex = 0;
  while (pos < str.length) {
    re.lastIndex = pos;
    const m = re.exec(str);
    if (!m) return undefined;
    total += Number(m[1]) * GO_DURATION_UNITS[m[2]];
    pos = re.lastIndex;
  }
  return sign * total;
}

function all(b: Bounds): Set<number> {
  const s = new Set<number>();
  for (let i = b.min; i <= b.max; i++) s.add(i);
  return s;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Parses a CronJob schedule; throws CronParseError with the server's wording on failure. */
export function parseCronSchedule(spec: string): CronSchedule {
  const s = spec.trim();
  if (s === '') throw new CronParseError('empty spec string');
  if (s.startsWith('@')) {
    if (s.startsWith('@every ')) {
      const d = s.slice('@every '.length).trim();
      const ms = parseGoDuration(d);
      if (ms === undefined) throw new CronParseError(`failed to parse duration ${s}: time: invalid duration ${JSON.stringify(d)}`);
      return {
        minute: all(BOUNDS[0]),
        hour: all(BOUNDS[1]),
        dayOfMonth: all(BOUNDS[2]),
        month: all(BOUNDS[3]),
        dayOfWeek: all(BOUNDS[4]),
        dayOfMonthStar: true,
        dayOfWeekStar: true,
        everyMs: Math.max(ms, 1000),
      };
    }
    const expanded = DESCRIPTORS[s.toLowerCase()];
    if (!expanded) throw new CronParseError(`unrecognized descriptor: ${s}`);
    return parseCronSchedule(expanded);
  }
  const fields = s.split(/\s+/);
  if (fields.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const parsed = fields.map((f, i) => parseField(f, BOUNDS[i]));
  return {
    minute: parsed[0].values,
    hour: parsed[1].values,
    dayOfMonth: parsed[2].values,
    month: parsed[3].values,
    dayOfWeek: parsed[4].values,
    dayOfMonthStar: parsed[2].star,
    dayOfWeekStar: parsed[4].star,
  };
}

/** Validation messages for a CronJob schedule (empty list when valid). */
export function validateCronSchedule(spec: string): string[] {
  if (/(^|\s)(CRON_)?TZ=/.test(spec)) return ['cannot use TZ or CRON_TZ in schedule, use timeZone field instead'];
  try {
    parseCronSchedule(spec);
    return [];
  } catch (e) {
    if (e instanceof CronParseError) return [e.message];
    throw e;
  }
}

/** Whether an IANA time zone name is known to this runtime. */
export function isValidTimeZone(tz: string): boolean {
  if (tz === '' || tz === 'Local') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
