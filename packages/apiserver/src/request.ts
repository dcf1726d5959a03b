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

/**
 * A request URL taken apart once, before anything routes on it: the raw path is split on "/" while
 * still encoded, each segment is decoded exactly once, and the path is never normalised, so "%2E%2E"
 * is the name ".." (refused), never "the parent". Every error is a 400 Status.
 */
export interface ParsedUrl {
  /** the raw path (still encoded; empty segments left out): what RBAC decodes segment by segment the same way */
  rawPath: string;
  /** the decoded segments, empty ones (a trailing or doubled "/") left out */
  segments: string[];
  /** "/" + segments joined: for the non-resource paths (discovery, openapi, healthz) */
  path: string;
  query: URLSearchParams;
  /**
   * The resource the path names (/api/{v}/… or /apis/{g}/{v}/…), walked once here for routing
   * and for RBAC's attributes alike; undefined for other paths. `extra` marks segments beyond
   * {name}/{subresource}: authorization still sees the resource (as Kubernetes' RequestInfo
   * does), routing answers 404.
   */
  resource?: RequestInfo & { extra: boolean };
}

export function parseUrl(rawUrl: string): ParsedUrl {
  let raw = rawUrl || '/';
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(raw);
  if (abs) raw = raw.slice(abs[0].length) || '/';
  const hash = raw.indexOf('#');
  if (hash >= 0) raw = raw.slice(0, hash);
  const qi = raw.indexOf('?');
  const rawPath = qi >= 0 ? raw.slice(0, qi) : raw;
  if (!rawPath.startsWith('/')) throw badRequest(`the request path must begin with "/": ${JSON.stringify(rawPath.slice(0, 100))}`);
  const rawSegments = rawPath.split('/').filter((p) => p !== '');
  const segments = rawSegments.map(decodeSegment);
  for (const s of segments) {
    const errs = pathSegmentErrors(s);
    if (errs.length) throw badRequest(`invalid resource name ${JSON.stringify(s)}: [${errs.join(', ')}]`);
  }
  return {
    rawPath: `/${rawSegments.join('/')}`,
    segments,
    path: `/${segments.join('/')}`,
    query: new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : ''),
    resource: resourceInfo(segments),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one path segment once; a malformed escape or invalid UTF-8 is a 400. */
export function decodeSegment(seg: string): string {
  if (!seg.includes('%')) return seg;
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(seg);
  if (bad) throw badRequest(`invalid URL escape ${JSON.stringify(seg.slice(bad.index, bad.index + 3))} in the request path`);
  const bytes: number[] = [];
  for (let i = 0; i < seg.length; i++) {
    if (seg[i] === '%') {
      bytes.push(parseInt(seg.slice(i + 1, i + 3), 16));
      i += 2;
    } else for (const b of Buffer.from(seg[i], 'utf8')) bytes.push(b);
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw badRequest(`invalid UTF-8 in the request path segment ${JSON.stringify(seg.slice(0, 100))}`);
  }
}

/** What Kubernetes refuses in any name used as a path segment (IsValidPathSegmentName). */
export function pathSegmentErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const out: string[] = [];
  if (name.includes('/')) out.push(`may not contain '/'`);
  return out;
}

/** Routes the decoded segments of "/api/v1/namespaces/ns/pods/name/status" and friends; undefined: not a resource path (or one with segments past its subresource). */
export function parsePath(path: string | string[]): RequestInfo | undefined {
  const info = typeof path === 'string' ? parseUrl(path).resource : resourceInfo(path);
  if (!info || info.extra) return undefined;
  const { extra: _extra, ...rest } = info;
  return rest;
}

/**
 * The one walk of a resource path (Kubernetes' RequestInfoFactory): api group and version, the
 * watch prefix, namespaces/{ns}/ (but namespaces/{ns} and namespaces/{ns}/{status,finalize} are
 * the Namespace object itself), then {resource}/{name}/{subresource}.
 */
export function resourceInfo(parts: string[]): (RequestInfo & { extra: boolean }) | undefined {
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
    // namespaces/{ns}/{plural}[/{name}[/{sub}]]: anything longer is no resource to route to
    return { group, version, namespace: rest[1], plural: rest[2], name: rest[3], sub: rest[4], watchPrefix, extra: rest.length > 5 };
  }
  return { group, version, plural: rest[0], name: rest[1], sub: rest[2], watchPrefix, extra: rest.length > 3 };
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
