/** HTTP (download) and Git (clone with the host git) artifacts. */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { GitArtifact, HTTPArtifact, SecretReader } from './types.js';
import { withRetries } from './retry.js';

export async function httpDownload(h: HTTPArtifact, dest: string, secret: SecretReader): Promise<void> {
  const headers: Record<string, string> = {};
  for (const x of h.headers ?? []) headers[x.name] = x.value;
  const ba = h.auth?.basicAuth;
  if (ba?.usernameSecret && ba.passwordSecret) headers.authorization = `Basic ${Buffer.from(`${await secret(ba.usernameSecret)}:${await secret(ba.passwordSecret)}`).toString('base64')}`;
  let r: Response;
  try {
    r = await withRetries(async () => {
      const res = await fetch(h.url, { headers, redirect: 'follow' });
      if (res.status >= 500) throw Object.assign(new Error(`HTTP ${res.status}`), { $metadata: { httpStatusCode: res.status } });
      return res;
    });
  } catch (e) {
    const c = (e as { cause?: { message?: string } }).cause;
    throw new Error(`failed to download ${h.url}: ${c?.message ?? (e as Error).message}`);
  }
  if (!r.ok || !r.body) throw new Error(`failed to download ${h.url}: HTTP ${r.status} ${r.statusText}`);
  mkdirSync(dirname(dest), { recursive: true });
  await pipeline(Readable.fromWeb(r.body as never), createWriteStream(dest));
}

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
