/**
 * The OpenAPI documents an API server serves — `/openapi/v3` (index), `/openapi/v3/apis/G/V`
 * (one group-version) and `/openapi/v2` (Swagger 2.0) — for built-in resources plus whatever
 * extra resources and schemas the server passes in (CRDs). Pure functions: no I/O, no caching.
 */
import { createHash } from 'node:crypto';
import type { ResourceInfo, StructSchema } from '@flotilla/apimachinery';
import { findBuiltin, builtinSubresources } from './resources.js';
import { definitionName, openApiSchemas, schemaClosure, refName, SCHEMA_REF_PREFIX } from './schemas.js';

/** Kubernetes version the documents claim to describe. */
export const OPENAPI_KUBERNETES_VERSION = 'v1.32.0';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const DELETE_OPTIONS = `${META}DeleteOptions`;
const STATUS = `${META}Status`;
const PATCH = `${META}Patch`;
const WATCH_EVENT = `${META}WatchEvent`;
const LIST_META = `${META}ListMeta`;
const SCALE = 'io.k8s.api.autoscaling.v1.Scale';

/** The schema name of a built-in resource's kind (undefined for non-built-ins). */
export function builtinKindSchemaName(r: ResourceInfo): string | undefined {
  return definitionName(r.group, r.version, r.kind);
}

// ---------------------------------------------------------------------------------------------
// /openapi/v3 index

/** "v1" -> "api/v1", "apps/v1" -> "apis/apps/v1" (also accepts "/v1" and "core/v1" for core). */
export function openApiV3PathKey(groupVersion: string): string {
  const gv = groupVersion.replace(/^\/+/, '');
  const i = gv.indexOf('/');
  if (i < 0) return `api/${gv}`;
  const group = gv.slice(0, i);
  if (group === '' || group === 'core') return `api/${gv.slice(i + 1)}`;
  return `apis/${gv}`;
}

