/**
 * Events section (argo-server's EventSource and Sensor API): EventBuses (status, replicas), EventSources and
 * Sensors with their conditions, live from the watch streams, and the graph event source → sensor → trigger
 * target → the workflows it created, laid out by elkjs; a node opens the object's conditions, events, logs and
 * spec (a workflow node its page); below, the triggered workflows and the namespace's recent events.
 */
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError, stream } from '../api';
import { Drawer } from '../cd/Drawer';
import { HealthStatus, PhaseStatus } from '../icons';
import { navigate } from '../router';
import { EventsTable, ObjectLogs, TriggeredTable, useNamespaceEvents, useTriggered } from './EventsActivity';
import { buildEventsGraph, readiness, type EvNode, type K8sObj } from '../../../src/lib/events.js';
import { layoutGraph, type Laid } from '../../../src/lib/layout.js';

const W = 210;
const H = 50;
const asHealth = (s: string) => (s === 'Ready' ? 'Healthy' : s === 'NotReady' ? 'Degraded' : s);

/** A namespaced list live from its watch stream (`{type, object}` results). */
function useLive(list: string, watch: string | undefined): [K8sObj[], string] {
  const [items, setItems] = useState<K8sObj[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    const m = new Map<string, K8sObj>();
    setItems([]);
    setError('');
    api('GET', list).then((r) => {
      for (const o of r.items ?? []) m.set(o.metadata.name, o);
      setItems([...m.values()]);
    }, (e) => setError(e instanceof ApiError && e.status === 404 ? 'not served here' : e.message));
    if (!watch) return;
    return stream(watch, (r) => {
      const o = r?.object;
      if (!o?.metadata) return;
      if (r.type === 'DELETED') m.delete(o.metadata.name);
      else m.set(o.metadata.name, o);
      setItems([...m.values()]);
    });
  }, [list, watch]);
  return [items, error];
}

export default function Events(_: { parts?: string[] }) {
  const [ns, setNs] = useState(() => localStorage.getItem('flotilla.events.ns') ?? 'argo-events');
  const [available, setAvailable] = useState<boolean>();
  useEffect(() => {
    api('GET', 'api/v1/info').then(() => setAvailable(true), (e) => setAvailable(!(e instanceof ApiError && e.status === 404)));
  }, []);
  const setNamespace = (v: string) => {
    setNs(v);
    localStorage.setItem('flotilla.events.ns', v);
  };
  return (
    <>
      <div className="toolbar"><h1>Events</h1><label>Namespace <input type="text" value={ns} onChange={(e) => setNamespace(e.target.value)} placeholder="namespace" /></label></div>
      {available === false && <div className="banner warn" role="status">The Events API (EventSources, Sensors) is served by argo-server (port 2746), which serves this UI on the Workflows section: open Events there.</div>}
      {available && ns && <EventsOf ns={ns} />}
    </>
  );
}

function EventsOf({ ns }: { ns: string }) {
  const e = encodeURIComponent(ns);
  const [sources, esErr] = useLive(`api/v1/event-sources/${e}`, `api/v1/stream/event-sources/${e}`);
  const [sensors, sErr] = useLive(`api/v1/sensors/${e}`, `api/v1/stream/sensors/${e}`);
  const [buses, bErr] = useLive(`api/v1/event-buses/${e}`, undefined);
  const triggered = useTriggered(ns);
  const [events, evErr] = useNamespaceEvents(ns);
  const [open, setOpen] = useState<{ kind: string; obj: K8sObj }>();
  const graph = useMemo(() => buildEventsGraph(sources, sensors, triggered), [sources, sensors, triggered]);
  const select = (n: EvNode) => {
    if (n.kind === 'Workflow') return navigate(`workflows/${encodeURIComponent(n.namespace)}/${encodeURIComponent(n.name)}`);
    const [kind, , name] = n.owner.split('/');
    const obj = (kind === 'Sensor' ? sensors : sources).find((o) => o.metadata.name === name);
    if (obj) setOpen({ kind: kind!, obj });
  };
  return (
    <>
      {(esErr || sErr) && <div className="banner error" role="alert">{esErr && `EventSources: ${esErr}`} {sErr && `Sensors: ${sErr}`}</div>}
      <h2>Event flow</h2>
      {graph.nodes.length === 0 ? <div className="empty">No EventSources or Sensors in {ns}.</div> : <EvGraphView graph={graph} onSelect={select} />}
      <h2>Event buses</h2>
      {bErr ? <div className="banner warn" role="status">EventBuses: {bErr}</div> : buses.length === 0 ? <div className="empty">No EventBus in {ns}.</div> : (
        <table className="grid" aria-label="Event buses">
          <thead><tr><th>Name</th><th>Type</th><th>Replicas</th><th>Status</th></tr></thead>
          <tbody>{buses.map((b) => <tr key={b.metadata.name}><td>{b.metadata.name}</td><td>{Object.keys(b.spec ?? {}).join(', ')}</td><td>{b.spec?.nats?.native || b.spec?.jetstream ? String(Math.max(3, Number(b.spec?.nats?.native?.replicas ?? b.spec?.jetstream?.replicas ?? 3))) : ''}</td><td><Ready o={b} /></td></tr>)}</tbody>
        </table>
      )}
      <h2>Event sources</h2>
      <table className="grid" aria-label="Event sources">
        <thead><tr><th>Name</th><th>Events</th><th>Status</th><th>Created</th></tr></thead>
        <tbody>{sources.map((s) => <tr key={s.metadata.name}><td><button className="link" onClick={() => setOpen({ kind: 'EventSource', obj: s })}>{s.metadata.name}</button></td><td>{graph.nodes.filter((n) => n.owner === `EventSource/${ns}/${s.metadata.name}`).map((n) => n.detail).join(', ')}</td><td><Ready o={s} /></td><td>{s.metadata.creationTimestamp}</td></tr>)}</tbody>
      </table>
      <h2>Sensors</h2>
      <table className="grid" aria-label="Sensors">
        <thead><tr><th>Name</th><th>Dependencies</th><th>Triggers</th><th>Status</th></tr></thead>
        <tbody>{sensors.map((s) => <tr key={s.metadata.name}><td><button className="link" onClick={() => setOpen({ kind: 'Sensor', obj: s })}>{s.metadata.name}</button></td><td>{(s.spec?.dependencies ?? []).map((d: any) => `${d.name} (${d.eventSourceName}/${d.eventName})`).join(', ')}</td><td>{graph.nodes.filter((n) => n.kind === 'Trigger' && n.owner === `Sensor/${ns}/${s.metadata.name}`).map((n) => `${n.name}: ${n.detail}`).join(', ')}</td><td><Ready o={s} /></td></tr>)}</tbody>
      </table>
      <h2>Triggered workflows</h2>
      <TriggeredTable items={triggered} />
      <h2>Recent events</h2>
      {evErr && <div className="banner warn" role="status">Events: {evErr}</div>}
      <EventsTable items={events} label="Recent events" />
      {open && (
        <Drawer title={`${open.kind} ${open.obj.metadata.name}`} onClose={() => setOpen(undefined)}>
          <h3>Conditions</h3>
          {(open.obj.status?.conditions ?? []).length === 0 ? <div className="empty">No conditions reported yet.</div> : (
            <table className="grid" aria-label="Conditions">
              <thead><tr><th>Type</th><th>Status</th><th>Reason</th><th>Message</th><th>Since</th></tr></thead>
              <tbody>{open.obj.status!.conditions!.map((c) => <tr key={c.type}><td>{c.type}</td><td>{c.status}</td><td>{c.reason}</td><td>{c.message}</td><td>{c.lastTransitionTime}</td></tr>)}</tbody>
            </table>
          )}
          <h3>Events</h3>
          <EventsTable items={events.filter((e) => e.involvedObject?.kind === open.kind && e.involvedObject?.name === open.obj.metadata.name)} label={`Events of ${open.kind} ${open.obj.metadata.name}`} />
          {open.kind === 'Sensor' && <><h3>Triggered workflows</h3><TriggeredTable items={triggered} sensor={open.obj.metadata.name} /></>}
          <h3>Logs</h3>
          <ObjectLogs ns={ns} kind={open.kind} name={open.obj.metadata.name} />
          <h3>Spec</h3>
          <pre className="yaml">{JSON.stringify(open.obj.spec, null, 2)}</pre>
        </Drawer>
      )}
    </>
  );
}

