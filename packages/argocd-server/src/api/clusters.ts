/**
 * ClusterService over cluster Secrets (credentials never returned; the in-cluster entry listed as
 * upstream lists it unless `cluster.inClusterEnabled: "false"` or a Secret replaces it), and
 * CertificateService over argocd-tls-certs-cm / argocd-ssh-known-hosts-cm.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { R, isNotFound, KubeClient } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import { LABELS, IN_CLUSTER } from '@flotilla/argocd-engine/types';
import { fromKube, invalid, notFound, qbool, type Router, type Req } from '../http.js';
import { enforce, subjects, type Ctx } from '../context.js';
import { CM, see } from '../store.js';
import { clusterSecrets, clusterConfigOf, type ClusterEntry } from '../clusters-store.js';
import { globMatch } from '../rbac.js';

export function clusterJson(c: ClusterEntry): Record<string, unknown> {
  const tls = c.config.tlsClientConfig ?? {};
  return {
    server: c.server,
    name: c.name,
    config: { tlsClientConfig: { insecure: !!tls.insecure, ...(tls.serverName ? { serverName: tls.serverName } : {}) } },
    connectionState: { status: 'Unknown', message: '' },
    ...(c.namespaces.length ? { namespaces: c.namespaces } : {}),
    ...(c.clusterResources ? { clusterResources: true } : {}),
    ...(c.project ? { project: c.project } : {}),
    labels: Object.fromEntries(Object.entries(c.labels).filter(([k]) => k !== LABELS.secretType)),
    annotations: c.annotations,
    info: { connectionState: { status: 'Unknown', message: '' }, cacheInfo: {}, applicationsCount: 0 },
  };
}

async function withState(ctx: Ctx, c: Record<string, unknown>): Promise<Record<string, unknown>> {
  const apps = ctx.store.apps.list().filter((a) => (a.spec?.destination?.server ?? '') === c.server || (a.spec?.destination?.name ?? '') === c.name).length;
  let serverVersion = '';
  let state = { status: 'Successful', message: '', attemptedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  const entry = c.server === IN_CLUSTER ? undefined : clusterSecrets(ctx).find((x) => x.server === c.server);
  let client: KubeClient | undefined = c.server === IN_CLUSTER ? ctx.client : undefined;
  if (entry) {
    try {
      client = new KubeClient(clusterConfigOf(entry), { fieldManager: 'argocd-server', timeoutMs: 5000 });
    } catch (e) {
      state = { ...state, status: 'Failed', message: (e as Error).message };
    }
  }
  if (client) {
    try {
      const v = await client.request<{ major?: string; minor?: string; gitVersion?: string }>('GET', '/version', { timeoutMs: 5000 });
      serverVersion = `${v.major ?? ''}.${String(v.minor ?? '').replace(/\+$/, '')}`;
    } catch (e) {
      state = { ...state, status: 'Failed', message: (e as Error).message };
    } finally {
      if (client !== ctx.client) client.close();
    }
  } else if (state.status === 'Successful') state = { ...state, status: 'Unknown' };
  return { ...c, connectionState: state, serverVersion, info: { connectionState: state, serverVersion, cacheInfo: {}, applicationsCount: apps } };
}

function inCluster(ctx: Ctx): ClusterEntry | undefined {
  if ((ctx.store.cm(CM.argocd)['cluster.inClusterEnabled'] ?? 'true') === 'false') return undefined;
  return { secretName: '', name: 'in-cluster', server: IN_CLUSTER, config: { tlsClientConfig: { insecure: false } }, namespaces: [], clusterResources: false, labels: {}, annotations: {}, rv: '' };
}

export function allClusters(ctx: Ctx): ClusterEntry[] {
  const secrets = clusterSecrets(ctx);
  const ic = inCluster(ctx);
  return ic && !secrets.some((s) => s.server === IN_CLUSTER) ? [ic, ...secrets] : secrets;
}

function findCluster(ctx: Ctx, req: Req, idValue: string): ClusterEntry | undefined {
  const type = req.query.get('id.type') || (/^https?:\/\//.test(idValue) ? 'url' : 'name');
  const v = type === 'name' || type === 'name_escaped' ? idValue.replace(/_/g, type === 'name_escaped' ? ' ' : '_') : idValue.replace(/\/+$/, '');
  return allClusters(ctx).find((c) => (type.startsWith('name') ? c.name === v : c.server === v));
}

const rbacObj = (c: { project?: string; server: string }) => (c.project ? `${c.project}/${c.server}` : c.server);

function secretName(server: string): string {
  const host = server.replace(/^https?:\/\//, '').replace(/[:/].*$/, '').replace(/[^a-z0-9.-]/gi, '-').toLowerCase();
  return `cluster-${host}-${createHash('sha256').update(server).digest('hex').slice(0, 10)}`;
}

function clusterStringData(body: any): Record<string, string> {
  const server = String(body?.server ?? '').replace(/\/+$/, '');
  if (!server) throw invalid('server is required');
  const out: Record<string, string> = { server, name: String(body?.name || server), config: JSON.stringify(body?.config ?? {}) };
  if (body?.namespaces?.length) out.namespaces = body.namespaces.join(',');
  if (body?.clusterResources) out.clusterResources = 'true';
  if (body?.project) out.project = body.project;
  return out;
}

export function registerClusters(r: Router, ctx: Ctx): void {
  r.add('GET', '/api/v1/clusters', async (req) => {
    const rbac = await ctx.store.rbac();
    const { sub, groups } = subjects(req.claims, rbac.cfg.scopes);
    const q = req.query;
    const items = allClusters(ctx)
      .filter((c) => (!q.get('server') || c.server === q.get('server')) && (!q.get('name') || c.name === q.get('name')) && rbac.enforce(sub, groups, 'clusters', 'get', rbacObj(c)))
      .map(clusterJson);
    return { metadata: {}, items: await Promise.all(items.map((c) => withState(ctx, c))) };
  });

  r.add('POST', '/api/v1/clusters', async (req) => {
    const sd = clusterStringData(req.body);
    await enforce(ctx, req, 'clusters', 'create', rbacObj({ project: sd.project, server: sd.server }));
    const existing = clusterSecrets(ctx).find((c) => c.server === sd.server);
    const ns = ctx.store.namespace;
    const data = Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    let out: KubeObject;
    if (existing) {
      if (!qbool(req.query, 'upsert')) {
        const same = existing.name === sd.name && JSON.stringify(existing.config) === sd.config;
        if (!same) throw invalid('existing cluster spec is different; use upsert flag to force update');
        return withState(ctx, clusterJson(existing));
      }
      await enforce(ctx, req, 'clusters', 'update', rbacObj({ project: sd.project, server: sd.server }));
      const cur = await ctx.client.get(R.secrets, ns, existing.secretName);
      out = await ctx.client.update(R.secrets, { ...cur, metadata: { ...cur.metadata, labels: { ...(cur.metadata?.labels ?? {}), ...(req.body?.labels ?? {}), [LABELS.secretType]: 'cluster' } }, data } as KubeObject).catch((e) => { throw fromKube(e); });
    } else {
      out = await ctx.client.create(R.secrets, ns, { metadata: { name: secretName(sd.server), namespace: ns, labels: { ...(req.body?.labels ?? {}), [LABELS.secretType]: 'cluster' }, annotations: { ...(req.body?.annotations ?? {}), 'managed-by': 'argocd.argoproj.io' } }, type: 'Opaque', data } as KubeObject).catch((e) => { throw fromKube(e); });
    }
    see(ctx.store.secrets, out);
    ctx.audit(out, existing ? 'ResourceUpdated' : 'ResourceCreated', `${existing ? 'updated' : 'created'} cluster ${sd.server}`, req);
    const entry = clusterSecrets(ctx).find((c) => c.server === sd.server);
    return withState(ctx, entry ? clusterJson(entry) : { server: sd.server, name: sd.name });
  });

  r.add('GET', '/api/v1/clusters/{id}', async (req) => {
    const c = findCluster(ctx, req, req.params.id);
    await enforce(ctx, req, 'clusters', 'get', rbacObj(c ?? { server: req.params.id }));
    if (!c) throw notFound(`cluster "${req.params.id}" not found`);
    return withState(ctx, clusterJson(c));
  });

  r.add('PUT', '/api/v1/clusters/{id}', async (req) => {
    const c = findCluster(ctx, req, req.params.id);
    await enforce(ctx, req, 'clusters', 'update', rbacObj(c ?? { server: req.params.id }));
    if (!c || !c.secretName) throw notFound(`cluster "${req.params.id}" not found`);
    const fields = req.query.getAll('updatedFields');
    const body = req.body ?? {};
    const sd = clusterStringData({ server: c.server, name: c.name, config: c.config, namespaces: c.namespaces, clusterResources: c.clusterResources, project: c.project, ...(fields.length ? Object.fromEntries(fields.map((f) => [f, body[f]])) : body) });
    const cur = await ctx.client.get(R.secrets, ctx.store.namespace, c.secretName);
    const data = Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    const out = await ctx.client.update(R.secrets, { ...cur, data } as KubeObject).catch((e) => { throw fromKube(e); });
    see(ctx.store.secrets, out);
    ctx.audit(out, 'ResourceUpdated', `updated cluster ${c.server}`, req);
    const entry = clusterSecrets(ctx).find((x) => x.secretName === c.secretName);
    return withState(ctx, clusterJson(entry ?? c));
  });

  r.add('DELETE', '/api/v1/clusters/{id}', async (req) => {
    const c = findCluster(ctx, req, req.params.id);
    await enforce(ctx, req, 'clusters', 'delete', rbacObj(c ?? { server: req.params.id }));
    if (!c) throw notFound(`cluster "${req.params.id}" not found`);
    if (!c.secretName) throw invalid(`cluster ${c.server} is the in-cluster entry: set cluster.inClusterEnabled: "false" in argocd-cm to hide it`);
    await ctx.client.delete(R.secrets, ctx.store.namespace, c.secretName).catch((e) => { if (!isNotFound(e)) throw fromKube(e); });
    return {};
  });

  r.add('POST', '/api/v1/clusters/{id}/invalidate-cache', async (req) => {
    const c = findCluster(ctx, req, req.params.id);
    await enforce(ctx, req, 'clusters', 'update', rbacObj(c ?? { server: req.params.id }));
    if (!c) throw notFound(`cluster "${req.params.id}" not found`);
    return withState(ctx, clusterJson(c));
  });

  registerCertificates(r, ctx);
}

// ------------------------------------------------------------------------------- certificates

interface Cert {
  serverName: string;
  certType: 'https' | 'ssh';
  certSubType: string;
  certData: string;
  certInfo: string;
}

function splitPems(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function listCerts(ctx: Ctx): Cert[] {
  const out: Cert[] = [];
  for (const [host, pems] of Object.entries(ctx.store.cm(CM.tls))) {
    for (const pem of splitPems(pems)) {
      let info = '';
      let sub = '';
      try {
        const x = new X509Certificate(pem);
        info = x.subject.split('\n').join(',');
        sub = x.publicKey.asymmetricKeyType ?? '';
      } catch {
        info = 'unparseable certificate';
      }
      out.push({ serverName: host, certType: 'https', certSubType: sub, certData: Buffer.from(pem).toString('base64'), certInfo: info });
    }
  }
  for (const line of (ctx.store.cm(CM.ssh).ssh_known_hosts ?? '').split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [hosts, type, key] = t.split(/\s+/);
    if (!key) continue;
    const fp = 'SHA256:' + createHash('sha256').update(Buffer.from(key, 'base64')).digest('base64').replace(/=+$/, '');
    for (const h of hosts.split(',')) out.push({ serverName: h, certType: 'ssh', certSubType: type, certData: Buffer.from(key).toString('base64'), certInfo: fp });
  }
  return out;
}

function certMatches(c: Cert, q: URLSearchParams): boolean {
  const hp = q.get('hostNamePattern');
  const t = q.get('certType');
  const st = q.get('certSubType');
  return (!hp || globMatch(c.serverName, hp)) && (!t || c.certType === t) && (!st || c.certSubType === st);
}

async function patchCm(ctx: Ctx, name: string, data: Record<string, string | null>): Promise<void> {
  const ns = ctx.store.namespace;
  try {
    const out = await ctx.client.patch(R.configmaps, ns, name, { data }, 'merge');
    see(ctx.store.cms, out);
  } catch (e) {
    if (!isNotFound(e)) throw fromKube(e);
    const out = await ctx.client.create(R.configmaps, ns, { metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'argocd' } }, data: Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null)) } as KubeObject);
    see(ctx.store.cms, out);
  }
}

function registerCertificates(r: Router, ctx: Ctx): void {
  r.add('GET', '/api/v1/certificates', async (req) => {
    await enforce(ctx, req, 'certificates', 'get', '');
    return { metadata: {}, items: listCerts(ctx).filter((c) => certMatches(c, req.query)) };
  });

  r.add('POST', '/api/v1/certificates', async (req) => {
    await enforce(ctx, req, 'certificates', 'create', '');
    const items = (req.body?.items ?? []) as Cert[];
    const upsert = qbool(req.query, 'upsert') === true;
    const tls = { ...ctx.store.cm(CM.tls) };
    let known = ctx.store.cm(CM.ssh).ssh_known_hosts ?? '';
    const created: Cert[] = [];
    for (const [i, c] of items.entries()) {
      if (!c.serverName) throw invalid(`items[${i}]: serverName is required`);
      const data = Buffer.from(c.certData ?? '', 'base64').toString('utf8');
      if (c.certType === 'https') {
        const pems = splitPems(data);
        if (!pems.length) throw invalid(`items[${i}]: certData of ${c.serverName} holds no PEM certificate`);
        for (const p of pems) {
          try {
            new X509Certificate(p);
          } catch (e) {
            throw invalid(`items[${i}]: invalid certificate for ${c.serverName}: ${(e as Error).message}`);
          }
        }
        if (tls[c.serverName] && tls[c.serverName].trim() !== pems.join('\n').trim() && !upsert) throw invalid(`A certificate for server ${c.serverName} already exists; use upsert to replace it`);
        tls[c.serverName] = pems.join('\n') + '\n';
      } else if (c.certType === 'ssh') {
        const key = data.trim();
        if (!c.certSubType || !/^[A-Za-z0-9+/=]+$/.test(key)) throw invalid(`items[${i}]: an SSH known host entry needs certSubType (key type) and a base64 key for ${c.serverName}`);
        const line = `${c.serverName} ${c.certSubType} ${key}`;
        const lines = known.split('\n').filter(Boolean);
        const same = lines.findIndex((l) => l.split(/\s+/)[0] === c.serverName && l.split(/\s+/)[1] === c.certSubType);
        if (same >= 0) {
          if (lines[same].trim() !== line && !upsert) throw invalid(`A known host entry for ${c.serverName} (${c.certSubType}) already exists; use upsert to replace it`);
          lines[same] = line;
        } else lines.push(line);
        known = lines.join('\n') + '\n';
      } else throw invalid(`items[${i}]: certType must be https or ssh, got '${c.certType}'`);
      created.push(c);
    }
    if (items.some((c) => c.certType === 'https')) await patchCm(ctx, CM.tls, tls);
    if (items.some((c) => c.certType === 'ssh')) await patchCm(ctx, CM.ssh, { ssh_known_hosts: known });
    return { metadata: {}, items: created };
  });

  r.add('DELETE', '/api/v1/certificates', async (req) => {
    await enforce(ctx, req, 'certificates', 'delete', '');
    const q = req.query;
    if (!q.get('hostNamePattern')) throw invalid('hostNamePattern is required');
    const gone = listCerts(ctx).filter((c) => certMatches(c, q));
    const tlsGone = [...new Set(gone.filter((c) => c.certType === 'https').map((c) => c.serverName))];
    if (tlsGone.length) await patchCm(ctx, CM.tls, Object.fromEntries(tlsGone.map((h) => [h, null])));
    const sshGone = gone.filter((c) => c.certType === 'ssh');
    if (sshGone.length) {
      const lines = (ctx.store.cm(CM.ssh).ssh_known_hosts ?? '').split('\n').filter((l) => {
        const [h, t] = l.trim().split(/\s+/);
        return !sshGone.some((c) => c.serverName === h && c.certSubType === t);
      });
      await patchCm(ctx, CM.ssh, { ssh_known_hosts: lines.filter(Boolean).join('\n') + '\n' });
    }
    return { metadata: {}, items: gone };
  });
}
