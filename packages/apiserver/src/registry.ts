/**
 * What the server serves: built-in resources plus the versions of every established CRD, with
 * their schemas and table printers. Storage is per group+resource (version independent).
 */
import type { KubeObject, ResourceInfo, TablePrinter, TypeSchema } from '@flotilla/apimachinery';
import { builtinResources, builtinSchema, builtinTablePrinter } from '@flotilla/k8s-builtins';
import { crdResources, crdTablePrinter, crdVersionSchema } from '@flotilla/crd-schema';

export interface Served {
  info: ResourceInfo;
  /** storage key: "<group>/<plural>" ("core/pods" for the core group) */
  key: string;
  builtin: boolean;
  crd?: KubeObject;
  /** the storage version's apiVersion for objects of this resource */
  storageApiVersion: string;
  schema(): TypeSchema | undefined;
  printer(): TablePrinter;
}

export const storageKey = (group: string, plural: string) => `${group || 'core'}/${plural}`;
export const apiVersionOf = (group: string, version: string) => (group ? `${group}/${version}` : version);

export class Registry {
  private byPath = new Map<string, Served>(); // "group/version/plural"
  private crds = new Map<string, Served[]>(); // crd name -> its served entries
  private version = 0;

  constructor() {
    for (const info of builtinResources as ResourceInfo[]) {
      let schemaCache: TypeSchema | undefined | null = null;
      let printerCache: TablePrinter | undefined;
      this.byPath.set(`${info.group}/${info.version}/${info.plural}`, {
        info,
        key: storageKey(info.group, info.plural),
        builtin: true,
        storageApiVersion: apiVersionOf(info.group, info.version),
        schema: () => (schemaCache === null ? (schemaCache = builtinSchema(info.group, info.version, info.kind)) : schemaCache),
        printer: () => (printerCache ??= builtinTablePrinter(info)),
      });
    }
  }

  /** Bumps on every change of what is served (for discovery/OpenAPI caches). */
  get generation(): number {
    return this.version;
  }

  find(group: string, version: string, plural: string): Served | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  /** Any served version of a group+resource (for storage-level work like GC). */
  byKey(key: string): Served | undefined {
    for (const s of this.byPath.values()) if (s.key === key && (s.info.storage ?? true)) return s;
    for (const s of this.byPath.values()) if (s.key === key) return s;
    return undefined;
  }

  findKind(apiVersion: string, kind: string): Served | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    for (const s of this.byPath.values()) if (s.info.group === group && s.info.version === version && s.info.kind === kind) return s;
    return undefined;
  }

  all(): Served[] {
    return [...this.byPath.values()];
  }

  /** Group -> versions in preference order. */
  groups(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const s of this.byPath.values()) {
      const vs = m.get(s.info.group) ?? [];
      if (!vs.includes(s.info.version)) vs.push(s.info.version);
      m.set(s.info.group, vs);
    }
    for (const [g, vs] of m) m.set(g, vs.sort(compareVersions));
    return m;
  }

  /** Serves (or re-serves) a CRD's versions. */
  setCrd(crd: KubeObject): void {
    const name = crd.metadata!.name!;
    this.removeCrd(name, false);
    const spec = crd.spec as { group: string; versions: { name: string; storage?: boolean }[] };
    const storageVersion = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0].name;
    const served: Served[] = [];
    for (const info of crdResources(crd)) {
      let schemaCache: TypeSchema | undefined | null = null;
      let printerCache: TablePrinter | undefined;
      const s: Served = {
        info,
        key: storageKey(info.group, info.plural),
        builtin: false,
        crd,
        storageApiVersion: apiVersionOf(spec.group, storageVersion),
        schema: () => (schemaCache === null ? (schemaCache = crdVersionSchema(crd, info.version)) : schemaCache),
        printer: () => (printerCache ??= crdTablePrinter(crd, info.version)),
      };
      this.byPath.set(`${info.group}/${info.version}/${info.plural}`, s);
      served.push(s);
    }
    this.crds.set(name, served);
    this.version++;
  }

  removeCrd(name: string, bump = true): void {
    for (const s of this.crds.get(name) ?? []) this.byPath.delete(`${s.info.group}/${s.info.version}/${s.info.plural}`);
    this.crds.delete(name);
    if (bump) this.version++;
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0, v] as const;
    return [Number(m[1]), m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3, Number(m[3] ?? 0), v] as const;
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa[1] !== pb[1]) return pb[1] - pa[1];
  if (pa[0] !== pb[0]) return pb[0] - pa[0];
  if (pa[2] !== pb[2]) return pb[2] - pa[2];
  return a < b ? -1 : a > b ? 1 : 0;
}
