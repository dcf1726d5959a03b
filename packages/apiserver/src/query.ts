/**
 * Query parameters, parsed and validated in one place before a verb runs: typed values or a 400/422
 * Status naming the parameter, never a silently ignored or coerced value. Booleans read as
 * Kubernetes (Go) reads them; integers must be whole decimal numbers.
 */
import { ApiError, badRequest } from './errors.js';
import type { Served } from './registry.js';

const TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const FALSE = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

/** A boolean parameter; absent → undefined; anything but Go's boolean spellings → 400. */
export function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v) || v === '') return false;
  throw badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be a boolean (true or false)`);
}

/** An integer parameter (int64 range); absent → undefined; "abc", "1.5", "1e3" → 400. */
export function intParam(q: URLSearchParams, name: string, min?: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^[+-]?\d{1,19}$/.test(v) || !Number.isSafeInteger(Number(v)))
    throw badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be an integer`);
  const n = Number(v);
  if (min !== undefined && n < min) throw badRequest(`${name}: Invalid value: ${n}: must be greater than or equal to ${min}`);
  return n;
}

/** A resourceVersion: empty, or the decimal number this server hands out. */
export function rvParam(q: URLSearchParams, name = 'resourceVersion'): string {
  const v = q.get(name) ?? '';
  if (v !== '' && !/^\d{1,16}$/.test(v)) throw badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be a non-negative integer`);
  return v;
}

export interface ListQuery {
  watch: boolean;
  limit: number;
  continue?: string;
  resourceVersion: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  timeoutSeconds?: number;
}

/** The options of a list or watch (GET on a collection, deletecollection). */
export function listQuery(q: URLSearchParams, watchPrefix: boolean): ListQuery {
  const watch = watchPrefix || !!boolParam(q, 'watch');
  // a negative limit is no limit, as Kubernetes' storage reads it (it pages only when limit > 0)
  const limit = Math.max(0, intParam(q, 'limit') ?? 0);
  const resourceVersion = rvParam(q);
  const cont = q.get('continue') || undefined;
  const timeoutSeconds = intParam(q, 'timeoutSeconds', 0);
  boolParam(q, 'allowWatchBookmarks');
  const sendInitial = boolParam(q, 'sendInitialEvents');
  const match = q.get('resourceVersionMatch') || undefined;
  const errs: string[] = [];
  if (watch) {
    // a watch takes resourceVersionMatch only with sendInitialEvents, and then only NotOlderThan
    if (sendInitial !== undefined && match !== 'NotOlderThan')
      errs.push(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match ?? '')}: supported values: "NotOlderThan"`);
    else if (sendInitial === undefined && match !== undefined) errs.push('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
  } else if (match !== undefined) {
    if (!resourceVersion) errs.push('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (cont) errs.push('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided');
    if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan", ""`);
    else if (match === 'Exact' && resourceVersion === '0') errs.push('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  }
  if (errs.length)
    throw new ApiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`, {
      group: 'meta.k8s.io',
      kind: 'ListOptions',
      causes: errs.map((e) => ({ reason: e.includes('Unsupported') ? 'FieldValueNotSupported' : 'FieldValueForbidden', message: e.replace(/^resourceVersionMatch: /, ''), field: 'resourceVersionMatch' })),
    });
  if (cont && resourceVersion && !watch) throw badRequest('specifying resource version is not allowed when using continue');
  return { watch, limit, continue: cont, resourceVersion, resourceVersionMatch: match as ListQuery['resourceVersionMatch'], timeoutSeconds };
}

/** A continue token: where the previous page ended, bound to the resource, namespace and resourceVersion it was issued for. */
interface ContinueToken {
  /** the last key served ("ns/name") */
  k: string;
  /** the resourceVersion of the first page */
  rv: string;
  /** the resource (Served.key) and namespace ("" for all) it was issued for */
  r: string;
  ns: string;
}

export function encodeContinue(s: Served, ns: string | undefined, lastKey: string, rv: string): string {
  const t: ContinueToken = { k: lastKey, rv, r: s.key, ns: ns ?? '' };
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

/** Decodes and checks a continue token against the request and the store's current resourceVersion. */
export function decodeContinue(token: string, s: Served, ns: string | undefined, currentRv: number): { startAfter: string; rv: string } {
  const invalid = (why: string) => new ApiError(400, 'BadRequest', `continue key is not valid: ${why}`);
  let t: Partial<ContinueToken>;
  try {
    t = JSON.parse(Buffer.from(token, 'base64url').toString());
  } catch {
    throw invalid('the continue token could not be decoded');
  }
  if (!t || typeof t !== 'object' || typeof t.k !== 'string' || typeof t.rv !== 'string' || typeof t.r !== 'string' || typeof t.ns !== 'string')
    throw invalid('the continue token could not be decoded');
  if (t.r !== s.key || t.ns !== (ns ?? '')) throw invalid(`the continue token was issued for another resource or namespace, not ${s.info.plural}${ns ? ` in ${ns}` : ''}`);
  if (!/^\d{1,16}$/.test(t.rv) || Number(t.rv) > currentRv) throw invalid(`the resourceVersion in the continue token (${JSON.stringify(t.rv)}) is not one this server issued`);
  return { startAfter: t.k, rv: t.rv };
}
