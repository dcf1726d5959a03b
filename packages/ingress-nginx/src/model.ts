/**
 * From Kubernetes objects to the routing model (pure): servers by host, locations by path and
 * pathType, each with its backend (a Service port resolved to ready pod addresses through its
 * Endpoints), the canary Ingresses merged into the locations they shadow, TLS certificates from
 * Secrets and the `nginx.ingress.kubernetes.io/*` annotations that matter.
 */

export type Obj = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; creationTimestamp?: string; uid?: string; labels?: Record<string, string> }; spec?: any; status?: any; data?: Record<string, string>; subsets?: any[] };

export const PREFIX = 'nginx.ingress.kubernetes.io/';

export interface Backend {
  /** nginx upstream name: <ns>-<service>-<port> */
  name: string;
  /** ip:port of each ready endpoint (empty: answered 503) */
  servers: string[];
}

export interface Canary {
  backend: Backend;
  weight: number;
  total: number;
  header?: string;
  headerValue?: string;
  /** canary-by-header-pattern: a PCRE the header's value must match (ignored when headerValue is set) */
  headerPattern?: string;
  ingress: string;
}

export interface Location {
  path: string;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: Backend;
  canary?: Canary;
  rewriteTarget?: string;
  useRegex: boolean;
  protocol: 'HTTP' | 'HTTPS' | 'GRPC' | 'GRPCS';
  /** the Ingress (ns/name) this location comes from */
  ingress: string;
}

export interface Server {
  /** the host, or "_" for rules without one */
  host: string;
  locations: Location[];
  /** "<ns>/<secret>" when TLS is configured for this host */
  tlsSecret?: string;
  sslRedirect: boolean;
  /** ssl-passthrough: TLS connections for this host go to the backend untouched */
  passthrough?: Backend;
}

export interface Model {
  servers: Server[];
  backends: Backend[];
  warnings: string[];
}

export interface Sources {
  ingresses: Obj[];
  services: Map<string, Obj>;
  endpoints: Map<string, Obj>;
  secrets: Map<string, Obj>;
}

let prefix = PREFIX;
const annotation = (ing: Obj, name: string): string | undefined => ing.metadata.annotations?.[`${prefix}${name}`];
const key = (ing: Obj) => `${ing.metadata.namespace ?? 'default'}/${ing.metadata.name}`;

/** Which Ingresses this controller serves: spec.ingressClassName, the legacy annotation, or (optionally) none. */
export function isOurs(ing: Obj, className: string, withoutClass: boolean, defaultClass = false): boolean {
  const cls = ing.spec?.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'];
  if (cls === undefined || cls === '') return withoutClass || defaultClass;
  return cls === className;
}

