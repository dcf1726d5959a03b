/**
 * A container's environment as the kubelet builds it: Service link variables, then envFrom, then
 * env (later wins), with `$(VAR)` references to previously defined variables expanded.
 */
import { ApiError, R, type KubeClient } from '@flotilla/kube-runtime';
import { expandVars, isValidEnvName, serviceEnv } from './expand.js';
import { fieldRefValue, resourceFieldValue, type VolumeContext } from './volumes.js';

export class ConfigError extends Error {}

export interface ServiceInfo {
  name: string;
  namespace: string;
  clusterIP?: string;
  ports: { name?: string; port: number; protocol?: string }[];
}

export interface EnvContext {
  api: KubeClient;
  pod: any;
  podIP: string;
  /** Services of the pod's namespace (for enableServiceLinks) */
  services: ServiceInfo[];
  /** where the API server really is (for KUBERNETES_SERVICE_HOST/PORT) */
  apiHost: string;
  apiPort: number;
  alloc: VolumeContext['nodeAllocatable'];
}

/** Service link variables: the API server's always, the namespace's Services when enabled. */
export function serviceLinks(ctx: Pick<EnvContext, 'pod' | 'services' | 'apiHost' | 'apiPort'>): Record<string, string> {
  const env: Record<string, string> = {};
  if (ctx.pod.spec?.enableServiceLinks !== false) {
    const svcs = [...ctx.services].sort((a, b) => a.name.localeCompare(b.name));
    for (const s of svcs) {
      if (!s.clusterIP || s.clusterIP === 'None') continue;
      if (s.namespace === 'default' && s.name === 'kubernetes') continue;
      Object.assign(env, serviceEnv(s.name, s.clusterIP, s.ports));
    }
  }
  Object.assign(env, serviceEnv('kubernetes', ctx.apiHost, [{ name: 'https', port: ctx.apiPort, protocol: 'TCP' }]));
  return env;
}

export async function buildEnv(ctx: EnvContext, container: any): Promise<Record<string, string>> {
  const ns = ctx.pod.metadata.namespace;
  const cache = new Map<string, any>();
  const fetch = async (kind: 'configmaps' | 'secrets', name: string): Promise<any | undefined> => {
    const key = `${kind}/${name}`;
    if (cache.has(key)) return cache.get(key);
    let obj: any;
    try {
      obj = await ctx.api.get(R[kind], ns, name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) obj = undefined;
      else throw e;
    }
    cache.set(key, obj);
    return obj;
  };
  const value = (kind: 'configmaps' | 'secrets', obj: any, key: string): string | undefined => {
    if (kind === 'configmaps') {
      if (obj.data && key in obj.data) return String(obj.data[key]);
      if (obj.binaryData && key in obj.binaryData) return Buffer.from(String(obj.binaryData[key]), 'base64').toString('utf8');
      return undefined;
    }
    if (obj.data && key in obj.data) return Buffer.from(String(obj.data[key]), 'base64').toString('utf8');
    if (obj.stringData && key in obj.stringData) return String(obj.stringData[key]);
    return undefined;
  };
  const podView = { ...ctx.pod, status: { ...(ctx.pod.status ?? {}), podIP: ctx.podIP, podIPs: [{ ip: ctx.podIP }], hostIP: '127.0.0.1', hostIPs: [{ ip: '127.0.0.1' }] } };

  const env: Record<string, string> = serviceLinks(ctx);
  for (const src of container.envFrom ?? []) {
    const kind = src.configMapRef ? 'configmaps' : src.secretRef ? 'secrets' : undefined;
    if (!kind) continue;
    const ref = src.configMapRef ?? src.secretRef;
    const obj = await fetch(kind, ref.name);
    if (!obj) {
      if (ref.optional) continue;
      throw new ConfigError(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${ref.name}" not found`);
    }
    const keys = new Set([...Object.keys(obj.data ?? {}), ...Object.keys(kind === 'configmaps' ? obj.binaryData ?? {} : obj.stringData ?? {})]);
    for (const k of keys) {
      const name = `${src.prefix ?? ''}${k}`;
      if (!isValidEnvName(name)) continue;
      env[name] = value(kind, obj, k) ?? '';
    }
  }
  for (const e of container.env ?? []) {
    const name: string = e.name;
    if (e.valueFrom) {
      const vf = e.valueFrom;
      if (vf.configMapKeyRef || vf.secretKeyRef) {
        const kind = vf.configMapKeyRef ? 'configmaps' : 'secrets';
        const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
        const obj = await fetch(kind, ref.name);
        if (!obj) {
          if (ref.optional) continue;
          throw new ConfigError(`${kind === 'configmaps' ? 'configmap' : 'secret'} "${ref.name}" not found`);
        }
        const v = value(kind, obj, ref.key);
        if (v === undefined) {
          if (ref.optional) continue;
          throw new ConfigError(`couldn't find key ${ref.key} in ${kind === 'configmaps' ? 'ConfigMap' : 'Secret'} ${ns}/${ref.name}`);
        }
        env[name] = v;
      } else if (vf.fieldRef) {
        const v = fieldRefValue(podView, vf.fieldRef.fieldPath);
        if (v === undefined) throw new ConfigError(`unsupported fieldRef "${vf.fieldRef.fieldPath}" for env var ${name}`);
        env[name] = v;
      } else if (vf.resourceFieldRef) {
        try {
          env[name] = resourceFieldValue(podView, container.name, vf.resourceFieldRef, ctx.alloc);
        } catch (err) {
          throw new ConfigError((err as Error).message);
        }
      }
      continue;
    }
    env[name] = expandVars(String(e.value ?? ''), (k) => env[k]);
  }
  return env;
}
