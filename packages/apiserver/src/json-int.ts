/**
 * Exact integers beyond 2^53 (issue 18 item 8). JSON.parse rounds 9007199254740993 to …992 and
 * 2^64 to 18446744073709552000; Kubernetes keeps int64 fields exactly, and a custom resource's
 * integers as written. So:
 *
 * - bodies and stored rows are parsed with `parseJson`: an integer literal outside the safe range
 *   becomes a JS `bigint` (every other number stays a `number`). The fast path — no run of 16
 *   digits anywhere in the text — is plain JSON.parse;
 * - a `bigint` serialises through `BigInt.prototype.toJSON` (installed here) as a marker string
 *   carrying a per-process nonce, which `stringify` turns back into the bare digits: the stored
 *   row and every response carry the integer exactly. Text without the marker costs one
 *   `includes` scan;
 * - `clone` is JSON round trip that keeps `bigint`s (apimachinery's clone would leave markers).
 *
 * Validation sees a `bigint`: type-check.ts range-checks int32/int64 fields of built-in kinds, and
 * a CRD schema's `integer` accepts it.
 */
import { randomBytes } from 'node:crypto';

const NONCE = randomBytes(6).toString('hex');
/** What a bigint's toJSON returns: never produced by a client, who does not know the nonce. */
const MARK = `\u0000n${NONCE}:`;
/** The marker as JSON.stringify writes it inside a string literal. */
const MARK_JSON = `"\\u0000n${NONCE}:`;
const MARK_RE = new RegExp(`"\\\\u0000n${NONCE}:(-?\\d+)"`, 'g');
/** The marker inside a message that quoted the value with JSON.stringify (validation errors): as Kubernetes prints an int64, bare. */
const NESTED_RE = new RegExp(`\\\\"\\\\\\\\u0000n${NONCE}:(-?\\d+)\\\\"`, 'g');
const MARK_ANY = `u0000n${NONCE}:`;

declare global {
  interface BigInt {
    toJSON(): string;
  }
}
if (!Object.prototype.hasOwnProperty.call(BigInt.prototype, 'toJSON')) {
  Object.defineProperty(BigInt.prototype, 'toJSON', {
    value: function (this: bigint) {
      return MARK + this.toString();
    },
    writable: true,
    configurable: true,
  });
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = -SAFE_MAX;

/** A string token (skipped) or an integer literal of 16+ digits that is a whole number token. */
const TOKEN_RE = /"[^"\\]*(?:\\.[^"\\]*)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;

const reviver = (_k: string, v: unknown): unknown => (typeof v === 'string' && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v);

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Does the text hold a run of 16 digits (a number JSON.parse might not keep exactly)? Looks at
 * every 16th character only: such a run covers one of them (~3× faster than /\d{16}/).
 */
function maybeBig(t: string): boolean {
  for (let i = 15; i < t.length; i += 16) {
    if (!isDigit(t.charCodeAt(i))) continue;
    let a = i;
    let b = i;
    while (a > 0 && isDigit(t.charCodeAt(a - 1))) a--;
    while (b + 1 < t.length && isDigit(t.charCodeAt(b + 1))) b++;
    if (b - a + 1 >= 16) return true;
    i = b;
  }
  return false;
}

/** JSON.parse that keeps integers outside ±(2^53-1) exactly, as bigint. Throws JSON.parse's errors. */
export function parseJson(text: string): any {
  if (!maybeBig(text)) return JSON.parse(text);
  let found = false;
  const marked = text.replace(TOKEN_RE, (tok) => {
    if (tok.charCodeAt(0) === 34 /* " */) return tok;
    const n = BigInt(tok);
    if (n <= SAFE_MAX && n >= SAFE_MIN) return tok;
    found = true;
    return `${MARK_JSON}${tok}"`;
  });
  return found ? JSON.parse(marked, reviver) : JSON.parse(text);
}

/** JSON.stringify that writes bigints as bare integers. */
export function stringify(v: unknown): string {
  const s = JSON.stringify(v);
  return s !== undefined && s.includes(MARK_ANY) ? s.replace(MARK_RE, '$1').replace(NESTED_RE, '$1') : s;
}

/** A deep copy through JSON that keeps bigints. */
export function clone<T>(v: T): T {
  if (v === undefined) return v;
  const s = JSON.stringify(v);
  return (s.includes(MARK_JSON) ? JSON.parse(s, reviver) : JSON.parse(s)) as T;
}

/** Values a YAML parse with intAsBigInt gave: bigints within the safe range become numbers again (no recursion). */
export function unbigSafe(root: unknown): unknown {
  const fix = (v: unknown): unknown => (typeof v === 'bigint' && v <= SAFE_MAX && v >= SAFE_MIN ? Number(v) : v);
  root = fix(root);
  const todo: unknown[] = [root];
  while (todo.length) {
    const v = todo.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        v[i] = fix(v[i]);
        todo.push(v[i]);
      }
    } else {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        o[k] = fix(o[k]);
        todo.push(o[k]);
      }
    }
  }
  return root;
}

/** Whether a YAML text needs the bigint-keeping parse. */
export const yamlMaybeBig = maybeBig;
