/**
 * Building blocks of built-in validation: field errors with Kubernetes' reasons and message shapes, Go-like value
 * rendering, and small validators (DNS-1035, IANA service names, config keys, quantities, percentages, IPs).
 */
import { isIP } from 'node:net';
import type { Cause } from '@flotilla/apimachinery';
import { isPlainObject } from '@flotilla/apimachinery';

export type Obj = Record<string, unknown>;

export function asObj(v: unknown): Obj | undefined {
  return isPlainObject(v) ? v : undefined;
}

export function objs(v: unknown): Obj[] {
  return Array.isArray(v) ? (v.filter(isPlainObject) as Obj[]) : [];
}

export function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainObject(v)) return Object.keys(v).length === 0;
  return false;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Go %q-style quoting of a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

function isStringMap(v: Obj): boolean {
  return Object.values(v).every((x) => typeof x === 'string');
}

/** Renders a value the way Kubernetes field errors print it: strings quoted, numbers plain, maps Go-style. */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined || v === null) return 'null';
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return `[]string{${v.map((x) => goQuote(x as string)).join(', ')}}`;
    return JSON.stringify(v);
  }
  if (isPlainObject(v) && isStringMap(v)) return goMapString(v as Record<string, string>);
  return JSON.stringify(v);
}

export function goMapString(m: Record<string, string> | undefined): string {
  if (!m) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  // a value that is not a string (YAML `app: 1`, a map) is rendered as itself, never crashes
  const val = (v: unknown) => (typeof v === 'string' ? goQuote(v) : formatValue(v));
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${val(m[k])}`).join(', ')}}`;
}

/** A metav1.LabelSelector rendered like Go's %#v, as Kubernetes prints it in "field is immutable" errors. */
export function goLabelSelector(sel: unknown): string {
  const s = asObj(sel) ?? {};
  const ml = asObj(s.matchLabels) as Record<string, string> | undefined;
  const exprs = objs(s.matchExpressions);
  const mlStr = ml && Object.keys(ml).length > 0 ? goMapString(ml) : 'map[string]string(nil)';
  const exStr =
    exprs.length === 0
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map((e) => {
            const vals = Array.isArray(e.values) && e.values.length > 0
              ? `[]string{${(e.values as unknown[]).map((x) => goQuote(String(x))).join(', ')}}`
              : '[]string(nil)';
            return `v1.LabelSelectorRequirement{Key:${goQuote(str(e.key))}, Operator:${goQuote(str(e.operator))}, Values:${vals}}`;
          })
          .join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${mlStr}, MatchExpressions:${exStr}}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Field errors

export function required(field: string, detail = ''): Cause {
  return { reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
}

export function invalid(field: string, value: unknown, detail: string): Cause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${formatValue(value)}: ${detail}` };
}

/** An Invalid error whose value is already rendered. */
export function invalidRaw(field: string, rendered: string, detail: string): Cause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${rendered}: ${detail}` };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): Cause {
  const list = supported.map((s) => goQuote(s)).join(', ');
  return {
    reason: 'FieldValueNotSupported',
    field,
    message: supported.length > 0 ? `Unsupported value: ${formatValue(value)}: supported values: ${list}` : `Unsupported value: ${formatValue(value)}`,
  };
}

export function duplicate(field: string, value: unknown): Cause {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${formatValue(value)}` };
}

export function forbidden(field: string, detail: string): Cause {
  return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
}

export function tooLong(field: string, max: number): Cause {
  return { reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` };
}

export function notFound(field: string, value: unknown): Cause {
  return { reason: 'FieldValueNotFound', field, message: `Not found: ${formatValue(value)}` };
}

export function typeInvalid(field: string, value: unknown, detail: string): Cause {
  return { reason: 'FieldValueTypeInvalid', field, message: `Invalid value: ${formatValue(value)}: ${detail}` };
}

