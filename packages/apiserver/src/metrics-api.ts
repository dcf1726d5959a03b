/**
 * The resource metrics API, `metrics.k8s.io/v1beta1` (what `kubectl top`, the HPA and Argo
 * Rollouts read): NodeMetrics and PodMetrics, served the way metrics-server serves them, from
 * the Summary API of each node's kubelet (`GET /stats/summary` on the Node's InternalIP and
 * `daemonEndpoints.kubeletEndpoint.Port`, with the API server's kubelet token). Nothing is
 * stored: every request asks the kubelets (which measure over a short window, see the node
 * agent's stats.ts). Read-only: get and list, with label selectors; no watch.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { KubeObject } from '@flotilla/apimachinery';
import { matchLabels, parseFieldSelector, parseLabelSelector, SelectorError } from '@flotilla/apimachinery';
import { ApiError, badRequest, methodNotAllowed, notFound } from './errors.js';
import { sendJson } from './http.js';

export const METRICS_GROUP = 'metrics.k8s.io';
const VERSION = 'v1beta1';
const GV = `${METRICS_GROUP}/${VERSION}`;
const PREFIX = `/apis/${METRICS_GROUP}`;

const RESOURCES = [
  { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
  { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
];

/** The group's entry in `/apis` (APIGroupList). */
export function metricsGroup(): Record<string, unknown> {
  const v = { groupVersion: GV, version: VERSION };
  return { name: METRICS_GROUP, versions: [v], preferredVersion: v };
}

/** The group's item in aggregated discovery (APIGroupDiscoveryList of `/apis`). */
export function metricsDiscoveryItem(): Record<string, unknown> {
  return {
    metadata: { name: METRICS_GROUP, creationTimestamp: null },
    versions: [
      {
        version: VERSION,
        freshness: 'Current',
        resources: RESOURCES.map((r) => ({
          resource: r.name,
          responseKind: { group: METRICS_GROUP, version: VERSION, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.kind === 'NodeMetrics' ? 'nodemetrics' : 'podmetrics',
          verbs: r.verbs,
        })),
      },
    ],
  };
}

/** Adds the group to a `/apis` discovery answer (legacy list or aggregated). */
export function withMetricsGroup<T extends Record<string, unknown>>(doc: T): T {
  if (Array.isArray((doc as any).groups)) return { ...doc, groups: [...(doc as any).groups, metricsGroup()] };
  if (Array.isArray((doc as any).items)) return { ...doc, items: [...(doc as any).items, metricsDiscoveryItem()] };
  return doc;
}

export interface MetricsDeps {
  nodes(): KubeObject[];
  pods(namespace?: string): KubeObject[];
  kubeletToken(): string;
}

/** A Kubernetes quantity of nanocores / bytes, as metrics-server writes them. */
export const cpuQuantity = (nanoCores: number) => `${Math.max(0, Math.round(nanoCores))}n`;
export const memoryQuantity = (bytes: number) => `${Math.max(0, Math.floor(bytes / 1024))}Ki`;

/** NodeMetrics and PodMetrics from one kubelet summary (pure). */
export function fromSummary(summary: any, node: KubeObject, pods: Map<string, KubeObject>): { node?: any; pods: any[] } {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const window = typeof summary?.window === 'string' ? summary.window : '0s';
  const n = summary?.node;
  const nodeMetrics = n?.cpu && n?.memory
    ? {
        kind: 'NodeMetrics',
        apiVersion: GV,
        metadata: { name: node.metadata!.name, creationTimestamp: now, labels: node.metadata?.labels ?? {} },
        timestamp: n.cpu.time ?? now,
        window,
        usage: { cpu: cpuQuantity(n.cpu.usageNanoCores ?? 0), memory: memoryQuantity(n.memory.workingSetBytes ?? 0) },
      }
    : undefined;
  const out: any[] = [];
  for (const p of summary?.pods ?? []) {
    const ref = p.podRef ?? {};
    const obj = pods.get(`${ref.namespace}/${ref.name}`);
    // only pods the API knows, as this node's (a kubelet may still report one being deleted)
    if (!obj || (ref.uid && obj.metadata?.uid !== ref.uid) || (obj as any).spec?.nodeName !== node.metadata?.name) continue;
    const containers = (p.containers ?? []).filter((c: any) => c.cpu && c.memory);
    if (!containers.length) continue;
    out.push({
      kind: 'PodMetrics',
      apiVersion: GV,
      metadata: { name: ref.name, namespace: ref.namespace, creationTimestamp: now, labels: obj.metadata?.labels ?? {} },
      timestamp: containers[0].cpu.time ?? now,
      window,
      containers: containers.map((c: any) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpu.usageNanoCores ?? 0), memory: memoryQuantity(c.memory.workingSetBytes ?? 0) } })),
    });
  }
  return { node: nodeMetrics, pods: out };
}

