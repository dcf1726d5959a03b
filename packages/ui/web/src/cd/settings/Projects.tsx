/** Settings → Projects: AppProjects listed, created, edited (source repositories, destinations, resource allow/deny lists, roles, sync windows) and deleted; a project's page (ProjectDetails.tsx). */
import { useEffect, useState, type FormEvent } from 'react';
import { emptyRole, emptyWindow, projectForm, projectSpec, destText, type ProjectForm, type ProjectSpec, type RoleForm, type WindowForm } from '../../../../src/lib/project.js';
import { nextRuns } from '../../../../src/lib/cron.js';
import { api } from '../../api';
import { Drawer } from '../Drawer';
import { RoleTokens, type JwtToken } from './RoleTokens';
import { ProjectDetails } from './ProjectDetails';
import { Link } from '../../router';

interface Project { metadata: { name: string; resourceVersion?: string }; spec?: ProjectSpec }

export function Projects({ name }: { name?: string }) {
  if (name) return <ProjectDetails name={name} edit={(p, done) => <EditProject project={p} onClose={done} onDone={done} />} />;
  return <ProjectList />;
}

function ProjectList() {
  const [items, setItems] = useState<Project[]>();
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  const [editing, setEditing] = useState<Project | 'new'>();
  useEffect(() => {
    api('GET', 'api/v1/projects').then((r) => setItems(r.items ?? []), (e) => setError(e.message));
  }, [tick]);
  const remove = async (name: string) => {
    if (!confirm(`Delete project ${name}?`)) return;
    setError('');
    // the list is argocd-server's cache, which learns of the deletion from its watch: drop it here
    await api('DELETE', `api/v1/projects/${encodeURIComponent(name)}`).then(() => setItems((l) => l?.filter((p) => p.metadata.name !== name)), (e) => setError(e.message));
  };
  return (
    <>
      <div className="toolbar"><button className="primary" onClick={() => setEditing('new')}>+ New project</button></div>
      {error && <div className="banner error" role="alert">{error}</div>}
      {!items ? <div className="muted" role="status">Loading…</div> : !items.length ? <div className="empty">None yet.</div> : (
        <table className="grid" aria-label="Projects">
          <thead><tr><th>Name</th><th>Description</th><th>Source repositories</th><th>Destinations</th><th>Roles</th><th>Sync windows</th><th /><th /></tr></thead>
          <tbody>{items.map((p) => (
            <tr key={p.metadata.name}>
              <td><button className="link" onClick={() => setEditing(p)}>{p.metadata.name}</button></td>
              <td>{p.spec?.description}</td>
              <td>{(p.spec?.sourceRepos ?? []).join(', ')}</td>
              <td>{(p.spec?.destinations ?? []).map(destText).join(', ')}</td>
              <td>{(p.spec?.roles ?? []).map((r) => r.name).join(', ')}</td>
              <td>{(p.spec?.syncWindows ?? []).map((w) => `${w.kind} ${w.schedule} for ${w.duration}`).join('; ')}</td>
              <td><Link to={`settings/projects/${encodeURIComponent(p.metadata.name)}`} aria-label={`Details of project ${p.metadata.name}`}>Details</Link></td>
              <td><button className="danger" aria-label={`Delete project ${p.metadata.name}`} onClick={() => remove(p.metadata.name)}>Delete</button></td>
            </tr>
          ))}</tbody>
        </table>
      )}
      {editing && <EditProject project={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} onDone={() => { setEditing(undefined); setTick((t) => t + 1); }} />}
    </>
  );
}

const validSchedule = (s: string) => nextRuns({ schedule: s }, 1).error;

