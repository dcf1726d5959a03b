/**
 * `resourcesDuration` as upstream's docs define it (resource-duration.md): for each container of a pod (init
 * containers included), its run time × the fraction of a base amount it requested — cpu per 1 core, memory per
 * 100Mi, storage and ephemeral-storage per 10Gi, anything else per 1. Requests fall back to limits, and cpu/memory
 * to Argo's defaults (100m, 100Mi). Whole seconds, rounded up: a pod that ran shows at least 1 of each.
 */
import { parseQuantity } from '@flotilla/apimachinery';

type Obj = Record<string, any>;
const BASE: Record<string, number> = { cpu: 1, memory: 100 * 2 ** 20, storage: 10 * 2 ** 30, 'ephemeral-storage': 10 * 2 ** 30 };
const DEFAULTS: Record<string, number> = { cpu: 0.1, memory: 100 * 2 ** 20 };

/** Seconds a container ran: from its terminated (or running, until `now`) state. */
function ranSeconds(status: Obj | undefined, now: Date): number | undefined {
  const t = status?.state?.terminated ?? status?.lastState?.terminated;
  const from = Date.parse(t?.startedAt ?? status?.state?.running?.startedAt ?? '');
  if (Number.isNaN(from)) return undefined;
  const to = t ? Date.parse(t.finishedAt ?? '') : now.getTime();
  return Number.isNaN(to) ? undefined : Math.max(0, (to - from) / 1000);
}

/** The pod's resourcesDuration (undefined when none of its containers has run). */
export function podResourcesDuration(pod: Obj, now: Date = new Date()): Record<string, number> | undefined {
  const st: Obj = pod.status ?? {};
  const statuses = new Map<string, Obj>();
  for (const s of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])] as Obj[]) statuses.set(s.name, s);
  const sum: Record<string, number> = {};
  let ran = false;
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])] as Obj[]) {
    const secs = ranSeconds(statuses.get(c.name), now);
    if (secs === undefined) continue;
    ran = true;
    const asked: Record<string, number> = { ...DEFAULTS };
    for (const src of [c.resources?.limits, c.resources?.requests] as (Obj | undefined)[]) {
      for (const [k, v] of Object.entries(src ?? {})) {
        const q = parseQuantity(v);
        if (q !== undefined) asked[k] = q;
      }
    }
    for (const [k, q] of Object.entries(asked)) sum[k] = (sum[k] ?? 0) + (secs * q) / (BASE[k] ?? 1);
  }
  if (!ran) return undefined;
  const out: Record<string, number> = {};
  for (const k of Object.keys(sum).sort()) out[k] = Math.max(1, Math.ceil(sum[k]! - 1e-9));
  return out;
}

/** The sum of resourcesDuration maps (the workflow's: its pod nodes'). */
export function addResourcesDurations(all: Iterable<Record<string, number> | undefined>): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const r of all) {
    if (!r) continue;
    out ??= {};
    for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}
