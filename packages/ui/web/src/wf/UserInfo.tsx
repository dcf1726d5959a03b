/**
 * The Workflows section's user page, as upstream's: who the server says you are (`GET /api/v1/userinfo`:
 * issuer, subject, email, groups, ServiceAccount) and how to use the same login with the `argo` CLI — the
 * environment to export (`ARGO_SERVER`, `ARGO_HTTP1`, `ARGO_SECURE`, `ARGO_BASE_HREF`, `ARGO_TOKEN`,
 * `ARGO_NAMESPACE`), the token read from the `authorization` cookie the login page set.
 */
import { useEffect, useState } from 'react';
import { api } from '../api';
import { basePath } from '../router';

interface Info { issuer?: string; subject?: string; email?: string; name?: string; groups?: string[]; serviceAccountName?: string; serviceAccountNamespace?: string }

/** The `authorization` cookie's value, when the page may read it (an SSO login's cookie is HttpOnly). */
export function tokenFromCookie(cookie: string): string | undefined {
  const m = /(?:^|;\s*)authorization=([^;]*)/.exec(cookie);
  const v = m ? decodeURIComponent(m[1]!) : '';
  return v ? v : undefined;
}

export function UserInfo({ ns }: { ns: string }) {
  const [u, setU] = useState<Info>();
  const [error, setError] = useState('');
  const [shown, setShown] = useState(false);
  useEffect(() => void api<Info>('GET', 'api/v1/userinfo').then(setU, (e) => setError((e as Error).message)), []);
  const token = tokenFromCookie(document.cookie);
  const secure = location.protocol === 'https:';
  const env = [
    `export ARGO_SERVER='${location.host}'`,
    'export ARGO_HTTP1=true',
    `export ARGO_SECURE=${secure}`,
    ...(secure ? ['export ARGO_INSECURE_SKIP_VERIFY=true'] : []),
    `export ARGO_BASE_HREF=${basePath === '/' ? '' : basePath}`,
    `export ARGO_TOKEN='${token && shown ? token : token ? '<click Show token>' : '<your token: argo auth token>'}'`,
    `export ARGO_NAMESPACE=${ns}`,
  ];
  const rows: [string, string | undefined][] = [['Issuer', u?.issuer], ['Subject', u?.subject], ['Name', u?.name], ['Email', u?.email], ['Groups', u?.groups?.join(', ')], ['Service account', u?.serviceAccountName ? `${u.serviceAccountNamespace ? `${u.serviceAccountNamespace}/` : ''}${u.serviceAccountName}` : undefined]];
  return (
    <>
      <h2>User info</h2>
      {error && <div className="banner error" role="alert">{error}</div>}
      {u && (
        <table className="grid" aria-label="User info">
          <tbody>{rows.filter(([, v]) => v).map(([k, v]) => <tr key={k}><th>{k}</th><td>{v}</td></tr>)}</tbody>
        </table>
      )}
      {u && !rows.some(([, v]) => v) && <div className="empty">The server knows no user for this session (its auth mode is <code>server</code>: it acts with its own ServiceAccount).</div>}
      <h2>Using your login with the argo CLI</h2>
      <p>Export these in a shell, then run <code>argo list</code>:</p>
      {token ? <button onClick={() => setShown(!shown)} aria-pressed={shown}>{shown ? 'Hide token' : 'Show token'}</button> : <p className="muted">This session's token cannot be read by the page (an SSO login keeps it in an HttpOnly cookie); <code>argo auth token</code> prints one.</p>}
      <pre className="yaml" aria-label="argo CLI environment">{env.join('\n')}</pre>
    </>
  );
}
