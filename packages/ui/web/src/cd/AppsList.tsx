/** The applications list: tiles or a table, filters with counts (kept in the URL), live from the stream. */
import { useDeferredValue, useMemo, useState } from 'react';
import { counts, filterApps, filterFromQuery, filterToQuery, syncOf, healthOf, projectOf, clusterOf, namespaceOf, type AppFilter } from '../../../src/lib/apps.js';
import { api } from '../api';
import { HealthStatus, SyncStatus } from '../icons';
import { Link, navigate } from '../router';
import { useApps } from './useApps';
import { CreateApp } from './CreateApp';
import { SyncDialog } from './SyncDialog';
import type { Application } from './types';

const PAGE = 100;
const detailsPath = (a: Application) => `applications/${a.metadata.namespace}/${a.metadata.name}`;

function FilterBox({ title, name, values, selected, onChange }: { title: string; name: keyof AppFilter; values: Map<string, number>; selected: string[]; onChange: (k: keyof AppFilter, v: string[]) => void }) {
  if (values.size === 0) return null;
  return (
    <fieldset>
      <legend>{title}</legend>
      {[...values.entries()].sort().map(([v, n]) => (
        <label key={v}>
          <input type="checkbox" checked={selected.includes(v)} onChange={(e) => onChange(name, e.target.checked ? [...selected, v] : selected.filter((x) => x !== v))} />
          <span>{v || '(none)'}</span>
          <span className="count">{n}</span>
        </label>
      ))}
    </fieldset>
  );
}

