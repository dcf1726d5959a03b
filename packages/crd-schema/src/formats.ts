/** String formats as OpenAPI validation (go-openapi strfmt registry) checks them. Unknown formats always pass. */
import { isIPv4, isIPv6 } from 'node:net';

const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$/;

function validDateParts(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

function isDateTime(s: string): boolean {
  const m = rfc3339.exec(s);
  if (!m || m[4] === undefined) return false;
  if (!validDateParts(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  return Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 61;
}

function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return !!m && validDateParts(Number(m[1]), Number(m[2]), Number(m[3]));
}

const hostnameRe = /^(?=.{1,255}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const goDurationRe = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const humanDurationRe =
  /^[-+]?\d+(?:\.\d+)?\s*(?:ns|us|µs|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|sec|minutes?|min|hours?|hr|days?|weeks?|wk)$/i;

function isCidr(s: string): boolean {
  const i = s.indexOf('/');
  if (i < 0) return false;
  const ip = s.slice(0, i);
  const bits = s.slice(i + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (isIPv4(ip)) return n <= 32;
  if (isIPv6(ip)) return n <= 128;
  return false;
}

function isUri(s: string): boolean {
  if (s.startsWith('/')) return !/\s/.test(s);
  try {
    const u = new URL(s);
    return !!u.protocol;
  } catch {
    return false;
  }
}

const uuidRe = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const uuidVersioned = (v: string) => new RegExp(`^[0-9a-f]{8}-?[0-9a-f]{4}-?${v}[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$`, 'i');

const checks: Record<string, (s: string) => boolean> = {
  'date-time': isDateTime,
  datetime: isDateTime,
  date: isDate,
  byte: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
  uuid: (s) => uuidRe.test(s),
  uuid3: (s) => uuidVersioned('3').test(s),
  uuid4: (s) => uuidVersioned('4').test(s) && /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab]/i.test(s),
  uuid5: (s) => uuidVersioned('5').test(s) && /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab]/i.test(s),
  email: (s) => /^[^@\s]+@[^@\s]+$/.test(s),
  hostname: (s) => hostnameRe.test(s),
  ipv4: (s) => isIPv4(s),
  ipv6: (s) => isIPv6(s),
  cidr: isCidr,
  mac: (s) =>
    /^(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(s) ||
    /^(?:[0-9A-Fa-f]{2}[:-]){7}[0-9A-Fa-f]{2}$/.test(s) ||
    /^(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}$/.test(s),
  uri: isUri,
  duration: (s) => s === '0' || goDurationRe.test(s) || humanDurationRe.test(s),
  bsonobjectid: (s) => /^[0-9a-f]{24}$/i.test(s),
  hexcolor: (s) => /^#?(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$/.test(s),
  rgbcolor: (s) => /^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$/.test(s),
  ssn: (s) => /^\d{3}[- ]?\d{2}[- ]?\d{4}$/.test(s),
};

/** true when `s` satisfies `format` (or the format is not one that is checked). */
export function checkStringFormat(format: string, s: string): boolean {
  const f = checks[format];
  return f ? f(s) : true;
}

/** Numeric range checks for integer/number formats. */
export function checkNumberFormat(format: string, n: number): boolean {
  switch (format) {
    case 'int32':
      return Number.isInteger(n) && n >= -2147483648 && n <= 2147483647;
    case 'int64':
      return Number.isInteger(n) && n >= -9223372036854775808 && n <= 9223372036854775807;
    case 'float':
      return Math.abs(n) <= 3.4028234663852886e38;
    default:
      return true;
  }
}

export const KNOWN_STRING_FORMATS = Object.keys(checks);
