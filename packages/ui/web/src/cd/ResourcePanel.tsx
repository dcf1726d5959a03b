/** A resource's panel: summary, live manifest (with EDIT), desired manifest, diff, events, logs (follow, container) and actions. */
import { Fragment, useEffect, useRef, useState, type FormEvent } from 'react';
import { actionParameters, initialValues, type ResourceAction } from '../../../src/lib/actions.js';
import type { GraphNode } from '../../../src/lib/tree.js';
import { api, stream } from '../api';
import { HealthStatus, SyncStatus } from '../icons';
import { Drawer } from './Drawer';
import { LiveManifest } from './LiveManifest';
import { DiffView, YamlView, useYaml } from './Yaml';
import type { Application } from './types';

type Tab = 'summary' | 'live' | 'desired' | 'diff' | 'events' | 'logs' | 'actions';

interface Managed { group?: string; kind: string; namespace?: string; name: string; liveState?: string; targetState?: string; normalizedLiveState?: string; predictedLiveState?: string }

export function ResourcePanel({ app, node, onClose, initialTab = 'summary' }: { app: Application; node: GraphNode; onClose: () => void; initialTab?: Tab }) {
  const [tab, setTab] = useState<Tab>(initialTab);
  const [live, setLive] = useState<unknown>();
  const [managed, setManaged] = useState<Managed | null>();
  const [error, setError] = useState('');
  const appQ = `appNamespace=${encodeURIComponent(app.metadata.namespace ?? '')}`;
  const base = `api/v1/applications/${encodeURIComponent(app.metadata.name)}`;
  const isApp = node.root;
  const ref = new URLSearchParams({ namespace: node.namespace, resourceName: node.name, kind: node.kind, group: node.group, version: node.version ?? '' });
  useEffect(() => {
    setError('');
    if (isApp) {
      setLive(app);
      setManaged(null);
      return;
    }
    if (node.live) api('GET', `${base}/resource?${ref}&${appQ}`).then((r) => setLive(JSON.parse(r.manifest)), (e) => setError(e.message));
    else setLive(null);
    api('GET', `${base}/managed-resources?${new URLSearchParams({ kind: node.kind, name: node.name, namespace: node.namespace, group: node.group })}&${appQ}`).then((r) => setManaged(r.items?.[0] ?? null), (e) => setError(e.message));
  }, [node.id, app.metadata.resourceVersion, tab === 'live']); // the live manifest re-read when its tab opens
  const desiredYaml = useYaml(managed === undefined ? undefined : managed?.targetState ?? null);
  const normLive = useYaml(managed?.normalizedLiveState || managed?.liveState || null);
  const predicted = useYaml(managed?.predictedLiveState || managed?.targetState || null);
  const tabs: [Tab, string][] = isApp ? [['summary', 'Summary'], ['live', 'Manifest'], ['events', 'Events']] : [['summary', 'Summary'], ['live', 'Live manifest'], ['desired', 'Desired manifest'], ['diff', 'Diff'], ['events', 'Events'], ...(['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'].includes(node.kind) ? ([['logs', 'Logs']] as [Tab, string][]) : []), ...(node.live ? ([['actions', 'Actions']] as [Tab, string][]) : [])];
  return (
    <Drawer title={`${node.kind} ${node.name}`} onClose={onClose}>
      <div className="tabs" role="tablist">
        {tabs.map(([t, l]) => <button key={t} role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>{l}</button>)}
      </div>
      {error && <div className="banner error" role="alert">{error}</div>}
      {tab === 'summary' && (
        <dl className="kv">
          <dt>Kind</dt><dd>{node.group ? `${node.group}/` : ''}{node.kind}</dd>
          <dt>Name</dt><dd>{node.name}</dd>
          <dt>Namespace</dt><dd>{node.namespace || '—'}</dd>
          <dt>Health</dt><dd><HealthStatus value={node.health} /></dd>
          <dt>Sync</dt><dd>{node.sync ? <SyncStatus value={node.sync} /> : '—'}</dd>
          {(node.info ?? []).map((i) => <Fragment key={i.name}><dt>{i.name}</dt><dd>{i.value}</dd></Fragment>)}
        </dl>
      )}
      {tab === 'live' && <LiveManifest live={live} isApp={!!isApp} patchUrl={`${base}/resource?${ref}&${appQ}&patchType=${encodeURIComponent('application/merge-patch+json')}`} onSaved={setLive} />}
      {tab === 'desired' && <YamlView text={desiredYaml} label="Desired manifest" />}
      {tab === 'diff' && <ResourceDiff live={normLive} desired={predicted} />}
      {tab === 'events' && <Events base={base} appQ={appQ} node={node} />}
      {tab === 'logs' && <Logs base={base} appQ={appQ} node={node} />}
      {tab === 'actions' && <Actions base={base} appQ={appQ} node={node} />}
    </Drawer>
  );
}

