/** diffResource / diffResources: Argo CD's comparison of a desired object with its live counterpart. */
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { ANNOTATIONS, type KubeObject } from '../types.js';
import { overrideFor } from '../settings/lookup.js';
import { applyIgnoreRule, applyTrustedManagers, rulesFor } from './ignore.js';
import { clone, deepEqual, sortKeys } from './jsonutil.js';
import { maskSecret } from './mask.js';
import { foldStringData, groupOf, reconcileEquivalents, stripServerFields, stripStatus } from './normalize.js';
import { lastAppliedOf, removeMapFields, threeWayMerge } from './threeway.js';
import { setTracking } from './tracking.js';
import type { DiffMode, DiffOptions, ResourceDiff } from './types.js';

/** `argocd.argoproj.io/compare-options` of an object, e.g. `IgnoreExtraneous,ServerSideDiff=true`. */
export function compareOptionsOf(obj: KubeObject | null | undefined): { ignoreExtraneous: boolean; serverSideDiff?: boolean; includeMutationWebhook: boolean } {
  const raw = obj?.metadata?.annotations?.[ANNOTATIONS.compareOptions] ?? '';
  const opts = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const ssd = opts.find((o) => o.startsWith('ServerSideDiff='));
  return {
    ignoreExtraneous: opts.includes('IgnoreExtraneous'),
    serverSideDiff: ssd ? ssd.slice('ServerSideDiff='.length) === 'true' : undefined,
    includeMutationWebhook: opts.includes('IncludeMutationWebhook=true'),
  };
}

function toYaml(obj: KubeObject | null): string {
  return obj ? stringify(sortKeys(obj), { lineWidth: 0, indentSeq: false }) : '';
}

/** A unified diff of two objects as YAML (`--- live`, `+++ desired`); '' when they are equal. */
export function unifiedDiff(live: KubeObject | null, desired: KubeObject | null, label?: string): string {
  const a = toYaml(live);
  const b = toYaml(desired);
  if (a === b) return '';
  const text = createTwoFilesPatch(label ? `${label} (live)` : 'live', label ? `${label} (desired)` : 'desired', a, b, undefined, undefined, { context: 3 });
  return text.replace(/^=+\n/m, '').replace(/^Index: .*\n/m, '');
}

function labelOf(o: KubeObject): string {
  const g = groupOf(o);
  const ns = o.metadata?.namespace;
  return `${g ? g + '/' : ''}${o.kind ?? ''} ${ns ? ns + '/' : ''}${o.metadata?.name ?? ''}`;
}

function prepareTarget(target: KubeObject, opts: DiffOptions): KubeObject {
  const t = opts.appName
    ? setTracking(target, { name: opts.appName, namespace: opts.appNamespace, controllerNamespace: opts.controllerNamespace, defaultNamespace: opts.defaultNamespace }, opts.settings)
    : clone(target);
  foldStringData(t);
  return t;
}

/**
 * Compares a desired object (`target`, null when it is no longer in Git) with the live one
 * (`live`, null when missing). See docs/argocd/engine-diff-sync.md for the rules.
 */
