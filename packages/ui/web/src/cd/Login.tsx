/**
 * The login pages. Argo CD: a local user's name and password (POST /api/v1/session sets the session cookie) and,
 * when the settings say SSO is configured, LOG IN VIA <oidc.config name | the Dex connector> (/auth/login with the
 * return URL). Argo Workflows: a token (client mode) and/or LOGIN through /oauth2/redirect (sso mode).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, homeSection } from '../api';
import { basePath, currentRoute, navigate } from '../router';
import { Logo } from '../icons';
import { authModesFromError, ssoLabel, type AuthSettings } from '../../../src/lib/sso.js';

/** The return URL of the login page: only paths of this UI (no scheme, no host), so an open redirect is refused. */
const returnPath = (fallback: string) => {
  const ret = currentRoute().query.get('return_url') ?? '';
  return /^[a-z0-9][\w\-./?=&%]*$/i.test(ret) && !ret.includes('//') ? ret : fallback;
};
const returnTo = (fallback: string) => navigate(returnPath(fallback), { replace: true });
/** The page to come back to after a single sign-on, as an absolute URL of this UI (what the servers' login endpoints take). */
const returnUrl = (fallback: string) => location.origin + basePath + returnPath(fallback);

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
  // argo-server names its auth modes when it refuses a request without credentials ("--auth-mode client,sso");
  // unknown modes show both ways in, as upstream's login page does
  const [modes, setModes] = useState<string[]>();
  useEffect(() => {
    api('GET', 'api/v1/userinfo', undefined, { noRedirect: true }).then(() => setModes(['client', 'sso']), (e) => {
      setModes((e instanceof ApiError && authModesFromError(e.message)) || ['client', 'sso']);
    });
  }, []);
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
        {!modes && <div className="muted" role="status">Loading…</div>}
        {modes?.includes('sso') && <>
          <p className="muted" style={{ margin: 0, fontSize: 13 }}>Single sign-on:</p>
          <a className="button primary sso" href={`${basePath}oauth2/redirect?redirect=${encodeURIComponent(basePath + returnPath('workflows'))}`}>Login</a>
        </>}
        {modes?.includes('client') && <>
        {modes.includes('sso') && <div className="muted or" aria-hidden="true">or</div>}
        <label>
          <span>Token</span>
          <textarea name="token" rows={5} value={token} onChange={(e) => setToken(e.target.value)} required style={{ width: '100%', fontFamily: 'ui-monospace, monospace', fontSize: 12 }} />
        </label>
        <p className="muted" style={{ margin: 0, fontSize: 13 }}>Paste the output of <code>argo auth token</code> (a Kubernetes bearer token).</p>
        {error && <div className="banner error" role="alert">{error}</div>}
        <button className="primary" type="submit">Log in</button>
        </>}
      </form>
    </div>
  );
}

function PasswordLogin({ onLogin }: { onLogin: (user: string) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [auth, setAuth] = useState<AuthSettings>();
  useEffect(() => void api<AuthSettings>('GET', 'api/v1/settings', undefined, { noRedirect: true }).then(setAuth, () => setAuth({})), []);
  const sso = ssoLabel(auth);
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
        {sso && (
          <a className="button primary sso" href={`${basePath}auth/login?return_url=${encodeURIComponent(returnUrl('applications'))}`}>{sso}</a>
        )}
        {sso && !auth?.userLoginsDisabled && <div className="muted or" aria-hidden="true">or</div>}
        {!auth?.userLoginsDisabled && <>
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
        </>}
      </form>
    </div>
  );
}
