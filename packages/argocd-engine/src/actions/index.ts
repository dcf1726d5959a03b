/**
 * Resource actions as Argo CD runs them: Lua from `resource.customizations.actions.<group_kind>`
 * (`discovery.lua` returns the action table, `definitions[].action.lua` returns the modified
 * object or a list of impacted resources `{operation = "create"|"patch", resource = …}`), plus
 * the built-in actions (builtin.ts). Custom actions of a kind replace the built-in ones unless the
 * override sets `mergeBuiltinActions: true`.
 */
import { parse as parseYaml } from 'yaml';
import { runLua, LuaError } from '@flotilla/lua';
import type { KubeObject } from '../types.js';
import { groupOf, str } from '../health/common.js';
import { findOverride, type ActionsOverrideLike, type ResourceOverridesLike } from '../health/overrides.js';
import { builtinActionsFor, type ImpactedResource, type ResourceAction } from './builtin.js';

export type { ActionParam, ImpactedOperation, ImpactedResource, ResourceAction } from './builtin.js';
export { BUILTIN_ACTIONS, rfc3339 } from './builtin.js';

export interface ActionOptions {
  /** The time restart-style actions write (default: now). */
  now?: Date;
  timeoutMs?: number;
  memoryBytes?: number;
}

export class ActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionError';
  }
}

/** The parsed actions override of `obj`'s group/kind, or undefined. Throws ActionError on bad YAML. */
export function actionsOverride(o: KubeObject, overrides: ResourceOverridesLike | undefined): ActionsOverrideLike | undefined {
  const ov = findOverride(overrides, groupOf(o), str(o.kind));
  const raw = ov?.actions;
  if (raw === undefined || raw === null || raw === '') return undefined;
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    try {
      parsed = parseYaml(raw);
    } catch (e) {
      throw new ActionError(`the actions customization of ${kindKey(o)} is not valid YAML: ${(e as Error).message}`);
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ActionError(`the actions customization of ${kindKey(o)} must be a mapping with discovery.lua and definitions`);
  }
  const a = parsed as ActionsOverrideLike;
  if (a.definitions !== undefined && !Array.isArray(a.definitions)) throw new ActionError(`the actions customization of ${kindKey(o)}: definitions must be a list`);
  return a;
}

const kindKey = (o: KubeObject): string => (groupOf(o) ? `${groupOf(o)}/${str(o.kind)}` : str(o.kind));

function toAction(name: string, v: unknown): ResourceAction {
  const a: ResourceAction = { name };
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const r = v as Record<string, unknown>;
    if (r.disabled !== undefined) a.disabled = r.disabled === true;
    if (typeof r.iconClass === 'string') a.iconClass = r.iconClass;
    if (typeof r.displayName === 'string') a.displayName = r.displayName;
    if (Array.isArray(r.params)) a.params = r.params.filter((p) => p && typeof p === 'object' && typeof (p as { name?: unknown }).name === 'string') as ResourceAction['params'];
  }
  return a;
}

async function lua(script: string, o: KubeObject, chunkName: string, opts: ActionOptions, params?: Record<string, string>): Promise<unknown> {
  try {
    return await runLua(script, { globals: { obj: o, actionParams: params ?? {} }, timeoutMs: opts.timeoutMs, memoryBytes: opts.memoryBytes, chunkName });
  } catch (e) {
    throw new ActionError(e instanceof LuaError ? e.message : `${chunkName}: ${(e as Error).message}`);
  }
}

