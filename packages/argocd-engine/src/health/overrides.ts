/**
 * Reading Lua overrides without depending on `settings`: any map shaped like
 * `ArgoSettings['resourceOverrides']` (a Map or a plain record keyed "group/Kind", core kinds as
 * "Kind" or "/Kind", wildcards such as "*.aws.crossplane.io/*") works. An override's health may be
 * `{lua, useOpenLibs}`, the raw argocd-cm spelling (`health.lua`, `health.lua.useOpenLibs`) or Argo's
 * API spelling (`healthLua`, `useOpenLibs`);
 * actions are the YAML text of `resource.customizations.actions.<group_kind>` or its parsed form.
 */
export interface LuaHealthOverride {
  lua: string;
  useOpenLibs?: boolean;
}

export interface ActionDefinitionLike {
  name: string;
  'action.lua': string;
}

export interface ActionsOverrideLike {
  'discovery.lua'?: string;
  definitions?: ActionDefinitionLike[];
  mergeBuiltinActions?: boolean;
}

export interface ResourceOverrideLike {
  health?: LuaHealthOverride | string;
  actions?: string | ActionsOverrideLike;
  'health.lua'?: string;
  'health.lua.useOpenLibs'?: boolean | string;
  /** Argo CD's API spelling (v1alpha1.ResourceOverride) */
  healthLua?: string;
  useOpenLibs?: boolean | string;
}

export type ResourceOverridesLike = ReadonlyMap<string, ResourceOverrideLike> | Readonly<Record<string, ResourceOverrideLike>>;

const globCache = new Map<string, RegExp>();
function globRegex(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
    re = new RegExp(`^${body}$`);
    if (globCache.size > 1000) globCache.clear();
    globCache.set(pattern, re);
  }
  return re;
}

function entries(overrides: ResourceOverridesLike): Iterable<[string, ResourceOverrideLike]> {
  return overrides instanceof Map ? overrides.entries() : Object.entries(overrides as Record<string, ResourceOverrideLike>);
}

function get(overrides: ResourceOverridesLike, key: string): ResourceOverrideLike | undefined {
  return overrides instanceof Map ? overrides.get(key) : Object.prototype.hasOwnProperty.call(overrides, key) ? (overrides as Record<string, ResourceOverrideLike>)[key] : undefined;
}

/** The override for group/kind: the exact key first, then the first wildcard key (sorted) that matches. */
export function findOverride(overrides: ResourceOverridesLike | undefined, group: string, kind: string): ResourceOverrideLike | undefined {
  if (!overrides) return undefined;
  const exact = group ? get(overrides, `${group}/${kind}`) : get(overrides, kind) ?? get(overrides, `/${kind}`);
  if (exact) return exact;
  const target = `${group}/${kind}`;
  let best: [string, ResourceOverrideLike] | undefined;
  for (const [key, value] of entries(overrides)) {
    if (!key.includes('*') && !key.includes('?')) continue;
    const k = key.includes('/') ? key : `/${key}`;
    if (globRegex(k).test(target) && (!best || key < best[0])) best = [key, value];
  }
  return best?.[1];
}

/** The Lua health script of an override, whichever spelling it uses. */
export function healthScript(o: ResourceOverrideLike | undefined): LuaHealthOverride | undefined {
  if (!o) return undefined;
  const h = o.health;
  if (typeof h === 'string' && h.trim()) return { lua: h, useOpenLibs: truthy(o['health.lua.useOpenLibs']) };
  if (h && typeof h === 'object' && typeof h.lua === 'string' && h.lua.trim()) return { lua: h.lua, useOpenLibs: truthy(h.useOpenLibs) };
  const raw = o['health.lua'];
  if (typeof raw === 'string' && raw.trim()) return { lua: raw, useOpenLibs: truthy(o['health.lua.useOpenLibs']) || truthy(o.useOpenLibs) };
  if (typeof o.healthLua === 'string' && o.healthLua.trim()) return { lua: o.healthLua, useOpenLibs: truthy(o.useOpenLibs) };
  return undefined;
}

function truthy(v: unknown): boolean {
  return v === true || v === 'true';
}
