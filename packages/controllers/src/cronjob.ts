/**
 * CronJob controller: creates a Job (named `<cronjob>-<minutes since epoch>`, so a restart never
 * creates a second one for the same time) for the latest missed schedule time in the CronJob's time
 * zone, honouring startingDeadlineSeconds, concurrencyPolicy Allow/Forbid/Replace and suspend;
 * keeps status.active / lastScheduleTime / lastSuccessfulTime; trims finished Jobs to
 * successfulJobsHistoryLimit / failedJobsHistoryLimit. The clock is injectable (ControllerContext).
 */
import { isAlreadyExists, isNotFound, R } from '@flotilla/kube-runtime';
import { Controller, writeStatus, splitKey, type ControllerContext, type ReconcileResult } from './controller.js';
import { CronError, CronSchedule } from './cron.js';
import type { Informer } from '@flotilla/kube-runtime';
import { jobFinished } from './job.js';
import { byCreation, clone, deepEqual, isControlledBy, isTerminating, ownerRef, parseTime, rfc3339, type Obj } from './util.js';

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export interface CronJobOptions {
  /** longest wait between two looks at a CronJob (ms, default 60 s; lower it with a fake clock) */
  maxWaitMs?: number;
}

export function cronJobName(cj: Obj, scheduled: number): string {
  return `${cj.metadata!.name}-${Math.floor(scheduled / 60_000)}`;
}

/** Pure: the Job a CronJob creates for a schedule time. */
export function jobFromCronJob(cj: Obj, scheduled: number): Obj {
  const jt = clone(cj.spec?.jobTemplate ?? {});
  const meta: Record<string, unknown> = {
    name: cronJobName(cj, scheduled),
    namespace: cj.metadata!.namespace,
    labels: { ...(jt.metadata?.labels ?? {}) },
    annotations: { ...(jt.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP]: rfc3339(new Date(scheduled)) },
    ownerReferences: [ownerRef(cj, R.cronjobs)],
  };
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: meta, spec: jt.spec ?? {} };
}

function jobRef(j: Obj) {
  return { kind: 'Job', namespace: j.metadata!.namespace, name: j.metadata!.name, uid: j.metadata!.uid, apiVersion: 'batch/v1', resourceVersion: j.metadata!.resourceVersion };
}

export interface CronJobDecision {
  /** schedule time to run now */
  run?: number;
  /** why not (for events) */
  skip?: { reason: string; message: string; type: 'Normal' | 'Warning' };
  /** jobs to delete first (Replace) */
  replace: Obj[];
  /** when the next schedule time comes (ms from now) */
  nextIn?: number;
  tooMany?: boolean;
}

