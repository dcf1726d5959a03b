/** Discovery documents (legacy and aggregated) and OpenAPI documents built from the registry. */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceInfo, StructSchema } from '@flotilla/apimachinery';
import {
  buildOpenApiV2,
  buildOpenApiV3GroupVersion,
  builtinKindSchemaName,
  openApiSchemas,
  openApiV3Paths,
  openApiDocHash,
} from '@flotilla/k8s-builtins';
import { acceptsOpenApiV2Proto, encodeOpenApiV2Proto, OPENAPI_V2_PROTO_MEDIA_TYPE } from './openapi-v2-proto.js';
import { apiVersionOf, type Registry, type Served } from './registry.js';

function resourceEntries(list: Served[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const s of list.sort((a, b) => (a.info.plural < b.info.plural ? -1 : 1))) {
    const r = s.info;
    out.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories?.length ? { categories: r.categories } : {}),
    });
    for (const sub of subresourcesOf(s)) {
      out.push({
        name: `${r.plural}/${sub.name}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(sub.group !== undefined ? { group: sub.group, version: sub.version } : {}),
        kind: sub.kind,
        verbs: sub.verbs,
      });
    }
  }
  return out;
}

interface SubInfo {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

function subresourcesOf(s: Served): SubInfo[] {
  const r = s.info;
  const subs: SubInfo[] = [];
  if (r.subresources?.status) subs.push({ name: 'status', kind: r.kind, verbs: ['get', 'patch', 'update'] });
  if (r.subresources?.scale) subs.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });
  if (r.group === '' && r.plural === 'pods') {
    subs.push({ name: 'log', kind: 'Pod', verbs: ['get'] });
    subs.push({ name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] });
    subs.push({ name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] });
    subs.push({ name: 'binding', kind: 'Binding', verbs: ['create'] });
    subs.push({ name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
  }
  if (r.group === '' && r.plural === 'serviceaccounts') subs.push({ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] });
  if (r.group === '' && r.plural === 'namespaces') subs.push({ name: 'finalize', kind: 'Namespace', verbs: ['update'] });
  return subs;
}

export function apiResourceList(reg: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const list = reg.all().filter((s) => s.info.group === group && s.info.version === version);
  if (list.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources: resourceEntries(list) };
}

function groupEntry(name: string, versions: string[]) {
  return {
    name,
    versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
  };
}

export function apiGroupList(reg: Registry): Record<string, unknown> {
  const groups = [...reg.groups()].filter(([g]) => g !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(([g, vs]) => groupEntry(g, vs)) };
}

export function apiGroup(reg: Registry, group: string): Record<string, unknown> | undefined {
  const vs = reg.groups().get(group);
  if (!vs || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, vs) };
}

export function apiVersions(host: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] };
}

/** apidiscovery.k8s.io aggregated discovery for "/api" (core) or "/apis" (all named groups). */
export function aggregatedDiscovery(reg: Registry, core: boolean, apiVersion: string): Record<string, unknown> {
  const items: Record<string, unknown>[] = [];
  for (const [group, versions] of reg.groups()) {
    if ((group === '') !== core) continue;
    items.push({
      metadata: { name: group, creationTimestamp: null },
      versions: versions.map((v) => ({
        version: v,
        freshness: 'Current',
        resources: reg
          .all()
          .filter((s) => s.info.group === group && s.info.version === v)
          .sort((a, b) => (a.info.plural < b.info.plural ? -1 : 1))
          .map((s) => ({
            resource: s.info.plural,
            responseKind: { group, version: v, kind: s.info.kind },
            scope: s.info.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: s.info.singular,
            verbs: s.info.verbs,
            ...(s.info.shortNames?.length ? { shortNames: s.info.shortNames } : {}),
            ...(s.info.categories?.length ? { categories: s.info.categories } : {}),
            ...(() => {
              const subs = subresourcesOf(s);
              return subs.length
                ? {
                    subresources: subs.map((sub) => ({
                      subresource: sub.name,
                      responseKind: { group: sub.group ?? group, version: sub.version ?? v, kind: sub.kind },
                      verbs: sub.verbs,
                    })),
                  }
                : {};
            })(),
          })),
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items };
}

/** OpenAPI documents, cached per registry generation. */
export class OpenApi {
  private gen = -1;
  private v3 = new Map<string, string>();
  private v2?: { text: string; etag: string };
  private v2proto_?: { jsonEtag: string; bytes: Buffer; etag: string };
  private schemas: Record<string, StructSchema> = {};
  private names = new Map<ResourceInfo, string>();

  constructor(private readonly reg: Registry) {}

  private refresh(): void {
    if (this.gen === this.reg.generation) return;
    this.gen = this.reg.generation;
    this.v3.clear();
    this.v2 = undefined;
    this.names.clear();
    const schemas: Record<string, StructSchema> = { ...openApiSchemas() };
    for (const s of this.reg.all()) {
      if (s.builtin) {
        const n = builtinKindSchemaName(s.info);
        if (n) this.names.set(s.info, n);
        continue;
      }
      const r = s.info;
      const name = `${r.group.split('.').reverse().join('.')}.${r.version}.${r.kind}`;
      const ts = s.schema();
      if (!ts) continue;
      const root: StructSchema = { ...ts.root };
      root.properties = {
        ...(root.properties ?? {}),
        metadata: { description: 'Standard object metadata.', allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] },
      };
      root['x-kubernetes-group-version-kind'] = [{ group: r.group, version: r.version, kind: r.kind }];
      schemas[name] = root;
      this.names.set(r, name);
    }
    this.schemas = schemas;
  }

  private kindSchemaName = (r: ResourceInfo) => this.names.get(r);

  index(): string {
    this.refresh();
    const pairs = [...this.reg.groups()].flatMap(([g, vs]) => vs.map((v) => [g, v] as const));
    const hashes: Record<string, string> = {};
    for (const [g, v] of pairs) hashes[g ? `${g}/${v}` : v] = openApiDocHash(this.groupVersion(g, v) ?? '');
    return JSON.stringify(openApiV3Paths(pairs.map(([g, v]) => (g ? `${g}/${v}` : v)), hashes));
  }

  groupVersion(group: string, version: string): string | undefined {
    this.refresh();
    const k = `${group}/${version}`;
    let doc = this.v3.get(k);
    if (doc) return doc;
    const resources = this.reg.all().filter((s) => s.info.group === group && s.info.version === version).map((s) => s.info);
    if (resources.length === 0) return undefined;
    doc = JSON.stringify(buildOpenApiV3GroupVersion({ group, version, resources, schemas: this.schemas, kindSchemaName: this.kindSchemaName }));
    this.v3.set(k, doc);
    return doc;
  }

  v2doc(): string {
    return this.v2json().text;
  }

  private v2json(): { text: string; etag: string } {
    this.refresh();
    if (!this.v2) {
      const text = JSON.stringify(buildOpenApiV2({ resources: this.reg.all().map((s) => s.info), schemas: this.schemas, kindSchemaName: this.kindSchemaName }));
      this.v2 = { text, etag: etagOf(text) };
    }
    return this.v2;
  }

  /** The gnostic protobuf form of the v2 document, re-encoded only when the JSON's hash changes. */
  v2proto(): { bytes: Buffer; etag: string } {
    const json = this.v2json();
    if (this.v2proto_?.jsonEtag !== json.etag) {
      const bytes = encodeOpenApiV2Proto(JSON.parse(json.text) as Record<string, unknown>);
      this.v2proto_ = { jsonEtag: json.etag, bytes, etag: etagOf(bytes) };
    }
    return this.v2proto_;
  }

  /**
   * GET /openapi/v2 (and /swagger.json): JSON, or gnostic protobuf when the Accept header asks for
   * `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (client-go's OpenAPISchema(),
   * used by kubectl's client-side validation). Each representation has its own ETag;
   * If-None-Match answers 304.
   */
  serveV2(req: IncomingMessage, res: ServerResponse, allowProto = true): void {
    const proto = allowProto && acceptsOpenApiV2Proto(String(req.headers.accept ?? ''));
    const rep = proto ? this.v2proto() : this.v2json();
    const body = 'bytes' in rep ? rep.bytes : rep.text;
    const etag = rep.etag;
    const headers: Record<string, string | number> = {
      'Content-Type': proto ? OPENAPI_V2_PROTO_MEDIA_TYPE : 'application/json',
      'Cache-Control': 'no-cache, private',
      ETag: etag,
      Vary: 'Accept',
    };
    const inm = String(req.headers['if-none-match'] ?? '');
    if (inm && (inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}

/** A strong ETag: the quoted upper-case hex SHA-512 of the representation (as Kubernetes does). */
function etagOf(body: string | Buffer): string {
  return `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"`;
}
