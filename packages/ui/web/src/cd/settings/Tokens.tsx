/** An account's API tokens (Settings → Accounts → an account): listed, generated (the token shown once) and deleted through /api/v1/account/{name}/token. */
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api';
import { Link } from '../../router';

interface Account { name: string; enabled: boolean; capabilities?: string[]; tokens?: { id: string; issuedAt: number; expiresAt?: number }[] }

const when = (s?: number) => (s ? new Date(s * 1000).toISOString().replace('.000Z', 'Z') : 'never');

export function AccountTokens({ name }: { name: string }) {
  const [a, setA] = useState<Account>();
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  const [id, setId] = useState('');
  const [expiresIn, setExpiresIn] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api('GET', `api/v1/account/${encodeURIComponent(name)}`).then(setA, (e) => setError(e.message));
  }, [name, tick]);
  const generate = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setToken('');
    setBusy(true);
    try {
      const r = await api('POST', `api/v1/account/${encodeURIComponent(name)}/token`, { name, ...(id.trim() ? { id: id.trim() } : {}), ...(expiresIn.trim() ? { expiresIn: expiresIn.trim() } : {}) });
      setToken(r.token);
      setId('');
      setTick((t) => t + 1);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (tid: string) => {
    if (!confirm(`Delete token ${tid} of ${name}? Requests with it are refused from then on.`)) return;
    setError('');
    await api('DELETE', `api/v1/account/${encodeURIComponent(name)}/token/${encodeURIComponent(tid)}`).catch((e) => setError(e.message));
    setTick((t) => t + 1);
  };
  const apiKey = a?.capabilities?.includes('apiKey');
  return (
    <section aria-label={`Account ${name}`}>
      <div className="toolbar"><Link to="settings/accounts">Accounts</Link> / <h2 style={{ margin: 0, fontSize: 17 }}>{name}</h2></div>
      {error && <div className="banner error" role="alert">{error}</div>}
      {a && (
        <dl className="kv" style={{ marginBottom: 12 }}>
          <dt>Enabled</dt><dd>{a.enabled ? 'yes' : 'no'}</dd>
          <dt>Capabilities</dt><dd>{(a.capabilities ?? []).join(', ') || '—'}</dd>
        </dl>
      )}
      <h3>Tokens</h3>
      {a && !a.tokens?.length && <div className="empty">No tokens.</div>}
      {!!a?.tokens?.length && (
        <table className="grid" aria-label="Tokens">
          <thead><tr><th>ID</th><th>Issued at</th><th>Expires at</th><th /></tr></thead>
          <tbody>{a.tokens.map((t) => <tr key={t.id}><td>{t.id}</td><td>{when(t.issuedAt)}</td><td>{when(t.expiresAt)}</td><td><button className="danger" aria-label={`Delete token ${t.id}`} onClick={() => remove(t.id)}>Delete</button></td></tr>)}</tbody>
        </table>
      )}
      {a && !apiKey && <div className="banner warn" role="status">This account cannot have tokens: give it the apiKey capability (argocd-cm <code>accounts.{name}: apiKey, login</code>).</div>}
      {apiKey && (
        <form className="form" onSubmit={generate} aria-label="Generate token" style={{ marginTop: 12 }}>
          <div className="row">
            <label><span>Token ID (optional)</span><input type="text" value={id} onChange={(e) => setId(e.target.value)} /></label>
            <label><span>Expires in (e.g. 24h; empty: never)</span><input type="text" value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)} /></label>
          </div>
          <div><button className="primary" type="submit" disabled={busy}>{busy ? 'Generating…' : 'Generate new token'}</button></div>
        </form>
      )}
      {token && (
        <div className="banner" role="status" aria-label="New token" style={{ marginTop: 12 }}>
          <p style={{ marginTop: 0 }}>The new token — copy it now, it is not shown again:</p>
          <div className="token-once" data-testid="new-token">{token}</div>
          <div style={{ marginTop: 8, display: 'flex', gap: 8 }}>
            <button onClick={() => void navigator.clipboard?.writeText(token).catch(() => {})}>Copy</button>
            <button onClick={() => setToken('')}>Done</button>
          </div>
        </div>
      )}
    </section>
  );
}
