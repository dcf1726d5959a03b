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

export type EvNodeKind = 'EventSource' | 'Sensor' | 'Trigger';
export interface EvNode {
  id: string;
  kind: EvNodeKind;
  /** the object's name (EventSource / Sensor), or the trigger's name */
  name: string;
  namespace: string;
  /** the event's name and type (`webhook`), the trigger's target (`Workflow`, `http`…) */
  detail: string;
  /** `Ready`, `NotReady`, `Unknown` (from the object's conditions); triggers: the sensor's */
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

export function buildEventsGraph(sources: K8sObj[], sensors: K8sObj[]): EvGraph {
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
    });
  }
  return { nodes, edges };
}
