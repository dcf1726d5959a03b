/**
 * Field errors in the shape of Kubernetes' field.Error / metav1.StatusCause.
 *
 * A Cause's `message` is the error *body* (what Kubernetes puts into StatusCause.message), e.g.
 * `Invalid value: "string": spec.replicas in body must be of type integer: "string"`; the full
 * one-line rendering is `${field}: ${message}` (see formatCause).
 */
import type { Cause } from '@flotilla/apimachinery';

export const Reason = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  TypeInvalid: 'FieldValueTypeInvalid',
  Duplicate: 'FieldValueDuplicate',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  Forbidden: 'FieldValueForbidden',
} as const;

/** Formats a float the way Go's `%v` does for float64 (shortest digits, exponent form outside [1e-4, 1e6)). */
export function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const e = n.toExponential(); // shortest round-trip digits, e.g. "1.5e+6"
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(e);
  if (!m) return String(n);
  const exp = Number(m[3]) * (m[2] === '-' ? -1 : 1);
  if (exp >= -4 && exp < 6) return String(n);
  const digits = m[3].length < 2 ? `0${m[3]}` : m[3];
  return `${m[1]}e${m[2]}${digits}`;
}

/** Formats a JSON number like Kubernetes prints decoded JSON numbers (integers as int64, others as float64). */
export function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  return goFloat(n);
}

/** Renders a bad value the way field.Error.ErrorBody does. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return goNumber(v);
    case 'boolean':
      return String(v);
    case 'bigint':
      return v.toString();
    default:
      try {
        return JSON.stringify(v);
      } catch {
        return String(v);
      }
  }
}

function body(kind: string, value: unknown, detail: string | undefined, withValue: boolean): string {
  let s = withValue ? `${kind}: ${formatValue(value)}` : kind;
  if (detail) s += `: ${detail}`;
  return s;
}

export function required(field: string, detail = ''): Cause {
  return { reason: Reason.Required, field, message: body('Required value', undefined, detail, false) };
}

export function forbidden(field: string, detail = ''): Cause {
  return { reason: Reason.Forbidden, field, message: body('Forbidden', undefined, detail, false) };
}

export function invalid(field: string, value: unknown, detail = ''): Cause {
  return { reason: Reason.Invalid, field, message: body('Invalid value', value, detail, true) };
}

export function typeInvalid(field: string, value: unknown, detail = ''): Cause {
  return { reason: Reason.TypeInvalid, field, message: body('Invalid value', value, detail, true) };
}

export function notSupported(field: string, value: unknown, supported: readonly unknown[]): Cause {
  const list = supported.map((s) => (typeof s === 'string' ? JSON.stringify(s) : JSON.stringify(s))).join(', ');
  return {
    reason: Reason.NotSupported,
    field,
    message: body('Unsupported value', value, supported.length ? `supported values: ${list}` : '', true),
  };
}

export function duplicate(field: string, value: unknown): Cause {
  return { reason: Reason.Duplicate, field, message: body('Duplicate value', value, '', true) };
}

export function tooLong(field: string, max: number): Cause {
  const detail = max >= 0 ? `may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}` : 'value is too long';
  return { reason: Reason.TooLong, field, message: body('Too long', undefined, detail, false) };
}

export function tooMany(field: string, actual: number, max: number): Cause {
  return { reason: Reason.TooMany, field, message: body('Too many', actual, `must have at most ${max} items`, true) };
}

/** `spec.replicas: Invalid value: ...` — the one-line rendering Kubernetes uses in Status messages. */
export function formatCause(c: Cause): string {
  return c.field ? `${c.field}: ${c.message}` : c.message;
}

/** Renders a list of causes like an aggregate field.ErrorList (`[a, b]` when more than one). */
export function formatCauses(causes: Cause[]): string {
  if (causes.length === 1) return formatCause(causes[0]);
  return `[${causes.map(formatCause).join(', ')}]`;
}
