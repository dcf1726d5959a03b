/** The SYNC dialog: revision, prune, dry run, apply only, force, selective resources, sync options. */
import { useState } from 'react';
import { api } from '../api';
import { Drawer } from './Drawer';
import type { Application } from './types';

const OPTIONS = ['Validate=false', 'CreateNamespace=true', 'PrunePropagationPolicy=foreground', 'PruneLast=true', 'ApplyOutOfSyncOnly=true', 'ServerSideApply=true', 'Replace=true', 'RespectIgnoreDifferences=true'];

export function SyncDialog({ app, onClose }: { app: Application; onClose: () => void }) {
  const resources = app.status?.resources ?? [];
  const [revision, setRevision] = useState(app.spec.source?.targetRevision || 'HEAD');
  const [prune, setPrune] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [applyOnly, setApplyOnly] = useState(false);
  const [force, setForce] = useState(false);
  const [opts, setOpts] = useState<string[]>(app.spec.syncPolicy?.syncOptions ?? []);
  const [selected, setSelected] = useState<Set<number>>(new Set(resources.map((_, i) => i)));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const sync = async () => {
    setBusy(true);
    setError('');
    try {
      const all = selected.size === resources.length;
      await api('POST', `api/v1/applications/${encodeURIComponent(app.metadata.name)}/sync?appNamespace=${app.metadata.namespace}`, {
        revision,
        prune,
        dryRun,
        strategy: applyOnly ? { apply: { force } } : { hook: { force } },
        ...(all ? {} : { resources: resources.filter((_, i) => selected.has(i)).map((r) => ({ group: r.group ?? '', kind: r.kind, name: r.name, namespace: r.namespace ?? '' })) }),
        syncOptions: { items: opts },
      });
      onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (list: string[], v: string, on: boolean) => (on ? [...list.filter((x) => x !== v), v] : list.filter((x) => x !== v));
  return (
    <Drawer title={`Sync ${app.metadata.name}`} onClose={onClose} actions={<button className="primary" onClick={sync} disabled={busy || selected.size === 0}>{busy ? 'Syncing…' : 'Synchronize'}</button>}>
      <div className="form">
        <label><span>Revision</span><input type="text" value={revision} onChange={(e) => setRevision(e.target.value)} /></label>
        <div style={{ display: 'flex', gap: 16, flexWrap: 'wrap' }}>
          <label className="check"><input type="checkbox" checked={prune} onChange={(e) => setPrune(e.target.checked)} /> Prune</label>
          <label className="check"><input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run</label>
          <label className="check"><input type="checkbox" checked={applyOnly} onChange={(e) => setApplyOnly(e.target.checked)} /> Apply only</label>
          <label className="check"><input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Force</label>
        </div>
        <fieldset style={{ border: '1px solid var(--border)', borderRadius: 4 }}>
          <legend>Sync options</legend>
          {OPTIONS.map((o) => (
            <label key={o} className="check"><input type="checkbox" checked={opts.includes(o)} onChange={(e) => setOpts(toggle(opts, o, e.target.checked))} /> {o}</label>
          ))}
        </fieldset>
        <fieldset style={{ border: '1px solid var(--border)', borderRadius: 4 }}>
          <legend>Synchronize resources ({selected.size} of {resources.length})</legend>
          <div style={{ display: 'flex', gap: 8, marginBottom: 6 }}>
            <button type="button" onClick={() => setSelected(new Set(resources.map((_, i) => i)))}>All</button>
            <button type="button" onClick={() => setSelected(new Set(resources.map((r, i) => (r.status === 'OutOfSync' ? i : -1)).filter((i) => i >= 0)))}>Out of sync</button>
            <button type="button" onClick={() => setSelected(new Set())}>None</button>
          </div>
          {resources.map((r, i) => (
            <label key={i} className="check">
              <input type="checkbox" checked={selected.has(i)} onChange={(e) => { const s = new Set(selected); if (e.target.checked) s.add(i); else s.delete(i); setSelected(s); }} />
              {r.group ? `${r.group}/` : ''}{r.kind}/{r.namespace ? `${r.namespace}/` : ''}{r.name} <span className="muted">({r.status ?? 'Unknown'})</span>
            </label>
          ))}
        </fieldset>
        {error && <div className="banner error" role="alert">{error}</div>}
      </div>
    </Drawer>
  );
}