function getSummary(node: KubeObject, token: string): Promise<any> {
  const st = (node as any).status ?? {};
  const port = Number(st.daemonEndpoints?.kubeletEndpoint?.Port ?? 0);
  const addr = (st.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
  if (!port) return Promise.reject(new Error(`node ${node.metadata?.name} has no kubelet endpoint`));
  const host = addr.includes(':') ? `[${addr}]` : addr;
  return new Promise((resolve, reject) => {
    const r = httpRequest(`http://${host}:${port}/stats/summary`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`the kubelet of ${node.metadata?.name} answered ${res.statusCode}: ${body.trim().slice(0, 200)}`));
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(new Error(`the kubelet of ${node.metadata?.name} answered no JSON: ${(e as Error).message}`));
        }
      });
    });
    r.setTimeout(15_000, () => r.destroy(new Error('timed out')));
    r.on('error', reject);
    r.end();
  });
}

export class MetricsApi {
  constructor(private readonly deps: MetricsDeps) {}

  /** Serves a request under /apis/metrics.k8s.io; false when the path is not this group's. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, q: URLSearchParams): Promise<boolean> {
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
    const parts = path.slice(PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (parts.length === 0) {
      if (method !== 'GET') throw methodNotAllowed(`the server does not allow this method on the requested resource`);
      sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...metricsGroup() });
      return true;
    }
    if (parts[0] !== VERSION) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    if (parts.length === 1) {
      if (method !== 'GET') throw methodNotAllowed(`the server does not allow this method on the requested resource`);
      sendJson(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: GV, resources: RESOURCES });
      return true;
    }
    let rest = parts.slice(1);
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, sub] = rest;
    if (rest[0] === 'watch' || q.get('watch') === 'true' || q.get('watch') === '1') throw methodNotAllowed(`watch is not supported on ${plural ?? 'resources'}.${METRICS_GROUP}`);
    if (!(plural === 'nodes' || plural === 'pods') || sub !== undefined || (plural === 'nodes' && namespace !== undefined))
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource`, {});
    if (method !== 'GET') throw methodNotAllowed(`${plural}.${METRICS_GROUP} are read-only: ${method} is not supported`);
    let selector;
    let fields;
    try {
      selector = parseLabelSelector(q.get('labelSelector') ?? '');
      fields = parseFieldSelector(q.get('fieldSelector') ?? '');
    } catch (e) {
      if (e instanceof SelectorError) throw badRequest(`unable to parse requirement: ${e.message}`);
      throw e;
    }
    // like metrics-server: labels, and the object's name and namespace as fields
    const bad = fields.find((f) => f.field !== 'metadata.name' && f.field !== 'metadata.namespace');
    if (bad) throw badRequest(`"${bad.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    const keep = (o: any) =>
      (!selector.length || matchLabels(selector, o.metadata?.labels)) &&
      fields.every((f) => ((f.field === 'metadata.name' ? o.metadata?.name : o.metadata?.namespace ?? '') === f.value) === (f.op === '='));
    const { nodes, pods } = await this.collect(plural === 'nodes' ? (name ? [name] : undefined) : undefined, plural === 'pods', namespace);
    if (plural === 'nodes') {
      if (name) {
        const m = nodes.find((x) => x.metadata.name === name);
        if (!m) throw notFound(METRICS_GROUP, 'nodes', name);
        sendJson(res, 200, m);
      } else sendJson(res, 200, { kind: 'NodeMetricsList', apiVersion: GV, metadata: {}, items: nodes.filter(keep) });
      return true;
    }
    if (name) {
      const m = namespace !== undefined ? pods.find((x) => x.metadata.name === name) : undefined;
      if (!m) throw notFound(METRICS_GROUP, 'pods', name);
      sendJson(res, 200, m);
    } else sendJson(res, 200, { kind: 'PodMetricsList', apiVersion: GV, metadata: {}, items: pods.filter(keep) });
    return true;
  }

  /** Asks the kubelets (of the named nodes, or of every node that runs a wanted pod). */
  private async collect(nodeNames: string[] | undefined, wantPods: boolean, namespace?: string): Promise<{ nodes: any[]; pods: any[] }> {
    const podObjs = wantPods ? this.deps.pods(namespace) : [];
    const byKey = new Map(podObjs.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p]));
    const onNodes = new Set(podObjs.map((p) => (p as any).spec?.nodeName).filter(Boolean));
    const nodes = this.deps.nodes().filter((n) => (wantPods ? onNodes.has(n.metadata?.name) : !nodeNames || nodeNames.includes(n.metadata!.name!)));
    const results = await Promise.all(
      nodes.map(async (n) => {
        try {
          return fromSummary(await getSummary(n, this.deps.kubeletToken()), n, byKey);
        } catch (e) {
          // like metrics-server: a node that does not answer has no metrics
          console.error(`apiserver: metrics: ${(e as Error).message}`);
          return { node: undefined, pods: [] };
        }
      }),
    );
    return { nodes: results.map((r) => r.node).filter(Boolean), pods: results.flatMap((r) => r.pods) };
  }
}
