/**
 * What an install manifest (`manifests/<component>/install.yaml`) must hold to install on any
 * conformant Kubernetes cluster, not only on the embedded one (docs/install.md): no hostPath
 * volumes, host namespaces or privileged containers (hostPort is portable: ingress-nginx uses it), no image but Flotilla's own and the documented third-party ones,
 * resource requests and probes on every container, and RBAC without wildcard write access unless
 * allow-listed here with the reason. Pure: objects in, problems out (each naming the object).
 */
import { parse } from 'yaml';

/** Third-party images the manifests run or make their controllers run (docs/install.md lists them). */
export const THIRD_PARTY_IMAGES: readonly { image: string; use: string }[] = [
  { image: 'redis:7.4-alpine', use: "argocd-redis, Argo CD's cache (Deployment in argo-cd/install.yaml)" },
  { image: 'nats:2.10.29', use: "EventBus servers (JetStream `latest`/`2.10.29` and native NATS), from argo-events' controller config" },
  { image: 'nats:2.9.16', use: 'EventBus servers of JetStream version `2.9.16`, from the same config' },
  { image: 'natsio/prometheus-nats-exporter:0.8.0', use: 'the metrics sidecar of native-NATS EventBus servers, from the same config' },
];

/** ClusterRoles/Roles that may keep a wildcard write rule, with the reason (docs/install.md repeats it). */
export const RBAC_ALLOW: readonly { name: string; reason: string }[] = [
  {
    name: 'argocd-application-controller',
    reason: 'it syncs Applications: creates, updates and prunes any kind in any namespace of the destination cluster (as upstream Argo CD)',
  },
  {
    name: 'argocd-server',
    reason: 'patch and delete on any kind, never create: resource actions, live-object edits and deletes from the UI and the argocd CLI (as upstream)',
  },
];

/** Upper bounds that keep every component schedulable on a small node (the embedded one counts requests). */
export const MAX_REQUEST = { cpuMilli: 100, memoryMi: 256 };

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);
const READ = new Set(['get', 'list', 'watch']);

export function ownImage(version: string): string {
  return `flotilla/flotilla:${version}`;
}

function podSpec(o: any): any | undefined {
  if (!WORKLOADS.has(o?.kind)) return undefined;
  return o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
}

/** Milli-CPU of a quantity ("10m", "0.5", 1); NaN when unreadable. */
export function cpuMilli(q: unknown): number {
  const s = String(q ?? '');
  if (/^\d+m$/.test(s)) return Number(s.slice(0, -1));
  return /^\d+(\.\d+)?$/.test(s) ? Number(s) * 1000 : NaN;
}

/** Mebibytes of a memory quantity ("64Mi", "1Gi", "128M", bytes); NaN when unreadable. */
export function memoryMi(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(String(q ?? ''));
  if (!m) return NaN;
  const f: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20, '': 1 / 2 ** 20 };
  return Number(m[1]) * f[m[2] ?? '']!;
}

function probeProblems(where: string, kind: string, p: any, c: any): string[] {
  if (!p) return [`${where}: no ${kind}`];
  const handler = p.httpGet ?? p.tcpSocket ?? p.grpc;
  if (!handler && !p.exec) return [`${where}: ${kind} has no httpGet, tcpSocket, grpc or exec`];
  if (handler) {
    const ports = (c.ports ?? []) as any[];
    const ok = ports.some((x) => x.containerPort === handler.port || (x.name !== undefined && x.name === handler.port));
    if (!ok) return [`${where}: ${kind} port ${handler.port} is not a port the container declares`];
  }
  return [];
}

