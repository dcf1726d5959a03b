/**
 * The application resource tree, as argocd-server's `resource-tree` API returns it: the managed
 * resources plus every cluster object reachable from them through ownerReferences (Deployment →
 * ReplicaSet → Pod, StatefulSet/DaemonSet/Job → Pod, CronJob → Job → Pod, …), Endpoints and
 * EndpointSlices under their Service, with Argo's info, images, networkingInfo and health.
 */
import type { KubeObject, ResourceNode } from '../types.js';
import { groupOf, str } from '../health/common.js';
import type { HealthStatus } from '../health/common.js';
import { imagesOf, infoOf, networkingInfoOf } from './info.js';

export { imagesOf, infoOf, networkingInfoOf, podStatusReason, type InfoItem, type NetworkingInfo } from './info.js';

type ParentRef = NonNullable<ResourceNode['parentRefs']>[number];

const idOf = (o: KubeObject): string => o.metadata?.uid || `${groupOf(o)}/${str(o.kind)}/${o.metadata?.namespace ?? ''}/${str(o.metadata?.name)}`;
const nameKey = (group: string, kind: string, ns: string | undefined, name: string): string => `${group}/${kind}/${ns ?? ''}/${name}`;
const versionOf = (o: KubeObject): string => {
  const av = str(o.apiVersion);
  return av.includes('/') ? av.slice(av.indexOf('/') + 1) : av;
};

/** Well-formed owner references only (junk in metadata.ownerReferences is ignored). */
function owners(o: KubeObject): { apiVersion?: string; kind: string; name: string; uid?: string }[] {
  const refs = o.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return [];
  return refs.filter((r) => r !== null && typeof r === 'object' && typeof r.kind === 'string' && typeof r.name === 'string') as never;
}

function refOf(o: KubeObject): ParentRef {
  const r: ParentRef = { group: groupOf(o), kind: str(o.kind), name: str(o.metadata?.name) };
  if (o.metadata?.namespace) r.namespace = o.metadata.namespace;
  if (o.metadata?.uid) r.uid = o.metadata.uid;
  return r;
}

/** The resource-tree node of one object (without parentRefs). */
export function toNode(o: KubeObject, healthOf?: (o: KubeObject) => HealthStatus | undefined): ResourceNode {
  const n: ResourceNode = { group: groupOf(o), version: versionOf(o), kind: str(o.kind), name: str(o.metadata?.name) };
  if (o.metadata?.namespace) n.namespace = o.metadata.namespace;
  if (o.metadata?.uid) n.uid = o.metadata.uid;
  if (o.metadata?.resourceVersion) n.resourceVersion = o.metadata.resourceVersion;
  const info = infoOf(o);
  if (info) n.info = info;
  const net = networkingInfoOf(o);
  if (net) n.networkingInfo = net;
  const images = imagesOf(o);
  if (images.length) n.images = images;
  const h = healthOf?.(o);
  if (h) n.health = h.message ? { status: h.status, message: h.message } : { status: h.status };
  if (o.metadata?.creationTimestamp) n.createdAt = o.metadata.creationTimestamp;
  return n;
}

/**
 * Builds the tree. `managed` are the app's live managed objects; `cluster` every object the
 * caller listed (children are found among them); `healthOf` assesses each node.
 */
