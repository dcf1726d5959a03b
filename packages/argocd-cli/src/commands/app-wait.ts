/**
 * Waiting for an application (upstream's waitOnApplicationStatus): prints a TIMESTAMP row per
 * resource change while it watches, then the final summary, operation result and resources.
 */
import type { Application, OperationState } from '@flotilla/argocd-engine/types';
import { io, println } from '@flotilla/cli-kit/io';
import { TabWriter } from '@flotilla/cli-kit/tabwriter';
import type { AppBackend } from '../backend.js';
import { printResource, rfc3339 } from '../output.js';
import { CliError } from '../session.js';
import { appURL, operationResult, resourceStates, resourcesTable, summary, type ResourceState } from './app-print.js';

export interface WatchOpts {
  sync?: boolean;
  health?: boolean;
  operation?: boolean;
  suspended?: boolean;
  degraded?: boolean;
  delete?: boolean;
}

type Selected = { group?: string; kind: string; name: string; namespace?: string }[];

/** Go's fmt "%Ns": right-aligned to N runes */
const pad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export function waitRow(ts: string, r: Omit<ResourceState, 'message'> & { message: string }): string {
  return [ts, pad(r.group, 5), pad(r.kind, 10), pad(r.namespace, 10), pad(r.name, 20), pad(r.status, 8), pad(r.health, 7), pad(r.hook, 10), r.message].join('\t') + '\n';
}

export function checkResourceStatus(w: WatchOpts, health: string, sync: string, operationPending: boolean): boolean {
  let healthOk = true;
  if (w.suspended || w.health || w.degraded) {
    healthOk = (!!w.health && health === 'Healthy') || (!!w.suspended && health === 'Suspended') || (!!w.degraded && health === 'Degraded');
  }
  const synced = !w.sync || sync === 'Synced';
  const operational = !w.operation || !operationPending;
  return synced && healthOk && operational;
}

const completed = (op?: OperationState) => !!op && (op.phase === 'Succeeded' || op.phase === 'Failed' || op.phase === 'Error');

export async function waitOnApplicationStatus(
  b: AppBackend,
  name: string,
  ns: string | undefined,
  timeoutSec: number,
  watch: WatchOpts,
  selected: Selected | undefined,
  output: string,
  /** the operation must have started at or after this time (a sync just requested) */
  opSince?: string,
): Promise<{ app?: Application; op?: OperationState }> {
  const w = new TabWriter({ minwidth: 5, padding: 2 });
  const printRows = output !== 'json' && output !== 'yaml';
  const prev = new Map<string, ResourceState>();
  const url = appURL(await b.settingsURL(), b.serverAddr, b.plaintext, name);
  let headerDone = false;
  let final: Application | undefined;
  let failure: Error | undefined;

  const printFinal = (app: Application) => {
    if (output === 'yaml' || output === 'json') {
      printResource(app, output);
      return;
    }
    println();
    io.out(summary(app, url));
    println();
    if (watch.operation) io.out(operationResult(app.status?.operationState));
    if ((app.status?.resources ?? []).length) {
      println();
      io.out(resourcesTable(app));
    }
  };

  const onApp = (app: Application): boolean => {
    if ((app as any).__deleted) {
      if (watch.delete) {
        final = undefined;
        return true;
      }
      failure = new CliError(`application '${name}' was deleted`);
      return true;
    }
    if (printRows) {
      if (!headerDone) {
        w.write(waitRow('TIMESTAMP', { group: 'GROUP', kind: 'KIND', namespace: 'NAMESPACE', name: 'NAME', status: 'STATUS', health: 'HEALTH', hook: 'HOOK', message: 'MESSAGE' }));
        headerDone = true;
      }
      for (const s of resourceStates(app, selected)) {
        const k = `${s.group}/${s.kind}/${s.namespace}/${s.name}`;
        const p = prev.get(k);
        let changed = false;
        if (p) {
          if (watch.health && p.health !== 'Unknown' && p.health !== 'Degraded' && s.health === 'Degraded') {
            io.out(w.flush());
            printFinal(app);
            failure = new CliError(`application '${name}' health state has transitioned from ${p.health} to ${s.health}`);
            return true;
          }
          for (const f of ['status', 'health', 'hook', 'message'] as const) {
            if (s[f] && s[f] !== p[f]) {
              p[f] = s[f];
              changed = true;
            }
          }
        } else {
          prev.set(k, { ...s });
          changed = true;
        }
        if (changed) w.write(waitRow(rfc3339(new Date()), prev.get(k)!));
      }
      io.out(w.flush());
    }
    if (watch.delete) return false;
    const op = app.status?.operationState;
    let opPending = !!app.operation || (!!op && !completed(op));
    if (opSince && op && op.startedAt && new Date(op.startedAt).getTime() < new Date(opSince).getTime() - 1000) opPending = true;
    if (opSince && !op) opPending = true;
    const selOk = selected?.length
      ? resourceStates(app, selected).every((s) => checkResourceStatus(watch, s.health, s.status, false))
      : true;
    const appOk = checkResourceStatus(watch, app.status?.health?.status ?? '', app.status?.sync?.status ?? '', false);
    const refreshing = !!app.metadata?.annotations?.['argocd.argoproj.io/refresh'];
    // as upstream: after an operation, wait for the controller's comparison of its result
    // (reconciledAt not before the operation's finishedAt), else the status printed is the old one
    if (watch.operation && !opPending && op?.finishedAt) {
      const rec = app.status?.reconciledAt;
      if (!rec || Date.parse(rec) < Math.floor(Date.parse(op.finishedAt) / 1000) * 1000) opPending = true;
    }
    if ((selected?.length ? selOk : appOk) && !(watch.operation && opPending) && !refreshing) {
      final = app;
      return true;
    }
    return false;
  };

  const ctl = new AbortController();
  let timedOut = false;
  const timer = timeoutSec > 0 ? setTimeout(() => ((timedOut = true), ctl.abort()), timeoutSec * 1000) : undefined;
  try {
    await b.watch(name, ns, onApp, ctl.signal);
  } finally {
    if (timer) clearTimeout(timer);
  }
  if (failure) throw failure;
  if (timedOut || !final) {
    if (watch.delete && !timedOut) return {};
    let app: Application | undefined;
    try {
      app = await b.getApp(name, ns);
    } catch {
      /* print what we can */
    }
    if (app) printFinal(app);
    throw new CliError(`timed out (${timeoutSec}s) waiting for app ${JSON.stringify(name)} match desired state`);
  }
  printFinal(final);
  return { app: final, op: final.status?.operationState };
}
