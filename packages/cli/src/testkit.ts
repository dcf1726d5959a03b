/** `flotilla up` as its own process and the real kubectl: the kube-runtime test kit's, plus the cli's own helpers. */
import { spawn } from 'node:child_process';
import { FLOTILLA_MAIN, waitFor } from '@flotilla/kube-runtime/testkit';

export { startUp, stopUp, kubectl, FLOTILLA_MAIN as MAIN, FLOTILLA_LAUNCHER as LAUNCHER, type Up } from '@flotilla/kube-runtime/testkit';

/** Runs `flotilla ARGS` to its end (asynchronously: a `flotilla up` child of the test keeps being served). */
export function flotilla(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [FLOTILLA_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d) => (stdout += d));
    c.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Polls fn until it returns a truthy value; throws naming `what` (and the last value or error) after timeoutMs. */
export function eventually<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 60_000): Promise<T> {
  return waitFor(what, fn, timeoutMs, 250);
}
