/** The login page: a local user's name and password (POST /api/v1/session sets the session cookie). */
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { currentRoute, navigate } from '../router';
import { Logo } from '../icons';

export function Login({ onLogin }: { onLogin: (user: string) => void }) {
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
      const ret = currentRoute().query.get('return_url') ?? '';
      // only paths of this UI (no scheme, no host): an open redirect is refused
      navigate(/^[a-z0-9][\w\-./?=&%]*$/i.test(ret) && !ret.includes('//') ? ret : 'applications', { replace: true });
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
