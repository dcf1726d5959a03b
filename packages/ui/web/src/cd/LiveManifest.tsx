/**
 * The resource panel's live manifest, with upstream's EDIT: the manifest in the YAML editor, saved as a
 * JSON merge patch of what changed (`src/lib/manifest.ts`) through argocd-server's
 * `POST …/resource?patchType=application/merge-patch+json`; a YAML error, a changed identity or the
 * server's refusal is shown in place (the edited text kept), the saved object shown after.
 */
import { useState } from 'react';
import { manifestEdit } from '../../../src/lib/manifest.js';
import { api } from '../api';
import { YamlEditor } from '../editor/YamlEditor';
import { loadYaml, useYaml, YamlView } from './Yaml';

export function LiveManifest({ live, isApp, patchUrl, onSaved }: { live: unknown; isApp: boolean; patchUrl: string; onSaved: (o: unknown) => void }) {
  const [managedFields, setManagedFields] = useState(false);
  const shown = live && typeof live === 'object' && !managedFields ? withoutManagedFields(live) : live;
  const yaml = useYaml(shown);
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);
  const canEdit = !isApp && !!live && yaml !== undefined;
  const save = async () => {
    setError('');
    setSaved('');
    let parsed: unknown;
    try {
      parsed = (await loadYaml()).parse(editing ?? '');
    } catch (e) {
      return setError(`The manifest does not parse as YAML: ${(e as Error).message}`);
    }
    const r = manifestEdit(shown, parsed);
    if (r.error) return setError(r.error);
    if (r.patch === undefined) {
      setEditing(undefined);
      return setSaved('No changes to save.');
    }
    setBusy(true);
    try {
      const out = await api('POST', patchUrl, r.patch);
      onSaved(JSON.parse(out.manifest));
      setEditing(undefined);
      setSaved('Saved.');
    } catch (e) {
      setError(`Not saved: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <div className="toolbar">
        {!isApp && <label className="check" style={{ display: 'flex', gap: 6 }}><input type="checkbox" checked={managedFields} disabled={editing !== undefined} onChange={(e) => setManagedFields(e.target.checked)} /> Show managed fields</label>}
        {canEdit && editing === undefined && <button onClick={() => { setSaved(''); setError(''); setEditing(yaml); }}>Edit</button>}
        {editing !== undefined && (
          <>
            <button className="primary" onClick={save} disabled={busy}>{busy ? 'Saving…' : 'Save'}</button>
            <button onClick={() => { setEditing(undefined); setError(''); }} disabled={busy}>Cancel</button>
          </>
        )}
        {saved && <span role="status">{saved}</span>}
      </div>
      {error && <div className="banner error" role="alert">{error}</div>}
      {editing !== undefined ? <YamlEditor label="Edit live manifest" value={editing} onChange={setEditing} rows={30} /> : <YamlView text={yaml} label="Live manifest" />}
    </>
  );
}

function withoutManagedFields(o: any): unknown {
  if (!o?.metadata?.managedFields) return o;
  const { managedFields: _m, ...metadata } = o.metadata;
  return { ...o, metadata };
}
