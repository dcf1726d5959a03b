/**
 * Adoption and release by selector + ownerReferences: an owner claims the objects that match its
 * selector and have no controller, keeps the ones it controls that still match, and releases the
 * ones it controls that no longer match.
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { isNotFound, type KubeClient, type Resource } from '@flotilla/kube-runtime';
import { clone, controllerRefOf, isTerminating, ownerRef } from './util.js';

export interface ClaimOptions {
  client: KubeClient;
  owner: KubeObject;
  ownerRes: Resource;
  childRes: Resource;
  matches: (o: KubeObject) => boolean;
}

/** Pure: which candidates are owned, to adopt, or to release. */
export function classifyClaims<T extends KubeObject>(owner: KubeObject, candidates: T[], matches: (o: T) => boolean): { owned: T[]; adopt: T[]; release: T[] } {
  const owned: T[] = [];
  const adopt: T[] = [];
  const release: T[] = [];
  const ownerDeleting = isTerminating(owner);
  for (const c of candidates) {
    const ref = controllerRefOf(c);
    if (ref) {
      if (ref.uid !== owner.metadata?.uid) continue;
      if (matches(c)) owned.push(c);
      else if (!ownerDeleting) release.push(c);
      continue;
    }
    if (ownerDeleting || isTerminating(c) || !matches(c)) continue;
    adopt.push(c);
  }
  return { owned, adopt, release };
}

/** Claims candidates (adopting/releasing through the API) and returns what the owner controls. */
export async function claim<T extends KubeObject>(o: ClaimOptions, candidates: T[]): Promise<T[]> {
  const { owned, adopt, release } = classifyClaims(o.owner, candidates, o.matches);
  if (adopt.length) {
    // adopt only if the owner is still the same live object (not a stale cache entry)
    const fresh = await o.client.get(o.ownerRes, o.owner.metadata?.namespace, o.owner.metadata!.name!).catch(() => undefined);
    if (fresh && fresh.metadata?.uid === o.owner.metadata?.uid && !isTerminating(fresh)) {
      for (const c of adopt) {
        const next = clone(c);
        next.metadata!.ownerReferences = [...(c.metadata?.ownerReferences ?? []), ownerRef(o.owner, o.ownerRes)];
        try {
          owned.push((await o.client.update(o.childRes, next)) as T);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    }
  }
  for (const c of release) {
    const next = clone(c);
    next.metadata!.ownerReferences = (c.metadata?.ownerReferences ?? []).filter((r) => r.uid !== o.owner.metadata?.uid);
    if (!next.metadata!.ownerReferences.length) delete next.metadata!.ownerReferences;
    try {
      await o.client.update(o.childRes, next);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  return owned;
}
