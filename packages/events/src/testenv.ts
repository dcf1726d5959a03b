/** Helpers of the Events e2e files: commands run as a user runs them (PATH with flotilla up's launchers). */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { waitFor } from '@flotilla/kube-runtime/testkit';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const UPSTREAM = join(ROOT, '..', 'shared', 'upstream');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Shell {
  constructor(
    readonly dataDir: string,
    readonly home: string,
    readonly kubeconfig: () => string,
  ) {}

  env(): NodeJS.ProcessEnv {
    return { PATH: `${join(this.dataDir, 'bin')}:${process.env.PATH}`, HOME: this.home, KUBECONFIG: this.kubeconfig(), TZ: 'UTC' };
  }

  sh(cmd: string[], o: { timeoutMs?: number; input?: string } = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
      const p = spawn(cmd[0], cmd.slice(1), { env: this.env(), cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`${cmd.join(' ')} did not finish in ${o.timeoutMs ?? 120_000} ms:\n${stdout}\n${stderr}`));
      }, o.timeoutMs ?? 120_000);
      p.on('close', (code) => {
        clearTimeout(t);
        resolve({ code, stdout, stderr });
      });
      // EPIPE when the process exits before reading its input (curl, kubectl patch): its exit code tells
      p.stdin.on('error', () => {});
      p.stdin.end(o.input ?? '');
    });
  }

  async ok(cmd: string[], o: { timeoutMs?: number; input?: string } = {}): Promise<string> {
    const r = await this.sh(cmd, o);
    assert.equal(r.code, 0, `${cmd.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  async json(args: string[]): Promise<any> {
    return JSON.parse(await this.ok(['kubectl', ...args, '-o', 'json']));
  }

  /** Retries fn (every `everyMs`) until it returns something truthy; the last error is in the failure. */
  eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 1000): Promise<T> {
    let last = '';
    return waitFor(
      what,
      async () => {
        try {
          return await fn();
        } catch (e) {
          last = (e as Error).message;
          return undefined;
        }
      },
      timeoutMs,
      everyMs,
    ).catch((e: Error) => {
      throw new Error(`${e.message}${last ? `\nlast error: ${last}` : ''}`);
    });
  }

  /** `kubectl port-forward …` as a background process; resolves once it forwards. */
  portForward(args: string[]): Promise<ChildProcess> {
    const pf = spawn('kubectl', ['port-forward', ...args], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let buf = '';
      const t = setTimeout(() => reject(new Error(`port-forward did not start: ${buf}`)), 60_000);
      const on = (d: Buffer) => {
        buf += d.toString();
        if (/Forwarding from 127\.0\.0\.1:\d+/.test(buf)) {
          clearTimeout(t);
          resolve(pf);
        }
      };
      pf.stdout!.on('data', on);
      pf.stderr!.on('data', on);
      pf.on('exit', (c) => {
        clearTimeout(t);
        reject(new Error(`port-forward exited ${c}: ${buf}`));
      });
    });
  }
}

/** The condition of an object's status by type. */
export function condition(o: any, type: string): any {
  return (o?.status?.conditions ?? []).find((c: any) => c.type === type);
}
