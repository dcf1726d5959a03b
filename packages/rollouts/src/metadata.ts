/**
 * Ephemeral metadata, pure: the labels and annotations a ReplicaSet's pods carry for the role it
 * plays right now — `canaryMetadata` / `stableMetadata` (canary), `activeMetadata` /
 * `previewMetadata` (blue-green). When the role changes (the canary becomes stable, the preview
 * becomes active) the old role's keys go and the new role's come, on the ReplicaSet's pod template
 * and on its running pods. What was applied is recorded on the ReplicaSet
 * (`rollout.argoproj.io/ephemeral-metadata`, JSON), so the next change knows which keys to remove.
 */
import { EPHEMERAL_ANNOTATION, type RolloutStatus, type RSView, type Rollout } from './types.js';

export interface EphemeralMeta {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface EphemeralChange {
  /** the ReplicaSet */
  name: string;
  hash: string;
  prev: EphemeralMeta;
  next: EphemeralMeta;
}

const clean = (m?: EphemeralMeta): EphemeralMeta => ({
  ...(m?.labels && Object.keys(m.labels).length ? { labels: { ...m.labels } } : {}),
  ...(m?.annotations && Object.keys(m.annotations).length ? { annotations: { ...m.annotations } } : {}),
});

/** the record written on the ReplicaSet ('' when nothing is applied) */
export function ephemeralRecord(m: EphemeralMeta): string {
  const c = clean(m);
  return Object.keys(c).length ? JSON.stringify(c) : '';
}

function parseRecord(v: string | undefined): EphemeralMeta {
  if (!v) return {};
  try {
    return clean(JSON.parse(v) as EphemeralMeta);
  } catch {
    return {};
  }
}

/** The role metadata each pod-template hash should carry after this reconcile's status. */
export function roleMetadata(ro: Rollout, st: RolloutStatus): Map<string, EphemeralMeta> {
  const out = new Map<string, EphemeralMeta>();
  const c = ro.spec.strategy?.canary;
  const b = ro.spec.strategy?.blueGreen;
  if (c) {
    if (st.stableRS && c.stableMetadata) out.set(st.stableRS, clean(c.stableMetadata));
    if (st.currentPodHash && st.currentPodHash !== st.stableRS && c.canaryMetadata) out.set(st.currentPodHash, clean(c.canaryMetadata));
  } else if (b) {
    const active = st.blueGreen?.activeSelector;
    const preview = st.blueGreen?.previewSelector;
    if (active && b.activeMetadata) out.set(active, clean(b.activeMetadata));
    if (preview && preview !== active && b.previewMetadata) out.set(preview, clean(b.previewMetadata));
  }
  return out;
}

/** The ReplicaSets whose applied role metadata differs from what their role wants now. */
export function ephemeralChanges(ro: Rollout, st: RolloutStatus, all: RSView[]): EphemeralChange[] {
  const want = roleMetadata(ro, st);
  const out: EphemeralChange[] = [];
  for (const rs of all) {
    const next = clean(want.get(rs.hash));
    const cur = rs.annotations[EPHEMERAL_ANNOTATION] ?? '';
    if (cur === ephemeralRecord(next)) continue;
    out.push({ name: rs.name, hash: rs.hash, prev: parseRecord(cur), next });
  }
  return out;
}

/** The merge-patch maps (null removes) that take metadata from `prev`'s role keys to `next`'s. */
export function ephemeralPatch(prev: EphemeralMeta, next: EphemeralMeta): { labels: Record<string, string | null>; annotations: Record<string, string | null> } {
  const side = (p: Record<string, string> = {}, n: Record<string, string> = {}) => ({ ...Object.fromEntries(Object.keys(p).filter((k) => !(k in n)).map((k) => [k, null])), ...n });
  return { labels: side(prev.labels, next.labels), annotations: side(prev.annotations, next.annotations) };
}

/** A pod's labels/annotations after the patch (undefined when nothing changes). */
export function applyToMeta(meta: { labels?: Record<string, string>; annotations?: Record<string, string> }, patch: ReturnType<typeof ephemeralPatch>): { labels: Record<string, string>; annotations: Record<string, string> } | undefined {
  const one = (cur: Record<string, string> = {}, p: Record<string, string | null>) => {
    const o = { ...cur };
    for (const [k, v] of Object.entries(p)) v === null ? delete o[k] : (o[k] = v);
    return o;
  };
  const labels = one(meta.labels, patch.labels);
  const annotations = one(meta.annotations, patch.annotations);
  if (JSON.stringify(labels) === JSON.stringify(meta.labels ?? {}) && JSON.stringify(annotations) === JSON.stringify(meta.annotations ?? {})) return undefined;
  return { labels, annotations };
}