function EditProject({ project: initial, onClose, onDone }: { project?: Project; onClose: () => void; onDone: () => void }) {
  const [f, setF] = useState<ProjectForm>(() => projectForm(initial));
  // the project as last read: a role token changes it (its resourceVersion, the roles' jwtTokens)
  const [project, setProject] = useState(initial);
  const reread = async () => setProject(await api('GET', `api/v1/projects/${encodeURIComponent(initial!.metadata.name)}`));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof ProjectForm>(k: K, v: ProjectForm[K]) => setF((o) => ({ ...o, [k]: v }));
  const setRole = (i: number, k: keyof RoleForm, v: string) => set('roles', f.roles.map((r, j) => (j === i ? { ...r, [k]: v } : r)));
  const setWin = (i: number, k: keyof WindowForm, v: string | boolean) => set('windows', f.windows.map((w, j) => (j === i ? { ...w, [k]: v } : w)));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      const spec = projectSpec({ ...f, name: f.name.trim() }, project?.spec ?? {}, validSchedule);
      if (project) await api('PUT', `api/v1/projects/${encodeURIComponent(project.metadata.name)}`, { project: { metadata: { name: project.metadata.name, resourceVersion: project.metadata.resourceVersion }, spec } });
      else await api('POST', 'api/v1/projects', { project: { metadata: { name: f.name.trim() }, spec } });
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const text = (k: 'sourceRepos' | 'destinations' | 'clusterAllow' | 'clusterDeny' | 'namespaceAllow' | 'namespaceDeny', label: string, placeholder: string) => (
    <label><span>{label}</span><textarea rows={3} value={f[k]} onChange={(e) => set(k, e.target.value)} placeholder={placeholder} spellCheck={false} /></label>
  );
  return (
    <Drawer title={project ? `Project ${project.metadata.name}` : 'New project'} onClose={onClose}>
      <form className="form" onSubmit={submit} aria-label={project ? 'Edit project' : 'Create project'}>
        <div className="row">
          <label><span>Name</span><input type="text" value={f.name} onChange={(e) => set('name', e.target.value)} disabled={!!project} required /></label>
          <label><span>Description</span><input type="text" value={f.description} onChange={(e) => set('description', e.target.value)} /></label>
        </div>
        {text('sourceRepos', 'Source repositories (one per line, * for any)', 'https://git.example.com/org/*')}
        {text('destinations', 'Destinations (cluster URL or name, then namespace; one per line)', 'https://kubernetes.default.svc guestbook')}
        <div className="row">
          {text('clusterAllow', 'Cluster resources allowed (group/Kind per line)', '*/*')}
          {text('clusterDeny', 'Cluster resources denied', 'rbac.authorization.k8s.io/ClusterRole')}
        </div>
        <div className="row">
          {text('namespaceAllow', 'Namespaced resources allowed (empty: all)', 'apps/Deployment')}
          {text('namespaceDeny', 'Namespaced resources denied', 'ResourceQuota')}
        </div>
        <h3>Roles</h3>
        {f.roles.map((r, i) => (
          <fieldset key={i} className="sub" aria-label={`Role ${i + 1}`}>
            <div className="row">
              <label><span>Role name</span><input type="text" value={r.name} onChange={(e) => setRole(i, 'name', e.target.value)} /></label>
              <label><span>Role description</span><input type="text" value={r.description} onChange={(e) => setRole(i, 'description', e.target.value)} /></label>
            </div>
            <label><span>Policies (resource, action, object, allow|deny; one per line)</span><textarea rows={3} value={r.policies} onChange={(e) => setRole(i, 'policies', e.target.value)} placeholder={`applications, get, ${f.name || 'my-project'}/*, allow`} spellCheck={false} /></label>
            <label><span>Groups (one per line)</span><textarea rows={2} value={r.groups} onChange={(e) => setRole(i, 'groups', e.target.value)} /></label>
            {project && project.spec?.roles?.some((x) => x.name === r.name) && <RoleTokens project={project.metadata.name} role={r.name} tokens={tokensOf(project, r.name)} onChanged={reread} />}
            <button type="button" onClick={() => set('roles', f.roles.filter((_, j) => j !== i))}>Remove role {r.name || i + 1}</button>
          </fieldset>
        ))}
        <div><button type="button" onClick={() => set('roles', [...f.roles, emptyRole()])}>Add role</button></div>
        <h3>Sync windows</h3>
        {f.windows.map((w, i) => (
          <fieldset key={i} className="sub" aria-label={`Sync window ${i + 1}`}>
            <div className="row">
              <label><span>Kind</span><select value={w.kind} onChange={(e) => setWin(i, 'kind', e.target.value)}><option value="allow">allow</option><option value="deny">deny</option></select></label>
              <label><span>Schedule (cron)</span><input type="text" value={w.schedule} onChange={(e) => setWin(i, 'schedule', e.target.value)} placeholder="0 22 * * *" /></label>
            </div>
            <div className="row">
              <label><span>Duration</span><input type="text" value={w.duration} onChange={(e) => setWin(i, 'duration', e.target.value)} placeholder="1h" /></label>
              <label><span>Time zone</span><input type="text" value={w.timeZone} onChange={(e) => setWin(i, 'timeZone', e.target.value)} placeholder="UTC" /></label>
            </div>
            <label><span>Applications (comma separated)</span><input type="text" value={w.applications} onChange={(e) => setWin(i, 'applications', e.target.value)} /></label>
            <div className="row">
              <label><span>Namespaces</span><input type="text" value={w.namespaces} onChange={(e) => setWin(i, 'namespaces', e.target.value)} /></label>
              <label><span>Clusters</span><input type="text" value={w.clusters} onChange={(e) => setWin(i, 'clusters', e.target.value)} /></label>
            </div>
            <label className="check"><input type="checkbox" checked={w.manualSync} onChange={(e) => setWin(i, 'manualSync', e.target.checked)} /> Allow manual sync during the window</label>
            <button type="button" onClick={() => set('windows', f.windows.filter((_, j) => j !== i))}>Remove sync window {i + 1}</button>
          </fieldset>
        ))}
        <div><button type="button" onClick={() => set('windows', [...f.windows, emptyWindow()])}>Add sync window</button></div>
        {error && <div className="banner error" role="alert">{error}</div>}
        <div style={{ display: 'flex', gap: 8 }}>
          <button className="primary" type="submit" disabled={busy}>{busy ? 'Saving…' : project ? 'Save' : 'Create'}</button>
          <button type="button" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Drawer>
  );
}

function tokensOf(p: Project, role: string): JwtToken[] {
  return (p.spec?.roles?.find((r) => r.name === role)?.jwtTokens ?? []) as JwtToken[];
}

