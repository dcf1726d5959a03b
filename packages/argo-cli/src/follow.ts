/**
 * Following workflows after a command started them: `--watch` (the `argo get` view, redrawn in place on a
 * terminal, appended on each change otherwise), `--wait` (one "NAME PHASE at TIME" line; exit 1 unless
 * all Succeeded) and `--log` / `argo logs` (each line prefixed with its pod's name).
 */
import type { Workflow } from '@flotilla/workflows-controller';
import { io } from '@flotilla/cli-kit/io';
import { isCompletedPhase, type Backend, type LogOptions } from './backend.js';
import { goTime } from './humanize.js';
import { stdoutIsTTY } from './output.js';
import { printWorkflow, type PrintOpts } from './print.js';
import { CliError } from './session.js';

function withTimeout(timeoutMs: number | undefined): AbortController {
  const ac = new AbortController();
  if (timeoutMs) setTimeout(() => ac.abort(), timeoutMs).unref();
  return ac;
}

/** `--watch` / `argo watch`: the view until the workflow completes. */
export async function watchWorkflow(b: Backend, ns: string, name: string, p: Omit<PrintOpts, 'now'> = {}, shown?: Workflow): Promise<Workflow> {
  const tty = stdoutIsTTY();
  // `shown`: the state already printed (by submit), not repeated on a pipe
  let last: Workflow | undefined = shown;
  let lastText = shown ? '\n' : '';
  const draw = () => {
    if (!last) return;
    const text = printWorkflow(last, { ...p, now: Date.now(), color: tty });
    if (tty) io.out(`\x1b[H\x1b[2J${text}`);
    else if (text !== lastText) io.out(lastText ? `\n${text}` : text);
    lastText = text;
  };
  // on a terminal the relative times move on every second
  const tick = tty ? setInterval(draw, 1000) : undefined;
  const ac = new AbortController();
  try {
    await b.watchWorkflow(
      ns,
      name,
      (wf) => {
        // on a pipe only a change of state is written again, not the passing of time
        if (!tty && last && stateOf(last) === stateOf(wf)) {
          last = wf;
          return isCompletedPhase(wf.status?.phase);
        }
        last = wf;
        draw();
        return isCompletedPhase(wf.status?.phase);
      },
      ac.signal,
    );
  } finally {
    if (tick) clearInterval(tick);
  }
  return last!;
}

function stateOf(wf: Workflow): string {
  const st = wf.status ?? {};
  return JSON.stringify([st.phase, st.message, st.progress, Object.values(st.nodes ?? {}).map((n) => [n.id, n.phase, n.message])]);
}

/** `--wait` / `argo wait`: "NAME PHASE at TIME" for each; false when one did not succeed. */
export async function waitWorkflows(b: Backend, ns: string, names: string[], o: { ignoreNotFound?: boolean; timeoutMs?: number; quiet?: boolean } = {}): Promise<boolean> {
  const results = await Promise.all(
    names.map(async (name) => {
      const ac = withTimeout(o.timeoutMs);
      let wf: Workflow | undefined;
      try {
        await b.watchWorkflow(ns, name, (w) => {
          wf = w;
          return isCompletedPhase(w.status?.phase);
        }, ac.signal);
      } catch (e) {
        if (o.ignoreNotFound && /not found/i.test((e as Error).message)) return true;
        throw e;
      }
      if (!wf || !isCompletedPhase(wf.status?.phase)) throw new CliError(`timed out waiting for workflow ${name}`);
      if (!o.quiet) io.out(`${name} ${wf.status!.phase} at ${goTime(wf.status!.finishedAt)}\n`);
      return wf.status!.phase === 'Succeeded';
    }),
  );
  return results.every(Boolean);
}

const POD_COLORS = ['\x1b[32m', '\x1b[34m', '\x1b[35m', '\x1b[36m', '\x1b[33m', '\x1b[91m', '\x1b[92m', '\x1b[94m'];

/** `argo logs` / `--log`: each line as "POD: text" (the pod's name coloured on a terminal). */
export async function printLogs(b: Backend, ns: string, workflow: string, pod: string | undefined, o: LogOptions & { noColor?: boolean }): Promise<void> {
  const tty = stdoutIsTTY() && !o.noColor;
  const colors = new Map<string, string>();
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    await b.logs(ns, workflow, pod, o, (l) => {
      let name = l.podName;
      if (tty) {
        if (!colors.has(name)) colors.set(name, POD_COLORS[colors.size % POD_COLORS.length]);
        name = `${colors.get(name)}${name}\x1b[0m`;
      }
      io.out(`${name}: ${l.content}\n`);
    }, ac.signal);
  } finally {
    process.off('SIGINT', onSig);
  }
}
