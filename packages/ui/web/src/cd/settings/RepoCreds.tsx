/**
 * Settings → Repositories → credential templates (`GET/POST/DELETE /api/v1/repocreds`): credentials used
 * for every repository whose URL starts with the template's URL; the form checks its input first.
 */
import { useState, type FormEvent } from 'react';
import { repoCredsBody, type RepoCredsForm } from '../../../../src/lib/certs.js';
import { api } from '../../api';
import { Drawer } from '../Drawer';
import { Table, useList } from './common';

export function RepoCreds() {
  const [tick, setTick] = useState(0);
  const { items, error } = useList('api/v1/repocreds', tick);
  const [adding, setAdding] = useState<'' | 'https' | 'ssh'>('');
  const [failed, setFailed] = useState('');
  // the list is argocd-server's cache, which learns of a deletion from its watch: a removed one is dropped here
  const [removed, setRemoved] = useState<string[]>([]);
  const remove = async (url: string) => {
    if (!confirm(`Remove the credential template for ${url}?`)) return;
    setFailed('');
    await api('DELETE', `api/v1/repocreds/${encodeURIComponent(url)}`).then(() => setRemoved((r) => [...r, url]), (e) => setFailed(e.message));
  };
  return (
    <section aria-label="Credential templates" style={{ marginTop: 24 }}>
      <div className="toolbar">
        <h2 style={{ margin: 0, fontSize: 16 }}>Credential templates</h2>
        <button onClick={() => setAdding('https')}>Add credentials (HTTPS)</button>
        <button onClick={() => setAdding('ssh')}>Add credentials (SSH)</button>
      </div>
      {failed && <div className="banner error" role="alert">{failed}</div>}
      <Table label="Credential templates" head={['URL', 'Credentials', '']} error={error} empty="No credential templates."
        rows={items?.filter((c) => !removed.includes(c.url)).map((c) => [c.url, c.username ? `username ${c.username}` : 'SSH private key', <button className="danger" aria-label={`Remove credential template ${c.url}`} onClick={() => remove(c.url)}>Remove</button>])} />
      {adding && <AddCreds via={adding} onClose={() => setAdding('')} onDone={() => { setAdding(''); setRemoved([]); setTick((t) => t + 1); }} />}
    </section>
  );
}

function AddCreds({ via, onClose, onDone }: { via: 'https' | 'ssh'; onClose: () => void; onDone: () => void }) {
  const [f, setF] = useState<RepoCredsForm>({ via, url: '', username: '', password: '', sshPrivateKey: '' });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (k: keyof RepoCredsForm, v: string) => setF((o) => ({ ...o, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    const r = repoCredsBody(f);
    if (r.error !== undefined) return setError(r.error);
    setBusy(true);
    try {
      await api('POST', 'api/v1/repocreds', r.value);
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const title = `Add credential template (${via.toUpperCase()})`;
  return (
    <Drawer title={title} onClose={onClose}>
      <form className="form" onSubmit={submit} aria-label={title} noValidate>
        <label><span>URL (prefix of the repositories' URLs)</span><input type="text" value={f.url} onChange={(e) => set('url', e.target.value)} placeholder={via === 'https' ? 'https://git.example.com/org' : 'git@git.example.com:org'} /></label>
        {via === 'https' ? (
          <div className="row">
            <label><span>Username</span><input type="text" value={f.username} onChange={(e) => set('username', e.target.value)} autoComplete="off" /></label>
            <label><span>Password</span><input type="password" value={f.password} onChange={(e) => set('password', e.target.value)} autoComplete="new-password" /></label>
          </div>
        ) : (
          <label><span>SSH private key</span><textarea rows={6} value={f.sshPrivateKey} onChange={(e) => set('sshPrivateKey', e.target.value)} spellCheck={false} style={{ fontFamily: 'ui-monospace, monospace' }} /></label>
        )}
        {error && <div className="banner error" role="alert">{error}</div>}
        <div><button className="primary" type="submit" disabled={busy}>{busy ? 'Adding…' : 'Add'}</button></div>
      </form>
    </Drawer>
  );
}
