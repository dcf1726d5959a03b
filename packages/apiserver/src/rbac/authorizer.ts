/**
 * Kubernetes' RBAC authorizer over the store's Roles, ClusterRoles, RoleBindings and
 * ClusterRoleBindings. Bindings are indexed by subject (user name, group name; a ServiceAccount
 * subject is its user name), and the rules a user holds in a namespace are cached; both are
 * rebuilt lazily after any RBAC object changes (seen through the store's event stream).
 * Members of system:masters are allowed everything, as Kubernetes' privileged group is.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import type { UserInfo } from '../auth.js';
import type { Store, StoreEvent } from '../store.js';
import { rulesOf, ruleAllows, type Attributes, type PolicyRule } from './rules.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const ROLES = `${RBAC_GROUP}/roles`;
export const CLUSTER_ROLES = `${RBAC_GROUP}/clusterroles`;
export const ROLE_BINDINGS = `${RBAC_GROUP}/rolebindings`;
export const CLUSTER_ROLE_BINDINGS = `${RBAC_GROUP}/clusterrolebindings`;
const RBAC_KEYS = new Set([ROLES, CLUSTER_ROLES, ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS]);

export const MASTERS = 'system:masters';

/** An authenticated (or impersonated) user: auth.ts's UserInfo. */
export type Subject = UserInfo;

/** Rules granted by one binding, with the text Kubernetes uses to say which binding allowed a request. */
interface Source {
  by: string;
  rules: PolicyRule[];
}

interface Resolved {
  sources: Source[];
  /** resolution errors (a binding to a missing role) */
  errors: string[];
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

const CACHE_MAX = 4096;

function subjectKeys(b: KubeObject): string[] {
  const ns = b.metadata?.namespace ?? '';
  const out: string[] = [];
  const subjects = (b as any).subjects;
  if (!Array.isArray(subjects)) return out;
  for (const s of subjects) {
    if (!s || typeof s.name !== 'string') continue;
    if (s.kind === 'User') out.push(`u:${s.name}`);
    else if (s.kind === 'Group') out.push(`g:${s.name}`);
    else if (s.kind === 'ServiceAccount') {
      const sns = s.namespace || ns;
      if (sns) out.push(`u:system:serviceaccount:${sns}:${s.name}`);
    }
  }
  return out;
}

function describeSubject(b: KubeObject, u: Subject): string {
  const ns = b.metadata?.namespace ?? '';
  for (const s of ((b as any).subjects ?? []) as any[]) {
    if (s?.kind === 'User' && s.name === u.username) return `User ${JSON.stringify(s.name)}`;
    if (s?.kind === 'Group' && u.groups.includes(s.name)) return `Group ${JSON.stringify(s.name)}`;
    if (s?.kind === 'ServiceAccount' && `system:serviceaccount:${s.namespace || ns}:${s.name}` === u.username) return `ServiceAccount ${JSON.stringify(`${s.name}/${s.namespace || ns}`)}`;
  }
  return '';
}

export class RbacAuthorizer {
  private clusterIdx = new Map<string, KubeObject[]>();
  private nsIdx = new Map<string, Map<string, KubeObject[]>>();
  private indexed = false;
  private cache = new Map<string, Resolved>();
  private unsub: () => void;
  /** bumped on every RBAC change (tests and reviews may read it) */
  generation = 0;

  constructor(private readonly store: Store) {
    this.unsub = store.subscribe((ev: StoreEvent) => {
      if (!RBAC_KEYS.has(ev.res)) return;
      this.generation++;
      this.cache.clear();
      if (ev.res === ROLE_BINDINGS || ev.res === CLUSTER_ROLE_BINDINGS) this.indexed = false;
    });
  }

  close(): void {
    this.unsub();
  }

