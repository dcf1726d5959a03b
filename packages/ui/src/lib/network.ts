/**
 * The app details' network view, as Argo CD's: from the resource tree's `networkingInfo` — the addresses
 * traffic comes in by (external URLs, load-balancer ingress) → Ingresses → the Services their rules name
 * (`targetRefs`) → the Pods whose labels match a Service's selector (`targetLabels`). Pure, no DOM.
 */
import { resKey, type Graph, type GraphNode, type TreeNode } from './tree.js';

export interface NetworkingInfo {
  targetLabels?: Record<string, string>;
  targetRefs?: { group?: string; kind: string; namespace?: string; name: string }[];
  labels?: Record<string, string>;
  ingress?: { ip?: string; hostname?: string }[];
  externalURLs?: string[];
}
export type NetTreeNode = TreeNode & { networkingInfo?: NetworkingInfo };

const matches = (sel: Record<string, string>, labels: Record<string, string> | undefined) => !!labels && Object.entries(sel).every(([k, v]) => labels[k] === v);

export function buildNetworkGraph(tree: NetTreeNode[], sync: Map<string, string> = new Map()): Graph {
  const nodes = new Map<string, GraphNode>();
  const edges: Graph['edges'] = [];
  const seen = new Set<string>();
  const edge = (from: string, to: string) => {
    if (from === to || seen.has(`${from}>${to}`)) return;
    seen.add(`${from}>${to}`);
    edges.push({ from, to });
  };
  const add = (n: NetTreeNode) => {
    const id = resKey(n);
    if (!nodes.has(id)) nodes.set(id, { id, kind: n.kind, group: n.group ?? '', version: n.version, name: n.name, namespace: n.namespace ?? '', health: n.health?.status, sync: sync.get(id), live: true, info: n.info });
    return id;
  };
  const pods = tree.filter((n) => n.kind === 'Pod' && !n.group);
  const services = tree.filter((n) => n.kind === 'Service' && !n.group);
  const ingresses = tree.filter((n) => n.kind === 'Ingress' && (n.group === 'networking.k8s.io' || n.group === 'extensions'));
  const entry = (ni: NetworkingInfo | undefined, to: string) => {
    const outside = ni?.externalURLs?.length ? ni.externalURLs : (ni?.ingress ?? []).map((i) => i.hostname || i.ip || '').filter(Boolean);
    for (const u of outside) {
      const id = `external/${u}`;
      if (!nodes.has(id)) nodes.set(id, { id, kind: 'Internet', group: '', name: u, namespace: '', live: true });
      edge(id, to);
    }
  };
  for (const ing of ingresses) {
    const id = add(ing);
    entry(ing.networkingInfo, id);
    for (const ref of ing.networkingInfo?.targetRefs ?? []) {
      const svc = services.find((s) => s.name === ref.name && (s.namespace ?? '') === (ref.namespace ?? ing.namespace ?? ''));
      if (svc) edge(id, add(svc));
      else {
        // a backend Service the app does not manage (or not created yet)
        const mid = `missing/${ref.namespace ?? ing.namespace ?? ''}/${ref.name}`;
        if (!nodes.has(mid)) nodes.set(mid, { id: mid, kind: 'Service', group: '', name: ref.name, namespace: ref.namespace ?? ing.namespace ?? '', health: 'Missing', live: false });
        edge(id, mid);
      }
    }
  }
  for (const svc of services) {
    const id = add(svc);
    entry(svc.networkingInfo, id);
    const sel = svc.networkingInfo?.targetLabels;
    if (!sel) continue;
    for (const p of pods) if ((p.namespace ?? '') === (svc.namespace ?? '') && matches(sel, p.networkingInfo?.labels)) edge(id, add(p));
  }
  return { nodes: [...nodes.values()], edges };
}
