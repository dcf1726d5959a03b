/** The login page: a local user's name and password (POST /api/v1/session sets the session cookie). */
import { useState, type FormEvent } from 'react';
import { api, homeSection } from '../api';
import { basePath, currentRoute, navigate } from '../router';
import { Logo } from '../icons';

const returnTo = (fallback: string) => {
  const ret = currentRoute().query.get('return_url') ?? '';
  // only paths of this UI (no scheme, no host): an open redirect is refused
  navigate(/^[a-z0-9][\w\-./?=&%]*$/i.test(ret) && !ret.includes('//') ? ret : fallback, { replace: true });
};

export function Login({ onLogin }: { onLogin: (user: string) => void }) {
  return homeSection === 'applications' ? <PasswordLogin onLogin={onLogin} /> : <TokenLogin onLogin={onLogin} />;
}

/**
 * argo-server's login (client auth mode): a Kubernetes bearer token (`argo auth token`), kept in the
 * `authorization` cookie the server reads, checked against /api/v1/userinfo before going on.
 */
function TokenLogin({ onLogin }: { onLogin: (user: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    const t = token.trim();
    const value = /^Bearer\s/i.test(t) ? t : `Bearer ${t}`;
    document.cookie = `authorization=${encodeURIComponent(value)}; path=${basePath}; SameSite=Strict${location.protocol === 'https:' ? '; Secure' : ''}`;
    try {
      const u = await api<{ subject?: string; serviceAccountName?: string }>('GET', 'api/v1/userinfo', undefined, { noRedirect: true });
      onLogin(u.serviceAccountName ?? u.subject ?? '');
      returnTo('workflows');
    } catch (err) {
      document.cookie = `authorization=; path=${basePath}; max-age=0`;
      setError((err as Error).message);
    }
  };
  return (
    <div className="login">
      <form onSubmit={submit} aria-label="Log in">
        <h1><Logo size={24} />Argo Workflows</h1>
        <label>
          <span>Token</span>
          <textarea name="token" rows={5} value={token} onChange={(e) => setToken(e.target.value)} required style={{ width: '100%', fontFamily: 'ui-monospace, monospace', fontSize: 12 }} />
        </label>
        <p className="muted" style={{ margin: 0, fontSize: 13 }}>Paste the output of <code>argo auth token</code> (a Kubernetes bearer token).</p>
        {error && <div className="banner error" role="alert">{error}</div>}
        <button className="primary" type="submit">Log in</button>
      </form>
    </div>
  );
}

function PasswordLogin({ onLogin }: { onLogin: (user: string) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api('POST', 'api/v1/session', { username, password }, { noRedirect: true });
      onLogin(username);
      returnTo('applications');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login">
      <form onSubmit={submit} aria-label="Log in">
        <h1><Logo size={24} />Flotilla</h1>
        <p className="muted" style={{ margin: 0 }}>Let's get stuff deployed!</p>
        <label>
          <span>Username</span>
          <input type="text" name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus style={{ width: '100%' }} />
        </label>
        <label>
          <span>Password</span>
          <input type="password" name="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required style={{ width: '100%' }} />
        </label>
        {error && <div className="banner error" role="alert">{error}</div>}
        <button className="primary" type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </div>
  );
}