/** A stable hash of a document (upper-case hex SHA-512 of its JSON, like Kubernetes' etags). */
export function openApiDocHash(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

/**
 * The `/openapi/v3` index. `hashes` gives each group-version's document hash (pass
 * openApiDocHash(doc) so clients that cache by URL notice changes); without it the hash is derived
 * from the group-version and the Kubernetes version only.
 */
export function openApiV3Paths(
  groupVersions: string[],
  hashes?: Record<string, string> | ((groupVersion: string) => string),
): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions) {
    const key = openApiV3PathKey(gv);
    const h =
      typeof hashes === 'function'
        ? hashes(gv)
        : (hashes?.[gv] ?? hashes?.[key] ?? openApiDocHash(`${OPENAPI_KUBERNETES_VERSION}:${key}`));
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${h}` };
  }
  return { paths };
}

// ---------------------------------------------------------------------------------------------
// Operations, independent of the OpenAPI version

type ParamType = 'string' | 'integer' | 'boolean';
interface Param {
  name: string;
  in: 'query' | 'path';
  type: ParamType;
  description: string;
  required?: boolean;
}

const q = (name: string, type: ParamType, description: string): Param => ({ name, in: 'query', type, description });
const P = {
  pretty: q('pretty', 'string', "If 'true', the response is pretty-printed."),
  dryRun: q(
    'dryRun',
    'string',
    'When present, the request is processed but not persisted. The only valid value is "All" (run every dry-run stage); an unknown value is an error.',
  ),
  fieldManager: q(
    'fieldManager',
    'string',
    'Name of the actor making the change, recorded in managedFields. At most 128 printable characters. Required for apply patches; optional otherwise.',
  ),
  fieldValidation: q(
    'fieldValidation',
    'string',
    'What to do with unknown or duplicate fields in the request body: "Ignore" drops them silently, "Warn" drops them and returns a Warning header for each, "Strict" fails the request with BadRequest. Defaults to "Warn".',
  ),
  force: q(
    'force',
    'boolean',
    'For apply patches only: take ownership of fields that other managers own, resolving conflicts in favour of this request. Must be unset for other patch types.',
  ),
  labelSelector: q('labelSelector', 'string', 'Only return objects whose labels match this selector. Defaults to everything.'),
  fieldSelector: q('fieldSelector', 'string', 'Only return objects whose fields match this selector. Defaults to everything.'),
  limit: q(
    'limit',
    'integer',
    'Maximum number of items to return. When more exist, the list metadata carries a "continue" token for fetching the next chunk.',
  ),
  continue: q(
    'continue',
    'string',
    'The "continue" token of a previous chunked list call with the same query, to fetch the next chunk. Expired tokens fail with 410 ResourceExpired.',
  ),
  resourceVersion: q(
    'resourceVersion',
    'string',
    'Constrains which resource versions the request may be served from. Unset means the most recent state. See the API concepts documentation on resource versions.',
  ),
  resourceVersionMatch: q(
    'resourceVersionMatch',
    'string',
    'How resourceVersion applies to list calls: "NotOlderThan" or "Exact". Only valid together with resourceVersion.',
  ),
  sendInitialEvents: q(
    'sendInitialEvents',
    'boolean',
    'With watch=true: start the stream with synthetic ADDED events for the current state, followed by a bookmark marking their end.',
  ),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Timeout for list/watch calls, in seconds, regardless of activity.'),
  watch: q('watch', 'boolean', 'Watch for changes and return them as a stream of add, update and remove notifications.'),
  allowWatchBookmarks: q(
    'allowWatchBookmarks',
    'boolean',
    'With watch=true: ask for BOOKMARK events, which only carry a resourceVersion. Servers may ignore it.',
  ),
  gracePeriodSeconds: q(
    'gracePeriodSeconds',
    'integer',
    'Seconds before the object is deleted; must be non-negative, zero means immediately. Unset uses the per-kind default.',
  ),
  orphanDependents: q(
    'orphanDependents',
    'boolean',
    'Deprecated: use propagationPolicy. Whether dependents are orphaned (true) or garbage collected (false).',
  ),
  propagationPolicy: q(
    'propagationPolicy',
    'string',
    'Whether and how dependents are garbage collected: "Orphan", "Background" or "Foreground".',
  ),
  ignoreStoreReadErrorWithClusterBreakingPotential: q(
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'boolean',
    'Delete an object that cannot be read from storage (e.g. corrupt data), bypassing the normal deletion flow. Dangerous; requires the delete-ignore-read-errors permission.',
  ),
};

const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [...WRITE_PARAMS, P.force];
const DELETE_PARAMS = [
  P.dryRun,
  P.gracePeriodSeconds,
  P.ignoreStoreReadErrorWithClusterBreakingPotential,
  P.orphanDependents,
  P.propagationPolicy,
];
const DELETECOLLECTION_PARAMS = [
  P.continue,
  P.dryRun,
  P.fieldSelector,
  P.gracePeriodSeconds,
  P.ignoreStoreReadErrorWithClusterBreakingPotential,
  P.labelSelector,
  P.limit,
  P.orphanDependents,
  P.propagationPolicy,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
];

/** A schema used in a body or response: a definition name, or an inline schema. */
type SchemaUse = { name: string } | { inline: StructSchema };

interface Op {
  method: 'get' | 'put' | 'post' | 'delete' | 'patch';
  action: string;
  operationId: string;
  description: string;
  tag: string;
  params: Param[];
  body?: SchemaUse;
  /** patch content types (PATCH only) */
  patchTypes?: string[];
  responses: { code: string; schema?: SchemaUse; description: string }[];
  produces: string[];
  gvk?: { group: string; version: string; kind: string };
}

interface PathEntry {
  path: string;
  params: Param[];
  ops: Op[];
}

function pascal(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** "" -> "Core", "apps" -> "Apps", "rbac.authorization.k8s.io" -> "RbacAuthorization", "argoproj.io" -> "ArgoprojIo". */
function groupId(group: string): string {
  if (group === '') return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split(/[.-]/)
    .map(pascal)
    .join('');
}

function tagOf(group: string, version: string): string {
  const id = groupId(group);
  return `${id[0].toLowerCase()}${id.slice(1)}_${version}`;
}

function gvPrefix(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

interface Ctx {
  lookup: (name: string) => StructSchema | undefined;
  kindSchemaName: (r: ResourceInfo) => string | undefined;
  /** synthesized schemas (list kinds of CRDs, ...) to add to the document */
  extra: Map<string, StructSchema>;
}

function kindUse(r: ResourceInfo, ctx: Ctx): SchemaUse {
  const name = ctx.kindSchemaName(r);
  if (name && ctx.lookup(name)) return { name };
  return { inline: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
}

function listUse(r: ResourceInfo, ctx: Ctx): SchemaUse {
  const kindName = ctx.kindSchemaName(r);
  const builtinList = findBuiltin(r.group, r.version, r.plural) ? definitionName(r.group, r.version, r.listKind) : undefined;
  if (builtinList && ctx.lookup(builtinList)) return { name: builtinList };
  if (!kindName || !ctx.lookup(kindName)) return { inline: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
  const listName = `${kindName}List`;
  if (ctx.lookup(listName) || ctx.extra.has(listName)) return { name: listName };
  ctx.extra.set(listName, {
    description: `${r.listKind} is a list of ${r.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: {
        description:
          'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
        type: 'string',
      },
      items: {
        description: `List of ${r.plural}.`,
        type: 'array',
        items: { $ref: SCHEMA_REF_PREFIX + kindName },
      },
      kind: {
        description: 'Kind is a string value representing the REST resource this object represents. In CamelCase.',
        type: 'string',
      },
      metadata: { description: 'Standard list metadata.', allOf: [{ $ref: SCHEMA_REF_PREFIX + LIST_META }] },
    },
    'x-kubernetes-group-version-kind': [{ group: r.group, version: r.version, kind: r.listKind }],
  });
  return { name: listName };
}

