/**
 * Settings → Certificates (as upstream's "Repository certificates and known hosts"): the TLS certificates
 * of argocd-tls-certs-cm and the SSH known hosts of argocd-ssh-known-hosts-cm through
 * `GET/POST/DELETE /api/v1/certificates`; the forms check their input first (`src/lib/certs.ts`).
 */
import { useState, type FormEvent } from 'react';
import { knownHostsItems, tlsCertItem, type CertItem } from '../../../../src/lib/certs.js';
import { api } from '../../api';
import { Drawer } from '../Drawer';
import { Table, useList } from './common';

export function Certificates() {
  const [tick, setTick] = useState(0);
  const { items, error } = useList('api/v1/certificates', tick);
  const [adding, setAdding] = useState<'' | 'tls' | 'ssh'>('');
  const [failed, setFailed] = useState('');
  const remove = async (c: CertItem) => {
    if (!confirm(`Remove the ${c.certType === 'ssh' ? `${c.certSubType} known host key` : 'TLS certificate'} of ${c.serverName}?`)) return;
    setFailed('');
    const q = new URLSearchParams({ hostNamePattern: c.serverName, certType: c.certType, ...(c.certSubType && c.certType === 'ssh' ? { certSubType: c.certSubType } : {}) });
    await api('DELETE', `api/v1/certificates?${q}`).catch((e) => setFailed(e.message));
    setTick((t) => t + 1);
  };
  return (
    <>
      <div className="toolbar">
        <button className="primary" onClick={() => setAdding('tls')}>Add TLS certificate</button>
        <button onClick={() => setAdding('ssh')}>Add SSH known hosts</button>
      </div>
      {failed && <div className="banner error" role="alert">{failed}</div>}
      <Table label="Certificates" head={['Server', 'Type', 'Subtype', 'Info', '']} error={error}
        rows={items?.map((c) => [c.serverName, c.certType, c.certSubType, <code>{c.certInfo}</code>, <button className="danger" aria-label={c.certType === 'ssh' ? `Remove ${c.certSubType} host key of ${c.serverName}` : `Remove TLS certificate of ${c.serverName}`} onClick={() => remove(c)}>Remove</button>])} />
      {adding && <AddCert kind={adding} onClose={() => setAdding('')} onDone={() => { setAdding(''); setTick((t) => t + 1); }} />}
    </>
  );
}

function AddCert({ kind, onClose, onDone }: { kind: 'tls' | 'ssh'; onClose: () => void; onDone: () => void }) {
  const [server, setServer] = useState('');
  const [data, setData] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    const r = kind === 'tls' ? tlsCertItem(server, data) : knownHostsItems(data);
    if (r.error !== undefined) return setError(r.error);
    setBusy(true);
    try {
      await api('POST', 'api/v1/certificates', { items: Array.isArray(r.value) ? r.value : [r.value] });
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const title = kind === 'tls' ? 'Add TLS certificate' : 'Add SSH known hosts';
  return (
    <Drawer title={title} onClose={onClose}>
      <form className="form" onSubmit={submit} aria-label={title} noValidate>
        {kind === 'tls' && <label><span>Repository server name</span><input type="text" value={server} onChange={(e) => setServer(e.target.value)} placeholder="git.example.com" /></label>}
        <label>
          <span>{kind === 'tls' ? 'TLS certificate (PEM format)' : 'SSH known hosts data'}</span>
          <textarea rows={10} value={data} onChange={(e) => setData(e.target.value)} spellCheck={false} style={{ fontFamily: 'ui-monospace, monospace' }}
            placeholder={kind === 'tls' ? '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----' : 'git.example.com ssh-ed25519 AAAAC3Nza…  (ssh-keyscan git.example.com)'} />
        </label>
        {error && <div className="banner error" role="alert">{error}</div>}
        <div><button className="primary" type="submit" disabled={busy}>{busy ? 'Adding…' : 'Add'}</button></div>
      </form>
    </Drawer>
  );
}