/** Pure: what a CronJob should do now given its active Jobs. */
export function decideCronJob(cj: Obj, active: Obj[], now: number): CronJobDecision {
  const spec = cj.spec ?? {};
  let sched: CronSchedule;
  try {
    sched = new CronSchedule(String(spec.schedule ?? ''), spec.timeZone || 'UTC');
  } catch (e) {
    return { replace: [], skip: { type: 'Warning', reason: 'UnparseableSchedule', message: `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${(e as CronError).message}` } };
  }
  const next = sched.next(now);
  const nextIn = next === undefined ? undefined : next - now;
  if (spec.suspend) return { replace: [], nextIn };
  let earliest = parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata?.creationTimestamp) ?? now;
  const sds = spec.startingDeadlineSeconds;
  if (sds !== undefined && sds !== null) earliest = Math.max(earliest, now - Number(sds) * 1000);
  const { latest, count } = sched.missed(earliest, now);
  const tooMany = count > 100;
  if (latest === undefined) return { replace: [], nextIn, tooMany };
  if (sds !== undefined && sds !== null && latest + Number(sds) * 1000 < now)
    return { replace: [], nextIn, tooMany, skip: { type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${rfc3339(new Date(latest))}` } };
  const policy = spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length)
    return { replace: [], nextIn, tooMany, skip: { type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' } };
  return { run: latest, replace: policy === 'Replace' ? active : [], nextIn, tooMany };
}

export class CronJobController extends Controller {
  readonly cjInf: Informer<Obj>;
  readonly jobInf: Informer<Obj>;
  private readonly maxWaitMs: number;

  constructor(ctx: ControllerContext, opts: CronJobOptions = {}) {
    super('cronjob-controller', ctx, 2);
    this.maxWaitMs = opts.maxWaitMs ?? 60_000;
    this.cjInf = ctx.informers.for<Obj>(R.cronjobs);
    this.jobInf = ctx.informers.for<Obj>(R.jobs);
    this.cjInf.on({ add: (o) => this.enqueue(o), update: (_a, b) => this.enqueue(b), delete: (o) => this.enqueue(o) });
    this.jobInf.on({
      add: (j) => this.enqueueOwner(j, 'CronJob'),
      update: (_a, b) => this.enqueueOwner(b, 'CronJob'),
      delete: (j) => this.enqueueOwner(j, 'CronJob'),
    });
  }

  protected primary(): Informer {
    return this.cjInf as Informer;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = splitKey(key);
    const cj = this.cjInf.get(ns, name);
    if (!cj) return;
    const client = this.ctx.client;
    const now = this.ctx.clock.now().getTime();
    const owned = this.jobInf.list(ns).filter((j) => isControlledBy(j, cj));
    let active = owned.filter((j) => !jobFinished(j) && !isTerminating(j));
    const status = clone(cj.status ?? {});

    // last successful run
    for (const j of owned) {
      if (jobFinished(j) !== 'Complete') continue;
      const t = parseTime(j.status?.completionTime);
      if (t && (parseTime(status.lastSuccessfulTime) ?? 0) < t) status.lastSuccessfulTime = rfc3339(new Date(t));
    }

    // history limits
    const finished = owned.filter((j) => jobFinished(j) && !isTerminating(j));
    const trim = async (list: Obj[], limit: number) => {
      const sorted = [...list].sort((a, b) => (parseTime(a.status?.startTime) ?? 0) - (parseTime(b.status?.startTime) ?? 0) || byCreation(a, b));
      for (const j of sorted.slice(0, Math.max(0, sorted.length - limit))) {
        try {
          await client.delete(R.jobs, ns, j.metadata!.name!, { propagationPolicy: 'Background', uid: j.metadata?.uid });
          this.events.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata!.name}`);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    };
    await trim(finished.filter((j) => jobFinished(j) === 'Complete'), Number(cj.spec?.successfulJobsHistoryLimit ?? 3));
    await trim(finished.filter((j) => jobFinished(j) === 'Failed'), Number(cj.spec?.failedJobsHistoryLimit ?? 1));

    let requeueAfter: number | undefined;
    if (!isTerminating(cj)) {
      const d = decideCronJob(cj, active, now);
      if (d.tooMany) this.events.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
      if (d.skip && d.skip.reason !== 'JobAlreadyActive') this.events.event(cj, d.skip.type, d.skip.reason, d.skip.message);
      for (const j of d.replace) {
        try {
          await client.delete(R.jobs, ns, j.metadata!.name!, { propagationPolicy: 'Background', uid: j.metadata?.uid });
          this.events.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata!.name}`);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        active = active.filter((x) => x !== j);
      }
      if (d.run !== undefined) {
        const jobName = cronJobName(cj, d.run);
        let job = owned.find((j) => j.metadata?.name === jobName);
        if (!job) {
          try {
            job = await client.create<Obj>(R.jobs, ns, jobFromCronJob(cj, d.run));
            this.events.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${jobName}`);
          } catch (e) {
            if (!isAlreadyExists(e)) {
              this.events.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
              throw e;
            }
            job = await client.get<Obj>(R.jobs, ns, jobName);
            if (!isControlledBy(job, cj)) {
              this.events.event(cj, 'Warning', 'FailedCreate', `Error creating job: a job ${jobName} not owned by this cronjob exists`);
              job = undefined;
            }
          }
        }
        if (job) {
          if (!jobFinished(job) && !active.some((a) => a.metadata?.uid === job!.metadata?.uid)) active = [...active, job];
          status.lastScheduleTime = rfc3339(new Date(d.run));
        }
      }
      if (d.nextIn !== undefined) requeueAfter = Math.min(d.nextIn + 100, this.maxWaitMs);
    }

    const refs = active.sort((a, b) => (parseTime(a.metadata?.annotations?.[SCHEDULED_TIMESTAMP]) ?? 0) - (parseTime(b.metadata?.annotations?.[SCHEDULED_TIMESTAMP]) ?? 0) || byCreation(a, b)).map(jobRef);
    if (refs.length) status.active = refs;
    else delete status.active;
    // resourceVersions in refs churn with every Job update: compare without them
    const strip = (s: any) => ({ ...s, active: (s.active ?? []).map((r: any) => ({ ...r, resourceVersion: undefined })) });
    if (!deepEqual(strip(status), strip(cj.status ?? {}))) await writeStatus(client, R.cronjobs, cj, status);
    return requeueAfter !== undefined ? { requeueAfter } : undefined;
  }
}
