/**
 * What the API server does with an authenticated request before routing it, as Kubernetes'
 * filter chain does: impersonation (`Impersonate-User`, `-Group`, `-Uid`, `-Extra-*`, each
 * checked with the `impersonate` verb), then authorization of the request's attributes.
 */
import type { ParsedUrl } from '../request.js';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../errors.js';
import { requestAttributes, forbiddenFor } from './attributes.js';
import { MASTERS, type RbacAuthorizer, type Subject } from './authorizer.js';
import type { Attributes } from './rules.js';

const SA_PREFIX = 'system:serviceaccount:';

function headerList(h: IncomingHttpHeaders, name: string): string[] {
  const v = h[name];
  if (v === undefined) return [];
  // several Impersonate-Group headers arrive joined with ", " by Node
  return (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** The user a request acts as, after impersonation; throws 400/403 as Kubernetes does. */
export function impersonate(authz: RbacAuthorizer, h: IncomingHttpHeaders, user: Subject, log?: (m: string) => void): Subject {
  const asUser = typeof h['impersonate-user'] === 'string' ? (h['impersonate-user'] as string) : undefined;
  const groups = headerList(h, 'impersonate-group');
  const uid = typeof h['impersonate-uid'] === 'string' ? (h['impersonate-uid'] as string) : undefined;
  let extra: Record<string, string[]> | undefined;
  for (const k of Object.keys(h)) {
    if (!k.startsWith('impersonate-extra-')) continue;
    const key = decodeURIComponent(k.slice('impersonate-extra-'.length));
    (extra ??= {})[key] = headerList(h, k);
  }
  if (asUser === undefined && groups.length === 0 && uid === undefined && !extra) return user;
  if (asUser === undefined) {
    const what = [...groups.map((g) => `{Group ${g}}`), ...(uid !== undefined ? [`{UID ${uid}}`] : []), ...Object.keys(extra ?? {}).map((k) => `{Extra ${k}}`)];
    throw new ApiError(400, 'BadRequest', `requested [${what.join(' ')}] without impersonating a user`);
  }
  const check = (a: Attributes) => {
    const d = authz.authorize(user, a);
    if (!d.allowed) {
      throw forbiddenFor(user.username, a, d.reason);
    }
  };
  const imp = (resource: string, name: string, o: { group?: string; namespace?: string; subresource?: string } = {}) =>
    check({ resourceRequest: true, verb: 'impersonate', apiGroup: o.group ?? '', apiVersion: 'v1', resource, subresource: o.subresource, name, namespace: o.namespace });
  const outGroups = [...groups];
  if (asUser.startsWith(SA_PREFIX)) {
    const [ns, name] = asUser.slice(SA_PREFIX.length).split(':');
    if (!ns || !name) throw new ApiError(400, 'BadRequest', `the ServiceAccount user name ${JSON.stringify(asUser)} is not of the form system:serviceaccount:<namespace>:<name>`);
    imp('serviceaccounts', name, { namespace: ns });
    if (groups.length === 0) outGroups.push('system:serviceaccounts', `system:serviceaccounts:${ns}`);
  } else imp('users', asUser);
  for (const g of groups) imp('groups', g);
  if (uid !== undefined) imp('uids', uid, { group: 'authentication.k8s.io' });
  for (const [k, vs] of Object.entries(extra ?? {})) for (const v of vs) imp('userextras', v, { group: 'authentication.k8s.io', subresource: k });
  if (asUser !== 'system:anonymous' && !outGroups.includes('system:authenticated')) outGroups.push('system:authenticated');
  return { username: asUser, groups: outGroups, ...(uid !== undefined ? { uid } : {}), ...(extra ? { extra } : {}) };
}

/**
 * Impersonation, then authorization of the request (method, URL path, `watch` and `fieldSelector`).
 * Returns the user the request runs as; throws the Forbidden Status when it is refused.
 */
export function authorizeRequest(
  authz: RbacAuthorizer,
  req: { method?: string; headers: IncomingHttpHeaders },
  url: ParsedUrl,
  authenticated: Subject,
  log?: (m: string) => void,
): Subject {
  const user = impersonate(authz, req.headers, authenticated, log);
  // the privileged group needs no attributes at all (the fast path for the admin's requests)
  if (user.groups.includes(MASTERS)) return user;
  const a = requestAttributes(req.method ?? 'GET', url);
  const d = authz.authorize(user, a);
  if (!d.allowed) {
    if (log && (user.username.startsWith('system:kube-') || user.username.startsWith('system:node:')))
      log(`RBAC: ${user.username} refused: ${a.verb} ${a.resourceRequest ? `${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.apiGroup ? `.${a.apiGroup}` : ''}` : a.path}${a.namespace ? ` in ${a.namespace}` : ''}`);
    throw forbiddenFor(user.username, a, d.reason);
  }
  return user;
}