export function diffResource(target: KubeObject | null, live: KubeObject | null, opts: DiffOptions = {}): ResourceDiff {
  const ignoreExtraneous = compareOptionsOf(live).ignoreExtraneous || compareOptionsOf(target).ignoreExtraneous;
  const compareOpts = opts.settings?.compareOptions;
  const finish = (mode: DiffMode, predicted: KubeObject | null, normalized: KubeObject | null, modified: boolean): ResourceDiff => {
    const [p, n] = maskSecret(predicted, normalized);
    const sample = (target ?? live) as KubeObject;
    const result = { modified, normalizedLive: n, predictedLive: p, mode, ignoreExtraneous } as ResourceDiff;
    // the text is built when first read: most comparisons (status, auto-sync) only need the verdict
    let text: string | undefined = modified && !opts.noDiffText ? undefined : '';
    Object.defineProperty(result, 'diff', {
      enumerable: true,
      configurable: true,
      get: () => (text ??= unifiedDiff(n, p, labelOf(sample))),
      set: (v: string) => {
        text = v;
      },
    });
    return result;
  };
  if (!target && !live) return finish('none', null, null, false);
  if (!target) {
    const n = clone(live as KubeObject);
    stripServerFields(n);
    stripStatus(n, compareOpts);
    return finish('prune', null, n, true);
  }
  const t = prepareTarget(target, opts);
  if (!live) {
    stripServerFields(t);
    stripStatus(t, compareOpts);
    return finish('create', t, null, true);
  }

  // a copy of live without managedFields (read from `live` itself when trusted managers are given)
  const { managedFields: _mf, ...liveMeta } = (live.metadata ?? {}) as Record<string, unknown>;
  const l = clone({ ...live, ...(live.metadata ? { metadata: liveMeta } : {}) }) as KubeObject;
  const rule = rulesFor(t, opts.ignoreDifferences, opts.settings, opts.managedFieldsManagers);
  const anno = compareOptionsOf(t).serverSideDiff ?? compareOptionsOf(live).serverSideDiff;
  let mode: DiffMode;
  let predicted: KubeObject;
  let normalized: KubeObject = l;
  if (opts.serverSideDryRun && anno !== false) {
    mode = 'server-side';
    predicted = clone(opts.serverSideDryRun);
  } else {
    const last = lastAppliedOf(l, ANNOTATIONS.lastApplied);
    if (last) {
      mode = 'three-way';
      foldStringData(last);
      predicted = threeWayMerge(last, t, l, overrideFor(opts.settings?.resourceOverrides, groupOf(t), t.kind ?? '')?.knownTypeFields);
    } else {
      mode = 'two-way';
      predicted = t;
      normalized = removeMapFields(t, l) as KubeObject;
    }
  }
  if (rule.managedFieldsManagers.length > 0) applyTrustedManagers(predicted, live, rule.managedFieldsManagers);
  for (const o of [predicted, normalized]) {
    stripServerFields(o);
    stripStatus(o, compareOpts);
    applyIgnoreRule(o, rule);
  }
  // resource.compareoptions ignoreAggregatedRoles: an aggregated ClusterRole's rules are the aggregator's
  if (opts.settings?.compareOptions.ignoreAggregatedRoles && t.kind === 'ClusterRole' && groupOf(t) === 'rbac.authorization.k8s.io' && t.aggregationRule) {
    delete predicted.rules;
    delete normalized.rules;
  }
  reconcileEquivalents(predicted, normalized);
  // the live object's own tracking label/annotation is what setTracking predicts; nothing else to do
  return finish(mode, predicted, normalized, !deepEqual(predicted, normalized));
}

/** Many comparisons at once (one app's resources); pairs keep their order. */
export function diffResources(pairs: { target: KubeObject | null; live: KubeObject | null }[], opts: DiffOptions = {}): ResourceDiff[] {
  return pairs.map((p) => diffResource(p.target, p.live, opts));
}

/** The value `kubectl apply` stores in `kubectl.kubernetes.io/last-applied-configuration` for `obj`. */
export function lastAppliedConfiguration(obj: KubeObject): string {
  const o = clone(obj);
  const ann = o.metadata?.annotations;
  if (ann) {
    delete ann[ANNOTATIONS.lastApplied];
    if (Object.keys(ann).length === 0) delete o.metadata!.annotations;
  }
  return JSON.stringify(o);
}

/** A copy of `obj` carrying its last-applied-configuration annotation (what a client-side apply sends). */
export function withLastApplied(obj: KubeObject): KubeObject {
  const o = clone(obj);
  o.metadata = o.metadata ?? {};
  o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [ANNOTATIONS.lastApplied]: lastAppliedConfiguration(obj) };
  return o;
}
