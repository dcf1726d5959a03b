/**
 * ControllerRevisions: the history of a StatefulSet's or DaemonSet's pod template, as
 * `kubectl rollout history|undo` read and apply it (data is a strategic merge patch replacing
 * spec.template).
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { isAlreadyExists, isNotFound, R, type KubeClient, type Resource } from '@flotilla/kube-runtime';
import { byCreation, clone, computeHash, isControlledBy, ownerRef, semanticJson, type Obj } from './util.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';

export function revisionData(template: unknown): Record<string, unknown> {
  return { spec: { template: { ...(clone(template) as object), $patch: 'replace' } } };
}

export function templateOfRevision(cr: Obj): any {
  const t = clone((cr as any).data?.spec?.template ?? {});
  delete t.$patch;
  return t;
}

export function revisionNumber(cr: KubeObject): number {
  return Number((cr as any).revision ?? 0);
}

export function revisionHash(template: unknown, collisionCount?: number): string {
  return computeHash(JSON.parse(comparable(template)), collisionCount);
}

/** Pure: the revision among `revisions` whose data is this template's (the newest such), if any. */
function comparable(template: unknown): string {
  const t = clone((template ?? {}) as any);
  if (t.metadata) delete t.metadata.creationTimestamp;
  delete t.$patch;
  return semanticJson(t);
}

export function findRevision(revisions: Obj[], template: unknown): Obj | undefined {
  const want = comparable(template);
  const eq = revisions.filter((r) => comparable(templateOfRevision(r)) === want);
  eq.sort((a, b) => revisionNumber(a) - revisionNumber(b));
  return eq[eq.length - 1];
}

export function maxRevision(revisions: Obj[]): number {
  return revisions.reduce((m, r) => Math.max(m, revisionNumber(r)), 0);
}

/**
 * Makes sure a revision for the current template exists and is the newest (a template rolled back
 * to an earlier revision gets that revision's object renumbered). Returns it and the collision count
 * to record in status.
 */
export async function ensureUpdateRevision(
  client: KubeClient,
  owner: Obj,
  ownerRes: Resource,
  revisions: Obj[],
  template: any,
): Promise<{ revision: Obj; collisionCount: number; created: boolean }> {
  let collisionCount = Number(owner.status?.collisionCount ?? 0);
  const max = maxRevision(revisions);
  const existing = findRevision(revisions, template);
  if (existing) {
    if (revisionNumber(existing) < max) {
      const next = { ...clone(existing), revision: max + 1 };
      return { revision: await client.update<Obj>(R.controllerrevisions, next), collisionCount, created: false };
    }
    return { revision: existing, collisionCount, created: false };
  }
  const ns = owner.metadata!.namespace!;
  for (let attempt = 0; attempt < 5; attempt++) {
    const hash = revisionHash(template, collisionCount);
    const cr: Obj = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${owner.metadata!.name!.slice(0, 223)}-${hash}`,
        namespace: ns,
        labels: { ...(template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
        ownerReferences: [ownerRef(owner, ownerRes)],
      },
      data: revisionData(template),
      revision: max + 1,
    };
    try {
      return { revision: await client.create<Obj>(R.controllerrevisions, ns, cr), collisionCount, created: true };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const cur = await client.get<Obj>(R.controllerrevisions, ns, cr.metadata!.name!);
      if (isControlledBy(cur, owner) && comparable(templateOfRevision(cur)) === comparable(template)) {
        if (revisionNumber(cur) < max) return { revision: await client.update<Obj>(R.controllerrevisions, { ...cur, revision: max + 1 }), collisionCount, created: false };
        return { revision: cur, collisionCount, created: false };
      }
      collisionCount++;
    }
  }
  throw new Error(`could not create a ControllerRevision for ${owner.metadata?.name}: hash collisions`);
}

/** Deletes the oldest revisions beyond the history limit that no live object uses. */
export async function truncateHistory(client: KubeClient, owner: Obj, revisions: Obj[], live: Set<string>): Promise<void> {
  const limit = Number(owner.spec?.revisionHistoryLimit ?? 10);
  const dead = revisions.filter((r) => !live.has(r.metadata!.name!)).sort((a, b) => revisionNumber(a) - revisionNumber(b) || byCreation(a, b));
  const n = dead.length - limit;
  for (let i = 0; i < n; i++) {
    try {
      await client.delete(R.controllerrevisions, owner.metadata!.namespace, dead[i].metadata!.name!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
