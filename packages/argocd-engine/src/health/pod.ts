import type { KubeObject } from '../types.js';
import { arr, health, num, obj, spec, status, str, type HealthStatus, type Obj } from './common.js';

function isReady(st: Obj): boolean {
  return arr(st.conditions).some((c) => obj(c).type === 'Ready' && obj(c).status === 'True');
}

function failMessage(c: Obj): string {
  const t = obj(obj(c.state).terminated);
  if (!obj(c.state).terminated) return '';
  if (str(t.message)) return str(t.message);
  if (str(t.reason) === 'OOMKilled') return 'OOMKilled';
  if (num(t.exitCode) !== 0) return `container "${str(c.name)}" failed with exit code ${num(t.exitCode)}`;
  return '';
}

/**
 * v1/Pod. With restartPolicy Always (the default) a container waiting with an error reason
 * (Err*, *Error, *BackOff such as CrashLoopBackOff / ImagePullBackOff) makes the pod Degraded.
 * Phases: Pending → Progressing, Succeeded → Healthy, Failed → Degraded, Running → Healthy when
 * Ready (Always), Degraded when not ready after a container terminated, else Progressing;
 * Running pods with OnFailure/Never (hooks, jobs) stay Progressing until they finish.
 */
export function podHealth(o: KubeObject): HealthStatus {
  const st = status(o);
  const restartPolicy = str(spec(o).restartPolicy) || 'Always';
  const containers = arr(st.containerStatuses).map(obj);
  const message = str(st.message);
  if (restartPolicy === 'Always') {
    const messages: string[] = [];
    let degraded = false;
    for (const c of containers) {
      const waiting = obj(c.state).waiting ? obj(obj(c.state).waiting) : undefined;
      const reason = str(waiting?.reason);
      if (waiting && (reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff'))) {
        degraded = true;
        messages.push(str(waiting.message));
      }
    }
    if (degraded) return health('Degraded', messages.join(', '));
  }
  switch (str(st.phase)) {
    case 'Pending':
      return health('Progressing', message);
    case 'Succeeded':
      return health('Healthy', message);
    case 'Failed': {
      if (message) return health('Degraded', message);
      for (const c of [...arr(st.initContainerStatuses).map(obj), ...containers]) {
        const m = failMessage(c);
        if (m) return health('Degraded', m);
      }
      return health('Degraded');
    }
    case 'Running':
      if (restartPolicy === 'Always') {
        if (isReady(st)) return health('Healthy', message);
        if (containers.some((c) => obj(c.lastState).terminated)) return health('Degraded', message);
        return health('Progressing', message);
      }
      return health('Progressing', message);
  }
  return health('Unknown', message);
}