const PATCH_TYPES_CR = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
const PATCH_TYPES_BUILTIN = [...PATCH_TYPES_CR.slice(0, 2), 'application/strategic-merge-patch+json', PATCH_TYPES_CR[2]];

/** All paths and operations of one resource. */
function resourcePaths(r: ResourceInfo, ctx: Ctx): PathEntry[] {
  const builtin = !!findBuiltin(r.group, r.version, r.plural);
  const produces = builtin
    ? ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']
    : ['application/json', 'application/yaml'];
  const streamProduces = [...produces, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'].filter(
    (p) => builtin || !p.includes('protobuf'),
  );
  const patchTypes = builtin ? PATCH_TYPES_BUILTIN : PATCH_TYPES_CR;
  const tag = tagOf(r.group, r.version);
  const id = `${groupId(r.group)}${pascal(r.version)}`;
  const ns = r.namespaced ? 'Namespaced' : '';
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const kind = kindUse(r, ctx);
  const has = (v: string) => r.verbs.includes(v);
  const base = gvPrefix(r.group, r.version);
  const nsSeg = r.namespaced ? '/namespaces/{namespace}' : '';
  const nameParam: Param = { name: 'name', in: 'path', type: 'string', required: true, description: `name of the ${r.kind}` };
  const nsParam: Param = {
    name: 'namespace',
    in: 'path',
    type: 'string',
    required: true,
    description: 'object name and auth scope, such as for teams and projects',
  };
  const scopeParams = r.namespaced ? [nsParam] : [];
  const out: PathEntry[] = [];
  const ok = (schema?: SchemaUse) => ({ code: '200', description: 'OK', schema });

  // collection
  const coll: Op[] = [];
  if (has('list')) {
    coll.push({
      method: 'get',
      action: 'list',
      operationId: `list${id}${ns}${r.kind}`,
      description: `list or watch objects of kind ${r.kind}`,
      tag,
      params: LIST_PARAMS,
      responses: [ok(listUse(r, ctx))],
      produces: streamProduces,
      gvk,
    });
  }
  if (has('create')) {
    coll.push({
      method: 'post',
      action: 'post',
      operationId: `create${id}${ns}${r.kind}`,
      description: `create ${article(r.kind)} ${r.kind}`,
      tag,
      params: WRITE_PARAMS,
      body: kind,
      responses: [ok(kind), { code: '201', description: 'Created', schema: kind }, { code: '202', description: 'Accepted', schema: kind }],
      produces,
      gvk,
    });
  }
  if (has('deletecollection')) {
    coll.push({
      method: 'delete',
      action: 'deletecollection',
      operationId: `deleteCollection${id}${ns}${r.kind}`,
      description: `delete collection of ${r.kind}`,
      tag,
      params: DELETECOLLECTION_PARAMS,
      body: { name: DELETE_OPTIONS },
      responses: [ok({ name: STATUS })],
      produces,
      gvk,
    });
  }
  if (coll.length) out.push({ path: `${base}${nsSeg}/${r.plural}`, params: [...scopeParams, P.pretty], ops: coll });

  // item
  const item: Op[] = [];
  if (has('get')) {
    item.push({
      method: 'get',
      action: 'get',
      operationId: `read${id}${ns}${r.kind}`,
      description: `read the specified ${r.kind}`,
      tag,
      params: [],
      responses: [ok(kind)],
      produces,
      gvk,
    });
  }
  if (has('update')) {
    item.push({
      method: 'put',
      action: 'put',
      operationId: `replace${id}${ns}${r.kind}`,
      description: `replace the specified ${r.kind}`,
      tag,
      params: WRITE_PARAMS,
      body: kind,
      responses: [ok(kind), { code: '201', description: 'Created', schema: kind }],
      produces,
      gvk,
    });
  }
  if (has('delete')) {
    item.push({
      method: 'delete',
      action: 'delete',
      operationId: `delete${id}${ns}${r.kind}`,
      description: `delete ${article(r.kind)} ${r.kind}`,
      tag,
      params: DELETE_PARAMS,
      body: { name: DELETE_OPTIONS },
      responses: [ok(builtin ? kind : { name: STATUS }), { code: '202', description: 'Accepted', schema: builtin ? kind : { name: STATUS } }],
      produces,
      gvk,
    });
  }
  if (has('patch')) {
    item.push({
      method: 'patch',
      action: 'patch',
      operationId: `patch${id}${ns}${r.kind}`,
      description: `partially update the specified ${r.kind}`,
      tag,
      params: PATCH_PARAMS,
      body: { name: PATCH },
      patchTypes,
      responses: [ok(kind), { code: '201', description: 'Created', schema: kind }],
      produces,
      gvk,
    });
  }
  const itemPath = `${base}${nsSeg}/${r.plural}/{name}`;
  if (item.length) out.push({ path: itemPath, params: [nameParam, ...scopeParams, P.pretty], ops: item });

  // status and scale
  const subresourceOps = (sub: string, subKind: SchemaUse, subGvk: Op['gvk'], label: string): Op[] => {
    const S = pascal(sub);
    return [
      {
        method: 'get',
        action: 'get',
        operationId: `read${id}${ns}${r.kind}${S}`,
        description: `read ${label} of the specified ${r.kind}`,
        tag,
        params: [],
        responses: [ok(subKind)],
        produces,
        gvk: subGvk,
      },
      {
        method: 'put',
        action: 'put',
        operationId: `replace${id}${ns}${r.kind}${S}`,
        description: `replace ${label} of the specified ${r.kind}`,
        tag,
        params: WRITE_PARAMS,
        body: subKind,
        responses: [ok(subKind), { code: '201', description: 'Created', schema: subKind }],
        produces,
        gvk: subGvk,
      },
      {
        method: 'patch',
        action: 'patch',
        operationId: `patch${id}${ns}${r.kind}${S}`,
        description: `partially update ${label} of the specified ${r.kind}`,
        tag,
        params: PATCH_PARAMS,
        body: { name: PATCH },
        patchTypes,
        responses: [ok(subKind), { code: '201', description: 'Created', schema: subKind }],
        produces,
        gvk: subGvk,
      },
    ];
  };
  const itemParams = [nameParam, ...scopeParams, P.pretty];
  if (r.subresources?.status) {
    out.push({ path: `${itemPath}/status`, params: itemParams, ops: subresourceOps('status', kind, gvk, 'status') });
  }
  if (r.subresources?.scale) {
    const scaleGvk = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
    out.push({ path: `${itemPath}/scale`, params: itemParams, ops: subresourceOps('scale', { name: SCALE }, scaleGvk, 'scale') });
  }

  // other built-in subresources that carry a typed body (eviction, binding, token, ...)
  if (builtin) {
    for (const sub of builtinSubresources(r)) {
      if (sub.name === 'status' || sub.name === 'scale' || sub.kind.endsWith('Options')) continue;
      const g = sub.group ?? r.group;
      const v = sub.version ?? r.version;
      const subName = definitionName(g, v, sub.kind);
      const subGvk = { group: g, version: v, kind: sub.kind };
      const S = pascal(sub.name);
      const ops: Op[] = [];
      if (sub.name === 'log') {
        ops.push({
          method: 'get',
          action: 'get',
          operationId: `read${id}${ns}${r.kind}Log`,
          description: `read log of the specified ${r.kind}`,
          tag,
          params: [
            q('container', 'string', 'The container whose logs to stream. Optional when the pod has one container.'),
            q('follow', 'boolean', 'Follow the log stream. Defaults to false.'),
            q('previous', 'boolean', "Return the previous terminated container's logs. Defaults to false."),
            q('sinceSeconds', 'integer', 'Only logs newer than this many seconds.'),
            q('tailLines', 'integer', 'Number of lines from the end of the log to show.'),
            q('timestamps', 'boolean', 'Prefix every line with an RFC3339 timestamp.'),
          ],
          responses: [ok({ inline: { type: 'string' } })],
          produces: ['text/plain', 'application/json', 'application/yaml'],
          gvk: undefined,
        });
      } else if (subName) {
        const use: SchemaUse = { name: subName };
        for (const verb of sub.verbs) {
          if (verb === 'create') {
            ops.push({
              method: 'post',
              action: 'post',
              operationId: `create${id}${ns}${r.kind}${S}`,
              description: `create ${sub.name} of ${article(r.kind)} ${r.kind}`,
              tag,
              params: WRITE_PARAMS,
              body: use,
              responses: [ok(use), { code: '201', description: 'Created', schema: use }, { code: '202', description: 'Accepted', schema: use }],
              produces,
              gvk: subGvk,
            });
          } else if (verb === 'get') {
            ops.push({ method: 'get', action: 'get', operationId: `read${id}${ns}${r.kind}${S}`, description: `read ${sub.name} of the specified ${r.kind}`, tag, params: [], responses: [ok(use)], produces, gvk: subGvk });
          } else if (verb === 'update') {
            ops.push({ method: 'put', action: 'put', operationId: `replace${id}${ns}${r.kind}${S}`, description: `replace ${sub.name} of the specified ${r.kind}`, tag, params: WRITE_PARAMS, body: use, responses: [ok(use), { code: '201', description: 'Created', schema: use }], produces, gvk: subGvk });
          } else if (verb === 'patch') {
            ops.push({ method: 'patch', action: 'patch', operationId: `patch${id}${ns}${r.kind}${S}`, description: `partially update ${sub.name} of the specified ${r.kind}`, tag, params: PATCH_PARAMS, body: { name: PATCH }, patchTypes, responses: [ok(use), { code: '201', description: 'Created', schema: use }], produces, gvk: subGvk });
          }
        }
      }
      if (ops.length) out.push({ path: `${itemPath}/${sub.name}`, params: itemParams, ops });
    }
  }

  // all-namespaces list and the (deprecated) watch paths
  if (has('list') && r.namespaced) {
    out.push({
      path: `${base}/${r.plural}`,
      params: [...LIST_PARAMS, P.pretty],
      ops: [
        {
          method: 'get',
          action: 'list',
          operationId: `list${id}${r.kind}ForAllNamespaces`,
          description: `list or watch objects of kind ${r.kind}`,
          tag,
          params: [],
          responses: [ok(listUse(r, ctx))],
          produces: streamProduces,
          gvk,
        },
      ],
    });
  }
  if (has('watch')) {
    const watchOp = (action: string, operationId: string, description: string): Op => ({
      method: 'get',
      action,
      operationId,
      description,
      tag,
      params: [],
      responses: [ok({ name: WATCH_EVENT })],
      produces: streamProduces,
      gvk,
    });
    out.push({
      path: `${base}/watch${nsSeg}/${r.plural}`,
      params: [...LIST_PARAMS, ...scopeParams, P.pretty],
      ops: [watchOp('watchlist', `watch${id}${ns}${r.kind}List`, `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`)],
    });
    out.push({
      path: `${base}/watch${nsSeg}/${r.plural}/{name}`,
      params: [...LIST_PARAMS, nameParam, ...scopeParams, P.pretty],
      ops: [watchOp('watch', `watch${id}${ns}${r.kind}`, `watch changes to an object of kind ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`)],
    });
    if (r.namespaced) {
      out.push({
        path: `${base}/watch/${r.plural}`,
        params: [...LIST_PARAMS, P.pretty],
        ops: [watchOp('watchlist', `watch${id}${r.kind}ListForAllNamespaces`, `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`)],
      });
    }
  }
  return out;
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

/** Builds all paths of a set of resources; duplicate paths (two versions never collide) merge. */
function collectPaths(resources: ResourceInfo[], ctx: Ctx): PathEntry[] {
  const entries: PathEntry[] = [];
  for (const r of resources) entries.push(...resourcePaths(r, ctx));
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Schema names referenced by a set of paths (bodies and responses). */
function referencedNames(entries: PathEntry[]): Set<string> {
  const names = new Set<string>();
  const add = (u?: SchemaUse) => {
    if (u && 'name' in u) names.add(u.name);
  };
  for (const e of entries) {
    for (const op of e.ops) {
      add(op.body);
      for (const r of op.responses) add(r.schema);
    }
  }
  return names;
}

/** The schemas a document must carry: the closure of `roots`, kinds stamped with their GVK. */
function componentSchemas(
  roots: Iterable<string>,
  resources: ResourceInfo[],
  ctx: Ctx,
): Record<string, StructSchema> {
  const lookup = (n: string) => ctx.extra.get(n) ?? ctx.lookup(n);
  const out: Record<string, StructSchema> = {};
  for (const name of schemaClosure(roots, lookup).sort()) out[name] = lookup(name)!;
  // every resource kind carries its group-version-kind, even when the caller's schema lacks it
  for (const r of resources) {
    const name = ctx.kindSchemaName(r);
    const s = name ? out[name] : undefined;
    if (!s) continue;
    const gvks = s['x-kubernetes-group-version-kind'] ?? [];
    if (!gvks.some((g) => g.group === r.group && g.version === r.version && g.kind === r.kind)) {
      out[name!] = { ...s, 'x-kubernetes-group-version-kind': [...gvks, { group: r.group, version: r.version, kind: r.kind }] };
    }
  }
  return out;
}

function makeCtx(opts: { schemas: Record<string, StructSchema>; kindSchemaName: (r: ResourceInfo) => string | undefined }): Ctx {
  const builtins = openApiSchemas();
  return {
    lookup: (name) => opts.schemas[name] ?? builtins[name],
    kindSchemaName: opts.kindSchemaName,
    extra: new Map(),
  };
}

// ---------------------------------------------------------------------------------------------
// OpenAPI v3

export interface OpenApiDocOptions {
  resources: ResourceInfo[];
  /** Schemas by definition name (CRD kinds, ...); built-in schemas are always available too. */
  schemas: Record<string, StructSchema>;
  /** The definition name of a resource's kind (e.g. builtinKindSchemaName, or the server's CRD naming). */
  kindSchemaName: (r: ResourceInfo) => string | undefined;
  /** Defaults to OPENAPI_KUBERNETES_VERSION. */
  kubernetesVersion?: string;
}

export interface OpenApiGroupVersionOptions extends OpenApiDocOptions {
  group: string;
  version: string;
}

function v3Param(p: Param): Record<string, unknown> {
  const out: Record<string, unknown> = { name: p.name, in: p.in, description: p.description };
  if (p.required) out.required = true;
  out.schema = { type: p.type, uniqueItems: true };
  return out;
}

function v3Schema(u: SchemaUse): StructSchema {
  return 'name' in u ? { $ref: SCHEMA_REF_PREFIX + u.name } : u.inline;
}

function v3Operation(op: Op): Record<string, unknown> {
  const out: Record<string, unknown> = {
    tags: [op.tag],
    description: op.description,
    operationId: op.operationId,
  };
  if (op.params.length) out.parameters = op.params.map(v3Param);
  if (op.body) {
    const types = op.patchTypes ?? ['*/*'];
    out.requestBody = {
      content: Object.fromEntries(types.map((t) => [t, { schema: v3Schema(op.body!) }])),
      ...(op.method === 'delete' ? {} : { required: true }),
    };
  }
  const responses: Record<string, unknown> = {};
  for (const r of op.responses) {
    responses[r.code] = r.schema
      ? { description: r.description, content: Object.fromEntries(op.produces.map((t) => [t, { schema: v3Schema(r.schema!) }])) }
      : { description: r.description };
  }
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  out['x-kubernetes-action'] = op.action;
  if (op.gvk) out['x-kubernetes-group-version-kind'] = { ...op.gvk };
  return out;
}

/** The `/openapi/v3/api(s)/...` document of one group-version. */
export function buildOpenApiV3GroupVersion(opts: OpenApiGroupVersionOptions): Record<string, unknown> {
  const ctx = makeCtx(opts);
  const resources = opts.resources.filter((r) => r.group === opts.group && r.version === opts.version);
  const entries = collectPaths(resources, ctx);
  const paths: Record<string, unknown> = {};
  for (const e of entries) {
    const item: Record<string, unknown> = {};
    for (const op of e.ops) item[op.method] = v3Operation(op);
    item.parameters = e.params.map(v3Param);
    paths[e.path] = item;
  }
  const schemas = componentSchemas(referencedNames(entries), resources, ctx);
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: opts.kubernetesVersion ?? OPENAPI_KUBERNETES_VERSION },
    paths,
    components: {
      schemas,
      securitySchemes: {
        BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

// ---------------------------------------------------------------------------------------------
// Swagger 2.0

/** Schema keywords Swagger 2.0 allows (besides x- extensions). */
const V2_KEYWORDS = new Set([
  '$ref', 'format', 'title', 'description', 'default', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum',
  'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxProperties',
  'minProperties', 'required', 'enum', 'additionalProperties', 'type', 'items', 'allOf', 'properties', 'discriminator',
  'readOnly', 'xml', 'externalDocs', 'example',
]);

/** Converts an OpenAPI v3 schema to Swagger 2.0: refs to #/definitions, v3-only keywords dropped. */
export function toSwaggerV2Schema(s: StructSchema): StructSchema {
  const out: StructSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (v === undefined) continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = `#/definitions/${refName(v)}`;
    else if (k === 'nullable') {
      if (v === true) out['x-nullable'] = true;
    } else if (k === 'properties' && v && typeof v === 'object') {
      out.properties = Object.fromEntries(
        Object.entries(v as Record<string, StructSchema>).map(([p, ps]) => [p, toSwaggerV2Schema(ps)]),
      );
    } else if (k === 'additionalProperties') {
      out.additionalProperties = typeof v === 'object' && v !== null ? toSwaggerV2Schema(v as StructSchema) : (v as boolean);
    } else if (k === 'items') {
      out.items = Array.isArray(v) ? (v.map((x) => toSwaggerV2Schema(x)) as unknown as StructSchema) : toSwaggerV2Schema(v as StructSchema);
    } else if (k === 'allOf' && Array.isArray(v)) {
      // v3 wraps a described reference as {description, allOf: [{$ref}]}; v2 (Kubernetes'
      // /openapi/v2) writes the $ref beside the description
      const only = v.length === 1 ? (v[0] as StructSchema) : undefined;
      if (only && typeof only.$ref === 'string' && Object.keys(only).length === 1 && s.$ref === undefined) out.$ref = `#/definitions/${refName(only.$ref)}`;
      else out.allOf = v.map((x: StructSchema) => toSwaggerV2Schema(x));
    } else if (k.startsWith('x-') || V2_KEYWORDS.has(k)) {
      out[k] = v;
    }
  }
  return out;
}

function v2Param(p: Param): Record<string, unknown> {
  const out: Record<string, unknown> = { uniqueItems: true, type: p.type, description: p.description, name: p.name, in: p.in };
  if (p.required) out.required = true;
  return out;
}

function v2Schema(u: SchemaUse): StructSchema {
  return 'name' in u ? { $ref: `#/definitions/${u.name}` } : toSwaggerV2Schema(u.inline);
}

function v2Operation(op: Op): Record<string, unknown> {
  const out: Record<string, unknown> = {
    description: op.description,
    consumes: op.patchTypes ?? ['*/*'],
    produces: op.produces,
    schemes: ['https'],
    tags: [op.tag],
    operationId: op.operationId,
  };
  const params: Record<string, unknown>[] = [];
  if (op.body) params.push({ name: 'body', in: 'body', ...(op.method === 'delete' ? {} : { required: true }), schema: v2Schema(op.body) });
  params.push(...op.params.map(v2Param));
  if (params.length) out.parameters = params;
  const responses: Record<string, unknown> = {};
  for (const r of op.responses) responses[r.code] = r.schema ? { description: r.description, schema: v2Schema(r.schema) } : { description: r.description };
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  out['x-kubernetes-action'] = op.action;
  if (op.gvk) out['x-kubernetes-group-version-kind'] = { ...op.gvk };
  return out;
}

/** The `/openapi/v2` (Swagger 2.0) document over all given resources. */
export function buildOpenApiV2(opts: OpenApiDocOptions): Record<string, unknown> {
  const ctx = makeCtx(opts);
  const entries = collectPaths(opts.resources, ctx);
  const paths: Record<string, unknown> = {};
  for (const e of entries) {
    const item: Record<string, unknown> = {};
    for (const op of e.ops) item[op.method] = v2Operation(op);
    item.parameters = e.params.map(v2Param);
    paths[e.path] = item;
  }
  const schemas = componentSchemas(referencedNames(entries), opts.resources, ctx);
  const definitions: Record<string, StructSchema> = {};
  for (const [name, s] of Object.entries(schemas)) definitions[name] = toSwaggerV2Schema(s);
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: opts.kubernetesVersion ?? OPENAPI_KUBERNETES_VERSION },
    paths,
    definitions,
    securityDefinitions: {
      BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' },
    },
    security: [{ BearerToken: [] }],
  };
}
