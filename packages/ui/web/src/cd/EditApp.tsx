/** Editing an application's details: source, destination, sync policy, Helm parameters and values (PUT …/spec). */
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Drawer } from './Drawer';
import type { Application } from './types';
import { YamlEditor } from '../editor/YamlEditor';

export function EditApp({ app, onClose }: { app: Application; onClose: () => void }) {
  const s = app.spec;
  const [f, setF] = useState({
    repoURL: s.source?.repoURL ?? '',
    path: s.source?.path ?? '',
    chart: s.source?.chart ?? '',
    targetRevision: s.source?.targetRevision ?? 'HEAD',
    server: s.destination?.server ?? '',
    namespace: s.destination?.namespace ?? '',
    auto: !!s.syncPolicy?.automated,
    prune: !!s.syncPolicy?.automated?.prune,
    selfHeal: !!s.syncPolicy?.automated?.selfHeal,
    syncOptions: (s.syncPolicy?.syncOptions ?? []).join('\n'),
    helmParams: (s.source?.helm?.parameters ?? []).map((p) => `${p.name}=${p.value}`).join('\n'),
    helmValues: s.source?.helm?.values ?? '',
  });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f, v: string | boolean) => setF((o) => ({ ...o, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const params = f.helmParams.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
        const eq = l.indexOf('=');
        if (eq <= 0) throw new Error(`Helm parameter "${l}": want name=value`);
        return { name: l.slice(0, eq), value: l.slice(eq + 1) };
      });
      const helm = params.length || f.helmValues.trim() ? { ...(s.source?.helm ?? {}), ...(params.length ? { parameters: params } : {}), ...(f.helmValues.trim() ? { values: f.helmValues } : {}) } : undefined;
      const { helm: _old, ...rest } = s.source ?? { repoURL: '' };
      const source = { ...rest, repoURL: f.repoURL.trim(), targetRevision: f.targetRevision.trim() || 'HEAD', ...(f.path.trim() ? { path: f.path.trim() } : {}), ...(f.chart.trim() ? { chart: f.chart.trim() } : {}), ...(helm ? { helm } : {}) };
      if (!f.path.trim()) delete (source as { path?: string }).path;
      if (!f.chart.trim()) delete (source as { chart?: string }).chart;
      const syncOptions = f.syncOptions.split('\n').map((l) => l.trim()).filter(Boolean);
      const spec = {
        ...s,
        source,
        destination: { ...s.destination, server: f.server.trim(), namespace: f.namespace.trim() },
        syncPolicy: { ...(s.syncPolicy ?? {}), automated: f.auto ? { prune: f.prune, selfHeal: f.selfHeal } : undefined, syncOptions: syncOptions.length ? syncOptions : undefined },
      };
      await api('PUT', `api/v1/applications/${encodeURIComponent(app.metadata.name)}/spec?appNamespace=${app.metadata.namespace}`, spec);
      onClose();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Drawer title={`Edit ${app.metadata.name}`} onClose={onClose}>
      <form className="form" onSubmit={submit} aria-label="Edit application">
        <h3>Source</h3>
        <label><span>Repository URL</span><input type="text" value={f.repoURL} onChange={(e) => set('repoURL', e.target.value)} required /></label>
        <div className="row">
          <label><span>Revision</span><input type="text" value={f.targetRevision} onChange={(e) => set('targetRevision', e.target.value)} /></label>
          <label><span>Path</span><input type="text" value={f.path} onChange={(e) => set('path', e.target.value)} /></label>
        </div>
        <label><span>Chart (Helm repositories)</span><input type="text" value={f.chart} onChange={(e) => set('chart', e.target.value)} /></label>
        <h3>Destination</h3>
        <div className="row">
          <label><span>Cluster URL</span><input type="text" value={f.server} onChange={(e) => set('server', e.target.value)} required /></label>
          <label><span>Namespace</span><input type="text" value={f.namespace} onChange={(e) => set('namespace', e.target.value)} /></label>
        </div>
        <h3>Sync policy</h3>
        <label className="check"><input type="checkbox" checked={f.auto} onChange={(e) => set('auto', e.target.checked)} /> Automated</label>
        {f.auto && (
          <div style={{ display: 'flex', gap: 16 }}>
            <label className="check"><input type="checkbox" checked={f.prune} onChange={(e) => set('prune', e.target.checked)} /> Prune resources</label>
            <label className="check"><input type="checkbox" checked={f.selfHeal} onChange={(e) => set('selfHeal', e.target.checked)} /> Self heal</label>
          </div>
        )}
        <label><span>Sync options (one per line)</span><textarea rows={3} value={f.syncOptions} onChange={(e) => set('syncOptions', e.target.value)} /></label>
        <h3>Helm</h3>
        <label><span>Parameters (name=value, one per line)</span><textarea rows={3} value={f.helmParams} onChange={(e) => set('helmParams', e.target.value)} /></label>
        <div className="field"><span>Values (YAML)</span><YamlEditor label="Values (YAML)" rows={6} value={f.helmValues} onChange={(v) => set('helmValues', v)} /></div>
        {error && <div className="banner error" role="alert">{error}</div>}
        <div style={{ display: 'flex', gap: 8 }}>
          <button className="primary" type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save'}</button>
          <button type="button" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Drawer>
  );
}