export function buildTree(managed: KubeObject[], cluster: KubeObject[], healthOf?: (o: KubeObject) => HealthStatus | undefined): ResourceNode[] {
  const byOwnerUid = new Map<string, KubeObject[]>();
  const byOwnerName = new Map<string, KubeObject[]>();
  const endpointsByService = new Map<string, KubeObject[]>();
  const push = (m: Map<string, KubeObject[]>, k: string, o: KubeObject) => {
    const l = m.get(k);
    if (l) l.push(o);
    else m.set(k, [o]);
  };
  for (const o of cluster) {
    if (!o || typeof o !== 'object' || !o.metadata || typeof o.metadata !== 'object') continue;
    for (const ref of owners(o)) {
      if (ref.uid) push(byOwnerUid, ref.uid, o);
      const av = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
      const g = av.includes('/') ? av.slice(0, av.indexOf('/')) : '';
      push(byOwnerName, nameKey(g, ref.kind, o.metadata.namespace, ref.name), o);
    }
    const ns = o.metadata.namespace;
    if (o.kind === 'Endpoints' && groupOf(o) === '') push(endpointsByService, `${ns ?? ''}/${o.metadata.name}`, o);
    if (o.kind === 'EndpointSlice' && !owners(o).length) {
      const svc = o.metadata.labels?.['kubernetes.io/service-name'];
      if (svc) push(endpointsByService, `${ns ?? ''}/${svc}`, o);
    }
  }

  const nodes = new Map<string, ResourceNode>();
  const queue: KubeObject[] = [];
  const addParent = (child: ResourceNode, parent: KubeObject) => {
    const ref = refOf(parent);
    child.parentRefs ??= [];
    if (!child.parentRefs.some((r) => (r.uid && r.uid === ref.uid) || (r.kind === ref.kind && r.name === ref.name && r.namespace === ref.namespace && r.group === ref.group))) {
      child.parentRefs.push(ref);
    }
  };
  for (const o of managed) {
    if (!o || typeof o !== 'object' || !o.metadata || typeof o.metadata !== 'object') continue;
    const id = idOf(o);
    if (nodes.has(id)) continue;
    nodes.set(id, toNode(o, healthOf));
    queue.push(o);
  }
  while (queue.length) {
    const parent = queue.shift()!;
    const kids = new Set<KubeObject>([
      ...(parent.metadata?.uid ? byOwnerUid.get(parent.metadata.uid) ?? [] : []),
      ...(byOwnerName.get(nameKey(groupOf(parent), str(parent.kind), parent.metadata?.namespace, str(parent.metadata?.name))) ?? []).filter(
        (k) => !owners(k).some((r) => r.uid && parent.metadata?.uid && r.uid !== parent.metadata.uid && r.name === parent.metadata?.name),
      ),
      ...(parent.kind === 'Service' && groupOf(parent) === '' ? endpointsByService.get(`${parent.metadata?.namespace ?? ''}/${str(parent.metadata?.name)}`) ?? [] : []),
    ]);
    for (const k of kids) {
      if (k === parent) continue;
      const id = idOf(k);
      let node = nodes.get(id);
      if (!node) {
        node = toNode(k, healthOf);
        nodes.set(id, node);
        queue.push(k);
      }
      addParent(node, parent);
    }
  }
  return [...nodes.values()].sort(
    (a, b) =>
      (a.group ?? '').localeCompare(b.group ?? '') || a.kind.localeCompare(b.kind) || (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name),
  );
}

/**
 * An application's `status.summary` from its tree: every image of its nodes, and external URLs
 * (Ingress and LoadBalancer Service networkingInfo, plus `link.argocd.argoproj.io/external-link`
 * annotations of the objects given) — sorted and de-duplicated.
 */
export function appSummary(nodes: ResourceNode[], objects: KubeObject[] = []): { images?: string[]; externalURLs?: string[] } {
  const images = new Set<string>();
  const urls = new Set<string>();
  for (const n of nodes) {
    for (const i of n.images ?? []) images.add(i);
    const net = n.networkingInfo as { externalURLs?: unknown } | undefined;
    if (Array.isArray(net?.externalURLs)) for (const u of net.externalURLs) if (typeof u === 'string' && u) urls.add(u);
  }
  for (const o of objects) {
    const link = o?.metadata?.annotations?.['link.argocd.argoproj.io/external-link'];
    if (link) urls.add(link);
  }
  const out: { images?: string[]; externalURLs?: string[] } = {};
  if (images.size) out.images = [...images].sort();
  if (urls.size) out.externalURLs = [...urls].sort();
  return out;
}
