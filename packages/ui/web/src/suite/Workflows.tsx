/**
 * Workflows section (argo-server): the workflows list live from the watch stream, a workflow's page
 * (graph, node panel, actions), WorkflowTemplates (submit with a parameters form), CronWorkflows
 * (suspend/resume), the archive and the user's page (user info, the argo CLI login).
 * Routes: workflows[/templates|/cluster-templates[/<name>]|/cron|/archive|/user|/<ns>/<name>].
 */
import { useEffect, useState } from 'react';
import { api, ApiError, stream } from '../api';
import { Link } from '../router';
import { PhaseStatus } from '../icons';
import { duration, matchesLabels, shownLabels } from '../../../src/lib/wfgraph.js';
import { isFresher } from '../../../src/lib/fresh.js';
import { WorkflowDetails } from '../wf/WorkflowDetails';
import { Templates, CronWorkflows, Archive } from '../wf/Lists';
import { UserInfo } from '../wf/UserInfo';
import { ClusterTemplates, ClusterTemplateDetails } from '../wf/ClusterTemplates';

const TABS = [['', 'Workflows'], ['templates', 'Templates'], ['cluster-templates', 'Cluster templates'], ['cron', 'Cron workflows'], ['archive', 'Archive'], ['user', 'User']] as const;

export default function Workflows({ parts = [] }: { parts?: string[] }) {
  const [ns, setNs] = useState(() => localStorage.getItem('flotilla.wf.ns') ?? 'argo');
  const [available, setAvailable] = useState<boolean>();
  const [error, setError] = useState('');
  useEffect(() => {
    api('GET', 'api/v1/info').then((i) => {
      setAvailable(true);
      if (i?.managedNamespace) setNs(i.managedNamespace);
    }, (e) => {
      if (e instanceof ApiError && e.status === 404) setAvailable(false);
      else setError(e.message);
    });
  }, []);
  const setNamespace = (v: string) => {
    setNs(v);
    localStorage.setItem('flotilla.wf.ns', v);
  };
  // workflows/cluster-templates/<name> (a namespace named cluster-templates is shadowed here)
  if (parts.length >= 3 && parts[1] === 'cluster-templates') return <ClusterTemplateDetails name={decodeURIComponent(parts[2]!)} ns={ns} />;
  if (parts.length >= 3) return <WorkflowDetails ns={decodeURIComponent(parts[1]!)} name={decodeURIComponent(parts[2]!)} />;
  const tab = parts[1] ?? '';
  const title = TABS.find(([p]) => p === tab)?.[1] ?? 'Workflows';
  return (
    <>
      <div className="toolbar">
        <h1>{title}</h1>
        <label>Namespace <input type="text" value={ns} onChange={(e) => setNamespace(e.target.value)} placeholder="namespace" /></label>
      </div>
      <nav className="tabs" aria-label="Workflows pages">
        {TABS.map(([p, l]) => <Link key={p} to={p ? `workflows/${p}` : 'workflows'} aria-current={tab === p ? 'page' : undefined} className="tab">{l}</Link>)}
      </nav>
      {available === false && <div className="banner warn" role="status">The Workflows API is not served here: open argo-server (port 2746), which serves this UI on the Workflows section.</div>}
      {error && <div className="banner error" role="alert">{error}</div>}
      {available && ns && (tab === 'templates' ? <Templates ns={ns} /> : tab === 'cluster-templates' ? <ClusterTemplates ns={ns} /> : tab === 'cron' ? <CronWorkflows ns={ns} /> : tab === 'archive' ? <Archive ns={ns} /> : tab === 'user' ? <UserInfo ns={ns} /> : <WorkflowList ns={ns} />)}
    </>
  );
}

function WorkflowList({ ns }: { ns: string }) {
  const [items, setItems] = useState<Map<string, any>>(new Map());
  const [error, setError] = useState('');
  const [streamState, setStreamState] = useState('');
  const [phase, setPhase] = useState('');
  const [labels, setLabels] = useState('');
  useEffect(() => {
    const m = new Map<string, any>();
    const gone = new Set<string>();
    setItems(new Map());
    setError('');
    api('GET', `api/v1/workflows/${encodeURIComponent(ns)}`).then((r) => {
      // (the stream may already have delivered a newer copy, or a deletion: the list's older copy waits for the stream)
      for (const w of r.items ?? []) if (!gone.has(w.metadata.uid) && isFresher(m.get(w.metadata.uid), w)) m.set(w.metadata.uid, w);
      setItems(new Map(m));
    }, (e) => setError(e.message));
    return stream(`api/v1/workflow-events/${encodeURIComponent(ns)}`, (r) => {
      if (!r?.object?.metadata) return;
      const uid = r.object.metadata.uid;
      if (r.type === 'DELETED') {
        m.delete(uid);
        gone.add(uid);
      } else if (isFresher(m.get(uid), r.object)) m.set(uid, r.object);
      setItems(new Map(m));
    }, (s, err) => setStreamState(s === 'reconnecting' ? `The live stream was lost${err ? ` (${err})` : ''}; reconnecting…` : ''));
  }, [ns]);
  const all = [...items.values()];
  const phases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error'];
  const shown = all.filter((w) => (!phase || (w.status?.phase ?? 'Pending') === phase) && matchesLabels(w.metadata.labels, labels)).sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
  return (
    <>
      <div className="toolbar">
        <label>Phase <select value={phase} onChange={(e) => setPhase(e.target.value)}>
          <option value="">all ({all.length})</option>
          {phases.map((p) => <option key={p} value={p}>{p} ({all.filter((w) => (w.status?.phase ?? 'Pending') === p).length})</option>)}
        </select></label>
        <label>Labels <input type="text" value={labels} onChange={(e) => setLabels(e.target.value)} placeholder="key=value,key" /></label>
        <span className="muted" role="status">{shown.length} of {all.length}</span>
      </div>
      {streamState && <div className="banner warn" role="status">{streamState}</div>}
      {error && <div className="banner error" role="alert">{error}</div>}
      <table className="grid" aria-label="Workflows">
        <thead><tr><th>Name</th><th>Namespace</th><th>Phase</th><th>Progress</th><th>Started</th><th>Finished</th><th>Duration</th><th>Labels</th></tr></thead>
        <tbody>
          {shown.map((w) => (
            <tr key={w.metadata.uid}>
              <td><Link to={`workflows/${encodeURIComponent(w.metadata.namespace)}/${encodeURIComponent(w.metadata.name)}`}>{w.metadata.name}</Link></td>
              <td>{w.metadata.namespace}</td><td><PhaseStatus value={w.status?.phase ?? 'Pending'} /></td><td>{w.status?.progress}</td><td>{w.status?.startedAt}</td><td>{w.status?.finishedAt}</td><td>{duration(w.status?.startedAt, w.status?.finishedAt)}</td>
              <td className="labels">{shownLabels(w.metadata.labels).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
