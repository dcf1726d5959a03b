// Which status changes may wait a moment before they are written (pure): a pod that was just bound or got its
// address changes only informational node fields, and the pod's next phase change (Running, usually within a
// second) writes them together, so a single-pod workflow is written 3 times instead of 5.
import { mergePatchOf } from '@flotilla/kube-runtime';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** Node fields that only inform (no phase, output or scheduling decision of this controller waits on them). */
export const INFORMATIONAL_NODE_FIELDS: readonly string[] = ['hostNodeName', 'podIP'];

/** How long such a change may wait for the next write of the same workflow (ms): a pod on a busy node takes seconds from its address to Running. */
export const COALESCE_MS = 5000;

/** True when a merge patch of a workflow's status sets only informational fields of existing nodes. */
export function informationalPatch(patch: unknown): boolean {
  if (!isObj(patch)) return false;
  const keys = Object.keys(patch);
  if (keys.length !== 1 || keys[0] !== 'nodes' || !isObj(patch.nodes)) return false;
  return Object.values(patch.nodes).every((n) => isObj(n) && Object.keys(n).length > 0 && Object.keys(n).every((k) => INFORMATIONAL_NODE_FIELDS.includes(k)));
}

/**
 * True when `next` differs from `prev` only in informational node fields (the same nodes, the same phases,
 * everything else equal): such a write can be coalesced with the next one.
 */
export function onlyInformationalChange(prev: Obj | undefined, next: Obj | undefined): boolean {
  if (!prev) return false;
  return informationalPatch(mergePatchOf(prev, next ?? {}, true));
}
