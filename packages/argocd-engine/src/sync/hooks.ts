/**
 * Hooks and waves: `argocd.argoproj.io/hook` (PreSync, Sync, PostSync, SyncFail, PreDelete,
 * PostDelete, Skip; comma-separated) and `argocd.argoproj.io/hook-delete-policy`; Helm hooks as
 * Argo CD maps them when no Argo CD hook annotation is present: pre-install/pre-upgrade → PreSync,
 * post-install/post-upgrade → PostSync, post-delete → PostDelete, crd-install → an ordinary resource,
 * the others (pre-delete, pre/post-rollback, test*) unsupported: the resource is not synced.
 */
import { ANNOTATIONS, type KubeObject } from '../types.js';

export type ArgoHookType = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail' | 'PreDelete' | 'PostDelete' | 'Skip';
export type HookDeletePolicy = 'HookSucceeded' | 'HookFailed' | 'BeforeHookCreation';

const ARGO_HOOKS: ArgoHookType[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail', 'PreDelete', 'PostDelete', 'Skip'];
const HELM_HOOKS: Record<string, ArgoHookType | null> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
  'post-delete': 'PostDelete',
  'pre-delete': null,
  'pre-rollback': null,
  'post-rollback': null,
  test: null,
  'test-success': null,
  'test-failure': null,
};
const HELM_DELETE: Record<string, HookDeletePolicy> = {
  'before-hook-creation': 'BeforeHookCreation',
  'hook-succeeded': 'HookSucceeded',
  'hook-failed': 'HookFailed',
};

function ann(obj: KubeObject | null | undefined, key: string): string | undefined {
  return obj?.metadata?.annotations?.[key];
}
const split = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

export interface HookInfo {
  /** true when the object is a hook (Argo CD's annotation, or a Helm hook annotation that is not only crd-install) */
  hook: boolean;
  /** the phases it runs in; empty for a Helm hook Argo CD does not support (then it is not synced at all) */
  types: ArgoHookType[];
  /** the types came from `helm.sh/hook` */
  helm: boolean;
}

export function hookInfo(obj: KubeObject | null | undefined): HookInfo {
  const argo = ann(obj, ANNOTATIONS.hook);
  if (argo !== undefined) {
    return { hook: true, types: split(argo).filter((t): t is ArgoHookType => (ARGO_HOOKS as string[]).includes(t)), helm: false };
  }
  const helm = ann(obj, ANNOTATIONS.helmHook);
  if (helm !== undefined) {
    const names = split(helm);
    if (names.length > 0 && names.every((n) => n === 'crd-install')) return { hook: false, types: [], helm: true };
    const types: ArgoHookType[] = [];
    for (const n of names) {
      const t = HELM_HOOKS[n];
      if (t && !types.includes(t)) types.push(t);
    }
    return { hook: true, types, helm: true };
  }
  return { hook: false, types: [], helm: false };
}

/** The hook types of an object (`[]` for a resource that is not a hook). */
export function hookTypes(obj: KubeObject | null | undefined): ArgoHookType[] {
  return hookInfo(obj).types;
}

/** The first hook type of an object, undefined when it is not a hook (or an unsupported Helm hook). */
export function hookType(obj: KubeObject | null | undefined): ArgoHookType | undefined {
  return hookInfo(obj).types[0];
}

export function isHook(obj: KubeObject | null | undefined): boolean {
  const h = hookInfo(obj);
  // `Skip` marks a resource Argo CD leaves alone; it is neither applied nor a hook run
  return h.hook && !(h.types.length === 1 && h.types[0] === 'Skip');
}

/** Delete policies of a hook; BeforeHookCreation when none is given, as Argo CD documents. */
export function hookDeletePolicies(obj: KubeObject | null | undefined): HookDeletePolicy[] {
  const argo = ann(obj, ANNOTATIONS.hookDeletePolicy);
  let out: HookDeletePolicy[] = [];
  if (argo !== undefined) out = split(argo).filter((p): p is HookDeletePolicy => p === 'HookSucceeded' || p === 'HookFailed' || p === 'BeforeHookCreation');
  else {
    const helm = ann(obj, ANNOTATIONS.helmHookDeletePolicy);
    if (helm !== undefined) for (const p of split(helm)) if (HELM_DELETE[p] && !out.includes(HELM_DELETE[p])) out.push(HELM_DELETE[p]);
  }
  return out.length > 0 ? out : ['BeforeHookCreation'];
}

/** `argocd.argoproj.io/sync-wave`, else (for Helm hooks) `helm.sh/hook-weight`, else 0. */
export function syncWave(obj: KubeObject | null | undefined): number {
  const w = ann(obj, ANNOTATIONS.syncWave);
  if (w !== undefined && /^\s*[+-]?\d+\s*$/.test(w)) return Number(w);
  const info = hookInfo(obj);
  if (info.helm && info.hook) {
    const hw = ann(obj, ANNOTATIONS.helmHookWeight);
    if (hw !== undefined && /^\s*[+-]?\d+\s*$/.test(hw)) return Number(hw);
  }
  return 0;
}
