/**
 * Managed routes of the canary strategy, pure: which `setHeaderRoute` routes are in force at a
 * step, their validation, and how the nginx router expresses one (the canary Ingress's
 * `canary-by-header` / `canary-by-header-value` / `canary-by-header-pattern` annotations).
 *
 * A `setHeaderRoute` step with a `match` sets (or replaces) the route of that name; one without a
 * `match` removes it. Routes live until the rollout is promoted, aborted or rolled back, when all
 * managed routes go. `setMirrorRoute` needs a mesh router (Istio), which this installation does not
 * provide, so a rollout that names it is refused with InvalidSpec.
 */
import type { CanaryStep, CanaryStrategy, HeaderMatch, StringMatch } from '../types.js';

export interface HeaderRoute {
  name: string;
  match: HeaderMatch[];
}

/**
 * The header routes in force at step `idx` (its own setHeaderRoute included: a route applies when its
 * step is reached, also when it shares the step with another action), in managedRoutes order (their
 * precedence).
 */
export function headerRoutesAt(steps: CanaryStep[], idx: number, managed: { name: string }[] = []): HeaderRoute[] {
  const live = new Map<string, HeaderMatch[]>();
  for (let i = 0; i <= Math.min(idx, steps.length - 1); i++) {
    const h = steps[i].setHeaderRoute;
    if (!h?.name) continue;
    if (h.match?.length) live.set(h.name, h.match);
    else live.delete(h.name);
  }
  const order = managed.map((m) => m.name);
  return [...live.entries()]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || Infinity) - (order.indexOf(b) + 1 || Infinity))
    .map(([name, match]) => ({ name, match }));
}

const kinds = (v?: StringMatch) => (['exact', 'regex', 'prefix'] as const).filter((k) => v?.[k] !== undefined && v?.[k] !== null);

/** `^` + the prefix with regex metacharacters escaped */
export const prefixPattern = (p: string) => `^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`;

/** nginx's annotations (without the prefix) for a header route; the first route wins (nginx has one header per canary Ingress). */
export function nginxHeaderAnnotations(routes: HeaderRoute[]): Record<string, string> {
  const r = routes[0];
  if (!r) return {};
  const m = r.match[0];
  const v = m.headerValue ?? {};
  if (v.exact !== undefined) return { 'canary-by-header': m.headerName, 'canary-by-header-value': v.exact };
  if (v.regex !== undefined) return { 'canary-by-header': m.headerName, 'canary-by-header-pattern': v.regex };
  return { 'canary-by-header': m.headerName, 'canary-by-header-pattern': prefixPattern(v.prefix ?? '') };
}

/** the annotations a header route may set on a canary Ingress (removed when no route is in force) */
export const HEADER_ANNOTATIONS = ['canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern'];

/**
 * The InvalidSpec reason of a canary's managed routes and route steps, as `[field, value, why]`,
 * or undefined. Upstream's rules: header and mirror routes need a traffic router and a name listed
 * in `trafficRouting.managedRoutes`; each match value sets exactly one of exact/regex/prefix. Here
 * in addition: nginx expresses one header per route (one match entry), and mirroring is refused.
 */
export function validateRoutes(c: CanaryStrategy): [string, unknown, string] | undefined {
  const tr = c.trafficRouting;
  const managed = (tr?.managedRoutes ?? []) as { name?: string }[];
  const seen = new Set<string>();
  for (const [i, m] of managed.entries()) {
    if (!m?.name) return [`spec.strategy.canary.trafficRouting.managedRoutes[${i}].name`, m?.name ?? '', 'managed route name must be set'];
    if (seen.has(m.name)) return [`spec.strategy.canary.trafficRouting.managedRoutes[${i}].name`, m.name, 'duplicate managed route name'];
    seen.add(m.name);
  }
  for (const [i, step] of (c.steps ?? []).entries()) {
    const f = `spec.strategy.canary.steps[${i}]`;
    if (step.setMirrorRoute) {
      return [`${f}.setMirrorRoute`, step.setMirrorRoute, 'SetMirrorRoute requires TrafficRouting with Istio; mirroring is not supported by the nginx router and no mesh router is available in this installation'];
    }
    const h = step.setHeaderRoute;
    if (!h) continue;
    if (!tr?.nginx) return [`${f}.setHeaderRoute`, h, 'SetHeaderRoute requires TrafficRouting (nginx in this installation)'];
    if (!h.name) return [`${f}.setHeaderRoute.name`, '', 'SetHeaderRoute needs a name'];
    if (!seen.has(h.name)) return [`${f}.setHeaderRoute.name`, h.name, `route "${h.name}" is not listed in spec.strategy.canary.trafficRouting.managedRoutes`];
    for (const [j, m] of (h.match ?? []).entries()) {
      if (!m?.headerName) return [`${f}.setHeaderRoute.match[${j}].headerName`, m?.headerName ?? '', 'headerName must be set'];
      const k = kinds(m.headerValue);
      if (k.length !== 1) return [`${f}.setHeaderRoute.match[${j}].headerValue`, m.headerValue ?? null, 'StringMatch must have exactly one of exact, regex or prefix set'];
      if (k[0] === 'regex') {
        try {
          new RegExp(m.headerValue!.regex!);
        } catch (e) {
          return [`${f}.setHeaderRoute.match[${j}].headerValue.regex`, m.headerValue!.regex, `invalid regular expression: ${(e as Error).message}`];
        }
      }
    }
    if (tr.nginx && (h.match?.length ?? 0) > 1) return [`${f}.setHeaderRoute.match`, h.match, 'the nginx router matches one header per route (canary-by-header): give one match entry'];
  }
  return undefined;
}
