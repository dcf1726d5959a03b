/** Validation of workload kinds: Pod, PodTemplate, ReplicationController, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob. */
import type { Cause, KubeObject } from '@flotilla/apimachinery';
import { clone } from '@flotilla/apimachinery';
import { isValidTimeZone, validateCronSchedule } from './validate-cron.js';
import { selectorIsEmpty, selectorMatches, validateLabelSelector, validateLabels } from './validate-meta.js';
import { validatePodSpec, validatePodSpecUpdate, validatePodTemplateSpec, type PodSpecValidationOptions } from './validate-pod.js';
import {
  asObj,
  forbidden,
  goLabelSelector,
  goMapString,
  invalid,
  invalidRaw,
  notSupported,
  objs,
  percentRe,
  required,
  str,
  type Obj,
  jsonEqual,
} from './validate-util.js';

function specOf(obj: KubeObject | undefined): Obj | undefined {
  return asObj(obj?.spec);
}

function nonNegative(errs: Cause[], v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) errs.push(invalid(field, v, 'must be greater than or equal to 0'));
}

/** IntOrString validation for maxSurge / maxUnavailable / minAvailable. */
function validateIntOrPercent(errs: Cause[], v: unknown, field: string, maxHundred = false): void {
  if (v === undefined || v === null) return;
  if (typeof v === 'number') {
    if (v < 0 || !Number.isInteger(v)) errs.push(invalid(field, v, 'must be greater than or equal to 0'));
    return;
  }
  if (typeof v === 'string') {
    if (!percentRe.test(v)) {
      errs.push(
        invalid(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"),
      );
      return;
    }
    if (maxHundred && Number(v.slice(0, -1)) > 100) errs.push(invalid(field, v, 'must not be greater than 100%'));
  }
}

function isZeroIntOrPercent(v: unknown): boolean {
  return v === 0 || v === '0%' || v === '0';
}

const RS_STYLE: PodSpecValidationOptions = { restartPolicies: ['Always'], forbidActiveDeadline: true };

/** Selector required, non-empty, valid, and matching the template's labels. */
function validateSelectorAndTemplate(errs: Cause[], spec: Obj, opts: { requireNonEmpty: boolean; podOpts: PodSpecValidationOptions; templatePath?: string; selectorPath?: string }): void {
  const selPath = opts.selectorPath ?? 'spec.selector';
  const tplPath = opts.templatePath ?? 'spec.template';
  const sel = spec.selector;
  if (sel === undefined || sel === null) errs.push(required(selPath));
  else {
    errs.push(...validateLabelSelector(sel, selPath));
    if (opts.requireNonEmpty && selectorIsEmpty(sel)) errs.push(invalidRaw(selPath, goLabelSelector(sel), 'empty selector is invalid for deployment'));
  }
  const tpl = asObj(spec.template);
  if (!tpl) {
    errs.push(required(tplPath));
    return;
  }
  const labels = asObj(asObj(tpl.metadata)?.labels) as Record<string, string> | undefined;
  if (sel !== undefined && sel !== null && !selectorIsEmpty(sel) && !selectorMatches(sel, labels))
    errs.push(invalidRaw(`${tplPath}.metadata.labels`, goMapString(labels), '`selector` does not match template `labels`'));
  errs.push(...validatePodTemplateSpec(tpl, tplPath, opts.podOpts));
}

function selectorImmutable(errs: Cause[], spec: Obj | undefined, oldSpec: Obj | undefined, field = 'spec.selector'): void {
  if (!spec || !oldSpec) return;
  if (!jsonEqual(spec.selector, oldSpec.selector)) errs.push(invalidRaw(field, goLabelSelector(spec.selector), 'field is immutable'));
}

// ---------------------------------------------------------------------------------------------------------------

export function validatePod(obj: KubeObject, old?: KubeObject): Cause[] {
  const errs = validatePodSpec(specOf(obj), 'spec');
  if (old) errs.push(...validatePodSpecUpdate(specOf(obj), specOf(old)));
  return errs;
}

export function validatePodTemplate(obj: KubeObject): Cause[] {
  return validatePodTemplateSpec((obj as Obj).template, 'template');
}

export function validateReplicationController(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = specOf(obj) ?? {};
  nonNegative(errs, spec.replicas, 'spec.replicas');
  nonNegative(errs, spec.minReadySeconds, 'spec.minReadySeconds');
  const sel = asObj(spec.selector) ?? {};
  if (Object.keys(sel).length === 0) errs.push(required('spec.selector'));
  else errs.push(...validateLabels(sel, 'spec.selector'));
  const tpl = asObj(spec.template);
  if (!tpl) errs.push(required('spec.template'));
  else {
    const labels = (asObj(asObj(tpl.metadata)?.labels) ?? {}) as Record<string, string>;
    if (Object.keys(sel).length > 0 && !Object.entries(sel).every(([k, v]) => labels[k] === v))
      errs.push(invalidRaw('spec.template.metadata.labels', goMapString(labels), '`selector` does not match template `labels`'));
    errs.push(...validatePodTemplateSpec(tpl, 'spec.template', RS_STYLE));
  }
  return errs;
}

export function validateDeployment(obj: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = specOf(obj);
  if (!spec) return [required('spec')];
  nonNegative(errs, spec.replicas, 'spec.replicas');
  nonNegative(errs, spec.minReadySeconds, 'spec.minReadySeconds');
  nonNegative(errs, spec.revisionHistoryLimit, 'spec.revisionHistoryLimit');
  nonNegative(errs, spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds');
  if (typeof spec.progressDeadlineSeconds === 'number' && typeof spec.minReadySeconds === 'number' && spec.progressDeadlineSeconds <= spec.minReadySeconds)
    errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  validateSelectorAndTemplate(errs, spec, { requireNonEmpty: true, podOpts: RS_STYLE });
  const strategy = asObj(spec.strategy);
  if (strategy) {
    const type = strategy.type;
    if (type !== undefined && type !== 'Recreate' && type !== 'RollingUpdate') errs.push(notSupported('spec.strategy.type', type, ['Recreate', 'RollingUpdate']));
    const ru = asObj(strategy.rollingUpdate);
    if (type === 'Recreate' && ru) errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    if (type === 'RollingUpdate' && ru) {
      validateIntOrPercent(errs, ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable', true);
      validateIntOrPercent(errs, ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge');
      if (isZeroIntOrPercent(ru.maxUnavailable) && isZeroIntOrPercent(ru.maxSurge))
        errs.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  if (old) selectorImmutable(errs, spec, specOf(old));
  return errs;
}

export function validateReplicaSet(obj: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = specOf(obj);
  if (!spec) return [required('spec')];
  nonNegative(errs, spec.replicas, 'spec.replicas');
  nonNegative(errs, spec.minReadySeconds, 'spec.minReadySeconds');
  validateSelectorAndTemplate(errs, spec, { requireNonEmpty: true, podOpts: RS_STYLE });
  if (old) selectorImmutable(errs, spec, specOf(old));
  return errs;
}

const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds', 'revisionHistoryLimit'];

export function validateStatefulSet(obj: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = specOf(obj);
  if (!spec) return [required('spec')];
  nonNegative(errs, spec.replicas, 'spec.replicas');
  nonNegative(errs, spec.minReadySeconds, 'spec.minReadySeconds');
  nonNegative(errs, spec.revisionHistoryLimit, 'spec.revisionHistoryLimit');
  if (spec.podManagementPolicy !== undefined && spec.podManagementPolicy !== 'OrderedReady' && spec.podManagementPolicy !== 'Parallel')
    errs.push(notSupported('spec.podManagementPolicy', spec.podManagementPolicy, ['OrderedReady', 'Parallel']));
  const us = asObj(spec.updateStrategy);
  if (us) {
    if (us.type !== undefined && us.type !== 'RollingUpdate' && us.type !== 'OnDelete')
      errs.push(notSupported('spec.updateStrategy.type', us.type, ['OnDelete', 'RollingUpdate']));
    const ru = asObj(us.rollingUpdate);
    if (ru && us.type === 'OnDelete')
      errs.push(invalid('spec.updateStrategy.rollingUpdate', ru, "only allowed for updateStrategy 'RollingUpdate'"));
    if (ru) {
      nonNegative(errs, ru.partition, 'spec.updateStrategy.rollingUpdate.partition');
      validateIntOrPercent(errs, ru.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable', true);
      if (isZeroIntOrPercent(ru.maxUnavailable)) errs.push(invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'must be greater than 0'));
    }
  }
  const rp = asObj(spec.persistentVolumeClaimRetentionPolicy);
  if (rp)
    for (const f of ['whenDeleted', 'whenScaled'])
      if (rp[f] !== undefined && rp[f] !== 'Retain' && rp[f] !== 'Delete')
        errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, rp[f], ['Retain', 'Delete']));
  const claimNames: string[] = [];
  objs(spec.volumeClaimTemplates).forEach((pvc, i) => {
    const name = str(asObj(pvc.metadata)?.name);
    if (name === '') errs.push(required(`spec.volumeClaimTemplates[${i}].metadata.name`));
    else claimNames.push(name);
  });
  // containers mount the claim templates by name: they become the pods' volumes
  let withClaims = spec;
  const tplSpec = asObj(asObj(spec.template)?.spec);
  if (claimNames.length && tplSpec) {
    const vols = Array.isArray(tplSpec.volumes) ? (tplSpec.volumes as Obj[]) : [];
    const have = new Set(vols.map((v) => str(asObj(v)?.name)));
    const extra = claimNames.filter((n) => !have.has(n)).map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } }));
    if (extra.length) withClaims = { ...spec, template: { ...asObj(spec.template), spec: { ...tplSpec, volumes: [...vols, ...extra] } } };
  }
  validateSelectorAndTemplate(errs, withClaims, { requireNonEmpty: true, podOpts: RS_STYLE });
  if (old) {
    const oldSpec = specOf(old) ?? {};
    selectorImmutable(errs, spec, oldSpec);
    const a = clone(spec);
    const b = clone(oldSpec);
    for (const f of [...STS_MUTABLE, 'selector']) {
      delete a[f];
      delete b[f];
    }
    if (!jsonEqual(a, b))
      errs.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
  }
  return errs;
}

