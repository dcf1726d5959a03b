/**
 * The request → authorization attributes mapping Kubernetes uses (RequestInfoFactory), and the
 * Forbidden answer it gives (pure).
 */
import { ApiError } from '../errors.js';
import { parseUrl, type ParsedUrl } from '../request.js';
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
 * Attributes of an HTTP request, from the router's own parse of it (`parseUrl`: the raw path split
 * while encoded, each segment decoded once, and the resource walked once — `url.resource`), so
 * authorization and routing cannot read a path two ways. Of the query, `watch` and (for lists and
 * watches, as Kubernetes does) a `fieldSelector` naming one object. A string is parsed here (tests).
 */
export function requestAttributes(method: string, url: ParsedUrl | string, query?: URLSearchParams | null): Attributes {
  const u = typeof url === 'string' ? parseUrl(url) : url;
  const q = query === undefined ? u.query : query;
  const watchParam = q?.get('watch') ?? null;
  const m = method.toUpperCase();
  const r = u.resource;
  if (!r) return { resourceRequest: false, path: u.rawPath || '/', verb: m === 'HEAD' ? 'get' : m.toLowerCase() };
  const apiGroup = r.group;
  const apiVersion = r.version;
  const watchPrefix = r.watchPrefix;
  // /namespaces/{name}[/{status,finalize}] is the Namespace object itself, and in that namespace
  const namespace = r.namespace ?? (r.plural === 'namespaces' && r.group === '' ? r.name : undefined);
  const resource = r.plural;
  let name: string | undefined = r.name;
  const subresource = r.sub;
  let verb = '';
  const isWatch = watchParam === 'true' || watchParam === '1';
  switch (m) {
    case 'GET':
    case 'HEAD':
      verb = watchPrefix ? 'watch' : name === undefined ? (isWatch ? 'watch' : 'list') : 'get';
      if (name !== undefined && isWatch) verb = 'watch';
      // a list or watch of one object by field selector is authorized with that object's name
      if (name === undefined) name = selectedName(q?.get('fieldSelector'));
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
