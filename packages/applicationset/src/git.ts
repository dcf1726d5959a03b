/**
 * The git generators' reader: the real `git` client over a bare cache per repository URL
 * (fetch of the asked revision, then `ls-tree` and `cat-file`). Trees of a commit are read once
 * and kept; the revision is resolved again at most every `ttlMs`.
 * Credentials come from Argo CD's repository Secrets (username/password, bearer token) through
 * GIT_ASKPASS; they never appear in messages.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GeneratorError } from './types.js';

export interface GitCreds {
  username?: string;
  password?: string;
}

interface TreeListing {
  dirs: string[];
  files: string[];
}

function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && !stderr ? err.message : '') });
    });
  });
}

export class GitReader {
  private readonly dir: string;
  private readonly askpass: string;
  private readonly resolved = new Map<string, { at: number; p: Promise<string> }>();
  private readonly trees = new Map<string, Promise<TreeListing>>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** git processes started (tests use it to prove caching) */
  invocations = 0;
  private readonly owned: boolean;

  constructor(private readonly opts: { cacheDir?: string; ttlMs?: number; timeoutMs?: number; credentials?: (url: string) => GitCreds | undefined } = {}) {
    this.owned = !opts.cacheDir;
    this.dir = opts.cacheDir ?? mkdtempSync(join(tmpdir(), 'flotilla-appset-git-'));
    mkdirSync(this.dir, { recursive: true });
    this.askpass = join(this.dir, 'askpass.sh');
    if (!existsSync(this.askpass)) writeFileSync(this.askpass, '#!/bin/sh\ncase "$1" in\n  [Uu]sername*) printf \'%s\\n\' "$APPSET_GIT_USERNAME" ;;\n  *) printf \'%s\\n\' "$APPSET_GIT_PASSWORD" ;;\nesac\n', { mode: 0o700 });
  }

  private env(url: string): { env: NodeJS.ProcessEnv; secrets: string[] } {
    const c = this.opts.credentials?.(url);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: this.dir, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_ASKPASS: this.askpass };
    if (c?.username !== undefined || c?.password !== undefined) Object.assign(env, { APPSET_GIT_USERNAME: c.username ?? '', APPSET_GIT_PASSWORD: c.password ?? '' });
    return { env, secrets: [c?.password ?? ''].filter(Boolean) };
  }

  private repoDir(url: string): string {
    return join(this.dir, createHash('sha256').update(url).digest('hex').slice(0, 20));
  }

  private async serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const p = prev.catch(() => {}).then(fn);
    this.locks.set(key, p);
    try {
      return await p;
    } finally {
      if (this.locks.get(key) === p) this.locks.delete(key);
    }
  }

  private async git(url: string, args: string[], cwd?: string) {
    this.invocations++;
    const { env, secrets } = this.env(url);
    const r = await run(args, { cwd, env, timeoutMs: this.opts.timeoutMs ?? 60_000 });
    if (r.code !== 0) {
      let msg = r.stderr.split('\n').filter((l) => l && !l.startsWith('hint:')).slice(0, 3).join('; ') || `git exited with ${r.code}`;
      for (const s of secrets) msg = msg.split(s).join('***');
      throw new GeneratorError(`git ${args[0] === '-c' ? args[2] : args[0]} ${url.replace(/\/\/[^@/]*@/, '//***@')}: ${msg}`);
    }
    return r.stdout;
  }

  /** Removes the cache directory when this reader created it. */
  close(): void {
    if (this.owned) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Forgets resolved revisions (all, or one repository's): the next read asks the server. */
  forget(url?: string): void {
    for (const k of [...this.resolved.keys()]) if (!url || k.startsWith(`${url}\0`)) this.resolved.delete(k);
  }

  /** The commit SHA a revision (branch, tag, HEAD, SHA) points to, fetched into the cache. */
  resolve(url: string, revision: string): Promise<string> {
    const rev = revision || 'HEAD';
    const key = `${url}\0${rev}`;
    const hit = this.resolved.get(key);
    if (hit && Date.now() - hit.at < (this.opts.ttlMs ?? 3000)) return hit.p;
    const p = this.serial(url, async () => {
      const dir = this.repoDir(url);
      if (!existsSync(join(dir, 'HEAD'))) await this.git(url, ['init', '--bare', '-q', dir]);
      if (/^[0-9a-f]{40}$/i.test(rev)) {
        const have = await run(['cat-file', '-e', `${rev}^{commit}`], { cwd: dir, timeoutMs: 10_000 });
        if (have.code === 0) return rev.toLowerCase();
      }
      await this.git(url, ['fetch', '-q', '--no-tags', url, `+${rev}:refs/flotilla/fetched`], dir).catch(async (e) => {
        // a SHA the server does not let us fetch directly: fetch everything
        if (!/^[0-9a-f]{7,40}$/i.test(rev)) throw e;
        await this.git(url, ['fetch', '-q', url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], dir);
      });
      const target = /^[0-9a-f]{7,40}$/i.test(rev) ? rev : 'refs/flotilla/fetched';
      return (await this.git(url, ['rev-parse', `${target}^{commit}`], dir)).trim();
    });
    const e = { at: Date.now(), p };
    this.resolved.set(key, e);
    p.catch(() => this.resolved.get(key) === e && this.resolved.delete(key));
    return p;
  }

  private listing(url: string, sha: string): Promise<TreeListing> {
    const key = `${url}\0${sha}`;
    let p = this.trees.get(key);
    if (!p) {
      p = this.git(url, ['ls-tree', '-r', '-t', '-z', '--full-tree', sha], this.repoDir(url)).then((out) => {
        const dirs: string[] = [];
        const files: string[] = [];
        for (const rec of out.split('\0')) {
          const m = /^\d+ (tree|blob|commit) [0-9a-f]+\t(.*)$/s.exec(rec);
          if (!m) continue;
          (m[1] === 'tree' ? dirs : m[1] === 'blob' ? files : []).push(m[2]!);
        }
        return { dirs, files };
      });
      this.trees.set(key, p);
      p.catch(() => this.trees.delete(key));
      if (this.trees.size > 256) this.trees.delete(this.trees.keys().next().value as string);
    }
    return p;
  }

  async directories(url: string, revision: string): Promise<string[]> {
    return (await this.listing(url, await this.resolve(url, revision))).dirs;
  }

  async files(url: string, revision: string): Promise<string[]> {
    return (await this.listing(url, await this.resolve(url, revision))).files;
  }

  async read(url: string, revision: string, path: string): Promise<string> {
    const sha = await this.resolve(url, revision);
    return this.git(url, ['cat-file', 'blob', `${sha}:${path}`], this.repoDir(url));
  }
}