function ResourceDiff({ live, desired }: { live?: string; desired?: string }) {
  const [mode, setMode] = useState<'inline' | 'split'>('split');
  const [compactView, setCompact] = useState(true);
  if (live === undefined || desired === undefined) return <div className="muted" role="status">Loading…</div>;
  return (
    <>
      <div className="toolbar">
        <button aria-pressed={mode === 'split'} onClick={() => setMode('split')}>Side by side</button>
        <button aria-pressed={mode === 'inline'} onClick={() => setMode('inline')}>Inline</button>
        <label className="check" style={{ display: 'flex', gap: 6 }}><input type="checkbox" checked={compactView} onChange={(e) => setCompact(e.target.checked)} /> Compact</label>
        <span className="muted">live ⟶ desired</span>
      </div>
      <DiffView left={live} right={desired} mode={mode} compactView={compactView} />
    </>
  );
}

function Events({ base, appQ, node }: { base: string; appQ: string; node: GraphNode }) {
  const [items, setItems] = useState<any[]>();
  const [error, setError] = useState('');
  useEffect(() => {
    const q = node.root ? '' : `resourceNamespace=${encodeURIComponent(node.namespace)}&resourceName=${encodeURIComponent(node.name)}&`;
    const load = () => api('GET', `${base}/events?${q}${appQ}`).then((r) => setItems(r.items ?? []), (e) => setError(e.message));
    void load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [node.id]);
  if (error) return <div className="banner error" role="alert">{error}</div>;
  if (!items) return <div className="muted" role="status">Loading…</div>;
  if (!items.length) return <div className="empty">No events.</div>;
  const sorted = [...items].sort((a, b) => String(b.lastTimestamp ?? b.eventTime ?? '').localeCompare(String(a.lastTimestamp ?? a.eventTime ?? '')));
  return (
    <table className="grid" aria-label="Events">
      <thead><tr><th>Type</th><th>Reason</th><th>Message</th><th>Count</th><th>Last seen</th></tr></thead>
      <tbody>{sorted.map((e, i) => <tr key={i}><td>{e.type}</td><td>{e.reason}</td><td>{e.message}</td><td>{e.count ?? 1}</td><td>{e.lastTimestamp ?? e.eventTime}</td></tr>)}</tbody>
    </table>
  );
}

function Logs({ base, appQ, node }: { base: string; appQ: string; node: GraphNode }) {
  const [lines, setLines] = useState<{ pod: string; content: string }[]>([]);
  const [follow, setFollow] = useState(true);
  const [container, setContainer] = useState('');
  const [containers, setContainers] = useState<string[]>([]);
  const [state, setState] = useState('');
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (node.kind !== 'Pod') return;
    api('GET', `${base}/resource?${new URLSearchParams({ namespace: node.namespace, resourceName: node.name, kind: 'Pod', group: '', version: 'v1' })}&${appQ}`)
      .then((r) => setContainers((JSON.parse(r.manifest).spec?.containers ?? []).map((c: any) => c.name)))
      .catch(() => {});
  }, [node.id]);
  useEffect(() => {
    setLines([]);
    const q = new URLSearchParams({ namespace: node.namespace, kind: node.kind, resourceName: node.name, group: node.group, follow: String(follow), tailLines: '1000', ...(container ? { container } : {}) });
    return stream(`${base}/logs?${q}&${appQ}`, (r) => {
      if (r.last) return;
      setLines((l) => [...l.slice(-4999), { pod: r.podName, content: r.content }]);
    }, (s, err) => setState(s === 'reconnecting' ? `reconnecting${err ? ` (${err})` : ''}…` : s === 'open' ? '' : 'connecting…'), { reconnect: follow });
  }, [node.id, follow, container]);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines.length]);
  return (
    <>
      <div className="toolbar">
        <label className="check" style={{ display: 'flex', gap: 6 }}><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow</label>
        {containers.length > 1 && (
          <label>Container <select value={container} onChange={(e) => setContainer(e.target.value)}><option value="">(default)</option>{containers.map((c) => <option key={c}>{c}</option>)}</select></label>
        )}
        <span className="muted" role="status">{state}</span>
      </div>
      <div className="logs" ref={box} role="log" aria-label="Logs" tabIndex={0}>
        {lines.length === 0 ? <span style={{ opacity: 0.6 }}>No log lines yet.</span> : lines.map((l, i) => <div key={i}><span className="pod">{l.pod}</span>{l.content}</div>)}
      </div>
    </>
  );
}

