/**
 * Per-kind node details as Argo CD's resource tree shows them: Pod info ("Status Reason",
 * "Node", "Containers" ready/total, "Restart Count"), ReplicaSet/Deployment "Revision", images,
 * and networkingInfo (Pod labels, Service targetLabels + load-balancer ingress, Ingress
 * targetRefs/ingress/externalURLs).
 */
import type { KubeObject } from '../types.js';
import { arr, num, obj, str, type Obj } from '../health/common.js';

export interface InfoItem {
  name: string;
  value: string;
}
export interface NetworkingInfo {
  targetLabels?: Record<string, string>;
  targetRefs?: { group?: string; kind: string; namespace?: string; name: string }[];
  labels?: Record<string, string>;
  ingress?: { ip?: string; hostname?: string }[];
  externalURLs?: string[];
}

/** The STATUS column of `kubectl get pods`. */
export function podStatusReason(o: KubeObject): string {
  const st = obj(o.status);
  let reason = str(st.reason) || str(st.phase);
  let initializing = false;
  const inits = arr(st.initContainerStatuses).map(obj);
  const initCount = arr(obj(o.spec).initContainers).length || inits.length;
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    const term = obj(c.state).terminated ? obj(obj(c.state).terminated) : undefined;
    const wait = obj(c.state).waiting ? obj(obj(c.state).waiting) : undefined;
    if (term && num(term.exitCode) === 0) continue;
    initializing = true;
    if (term) reason = 'Init:' + (str(term.reason) || (num(term.signal) ? `Signal:${num(term.signal)}` : `ExitCode:${num(term.exitCode)}`));
    else if (wait && str(wait.reason) && str(wait.reason) !== 'PodInitializing') reason = 'Init:' + str(wait.reason);
    else reason = `Init:${i}/${initCount}`;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    const cs = arr(st.containerStatuses).map(obj);
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]!;
      const state = obj(c.state);
      const wait = state.waiting ? obj(state.waiting) : undefined;
      const term = state.terminated ? obj(state.terminated) : undefined;
      if (wait && str(wait.reason)) reason = str(wait.reason);
      else if (term && str(term.reason)) reason = str(term.reason);
      else if (term) reason = num(term.signal) ? `Signal:${num(term.signal)}` : `ExitCode:${num(term.exitCode)}`;
      else if (c.ready === true && state.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (o.metadata?.deletionTimestamp) reason = str(st.reason) === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function containerImages(podSpec: Obj): string[] {
  const out: string[] = [];
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of arr(podSpec[key]).map(obj)) if (str(c.image) && !out.includes(str(c.image))) out.push(str(c.image));
  }
  return out;
}

/** Images of a Pod, or of a workload's pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Rollout). */
export function imagesOf(o: KubeObject): string[] {
  const sp = obj(o.spec);
  switch (str(o.kind)) {
    case 'Pod':
      return containerImages(sp);
    case 'CronJob':
      return containerImages(obj(obj(obj(obj(sp.jobTemplate).spec).template).spec));
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
    case 'Rollout':
    case 'ReplicationController':
      return containerImages(obj(obj(sp.template).spec));
  }
  return [];
}

function stringMap(v: unknown): Record<string, string> | undefined {
  const o = obj(v);
  const keys = Object.keys(o);
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((k) => [k, str(o[k])]));
}

function lbIngress(o: KubeObject): { ip?: string; hostname?: string }[] | undefined {
  const list = arr(obj(obj(o.status).loadBalancer).ingress).map(obj);
  if (list.length === 0) return undefined;
  return list.map((i) => {
    const x: { ip?: string; hostname?: string } = {};
    if (str(i.ip)) x.ip = str(i.ip);
    if (str(i.hostname)) x.hostname = str(i.hostname);
    return x;
  });
}

function ingressBackendService(b: Obj): string {
  return str(obj(obj(b.service)).name) || str(b.serviceName);
}

export function networkingInfoOf(o: KubeObject): NetworkingInfo | undefined {
  const sp = obj(o.spec);
  const ns = o.metadata?.namespace;
  switch (str(o.kind)) {
    case 'Pod': {
      const labels = o.metadata?.labels;
      return labels && Object.keys(labels).length ? { labels: { ...labels } } : undefined;
    }
    case 'Service': {
      const info: NetworkingInfo = {};
      const target = stringMap(sp.selector);
      if (target) info.targetLabels = target;
      const ing = lbIngress(o);
      if (ing) info.ingress = ing;
      if (str(sp.type) === 'LoadBalancer' && ing) {
        const ports = arr(sp.ports).map(obj);
        info.externalURLs = ing.map((i) => i.hostname || i.ip || '').filter(Boolean).flatMap((h) => (ports.length ? ports.map((p) => `${h}:${num(p.port)}`) : [h]));
      }
      return Object.keys(info).length ? info : undefined;
    }
    case 'Ingress': {
      const refs = new Map<string, { group: string; kind: string; namespace?: string; name: string }>();
      const add = (name: string) => {
        if (name && !refs.has(name)) refs.set(name, { group: '', kind: 'Service', ...(ns ? { namespace: ns } : {}), name });
      };
      const def = obj(sp.defaultBackend ?? sp.backend);
      add(ingressBackendService(def));
      const tlsHosts = new Set(arr(sp.tls).flatMap((t) => arr(obj(t).hosts).map(str)));
      const urls: string[] = [];
      const ing = lbIngress(o);
      for (const rule of arr(sp.rules).map(obj)) {
        const paths = arr(obj(rule.http).paths).map(obj);
        for (const p of paths) add(ingressBackendService(obj(p.backend)));
        const host = str(rule.host) || ing?.[0]?.hostname || ing?.[0]?.ip || '';
        if (!host || host.includes('*')) continue;
        const scheme = tlsHosts.has(str(rule.host)) ? 'https' : 'http';
        for (const p of paths.length ? paths : [{}]) {
          const url = `${scheme}://${host}${str((p as Obj).path)}`;
          if (!urls.includes(url)) urls.push(url);
        }
      }
      const info: NetworkingInfo = {};
      if (refs.size) info.targetRefs = [...refs.values()];
      if (ing) info.ingress = ing;
      if (urls.length) info.externalURLs = urls;
      return Object.keys(info).length ? info : undefined;
    }
  }
  return undefined;
}

export function infoOf(o: KubeObject): InfoItem[] | undefined {
  const st = obj(o.status);
  switch (str(o.kind)) {
    case 'Pod': {
      const cs = arr(st.containerStatuses).map(obj);
      const total = arr(obj(o.spec).containers).length || cs.length;
      const ready = cs.filter((c) => c.ready === true).length;
      const restarts = cs.reduce((n, c) => n + num(c.restartCount), 0);
      const info: InfoItem[] = [{ name: 'Status Reason', value: podStatusReason(o) }];
      const node = str(obj(o.spec).nodeName);
      if (node) info.push({ name: 'Node', value: node });
      info.push({ name: 'Containers', value: `${ready}/${total}` });
      info.push({ name: 'Restart Count', value: String(restarts) });
      return info;
    }
    case 'ReplicaSet':
    case 'Deployment': {
      const rev = o.metadata?.annotations?.['deployment.kubernetes.io/revision'];
      return rev ? [{ name: 'Revision', value: `Rev:${rev}` }] : undefined;
    }
    case 'Job': {
      const cs = arr(st.conditions).map(obj);
      const done = cs.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      return done ? [{ name: 'Status Reason', value: str(done.type) }] : undefined;
    }
  }
  return undefined;
}
