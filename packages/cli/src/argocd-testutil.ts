/** Helpers shared by the Argo CD install e2e files (not part of the CLI). */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kubectl as kubectlIn, type Up } from './testkit.js';

/** `kubectl port-forward TARGET :PORT -n NS`; resolves with the local port once forwarding. */
export function portForward(home: string, up: Up, ns: string, target: string, port: number): Promise<{ port: number; proc: ChildProcess; stop(): void }> {
  const proc = spawn('kubectl', ['port-forward', '-n', ns, target, `:${port}`], { env: { PATH: process.env.PATH!, HOME: home, KUBECONFIG: up.kubeconfig } });
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`port-forward ${target} did not start: ${buf}`));
    }, 60_000);
    const on = (d: Buffer) => {
      buf += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve({ port: Number(m[1]), proc, stop: () => proc.kill('SIGTERM') });
      }
    };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`port-forward ${target} exited (${code}): ${buf}`));
    });
  });
}

/** A stub `main` (one that only says "not built yet") of a package export, or undefined when it is the real one. */
export function stubbed(specifier: string): boolean {
  try {
    const file = fileURLToPath(import.meta.resolve(specifier));
    return existsSync(file) && /not built yet/.test(readFileSync(file, 'utf8')) && readFileSync(file, 'utf8').length < 400;
  } catch {
    return true;
  }
}

export function kube(home: string, up: () => Up) {
  const kubectl = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) => kubectlIn(home, up().kubeconfig, args, opts);
  const ok = async (args: string[], opts: { input?: string } = {}): Promise<string> => {
    const r = await kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const json = async (args: string[]): Promise<any> => JSON.parse(await ok([...args, '-o', 'json']));
  return { kubectl, ok, json };
}

/** Ready replicas of a Deployment / StatefulSet equal its spec. */
export function workloadReady(o: any): boolean {
  const want = o?.spec?.replicas ?? 1;
  return (o?.status?.readyReplicas ?? 0) >= want && (o?.status?.observedGeneration ?? 0) >= (o?.metadata?.generation ?? 1);
}
