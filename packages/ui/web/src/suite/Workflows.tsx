/** Workflows section (shell): the workflows list from argo-server, live from its watch stream. */
import { useEffect, useState } from 'react';
import { api, ApiError, stream } from '../api';
import { PhaseStatus } from '../icons';

export default function Workflows() {
  const [ns, setNs] = useState('argo');
  const [items, setItems] = useState<Map<string, any>>(new Map());
  const [error, setError] = useState('');
  const [available, setAvailable] = useState<boolean>();
  useEffect(() => {
    api('GET', 'api/v1/info').then((i) => {
      setAvailable(true);
      if (i?.managedNamespace) setNs(i.managedNamespace);
    }, (e) => {
      if (e instanceof ApiError && e.status === 404) setAvailable(false);
      else setError(e.message);
    });
  }, []);
  useEffect(() => {
    if (!available || !ns) return;
    const m = new Map<string, any>();
    api('GET', `api/v1/workflows/${encodeURIComponent(ns)}`).then((r) => {
      for (const w of r.items ?? []) m.set(w.metadata.uid, w);
      setItems(new Map(m));
    }, (e) => setError(e.message));
    return stream(`api/v1/workflow-events/${encodeURIComponent(ns)}`, (r) => {
      if (!r?.object?.metadata) return;
      if (r.type === 'DELETED') m.delete(r.object.metadata.uid);
      else m.set(r.object.metadata.uid, r.object);
      setItems(new Map(m));
    });
  }, [available, ns]);
  return (
    <>
      <div className="toolbar"><h1>Workflows</h1><label>Namespace <input type="text" value={ns} onChange={(e) => setNs(e.target.value)} placeholder="namespace" /></label></div>
      {available === false && <div className="banner warn" role="status">The Workflows API is not served here: open argo-server (port 2746), which serves this UI on the Workflows section.</div>}
      {error && <div className="banner error" role="alert">{error}</div>}
      {available && (
        <table className="grid" aria-label="Workflows">
          <thead><tr><th>Name</th><th>Namespace</th><th>Phase</th><th>Progress</th><th>Started</th><th>Finished</th></tr></thead>
          <tbody>
            {[...items.values()].sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp))).map((w) => (
              <tr key={w.metadata.uid}><td>{w.metadata.name}</td><td>{w.metadata.namespace}</td><td><PhaseStatus value={w.status?.phase ?? 'Pending'} /></td><td>{w.status?.progress}</td><td>{w.status?.startedAt}</td><td>{w.status?.finishedAt}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
