/**
 * An application's page: status summary, SYNC / REFRESH / HARD REFRESH / HISTORY AND ROLLBACK / APP DIFF /
 * DELETE, the resource tree (elkjs) or a list, and a resource's panel — live from the stream API.
 */
import { useEffect, useMemo, useState } from 'react';
import { buildGraph, resKey, type GraphNode, type TreeNode } from '../../../src/lib/tree.js';
import { buildNetworkGraph, type NetTreeNode } from '../../../src/lib/network.js';
import { api, stream, type StreamState } from '../api';
import { HealthStatus, PhaseStatus, SyncStatus } from '../icons';
import { Link, navigate } from '../router';
import { Drawer } from './Drawer';
import { EditApp } from './EditApp';
import { ResourcePanel } from './ResourcePanel';
import { SyncDialog } from './SyncDialog';
import { TreeView } from './TreeView';
import { DiffView, useYaml } from './Yaml';
import type { Application } from './types';

export default function AppDetails({ namespace, name, query }: { namespace: string; name: string; query: URLSearchParams }) {
  const [app, setApp] = useState<Application>();
  const [gone, setGone] = useState(false);
  const [tree, setTree] = useState<TreeNode[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState('');
  const [dialog, setDialog] = useState<'' | 'sync' | 'history' | 'delete' | 'diff' | 'edit'>('');
  const [selected, setSelected] = useState<GraphNode>();
  const view = query.get('view') === 'list' ? 'list' : query.get('view') === 'network' ? 'network' : 'tree';
  const appQ = `appNamespace=${encodeURIComponent(namespace)}`;
  const base = `api/v1/applications/${encodeURIComponent(name)}`;
  useEffect(() => {
    api<Application>('GET', `${base}?${appQ}`).then(setApp, (e) => setError(e.message));
    const s1 = stream(`api/v1/stream/applications?name=${encodeURIComponent(name)}&${appQ}`, (r) => {
      if (r.type === 'DELETED') setGone(true);
      else if (r.application) setApp(r.application);
    }, (s) => setState(s));
    const s2 = stream(`api/v1/stream/applications/${encodeURIComponent(name)}/resource-tree?${appQ}`, (r) => setTree(r.nodes ?? []));
    return () => {
      s1();
      s2();
    };
  }, [namespace, name]);
  const graph = useMemo(() => (app ? buildGraph({ name, health: app.status?.health?.status, sync: app.status?.sync?.status }, tree, app.status?.resources ?? []) : undefined), [app, tree]);
  const network = useMemo(() => (view === 'network' ? buildNetworkGraph(tree as NetTreeNode[], new Map((app?.status?.resources ?? []).map((r) => [resKey(r), r.status ?? '']))) : undefined), [view, tree, app]);
  const live = graph?.nodes.find((n) => n.id === selected?.id) ?? selected;
  const refresh = async (kind: 'normal' | 'hard') => {
    setError('');
    await api('GET', `${base}?refresh=${kind}&${appQ}`).catch((e) => setError(`refresh: ${e.message}`));
  };
  if (gone) return <div className="empty">Application {name} was deleted. <button onClick={() => navigate('applications')}>Back to applications</button></div>;
  if (!app) return error ? <div className="banner error" role="alert">{error}</div> : <div className="empty" role="status">Loading {name}…</div>;
  const op = app.status?.operationState;
  const running = op && (op.phase === 'Running' || op.phase === 'Terminating');
  return (
    <>
      <div className="toolbar">
        <button onClick={() => navigate('applications')} aria-label="Back to applications">←</button>
        <h1>{name}</h1>
        <button className="primary" onClick={() => setDialog('sync')}>Sync</button>
        <button onClick={() => refresh('normal')}>Refresh</button>
        <button onClick={() => refresh('hard')}>Hard refresh</button>
        <button onClick={() => setDialog('edit')}>Details</button>
        <button onClick={() => setDialog('diff')}>App diff</button>
        <button onClick={() => setDialog('history')}>History and rollback</button>
        {app.spec?.destination?.namespace && <Link to={`pipeline?ns=${encodeURIComponent(app.spec.destination.namespace)}`} title="The delivery pipeline into this app's namespace">Pipeline</Link>}
        {running && <button onClick={() => api('DELETE', `${base}/operation?${appQ}`).catch((e) => setError(e.message))}>Terminate</button>}
        <button className="danger" onClick={() => setDialog('delete')}>Delete</button>
        <div className="grow" />
        <div role="group" aria-label="View">
          <button aria-pressed={view === 'tree'} onClick={() => navigate(`applications/${namespace}/${name}`, { replace: true })}>Tree</button>{' '}
          <button aria-pressed={view === 'network'} onClick={() => navigate(`applications/${namespace}/${name}?view=network`, { replace: true })}>Network</button>{' '}
          <button aria-pressed={view === 'list'} onClick={() => navigate(`applications/${namespace}/${name}?view=list`, { replace: true })}>List</button>
        </div>
      </div>
      {state === 'reconnecting' && <div className="banner warn" role="status">The live connection was lost; reconnecting…</div>}
      {error && <div className="banner error" role="alert">{error}</div>}
      {app.metadata.deletionTimestamp && <div className="banner warn" role="status">Being deleted…</div>}
      {(app.status?.conditions ?? []).map((c, i) => <div key={i} className={`banner ${/Error/.test(c.type) ? 'error' : 'warn'}`}>{c.type}: {c.message}</div>)}
      <div className="summary" role="region" aria-label="Application status">
        <section data-testid="app-health"><h2>App health</h2><div className="big"><HealthStatus value={app.status?.health?.status} /></div>{app.status?.health?.message && <div className="muted">{app.status.health.message}</div>}</section>
        <section data-testid="app-sync"><h2>Sync status</h2><div className="big"><SyncStatus value={app.status?.sync?.status} /></div><div className="muted">to {app.spec.source?.targetRevision || 'HEAD'}{app.status?.sync?.revision ? ` (${app.status.sync.revision.slice(0, 7)})` : ''}</div></section>
        <section data-testid="app-operation"><h2>Last sync</h2>{op ? <><div className="big"><PhaseStatus value={op.phase} /></div><div className="muted" style={{ maxWidth: 420 }}>{op.message}</div><div className="muted">{op.finishedAt ?? op.startedAt}</div></> : <div className="muted">never synced</div>}</section>
        <section><h2>Source</h2><div>{app.spec.source?.repoURL}</div><div className="muted">{app.spec.source?.path ?? app.spec.source?.chart}</div></section>
        <section><h2>Destination</h2><div>{app.spec.destination?.server ?? app.spec.destination?.name}</div><div className="muted">{app.spec.destination?.namespace}</div></section>
      </div>
      {graph && view === 'tree' && <TreeView graph={graph} onSelect={setSelected} />}
      {network && (network.nodes.length === 0 ? <div className="empty">No Services, Ingresses or Pods with networking information in this app.</div> : <TreeView graph={network} onSelect={(n) => n.kind !== 'Internet' && setSelected(n)} label="Network" />)}
      {graph && view === 'list' && (
        <table className="grid" aria-label="Resources">
          <thead><tr><th>Kind</th><th>Name</th><th>Namespace</th><th>Health</th><th>Sync</th></tr></thead>
          <tbody>
            {graph.nodes.filter((n) => !n.root).map((n) => (
              <tr key={n.id} className="clickable" onClick={() => setSelected(n)}>
                <td>{n.kind}</td><td><button className="linkish" onClick={() => setSelected(n)}>{n.name}</button></td><td>{n.namespace}</td><td>{n.health ? <HealthStatus value={n.health} /> : ''}</td><td>{n.sync ? <SyncStatus value={n.sync} /> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {live && <ResourcePanel app={app} node={live} onClose={() => setSelected(undefined)} />}
      {dialog === 'sync' && <SyncDialog app={app} onClose={() => setDialog('')} />}
      {dialog === 'history' && <History app={app} base={base} appQ={appQ} onClose={() => setDialog('')} />}
      {dialog === 'delete' && <DeleteDialog app={app} base={base} appQ={appQ} onClose={() => setDialog('')} />}
      {dialog === 'edit' && <EditApp app={app} onClose={() => setDialog('')} />}
      {dialog === 'diff' && <AppDiff base={base} appQ={appQ} onClose={() => setDialog('')} />}
    </>
  );
}

function History({ app, base, appQ, onClose }: { app: Application; base: string; appQ: string; onClose: () => void }) {
  const [error, setError] = useState('');
  const [done, setDone] = useState('');
  const items = [...(app.status?.history ?? [])].reverse();
  const auto = !!app.spec.syncPolicy?.automated;
  const rollback = async (id: number) => {
    if (!confirm(`Roll back ${app.metadata.name} to deployment ${id}?`)) return;
    setError('');
    try {
      await api('POST', `${base}/rollback?${appQ}`, { id, prune: false });
      setDone(`Rollback to ${id} started.`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Drawer title="History and rollback" onClose={onClose}>
      {auto && <div className="banner warn">Rollback is disabled while automated sync is on.</div>}
      {error && <div className="banner error" role="alert">{error}</div>}
      {done && <div className="banner" role="status">{done}</div>}
      {items.length === 0 ? <div className="empty">No deployments yet.</div> : (
        <table className="grid" aria-label="Deployment history">
          <thead><tr><th>ID</th><th>Revision</th><th>Deployed at</th><th>Initiated by</th><th /></tr></thead>
          <tbody>
            {items.map((h, i) => (
              <tr key={h.id} data-history-id={h.id}>
                <td>{h.id}</td><td><code>{h.revision?.slice(0, 10)}</code></td><td>{h.deployedAt}</td><td>{h.initiatedBy?.automated ? 'automated' : h.initiatedBy?.username ?? ''}</td>
                <td>{i === 0 ? <span className="muted">current</span> : <button disabled={auto} onClick={() => rollback(h.id)}>Rollback</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Drawer>
  );
}

function DeleteDialog({ app, base, appQ, onClose }: { app: Application; base: string; appQ: string; onClose: () => void }) {
  const [typed, setTyped] = useState('');
  const [policy, setPolicy] = useState<'foreground' | 'background' | 'non-cascading'>('foreground');
  const [error, setError] = useState('');
  const del = async () => {
    try {
      const q = policy === 'non-cascading' ? 'cascade=false' : `cascade=true&propagationPolicy=${policy}`;
      await api('DELETE', `${base}?${q}&${appQ}`);
      navigate('applications');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Drawer title={`Delete ${app.metadata.name}`} onClose={onClose}>
      <div className="form">
        <p>Deleting the application {policy === 'non-cascading' ? 'leaves its resources in the cluster' : 'deletes its resources too'}.</p>
        <fieldset style={{ border: 0, padding: 0 }}>
          <legend>Propagation policy</legend>
          {(['foreground', 'background', 'non-cascading'] as const).map((p) => <label key={p} className="check"><input type="radio" name="policy" checked={policy === p} onChange={() => setPolicy(p)} /> {p}</label>)}
        </fieldset>
        <label><span>Type the application's name to confirm</span><input type="text" value={typed} onChange={(e) => setTyped(e.target.value)} /></label>
        {error && <div className="banner error" role="alert">{error}</div>}
        <div><button className="danger" disabled={typed !== app.metadata.name} onClick={del}>Delete</button></div>
      </div>
    </Drawer>
  );
}

function AppDiff({ base, appQ, onClose }: { base: string; appQ: string; onClose: () => void }) {
  const [items, setItems] = useState<any[]>();
  const [mode, setMode] = useState<'inline' | 'split'>('split');
  const [error, setError] = useState('');
  useEffect(() => {
    api('GET', `${base}/managed-resources?${appQ}`).then((r) => setItems(r.items ?? []), (e) => setError(e.message));
  }, []);
  return (
    <Drawer title="Differences (live ⟶ desired)" onClose={onClose} actions={<><button aria-pressed={mode === 'split'} onClick={() => setMode('split')}>Side by side</button><button aria-pressed={mode === 'inline'} onClick={() => setMode('inline')}>Inline</button></>}>
      {error && <div className="banner error" role="alert">{error}</div>}
      {!items ? <div className="muted" role="status">Loading…</div> : items.map((m, i) => <OneDiff key={i} m={m} mode={mode} />)}
    </Drawer>
  );
}

function OneDiff({ m, mode }: { m: any; mode: 'inline' | 'split' }) {
  const live = useYaml(m.normalizedLiveState || m.liveState || null);
  const want = useYaml(m.predictedLiveState || m.targetState || null);
  if (live === undefined || want === undefined || live === want) return null;
  return (
    <section style={{ marginBottom: 16 }}>
      <h3 style={{ fontSize: 14 }}>{m.kind}/{m.name}</h3>
      <DiffView left={live} right={want} mode={mode} />
    </section>
  );
}
