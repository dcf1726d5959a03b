/**
 * Helpers the controller needs around the comparison: whether to ask for a server-side dry run,
 * RespectIgnoreDifferences (apply the target without the fields ignoreDifferences hides), and
 * ignoreResourceUpdates (whether a watch event changed anything the app cares about).
 */
import type { KubeObject, ResourceIgnoreDifferences } from '../types.js';
import type { ArgoSettings } from '../settings/types.js';
import { overrideFor } from '../settings/lookup.js';
import { compareOptionsOf } from './compare.js';
import { jqPaths, parseJsonPointer, rulesFor } from './ignore.js';
import { clone, deepEqual, deletePath, getPath, isObj, setPath, type JsonObject } from './jsonutil.js';
import { groupOf } from './normalize.js';

/**
 * Whether the comparison of this resource should use a server-side dry-run apply: the
 * `argocd.argoproj.io/compare-options: ServerSideDiff=true|false` annotation decides, else
 * `controller.diff.server.side` in argocd-cmd-params-cm (or the app's own compare option).
 */
export function wantsServerSideDiff(target: KubeObject | null, live: KubeObject | null, settings?: ArgoSettings, appDefault?: boolean): boolean {
  const own = compareOptionsOf(target).serverSideDiff ?? compareOptionsOf(live).serverSideDiff;
  if (own !== undefined) return own;
  return appDefault ?? settings?.cmdParams.serverSideDiff ?? false;
}

function pathsOf(obj: KubeObject, pointers: string[], jq: string[]): (string | number)[][] {
  const out: (string | number)[][] = [];
  for (const p of pointers) {
    const tokens = parseJsonPointer(p);
    // resolve array indices against the object
    const path: (string | number)[] = [];
    let cur: unknown = obj;
    let ok = true;
    for (const t of tokens) {
      if (Array.isArray(cur) && /^\d+$/.test(t)) {
        path.push(Number(t));
        cur = cur[Number(t)];
      } else if (isObj(cur) || cur === undefined) {
        path.push(t);
        cur = isObj(cur) ? cur[t] : undefined;
      } else {
        ok = false;
        break;
      }
    }
    if (ok && path.length) out.push(path);
  }
  for (const e of jq) for (const p of jqPaths(e, obj)) if (p.length) out.push(p);
  return out;
}

/**
 * RespectIgnoreDifferences=true: the object to apply is the target with every field that
 * ignoreDifferences hides taken from the live object (or left out when it is not live), so a sync
 * does not overwrite what the app chose to ignore. Managed-fields rules are not path-based and are
 * left to the apply itself.
 */
export function respectIgnoreDifferences(target: KubeObject, live: KubeObject | null, appRules: ResourceIgnoreDifferences[] | undefined, settings?: ArgoSettings): KubeObject {
  const out = clone(target);
  if (!live) return out;
  const rule = rulesFor(target, appRules, settings);
  const paths = [...pathsOf(live, rule.jsonPointers, rule.jqPathExpressions), ...pathsOf(out, rule.jsonPointers, rule.jqPathExpressions)];
  const seen = new Set<string>();
  for (const p of paths) {
    const k = JSON.stringify(p);
    if (seen.has(k)) continue;
    seen.add(k);
    const lv = getPath(live, p);
    if (lv === undefined) deletePath(out, p);
    else setPath(out as JsonObject, p, clone(lv));
  }
  return out;
}

const VOLATILE = ['resourceVersion', 'managedFields', 'generation'];

/**
 * ignoreResourceUpdates: true when an update from `oldObj` to `newObj` only touched fields the
 * settings say to ignore (`resource.customizations.ignoreResourceUpdates.*`, plus the ignoreDifferences
 * ones when `resource.compareoptions.ignoreDifferencesOnResourceUpdates` is on) — the controller
 * then needs no reconciliation for it.
 */
export function isIgnorableUpdate(oldObj: KubeObject, newObj: KubeObject, settings: ArgoSettings): boolean {
  const o = overrideFor(settings.resourceOverrides, groupOf(newObj), newObj.kind ?? '');
  const pointers = [...(o?.ignoreResourceUpdates?.jsonPointers ?? [])];
  const jq = [...(o?.ignoreResourceUpdates?.jqPathExpressions ?? [])];
  if (settings.compareOptions.ignoreDifferencesOnResourceUpdates) {
    pointers.push(...(o?.ignoreDifferences?.jsonPointers ?? []));
    jq.push(...(o?.ignoreDifferences?.jqPathExpressions ?? []));
  }
  const strip = (x: KubeObject) => {
    const c = clone(x);
    const md = c.metadata as JsonObject | undefined;
    if (md) for (const f of VOLATILE) delete md[f];
    const ps = pathsOf(c, pointers, jq).sort((a, b) => b.length - a.length || (typeof a.at(-1) === 'number' && typeof b.at(-1) === 'number' ? (b.at(-1) as number) - (a.at(-1) as number) : 0));
    for (const p of ps) deletePath(c, p);
    return c;
  };
  return deepEqual(strip(oldObj), strip(newObj));
}
