/**
 * The app details' resource graph: the app's resource tree (nodes with parentRefs) and its status
 * resources (sync status per resource) as one graph rooted at the application — pure, no DOM.
 */

export interface TreeNode {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  parentRefs?: { group?: string; kind: string; namespace?: string; name: string; uid?: string }[];
  health?: { status?: string; message?: string };
  info?: { name: string; value: string }[];
  images?: string[];
  createdAt?: string;
}

export interface StatusResource {
  group?: string;
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
  status?: string;
  health?: { status?: string; message?: string };
  hook?: boolean;
  requiresPruning?: boolean;
}

export interface GraphNode {
  id: string;
  kind: string;
  group: string;
  version?: string;
  name: string;
  namespace: string;
  health?: string;
  sync?: string;
  /** present in the cluster */
  live: boolean;
  root?: boolean;
  info?: { name: string; value: string }[];
}

export interface Graph {
  nodes: GraphNode[];
  edges: { from: string; to: string }[];
}

export const resKey = (r: { group?: string; kind: string; namespace?: string; name: string }) => `${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`;

export function buildGraph(app: { name: string; health?: string; sync?: string }, tree: TreeNode[], resources: StatusResource[]): Graph {
  const rootId = `app/${app.name}`;
  const nodes = new Map<string, GraphNode>();
  nodes.set(rootId, { id: rootId, kind: 'Application', group: 'argoproj.io', name: app.name, namespace: '', health: app.health, sync: app.sync, live: true, root: true });
  const edges: { from: string; to: string }[] = [];
  const byUid = new Map<string, string>();
  const statusOf = new Map(resources.map((r) => [resKey(r), r]));
  for (const n of tree) {
    const id = resKey(n);
    const s = statusOf.get(id);
    nodes.set(id, { id, kind: n.kind, group: n.group ?? '', version: n.version, name: n.name, namespace: n.namespace ?? '', health: n.health?.status ?? s?.health?.status, sync: s?.status, live: true, info: n.info });
    if (n.uid) byUid.set(n.uid, id);
  }
  // managed resources not in the cluster yet (Missing) still show, under the app
  for (const r of resources) {
    const id = resKey(r);
    if (!nodes.has(id)) nodes.set(id, { id, kind: r.kind, group: r.group ?? '', version: r.version, name: r.name, namespace: r.namespace ?? '', health: r.health?.status ?? 'Missing', sync: r.status, live: false });
  }
  const seen = new Set<string>();
  const edge = (from: string, to: string) => {
    const k = `${from}>${to}`;
    if (from === to || seen.has(k)) return;
    seen.add(k);
    edges.push({ from, to });
  };
  for (const n of tree) {
    const id = resKey(n);
    const parents = (n.parentRefs ?? []).map((p) => (p.uid && byUid.get(p.uid)) || resKey(p)).filter((p) => nodes.has(p));
    if (parents.length === 0) edge(rootId, id);
    else for (const p of parents) edge(p, id);
  }
  for (const r of resources) {
    const id = resKey(r);
    if (!edges.some((e) => e.to === id)) edge(rootId, id);
  }
  return { nodes: [...nodes.values()], edges };
}
