/** Look-ups over parsed settings: the override for a group/kind, and resource exclusion/inclusion. */
import { globMatch, overrideKey } from './parse-util.js';
import type { ArgoSettings, FilteredResource, IgnoreRule, ResourceOverride } from './types.js';

function mergeRules(a: IgnoreRule | undefined, b: IgnoreRule | undefined): IgnoreRule | undefined {
  if (!a) return b;
  if (!b) return a;
  const cat = (x?: string[], y?: string[]) => (x || y ? [...(x ?? []), ...(y ?? [])] : undefined);
  const r: IgnoreRule = {};
  const jp = cat(a.jsonPointers, b.jsonPointers);
  const jq = cat(a.jqPathExpressions, b.jqPathExpressions);
  const mf = cat(a.managedFieldsManagers, b.managedFieldsManagers);
  if (jp) r.jsonPointers = jp;
  if (jq) r.jqPathExpressions = jq;
  if (mf) r.managedFieldsManagers = mf;
  return r;
}

function keyMatches(key: string, group: string, kind: string): boolean {
  const i = key.lastIndexOf('/');
  const kg = i < 0 ? '' : key.slice(0, i);
  const kk = i < 0 ? key : key.slice(i + 1);
  return globMatch(kg, group) && globMatch(kk, kind);
}

/**
 * The customization in force for `group`/`kind`: the exact key wins for health, actions and
 * knownTypeFields, else the first glob key (e.g. `*.crossplane.io/*`) that has them; ignore rules of
 * every matching key (incl. `all`, stored as `*\/*`) are combined.
 */
export function overrideFor(overrides: Map<string, ResourceOverride> | undefined, group: string | undefined, kind: string): ResourceOverride | undefined {
  if (!overrides || overrides.size === 0) return undefined;
  const g = group ?? '';
  const exact = overrides.get(overrideKey(g, kind));
  const globs: ResourceOverride[] = [];
  for (const [k, o] of overrides) if (o !== exact && /[*?[]/.test(k) && keyMatches(k, g, kind)) globs.push(o);
  if (!exact && globs.length === 0) return undefined;
  const out: ResourceOverride = {};
  for (const o of [exact, ...globs]) {
    if (!o) continue;
    if (!out.health && o.health) out.health = o.health;
    if (out.actions === undefined && o.actions !== undefined) out.actions = o.actions;
    if (!out.knownTypeFields && o.knownTypeFields) out.knownTypeFields = o.knownTypeFields;
    out.ignoreDifferences = mergeRules(out.ignoreDifferences, o.ignoreDifferences);
    out.ignoreResourceUpdates = mergeRules(out.ignoreResourceUpdates, o.ignoreResourceUpdates);
  }
  return out;
}

function matchesFilter(f: FilteredResource, group: string, kind: string, cluster: string | undefined): boolean {
  const any = (pats: string[] | undefined, v: string) => !pats || pats.length === 0 || pats.some((p) => globMatch(p, v));
  if (!any(f.apiGroups, group)) return false;
  if (!any(f.kinds, kind)) return false;
  if (f.clusters && f.clusters.length > 0 && cluster !== undefined && !f.clusters.some((p) => globMatch(p, cluster))) return false;
  return true;
}

/**
 * Whether Argo CD ignores this group/kind (on `cluster`, a server URL): excluded by
 * `resource.exclusions` or the core exclusions, or not listed in a non-empty `resource.inclusions`.
 */
export function isExcluded(gvk: { group?: string; kind: string }, settings: Pick<ArgoSettings, 'exclusions' | 'inclusions'> | undefined, cluster?: string): boolean {
  const group = gvk.group ?? '';
  const exclusions = settings?.exclusions ?? [];
  if (exclusions.some((f) => matchesFilter(f, group, gvk.kind, cluster))) return true;
  const inclusions = settings?.inclusions ?? [];
  if (inclusions.length > 0 && !inclusions.some((f) => matchesFilter(f, group, gvk.kind, cluster))) return true;
  return false;
}
