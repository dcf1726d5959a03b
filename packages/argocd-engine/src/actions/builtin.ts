/**
 * The actions Argo CD ships, written from their documented behaviour (not from Lua sources):
 * apps Deployment restart/pause/resume/scale, StatefulSet restart/scale, DaemonSet restart,
 * argoproj.io Rollout restart/resume/pause/abort/retry/promote-full/skip-current-step, AnalysisRun terminate,
 * CronWorkflow/WorkflowTemplate create-workflow, batch CronJob create-job/suspend/resume,
 * batch Job suspend/resume.
 */
import type { KubeObject } from '../types.js';
import { arr, groupOf, obj, str, type Obj } from '../health/common.js';

export interface ActionParam {
  name: string;
  type?: string;
  default?: string;
}
export interface ResourceAction {
  name: string;
  disabled?: boolean;
  iconClass?: string;
  displayName?: string;
  params?: ActionParam[];
}
export type ImpactedOperation = 'create' | 'patch';
export interface ImpactedResource {
  obj: KubeObject;
  operation: ImpactedOperation;
}
export interface ActionContext {
  now: Date;
  params: Record<string, string>;
}
interface BuiltinAction {
  discover(o: KubeObject): Omit<ResourceAction, 'name'>;
  run(o: KubeObject, ctx: ActionContext): ImpactedResource[];
}

export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const clone = <T>(v: T): T => structuredClone(v);
const ensure = (o: Obj, key: string): Obj => {
  if (o[key] === null || typeof o[key] !== 'object' || Array.isArray(o[key])) o[key] = {};
  return o[key] as Obj;
};
const patch = (o: KubeObject): ImpactedResource[] => [{ obj: o, operation: 'patch' }];

function restartTemplate(o: KubeObject, ctx: ActionContext): ImpactedResource[] {
  const c = clone(o);
  const meta = ensure(ensure(ensure(c as Obj, 'spec'), 'template'), 'metadata');
  ensure(meta, 'annotations')['kubectl.kubernetes.io/restartedAt'] = rfc3339(ctx.now);
  return patch(c);
}

function scale(o: KubeObject, ctx: ActionContext): ImpactedResource[] {
  const raw = ctx.params.replicas;
  const n = Number(raw);
  if (raw === undefined || raw === '' || !Number.isInteger(n) || n < 0) {
    throw new Error(`scale needs the parameter replicas as a whole number >= 0 (got ${raw === undefined ? 'none' : JSON.stringify(raw)})`);
  }
  const c = clone(o);
  ensure(c as Obj, 'spec').replicas = n;
  return patch(c);
}

const always = { discover: () => ({}) };
/**
 * An action that sets one boolean spec field (`on`) or clears it (`off`: removed, or set false);
 * disabled while the field already says so. `alsoDisabled` adds a condition of the kind.
 */
function specFlag(field: string, on: boolean, clear: 'delete' | 'false' = 'false', alsoDisabled?: (o: KubeObject) => boolean): BuiltinAction {
  return {
    discover: (o) => ({
      disabled: (on ? obj(o.spec)[field] === true : obj(o.spec)[field] !== true) || !!alsoDisabled?.(o),
      iconClass: on ? 'fa fa-fw fa-pause-circle' : 'fa fa-fw fa-play-circle',
    }),
    run: (o) => {
      const c = clone(o);
      const spec = ensure(c as Obj, 'spec');
      if (on) spec[field] = true;
      else if (clear === 'delete') delete spec[field];
      else spec[field] = false;
      return patch(c);
    },
  };
}

const scaleAction: BuiltinAction = {
  discover: (o) => ({ params: [{ name: 'replicas', type: 'number', default: String(obj(o.spec).replicas ?? 1) }] }),
  run: scale,
};
const restart: BuiltinAction = { ...always, discover: () => ({ iconClass: 'fa fa-fw fa-redo' }), run: restartTemplate };

function ownerRef(o: KubeObject): Obj {
  return { apiVersion: str(o.apiVersion), kind: str(o.kind), name: str(o.metadata?.name), uid: str(o.metadata?.uid), controller: true, blockOwnerDeletion: true };
}
const stamp = (d: Date): string => d.toISOString().slice(0, 16).replace(/[-:T]/g, '');

function rolloutPaused(o: KubeObject): boolean {
  return obj(o.spec).paused === true || arr(obj(o.status).pauseConditions).length > 0;
}