export function validateDaemonSet(obj: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = specOf(obj);
  if (!spec) return [required('spec')];
  nonNegative(errs, spec.minReadySeconds, 'spec.minReadySeconds');
  nonNegative(errs, spec.revisionHistoryLimit, 'spec.revisionHistoryLimit');
  validateSelectorAndTemplate(errs, spec, { requireNonEmpty: true, podOpts: RS_STYLE });
  const us = asObj(spec.updateStrategy);
  if (us) {
    if (us.type !== undefined && us.type !== 'RollingUpdate' && us.type !== 'OnDelete')
      errs.push(notSupported('spec.updateStrategy.type', us.type, ['OnDelete', 'RollingUpdate']));
    const ru = asObj(us.rollingUpdate);
    if (us.type === 'RollingUpdate' && ru) {
      validateIntOrPercent(errs, ru.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable', true);
      validateIntOrPercent(errs, ru.maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge', true);
      if (isZeroIntOrPercent(ru.maxUnavailable) && isZeroIntOrPercent(ru.maxSurge))
        errs.push(invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  if (old) selectorImmutable(errs, spec, specOf(old));
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Jobs

const JOB_RESTART: PodSpecValidationOptions = {
  restartPolicies: ['OnFailure', 'Never'],
  restartPolicyRequiredDetail: 'valid values: "OnFailure", "Never"',
};

function validateJobSpec(errs: Cause[], spec: Obj, base: string, opts: { selectorRequired: boolean }): void {
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'ttlSecondsAfterFinished'])
    nonNegative(errs, spec[f], `${base}.${f}`);
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const a = spec.activeDeadlineSeconds;
    if (typeof a !== 'number' || a <= 0) errs.push(invalid(`${base}.activeDeadlineSeconds`, a, 'must be greater than 0'));
  }
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed')
    errs.push(notSupported(`${base}.completionMode`, mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed' && (spec.completions === undefined || spec.completions === null))
    errs.push(required(`${base}.completions`, 'when completion mode is Indexed'));
  if (mode !== 'Indexed' && spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null)
    errs.push(forbidden(`${base}.backoffLimitPerIndex`, 'requires indexed completion mode'));
  const prp = spec.podReplacementPolicy;
  if (prp !== undefined && prp !== 'TerminatingOrFailed' && prp !== 'Failed')
    errs.push(notSupported(`${base}.podReplacementPolicy`, prp, ['Failed', 'TerminatingOrFailed']));
  if (spec.podFailurePolicy !== undefined && prp === 'TerminatingOrFailed')
    errs.push(notSupported(`${base}.podReplacementPolicy`, prp, ['Failed']));
  const sel = spec.selector;
  const tpl = asObj(spec.template);
  if (sel === undefined || sel === null) {
    if (opts.selectorRequired) errs.push(required(`${base}.selector`));
  } else {
    errs.push(...validateLabelSelector(sel, `${base}.selector`));
    const labels = asObj(asObj(tpl?.metadata)?.labels) as Record<string, string> | undefined;
    if (tpl && !selectorIsEmpty(sel) && !selectorMatches(sel, labels))
      errs.push(invalidRaw(`${base}.template.metadata.labels`, goMapString(labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(tpl, `${base}.template`, JOB_RESTART));
}

/** Template fields that may change while a Job is suspended and has not started. */
const JOB_SUSPENDED_MUTABLE_SPEC = ['nodeSelector', 'tolerations', 'affinity', 'schedulingGates'];

export function validateJob(obj: KubeObject, old?: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const spec = specOf(obj);
  if (!spec) return [required('spec')];
  validateJobSpec(errs, spec, 'spec', { selectorRequired: true });
  const uid = str(obj.metadata?.uid);
  if (!old && spec.manualSelector !== true && uid !== '' && spec.selector) {
    const ml = asObj(asObj(spec.selector)?.matchLabels) ?? {};
    if (ml['batch.kubernetes.io/controller-uid'] !== uid && ml['controller-uid'] !== uid)
      errs.push(invalidRaw('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  }
  if (old) {
    const oldSpec = specOf(old) ?? {};
    selectorImmutable(errs, spec, oldSpec);
    if (!jsonEqual(spec.template, oldSpec.template)) {
      const oldStatus = asObj(old.status) ?? {};
      const mayMutate = oldSpec.suspend === true && (oldStatus.startTime === undefined || oldStatus.startTime === null);
      let ok = false;
      if (mayMutate) {
        const a = asObj(clone(spec.template)) ?? {};
        const b = asObj(clone(oldSpec.template)) ?? {};
        for (const t of [a, b]) {
          const m = asObj(t.metadata);
          if (m) {
            delete m.labels;
            delete m.annotations;
          }
          const s = asObj(t.spec);
          if (s) for (const f of JOB_SUSPENDED_MUTABLE_SPEC) delete s[f];
        }
        ok = jsonEqual(a, b);
      }
      if (!ok) errs.push(invalidRaw('spec.template', JSON.stringify(spec.template), 'field is immutable'));
    }
    for (const f of ['completionMode', 'completions', 'podFailurePolicy', 'backoffLimitPerIndex']) {
      if (!jsonEqual(spec[f], oldSpec[f]))
        errs.push(spec[f] === undefined ? invalidRaw(`spec.${f}`, 'null', 'field is immutable') : invalid(`spec.${f}`, spec[f], 'field is immutable'));
    }
  }
  return errs;
}

export function validateCronJob(obj: KubeObject): Cause[] {
  const errs: Cause[] = [];
  const name = str(obj.metadata?.name);
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  const spec = specOf(obj);
  if (!spec) return [...errs, required('spec')];
  const schedule = spec.schedule;
  if (typeof schedule !== 'string' || schedule === '') errs.push(required('spec.schedule'));
  else for (const msg of validateCronSchedule(schedule)) errs.push(invalid('spec.schedule', schedule, msg));
  const tz = spec.timeZone;
  if (tz !== undefined && tz !== null) {
    if (typeof tz !== 'string' || !isValidTimeZone(tz)) errs.push(invalid('spec.timeZone', tz, `unknown time zone ${String(tz)}`));
  }
  const cp = spec.concurrencyPolicy;
  if (cp === undefined || cp === '') errs.push(required('spec.concurrencyPolicy'));
  else if (cp !== 'Allow' && cp !== 'Forbid' && cp !== 'Replace') errs.push(notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) nonNegative(errs, spec[f], `spec.${f}`);
  const jt = asObj(spec.jobTemplate);
  if (!jt) errs.push(required('spec.jobTemplate'));
  else {
    const jtMeta = asObj(jt.metadata) ?? {};
    errs.push(...validateLabels(jtMeta.labels, 'spec.jobTemplate.metadata.labels'));
    const jspec = asObj(jt.spec);
    if (!jspec) errs.push(required('spec.jobTemplate.spec'));
    else validateJobSpec(errs, jspec, 'spec.jobTemplate.spec', { selectorRequired: false });
  }
  return errs;
}
