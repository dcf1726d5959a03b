/** Creating an application from a form or from YAML (POST /api/v1/applications). */
import { YamlEditor } from '../editor/YamlEditor';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api';
import { Drawer } from './Drawer';
import type { Application } from './types';

interface Form {
  name: string;
  project: string;
  auto: boolean;
  prune: boolean;
  selfHeal: boolean;
  createNamespace: boolean;
  repoURL: string;
  revision: string;
  path: string;
  server: string;
  namespace: string;
}

export function appFromForm(f: Form): Application {
  const syncOptions = f.createNamespace ? ['CreateNamespace=true'] : [];
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: f.name.trim() },
    spec: {
      project: f.project,
      source: { repoURL: f.repoURL.trim(), path: f.path.trim(), targetRevision: f.revision.trim() || 'HEAD' },
      destination: { server: f.server.trim(), namespace: f.namespace.trim() },
      syncPolicy: { ...(f.auto ? { automated: { prune: f.prune, selfHeal: f.selfHeal } } : {}), ...(syncOptions.length ? { syncOptions } : {}) },
    },
  };
}

export function CreateApp({ mode, onClose, onCreated }: { mode: 'form' | 'yaml'; onClose: () => void; onCreated: (a: Application) => void }) {
  const [tab, setTab] = useState(mode);
  const [f, setF] = useState<Form>({ name: '', project: 'default', auto: false, prune: false, selfHeal: false, createNamespace: true, repoURL: '', revision: 'HEAD', path: '', server: 'https://kubernetes.default.svc', namespace: '' });
  const [yamlText, setYamlText] = useState('');
  const [projects, setProjects] = useState<string[]>(['default']);
  const [repos, setRepos] = useState<string[]>([]);
  const [clusters, setClusters] = useState<string[]>(['https://kubernetes.default.svc']);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api('GET', 'api/v1/projects').then((r) => r.items?.length && setProjects(r.items.map((p: any) => p.metadata.name))).catch(() => {});
    api('GET', 'api/v1/repositories').then((r) => setRepos((r.items ?? []).map((x: any) => x.repo))).catch(() => {});
    api('GET', 'api/v1/clusters').then((r) => r.items?.length && setClusters(r.items.map((c: any) => c.server))).catch(() => {});
  }, []);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((o) => ({ ...o, [k]: v }));
  const switchTab = async (t: 'form' | 'yaml') => {
    if (t === 'yaml') {
      const { stringify } = await import('yaml');
      setYamlText(stringify(appFromForm(f)));
    }
    setTab(t);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      let app: Application;
      if (tab === 'yaml') {
        const { parse } = await import('yaml');
        try {
          app = parse(yamlText);
        } catch (err) {
          throw new Error(`the YAML does not parse: ${(err as Error).message}`);
        }
        if (!app || typeof app !== 'object' || !app.metadata?.name) throw new Error('the YAML needs an Application with metadata.name');
      } else app = appFromForm(f);
      const created = await api<Application>('POST', 'api/v1/applications', app);
      onCreated(created);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Drawer title="Create application" onClose={onClose}>
      <div className="tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'form'} onClick={() => switchTab('form')}>Form</button>
        <button role="tab" aria-selected={tab === 'yaml'} onClick={() => switchTab('yaml')}>YAML</button>
      </div>
      <form className="form" onSubmit={submit} aria-label="New application">
        {tab === 'form' ? (
          <>
            <h3>General</h3>
            <div className="row">
              <label><span>Application name</span><input type="text" name="name" value={f.name} onChange={(e) => set('name', e.target.value)} required pattern="[a-z0-9]([-a-z0-9.]*[a-z0-9])?" title="lower-case letters, digits, '-' and '.'" /></label>
              <label><span>Project</span><select name="project" value={f.project} onChange={(e) => set('project', e.target.value)}>{projects.map((p) => <option key={p}>{p}</option>)}</select></label>
            </div>
            <label className="check"><input type="checkbox" name="auto" checked={f.auto} onChange={(e) => set('auto', e.target.checked)} /> Automatic sync policy</label>
            {f.auto && (
              <div style={{ display: 'flex', gap: 16 }}>
                <label className="check"><input type="checkbox" checked={f.prune} onChange={(e) => set('prune', e.target.checked)} /> Prune resources</label>
                <label className="check"><input type="checkbox" checked={f.selfHeal} onChange={(e) => set('selfHeal', e.target.checked)} /> Self heal</label>
              </div>
            )}
            <label className="check"><input type="checkbox" name="createNamespace" checked={f.createNamespace} onChange={(e) => set('createNamespace', e.target.checked)} /> Auto-create namespace</label>
            <h3>Source</h3>
            <label><span>Repository URL</span><input type="text" name="repoURL" list="repo-list" value={f.repoURL} onChange={(e) => set('repoURL', e.target.value)} required /></label>
            <datalist id="repo-list">{repos.map((r) => <option key={r} value={r} />)}</datalist>
            <div className="row">
              <label><span>Revision</span><input type="text" name="revision" value={f.revision} onChange={(e) => set('revision', e.target.value)} /></label>
              <label><span>Path</span><input type="text" name="path" value={f.path} onChange={(e) => set('path', e.target.value)} required /></label>
            </div>
            <h3>Destination</h3>
            <div className="row">
              <label><span>Cluster URL</span><input type="text" name="server" list="cluster-list" value={f.server} onChange={(e) => set('server', e.target.value)} required /></label>
              <label><span>Namespace</span><input type="text" name="namespace" value={f.namespace} onChange={(e) => set('namespace', e.target.value)} required /></label>
            </div>
            <datalist id="cluster-list">{clusters.map((c) => <option key={c} value={c} />)}</datalist>
          </>
        ) : (
          <div className="field"><span>Application YAML</span><YamlEditor label="Application YAML" value={yamlText} onChange={setYamlText} /></div>
        )}
        {error && <div className="banner error" role="alert">{error}</div>}
        <div style={{ display: 'flex', gap: 8 }}>
          <button className="primary" type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create'}</button>
          <button type="button" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Drawer>
  );
}
