import type { KubeObject } from '../types.js';
import { arr, conditions, health, spec, status, str, type HealthStatus } from './common.js';

/** batch/Job: Complete → Healthy, Failed → Degraded, Suspended → Suspended, else Progressing. */
export function jobHealth(o: KubeObject): HealthStatus {
  let failed = false;
  let complete = false;
  let suspended = false;
  let failMessage = '';
  let message = '';
  for (const c of conditions(o)) {
    if (str(c.status) !== 'True') continue;
    switch (str(c.type)) {
      case 'Failed':
        failed = true;
        complete = true;
        failMessage = str(c.message);
        break;
      case 'Complete':
        complete = true;
        message = str(c.message);
        break;
      case 'Suspended':
        complete = true;
        suspended = true;
        message = str(c.message);
        break;
    }
  }
  if (!complete && spec(o).suspend === true) return health('Suspended', 'Job is suspended');
  if (!complete) return health('Progressing', message);
  if (failed) return health('Degraded', failMessage);
  if (suspended) return health('Suspended', message);
  return health('Healthy', message);
}

/**
 * batch/CronJob: a running job (status.active) → Progressing; the last scheduled job not
 * succeeded (lastScheduleTime after lastSuccessfulTime) → Degraded; otherwise Healthy.
 */
export function cronJobHealth(o: KubeObject): HealthStatus {
  const st = status(o);
  const active = arr(st.active);
  if (active.length > 0) return health('Progressing', `${active.length} job(s) running`);
  const scheduled = Date.parse(str(st.lastScheduleTime));
  const succeeded = Date.parse(str(st.lastSuccessfulTime));
  if (Number.isFinite(scheduled) && (!Number.isFinite(succeeded) || succeeded < scheduled)) {
    return health('Degraded', `the last job, scheduled at ${str(st.lastScheduleTime)}, did not succeed`);
  }
  if (spec(o).suspend === true) return health('Suspended', 'CronJob is suspended');
  return health('Healthy');
}
