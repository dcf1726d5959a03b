/**
 * The Events section's activity: the namespace's recent Kubernetes events (the sensors' TriggerSucceeded /
 * TriggerFailed results, the pods' scheduling and starts), the workflows the triggers created (upstream's
 * `events.argoproj.io/sensor` / `…/trigger` labels) and the logs of an EventSource's or Sensor's pods
 * (argo-server's `/api/v1/stream/{event-sources|sensors}/{ns}/logs`, as upstream's UI reads them).
 */
import { useEffect, useRef, useState } from 'react';
import { stream } from '../api';
import { Link } from '../router';
import { PhaseStatus } from '../icons';
import { SENSOR_LABEL, TRIGGER_LABEL, type Triggered } from '../../../src/lib/events.js';

export interface KEvent {
  metadata: { name: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
  involvedObject?: { kind?: string; name?: string };
}
const when = (e: KEvent) => String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '');

/** The namespace's Kubernetes events, live, newest first. */
export function useNamespaceEvents(ns: string): [KEvent[], string] {
  const [items, setItems] = useState<KEvent[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    const seen = new Map<string, KEvent>();
    setItems([]);
    return stream(`api/v1/stream/events/${encodeURIComponent(ns)}`, (ev: KEvent) => {
      if (!ev?.metadata?.name) return;
      seen.set(ev.metadata.name, ev);
      setItems([...seen.values()].sort((a, b) => when(b).localeCompare(when(a))));
    }, (s, err) => setError(s === 'reconnecting' && err ? err : ''));
  }, [ns]);
  return [items, error];
}

/** The workflows the namespace's sensors created, live. */
export function useTriggered(ns: string): Triggered[] {
  const [items, setItems] = useState<Triggered[]>([]);
  useEffect(() => {
    const m = new Map<string, Triggered>();
    setItems([]);
    const q = new URLSearchParams({ 'listOptions.labelSelector': SENSOR_LABEL });
    return stream(`api/v1/workflow-events/${encodeURIComponent(ns)}?${q}`, (r) => {
      const o = r?.object;
      if (!o?.metadata?.name) return;
      if (r.type === 'DELETED') m.delete(o.metadata.name);
      else m.set(o.metadata.name, o);
      setItems([...m.values()]);
    });
  }, [ns]);
  return items;
}

export function EventsTable({ items, label, max = 30 }: { items: KEvent[]; label: string; max?: number }) {
  if (items.length === 0) return <div className="empty">No events yet.</div>;
  return (
    <table className="grid" aria-label={label}>
      <thead><tr><th>Last seen</th><th>Object</th><th>Type</th><th>Reason</th><th>Message</th><th>Count</th></tr></thead>
      <tbody>{items.slice(0, max).map((e) => (
        <tr key={e.metadata.name}><td>{when(e)}</td><td>{e.involvedObject?.kind} {e.involvedObject?.name}</td><td>{e.type === 'Warning' ? '⚠ Warning' : e.type}</td><td>{e.reason}</td><td>{e.message}</td><td>{e.count ?? 1}</td></tr>
      ))}</tbody>
    </table>
  );
}

export function TriggeredTable({ items, sensor }: { items: Triggered[]; sensor?: string }) {
  const l = items.filter((w) => !sensor || w.metadata.labels?.[SENSOR_LABEL] === sensor).sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')));
  if (l.length === 0) return <div className="empty">No workflows triggered yet.</div>;
  return (
    <table className="grid" aria-label="Triggered workflows">
      <thead><tr><th>Workflow</th><th>Sensor</th><th>Trigger</th><th>Phase</th><th>Created</th></tr></thead>
      <tbody>{l.slice(0, 20).map((w) => (
        <tr key={w.metadata.name}><td><Link to={`workflows/${w.metadata.namespace}/${w.metadata.name}`}>{w.metadata.name}</Link></td><td>{w.metadata.labels?.[SENSOR_LABEL]}</td><td>{w.metadata.labels?.[TRIGGER_LABEL]}</td><td><PhaseStatus value={w.status?.phase || 'Pending'} /></td><td>{w.metadata.creationTimestamp}</td></tr>
      ))}</tbody>
    </table>
  );
}

/** The logs of an EventSource's or Sensor's pods, followed. */
export function ObjectLogs({ ns, kind, name }: { ns: string; kind: string; name: string }) {
  const [lines, setLines] = useState<{ time?: string; level?: string; msg?: string }[]>([]);
  const [state, setState] = useState('');
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setLines([]);
    const acc: typeof lines = [];
    const q = new URLSearchParams({ name, 'podLogOptions.follow': 'true', 'podLogOptions.tailLines': '200' });
    return stream(`api/v1/stream/${kind === 'Sensor' ? 'sensors' : 'event-sources'}/${encodeURIComponent(ns)}/logs?${q}`, (r) => {
      if (!r || typeof r.msg !== 'string') return;
      acc.push(r);
      setLines([...acc]);
    }, (s, err) => setState(s === 'reconnecting' ? `stream ended${err ? `: ${err}` : ''}` : ''), { reconnect: false });
  }, [ns, kind, name]);
  useEffect(() => {
    box.current?.scrollTo(0, box.current.scrollHeight);
  }, [lines]);
  return (
    <>
      {state && <div className="muted" role="status">{state}</div>}
      <div className="logs" ref={box} role="log" aria-label={`Logs of ${kind} ${name}`} tabIndex={0}>
        {lines.length === 0 ? <span style={{ opacity: 0.6 }}>No log lines yet.</span> : lines.map((l, i) => <div key={i}>{[l.time, l.level, l.msg].filter(Boolean).join(' ')}</div>)}
      </div>
    </>
  );
}
