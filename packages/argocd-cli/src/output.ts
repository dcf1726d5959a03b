/**
 * Output helpers shared by the commands: `-o json|yaml` as upstream prints them (JSON indented by
 * two spaces; YAML with sorted keys, as sigs.k8s.io/yaml writes it), Go's time formats, tables.
 */
import { io } from '@flotilla/cli-kit/io';
import { TabWriter } from '@flotilla/cli-kit/tabwriter';
import { CliError } from './session.js';
import { sortKeys, toYAML } from '@flotilla/cli-kit/output';

export { sortKeys, toYAML };

export function toJSON(v: unknown): string {
  return JSON.stringify(v, null, 2) + '\n';
}

/** `-o json|yaml` of one object or a list (upstream prints a list as a JSON/YAML array). */
export function printResource(v: unknown, format: string): void {
  if (format === 'json') io.out(toJSON(v));
  else if (format === 'yaml') io.out(toYAML(v));
  else throw new CliError(`unknown output format: ${format}`);
}

export function table(): TabWriter {
  return new TabWriter({ minwidth: 0, tabwidth: 0, padding: 2 });
}

function zoneName(d: Date): string {
  const off = -d.getTimezoneOffset();
  const tz = process.env.TZ;
  if (off === 0 && (!tz || tz === 'UTC' || tz === 'Etc/UTC' || tz === ':/etc/localtime')) return 'UTC';
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    if (part && !/^GMT[+-]/.test(part.value)) return part.value;
  } catch {
    /* no Intl data */
  }
  const p = (n: number) => String(Math.abs(n)).padStart(2, '0');
  return `${off < 0 ? '-' : '+'}${p(Math.trunc(off / 60))}${off % 60 ? p(off % 60) : ''}`;
}

function offsetOf(d: Date, colon: boolean): string {
  const off = -d.getTimezoneOffset();
  const p = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  return `${off < 0 ? '-' : '+'}${p(Math.abs(off) / 60)}${colon ? ':' : ''}${p(Math.abs(off) % 60)}`;
}

function localParts(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Go's time.Time.String() of a metav1.Time (local time): "2024-01-02 15:04:05 +0000 UTC"; "<nil>" when absent. */
export function goTime(s: string | undefined | null): string {
  if (!s) return '<nil>';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return `${localParts(d)} ${offsetOf(d, false)} ${zoneName(d)}`;
}

/** Go's time.RFC3339 in local time ("Z" for a zero offset). */
export function rfc3339(d: Date | string | number): string {
  const t = d instanceof Date ? d : new Date(d);
  const off = -t.getTimezoneOffset();
  return localParts(t).replace(' ', 'T') + (off === 0 ? 'Z' : offsetOf(t, true));
}

/** Go's fmt "%-20s%s\n" (printOpFmtStr) */
export function kv(key: string, value: unknown, width = 20): string {
  return `${key.padEnd(width)}${value ?? ''}\n`;
}

export function requireOutput(format: string, allowed: string[]): void {
  if (!allowed.includes(format)) throw new CliError(`unknown output format: ${format}`);
}
