/**
 * TokenRequest (`POST …/serviceaccounts/{name}/token`, what `kubectl create token` sends): a
 * ServiceAccount token with the requested audiences and lifetime, optionally bound to a Pod,
 * Secret or Node, validated as Kubernetes does:
 *  - spec.expirationSeconds defaults to 3600; less than 10 minutes or more than 2^32 seconds is
 *    422 Invalid;
 *  - spec.boundObjectRef must name an existing v1 Pod, Secret or Node in the request's namespace
 *    (Nodes: cluster-wide), with a matching uid when one is given; its name and uid are written
 *    into the token's `kubernetes.io` claims and into the answer's boundObjectRef; a Pod must run
 *    as this ServiceAccount. On use, auth.ts checks that the object still exists with that uid.
 */
import { isPlainObject, type KubeObject } from '@flotilla/apimachinery';
import { SA_ISSUER, type Authenticator } from './auth.js';
import { ApiError, invalid, notFound } from './errors.js';
import { nowIso, type Objects } from './objects.js';
import type { Registry, Served } from './registry.js';

export const DEFAULT_TOKEN_SECONDS = 3600;
const MIN_TOKEN_SECONDS = 600;
const MAX_TOKEN_SECONDS = 2 ** 32;
const GROUP = 'authentication.k8s.io';

/** Kinds a token can be bound to: plural and claim name. */
const BINDABLE: Record<string, { plural: string; claim: string }> = {
  Pod: { plural: 'pods', claim: 'pod' },
  Secret: { plural: 'secrets', claim: 'secret' },
  Node: { plural: 'nodes', claim: 'node' },
};

interface Deps {
  objects: Objects;
  reg: Registry;
  auth: Authenticator;
}

/** Answers a TokenRequest for ServiceAccount `name` in `ns` (`sa` is the serviceaccounts resource). */
export function requestToken(d: Deps, sa: Served, ns: string, name: string, body: unknown): KubeObject {
  const account = d.objects.get(sa, ns, name).obj;
  const spec = (isPlainObject(body) && isPlainObject((body as KubeObject).spec) ? (body as KubeObject).spec : {}) as Record<string, any>;
  const exp = spec.expirationSeconds === undefined || spec.expirationSeconds === null ? DEFAULT_TOKEN_SECONDS : Number(spec.expirationSeconds);
  const bad = (message: string) =>
    invalid(GROUP, 'TokenRequest', name, [{ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${spec.expirationSeconds}: ${message}` }]);
  if (!Number.isInteger(exp)) throw bad('must be a whole number of seconds');
  if (exp < MIN_TOKEN_SECONDS) throw bad('may not specify a duration less than 10 minutes');
  if (exp > MAX_TOKEN_SECONDS) throw bad('may not specify a duration larger than 2^32 seconds');
  const audiences: string[] | undefined = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : undefined;

  let boundObjectRef: Record<string, string> | null = null;
  const claims: Record<string, { name: string; uid: string }> = {};
  if (isPlainObject(spec.boundObjectRef)) {
    const ref = spec.boundObjectRef as Record<string, string>;
    const kind = BINDABLE[ref.kind ?? ''];
    if (!kind || (ref.apiVersion ?? 'v1') !== 'v1')
      throw new ApiError(400, 'BadRequest', `cannot bind a token to an object of kind "${ref.kind ?? ''}" (apiVersion "${ref.apiVersion ?? ''}"): spec.boundObjectRef must name a v1 Pod, Secret or Node`);
    if (!ref.name) throw invalid(GROUP, 'TokenRequest', name, [{ reason: 'FieldValueRequired', field: 'spec.boundObjectRef.name', message: 'Required value' }]);
    const served = d.reg.find('', 'v1', kind.plural);
    if (!served) throw notFound('', kind.plural, ref.name);
    const target = d.objects.get(served, kind.plural === 'nodes' ? '' : ns, ref.name).obj;
    const uid = target.metadata?.uid ?? '';
    if (kind.plural === 'pods' && ((target.spec as any)?.serviceAccountName || (target.spec as any)?.serviceAccount || 'default') !== name)
      throw new ApiError(400, 'BadRequest', `cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
    if (ref.uid && ref.uid !== uid)
      throw new ApiError(
        409,
        'Conflict',
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record (${uid}). The object might have been deleted and then recreated`,
      );
    boundObjectRef = { kind: ref.kind, apiVersion: 'v1', name: ref.name, uid };
    claims[kind.claim] = { name: ref.name, uid };
  }

  const { token, expiresAt } = d.auth.issueSaToken(ns, name, account.metadata!.uid!, exp, audiences, claims);
  return {
    kind: 'TokenRequest',
    apiVersion: `${GROUP}/v1`,
    metadata: { name, namespace: ns, creationTimestamp: nowIso() },
    spec: { audiences: audiences ?? [SA_ISSUER], expirationSeconds: exp, boundObjectRef },
    status: { token, expirationTimestamp: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  };
}