/** The actions available on `obj` (sorted by name), with `disabled` as discovery decided. */
export async function listActions(o: KubeObject, overrides?: ResourceOverridesLike, opts: ActionOptions = {}): Promise<ResourceAction[]> {
  const custom = actionsOverride(o, overrides);
  const out = new Map<string, ResourceAction>();
  const builtin = builtinActionsFor(o);
  if (builtin && (!custom || custom.mergeBuiltinActions)) {
    for (const [name, a] of Object.entries(builtin)) out.set(name, { name, ...a.discover(o) });
  }
  if (custom?.['discovery.lua']) {
    const table = await lua(custom['discovery.lua'], o, 'discovery.lua', opts);
    if (table !== undefined) {
      if (table === null || typeof table !== 'object') throw new ActionError(`discovery.lua must return a table of actions, not ${typeof table}`);
      const entries: [string, unknown][] = Array.isArray(table)
        ? table.map((v, i) => [str((v as { name?: unknown })?.name) || String(i + 1), v])
        : Object.entries(table as Record<string, unknown>);
      for (const [name, v] of entries) out.set(name, toAction(name, v));
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function impactedFrom(result: unknown, source: KubeObject, action: string): ImpactedResource[] {
  if (result === undefined || result === null || typeof result !== 'object') {
    throw new ActionError(`action ${action} must return the modified object or a list of impacted resources, not ${result === undefined ? 'nil' : typeof result}`);
  }
  const list = Array.isArray(result) ? result : undefined;
  if (!list) return [{ obj: result as KubeObject, operation: 'patch' }];
  return list.map((item, i) => {
    const r = (item ?? {}) as { operation?: unknown; resource?: unknown };
    if (r.operation !== 'create' && r.operation !== 'patch') {
      throw new ActionError(`action ${action}: impacted resource ${i + 1} has operation ${JSON.stringify(r.operation ?? null)} (expected "create" or "patch")`);
    }
    if (!r.resource || typeof r.resource !== 'object' || Array.isArray(r.resource)) throw new ActionError(`action ${action}: impacted resource ${i + 1} has no resource table`);
    const obj = r.resource as KubeObject;
    if (r.operation === 'create' && obj.metadata && !obj.metadata.namespace && source.metadata?.namespace) obj.metadata.namespace = source.metadata.namespace;
    return { obj, operation: r.operation };
  });
}

function checkImpacted(list: ImpactedResource[], source: KubeObject, action: string): ImpactedResource[] {
  for (const { obj, operation } of list) {
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) throw new ActionError(`action ${action}: an impacted resource has no apiVersion, kind or metadata.name`);
    if (operation === 'patch' && obj.kind === source.kind && groupOf(obj) === groupOf(source) && obj.metadata.name !== source.metadata?.name) {
      // a patch of the source itself must keep its identity
      throw new ActionError(`action ${action}: the patched object was renamed from ${str(source.metadata?.name)} to ${obj.metadata.name}`);
    }
  }
  return list;
}

/**
 * Runs `action` on `obj`: a custom Lua definition when the override has one by that name, else
 * the built-in. Returns the impacted resources (the caller patches/creates them in the cluster).
 */
export async function runAction(
  o: KubeObject,
  action: string,
  overrides?: ResourceOverridesLike,
  params?: Record<string, string> | { name: string; value: string }[],
  opts: ActionOptions = {},
): Promise<{ impacted: ImpactedResource[] }> {
  const p: Record<string, string> = Array.isArray(params) ? Object.fromEntries(params.map((x) => [x.name, x.value])) : { ...(params ?? {}) };
  const custom = actionsOverride(o, overrides);
  const def = custom?.definitions?.find((d) => d && d.name === action);
  if (def) {
    const script = def['action.lua'];
    if (typeof script !== 'string' || !script.trim()) throw new ActionError(`action ${action} of ${kindKey(o)} has no action.lua`);
    const result = await lua(script, o, `${action}/action.lua`, opts, p);
    return { impacted: checkImpacted(impactedFrom(result, o, action), o, action) };
  }
  const builtin = builtinActionsFor(o);
  const b = builtin && (!custom || custom.mergeBuiltinActions) ? builtin[action] : undefined;
  if (!b || !Object.prototype.hasOwnProperty.call(builtin, action)) {
    throw new ActionError(`action ${JSON.stringify(action)} is not available for ${kindKey(o)} ${str(o.metadata?.name)}`);
  }
  if (b.discover(o).disabled) throw new ActionError(`action ${action} is disabled for ${kindKey(o)} ${str(o.metadata?.name)} in its current state`);
  try {
    return { impacted: checkImpacted(b.run(o, { now: opts.now ?? new Date(), params: p }), o, action) };
  } catch (e) {
    throw e instanceof ActionError ? e : new ActionError(`action ${action}: ${(e as Error).message}`);
  }
}
