/**
 * The restart policy and back-off of a pod's containers (pure): whether an exited container runs
 * again, and after how long.
 */
import type { Kind } from './pod-types.js';

/**
 * Whether a container that exited with `exitCode` is started again: sidecars always, init
 * containers after a failure unless the policy is Never, the others per the pod's policy.
 * Nothing restarts once the pod is stopping (terminating, terminal, or gone).
 */
export function wantsRestart(kind: Kind, restartPolicy: string, exitCode: number, stopping: boolean): boolean {
  if (stopping) return false;
  if (kind === 'sidecar') return true;
  if (kind === 'init') return exitCode !== 0 && restartPolicy !== 'Never';
  return restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && exitCode !== 0);
}

/** The crash-loop back-off before restart number `level` (0: at once), doubling up to `maxMs`. */
export function backoffDelay(level: number, baseMs: number, maxMs: number): number {
  if (level <= 0) return 0;
  return Math.min(baseMs * 2 ** (level - 1), maxMs);
}

/** The wait before retrying a container that could not be created (at least a second, doubling). */
export function errorBackoffDelay(errLevel: number, baseMs: number, maxMs: number): number {
  return Math.min(Math.max(baseMs, 1000) * 2 ** errLevel, maxMs);
}
