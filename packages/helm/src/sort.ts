// From rendered templates to the ordered manifest list `helm template` prints.
//
// Rendered files are visited in path order; each is split into YAML documents at `---` lines and
// every non-empty document becomes a manifest (its text trimmed). A document whose
// metadata.annotations carry `helm.sh/hook` is a hook. Manifests and hooks are each sorted by kind
// in Helm's install order (a stable sort, so files and documents keep their order within a kind;
// unknown kinds come last, alphabetically by kind).
import { isMap } from '@flotilla/gotemplate';
import { HelmError } from './errors.js';
import { parseYaml, jsonKind } from './yaml.js';
import { scanHead } from './fasthead.js';

export const INSTALL_ORDER = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];
const ORDER = new Map(INSTALL_ORDER.map((k, i) => [k, i]));

export interface SortedManifest {
  /** The template path, e.g. "mychart/templates/deployment.yaml". */
  name: string;
  content: string;
  kind: string;
  /** The value of the helm.sh/hook annotation, for hooks. */
  hook?: string;
}

const SEP = /(?:^|[\t\n\f\r ]*\n)---[\t\n\f\r ]*/;

/** Splits a multi-document YAML text the way Helm does; empty documents are dropped. */
export function splitManifests(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return trimmed
    .split(SEP)
    .filter((d) => d !== '')
    .map((d) => d.trim());
}

export interface Head {
  kind: string;
  hook?: string;
}

function readHead(doc: string, path: string): Head {
  const fast = scanHead(doc);
  if (fast) {
    const hook = fast.annotations['helm.sh/hook'];
    return hook !== undefined ? { kind: fast.kind, hook } : { kind: fast.kind };
  }
  return readHeadFully(doc, path);
}

/** Reads the head with the full YAML parser (also the source of the error messages). */
export function readHeadFully(doc: string, path: string): Head {
  let v: unknown;
  try {
    v = parseYaml(doc);
  } catch (e) {
    throw new HelmError(`YAML parse error on ${path}: error converting YAML to JSON: ${(e as Error).message}`, { file: path, cause: e });
  }
  if (v === null || v === undefined) return { kind: '' };
  const bad = (field: string, val: unknown, type: string) =>
    new HelmError(`YAML parse error on ${path}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(val)} into Go struct field ${field} of type ${type}`, { file: path });
  if (!isMap(v)) throw new HelmError(`YAML parse error on ${path}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(v)} into Go value of type releaseutil.SimpleHead`, { file: path });
  const kind = v['kind'];
  if (kind !== undefined && kind !== null && typeof kind !== 'string') throw bad('SimpleHead.kind', kind, 'string');
  const apiVersion = v['apiVersion'];
  if (apiVersion !== undefined && apiVersion !== null && typeof apiVersion !== 'string') throw bad('SimpleHead.apiVersion', apiVersion, 'string');
  const md = v['metadata'];
  let hook: string | undefined;
  if (md !== undefined && md !== null) {
    if (!isMap(md)) throw bad('SimpleHead.metadata', md, 'struct { Name string "json:\\"name\\""; Annotations map[string]string "json:\\"annotations\\"" }');
    const ann = md['annotations'];
    if (ann !== undefined && ann !== null) {
      if (!isMap(ann)) throw bad('.metadata.annotations', ann, 'map[string]string');
      for (const [k, a] of Object.entries(ann)) {
        if (a !== null && typeof a !== 'string') throw bad('.metadata.annotations', a, 'string');
        if (k === 'helm.sh/hook' && typeof a === 'string') hook = a;
      }
    }
  }
  return hook !== undefined ? { kind: (kind as string) ?? '', hook } : { kind: (kind as string) ?? '' };
}

function kindLess(a: string, b: string): number {
  const oa = ORDER.get(a);
  const ob = ORDER.get(b);
  if (oa === undefined && ob === undefined) return a === b ? 0 : a < b ? -1 : 1;
  if (oa === undefined) return 1;
  if (ob === undefined) return -1;
  return oa - ob;
}

/** Sorts manifests by kind (stable). */
export function sortByKind<T extends { kind: string }>(list: T[]): T[] {
  return list
    .map((m, i) => ({ m, i }))
    .sort((x, y) => kindLess(x.m.kind, y.m.kind) || x.i - y.i)
    .map((x) => x.m);
}

/** Splits, classifies and sorts rendered files (partials and empty files are skipped). */
export function sortManifests(files: Map<string, string>): { manifests: SortedManifest[]; hooks: SortedManifest[] } {
  const manifests: SortedManifest[] = [];
  const hooks: SortedManifest[] = [];
  const paths = [...files.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const path of paths) {
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (base.startsWith('_')) continue;
    const text = files.get(path)!;
    if (text.trim() === '') continue;
    for (const doc of splitManifests(text)) {
      const head = readHead(doc, path);
      const m: SortedManifest = { name: path, content: doc, kind: head.kind };
      if (head.hook !== undefined) {
        m.hook = head.hook;
        hooks.push(m);
      } else manifests.push(m);
    }
  }
  return { manifests: sortByKind(manifests), hooks: sortByKind(hooks) };
}
