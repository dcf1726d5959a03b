/** Installing the selected components (see components.ts): server-side apply, CRDs first, then waiting for their Deployments. */
import { readFileSync } from 'node:fs';
import type { KubeObject } from '@flotilla/apimachinery';
import { isNotFound, KubeClient, parseApiVersion, resourcePath, type Resource } from '@flotilla/kube-runtime';
import { ObjectCollector, parseYamlDocuments } from '@flotilla/repo-server';
import { FIELD_MANAGER, type Component } from './components.js';

/** The objects of an install manifest (multi-document YAML, `kind: List` flattened); errors name the file. */
export function loadManifest(file: string): KubeObject[] {
  const col = new ObjectCollector(10_000);
  parseYamlDocuments(readFileSync(file, 'utf8'), file).forEach((d, i) => col.add(d, file, ` (document ${i + 1})`));
  for (const { object: o, source } of col.objects) if (!o.metadata?.name) throw new Error(`${source}: ${o.kind} has no metadata.name`);
  return col.objects.map((o) => o.object);
}

/** Apply order: Namespaces, then CRDs (their kinds must be served before objects of them), then the rest as written. */
export function applyOrder(objs: KubeObject[]): KubeObject[] {
  const rank = (o: KubeObject) => (o.kind === 'Namespace' ? 0 : o.kind === 'CustomResourceDefinition' ? 1 : 2);
  return objs.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i).map((x) => x.o);
}

/** Resolves kinds to resources through the server's discovery (kube-runtime's, cached; CRDs included once established). */
export class Discovery {
  constructor(private readonly client: KubeClient) {}

  async resource(apiVersion: string, kind: string): Promise<Resource> {
    try {
      return await this.client.resourceFor({ ...parseApiVersion(apiVersion), kind });
    } catch (e) {
      if (isNotFound(e)) throw new Error(`the server has no kind ${kind} in ${apiVersion}`);
      throw e;
    }
  }
}

export interface ComponentResult {
  name: string;
  namespace: string;
  manifest?: string;
  /** namespace/name of the component's Deployments */
  deployments: string[];
  applied: number;
  /** available when every Deployment is; missing when this build has no manifest */
  state: 'missing' | 'available' | 'applied' | 'unavailable' | 'failed';
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Server-side applies one object (field manager flotilla unless told, force: our manifest owns its fields). */
export async function applyObject(client: KubeClient, disc: Discovery, o: KubeObject, defaultNs: string, fieldManager = FIELD_MANAGER): Promise<KubeObject> {
  const r = await disc.resource(String(o.apiVersion), String(o.kind));
  const ns = r.namespaced ? o.metadata?.namespace || defaultNs : undefined;
  const body = r.namespaced ? { ...o, metadata: { ...o.metadata, namespace: ns } } : o;
  try {
    return await client.request('PATCH', resourcePath(r, ns, o.metadata!.name!), {
      body,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, force: true },
    });
  } catch (e) {
    throw new Error(`${o.kind} ${ns ? `${ns}/` : ''}${o.metadata!.name}: ${(e as Error).message.replace(/^PATCH \S+: /, '')}`);
  }
}

async function waitEstablished(client: KubeClient, name: string, deadline: number): Promise<void> {
  for (;;) {
    const crd: any = await client.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}`);
    if ((crd.status?.conditions ?? []).some((c: any) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CustomResourceDefinition ${name} is not Established`);
    await sleep(200);
  }
}

/** Whether a Deployment has rolled out its current generation and all its replicas are available. */
export function deploymentAvailable(d: any): boolean {
  const want = d?.spec?.replicas ?? 1;
  const s = d?.status ?? {};
  return (s.observedGeneration ?? 0) >= (d?.metadata?.generation ?? 1) && (s.updatedReplicas ?? 0) >= want && (s.availableReplicas ?? 0) >= want;
}

/** Current health of a Deployment, as `flotilla status` prints it. */
export async function deploymentHealth(client: KubeClient, key: string): Promise<{ available: boolean; text: string }> {
  const [ns, name] = key.split('/');
  try {
    const d: any = await client.request('GET', `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(name)}`);
    const want = d.spec?.replicas ?? 1;
    const ok = deploymentAvailable(d);
    return { available: ok, text: `${ok ? 'available' : 'progressing'} ${d.status?.availableReplicas ?? 0}/${want}` };
  } catch (e) {
    if (isNotFound(e)) return { available: false, text: 'missing' };
    return { available: false, text: `unknown (${(e as Error).message})` };
  }
}