export const BUILTIN_ACTIONS: ReadonlyMap<string, Readonly<Record<string, BuiltinAction>>> = new Map<string, Record<string, BuiltinAction>>([
  [
    'apps/Deployment',
    {
      restart,
      pause: specFlag('paused', true),
      resume: specFlag('paused', false, 'delete'),
      scale: scaleAction,
    },
  ],
  ['apps/StatefulSet', { restart, scale: scaleAction }],
  ['apps/DaemonSet', { restart }],
  [
    'argoproj.io/Rollout',
    {
      restart: {
        discover: () => ({ iconClass: 'fa fa-fw fa-redo' }),
        run: (o, ctx) => {
          const c = clone(o);
          ensure(c as Obj, 'spec').restartAt = rfc3339(ctx.now);
          return patch(c);
        },
      },
      resume: {
        discover: (o) => ({ disabled: !rolloutPaused(o), iconClass: 'fa fa-fw fa-play-circle' }),
        run: (o) => {
          const c = clone(o);
          const sp = ensure(c as Obj, 'spec');
          if (sp.paused === true) sp.paused = false;
          const st = obj((c as Obj).status);
          if ((c as Obj).status !== undefined) delete st.pauseConditions;
          return patch(c);
        },
      },
      pause: specFlag('paused', true),
      abort: {
        discover: (o) => ({ disabled: obj(o.status).abort === true || str(obj(o.status).phase) === 'Healthy', iconClass: 'fa fa-fw fa-times-circle' }),
        run: (o) => {
          const c = clone(o);
          ensure(c as Obj, 'status').abort = true;
          return patch(c);
        },
      },
      retry: {
        discover: (o) => ({ disabled: obj(o.status).abort !== true, iconClass: 'fa fa-fw fa-redo-alt' }),
        run: (o) => {
          const c = clone(o);
          ensure(c as Obj, 'status').abort = false;
          return patch(c);
        },
      },
      'skip-current-step': {
        discover: (o) => {
          const steps = arr(obj(obj(obj(o.spec).strategy).canary).steps).length;
          const idx = obj(o.status).currentStepIndex;
          return { disabled: !(typeof idx === 'number' && idx < steps) || obj(o.status).abort === true, iconClass: 'fa fa-fw fa-step-forward' };
        },
        run: (o) => {
          const c = clone(o);
          const st = ensure(c as Obj, 'status');
          delete st.pauseConditions;
          st.currentStepIndex = (st.currentStepIndex as number) + 1;
          return patch(c);
        },
      },
      'promote-full': {
        discover: (o) => ({ disabled: obj(o.status).abort === true || str(obj(o.status).phase) === 'Healthy', iconClass: 'fa fa-fw fa-angle-double-right' }),
        run: (o) => {
          const c = clone(o);
          ensure(c as Obj, 'status').promoteFull = true;
          return patch(c);
        },
      },
    },
  ],
  [
    'argoproj.io/AnalysisRun',
    {
      terminate: {
        discover: (o) => ({ disabled: obj(o.spec).terminate === true || ['Successful', 'Failed', 'Error', 'Inconclusive'].includes(str(obj(o.status).phase)) }),
        run: (o) => {
          const c = clone(o);
          ensure(c as Obj, 'spec').terminate = true;
          return patch(c);
        },
      },
    },
  ],
  [
    'argoproj.io/CronWorkflow',
    {
      'create-workflow': {
        discover: () => ({ iconClass: 'fa fa-fw fa-plus' }),
        run: (o, ctx) => {
          const name = str(o.metadata?.name);
          const wf: KubeObject = {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Workflow',
            metadata: {
              name: `${name}-${stamp(ctx.now)}`,
              namespace: o.metadata?.namespace,
              labels: { 'workflows.argoproj.io/cron-workflow': name },
              annotations: { 'workflows.argoproj.io/scheduled-time': rfc3339(ctx.now) },
              ownerReferences: [ownerRef(o) as never],
            },
            spec: clone(obj(obj(o.spec).workflowSpec)),
          };
          return [{ obj: wf, operation: 'create' }];
        },
      },
    },
  ],
  [
    'argoproj.io/WorkflowTemplate',
    {
      'create-workflow': {
        discover: () => ({ iconClass: 'fa fa-fw fa-plus' }),
        run: (o, ctx) => {
          const name = str(o.metadata?.name);
          const wf: KubeObject = {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Workflow',
            metadata: { name: `${name}-${stamp(ctx.now)}`, namespace: o.metadata?.namespace, labels: { 'workflows.argoproj.io/workflow-template': name } },
            spec: { workflowTemplateRef: { name } },
          };
          return [{ obj: wf, operation: 'create' }];
        },
      },
    },
  ],
  [
    'batch/CronJob',
    {
      'create-job': {
        discover: () => ({ iconClass: 'fa fa-fw fa-plus' }),
        run: (o, ctx) => {
          const tpl = obj(obj(o.spec).jobTemplate);
          const tmeta = obj(tpl.metadata);
          const job: KubeObject = {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: {
              name: `${str(o.metadata?.name)}-${stamp(ctx.now)}`,
              namespace: o.metadata?.namespace,
              labels: { ...(obj(tmeta.labels) as Record<string, string>) },
              annotations: { ...(obj(tmeta.annotations) as Record<string, string>), 'cronjob.kubernetes.io/instantiate': 'manual' },
              ownerReferences: [ownerRef(o) as never],
            },
            spec: clone(obj(tpl.spec)),
          };
          return [{ obj: job, operation: 'create' }];
        },
      },
      suspend: specFlag('suspend', true),
      resume: specFlag('suspend', false),
    },
  ],
  [
    'batch/Job',
    {
      suspend: specFlag('suspend', true, 'false', (o) => !!obj(o.status).completionTime),
      resume: specFlag('suspend', false),
    },
  ],
]);

export function builtinActionsFor(o: KubeObject): Readonly<Record<string, BuiltinAction>> | undefined {
  return BUILTIN_ACTIONS.get(`${groupOf(o)}/${str(o.kind)}`);
}