  private index(): void {
    this.clusterIdx.clear();
    this.nsIdx.clear();
    const add = (m: Map<string, KubeObject[]>, k: string, b: KubeObject) => {
      const l = m.get(k);
      if (l) l.push(b);
      else m.set(k, [b]);
    };
    for (const so of this.store.list(CLUSTER_ROLE_BINDINGS)) for (const k of subjectKeys(so.obj)) add(this.clusterIdx, k, so.obj);
    for (const so of this.store.list(ROLE_BINDINGS)) {
      const ns = so.obj.metadata?.namespace ?? '';
      let m = this.nsIdx.get(ns);
      if (!m) this.nsIdx.set(ns, (m = new Map()));
      for (const k of subjectKeys(so.obj)) add(m, k, so.obj);
    }
    this.indexed = true;
  }

  /** The bindings that name this user (directly, by group, or as a ServiceAccount), in binding order. */
  private bindingsFor(u: Subject, ns: string): { cluster: KubeObject[]; local: KubeObject[] } {
    if (!this.indexed) this.index();
    const cluster = new Set<KubeObject>();
    const local = new Set<KubeObject>();
    const m = ns ? this.nsIdx.get(ns) : undefined;
    const keys = [`u:${u.username}`, ...u.groups.map((g) => `g:${g}`)];
    for (const k of keys) {
      for (const b of this.clusterIdx.get(k) ?? []) cluster.add(b);
      if (m) for (const b of m.get(k) ?? []) local.add(b);
    }
    return { cluster: [...cluster], local: [...local] };
  }

  /** The rules a user holds in a namespace ("" = cluster-wide only), with where each comes from. */
  resolve(u: Subject, ns: string): Resolved {
    const key = `${u.username}\u0000${u.groups.join('\u0001')}\u0000${ns}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const sources: Source[] = [];
    const errors: string[] = [];
    const { cluster, local } = this.bindingsFor(u, ns);
    for (const b of cluster) {
      const ref = (b as any).roleRef ?? {};
      if (ref.kind !== 'ClusterRole') continue;
      const role = this.store.get(CLUSTER_ROLES, '', String(ref.name))?.obj;
      if (!role) {
        errors.push(`clusterrole.rbac.authorization.k8s.io ${JSON.stringify(String(ref.name))} not found`);
        continue;
      }
      sources.push({
        by: `ClusterRoleBinding ${JSON.stringify(b.metadata?.name)} of ClusterRole ${JSON.stringify(ref.name)} to ${describeSubject(b, u)}`,
        rules: rulesOf(role),
      });
    }
    for (const b of local) {
      const ref = (b as any).roleRef ?? {};
      const role =
        ref.kind === 'Role' ? this.store.get(ROLES, ns, String(ref.name))?.obj : ref.kind === 'ClusterRole' ? this.store.get(CLUSTER_ROLES, '', String(ref.name))?.obj : undefined;
      if (!role) {
        if (ref.kind === 'Role' || ref.kind === 'ClusterRole') errors.push(`${String(ref.kind).toLowerCase()}.rbac.authorization.k8s.io ${JSON.stringify(String(ref.name))} not found`);
        continue;
      }
      sources.push({
        by: `RoleBinding ${JSON.stringify(`${b.metadata?.name}/${ns}`)} of ${ref.kind} ${JSON.stringify(ref.name)} to ${describeSubject(b, u)}`,
        rules: rulesOf(role),
      });
    }
    const r = { sources, errors };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, r);
    return r;
  }

  /** Every rule a user holds in a namespace (flattened). */
  rulesFor(u: Subject, ns: string): { rules: PolicyRule[]; errors: string[] } {
    const r = this.resolve(u, ns);
    return { rules: r.sources.flatMap((s) => s.rules), errors: r.errors };
  }

  authorize(u: Subject, a: Attributes): Decision {
    if (u.groups.includes(MASTERS)) return { allowed: true, reason: '' };
    const r = this.resolve(u, a.resourceRequest ? (a.namespace ?? '') : '');
    for (const s of r.sources) for (const rule of s.rules) if (ruleAllows(a, rule)) return { allowed: true, reason: `RBAC: allowed by ${s.by}` };
    return { allowed: false, reason: r.errors.length === 0 ? '' : r.errors.length === 1 ? `RBAC: ${r.errors[0]}` : `RBAC: [${r.errors.join(', ')}]` };
  }
}
