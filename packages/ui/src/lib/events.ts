/**
 * The Events section's graph: EventSources (one node per event they declare), Sensors, and each
 * sensor's triggers with their targets — event → sensor edges named after the dependency, sensor →
 * trigger edges — plus an object's conditions summarized; pure, no DOM.
 */

export interface K8sObj {
  metadata: { name: string; namespace?: string; uid?: string; creationTimestamp?: string };
  spec?: Record<string, any>;
  status?: { conditions?: Condition[]; [k: string]: unknown };
}
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export type EvNodeKind = 'EventSource' | 'Sensor' | 'Trigger' | 'Workflow';
export interface EvNode {
  id: string;
  kind: EvNodeKind;
  /** the object's name (EventSource / Sensor), or the trigger's name */
  name: string;
  namespace: string;
  /** the event's name and type (`webhook`), the trigger's target (`Workflow`, `http`…) */
  detail: string;
  /** `Ready`, `NotReady`, `Unknown` (from the object's conditions); triggers: the sensor's; workflows: their phase */
  status: string;
  /** the object this node belongs to (`EventSource/ns/name`, `Sensor/ns/name`) */
  owner: string;
}
export interface EvGraph {
  nodes: EvNode[];
  edges: { from: string; to: string; label?: string }[];
}

/** The spec keys of an EventSource that are not event types. */
const NOT_TYPES = new Set(['template', 'service', 'eventBusName', 'replicas', 'replica']);

/** `Ready` when every condition is True, `NotReady` when one is False (its message kept), `Unknown` without conditions. */
export function readiness(o: K8sObj): { status: 'Ready' | 'NotReady' | 'Unknown'; message?: string } {
  const cs = o.status?.conditions ?? [];
  if (!cs.length) return { status: 'Unknown' };
  const bad = cs.find((c) => c.status === 'False');
  if (bad) return { status: 'NotReady', message: `${bad.type}: ${bad.reason ?? ''}${bad.message ? ` — ${bad.message}` : ''}` };
  const unknown = cs.find((c) => c.status !== 'True');
  return unknown ? { status: 'Unknown', message: unknown.type } : { status: 'Ready' };
}

/** Each event an EventSource declares: its type (`webhook`, `calendar`…) and name. */
export function sourceEvents(es: K8sObj): { type: string; name: string }[] {
  const out: { type: string; name: string }[] = [];
  for (const [type, v] of Object.entries(es.spec ?? {})) {
    if (NOT_TYPES.has(type) || !v || typeof v !== 'object' || Array.isArray(v)) continue;
    for (const name of Object.keys(v)) out.push({ type, name });
  }
  return out;
}

/** What a trigger acts on: `Workflow` (argoWorkflow), `k8s: Workflow create`, `http: <url>`, `log`… */
export function triggerTarget(t: { template?: Record<string, any> }): string {
  const tp = t.template ?? {};
  if (tp.argoWorkflow) return `argoWorkflow ${tp.argoWorkflow.operation ?? 'submit'}`;
  if (tp.k8s) {
    const kind = tp.k8s.source?.resource?.kind ?? tp.k8s.group ?? 'resource';
    return `k8s ${kind} ${tp.k8s.operation ?? 'create'}`;
  }
  if (tp.http) return `http ${tp.http.method ?? 'POST'} ${tp.http.url ?? ''}`.trim();
  for (const k of Object.keys(tp)) if (!['name', 'conditions', 'conditionsReset'].includes(k) && tp[k] && typeof tp[k] === 'object') return k;
  return 'trigger';
}

/** A workflow (or any object) a trigger created, with upstream's labels `events.argoproj.io/sensor` and `…/trigger`. */
export interface Triggered {
  metadata: { name: string; namespace?: string; creationTimestamp?: string; labels?: Record<string, string> };
  status?: { phase?: string };
}
export const SENSOR_LABEL = 'events.argoproj.io/sensor';
export const TRIGGER_LABEL = 'events.argoproj.io/trigger';