export interface InstallOptions {
  client: KubeClient;
  components: Component[];
  /** wait for the components' Deployments (false without a node: nothing can run) */
  wait: boolean;
  timeoutMs?: number;
  log: (line: string) => void;
}

/** Installs the selected components one after the other; never throws (a failed component is reported). */
export async function installComponents(o: InstallOptions): Promise<ComponentResult[]> {
  const disc = new Discovery(o.client);
  const results: ComponentResult[] = [];
  const missing = o.components.filter((c) => !c.manifest);
  if (missing.length) o.log(`not part of this build yet (no manifests/<component>/install.yaml): ${missing.map((c) => c.name).join(', ')}`);
  for (const c of o.components) {
    const res: ComponentResult = { name: c.name, namespace: c.namespace, manifest: c.manifest, deployments: [], applied: 0, state: 'missing' };
    results.push(res);
    if (!c.manifest) continue;
    const t0 = Date.now();
    const deadline = t0 + (o.timeoutMs ?? 300_000);
    try {
      const objs = applyOrder(loadManifest(c.manifest));
      o.log(`${c.name}: applying ${objs.length} object${objs.length === 1 ? '' : 's'} from ${c.manifest} (server-side, field manager ${FIELD_MANAGER})…`);
      let nsEnsured = false;
      for (const obj of objs) {
        const r = await disc.resource(String(obj.apiVersion), String(obj.kind));
        if (r.namespaced && !obj.metadata?.namespace && !nsEnsured) {
          // like `kubectl apply -n <ns>`: the component's namespace must exist first
          await applyObject(o.client, disc, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: c.namespace } }, c.namespace);
          nsEnsured = true;
        }
        const applied = await applyObject(o.client, disc, obj, c.namespace);
        res.applied++;
        if (obj.kind === 'CustomResourceDefinition') await waitEstablished(o.client, obj.metadata!.name!, deadline);
        if (obj.kind === 'Deployment' && obj.apiVersion === 'apps/v1') res.deployments.push(`${applied.metadata!.namespace}/${applied.metadata!.name}`);
      }
      res.state = 'applied';
    } catch (e) {
      res.state = 'failed';
      res.error = (e as Error).message;
      o.log(`${c.name}: install failed: ${res.error}`);
      continue;
    }
    if (!o.wait || res.deployments.length === 0) {
      o.log(`${c.name}: applied${res.deployments.length && !o.wait ? ' (not waiting for its Deployments: no node runs pods)' : ''}`);
      if (res.deployments.length === 0) res.state = 'available';
      continue;
    }
    let last = -1;
    let lastSaid = Date.now();
    for (;;) {
      const health = await Promise.all(res.deployments.map((k) => deploymentHealth(o.client, k)));
      const ready = health.filter((h) => h.available).length;
      if (ready === res.deployments.length) {
        res.state = 'available';
        o.log(`${c.name}: available (${ready}/${res.deployments.length} Deployments, ${((Date.now() - t0) / 1000).toFixed(1)}s)`);
        break;
      }
      // say so when the count changes, and every 30 s while it does not
      if (ready !== last || Date.now() - lastSaid > 30_000) {
        o.log(`${c.name}: waiting for its Deployments (${ready}/${res.deployments.length} available, ${Math.round((Date.now() - t0) / 1000)}s)…`);
        last = ready;
        lastSaid = Date.now();
      }
      if (Date.now() > deadline) {
        res.state = 'unavailable';
        const waiting = res.deployments.flatMap((k, i) => (health[i].available ? [] : [`${k} (${health[i].text})`]));
        o.log(`${c.name}: not available after ${Math.round((Date.now() - t0) / 1000)}s: ${waiting.join(', ')}; the cluster stays up ('flotilla status' shows it, 'kubectl -n ${c.namespace} describe deployment' tells why)`);
        break;
      }
      await sleep(500);
    }
  }
  return results;
}
