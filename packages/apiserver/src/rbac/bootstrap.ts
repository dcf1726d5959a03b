/**
 * Reconciles the bootstrap policy at every start, as Kubernetes' API server does: missing roles
 * and bindings are created; existing ones that keep `rbac.authorization.kubernetes.io/autoupdate`
 * other than "false" get back the rules, subjects, labels and aggregation rule they lack (what a
 * user added stays).
 */
import { type KubeObject } from '@flotilla/apimachinery';
import { clone } from '../json-int.js';
import type { Objects } from '../objects.js';
import type { Registry } from '../registry.js';
import type { Store } from '../store.js';
import { CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, RBAC_GROUP } from './authorizer.js';
import { BOOTSTRAP_BINDINGS, BOOTSTRAP_ROLES } from './bootstrap-policy.js';

const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

function meta(name: string, labels: Record<string, string> = {}) {
  return { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels }, annotations: { [AUTOUPDATE]: 'true' } };
}

export function bootstrapObjects(): { roles: KubeObject[]; bindings: KubeObject[] } {
  const roles = BOOTSTRAP_ROLES.map((b) => {
    const labels: Record<string, string> = { ...(b.labels ?? {}) };
    for (const t of b.aggregateTo ?? []) labels[`${AGG}${t}`] = 'true';
    const o: KubeObject = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: meta(b.name, labels), rules: b.rules } as KubeObject;
    if (b.aggregationLabels) (o as any).aggregationRule = { clusterRoleSelectors: b.aggregationLabels.map((l) => ({ matchLabels: { [l]: 'true' } })) };
    return o;
  });
  const bindings = BOOTSTRAP_BINDINGS.map(
    (b) =>
      ({
        apiVersion: `${RBAC_GROUP}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: meta(b.name),
        roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: b.role },
        subjects: b.subjects.map((s) => (s.kind === 'ServiceAccount' ? { kind: s.kind, name: s.name, namespace: s.namespace } : { kind: s.kind, apiGroup: RBAC_GROUP, name: s.name })),
      }) as KubeObject,
  );
  return { roles, bindings };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function union(cur: unknown[] | undefined, want: unknown[], key: (x: any) => string = (x) => JSON.stringify(x)): { list: unknown[]; changed: boolean } {
  const list = [...(cur ?? [])];
  const have = new Set(list.map(key));
  let changed = false;
  for (const w of want)
    if (!have.has(key(w))) {
      list.push(w);
      changed = true;
    }
  return { list, changed };
}

export function reconcileBootstrapPolicy(store: Store, objects: Objects, reg: Registry): void {
  const opts = { dryRun: false, fieldValidation: 'Ignore' as const, warnings: [], fieldManager: 'flotilla-apiserver' };
  const { roles, bindings } = bootstrapObjects();
  const sets: [string, string, KubeObject[]][] = [
    [CLUSTER_ROLES, 'clusterroles', roles],
    [CLUSTER_ROLE_BINDINGS, 'clusterrolebindings', bindings],
  ];
  for (const [key, plural, wanted] of sets) {
    const served = reg.find(RBAC_GROUP, 'v1', plural)!;
    for (const want of wanted) {
      const name = want.metadata!.name!;
      const cur = store.get(key, '', name)?.obj;
      if (!cur) {
        objects.create(served, '', clone(want), { ...opts, warnings: [] }, 'flotilla-apiserver');
        continue;
      }
      if (cur.metadata?.annotations?.[AUTOUPDATE] === 'false') continue;
      const next = clone(cur);
      let changed = false;
      const m = next.metadata!;
      for (const [k, v] of Object.entries(want.metadata!.labels ?? {}))
        if (m.labels?.[k] !== v) {
          (m.labels ??= {})[k] = v;
          changed = true;
        }
      if (m.annotations?.[AUTOUPDATE] === undefined) {
        (m.annotations ??= {})[AUTOUPDATE] = 'true';
        changed = true;
      }
      const w = want as any;
      const n = next as any;
      if (w.aggregationRule) {
        if (!sameJson(n.aggregationRule, w.aggregationRule)) {
          n.aggregationRule = w.aggregationRule;
          changed = true;
        }
      } else if (w.rules) {
        const u = union(n.rules, w.rules);
        if (u.changed) {
          n.rules = u.list;
          changed = true;
        }
      }
      if (w.subjects) {
        const u = union(n.subjects, w.subjects, (s) => `${s.kind}/${s.namespace ?? ''}/${s.name}`);
        if (u.changed) {
          n.subjects = u.list;
          changed = true;
        }
        if (!sameJson(n.roleRef, w.roleRef)) continue; // roleRef is immutable: leave a changed binding alone
      }
      if (changed) objects.putInternal(key, '', name, next);
    }
  }
}
