// What the controller does about a finished workflow (I/O at the edge): volumeClaimGC, ttlStrategy, retentionPolicy.
import { isNotFound, R, type KubeClient, type KubeObject, type LogLevel, type ReconcileResult } from '@flotilla/kube-runtime';
import { retentionVictims, type WorkflowControllerConfig } from './config.js';
import { WORKFLOWS } from './resources.js';

type Obj = KubeObject & Record<string, any>;
type Log = (msg: string, level?: LogLevel) => void;

/**
 * volumeClaimGC: a finished workflow's claims (status.persistentVolumes) are deleted — always with
 * `OnWorkflowCompletion`, only when it Succeeded with `OnWorkflowSuccess` (the default: a failed workflow keeps
 * them for `argo retry`). Those deleted leave status.persistentVolumes; the owner reference deletes the rest with
 * the workflow.
 */
export async function collectClaims(client: KubeClient, wf: Obj, log: Log): Promise<void> {
  const vols = (wf.status?.persistentVolumes ?? []) as Obj[];
  if (!vols.length) return;
  const strategy = wf.spec?.volumeClaimGC?.strategy ?? 'OnWorkflowSuccess';
  if (strategy === 'OnWorkflowSuccess' && wf.status?.phase !== 'Succeeded') return;
  const ns = wf.metadata!.namespace!;
  const who = `${ns}/${wf.metadata!.name}`;
  if (strategy !== 'OnWorkflowSuccess' && strategy !== 'OnWorkflowCompletion') {
    log(`${who}: unknown volumeClaimGC strategy '${strategy}': claims kept`, 'warn');
    return;
  }
  const kept: Obj[] = [];
  for (const v of vols) {
    const claim = v.persistentVolumeClaim?.claimName;
    if (!claim) continue;
    try {
      await client.delete(R.pvcs, ns, claim);
      log(`${who}: deleted PVC ${claim} (volumeClaimGC ${strategy})`);
    } catch (e) {
      if (!isNotFound(e)) {
        log(`${who}: could not delete PVC ${claim}: ${(e as Error).message}`, 'warn');
        kept.push(v);
      }
    }
  }
  try {
    await client.patch(WORKFLOWS, ns, wf.metadata!.name!, { status: { persistentVolumes: kept.length ? kept : null } });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** ttlStrategy: the workflow is deleted its seconds after it finished (asks to be called again until then). */
export async function expireByTTL(client: KubeClient, wf: Obj, now: Date, log: Log): Promise<ReconcileResult> {
  const ttl = wf.spec?.ttlStrategy as { secondsAfterCompletion?: number; secondsAfterSuccess?: number; secondsAfterFailure?: number } | undefined;
  const finished = Date.parse(wf.status?.finishedAt ?? '');
  if (!ttl || Number.isNaN(finished)) return;
  const ok = wf.status?.phase === 'Succeeded';
  const secs = (ok ? ttl.secondsAfterSuccess : ttl.secondsAfterFailure) ?? ttl.secondsAfterCompletion;
  if (secs === undefined) return;
  const left = finished + secs * 1000 - now.getTime();
  if (left > 0) return { requeueAfter: left + 50 };
  try {
    await client.delete(WORKFLOWS, wf.metadata!.namespace, wf.metadata!.name!, { propagationPolicy: 'Background' });
    log(`${wf.metadata!.namespace}/${wf.metadata!.name}: deleted (ttlStrategy)`);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return;
}

/** `retentionPolicy`: deletes the namespace's oldest finished workflows beyond the limits (`all`: the namespace's). */
export async function applyRetention(client: KubeClient, policy: WorkflowControllerConfig['retentionPolicy'], ns: string, all: Obj[], log: Log): Promise<void> {
  if (!policy) return;
  for (const name of retentionVictims(all as any[], policy)) {
    try {
      await client.delete(WORKFLOWS, ns, name, { propagationPolicy: 'Background' });
      log(`${ns}/${name}: deleted (retentionPolicy)`);
    } catch (e) {
      if (!isNotFound(e)) log(`${ns}/${name}: cannot delete for the retentionPolicy: ${(e as Error).message}`, 'warn');
    }
  }
}
