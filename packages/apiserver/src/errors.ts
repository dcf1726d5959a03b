/** Kubernetes `Status` errors with the right HTTP code and reason. */
import type { Cause } from '@flotilla/apimachinery';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const gr = (group: string, plural: string) => (group ? `${plural}.${group}` : plural);

export const notFound = (group: string, plural: string, name: string) =>
  new ApiError(404, 'NotFound', `${gr(group, plural)} "${name}" not found`, { name, group, kind: plural });
export const alreadyExists = (group: string, plural: string, name: string) =>
  new ApiError(409, 'AlreadyExists', `${gr(group, plural)} "${name}" already exists`, { name, group, kind: plural });
export const conflict = (group: string, plural: string, name: string, msg: string) =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${gr(group, plural)} "${name}": ${msg}`, { name, group, kind: plural });
export const badRequest = (msg: string) => new ApiError(400, 'BadRequest', msg);
export const methodNotAllowed = (msg: string) => new ApiError(405, 'MethodNotAllowed', msg);
export const unsupportedMediaType = (msg: string) => new ApiError(415, 'UnsupportedMediaType', msg);
export const forbidden = (msg: string, details?: StatusDetails) => new ApiError(403, 'Forbidden', msg, details);
export const tooLarge = (msg: string) => new ApiError(413, 'RequestEntityTooLarge', msg);
export const gone = (msg: string) => new ApiError(410, 'Expired', msg);
export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');
export const internal = (msg: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${msg}`);

/** 422 Invalid, with Kubernetes' message layout: `Kind "name" is invalid: [field: msg, ...]`. */
export function invalid(group: string, kind: string, name: string, causes: Cause[]): ApiError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const body = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${body}`, {
    name,
    group,
    kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  });
}
