/**
 * Settings → GnuPG keys: the public keys Argo CD verifies signed commits with (`GET/POST/DELETE
 * /api/v1/gpgkeys`, kept in argocd-gpg-keys-cm); the armored key checked before it is sent.
 */
import { useState, type FormEvent } from 'react';
import { gpgKeyData } from '../../../../src/lib/certs.js';
import { api } from '../../api';
import { Drawer } from '../Drawer';
import { Table, useList } from './common';

export function GpgKeys() {
  const [tick, setTick] = useState(0);
  const { items, error } = useList('api/v1/gpgkeys', tick);
  const [adding, setAdding] = useState(false);
  const [failed, setFailed] = useState('');
  const remove = async (id: string) => {
    if (!confirm(`Remove the GnuPG key ${id}?`)) return;
    setFailed('');
    await api('DELETE', `api/v1/gpgkeys?keyID=${encodeURIComponent(id)}`).catch((e) => setFailed(e.message));
    setTick((t) => t + 1);
  };
  return (
    <>
      <div className="toolbar"><button className="primary" onClick={() => setAdding(true)}>Add GnuPG key</button></div>
      {failed && <div className="banner error" role="alert">{failed}</div>}
      <Table label="GnuPG keys" head={['Key ID', 'Type', 'Owner', 'Fingerprint', '']} error={error} empty="No GnuPG public keys."
        rows={items?.map((k) => [<code>{k.keyID}</code>, k.subType, k.owner, <code>{k.fingerprint}</code>, <button className="danger" aria-label={`Remove GnuPG key ${k.keyID}`} onClick={() => remove(k.keyID)}>Remove</button>])} />
      {adding && <AddKey onClose={() => setAdding(false)} onDone={() => { setAdding(false); setTick((t) => t + 1); }} />}
    </>
  );
}

function AddKey({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [data, setData] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    const r = gpgKeyData(data);
    if (r.error !== undefined) return setError(r.error);
    setBusy(true);
    try {
      const out = await api('POST', 'api/v1/gpgkeys', { keyData: r.value });
      if (!out.created?.items?.length && out.skipped?.length) return setError(`Key ${out.skipped.join(', ')} is already there.`);
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Drawer title="Add GnuPG key" onClose={onClose}>
      <form className="form" onSubmit={submit} aria-label="Add GnuPG key" noValidate>
        <label><span>GnuPG public key data (ASCII-armored)</span>
          <textarea rows={14} value={data} onChange={(e) => setData(e.target.value)} spellCheck={false} style={{ fontFamily: 'ui-monospace, monospace' }} placeholder={'-----BEGIN PGP PUBLIC KEY BLOCK-----\n…\n-----END PGP PUBLIC KEY BLOCK-----'} />
        </label>
        {error && <div className="banner error" role="alert">{error}</div>}
        <div><button className="primary" type="submit" disabled={busy}>{busy ? 'Adding…' : 'Add'}</button></div>
      </form>
    </Drawer>
  );
}