/** Every image an object names: its containers', and those its controllers are configured to run. */
export function imagesOf(o: any): { where: string; image: string }[] {
  const out: { where: string; image: string }[] = [];
  const id = `${o?.kind}/${o?.metadata?.name}`;
  const spec = podSpec(o);
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    out.push({ where: `${id} container ${c.name}`, image: c.image });
    for (const e of c.env ?? []) if (/IMAGE$/.test(e.name) && typeof e.value === 'string') out.push({ where: `${id} env ${e.name}`, image: e.value });
    const args: string[] = [...(c.command ?? []), ...(c.args ?? [])].map(String);
    args.forEach((a, i) => {
      if (/^--[\w-]*image$/.test(a) && args[i + 1]) out.push({ where: `${id} ${a}`, image: args[i + 1]! });
      const m = /^--[\w-]*image=(.+)$/.exec(a);
      if (m) out.push({ where: `${id} ${a}`, image: m[1]! });
    });
  }
  if (o?.kind === 'ConfigMap') {
    for (const [k, v] of Object.entries(o.data ?? {})) {
      let doc: unknown;
      try {
        doc = parse(String(v));
      } catch {
        continue;
      }
      const walk = (x: any, path: string) => {
        if (Array.isArray(x)) x.forEach((y, i) => walk(y, `${path}[${i}]`));
        else if (x && typeof x === 'object')
          for (const [kk, vv] of Object.entries(x)) {
            if (/(^i|I)mage$/.test(kk) && typeof vv === 'string') out.push({ where: `${id} ${path}.${kk}`, image: vv });
            else walk(vv, `${path}.${kk}`);
          }
      };
      walk(doc, k);
    }
  }
  return out;
}

/**
 * The problems of one manifest's objects; empty when it installs on any conformant cluster. `own` is
 * Flotilla's image as the objects name it (a chart may point it at another registry).
 */
export function checkManifest(objects: any[], version: string, own = ownImage(version)): string[] {
  const problems: string[] = [];
  const allowed = new Set([own, ...THIRD_PARTY_IMAGES.map((i) => i.image)]);
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata?.name}`;
    for (const { where, image } of imagesOf(o)) if (!allowed.has(image)) problems.push(`${where}: image ${image} is neither ${own} nor a documented third-party image`);
    const spec = podSpec(o);
    if (spec) {
      for (const v of spec.volumes ?? []) if (v.hostPath) problems.push(`${id}: hostPath volume ${v.name}`);
      for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[f]) problems.push(`${id}: ${f}`);
      const all = [...(spec.initContainers ?? []).map((c: any) => ['init container', c]), ...(spec.containers ?? []).map((c: any) => ['container', c])];
      for (const [what, c] of all as [string, any][]) {
        const where = `${id} ${what} ${c.name}`;
        const req = c.resources?.requests ?? {};
        const cpu = cpuMilli(req.cpu);
        const mem = memoryMi(req.memory);
        if (req.cpu === undefined || req.memory === undefined) problems.push(`${where}: no resources.requests for cpu and memory`);
        else if (!(cpu > 0 && cpu <= MAX_REQUEST.cpuMilli && mem > 0 && mem <= MAX_REQUEST.memoryMi))
          problems.push(`${where}: requests ${req.cpu}/${req.memory} outside (0, ${MAX_REQUEST.cpuMilli}m] / (0, ${MAX_REQUEST.memoryMi}Mi]`);
        if (c.securityContext?.privileged) problems.push(`${where}: privileged`);
        if (what === 'container') {
          problems.push(...probeProblems(where, 'readinessProbe', c.readinessProbe, c));
          problems.push(...probeProblems(where, 'livenessProbe', c.livenessProbe, c));
        }
      }
    }
    if (o.kind === 'ClusterRole' || o.kind === 'Role') {
      for (const r of o.rules ?? []) {
        const verbs: string[] = r.verbs ?? [];
        const wide = verbs.includes('*') || ((r.resources ?? []).includes('*') && verbs.some((v) => !READ.has(v))) || (r.nonResourceURLs ?? []).includes('*');
        if (wide && !RBAC_ALLOW.some((a) => a.name === o.metadata.name)) problems.push(`${id}: rule ${JSON.stringify(r)} grants wildcard access and is not in the documented allow-list`);
      }
    }
  }
  return problems;
}
