// CronWorkflows: schedules (with time zone, croner), concurrencyPolicy Allow/Forbid/Replace, startingDeadlineSeconds,
// suspend, `when`, stopStrategy, successful/failed history limits. The plan is pure (cronPlan); the reconciler
// creates the Workflow `<cron>-<unix time of the schedule>` (AlreadyExists = already done: idempotent) and writes
// status.active / lastScheduledTime / succeeded / failed / phase.
import { Cron } from 'croner';
import { evaluateArgo, renderExpressionTags } from '@flotilla/expr';
import { Controller, isAlreadyExists, isConflict, isNotFound, splitKey, type EventRecorder, type Informer, type InformerFactory, type KubeClient, type KubeObject, type ReconcileResult, type RuntimeContext, type LogLevel } from '@flotilla/kube-runtime';
import { CRON_WORKFLOWS, WORKFLOWS } from './resources.js';
import { API_VERSION } from './types.js';
import { specShapeError } from './operator/shape.js';
import type { WorkflowMetrics } from './metrics.js';

type Obj = KubeObject & Record<string, any>;
export const LABEL_CRON = 'workflows.argoproj.io/cron-workflow';
export const ANN_SCHEDULED = 'workflows.argoproj.io/scheduled-time';
const TERMINAL = new Set(['Succeeded', 'Failed', 'Error']);
/** how late a schedule may still start when startingDeadlineSeconds is not set (or 0) */
const DEFAULT_LATENESS_S = 60;

export interface CronPlan {
  /** the scheduled time to start a workflow for */
  run?: Date;
  /** the latest scheduled time decided on (run or skipped): the next plan looks after it */
  considered?: Date;
  /** why a due run was not started */
  skipped?: string;
  /** the concurrencyPolicy that acted on this due time: Forbid skipped it, Replace deletes the running ones */
  policy?: 'Forbid' | 'Replace';
  /** workflows to delete (Replace, history limits) */
  delete: string[];
  status: Record<string, unknown>;
  requeueAfterMs?: number;
}

export function schedulesOf(cw: Obj): string[] {
  const s = cw.spec ?? {};
  return [...(s.schedules ?? []), ...(s.schedule ? [s.schedule] : [])].filter((x: unknown) => typeof x === 'string' && x.trim());
}

/** The latest scheduled time in (after, now] over all schedules, and the next one after now. */
export function dueTimes(schedules: string[], timezone: string | undefined, after: Date, now: Date): { due?: Date; next?: Date } {
  let due: Date | undefined;
  let next: Date | undefined;
  for (const s of schedules) {
    const c = new Cron(s, { timezone: timezone || undefined, paused: true });
    let t = c.nextRun(after);
    for (let i = 0; t && t.getTime() <= now.getTime() && i < 10_000; i++) {
      if (!due || t > due) due = t;
      t = c.nextRun(t);
    }
    if (t && (!next || t < next)) next = t;
  }
  return { due, next };
}

/**
 * One pass of a CronWorkflow. `consideredMs`: the latest scheduled time an earlier pass decided on (a skipped one
 * too): not looked at again. status.lastScheduledTime is the latest schedule a workflow was started for, as upstream's.
 */
