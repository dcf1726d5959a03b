/** A project role's tokens in the project form: listed from the project, generated (shown once) and deleted through /api/v1/projects/{p}/roles/{r}/token. */
import { useState } from 'react';
import { api } from '../../api';

export interface JwtToken { iat: number; exp?: number; id?: string }

const when = (s?: number) => (s ? new Date(s * 1000).toISOString().replace('.000Z', 'Z') : 'never');

export function RoleTokens({ project, role, tokens, onChanged }: { project: string; role: string; tokens: JwtToken[]; onChanged: () => Promise<void> }) {
  const [expiresIn, setExpiresIn] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const base = `api/v1/projects/${encodeURIComponent(project)}/roles/${encodeURIComponent(role)}/token`;
  const generate = async () => {
    setError('');
    setToken('');
    try {
      const r = await api('POST', base, { ...(expiresIn.trim() ? { expiresIn: expiresIn.trim() } : {}) });
      setToken(r.token);
      await onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const remove = async (t: JwtToken) => {
    if (!confirm(`Delete the token of role ${role} issued at ${when(t.iat)}?`)) return;
    setError('');
    await api('DELETE', `${base}/${t.iat}${t.id ? `?id=${encodeURIComponent(t.id)}` : ''}`).then(onChanged, (e) => setError(e.message));
  };
  return (
    <div aria-label={`Tokens of role ${role}`} role="group">
      <span className="muted" style={{ fontSize: 12, fontWeight: 600 }}>Tokens</span>
      {tokens.length > 0 && (
        <table className="grid" aria-label={`Tokens of role ${role}`}>
          <thead><tr><th>ID</th><th>Issued at</th><th>Expires at</th><th /></tr></thead>
          <tbody>{tokens.map((t) => <tr key={`${t.iat}-${t.id}`}><td>{t.id}</td><td>{when(t.iat)}</td><td>{when(t.exp)}</td><td><button type="button" className="danger" aria-label={`Delete token ${t.id ?? t.iat} of role ${role}`} onClick={() => remove(t)}>Delete</button></td></tr>)}</tbody>
        </table>
      )}
      <div style={{ display: 'flex', gap: 8, alignItems: 'end', marginTop: 6 }}>
        <label><span>Token expires in (empty: never)</span><input type="text" value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)} placeholder="24h" /></label>
        <button type="button" onClick={generate}>Generate token for {role}</button>
      </div>
      {error && <div className="banner error" role="alert">{error}</div>}
      {token && (
        <div className="banner" role="status" style={{ marginTop: 8 }}>
          The new token of role {role} — copy it now, it is not shown again:
          <div className="token-once" data-testid={`role-token-${role}`}>{token}</div>
          <button type="button" onClick={() => setToken('')} style={{ marginTop: 6 }}>Done</button>
        </div>
      )}
    </div>
  );
}
