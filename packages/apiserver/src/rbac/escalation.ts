/**
 * Escalation prevention, as Kubernetes' RBAC storage does it: writing a Role/ClusterRole needs
 * every permission it grants (or `escalate` on it); writing a binding needs the permissions of the
 * role it references (or `bind` on that role). Checked on the object about to be stored.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { forbiddenError } from './attributes.js';
import { CLUSTER_ROLES, MASTERS, RBAC_GROUP, ROLES, type RbacAuthorizer, type Subject } from './authorizer.js';
import { compactString, goQuoteList, rulesOf, uncovered, type PolicyRule } from './rules.js';
import type { Store } from '../store.js';

function notHeld(u: Subject, missing: PolicyRule[], errors: string[]): string {
  let msg = `user ${JSON.stringify(u.username)} (groups=${goQuoteList(u.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.map(compactString).join('\n')}`;
  if (errors.length) msg += `; resolution errors: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}`;
  return msg;
}

/**
 * Throws 403 when `user` may not store `obj` (kind Role, ClusterRole, RoleBinding or
 * ClusterRoleBinding in `ns`); anything else passes.
 */
export function checkEscalation(authz: RbacAuthorizer, store: Store, user: Subject, kind: string, plural: string, ns: string, obj: KubeObject): void {
  if (user.groups.includes(MASTERS)) return;
  const name = obj.metadata?.name ?? '';
  const scope = kind === 'Role' || kind === 'RoleBinding' ? ns : '';
  const allowedTo = (verb: string, resource: string, resourceName: string) =>
    authz.authorize(user, { resourceRequest: true, verb, apiGroup: RBAC_GROUP, apiVersion: 'v1', resource, name: resourceName, namespace: scope || undefined }).allowed;
  if (kind === 'Role' || kind === 'ClusterRole') {
    if (allowedTo('escalate', plural, name)) return;
    const held = authz.rulesFor(user, scope);
    if (kind === 'ClusterRole' && (obj as any).aggregationRule) {
      const all = uncovered(held.rules, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]);
      if (all.length) throw forbiddenError(RBAC_GROUP, plural, name, 'must have cluster-admin privileges to use the aggregationRule');
      return;
    }
    const missing = uncovered(held.rules, rulesOf(obj));
    if (missing.length) throw forbiddenError(RBAC_GROUP, plural, name, notHeld(user, missing, held.errors));
    return;
  }
  if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
    const ref = ((obj as any).roleRef ?? {}) as { kind?: string; name?: string };
    const refName = String(ref.name ?? '');
    const refPlural = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    if (allowedTo('bind', refPlural, refName)) return;
    const role = ref.kind === 'Role' ? store.get(ROLES, ns, refName)?.obj : store.get(CLUSTER_ROLES, '', refName)?.obj;
    if (!role)
      throw forbiddenError(RBAC_GROUP, plural, name, `${String(ref.kind ?? 'role').toLowerCase()}.rbac.authorization.k8s.io ${JSON.stringify(refName)} not found and user ${JSON.stringify(user.username)} may not bind it`);
    const held = authz.rulesFor(user, scope);
    const missing = uncovered(held.rules, rulesOf(role));
    if (missing.length) throw forbiddenError(RBAC_GROUP, plural, name, notHeld(user, missing, held.errors));
  }
}
