/**
 * nginx traffic routing (trafficRouting.nginx): for each stable Ingress, a canary Ingress
 * `<rollout>-<ingress>-canary` — the stable Ingress's rules with the stable Service's backends
 * replaced by the canary Service, annotated `<prefix>/canary: "true"` and
 * `<prefix>/canary-weight: "<weight>"` (prefix `nginx.ingress.kubernetes.io` unless
 * annotationPrefix says otherwise), plus additionalIngressAnnotations (canary-by-header …), owned
 * by the Rollout. ingress-nginx then sends that share of requests to the canary pods. A
 * setHeaderRoute in force adds `canary-by-header` with `canary-by-header-value` (exact) or
 * `canary-by-header-pattern` (regex; prefix as `^prefix`): matching requests go to the canary
 * whatever the weight, the others follow the weight.
 */
import type { Rollout } from '../types.js';
import { HEADER_ANNOTATIONS, nginxHeaderAnnotations, type HeaderRoute } from './routes.js';

type Ingress = { metadata: { name?: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec?: any };

export function stableIngresses(ro: Rollout): string[] {
  const n = ro.spec.strategy?.canary?.trafficRouting?.nginx;
  if (!n) return [];
  return [...(n.stableIngress ? [n.stableIngress] : []), ...(n.stableIngresses ?? [])];
}

export const canaryIngressName = (ro: Rollout, stable: string) => `${ro.metadata.name}-${stable}-canary`.slice(0, 253);

/** The canary Ingress for one stable Ingress at a weight (throws when the stable one has no backend on the stable Service). */
export function canaryIngress(ro: Rollout, stable: Ingress, weight: number, headerRoutes: HeaderRoute[] = []): Ingress {
  const c = ro.spec.strategy!.canary!;
  const n = c.trafficRouting!.nginx;
  const prefix = n.annotationPrefix ?? 'nginx.ingress.kubernetes.io';
  const stableSvc = c.stableService!;
  const canarySvc = c.canaryService!;
  let found = false;
  const swap = (b: any) => {
    if (b?.service?.name === stableSvc) {
      found = true;
      return { ...b, service: { ...b.service, name: canarySvc } };
    }
    return b;
  };
  const spec = JSON.parse(JSON.stringify(stable.spec ?? {}));
  if (spec.defaultBackend) spec.defaultBackend = swap(spec.defaultBackend);
  for (const r of spec.rules ?? []) for (const p of r.http?.paths ?? []) p.backend = swap(p.backend);
  if (!found) throw new Error(`ingress \`${stable.metadata.name}\` has no rules using service ${stableSvc} backend`);
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries((n.additionalIngressAnnotations ?? {}) as Record<string, string>)) extra[`${prefix}/${k}`] = String(v);
  // a setHeaderRoute in force replaces any header routing of additionalIngressAnnotations
  const route = nginxHeaderAnnotations(headerRoutes);
  if (Object.keys(route).length) for (const k of HEADER_ANNOTATIONS) delete extra[`${prefix}/${k}`];
  for (const [k, v] of Object.entries(route)) extra[`${prefix}/${k}`] = v;
  // the stable Ingress's own nginx annotations (rewrite-target …) apply to the canary too, not its canary ones
  const inherited = Object.fromEntries(Object.entries(stable.metadata.annotations ?? {}).filter(([k]) => k.startsWith(`${prefix}/`) && !k.startsWith(`${prefix}/canary`)));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: canaryIngressName(ro, stable.metadata.name!),
      namespace: ro.metadata.namespace,
      annotations: { ...inherited, ...extra, [`${prefix}/canary`]: 'true', [`${prefix}/canary-weight`]: String(Math.round(weight)), ...(n.canaryIngressAnnotations ?? {}) },
      labels: { ...(n.canaryIngressLabels ?? {}) },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: ro.metadata.name!, uid: ro.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    } as never,
    spec: { ...(spec.ingressClassName ? { ingressClassName: spec.ingressClassName } : {}), ...spec },
  } as Ingress;
}