/**
 * Resource actions (built-in and argocd-cm's Lua ones): listed for the live object, run with POST
 * …/resource/actions/v2; an action with parameters asks for them first (defaults filled in).
 */
function Actions({ base, appQ, node }: { base: string; appQ: string; node: GraphNode }) {
  const [actions, setActions] = useState<ResourceAction[]>();
  const [error, setError] = useState('');
  const [done, setDone] = useState('');
  const [asking, setAsking] = useState<ResourceAction>();
  const [values, setValues] = useState<Record<string, string>>({});
  const ref = new URLSearchParams({ namespace: node.namespace, resourceName: node.name, kind: node.kind, group: node.group, version: node.version ?? '' });
  useEffect(() => {
    api('GET', `${base}/resource/actions?${ref}&${appQ}`).then((r) => setActions(r.actions ?? []), (e) => setError(e.message));
  }, [node.id]);
  const post = async (a: ResourceAction, params: { name: string; value: string }[]) => {
    setError('');
    setDone('');
    try {
      await api('POST', `${base}/resource/actions/v2?${appQ}`, { action: a.name, resourceName: node.name, namespace: node.namespace, kind: node.kind, group: node.group, version: node.version ?? '', ...(params.length ? { resourceActionParameters: params } : {}) });
      setAsking(undefined);
      setDone(`Ran ${a.name}${params.length ? ` (${params.map((p) => `${p.name}=${p.value}`).join(', ')})` : ''}.`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const choose = (a: ResourceAction) => {
    if (a.params?.length) {
      setError('');
      setDone('');
      setValues(initialValues(a));
      setAsking(a);
      return;
    }
    if (confirm(`Run ${a.name} on ${node.kind} ${node.name}?`)) void post(a, []);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!asking) return;
    const r = actionParameters(asking, values);
    if (r.error !== undefined) return setError(r.error);
    void post(asking, r.params);
  };
  if (error && !actions) return <div className="banner error" role="alert">{error}</div>;
  if (!actions) return <div className="muted" role="status">Loading…</div>;
  return (
    <>
      {done && <div className="banner" role="status">{done}</div>}
      {actions.length === 0 ? <div className="empty">No actions for a {node.kind}.</div> : (
        <div className="toolbar">{actions.map((a) => <button key={a.name} disabled={a.disabled} aria-haspopup={a.params?.length ? 'dialog' : undefined} onClick={() => choose(a)}>{a.displayName || a.name}{a.params?.length ? '…' : ''}</button>)}</div>
      )}
      {asking && (
        <form className="form sub-dialog" role="dialog" aria-label={`Run ${asking.name}`} onSubmit={submit} onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); setAsking(undefined); } }}>
          <h3 style={{ margin: 0 }}>Run {asking.displayName || asking.name} on {node.kind} {node.name}</h3>
          {(asking.params ?? []).map((p, i) => (
            <label key={p.name}><span>{p.name}{p.type ? ` (${p.type})` : ''}</span>
              <input type="text" inputMode={p.type === 'number' ? 'numeric' : undefined} autoFocus={i === 0} value={values[p.name] ?? ''} onChange={(e) => setValues((v) => ({ ...v, [p.name]: e.target.value }))} />
            </label>
          ))}
          <div style={{ display: 'flex', gap: 8 }}>
            <button className="primary" type="submit">Run</button>
            <button type="button" onClick={() => setAsking(undefined)}>Cancel</button>
          </div>
        </form>
      )}
      {error && <div className="banner error" role="alert">{error}</div>}
    </>
  );
}