export function cronPlan(cw: Obj, children: Obj[], now: Date, consideredMs = 0): CronPlan {
  const spec = cw.spec ?? {};
  const st = cw.status ?? {};
  const active = children.filter((w) => !TERMINAL.has(w.status?.phase));
  const finished = children.filter((w) => TERMINAL.has(w.status?.phase));
  const plan: CronPlan = { delete: [], status: { ...st } };
  const counted = new Set<string>(st.counted ?? []);
  let succeeded = Number(st.succeeded ?? 0);
  let failed = Number(st.failed ?? 0);
  for (const w of finished) {
    const uid = String(w.metadata?.uid ?? w.metadata?.name);
    if (counted.has(uid)) continue;
    counted.add(uid);
    if (w.status.phase === 'Succeeded') succeeded++;
    else failed++;
  }
  // history limits: the newest N of each kind stay
  const byAge = (a: Obj, b: Obj) => String(b.status?.finishedAt ?? b.metadata?.creationTimestamp).localeCompare(String(a.status?.finishedAt ?? a.metadata?.creationTimestamp));
  const okLimit = spec.successfulJobsHistoryLimit ?? 3;
  const failLimit = spec.failedJobsHistoryLimit ?? 1;
  plan.delete.push(...finished.filter((w) => w.status.phase === 'Succeeded').sort(byAge).slice(okLimit).map((w) => w.metadata!.name!));
  plan.delete.push(...finished.filter((w) => w.status.phase !== 'Succeeded').sort(byAge).slice(failLimit).map((w) => w.metadata!.name!));

  const stopped = st.phase === 'Stopped';
  const schedules = schedulesOf(cw);
  // the latest run known: the status, or a child the status does not show yet (the cache may be a moment behind)
  const childTimes = children.map((w) => Date.parse(w.metadata?.annotations?.[ANN_SCHEDULED] ?? '')).filter((t) => Number.isFinite(t));
  const lastMs = Math.max(st.lastScheduledTime ? Date.parse(st.lastScheduledTime) : Date.parse(cw.metadata?.creationTimestamp ?? now.toISOString()), ...childTimes, consideredMs);
  const last = new Date(lastMs);
  let { due, next } = schedules.length ? dueTimes(schedules, spec.timezone, last, now) : { due: undefined, next: undefined };
  if (due && !spec.suspend && !stopped) {
    const lateness = (now.getTime() - due.getTime()) / 1000;
    const deadline = Number(spec.startingDeadlineSeconds ?? 0) > 0 ? Number(spec.startingDeadlineSeconds) : DEFAULT_LATENESS_S;
    const when = spec.when ? evalWhen(String(spec.when), cw, now) : true;
    if (lateness > deadline) plan.skipped = `missed the schedule ${due.toISOString()} by ${Math.round(lateness)}s (startingDeadlineSeconds ${deadline})`;
    else if (when !== true) plan.skipped = typeof when === 'string' ? when : `when condition '${spec.when}' evaluated false`;
    else if (spec.concurrencyPolicy === 'Forbid' && active.length) {
      plan.skipped = `concurrencyPolicy Forbid: ${active.map((w) => w.metadata!.name).join(', ')} still running`;
      plan.policy = 'Forbid';
    } else {
      plan.run = due;
      plan.status.lastScheduledTime = due.toISOString().replace(/\.\d{3}Z$/, 'Z');
      if (spec.concurrencyPolicy === 'Replace' && active.length) {
        plan.delete.push(...active.map((w) => w.metadata!.name!));
        plan.policy = 'Replace';
      }
    }
  }
  // a schedule passed while suspended, stopped or skipped is not run later (upstream's scheduler just moves on)
  if (due) plan.considered = due;
  plan.status.active = active.filter((w) => !plan.delete.includes(w.metadata!.name!)).map((w) => ({ apiVersion: API_VERSION, kind: 'Workflow', name: w.metadata!.name, namespace: w.metadata!.namespace, uid: w.metadata!.uid }));
  plan.status.succeeded = succeeded;
  plan.status.failed = failed;
  plan.status.counted = [...counted].slice(-200);
  // stopStrategy: stop scheduling once enough runs succeeded/failed (expression over cronworkflow.*)
  const stopExpr = spec.stopStrategy?.expression ?? spec.stopStrategy?.condition;
  let phase = stopped ? 'Stopped' : 'Active';
  if (!stopped && stopExpr) {
    try {
      if (evaluateArgo(String(stopExpr), { cronworkflow: { name: cw.metadata?.name, namespace: cw.metadata?.namespace, succeeded, failed, labels: cw.metadata?.labels ?? {}, annotations: cw.metadata?.annotations ?? {} } } as Record<string, unknown>) === true) phase = 'Stopped';
    } catch {
      /* a bad expression keeps scheduling; validation reports it */
    }
  }
  plan.status.phase = phase;
  plan.status.conditions = plan.skipped ? [{ type: 'SubmissionError', status: 'False', message: plan.skipped }] : (st.conditions ?? []).filter((c: { type: string }) => c.type !== 'SubmissionError');
  if (next && !spec.suspend && phase !== 'Stopped') plan.requeueAfterMs = Math.max(50, next.getTime() - now.getTime() + 20);
  return plan;
}

