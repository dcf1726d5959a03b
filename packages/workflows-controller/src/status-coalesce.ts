// Which status changes may wait a moment before they are written (pure): a pod that was just bound or got its
// address changes only informational node fields, and the pod's next phase change (Running, usually within a
// second) writes them together, so a single-pod workflow is written 3 times instead of 5.

type Obj = Record<string, any>;

/** Node fields that only inform (no phase, output or scheduling decision of this controller waits on them). */
export const INFORMATIONAL_NODE_FIELDS = ['hostNodeName', 'podIP'] as const;

/** How long such a change may wait for the next write of the same workflow (ms). */
export const COALESCE_MS = 1000;

function strip(status: Obj | undefined): string {
  const nodes: Obj = {};
  for (const [id, n] of Object.entries((status?.nodes ?? {}) as Obj)) {
    const copy: Obj = { ...n };
    for (const f of INFORMATIONAL_NODE_FIELDS) delete copy[f];
    nodes[id] = copy;
  }
  return JSON.stringify({ ...(status ?? {}), nodes });
}

/**
 * True when `next` differs from `prev` only in informational node fields (the same nodes, the same phases,
 * everything else equal): such a write can be coalesced with the next one.
 */
export function onlyInformationalChange(prev: Obj | undefined, next: Obj | undefined): boolean {
  const a = Object.keys(prev?.nodes ?? {});
  const b = Object.keys(next?.nodes ?? {});
  if (a.length !== b.length || a.some((k) => !(k in (next?.nodes ?? {})))) return false;
  return strip(prev) === strip(next);
}
