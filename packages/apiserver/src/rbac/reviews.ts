/**
 * The access review APIs, answered truthfully by the RBAC authorizer:
 * SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview (authorization.k8s.io),
 * SelfSubjectRulesReview (`kubectl auth can-i --list`), and SelfSubjectReview
 * (authentication.k8s.io, `kubectl auth whoami`).
 */
import { isPlainObject, type KubeObject } from '@flotilla/apimachinery';
import { ApiError, badRequest } from '../errors.js';
import type { RbacAuthorizer, Subject } from './authorizer.js';
import type { Attributes, PolicyRule } from './rules.js';

function invalidReview(kind: string, field: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `${kind}.authorization.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'authorization.k8s.io',
    kind,
    causes: [{ reason: 'FieldValueInvalid', message, field }],
  });
}

function attributesOf(kind: string, spec: any): Attributes {
  const ra = spec?.resourceAttributes;
  const nra = spec?.nonResourceAttributes;
  if (ra && nra) throw invalidReview(kind, 'spec.nonResourceAttributes', `Invalid value: "${nra.path ?? ''}": cannot be specified in combination with resourceAttributes`);
  if (!ra && !nra) throw invalidReview(kind, 'spec.resourceAttributes', 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified');
  if (nra) return { resourceRequest: false, verb: String(nra.verb ?? ''), path: String(nra.path ?? '') };
  return {
    resourceRequest: true,
    verb: String(ra.verb ?? ''),
    apiGroup: String(ra.group ?? ''),
    apiVersion: String(ra.version ?? ''),
    resource: String(ra.resource ?? ''),
    subresource: ra.subresource ? String(ra.subresource) : undefined,
    name: ra.name ? String(ra.name) : undefined,
    namespace: ra.namespace ? String(ra.namespace) : undefined,
  };
}

const userInfo = (u: Subject) => ({ username: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: [...u.groups], ...(u.extra ? { extra: u.extra } : {}) });

/** Answers one review; `ns` is the request's namespace (LocalSubjectAccessReview). */
export function answerReview(authz: RbacAuthorizer, kind: string, apiVersion: string, body: unknown, user: Subject, ns: string): KubeObject {
  if (!isPlainObject(body)) throw badRequest(`a ${kind} object was expected`);
  const b = body as KubeObject;
  const spec = (b.spec ?? {}) as any;
  const out: KubeObject = { ...b, apiVersion, kind, metadata: { ...(isPlainObject(b.metadata) ? b.metadata : {}), creationTimestamp: null } as any };
  if (kind === 'SelfSubjectReview') {
    out.status = { userInfo: userInfo(user) };
    return out;
  }
  if (kind === 'SelfSubjectRulesReview') {
    const namespace = String(spec.namespace ?? '');
    const { rules, errors } = authz.rulesFor(user, namespace);
    const resourceRules: PolicyRule[] = [];
    const nonResourceRules: PolicyRule[] = [];
    for (const r of rules) {
      if (r.resources?.length) resourceRules.push({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources, ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) });
      if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
    }
    out.status = { resourceRules, nonResourceRules, incomplete: errors.length > 0, ...(errors.length ? { evaluationError: errors.join(', ') } : {}) };
    return out;
  }
  let subject: Subject;
  if (kind === 'SubjectAccessReview' || kind === 'LocalSubjectAccessReview') {
    const groups = Array.isArray(spec.groups) ? spec.groups.map(String) : [];
    if (!spec.user && groups.length === 0) throw invalidReview(kind, 'spec.user', 'Invalid value: "": at least one of user or group must be specified');
    subject = { username: String(spec.user ?? ''), groups, ...(spec.uid ? { uid: String(spec.uid) } : {}), ...(isPlainObject(spec.extra) ? { extra: spec.extra } : {}) };
  } else subject = user;
  const a = attributesOf(kind, spec);
  if (kind === 'LocalSubjectAccessReview') {
    if (!a.resourceRequest) throw invalidReview(kind, 'spec.nonResourceAttributes', 'Invalid value: "": disallowed on this kind of request');
    if (a.namespace && a.namespace !== ns) throw invalidReview(kind, 'spec.resourceAttributes.namespace', `Invalid value: "${a.namespace}": must match metadata.namespace`);
    a.namespace = ns;
    (out.spec as any).resourceAttributes = { ...spec.resourceAttributes, namespace: ns };
    (out.metadata as any).namespace = ns;
  }
  const d = authz.authorize(subject, a);
  out.status = { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) };
  return out;
}