/** The newest `max` objects each trigger created, by sensor and trigger name (`<sensor>/<trigger>` → newest first). */
export function triggeredBy(objs: Triggered[], max = 3): Map<string, Triggered[]> {
  const out = new Map<string, Triggered[]>();
  const ts = (o: Triggered) => Number(o.metadata.labels?.['events.argoproj.io/action-timestamp'] ?? Date.parse(o.metadata.creationTimestamp ?? '') ?? 0) || 0;
  for (const o of [...objs].sort((a, b) => ts(b) - ts(a) || b.metadata.name.localeCompare(a.metadata.name))) {
    const s = o.metadata.labels?.[SENSOR_LABEL];
    const t = o.metadata.labels?.[TRIGGER_LABEL];
    if (!s || !t) continue;
    const l = out.get(`${s}/${t}`) ?? [];
    if (l.length < max) l.push(o);
    out.set(`${s}/${t}`, l);
  }
  return out;
}

/**
 * The event flow: event → sensor (edge named after the dependency) → trigger (its target) → the newest
 * workflows each trigger created (`triggered`: objects labelled by the sensor, at most `max` per trigger).
 */
export function buildEventsGraph(sources: K8sObj[], sensors: K8sObj[], triggered: Triggered[] = [], max = 3): EvGraph {
  const made = triggeredBy(triggered, max);
  const nodes: EvNode[] = [];
  const edges: EvGraph['edges'] = [];
  const ids = new Set<string>();
  const esId = (ns: string, es: string, ev: string) => `es/${ns}/${es}/${ev}`;
  for (const es of sources) {
    const ns = es.metadata.namespace ?? '';
    const owner = `EventSource/${ns}/${es.metadata.name}`;
    const st = readiness(es).status;
    const evs = sourceEvents(es);
    if (!evs.length) evs.push({ type: 'none', name: '' });
    for (const ev of evs) {
      const id = esId(ns, es.metadata.name, ev.name);
      ids.add(id);
      nodes.push({ id, kind: 'EventSource', name: es.metadata.name, namespace: ns, detail: ev.name ? `${ev.type}: ${ev.name}` : 'no events', status: st, owner });
    }
  }
  for (const s of sensors) {
    const ns = s.metadata.namespace ?? '';
    const owner = `Sensor/${ns}/${s.metadata.name}`;
    const id = `sensor/${ns}/${s.metadata.name}`;
    const st = readiness(s).status;
    const deps = (s.spec?.dependencies ?? []) as { name: string; eventSourceName?: string; eventName?: string }[];
    const triggers = (s.spec?.triggers ?? []) as { template?: Record<string, any> }[];
    nodes.push({ id, kind: 'Sensor', name: s.metadata.name, namespace: ns, detail: `${deps.length} ${deps.length === 1 ? 'dependency' : 'dependencies'}`, status: st, owner });
    for (const d of deps) {
      const from = esId(ns, d.eventSourceName ?? '', d.eventName ?? '');
      if (!ids.has(from)) {
        // a dependency on an EventSource (or event) not found: drawn dashed as missing
        ids.add(from);
        nodes.push({ id: from, kind: 'EventSource', name: d.eventSourceName ?? '?', namespace: ns, detail: `${d.eventName ?? '?'} (not found)`, status: 'Missing', owner: `EventSource/${ns}/${d.eventSourceName ?? ''}` });
      }
      edges.push({ from, to: id, label: d.name });
    }
    triggers.forEach((t, i) => {
      const tid = `${id}/trigger/${t.template?.name ?? i}`;
      nodes.push({ id: tid, kind: 'Trigger', name: t.template?.name ?? `trigger ${i}`, namespace: ns, detail: triggerTarget(t), status: st, owner });
      edges.push({ from: id, to: tid });
      for (const w of made.get(`${s.metadata.name}/${t.template?.name ?? ''}`) ?? []) {
        const wid = `wf/${w.metadata.namespace ?? ns}/${w.metadata.name}`;
        if (ids.has(wid)) continue;
        ids.add(wid);
        nodes.push({ id: wid, kind: 'Workflow', name: w.metadata.name, namespace: w.metadata.namespace ?? ns, detail: `workflow, ${w.metadata.creationTimestamp ?? ''}`.replace(/, $/, ''), status: w.status?.phase || 'Pending', owner: `Workflow/${w.metadata.namespace ?? ns}/${w.metadata.name}` });
        edges.push({ from: tid, to: wid });
      }
    });
  }
  return { nodes, edges };
}
