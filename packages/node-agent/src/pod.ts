/**
 * One pod on this node: volumes, init containers in order (restartable ones as sidecars), the
 * containers, restarts with back-off, probes, status, termination — and the state file that lets
 * a restarted agent re-adopt the pod's processes.
 */
import { PodContainers } from './pod-containers.js';
import { alive } from './pod-types.js';

export { isoNow, type AgentContext, type PersistedCtr, type PodState } from './pod-types.js';
export { listPodDirs, readState, removePodFiles } from './pod-files.js';

/**
 * The worker of one pod. Its layers, bottom up: pod-core.ts (fields, scheduling, status, state
 * file), pod-prepare.ts, pod-termination.ts, pod-containers.ts; this one is the sync pass —
 * deadline, init containers in order, then the containers, and the pod's terminal outcome.
 */
export class PodWorker extends PodContainers {
  protected async syncOnce(): Promise<void> {
    if (this.removed) return;
    if (this.gone || this.pod.metadata?.deletionTimestamp) {
      await this.terminate();
      return;
    }
    if (!this.prepared) {
      if (Date.now() < this.prepareRetryAt) {
        this.wake(this.prepareRetryAt);
        this.publish();
        return;
      }
      await this.prepare();
      if (!this.prepared) {
        this.publish();
        return;
      }
    } else if (!this.terminal && Date.now() - this.lastVolumeRefresh > 60_000) {
      // (a finished pod's volumes are left as they are, as a kubelet leaves them: refreshing them every minute, and
      // at once on every label change such as Argo's `completed` label, cost a TokenRequest and file writes per
      // finished pod, a cost that grew with every pod that finished)
      this.lastVolumeRefresh = Date.now();
      await this.renderVolumes(true).catch(() => {});
    }
    if (this.terminal) {
      await this.stopAll(this.graceSeconds(), 'pod is terminal');
      this.releaseNetwork();
      this.publish();
      return;
    }
    const ads = this.pod.spec?.activeDeadlineSeconds;
    if (typeof ads === 'number' && Date.parse(this.startTime) + ads * 1000 <= Date.now()) {
      this.setTerminal('Failed', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
      this.event('Warning', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
      this.publish();
      await this.stopAll(this.graceSeconds(), 'deadline exceeded');
      this.releaseNetwork();
      this.publish();
      return;
    }
    // a container whose image changed is restarted with the new one
    for (const c of this.ctrs) {
      if (alive(c) && c.run!.image !== c.spec.image && !c.run!.killReason) {
        this.event('Normal', 'Killing', `Container ${c.name} definition changed, will be restarted`, c);
        c.backoffLevel = 0;
        void this.kill(c, this.graceSeconds(), 'definition changed').then(() => this.schedule());
      }
    }

    // init containers, in order
    let initDone = true;
    for (const c of this.ctrs) {
      if (c.kind === 'regular') continue;
      if (c.kind === 'sidecar') {
        if (!alive(c) && !c.starting) await this.maybeStart(c);
        // once the pod is initialized, a sidecar that restarts does not hold the containers back
        if (!(alive(c) && c.started) && !this.initDone) {
          initDone = false;
          break;
        }
        continue;
      }
      if (c.succeeded || this.initDone) continue;
      initDone = false;
      if (alive(c) || c.starting) break;
      const failed = c.runs > 0 && (c.lastTerminated?.exitCode ?? 1) !== 0;
      if (failed && this.restartPolicy() === 'Never') {
        this.setTerminal('Failed');
        await this.stopAll(this.graceSeconds(), 'init container failed');
        break;
      }
      await this.maybeStart(c);
      break;
    }
    // initialization happens once: afterwards only the containers (and sidecars) are restarted
    if (initDone && !this.initDone) {
      this.initDone = true;
      this.saveState();
    }
    if (this.initDone && !this.terminal) {
      const regular = this.ctrs.filter((c) => c.kind === 'regular');
      for (const c of regular) if (c.runs === 0 && c.state.waiting?.reason === 'PodInitializing') c.state = { waiting: { reason: 'ContainerCreating' } };
      await Promise.all(
        regular.map(async (c) => {
          if (alive(c) || c.starting) return;
          if (c.runs === 0 || this.wantsRestart(c, c.lastTerminated?.exitCode ?? 0)) await this.maybeStart(c);
        }),
      );
      const finished = regular.every((c) => !alive(c) && !c.starting && c.runs > 0 && !this.wantsRestart(c, c.lastTerminated?.exitCode ?? 0));
      if (finished) {
        const ok = regular.every((c) => c.lastTerminated?.exitCode === 0);
        this.setTerminal(ok ? 'Succeeded' : 'Failed');
        await this.stopAll(this.graceSeconds(), 'pod is terminal');
      }
    }
    this.releaseNetwork();
    this.publish();
  }

  protected setTerminal(phase: 'Succeeded' | 'Failed', reason?: string, message?: string): void {
    if (this.terminal) return;
    this.terminal = { phase, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
    for (const c of this.ctrs) {
      for (const p of c.probes) p.stop();
      c.probes = [];
    }
    this.saveState();
  }
}
