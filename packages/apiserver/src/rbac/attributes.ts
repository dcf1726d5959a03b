/**
 * The request → authorization attributes mapping Kubernetes uses (RequestInfoFactory), and the
 * Forbidden answer it gives (pure).
 */
import { ApiError } from '../errors.js';
import { parseUrl } from '../request.js';
import type { Attributes } from './rules.js';

/** The subresources of pods that upgrade the connection; Kubernetes authorizes `create` on them. */
const CONNECT = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** The name a field selector pins (`metadata.name=x` or `metadata.name==x` among its terms). */
function selectedName(fieldSelector: string | null | undefined): string | undefined {
  if (!fieldSelector) return undefined;
  for (const term of fieldSelector.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    if (m && m[1] && !m[1].includes('/') && m[1] !== '.' && m[1] !== '..' && !m[1].includes('%')) return m[1];
  }
  return undefined;
}

/**
 * Attributes of an HTTP request. `path` is the URL path without a trailing slash; of the query,
 * `watch` and (for lists and watches, as Kubernetes does) a `fieldSelector` naming one object.
 */
export function requestAttributes(method: string, path: string, query: URLSearchParams | null): Attributes {
  const watchParam = query?.get('watch') ?? null;
  const m = method.toUpperCase();
  // the router's own parse of the same raw path (split while encoded, each segment decoded once),
  // so authorization and routing cannot read a path two ways
  const parts = parseUrl(path).segments;
  let rest: string[] | undefined;
  let apiGroup = '';
  let apiVersion = '';
  if (parts[0] === 'api' && parts.length >= 3) {
    apiVersion = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiGroup = parts[1];
    apiVersion = parts[2];
    rest = parts.slice(3);
  }
  if (!rest) return { resourceRequest: false, path: path || '/', verb: m === 'HEAD' ? 'get' : m.toLowerCase() };
  let decoded = rest;
  let verb = '';
  let watchPrefix = false;
  if (decoded[0] === 'watch') {
    watchPrefix = true;
    decoded = decoded.slice(1);
  }
  let namespace: string | undefined;
  if (decoded[0] === 'namespaces') {
    if (decoded.length > 1) {
      namespace = decoded[1];
      // /namespaces/{name} and /namespaces/{name}/{status,finalize}: the namespace object itself
      if (decoded.length > 2 && !(decoded.length === 3 && (decoded[2] === 'status' || decoded[2] === 'finalize'))) decoded = decoded.slice(2);
    }
  }
  const resource = decoded[0] ?? '';
  let name: string | undefined = decoded[1];
  const subresource = decoded[2];
  const isWatch = watchParam === 'true' || watchParam === '1';
  switch (m) {
    case 'GET':
    case 'HEAD':
      verb = watchPrefix ? 'watch' : name === undefined ? (isWatch ? 'watch' : 'list') : 'get';
      if (name !== undefined && isWatch) verb = 'watch';
      // a list or watch of one object by field selector is authorized with that object's name
      if (name === undefined) name = selectedName(query?.get('fieldSelector'));
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name === undefined ? 'deletecollection' : 'delete';
      break;
    default:
      verb = m.toLowerCase();
  }
  if (resource === 'pods' && apiGroup === '' && subresource && CONNECT.has(subresource)) verb = 'create';
  return { resourceRequest: true, verb, apiGroup, apiVersion, namespace, resource, name, subresource };
}

/** The text Kubernetes' forbiddenMessage builds. */
export function forbiddenText(username: string, a: Attributes): string {
  if (!a.resourceRequest) return `User ${JSON.stringify(username)} cannot ${a.verb} path ${JSON.stringify(a.path ?? '')}`;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? '');
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(username)} cannot ${a.verb} resource ${JSON.stringify(res)} in API group ${JSON.stringify(a.apiGroup ?? '')} ${where}`;
}

/** 403 Forbidden as apierrors.NewForbidden(groupResource, name, msg) renders it. */
export function forbiddenError(group: string, resource: string, name: string | undefined, msg: string): ApiError {
  if (!resource) return new ApiError(403, 'Forbidden', `forbidden: ${msg}`, {});
  const gr = group ? `${resource}.${group}` : resource;
  const message = name ? `${gr} ${JSON.stringify(name)} is forbidden: ${msg}` : `${gr} is forbidden: ${msg}`;
  return new ApiError(403, 'Forbidden', message, { ...(name ? { name } : {}), group, kind: resource });
}

/** The Forbidden answer for a request the authorizer refused (`reason`: RBAC resolution errors). */
export function forbiddenFor(username: string, a: Attributes, reason = ''): ApiError {
  const text = forbiddenText(username, a) + (reason ? `: ${reason}` : '');
  return a.resourceRequest ? forbiddenError(a.apiGroup ?? '', a.resource ?? '', a.name, text) : forbiddenError('', '', undefined, text);
}
