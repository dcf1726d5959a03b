/**
 * The shell: the login page, the navigation between sections (Applications, Workflows, Rollouts,
 * Events) and each section's pages, loaded on demand (one chunk per section, the tree layout in its own).
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import { api, ApiError, homeSection } from './api';
import { basePath, Link, navigate, useRoute } from './router';
import { Login } from './cd/Login';
import { Logo } from './icons';

const AppsList = lazy(() => import('./cd/AppsList'));
const AppDetails = lazy(() => import('./cd/AppDetails'));
const Settings = lazy(() => import('./cd/Settings'));
const Workflows = lazy(() => import('./suite/Workflows'));
const Rollouts = lazy(() => import('./suite/Rollouts'));
const Events = lazy(() => import('./suite/Events'));
const Pipeline = lazy(() => import('./suite/Pipeline'));

export interface UserInfo {
  loggedIn: boolean;
  username?: string;
  /** the token's issuer: `argocd` for local users, the identity provider's URL for SSO users */
  iss?: string;
  groups?: string[];
  /** logged in through single sign-on: logging out goes through the server's /auth/logout */
  sso?: boolean;
}

const SECTIONS = [
  { path: 'applications', label: 'Applications' },
  { path: 'workflows', label: 'Workflows' },
  { path: 'rollouts', label: 'Rollouts' },
  { path: 'events', label: 'Events' },
  { path: 'pipeline', label: 'Pipeline' },
] as const;

export function App() {
  const route = useRoute();
  const [user, setUser] = useState<UserInfo | undefined>();
  const [theme, setTheme] = useState(document.documentElement.dataset.theme ?? 'light');
  useEffect(() => {
    if (homeSection !== 'applications') {
      // argo-server: who the token (or the server's own account) is; 401 → the token login
      api<{ subject?: string; serviceAccountName?: string; email?: string; name?: string; issuer?: string; groups?: string[] }>('GET', 'api/v1/userinfo', undefined, { noRedirect: true })
        // an SSO user (argo-server's v2 token) has an issuer and acts as a ServiceAccount
        .then((u) => setUser(u.issuer ? { loggedIn: true, username: u.email ?? u.name ?? u.subject, iss: u.issuer, groups: u.groups, sso: true } : { loggedIn: true, username: u.serviceAccountName ?? u.subject }))
        .catch((e) => setUser({ loggedIn: !(e instanceof ApiError && e.status === 401) }));
      return;
    }
    api<UserInfo>('GET', 'api/v1/session/userinfo', undefined, { noRedirect: true })
      .then((u) => setUser({ ...u, sso: !!u.iss && u.iss !== 'argocd' }))
      .catch(() => setUser({ loggedIn: false }));
  }, [route.path === 'login']);
  useEffect(() => {
    if (route.path === '') navigate(homeSection, { replace: true });
  }, [route.path]);
  useEffect(() => {
    if (user && !user.loggedIn && route.path !== 'login') navigate(`login?return_url=${encodeURIComponent(route.path + (route.query.toString() ? `?${route.query}` : ''))}`, { replace: true });
  }, [user, route.path]);

  if (route.path === 'login') return <Login onLogin={(u) => setUser({ loggedIn: true, username: u })} />;
  if (!user || !user.loggedIn) return <div className="empty" role="status">Loading…</div>;
  const toggleTheme = () => {
    const t = theme === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = t;
    localStorage.setItem('flotilla.theme', t);
    setTheme(t);
  };
  const logout = async () => {
    // an SSO session: the server revokes it, clears the cookie and sends to the identity provider's logout (logoutURL) or the login page
    if (user.sso) return void location.assign(`${basePath}auth/logout`);
    if (homeSection === 'applications') await api('DELETE', 'api/v1/session').catch(() => {});
    else document.cookie = `authorization=; path=${basePath}; max-age=0`;
    setUser({ loggedIn: false });
    navigate('login', { replace: true });
  };
  const section = route.path.split('/')[0];
  const parts = route.path.split('/');
  let page;
  if (section === 'applications' && homeSection !== 'applications') page = <div className="banner warn" role="status">Argo CD's API is not served here: open argocd-server (port 8080 or 443), which serves this UI on the Applications section.</div>;
  else if (section === 'applications' && parts.length >= 3) page = <AppDetails namespace={parts[1]} name={parts[2]} query={route.query} />;
  else if (section === 'applications') page = <AppsList query={route.query} />;
  else if (section === 'settings') page = <Settings tab={parts[1] ?? 'repos'} sub={parts[2] ? decodeURIComponent(parts[2]) : undefined} />;
  else if (section === 'workflows') page = <Workflows parts={parts} />;
  else if (section === 'rollouts') page = <Rollouts />;
  else if (section === 'events') page = <Events parts={parts} />;
  else if (section === 'pipeline') page = <Pipeline query={route.query} />;
  else page = <div className="empty">Nothing at /{route.path}. <Link to="applications">Applications</Link></div>;
  return (
    <div className="layout">
      <nav className="nav" aria-label="Sections">
        <div className="brand"><Logo />Flotilla</div>
        {SECTIONS.map((s) => (
          <Link key={s.path} to={s.path} aria-current={section === s.path ? 'page' : undefined}>
            {s.label}
          </Link>
        ))}
        {homeSection === 'applications' && <Link to="settings" aria-current={section === 'settings' ? 'page' : undefined}>Settings</Link>}
        <div className="spacer" />
        {user.username && (
          <div className="user" aria-label="User">
            Logged in as <strong>{user.username}</strong>
            {user.sso && !!user.groups?.length && <div className="groups">Groups: {user.groups.join(', ')}</div>}
          </div>
        )}
        <button onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>{theme === 'dark' ? 'Light theme' : 'Dark theme'}</button>
        {homeSection !== 'rollouts' && <button onClick={logout}>Log out</button>}
      </nav>
      <main>
        <Suspense fallback={<div className="empty" role="status">Loading…</div>}>{page}</Suspense>
      </main>
    </div>
  );
}
