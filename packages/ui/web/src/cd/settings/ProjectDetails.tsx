/**
 * A project's page (`/settings/projects/<name>`), as upstream's project details: its summary, the
 * applications in it, the repositories and clusters scoped to it (`GET /api/v1/projects/{name}/detailed`)
 * and its Kubernetes events (`GET /api/v1/projects/{name}/events`, re-read every 5 s); EDIT opens the form.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { destText, type ProjectSpec } from '../../../../src/lib/project.js';
import { api } from '../../api';
import { Link } from '../../router';
import { Table } from './common';

interface Project { metadata: { name: string; resourceVersion?: string }; spec?: ProjectSpec }

export function ProjectDetails({ name, edit }: { name: string; edit: (p: Project, done: () => void) => ReactNode }) {
  const [d, setD] = useState<{ project: Project; repositories?: any[]; clusters?: any[] }>();
  const [apps, setApps] = useState<any[]>();
  const [events, setEvents] = useState<any[]>();
  const [error, setError] = useState('');
  const [eventsError, setEventsError] = useState('');
  const [editing, setEditing] = useState(false);
  const [tick, setTick] = useState(0);
  const p = encodeURIComponent(name);
  useEffect(() => {
    setError('');
    api('GET', `api/v1/projects/${p}/detailed`).then(setD, (e) => setError(e.message));
    api('GET', `api/v1/applications?projects=${p}`).then((r) => setApps(r.items ?? []), () => setApps([]));
  }, [name, tick]);
  useEffect(() => {
    const load = () => api('GET', `api/v1/projects/${p}/events`).then((r) => { setEvents(r.items ?? []); setEventsError(''); }, (e) => setEventsError(e.message));
    void load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [name, tick]);
  if (error) return <div className="banner error" role="alert">{error}</div>;
  if (!d) return <div className="muted" role="status">Loading {name}…</div>;
  const spec = d.project.spec ?? {};
  const sorted = [...(events ?? [])].sort((a, b) => String(b.lastTimestamp ?? b.eventTime ?? '').localeCompare(String(a.lastTimestamp ?? a.eventTime ?? '')));
  return (
    <>
      <div className="toolbar">
        <Link to="settings/projects" aria-label="Back to projects">←</Link>
        <h2 style={{ margin: 0 }}>Project {name}</h2>
        <button className="primary" onClick={() => setEditing(true)}>Edit</button>
      </div>
      <dl className="kv" aria-label="Project summary">
        <dt>Description</dt><dd>{spec.description || '—'}</dd>
        <dt>Source repositories</dt><dd>{(spec.sourceRepos ?? []).join(', ') || '—'}</dd>
        <dt>Destinations</dt><dd>{(spec.destinations ?? []).map(destText).join(', ') || '—'}</dd>
        <dt>Roles</dt><dd>{(spec.roles ?? []).map((r) => r.name).join(', ') || '—'}</dd>
        <dt>Sync windows</dt><dd>{(spec.syncWindows ?? []).map((w) => `${w.kind} ${w.schedule} for ${w.duration}`).join('; ') || '—'}</dd>
      </dl>
      <h3>Applications</h3>
      <Table label="Applications of the project" head={['Name', 'Namespace', 'Sync', 'Health']} error="" empty="No applications in this project."
        rows={apps?.map((a) => [<Link to={`applications/${a.metadata.namespace}/${a.metadata.name}`}>{a.metadata.name}</Link>, a.spec?.destination?.namespace ?? '', a.status?.sync?.status ?? '', a.status?.health?.status ?? ''])} />
      <h3>Scoped repositories</h3>
      <Table label="Scoped repositories" head={['Type', 'Name', 'Repository', 'Connection']} error="" empty="No repositories scoped to this project (connect one with this project set)."
        rows={(d.repositories ?? []).map((r) => [r.type ?? 'git', r.name ?? '', r.repo, `${r.connectionState?.status ?? ''} ${r.connectionState?.message ?? ''}`.trim()])} />
      <h3>Scoped clusters</h3>
      <Table label="Scoped clusters" head={['Name', 'Server', 'Namespaces']} error="" empty="No clusters scoped to this project (add one with this project set)."
        rows={(d.clusters ?? []).map((c) => [c.name, c.server, (c.namespaces ?? []).join(', ') || 'all'])} />
      <h3>Events</h3>
      <Table label="Project events" head={['Type', 'Reason', 'Message', 'Count', 'Last seen']} error={eventsError} empty="No events."
        rows={events && sorted.map((e) => [e.type, e.reason, e.message, String(e.count ?? 1), e.lastTimestamp ?? e.eventTime ?? ''])} />
      {editing && edit(d.project, () => { setEditing(false); setTick((t) => t + 1); })}
    </>
  );
}