/** The Service port and its ready endpoints (ip:targetPort). */
export function resolveBackend(ns: string, svcBackend: { name: string; port?: { number?: number; name?: string } }, src: Sources, warnings: string[]): Backend {
  const svc = src.services.get(`${ns}/${svcBackend.name}`);
  const portKey = svcBackend.port?.number ?? svcBackend.port?.name ?? '';
  const backend: Backend = { name: `${ns}-${svcBackend.name}-${portKey}`.replace(/[^a-zA-Z0-9_.-]/g, '_'), servers: [] };
  if (!svc) {
    warnings.push(`service ${ns}/${svcBackend.name} not found`);
    return backend;
  }
  const ports: any[] = svc.spec?.ports ?? [];
  const sp = ports.find((p) => (svcBackend.port?.number !== undefined ? p.port === svcBackend.port.number : p.name === svcBackend.port?.name));
  if (!sp) {
    warnings.push(`service ${ns}/${svcBackend.name} has no port ${portKey}`);
    return backend;
  }
  if (svc.spec?.type === 'ExternalName' && svc.spec.externalName) {
    backend.servers.push(`${svc.spec.externalName}:${typeof sp.targetPort === 'number' ? sp.targetPort : sp.port}`);
    return backend;
  }
  const ep = src.endpoints.get(`${ns}/${svcBackend.name}`);
  for (const subset of ep?.subsets ?? []) {
    const eport = (subset.ports ?? []).find((p: any) => (sp.name ? p.name === sp.name : true) && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP'));
    if (!eport) continue;
    for (const a of subset.addresses ?? []) backend.servers.push(`${a.ip}:${eport.port}`);
  }
  backend.servers.sort();
  return backend;
}

function protocolOf(ing: Obj, warnings: string[]): Location['protocol'] {
  const p = (annotation(ing, 'backend-protocol') ?? 'HTTP').toUpperCase();
  if (p === 'HTTP' || p === 'HTTPS' || p === 'GRPC' || p === 'GRPCS') return p;
  warnings.push(`${key(ing)}: backend-protocol ${p} is not supported, using HTTP`);
  return 'HTTP';
}

const num = (s: string | undefined, dflt: number) => {
  const n = s === undefined ? NaN : Number(s);
  return Number.isFinite(n) ? n : dflt;
};

/** The routing model of the served Ingresses (oldest first, as ingress-nginx resolves conflicts); annotations under `annotationsPrefix` (--annotations-prefix). */
export function buildModel(src: Sources, annotationsPrefix = 'nginx.ingress.kubernetes.io'): Model {
  prefix = `${annotationsPrefix}/`;
  const warnings: string[] = [];
  const servers = new Map<string, Server>();
  const backends = new Map<string, Backend>();
  const server = (host: string) => {
    let s = servers.get(host);
    if (!s) servers.set(host, (s = { host, locations: [], sslRedirect: false }));
    return s;
  };
  const addBackend = (b: Backend) => {
    if (!backends.has(b.name)) backends.set(b.name, b);
    return backends.get(b.name)!;
  };
  const sorted = [...src.ingresses].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || key(a).localeCompare(key(b)));
  const isCanary = (i: Obj) => annotation(i, 'canary') === 'true';
  const rulesOf = (ing: Obj): { host: string; path: string; pathType: Location['pathType']; backend: any }[] => {
    const out = [];
    for (const rule of ing.spec?.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        if (!p.backend?.service) {
          warnings.push(`${key(ing)}: only service backends are supported`);
          continue;
        }
        out.push({ host: rule.host || '_', path: p.path || '/', pathType: (p.pathType ?? 'ImplementationSpecific') as Location['pathType'], backend: p.backend.service });
      }
    }
    if (!out.length && ing.spec?.defaultBackend?.service) out.push({ host: '_', path: '/', pathType: 'Prefix' as const, backend: ing.spec.defaultBackend.service });
    return out;
  };

  for (const ing of sorted.filter((i) => !isCanary(i))) {
    const ns = ing.metadata.namespace ?? 'default';
    const rewriteTarget = annotation(ing, 'rewrite-target');
    const useRegex = annotation(ing, 'use-regex') === 'true' || rewriteTarget !== undefined;
    const protocol = protocolOf(ing, warnings);
    const passthrough = annotation(ing, 'ssl-passthrough') === 'true';
    for (const r of rulesOf(ing)) {
      const s = server(r.host);
      const b = addBackend(resolveBackend(ns, r.backend, src, warnings));
      if (passthrough && r.host !== '_') s.passthrough ??= b;
      if (s.locations.some((l) => l.path === r.path && l.pathType === r.pathType)) {
        warnings.push(`${key(ing)}: ${r.host}${r.path} is already served by another Ingress`);
        continue;
      }
      s.locations.push({ path: r.path, pathType: r.pathType, backend: b, rewriteTarget, useRegex, protocol, ingress: key(ing) });
    }
    for (const t of ing.spec?.tls ?? []) {
      for (const h of t.hosts ?? []) {
        const s = server(h);
        if (t.secretName) s.tlsSecret ??= `${ns}/${t.secretName}`;
        else s.tlsSecret ??= '';
        s.sslRedirect = annotation(ing, 'ssl-redirect') !== 'false' && annotation(ing, 'force-ssl-redirect') !== 'false';
      }
    }
  }

  for (const ing of sorted.filter(isCanary)) {
    const ns = ing.metadata.namespace ?? 'default';
    for (const r of rulesOf(ing)) {
      const loc = servers.get(r.host)?.locations.find((l) => l.path === r.path && (l.pathType === r.pathType || r.pathType === 'ImplementationSpecific' || l.pathType === 'ImplementationSpecific'));
      if (!loc) {
        warnings.push(`${key(ing)}: canary ingress for ${r.host}${r.path} has no main Ingress to shadow; ignored`);
        continue;
      }
      if (loc.canary) {
        warnings.push(`${key(ing)}: ${r.host}${r.path} already has a canary (${loc.canary.ingress}); ignored`);
        continue;
      }
      const total = num(annotation(ing, 'canary-weight-total'), 100);
      loc.canary = {
        backend: addBackend(resolveBackend(ns, r.backend, src, warnings)),
        weight: Math.max(0, Math.min(total, num(annotation(ing, 'canary-weight'), 0))),
        total: total > 0 ? total : 100,
        header: annotation(ing, 'canary-by-header') || undefined,
        headerValue: annotation(ing, 'canary-by-header-value') || undefined,
        headerPattern: annotation(ing, 'canary-by-header-pattern') || undefined,
        ingress: key(ing),
      };
    }
  }
  const list = [...servers.values()].sort((a, b) => (a.host === '_' ? 1 : b.host === '_' ? -1 : a.host.localeCompare(b.host)));
  return { servers: list, backends: [...backends.values()].sort((a, b) => a.name.localeCompare(b.name)), warnings };
}
