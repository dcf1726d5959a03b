/** Git artifacts (clone with the host git); HTTP is in http.ts. */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { GitArtifact, SecretReader } from './types.js';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stdout.on('data', (d) => (err += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.filter((a) => !a.includes('@')).join(' ')} failed (exit ${code}): ${err.trim().slice(-2000)}`))));
  });
}

/** The clone URL with credentials for http(s) (pure). */
export function authURL(repo: string, user?: string, pass?: string): string {
  if (!/^https?:\/\//.test(repo) || (!user && !pass)) return repo;
  const u = new URL(repo);
  u.username = encodeURIComponent(user ?? '');
  u.password = encodeURIComponent(pass ?? '');
  return u.toString();
}

/** Clones `g.repo` into `dest`, checks out `revision`, fetches the given refspecs. */
export async function gitClone(g: GitArtifact, dest: string, secret: SecretReader): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  let keyDir: string | undefined;
  try {
    if (g.sshPrivateKeySecret) {
      keyDir = mkdtempSync(join(tmpdir(), 'argo-git-'));
      const key = join(keyDir, 'id');
      writeFileSync(key, (await secret(g.sshPrivateKeySecret)).replace(/\r?\n?$/, '\n'), { mode: 0o600 });
      env.GIT_SSH_COMMAND = `ssh -i ${key} -o IdentitiesOnly=yes${g.insecureIgnoreHostKey ? ' -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' : ''}`;
    }
    if (g.insecureSkipTLS) env.GIT_SSL_NO_VERIFY = 'true';
    const user = g.usernameSecret ? await secret(g.usernameSecret) : undefined;
    const pass = g.passwordSecret ? await secret(g.passwordSecret) : undefined;
    const url = authURL(g.repo, user, pass);
    const args = ['clone', '--quiet'];
    if (g.depth && g.depth > 0) args.push('--depth', String(g.depth));
    if (g.branch) args.push('--branch', g.branch);
    if (g.singleBranch) args.push('--single-branch');
    if (!g.disableSubmodules) args.push('--recurse-submodules');
    mkdirSync(dirname(dest), { recursive: true });
    rmSync(dest, { recursive: true, force: true });
    await run('git', [...args, url, dest], env);
    for (const spec of g.fetch ?? []) await run('git', ['fetch', '--quiet', 'origin', spec], env, dest);
    if (g.revision) {
      try {
        await run('git', ['checkout', '--quiet', g.revision], env, dest);
      } catch {
        await run('git', ['fetch', '--quiet', 'origin', g.revision], env, dest);
        await run('git', ['checkout', '--quiet', 'FETCH_HEAD'], env, dest);
      }
      if (!g.disableSubmodules) await run('git', ['submodule', 'update', '--init', '--recursive', '--quiet'], env, dest);
    }
  } finally {
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  }
}