/** Joins a field path: join("spec", "containers[0]") → "spec.containers[0]"; join("", "x") → "x". */
export function join(base: string, child: string): string {
  if (!base) return child;
  if (!child) return base;
  return `${base}.${child}`;
}

export function idx(base: string, i: number): string {
  return `${base}[${i}]`;
}

/** data[key] style (map key) path element. */
export function key(base: string, k: string): string {
  return `${base}[${k}]`;
}

// ---------------------------------------------------------------------------------------------------------------
// Simple validators returning messages

const dns1035 = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035Re = new RegExp(`^${dns1035}$`);

/** DNS-1035 label (Service names, ...), with Kubernetes' messages. */
export function validateDns1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!dns1035Re.test(v))
    errs.push(
      `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '${dns1035}')`,
    );
  return errs;
}

/** Names that must be usable as a single URL path segment (RBAC objects). */
export function validatePathSegmentName(v: string): string[] {
  const errs: string[] = [];
  if (v === '.' || v === '..') errs.push(`may not be '${v}'`);
  for (const bad of ['/', '%']) if (v.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

const configKeyRe = /^[-._a-zA-Z0-9]+$/;

/** Keys of ConfigMap / Secret data. */
export function validateConfigKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!configKeyRe.test(v))
    errs.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  if (v === '.') errs.push("must not be '.'");
  else if (v === '..') errs.push("must not be '..'");
  else if (v.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** Port names (IANA_SVC_NAME). */
export function validatePortName(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(v)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (v.includes('--')) errs.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.startsWith('-') || v.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

export function validatePortNumber(n: number): string[] {
  if (!Number.isInteger(n) || n < 1 || n > 65535) return ['must be between 1 and 65535, inclusive'];
  return [];
}

/** Environment variable names (relaxed rules of current Kubernetes). */
export function validateEnvVarName(v: string): string[] {
  const errs: string[] = [];
  if (!/^[\x20-\x7e]+$/.test(v) || v.includes('='))
    errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
  return errs;
}

export function validateIP(v: string): string[] {
  return isIP(v) === 0 ? ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'] : [];
}

export const percentRe = /^[0-9]+%$/;

// ---------------------------------------------------------------------------------------------------------------
// Quantities

/** Parses a resource.Quantity ("500m", "1Gi", "1e3", 2) into a number; undefined when malformed. */
export { parseQuantity } from '@flotilla/apimachinery';

export const QUANTITY_REGEX_MESSAGE =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

// ---------------------------------------------------------------------------------------------------------------
// Base64 (Go's StdEncoding rules: padding required, CR/LF ignored)

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Returns the byte offset Go's decoder would report for malformed standard base64, or -1 when valid. */
export function base64ErrorOffset(s: string): number {
  const chars: { c: string; i: number }[] = [];
  for (let i = 0; i < s.length; i++) if (s[i] !== '\r' && s[i] !== '\n') chars.push({ c: s[i], i });
  for (let q = 0; q < chars.length; q += 4) {
    const quantum = chars.slice(q, q + 4);
    for (let j = 0; j < quantum.length; j++) {
      const { c, i } = quantum[j];
      if (c === '=') {
        // Padding: only allowed in positions 2 or 3 of the final quantum.
        if (j < 2) return i;
        if (j === 2) {
          if (quantum.length < 4 || quantum[3].c !== '=') return quantum.length < 4 ? s.length : quantum[3].i;
        }
        if (q + 4 < chars.length) return chars[q + 4].i;
        return -1;
      }
      if (!B64.includes(c)) return i;
    }
    if (quantum.length < 4) return quantum[0].i;
  }
  return -1;
}

export function decodeBase64(s: string): Buffer {
  return Buffer.from(s, 'base64');
}

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Obj;
  const bo = b as Obj;
  const ak = Object.keys(ao).filter((key) => ao[key] !== undefined);
  const bk = Object.keys(bo).filter((key) => bo[key] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const key of ak) if (!Object.prototype.hasOwnProperty.call(bo, key) || !jsonEqual(ao[key], bo[key])) return false;
  return true;
}

