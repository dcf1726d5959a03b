/** Settings: repositories (connect over HTTPS or SSH) and credential templates, certificates, GnuPG keys, projects and clusters (settings/), accounts and their tokens, and who you are. */
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api';
import { Link, navigate } from '../router';
import { Drawer } from './Drawer';
import { Projects } from './settings/Projects';
import { Clusters } from './settings/Clusters';
import { AccountTokens } from './settings/Tokens';
import { Certificates } from './settings/Certificates';
import { GpgKeys } from './settings/GpgKeys';
import { RepoCreds } from './settings/RepoCreds';
import { Table, useList } from './settings/common';

type Tab = 'repos' | 'certs' | 'gpgkeys' | 'projects' | 'clusters' | 'accounts' | 'user';
const TABS: [Tab, string][] = [['repos', 'Repositories'], ['certs', 'Certificates'], ['gpgkeys', 'GnuPG keys'], ['projects', 'Projects'], ['clusters', 'Clusters'], ['accounts', 'Accounts'], ['user', 'User info']];

export default function Settings({ tab, sub }: { tab: string; sub?: string }) {
  const t = (TABS.find(([k]) => k === tab)?.[0] ?? 'repos') as Tab;
  return (
    <>
      <div className="toolbar"><h1>Settings</h1></div>
      <div className="tabs" role="tablist">
        {TABS.map(([k, l]) => <button key={k} role="tab" aria-selected={t === k} onClick={() => navigate(`settings/${k}`)}>{l}</button>)}
      </div>
      {t === 'repos' && <Repos />}
      {t === 'certs' && <Certificates />}
      {t === 'gpgkeys' && <GpgKeys />}
      {t === 'projects' && <Projects name={sub} />}
      {t === 'clusters' && <Clusters />}
      {t === 'accounts' && (sub ? <AccountTokens name={sub} /> : <Accounts />)}
      {t === 'user' && <User />}
    </>
  );
}

function Repos() {
  const [tick, setTick] = useState(0);
  const { items, error } = useList('api/v1/repositories', tick);
  const [connecting, setConnecting] = useState<'' | 'https' | 'ssh'>('');
  const remove = async (repo: string) => {
    if (!confirm(`Disconnect ${repo}?`)) return;
    await api('DELETE', `api/v1/repositories/${encodeURIComponent(repo)}`).catch((e) => alert(e.message));
    setTick(tick + 1);
  };
  return (
    <>
      <div className="toolbar">
        <button className="primary" onClick={() => setConnecting('https')}>Connect repo using HTTPS</button>
        <button onClick={() => setConnecting('ssh')}>Connect repo using SSH</button>
      </div>
      <Table label="Repositories" head={['Type', 'Name', 'Repository', 'Project', 'Connection', '']} error={error}
        rows={items?.map((r) => [r.type ?? 'git', r.name, r.repo, r.project, `${r.connectionState?.status ?? ''} ${r.connectionState?.message ?? ''}`.trim(), <button onClick={() => remove(r.repo)}>Disconnect</button>])} />
      {connecting && <ConnectRepo via={connecting} onClose={() => setConnecting('')} onDone={() => { setConnecting(''); setTick(tick + 1); }} />}
      <RepoCreds />
    </>
  );
}

function ConnectRepo({ via, onClose, onDone }: { via: 'https' | 'ssh'; onClose: () => void; onDone: () => void }) {
  const [f, setF] = useState({ repo: '', name: '', project: '', username: '', password: '', sshPrivateKey: '', insecure: false });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const body: Record<string, unknown> = { type: 'git', repo: f.repo.trim(), ...(f.name ? { name: f.name } : {}), ...(f.project ? { project: f.project } : {}), ...(f.insecure ? { insecure: true } : {}) };
      if (via === 'https') Object.assign(body, f.username ? { username: f.username, password: f.password } : {});
      else Object.assign(body, f.sshPrivateKey ? { sshPrivateKey: f.sshPrivateKey } : {});
      await api('POST', 'api/v1/repositories', body);
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const set = (k: keyof typeof f, v: string | boolean) => setF((o) => ({ ...o, [k]: v }));
  return (
    <Drawer title={`Connect repository (${via.toUpperCase()})`} onClose={onClose}>
      <form className="form" onSubmit={submit} aria-label="Connect repository">
        <label><span>Repository URL</span><input type="text" value={f.repo} onChange={(e) => set('repo', e.target.value)} required placeholder={via === 'https' ? 'https://git.example.com/org/repo.git' : 'git@git.example.com:org/repo.git'} /></label>
        <div className="row">
          <label><span>Name (optional)</span><input type="text" value={f.name} onChange={(e) => set('name', e.target.value)} /></label>
          <label><span>Project (optional)</span><input type="text" value={f.project} onChange={(e) => set('project', e.target.value)} /></label>
        </div>
        {via === 'https' ? (
          <div className="row">
            <label><span>Username (optional)</span><input type="text" value={f.username} onChange={(e) => set('username', e.target.value)} autoComplete="off" /></label>
            <label><span>Password (optional)</span><input type="password" value={f.password} onChange={(e) => set('password', e.target.value)} autoComplete="new-password" /></label>
          </div>
        ) : (
          <label><span>SSH private key</span><textarea rows={6} value={f.sshPrivateKey} onChange={(e) => set('sshPrivateKey', e.target.value)} style={{ fontFamily: 'ui-monospace, monospace' }} /></label>
        )}
        <label className="check"><input type="checkbox" checked={f.insecure} onChange={(e) => set('insecure', e.target.checked)} /> Skip server verification</label>
        {error && <div className="banner error" role="alert">{error}</div>}
        <div><button className="primary" type="submit" disabled={busy}>{busy ? 'Connecting…' : 'Connect'}</button></div>
      </form>
    </Drawer>
  );
}

function Accounts() {
  const { items, error } = useList('api/v1/account', 0);
  return <Table label="Accounts" head={['Name', 'Enabled', 'Capabilities', 'Tokens']} error={error}
    rows={items?.map((a) => [<Link to={`settings/accounts/${encodeURIComponent(a.name)}`}>{a.name}</Link>, a.enabled ? 'yes' : 'no', (a.capabilities ?? []).join(', '), String(a.tokens?.length ?? 0)])} />;
}

function User() {
  const [u, setU] = useState<any>();
  useEffect(() => void api('GET', 'api/v1/session/userinfo').then(setU, () => {}), []);
  if (!u) return <div className="muted" role="status">Loading…</div>;
  return (
    <dl className="kv" aria-label="User info">
      <dt>Username</dt><dd>{u.username}</dd>
      <dt>Issuer</dt><dd>{u.iss}</dd>
      <dt>Groups</dt><dd>{(u.groups ?? []).join(', ') || '—'}</dd>
      {u.iss === 'argocd' && <><dt>Tokens</dt><dd><Link to={`settings/accounts/${encodeURIComponent(u.username)}`}>Your account's tokens</Link></dd></>}
    </dl>
  );
}