function Ready({ o }: { o: K8sObj }) {
  const r = readiness(o);
  return <span title={r.message}><HealthStatus value={asHealth(r.status)} text={r.status} /></span>;
}

/** The middle of an edge's path (its first and last points), where the dependency's name goes. */
function midpoint(d: string): { x: number; y: number } | undefined {
  const pts = [...d.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
  if (pts.length < 2) return undefined;
  const a = pts[0]!;
  const b = pts[pts.length - 1]!;
  return { x: (a.x + b.x) / 2 - 20, y: (a.y + b.y) / 2 };
}

function EvGraphView({ graph, onSelect }: { graph: ReturnType<typeof buildEventsGraph>; onSelect: (n: EvNode) => void }) {
  const [laid, setLaid] = useState<Laid>();
  const [error, setError] = useState('');
  const shape = JSON.stringify([graph.nodes.map((n) => n.id), graph.edges]);
  useEffect(() => {
    let live = true;
    layoutGraph(graph, { w: W, h: H }).then((l) => live && setLaid(l), (e) => setError(String(e)));
    return () => void (live = false);
  }, [shape]);
  if (error) return <div className="banner error">Laying out the graph failed: {error}</div>;
  if (!laid) return <div className="empty" role="status">Laying out…</div>;
  return (
    <div className="graph" style={{ height: Math.min(laid.height, 1200) + 4 }} role="tree" aria-label="Event flow">
      <svg className="edges" width={laid.width} height={laid.height} aria-hidden="true">{laid.edges.map((e) => <path key={e.id} d={e.d} />)}</svg>
      {laid.edges.map((e, i) => {
        const label = graph.edges[Number(e.id.slice(1))]?.label;
        const m = label ? midpoint(e.d) : undefined;
        return m ? <span key={`l${e.id}`} className="elabel" style={{ left: m.x, top: m.y - 16 }} data-edge-label={label}>{label}</span> : null;
      })}
      {graph.nodes.map((n) => {
        const p = laid.pos.get(n.id);
        if (!p) return null;
        return (
          <button key={n.id} className={`gnode ev st-${n.status}`} style={{ left: p.x, top: p.y, width: W, height: H }} onClick={() => onSelect(n)} role="treeitem" data-kind={n.kind} data-name={n.name} title={`${n.kind} ${n.name}: ${n.detail} (${n.status})`}>
            <span className="kind" aria-hidden="true">{n.kind === 'EventSource' ? 'es' : n.kind === 'Sensor' ? 'sensor' : n.kind === 'Workflow' ? 'wf' : 'trig'}</span>
            <span className="meta">
              <span className="name" title={n.name}><span className="sr-only">{n.kind} </span>{n.name}</span>
              <span className="muted" title={n.detail}>{n.detail}</span>
              <span className="states">{n.kind === 'Workflow' ? <PhaseStatus value={n.status} /> : <HealthStatus value={asHealth(n.status)} text={n.status} />}</span>
            </span>
          </button>
        );
      })}
    </div>
  );
}
