/** Requests: the path and the list filter (labelSelector, fieldSelector). */
import type { KubeObject, LabelRequirement, FieldRequirement } from '@flotilla/apimachinery';
import { getPath, matchLabels, parseFieldSelector, parseLabelSelector, SelectorError } from '@flotilla/apimachinery';
import { badRequest } from './errors.js';
import type { Served } from './registry.js';

export interface RequestInfo {
  group: string;
  version: string;
  namespace?: string;
  plural: string;
  name?: string;
  sub?: string;
  watchPrefix: boolean;
}

/** Parses "/api/v1/namespaces/ns/pods/name/status" and friends. */
export function parsePath(path: string): RequestInfo | undefined {
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let group = '';
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else return undefined;
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  if (rest.length === 0) return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    return { group, version, namespace: rest[1], plural: rest[2], name: rest[3], sub: rest[4], watchPrefix };
  }
  return { group, version, plural: rest[0], name: rest[1], sub: rest[2], watchPrefix };
}

const FIELD_LABELS: Record<string, string[]> = {
  'core/pods': ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  'core/events': ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  'events.k8s.io/events': ['regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'reason', 'type', 'reportingController'],
  'core/secrets': ['type'],
  'core/namespaces': ['status.phase'],
  'core/nodes': ['spec.unschedulable'],
  'core/replicationcontrollers': ['status.replicas'],
  'apps/replicasets': ['status.replicas'],
  'batch/jobs': ['status.successful'],
};

export interface Filter {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

function fieldValue(obj: KubeObject, field: string): string {
  if (field === 'source') return String(getPath(obj, 'source.component') ?? '');
  const v = getPath(obj, field);
  if (v === undefined || v === null) return field === 'spec.hostNetwork' || field === 'spec.unschedulable' ? 'false' : '';
  return String(v);
}

export function matches(f: Filter, obj: KubeObject): boolean {
  if (f.labels.length && !matchLabels(f.labels, obj.metadata?.labels)) return false;
  for (const r of f.fields) {
    const v = fieldValue(obj, r.field);
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

export function listFilter(s: Served, q: URLSearchParams): Filter {
  try {
    const labels = parseLabelSelector(q.get('labelSelector') ?? '');
    const fields = parseFieldSelector(q.get('fieldSelector') ?? '');
    const allowed = FIELD_LABELS[s.key] ?? [];
    for (const f of fields) {
      if (f.field === 'metadata.name' || f.field === 'metadata.namespace' || allowed.includes(f.field)) continue;
      throw badRequest(`field label not supported: ${f.field}`);
    }
    return { labels, fields };
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(`unable to parse requirement: ${e.message}`);
    throw e;
  }
}
