/**
 * Writes to an Application. Argo CD's CRD has no status subresource, so the controller patches the
 * object itself; status fields are *replaced* (a JSON patch per field), never merged into what
 * was there (a merge patch would keep stale keys such as an old health message or an old
 * operation's initiator).
 */
import { ANNOTATIONS, type Application } from '@flotilla/argocd-engine';
import type { Shared } from './controller.js';
import { APPLICATIONS } from './resources.js';

export interface AppWrite {
  /** status fields to set (undefined: remove the field when present) */
  status?: Record<string, unknown>;
  /** remove `operation` (when present) */
  removeOperation?: boolean;
  /** set `operation` */
  operation?: unknown;
  /** remove the refresh annotation (when present) */
  removeRefresh?: boolean;
  finalizers?: string[];
  /** optimistic concurrency: fail with 409 when the object changed since this resourceVersion */
  resourceVersion?: string;
  /** fail unless status.operationState.phase is still this (a terminate request must not be overwritten) */
  expectPhase?: string;
}

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export async function writeApp(sh: Shared, app: Application, w: AppWrite): Promise<Application> {
  const ops: Record<string, unknown>[] = [];
  if (w.resourceVersion) ops.push({ op: 'test', path: '/metadata/resourceVersion', value: w.resourceVersion });
  if (w.expectPhase) ops.push({ op: 'test', path: '/status/operationState/phase', value: w.expectPhase });
  if (w.status) {
    if (!app.status) {
      const st: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(w.status)) if (v !== undefined) st[k] = v;
      ops.push({ op: 'add', path: '/status', value: st });
    } else {
      for (const [k, v] of Object.entries(w.status)) {
        if (v !== undefined) ops.push({ op: 'add', path: `/status/${esc(k)}`, value: v });
        else if ((app.status as Record<string, unknown>)[k] !== undefined) ops.push({ op: 'remove', path: `/status/${esc(k)}` });
      }
    }
  }
  if (w.removeOperation && app.operation !== undefined) ops.push({ op: 'remove', path: '/operation' });
  if (w.operation !== undefined) ops.push({ op: 'add', path: '/operation', value: w.operation });
  if (w.removeRefresh && app.metadata?.annotations?.[ANNOTATIONS.refresh] !== undefined) ops.push({ op: 'remove', path: `/metadata/annotations/${esc(ANNOTATIONS.refresh)}` });
  if (w.finalizers) ops.push({ op: 'add', path: '/metadata/finalizers', value: w.finalizers });
  if (!ops.some((o) => o.op !== 'test')) return app;
  return sh.client.patch<Application>(APPLICATIONS, app.metadata!.namespace, app.metadata!.name!, ops, 'json');
}