function evalWhen(when: string, cw: Obj, now: Date): boolean | string {
  const last = cw.status?.lastScheduledTime ? new Date(cw.status.lastScheduledTime) : null;
  const env = { cronworkflow: { name: cw.metadata?.name, namespace: cw.metadata?.namespace, lastScheduledTime: last, labels: cw.metadata?.labels ?? {}, annotations: cw.metadata?.annotations ?? {}, failed: cw.status?.failed ?? 0, succeeded: cw.status?.succeeded ?? 0 }, now: () => now };
  try {
    const out = renderExpressionTags(when, env).trim();
    return out === 'true';
  } catch (e) {
    try {
      return evaluateArgo(when.replace(/^\{\{=?|\}\}$/g, ''), env) === true;
    } catch {
      return `when condition '${when}' could not be evaluated: ${(e as Error).message}`;
    }
  }
}

/** The Workflow a CronWorkflow starts at `at`. */
export function workflowFor(cw: Obj, at: Date): Obj {
  const md = cw.spec?.workflowMetadata ?? {};
  const name = `${cw.metadata!.name}-${Math.floor(at.getTime() / 1000)}`;
  return {
    apiVersion: API_VERSION,
    kind: 'Workflow',
    metadata: {
      name,
      namespace: cw.metadata!.namespace,
      labels: { ...(md.labels ?? {}), [LABEL_CRON]: cw.metadata!.name! },
      annotations: { ...(md.annotations ?? {}), [ANN_SCHEDULED]: at.toISOString().replace(/\.\d{3}Z$/, 'Z') },
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'CronWorkflow', name: cw.metadata!.name!, uid: cw.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(cw.spec?.workflowSpec ?? {}),
  };
}

/** The annotation upstream's controller records the schedules it used in (`CRON_TZ=<zone> ` before each when a zone is set). */
export const ANN_LAST_USED_SCHEDULE = 'cronworkflows.argoproj.io/last-used-schedule';
/** The label a CronWorkflow gets once its stopStrategy stopped it. */
export const LABEL_CRON_COMPLETED = 'workflows.argoproj.io/cron-completed';

export function scheduleString(cw: Obj): string {
  const tz = cw.spec?.timezone;
  return schedulesOf(cw).map((s) => (tz ? `CRON_TZ=${tz} ${s}` : s)).join(',');
}

/** A CronWorkflow not of Argo's shape (a map where a list belongs), said as Go's decoder says it; else undefined. */
export function cronShapeError(cw: Obj): string | undefined {
  const spec = cw.spec;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return 'spec: cannot restore struct from ' + (Array.isArray(spec) ? 'slice' : typeof spec);
  if (spec.schedules !== undefined && !Array.isArray(spec.schedules)) return 'spec.schedules: cannot restore slice from map';
  const e = specShapeError(spec.workflowSpec, 'spec.workflowSpec');
  return e?.replace(/expected a list, got a map$/, 'cannot restore slice from map');
}

export interface CronControllerOptions {
  client: KubeClient;
  events: EventRecorder;
  log: (m: string, level?: LogLevel) => void;
  informers: InformerFactory;
  managedNamespace: string;
  workers?: number;
  /** cronworkflows_triggered_total, cronworkflows_concurrencypolicy_triggered */
  metrics?: Pick<WorkflowMetrics, 'cron'>;
}

export class CronController extends Controller {
  private readonly crons: Informer<Obj>;
  private readonly wfs: Informer<Obj>;
  /** per CronWorkflow: the latest scheduled time decided on (run or skipped), as upstream's in-memory scheduler knows */
  private readonly considered = new Map<string, number>();
  /** per CronWorkflow: the resourceVersion last said to be malformed */
  private readonly malformed = new Map<string, string | undefined>();

  constructor(private readonly o: CronControllerOptions) {
    const ctx: RuntimeContext = { client: o.client, informers: o.informers, log: o.log, events: o.events };
    super('cron-workflow-controller', ctx, { workers: o.workers ?? 8, resyncMs: 60_000 });
    this.crons = o.informers.for<Obj>(CRON_WORKFLOWS, { namespace: o.managedNamespace });
    this.wfs = o.informers.for<Obj>(WORKFLOWS, { namespace: o.managedNamespace });
    this.wfs.addIndexer('cron', (w) => (w.metadata?.labels?.[LABEL_CRON] ? [`${w.metadata.namespace}/${w.metadata.labels[LABEL_CRON]}`] : []));
    this.watch(this.crons, [{ update: (a, b) => a.metadata?.generation !== b.metadata?.generation }]);
    // a child finishing changes the cron's status
    this.watch(this.wfs, [{ create: () => false, update: (a, b) => a.status?.phase !== b.status?.phase }], (w) => (w.metadata?.labels?.[LABEL_CRON] ? `${w.metadata.namespace}/${w.metadata.labels[LABEL_CRON]}` : undefined));
  }

  protected primary(): Informer {
    return this.crons;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    const cw = this.crons.get(ns, name);
    if (!cw || cw.metadata?.deletionTimestamp) {
      this.considered.delete(key);
      this.malformed.delete(key);
      return;
    }
    const now = new Date();
    // not of Argo's shape: said once per change (upstream's Warning "Malformed"), nothing scheduled
    const malformed = cronShapeError(cw);
    if (malformed) {
      if (this.malformed.get(key) !== cw.metadata?.resourceVersion) {
        this.malformed.set(key, cw.metadata?.resourceVersion);
        // the Event says what Go's decoder says, as upstream's does; the log says where
        this.events.event(cw, 'Warning', 'Malformed', malformed.slice(malformed.indexOf(': ') + 2));
        this.log(`${key}: malformed cron workflow, not scheduled: ${malformed}`, 'warn');
      }
      return;
    }
    this.malformed.delete(key);
    let plan: CronPlan;
    try {
      plan = cronPlan(cw, this.wfs.byIndex('cron', key), now, this.considered.get(key));
    } catch (e) {
      this.events.event(cw, 'Warning', 'CronWorkflowSpecError', (e as Error).message);
      return;
    }
    // (a due time is decided once: its policy is counted then, not at every look while it is the latest)
    const decidedNow = !!plan.considered && plan.considered.getTime() !== this.considered.get(key);
    if (plan.considered) this.considered.set(key, plan.considered.getTime());
    if (plan.policy && decidedNow) this.o.metrics?.cron(ns, cw.metadata!.name!, plan.policy);
    for (const n of plan.delete) {
      try {
        await this.o.client.delete(WORKFLOWS, ns, n, { propagationPolicy: 'Background' });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    const status = { ...plan.status };
    if (plan.run) {
      const wf = workflowFor(cw, plan.run);
      try {
        const made = await this.o.client.create<Obj>(WORKFLOWS, ns, wf);
        this.o.metrics?.cron(ns, cw.metadata!.name!);
        (status.active as unknown[]).push({ apiVersion: API_VERSION, kind: 'Workflow', name: made.metadata!.name, namespace: ns, uid: made.metadata!.uid });
        this.events.event(cw, 'Normal', 'WorkflowSubmitted', `Submitted Workflow ${made.metadata!.name}`);
      } catch (e) {
        if (!isAlreadyExists(e)) {
          this.events.event(cw, 'Warning', 'WorkflowSubmissionFailed', (e as Error).message);
          throw e;
        }
      }
    } else if (plan.skipped && plan.skipped !== cw.status?.conditions?.find((c: { type: string }) => c.type === 'SubmissionError')?.message) {
      this.log(`${key}: ${plan.skipped}`);
    }
    // the schedules used (annotation) and, once stopped, the completed label, as upstream's
    const used = scheduleString(cw);
    const annotations = { ...(cw.metadata?.annotations ?? {}) };
    const labels = { ...(cw.metadata?.labels ?? {}) };
    let meta = false;
    if (used && annotations[ANN_LAST_USED_SCHEDULE] !== used) (annotations[ANN_LAST_USED_SCHEDULE] = used), (meta = true);
    if (status.phase === 'Stopped' && labels[LABEL_CRON_COMPLETED] !== 'true') (labels[LABEL_CRON_COMPLETED] = 'true'), (meta = true);
    if (meta || JSON.stringify(status) !== JSON.stringify(cw.status ?? {})) {
      try {
        await this.o.client.update(CRON_WORKFLOWS, { ...cw, metadata: { ...cw.metadata, annotations, labels }, status });
      } catch (e) {
        if (isConflict(e)) return { requeueAfter: 100 };
        if (!isNotFound(e)) throw e;
      }
    }
    return plan.requeueAfterMs !== undefined ? { requeueAfter: plan.requeueAfterMs } : undefined;
  }
}