export default function AppsList({ query }: { query: URLSearchParams }) {
  const { apps, state, error, loaded } = useApps();
  const filter = filterFromQuery(query);
  const view = query.get('view') === 'list' ? 'list' : 'tiles';
  const [search, setSearch] = useState(filter.search ?? '');
  const deferred = useDeferredValue(search);
  const [syncing, setSyncing] = useState<Application>();
  // like upstream's pagination: a long list renders a page at a time (1,000 tiles cost seconds to render)
  const [limit, setLimit] = useState(PAGE);
  const [actionError, setActionError] = useState('');
  const setQuery = (f: AppFilter, v = view) => {
    const q = filterToQuery(f);
    if (v === 'list') q.set('view', 'list');
    if (query.get('new')) q.set('new', query.get('new')!);
    navigate(`applications${q.toString() ? `?${q}` : ''}`, { replace: true });
  };
  const shown = useMemo(() => filterApps(apps, { ...filter, search: deferred }), [apps, query.toString(), deferred]);
  const c = useMemo(() => counts(apps), [apps]);
  const change = (k: keyof AppFilter, v: string[]) => setQuery({ ...filter, search, [k]: v });
  const refresh = async (a: Application) => {
    setActionError('');
    await api('GET', `api/v1/applications/${encodeURIComponent(a.metadata.name)}?refresh=normal&appNamespace=${a.metadata.namespace}`).catch((e) => setActionError(`refresh ${a.metadata.name}: ${e.message}`));
  };
  const creating = query.get('new') === 'form' || query.get('new') === 'yaml';
  const closeCreate = () => {
    const q = new URLSearchParams(query);
    q.delete('new');
    navigate(`applications${q.toString() ? `?${q}` : ''}`, { replace: true });
  };
  return (
    <>
      <div className="toolbar">
        <h1>Applications</h1>
        <button className="primary" onClick={() => navigate(`applications?${new URLSearchParams({ ...Object.fromEntries(query), new: 'form' })}`)}>+ New app</button>
        <label className="sr-only" htmlFor="app-search">Search applications</label>
        <input id="app-search" type="search" placeholder="Search applications…" value={search} onChange={(e) => setSearch(e.target.value)} onBlur={() => setQuery({ ...filter, search })} style={{ width: 260 }} />
        <div className="grow" />
        <span className="muted" role="status" aria-live="polite">{shown.length} of {apps.length} applications</span>
        <div role="group" aria-label="View">
          <button aria-pressed={view === 'tiles'} onClick={() => setQuery({ ...filter, search }, 'tiles')}>Tiles</button>{' '}
          <button aria-pressed={view === 'list'} onClick={() => setQuery({ ...filter, search }, 'list')}>List</button>
        </div>
      </div>
      {state === 'reconnecting' && <div className="banner warn" role="status">The live connection was lost ({error ?? 'stream ended'}); reconnecting…</div>}
      {actionError && <div className="banner error" role="alert">{actionError}</div>}
      <div className="apps-page">
        <aside className="filters" aria-label="Filters">
          <FilterBox title="Sync status" name="sync" values={c.sync} selected={filter.sync ?? []} onChange={change} />
          <FilterBox title="Health status" name="health" values={c.health} selected={filter.health ?? []} onChange={change} />
          <FilterBox title="Projects" name="projects" values={c.projects} selected={filter.projects ?? []} onChange={change} />
          <FilterBox title="Clusters" name="clusters" values={c.clusters} selected={filter.clusters ?? []} onChange={change} />
          <FilterBox title="Namespaces" name="namespaces" values={c.namespaces} selected={filter.namespaces ?? []} onChange={change} />
          <fieldset>
            <legend>Labels</legend>
            <label className="sr-only" htmlFor="label-filter">Label selector (key=value, comma separated)</label>
            <input id="label-filter" type="text" placeholder="key=value" defaultValue={(filter.labels ?? []).join(',')} onBlur={(e) => change('labels', e.target.value.split(',').map((s) => s.trim()).filter(Boolean))} style={{ width: '100%' }} />
          </fieldset>
          <button onClick={() => { setSearch(''); setQuery({}); }}>Clear filters</button>
        </aside>
        <section aria-label="Applications">
          {!loaded ? (
            <div className="empty" role="status">Loading applications…</div>
          ) : apps.length === 0 ? (
            <div className="empty">No applications yet. <button className="primary" onClick={() => navigate('applications?new=form')}>Create application</button></div>
          ) : shown.length === 0 ? (
            <div className="empty">No applications match the filters.</div>
          ) : view === 'tiles' ? (
            <div className="tiles">
              {shown.slice(0, limit).map((a) => (
                <article key={`${a.metadata.namespace}/${a.metadata.name}`} className={`tile h-${healthOf(a)}`} data-app={a.metadata.name} onClick={(e) => { if ((e.target as HTMLElement).closest('button,a')) return; navigate(detailsPath(a)); }}>
                  <h2><Link to={detailsPath(a)}>{a.metadata.name}</Link></h2>
                  <dl className="kv">
                    <dt>Project</dt><dd>{projectOf(a)}</dd>
                    <dt>Status</dt><dd style={{ display: 'flex', gap: 10 }}><HealthStatus value={healthOf(a)} /><SyncStatus value={syncOf(a)} /></dd>
                    <dt>Repository</dt><dd>{a.spec.source?.repoURL}</dd>
                    <dt>Target</dt><dd>{a.spec.source?.targetRevision || 'HEAD'}</dd>
                    <dt>Path</dt><dd>{a.spec.source?.path ?? a.spec.source?.chart}</dd>
                    <dt>Destination</dt><dd>{clusterOf(a)}</dd>
                    <dt>Namespace</dt><dd>{namespaceOf(a)}</dd>
                  </dl>
                  <div className="actions">
                    <button onClick={() => setSyncing(a)}>Sync</button>
                    <button onClick={() => refresh(a)}>Refresh</button>
                  </div>
                </article>
              ))}
            </div>
          ) : (
            <table className="grid">
              <thead><tr><th>Name</th><th>Project</th><th>Health</th><th>Sync</th><th>Repository</th><th>Destination</th></tr></thead>
              <tbody>
                {shown.slice(0, limit).map((a) => (
                  <tr key={`${a.metadata.namespace}/${a.metadata.name}`} className="clickable" data-app={a.metadata.name} onClick={() => navigate(detailsPath(a))}>
                    <td><Link to={detailsPath(a)}>{a.metadata.name}</Link></td>
                    <td>{projectOf(a)}</td>
                    <td><HealthStatus value={healthOf(a)} /></td>
                    <td><SyncStatus value={syncOf(a)} /></td>
                    <td>{a.spec.source?.repoURL} {a.spec.source?.path}</td>
                    <td>{clusterOf(a)}/{namespaceOf(a)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {shown.length > limit && (
            <div style={{ display: 'flex', gap: 8, marginTop: 12, alignItems: 'center' }}>
              <span className="muted">Showing {limit} of {shown.length}</span>
              <button onClick={() => setLimit(limit + PAGE)}>Show {Math.min(PAGE, shown.length - limit)} more</button>
              <button onClick={() => setLimit(shown.length)}>Show all</button>
            </div>
          )}
        </section>
      </div>
      {creating && <CreateApp mode={query.get('new') as 'form' | 'yaml'} onClose={closeCreate} onCreated={(a) => navigate(detailsPath(a))} />}
      {syncing && <SyncDialog app={syncing} onClose={() => setSyncing(undefined)} />}
    </>
  );
}
