/**
 * Test helper: the `argocd` command line as a real process (the same runner `flotilla` uses), with
 * its own HOME. Shared by the CLI's tests.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../../cli/dist/cli-runner.js', import.meta.url));
const CLI = new URL('./cli.js', import.meta.url).href;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string;
  env?: Record<string, string>;
}

/** A runner of `argocd <args>` with HOME=home (and the env `base()` gives at each call). */
export function argocdProcess(home: () => string, base: () => Record<string, string> = () => ({})) {
  const argocd = (args: string[], o: CliOptions = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [RUNNER, CLI, ...args], { env: { PATH: process.env.PATH, HOME: home(), TZ: 'UTC', ...base(), ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`argocd ${args.join(' ')} hung:\n${stdout}\n${stderr}`));
      }, 120_000);
      p.on('close', (code) => {
        clearTimeout(t);
        resolve({ code, stdout, stderr });
      });
      p.stdin.on('error', () => {}); // EPIPE: the process exited without reading its input; its exit code tells
      p.stdin.end(o.input ?? '');
    });
  const ok = async (args: string[], o: CliOptions = {}): Promise<string> => {
    const r = await argocd(args, o);
    assert.equal(r.code, 0, `argocd ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  return { argocd, ok };
}
