/** Settings → Clusters: listed with their connection state; added (a cluster Secret through POST /api/v1/clusters; its fields typed or read from a kubeconfig's context), renamed / their namespaces changed (PUT with updatedFields), removed. */
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api';
import { Drawer } from '../Drawer';
import { FromKubeconfig } from './FromKubeconfig';
import type { KubeconfigCluster } from '../../../../src/lib/kubeconfig.js';

interface Cluster { server: string; name: string; namespaces?: string[]; clusterResources?: boolean; project?: string; serverVersion?: string; connectionState?: { status?: string; message?: string }; info?: { applicationsCount?: number } }

const IN_CLUSTER = 'https://kubernetes.default.svc';
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

export function Clusters() {
  const [items, setItems] = useState<Cluster[]>();
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  const [editing, setEditing] = useState<Cluster | 'new'>();
  useEffect(() => {
    api('GET', 'api/v1/clusters').then((r) => setItems(r.items ?? []), (e) => setError(e.message));
  }, [tick]);
  const remove = async (c: Cluster) => {
    if (!confirm(`Remove cluster ${c.name} (${c.server})? Its Secret is deleted; the cluster itself is not touched.`)) return;
    setError('');
    // the list is argocd-server's cache, which learns of the deletion from its watch: drop it here
    await api('DELETE', `api/v1/clusters/${encodeURIComponent(c.server)}`).then(() => setItems((l) => l?.filter((x) => x.server !== c.server)), (e) => setError(e.message));
  };
  return (
    <>
      <div className="toolbar"><button className="primary" onClick={() => setEditing('new')}>+ Add cluster</button></div>
      {error && <div className="banner error" role="alert">{error}</div>}
      {!items ? <div className="muted" role="status">Loading…</div> : (
        <table className="grid" aria-label="Clusters">
          <thead><tr><th>Name</th><th>Server</th><th>Namespaces</th><th>Version</th><th>Connection</th><th>Apps</th><th /></tr></thead>
          <tbody>{items.map((c) => (
            <tr key={c.server}>
              <td>{c.server === IN_CLUSTER && !c.namespaces ? c.name : <button className="link" onClick={() => setEditing(c)}>{c.name}</button>}</td>
              <td>{c.server}</td>
              <td>{c.namespaces?.join(', ') || 'all'}</td>
              <td>{c.serverVersion}</td>
              <td title={c.connectionState?.message}>{c.connectionState?.status}{c.connectionState?.message ? `: ${c.connectionState.message}` : ''}</td>
              <td>{c.info?.applicationsCount ?? 0}</td>
              <td>{c.server !== IN_CLUSTER && <button className="danger" aria-label={`Remove cluster ${c.name}`} onClick={() => remove(c)}>Remove</button>}</td>
            </tr>
          ))}</tbody>
        </table>
      )}
      {editing && <EditCluster cluster={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} onDone={() => { setEditing(undefined); setTick((t) => t + 1); }} />}
    </>
  );
}

function EditCluster({ cluster, onClose, onDone }: { cluster?: Cluster; onClose: () => void; onDone: () => void }) {
  const [f, setF] = useState({ server: cluster?.server ?? '', name: cluster?.name ?? '', namespaces: (cluster?.namespaces ?? []).join(', '), project: cluster?.project ?? '', clusterResources: !!cluster?.clusterResources, bearerToken: '', caData: '', insecure: false });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f, v: string | boolean) => setF((o) => ({ ...o, [k]: v }));
  // a kubeconfig context: the form's fields filled, the credentials the form has no field for kept here
  const [fromKc, setFromKc] = useState<KubeconfigCluster>();
  const picked = (c: KubeconfigCluster | undefined) => {
    setFromKc(c);
    if (c) setF((o) => ({ ...o, server: c.server, name: c.name, bearerToken: c.config.bearerToken ?? '', caData: c.config.tlsClientConfig.caData ?? '', insecure: c.config.tlsClientConfig.insecure, namespaces: o.namespaces }));
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      const namespaces = list(f.namespaces);
      if (cluster) {
        const q = ['name', 'namespaces', 'clusterResources'].map((x) => `updatedFields=${x}`).join('&');
        await api('PUT', `api/v1/clusters/${encodeURIComponent(cluster.server)}?${q}`, { server: cluster.server, name: f.name.trim() || cluster.server, namespaces, clusterResources: f.clusterResources });
      } else {
        const server = f.server.trim();
        if (!/^https?:\/\/[^\s/]+/.test(server)) throw new Error(`Server "${server}": want the cluster's API URL, e.g. https://10.0.0.1:6443`);
        const caData = f.caData.trim() ? (f.caData.includes('-----BEGIN') ? btoa(f.caData.trim() + '\n') : f.caData.trim()) : '';
        const kc = fromKc && fromKc.server === server ? fromKc.config : undefined;
        const config = { ...(kc?.username ? { username: kc.username, password: kc.password } : {}), ...(f.bearerToken.trim() ? { bearerToken: f.bearerToken.trim() } : {}), tlsClientConfig: { insecure: f.insecure, ...(caData ? { caData } : {}), ...(kc?.tlsClientConfig.certData ? { certData: kc.tlsClientConfig.certData, keyData: kc.tlsClientConfig.keyData } : {}), ...(kc?.tlsClientConfig.serverName ? { serverName: kc.tlsClientConfig.serverName } : {}) } };
        await api('POST', 'api/v1/clusters', { server, name: f.name.trim() || server, config, ...(namespaces.length ? { namespaces } : {}), ...(f.clusterResources ? { clusterResources: true } : {}), ...(f.project.trim() ? { project: f.project.trim() } : {}) });
      }
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Drawer title={cluster ? `Cluster ${cluster.name}` : 'Add cluster'} onClose={onClose}>
      <form className="form" onSubmit={submit} aria-label={cluster ? 'Edit cluster' : 'Add cluster'}>
        {!cluster && <FromKubeconfig onPick={picked} />}
        <label><span>Server</span><input type="text" value={f.server} onChange={(e) => set('server', e.target.value)} disabled={!!cluster} required placeholder="https://10.0.0.1:6443" /></label>
        <label><span>Name</span><input type="text" value={f.name} onChange={(e) => set('name', e.target.value)} /></label>
        <label><span>Namespaces (comma separated; empty: all)</span><input type="text" value={f.namespaces} onChange={(e) => set('namespaces', e.target.value)} /></label>
        <label className="check"><input type="checkbox" checked={f.clusterResources} onChange={(e) => set('clusterResources', e.target.checked)} /> Manage cluster-scoped resources (with namespaces set)</label>
        {!cluster && (
          <>
            <label><span>Project (optional)</span><input type="text" value={f.project} onChange={(e) => set('project', e.target.value)} /></label>
            <label><span>Bearer token</span><input type="password" value={f.bearerToken} onChange={(e) => set('bearerToken', e.target.value)} autoComplete="off" /></label>
            <label><span>CA certificate (PEM or base64, optional)</span><textarea rows={3} value={f.caData} onChange={(e) => set('caData', e.target.value)} spellCheck={false} /></label>
            <label className="check"><input type="checkbox" checked={f.insecure} onChange={(e) => set('insecure', e.target.checked)} /> Skip TLS verification</label>
          </>
        )}
        {error && <div className="banner error" role="alert">{error}</div>}
        <div style={{ display: 'flex', gap: 8 }}>
          <button className="primary" type="submit" disabled={busy}>{busy ? 'Saving…' : cluster ? 'Save' : 'Add'}</button>
          <button type="button" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Drawer>
  );
}
