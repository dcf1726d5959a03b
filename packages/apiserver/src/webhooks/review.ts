/**
 * Pure AdmissionReview handling: the request Kubernetes sends (admission.k8s.io/v1 or v1beta1),
 * checking the webhook's answer, applying a mutating webhook's JSONPatch, and the errors and
 * messages Kubernetes gives for a denial or a failed call.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { isPlainObject } from '@flotilla/apimachinery';
import { clone, parseJson } from '../json-int.js';
import { jsonPatch, PatchError } from '@flotilla/k8s-patch';
import { ApiError } from '../errors.js';
import type { Operation, ResourceRef } from './match.js';

export interface ReviewInput {
  uid: string;
  version: 'v1' | 'v1beta1';
  operation: Operation;
  /** the resource (version) the webhook is called for */
  resource: ResourceRef;
  /** the resource of the request as made */
  requestResource: ResourceRef;
  name: string;
  namespace: string;
  userInfo: { username: string; uid?: string; groups: string[] };
  object?: unknown;
  oldObject?: unknown;
  dryRun: boolean;
  options?: unknown;
}

export function buildReview(i: ReviewInput): Record<string, unknown> {
  const r = i.resource;
  const q = i.requestResource;
  const request: Record<string, unknown> = {
    uid: i.uid,
    kind: { group: r.group, version: r.version, kind: r.kind },
    resource: { group: r.group, version: r.version, resource: r.resource },
    ...(r.subresource ? { subResource: r.subresource } : {}),
    requestKind: { group: q.group, version: q.version, kind: q.kind },
    requestResource: { group: q.group, version: q.version, resource: q.resource },
    ...(q.subresource ? { requestSubResource: q.subresource } : {}),
    ...(i.name ? { name: i.name } : {}),
    ...(i.namespace ? { namespace: i.namespace } : {}),
    operation: i.operation,
    userInfo: { username: i.userInfo.username, ...(i.userInfo.uid ? { uid: i.userInfo.uid } : {}), groups: i.userInfo.groups },
    object: i.object ?? null,
    oldObject: i.oldObject ?? null,
    dryRun: i.dryRun,
    options: i.options ?? null,
  };
  return { kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${i.version}`, request };
}

/** What a webhook answered, checked. */
export interface ReviewResult {
  allowed: boolean;
  /** JSONPatch operations (mutating webhooks) */
  patch?: unknown[];
  warnings: string[];
  status?: { code?: number; message?: string; reason?: string; details?: unknown };
}

/** Thrown for an answer that is not a valid AdmissionReview (a call failure, subject to failurePolicy). */
export class InvalidResponse extends Error {}

export function parseReview(text: string, version: 'v1' | 'v1beta1', uid: string, mutating: boolean): ReviewResult {
  let body: any;
  try {
    body = parseJson(text);
  } catch (e) {
    throw new InvalidResponse(`received invalid webhook response: ${(e as Error).message}`);
  }
  if (!isPlainObject(body)) throw new InvalidResponse('received invalid webhook response: expected a JSON object');
  if (version === 'v1' && (body.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview'))
    throw new InvalidResponse(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${String(body.apiVersion ?? '')}, Kind=${String(body.kind ?? '')}`);
  const r = body.response;
  if (!isPlainObject(r)) throw new InvalidResponse('webhook response was absent');
  if (version === 'v1' && r.uid !== uid) throw new InvalidResponse(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(r.uid ?? '')}`);
  if (typeof r.allowed !== 'boolean') throw new InvalidResponse('received invalid webhook response: response.allowed must be a boolean');
  const warnings = Array.isArray(r.warnings) ? r.warnings.filter((w: unknown) => typeof w === 'string').map(sanitizeWarning) : [];
  const out: ReviewResult = { allowed: r.allowed, warnings };
  if (isPlainObject(r.status)) out.status = r.status as ReviewResult['status'];
  if (r.patch !== undefined && r.patch !== null && r.patch !== '') {
    if (!mutating) throw new InvalidResponse('validating webhook may not return response.patch');
    if (version === 'v1' && r.patchType !== 'JSONPatch')
      throw new InvalidResponse(r.patchType ? `webhook returned invalid response.patchType of ${JSON.stringify(r.patchType)}` : 'webhook returned response.patch but not response.patchType');
    if (typeof r.patch !== 'string') throw new InvalidResponse('response.patch must be a base64-encoded string');
    let ops: unknown;
    try {
      ops = parseJson(Buffer.from(r.patch, 'base64').toString('utf8'));
    } catch (e) {
      throw new InvalidResponse(`response.patch is not a base64-encoded JSON patch: ${(e as Error).message}`);
    }
    if (!Array.isArray(ops)) throw new InvalidResponse('response.patch is not a JSON patch (an array of operations)');
    out.patch = ops;
  }
  return out;
}

/** Warnings go into HTTP headers: one line of printable text, at most 4 KiB. */
function sanitizeWarning(w: string): string {
  // eslint-disable-next-line no-control-regex
  const s = w.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return s.length > 4096 ? `${s.slice(0, 4093)}...` : s;
}

/** Applies a mutating webhook's patch to a copy of the object; errors are call failures. */
export function applyPatch(obj: KubeObject, patch: unknown[]): KubeObject {
  try {
    const out = jsonPatch(clone(obj), patch);
    if (!isPlainObject(out)) throw new InvalidResponse('the patched object is not a JSON object');
    return out as KubeObject;
  } catch (e) {
    if (e instanceof PatchError) throw new InvalidResponse(`JSON patch from the webhook could not be applied: ${e.message}`);
    throw e;
  }
}

/** The error a denial becomes (Kubernetes' ToStatusErr): the webhook's status, its message prefixed. */
export function denied(webhook: string, status: ReviewResult['status']): ApiError {
  const s = status ?? {};
  const by = `admission webhook ${JSON.stringify(webhook)} denied the request`;
  const code = typeof s.code === 'number' && s.code >= 400 && s.code < 600 ? s.code : 400;
  const message = s.message ? `${by}: ${s.message}` : s.reason ? `${by}: ${s.reason}` : `${by} without explanation`;
  return new ApiError(code, typeof s.reason === 'string' ? s.reason : '', message, isPlainObject(s.details) ? (s.details as any) : undefined);
}

/** The error a failed call becomes with failurePolicy Fail. */
export function callFailed(webhook: string, detail: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: failed calling webhook ${JSON.stringify(webhook)}: ${detail}`);
}

/** The object a CONNECT review carries: PodExecOptions, PodAttachOptions or PodPortForwardOptions from the query. */
export function connectOptions(sub: string, q: URLSearchParams): Record<string, unknown> {
  const bool = (k: string) => ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(q.get(k) ?? '');
  if (sub === 'portforward')
    return { kind: 'PodPortForwardOptions', apiVersion: 'v1', ports: q.getAll('ports').flatMap((x) => x.split(',')).filter(Boolean).map(Number) };
  const o: Record<string, unknown> = { kind: sub === 'exec' ? 'PodExecOptions' : 'PodAttachOptions', apiVersion: 'v1', stdin: bool('stdin'), stdout: bool('stdout'), stderr: bool('stderr'), tty: bool('tty') };
  if (q.get('container')) o.container = q.get('container');
  if (sub === 'exec') o.command = q.getAll('command');
  return o;
}
