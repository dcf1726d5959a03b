/**
 * A cache of Git repositories driven through the real `git` client.
 *
 * Layout under `<cacheDir>`:
 *   repos/<id>/            a bare repository per repository URL (heads and tags fetched on demand)
 *   trees/<id>/<sha>/      the files of one commit (submodules included), written once, then only read
 *   trees/<id>/<sha>.json  facts about that tree (out-of-bounds symlinks)
 *   keys/                  SSH keys / known_hosts / TLS client certs materialised from credentials (0600)
 *
 * Fetches, tree writes and repository initialisation for one URL are serialised by a per-URL mutex;
 * trees are immutable once renamed into place, so renders of one commit never race a checkout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, rename, rm, rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { redact, type RepoCredentials } from './credentials.js';
import { RepoError } from './errors.js';
import { run, type RunResult } from './exec.js';
import { Mutex } from './mutex.js';
import { findOutOfBoundsSymlinks, isWithin } from './paths.js';
import { looksLikeConstraint, maxSatisfying } from './semver.js';

export interface GitCacheOptions {
  cacheDir: string;
  credentials?: ((repoUrl: string) => RepoCredentials | undefined) | undefined;
  /** Per git command time budget (default 120 s). */
  gitTimeoutMs?: number;
  /** How long ls-remote results are reused (default 0: every resolve asks the server). */
  revisionCacheTtlMs?: number;
  /** The ssh program git runs for SSH URLs (default "ssh"). */
  sshCommand?: string;
  /** Commit trees kept on disk per repository before the least recently used are removed (default 16). */
  maxTreesPerRepo?: number;
}

export interface Tree {
  sha: string;
  root: string;
  /** Repository-relative paths of symlinks pointing outside the repository. */
  outOfBoundsSymlinks: string[];
}

const SHA_RE = /^[0-9a-f]{40}$/i;
const SHORT_SHA_RE = /^[0-9a-f]{4,39}$/i;

function urlId(url: string): string {
  const h = createHash('sha256').update(url).digest('hex').slice(0, 16);
  const tail = (url.replace(/[/\\]+$/, '').split(/[/:\\]/).pop() ?? 'repo').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40);
  return `${tail || 'repo'}-${h}`;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function firstLines(s: string, n = 6): string {
  return s
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !/^(hint:|warning: redirecting)/.test(l))
    .slice(0, n)
    .join('; ');
}

const UNREACHABLE_RE =
  /could not read (Username|Password)|Authentication failed|authentication required|Could not resolve host|Connection refused|unable to connect|Connection timed out|could not connect|does not appear to be a git repository|not found|repository .* does not exist|Permission denied|Host key verification failed|No route to host|unable to access|Failed to connect|The requested URL returned error|no such (repository|file or directory)|'.*' does not appear|fatal: unable to look up|remote error|terminal prompts disabled|access denied|not a git repository/i;

/** Resolves a submodule URL relative to its superproject's URL the way git does (`../x.git`). */
export function resolveSubmoduleUrl(parent: string, sub: string): string {
  if (!sub.startsWith('./') && !sub.startsWith('../')) return sub;
  let base = parent.replace(/\/+$/, '');
  // scp-like "git@host:path" keeps its "host:" prefix.
  const scp = /^([^/:@]+@)?[^/:]+:(?!\/\/)/.exec(base);
  const prefixLen = scp ? scp[0].length : (/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(base)?.[0].length ?? 0);
  let rest = sub;
  for (;;) {
    if (rest.startsWith('./')) rest = rest.slice(2);
    else if (rest.startsWith('../')) {
      rest = rest.slice(3);
      const cut = base.lastIndexOf('/');
      base = cut >= prefixLen ? base.slice(0, cut) : base.slice(0, prefixLen);
    } else break;
  }
  const sep = base.endsWith(':') || base.endsWith('/') ? '' : '/';
  return `${base}${sep}${rest}`;
}

/** How a repository is reached when it is a submodule of another. */
interface Via {
  /** Superproject credentials, used when none are configured for this URL. */
  creds?: RepoCredentials;
  /** Refuse local transports (the superproject is remote). */
  restrictLocal: boolean;
}

function isLocalUrl(url: string): boolean {
  return /^file:/i.test(url) || url.startsWith('/') || url.startsWith('./') || url.startsWith('../');
}

interface RefMap {
  /** ref name → commit SHA (annotated tags peeled). */
  refs: Map<string, string>;
  at: number;
}

export class GitCache {
  readonly cacheDir: string;
  /** Number of git processes started (observability; tests use it to prove cache hits). */
  gitInvocations = 0;
  private readonly repos = new Map<string, GitRepo>();
  private readonly askpass: string;
  readonly opts: Required<Omit<GitCacheOptions, 'credentials'>> & Pick<GitCacheOptions, 'credentials'>;

  constructor(opts: GitCacheOptions) {
    this.opts = {
      cacheDir: opts.cacheDir,
      credentials: opts.credentials,
      gitTimeoutMs: opts.gitTimeoutMs ?? 120_000,
      revisionCacheTtlMs: opts.revisionCacheTtlMs ?? 0,
      sshCommand: opts.sshCommand ?? 'ssh',
      maxTreesPerRepo: opts.maxTreesPerRepo ?? 16,
    };
    this.cacheDir = opts.cacheDir;
    mkdirSync(join(this.cacheDir, 'keys'), { recursive: true, mode: 0o700 });
    this.askpass = join(this.cacheDir, 'askpass.sh');
    if (!existsSync(this.askpass)) {
      writeFileSync(
        this.askpass,
        '#!/bin/sh\ncase "$1" in\n  [Uu]sername*) printf \'%s\\n\' "$FLOTILLA_GIT_USERNAME" ;;\n  *) printf \'%s\\n\' "$FLOTILLA_GIT_PASSWORD" ;;\nesac\n',
        { mode: 0o700 },
      );
    }
  }

  /** The cache entry for one repository URL. */
  repo(url: string): GitRepo {
    const key = url.trim();
    let r = this.repos.get(key);
    if (!r) {
      r = new GitRepo(this, key);
      this.repos.set(key, r);
    }
    return r;
  }

  credentialsFor(url: string): RepoCredentials | undefined {
    return this.opts.credentials?.(url);
  }

  /** Writes a secret to keys/<hash><suffix> with mode 0600 and returns its path. */
  private secretFile(content: string, suffix: string): string {
    const p = join(this.cacheDir, 'keys', createHash('sha256').update(content).digest('hex').slice(0, 24) + suffix);
    if (!existsSync(p)) {
      const tmp = `${p}.${process.pid}.${randomBytes(4).toString('hex')}`;
      writeFileSync(tmp, content, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      try {
        renameSync(tmp, p);
      } catch {
        /* another process won */
      }
    }
    return p;
  }

  /** Environment for a git process talking to a repository with these credentials. */
  gitEnv(creds: RepoCredentials | undefined, opts: { fromUser?: boolean } = {}): { env: NodeJS.ProcessEnv; secrets: string[] } {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) {
      if (k.startsWith('GIT_') || k === 'SSH_ASKPASS') delete env[k];
    }
    Object.assign(env, {
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      LC_ALL: 'C',
      LANG: 'C',
    });
    if (opts.fromUser === false) env['GIT_PROTOCOL_FROM_USER'] = '0';
    const config: [string, string][] = [
      ['credential.helper', ''],
      ['gc.auto', '0'],
      ['maintenance.auto', 'false'],
      ['core.symlinks', 'true'],
      ['init.defaultBranch', 'main'],
      ['advice.detachedHead', 'false'],
    ];
    const secrets: string[] = [];
    if (creds) {
      if (creds.password || creds.username) {
        env['GIT_ASKPASS'] = this.askpass;
        env['FLOTILLA_GIT_USERNAME'] = creds.username || 'x-access-token';
        env['FLOTILLA_GIT_PASSWORD'] = creds.password ?? '';
        if (creds.password) secrets.push(creds.password);
      }
      if (creds.bearerToken) {
        config.push(['http.extraHeader', `Authorization: Bearer ${creds.bearerToken}`]);
        secrets.push(creds.bearerToken);
      }
      if (creds.insecureSkipTLSVerify) config.push(['http.sslVerify', 'false']);
      if (creds.tlsClientCertData && creds.tlsClientCertKey) {
        config.push(['http.sslCert', this.secretFile(creds.tlsClientCertData, '.crt')]);
        config.push(['http.sslKey', this.secretFile(creds.tlsClientCertKey, '.pem')]);
      }
      if (creds.sshPrivateKey) {
        const keyText = creds.sshPrivateKey.endsWith('\n') ? creds.sshPrivateKey : creds.sshPrivateKey + '\n';
        const key = this.secretFile(keyText, '.key');
        const parts = [this.opts.sshCommand, '-i', shq(key), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=30'];
        if (creds.insecureIgnoreHostKey) parts.push('-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR');
        else if (creds.knownHosts) parts.push('-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${shq(this.secretFile(creds.knownHosts, '.known_hosts'))}`);
        else parts.push('-o', 'StrictHostKeyChecking=yes');
        env['GIT_SSH_COMMAND'] = parts.join(' ');
      } else if (creds.insecureIgnoreHostKey || creds.knownHosts) {
        const parts = [this.opts.sshCommand, '-o', 'BatchMode=yes'];
        if (creds.insecureIgnoreHostKey) parts.push('-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR');
        else parts.push('-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${shq(this.secretFile(creds.knownHosts!, '.known_hosts'))}`);
        env['GIT_SSH_COMMAND'] = parts.join(' ');
      }
    }
    if (!env['GIT_SSH_COMMAND'] && this.opts.sshCommand !== 'ssh') env['GIT_SSH_COMMAND'] = `${this.opts.sshCommand} -o BatchMode=yes`;
    env['GIT_CONFIG_COUNT'] = String(config.length);
    config.forEach(([k, v], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = k;
      env[`GIT_CONFIG_VALUE_${i}`] = v;
    });
    return { env, secrets };
  }

  /** Called after every request to a Git server (ls-remote, fetch): metrics. */
  onRequest?: (r: { repo: string; type: 'ls-remote' | 'fetch'; durationMs: number; failed: boolean }) => void;

  async git(args: string[], o: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs?: number; maxOutputBytes?: number; input?: string }): Promise<RunResult> {
    this.gitInvocations++;
    const type = args.includes('ls-remote') ? 'ls-remote' : args.includes('fetch') ? 'fetch' : undefined;
    const t0 = Date.now();
    const r = await run('git', args, {
      ...(o.cwd ? { cwd: o.cwd } : {}),
      env: o.env,
      timeoutMs: o.timeoutMs ?? this.opts.gitTimeoutMs,
      ...(o.maxOutputBytes ? { maxOutputBytes: o.maxOutputBytes } : {}),
      ...(o.input !== undefined ? { input: o.input } : {}),
    });
    if (r.spawnError) {
      throw new RepoError(`cannot run git: ${r.spawnError.message}`, { code: 'ToolUnavailable', cause: r.spawnError });
    }
    if (type && this.onRequest) {
      const repo = args.find((a) => this.repos.has(a));
      if (repo) this.onRequest({ repo, type, durationMs: Date.now() - t0, failed: r.code !== 0 });
    }
    return r;
  }
}

export class GitRepo {
  readonly id: string;
  readonly dir: string;
  readonly treesDir: string;
  private readonly mutex = new Mutex();
  private initialized = false;
  private readonly knownCommits = new Set<string>();
  private readonly trees = new Map<string, Promise<Tree>>();
  private readonly inUse = new Map<string, number>();
  /** trees written by this process without submodules, newest last: bases for the next commit's tree */
  private readonly plainTrees: string[] = [];
  private refCache: RefMap | undefined;
  private refInflight: Promise<RefMap> | undefined;

  constructor(
    private readonly cache: GitCache,
    readonly url: string,
  ) {
    this.id = urlId(url);
    this.dir = join(cache.cacheDir, 'repos', this.id);
    this.treesDir = join(cache.cacheDir, 'trees', this.id);
  }

  /** Credentials for this URL; a submodule falls back to its superproject's. */
  credentials(via?: Via): RepoCredentials | undefined {
    return this.cache.credentialsFor(this.url) ?? via?.creds;
  }

  private get safeUrl(): string {
    return redact(this.url);
  }

  private env(via?: Via): { env: NodeJS.ProcessEnv; secrets: string[] } {
    // A submodule of a remote repository may not use local transports (file://, plain paths,
    // ext::): a repository must not be able to read other repositories from this machine.
    return this.cache.gitEnv(this.credentials(via), via?.restrictLocal ? { fromUser: false } : {});
  }

  private failure(what: string, r: RunResult, secrets: string[], fallback: 'GitFailed' | 'UnknownRevision' = 'GitFailed'): RepoError {
    if (r.timedOut) {
      return new RepoError(`${what} ${this.safeUrl} timed out after ${this.cache.opts.gitTimeoutMs} ms`, { code: 'Timeout' });
    }
    const detail = redact(firstLines(r.stderr), secrets) || `git exited with ${r.code ?? r.signal}`;
    const code = UNREACHABLE_RE.test(r.stderr) ? 'Unreachable' : fallback;
    const lead = code === 'Unreachable' ? `repository ${this.safeUrl} is unreachable` : `${what} ${this.safeUrl} failed`;
    return new RepoError(`${lead}: ${detail}`, { code });
  }

  private async init(): Promise<void> {
    if (this.initialized) return;
    if (!existsSync(join(this.dir, 'HEAD'))) {
      await mkdir(join(this.cache.cacheDir, 'repos'), { recursive: true });
      const { env } = this.cache.gitEnv(undefined);
      const r = await this.cache.git(['init', '--bare', '-q', this.dir], { env });
      if (r.code !== 0) throw new RepoError(`cannot initialise cache for ${this.safeUrl}: ${firstLines(r.stderr)}`, { code: 'GitFailed' });
    }
    this.initialized = true;
  }

  /** The server's refs (branches, tags, HEAD, others), tags peeled to their commits. */
  async lsRemote(): Promise<Map<string, string>> {
    const ttl = this.cache.opts.revisionCacheTtlMs;
    if (this.refCache && ttl > 0 && Date.now() - this.refCache.at < ttl) return this.refCache.refs;
    if (this.refInflight) return (await this.refInflight).refs;
    this.refInflight = (async () => {
      await this.mutex.run(() => this.init());
      const { env, secrets } = this.env();
      // Protocol v0 advertises every ref in one round trip (v2 needs a second request, which
      // costs a delayed-ACK wait on git:// and a second HTTP request on https://), the same
      // information Argo CD's go-git client reads.
      const r = await this.cache.git(['-c', 'protocol.version=0', 'ls-remote', this.url], { cwd: this.dir, env });
      if (r.code !== 0) throw this.failure('listing refs of', r, secrets);
      const refs = new Map<string, string>();
      const peeled = new Map<string, string>();
      for (const line of r.stdout.split('\n')) {
        const [sha, ref] = line.split('\t');
        if (!sha || !ref || !SHA_RE.test(sha)) continue;
        if (ref.endsWith('^{}')) peeled.set(ref.slice(0, -3), sha.toLowerCase());
        else refs.set(ref, sha.toLowerCase());
      }
      for (const [ref, sha] of peeled) refs.set(ref, sha);
      const map = { refs, at: Date.now() };
      this.refCache = map;
      return map;
    })();
    try {
      return (await this.refInflight).refs;
    } finally {
      this.refInflight = undefined;
    }
  }

  async listRefs(): Promise<{ branches: string[]; tags: string[] }> {
    const refs = await this.lsRemote();
    const branches: string[] = [];
    const tags: string[] = [];
    for (const ref of refs.keys()) {
      if (ref.startsWith('refs/heads/')) branches.push(ref.slice(11));
      else if (ref.startsWith('refs/tags/')) tags.push(ref.slice(10));
    }
    return { branches: branches.sort(), tags: tags.sort() };
  }

  /**
   * Resolves a revision to a commit SHA: HEAD (or empty), a branch, a tag, a full ref name, a full
   * or abbreviated commit SHA, or a semver constraint over the tags (`>=1.2.0 <2`, `1.x`, `^1.2`).
   * The commit is fetched into the cache before this returns.
   */
  async resolve(revision?: string): Promise<string> {
    const rev = (revision ?? '').trim() || 'HEAD';
    if (SHA_RE.test(rev)) {
      const sha = rev.toLowerCase();
      await this.ensureCommit(sha);
      return sha;
    }
    const refs = await this.lsRemote();
    let ref: string | undefined;
    if (rev === 'HEAD') ref = refs.has('HEAD') ? 'HEAD' : undefined;
    else
      for (const cand of [rev, `refs/heads/${rev}`, `refs/tags/${rev}`]) {
        if (cand.startsWith('refs/') && refs.has(cand)) {
          ref = cand;
          break;
        }
      }
    if (!ref && looksLikeConstraint(rev)) {
      const tags = [...refs.keys()].filter((r) => r.startsWith('refs/tags/')).map((r) => r.slice(10));
      const best = maxSatisfying(tags, rev);
      if (best) ref = `refs/tags/${best}`;
    }
    if (ref) {
      const sha = refs.get(ref)!;
      await this.ensureCommit(sha, ref);
      return sha;
    }
    if (SHORT_SHA_RE.test(rev)) {
      const full = await this.mutex.run(async () => {
        await this.init();
        await this.fetchAll();
        const { env } = this.env();
        const r = await this.cache.git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: this.dir, env });
        return r.code === 0 ? r.stdout.trim() : undefined;
      });
      if (full && SHA_RE.test(full)) {
        this.knownCommits.add(full);
        return full;
      }
    }
    if (rev === 'HEAD') throw new RepoError(`repository ${this.safeUrl} has no HEAD (is it empty?)`, { code: 'UnknownRevision' });
    throw new RepoError(`unable to resolve revision ${JSON.stringify(rev)} in ${this.safeUrl}: no branch, tag or commit of that name`, {
      code: 'UnknownRevision',
    });
  }

  private async hasCommit(sha: string): Promise<boolean> {
    const { env } = this.cache.gitEnv(undefined);
    const r = await this.cache.git(['cat-file', '-e', `${sha}^{commit}`], { cwd: this.dir, env });
    return r.code === 0;
  }

  private async fetchAll(via?: Via): Promise<void> {
    const { env, secrets } = this.env(via);
    const r = await this.cache.git(
      ['fetch', '--quiet', '--prune', '--force', '--no-tags', '--no-write-fetch-head', this.url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'],
      { cwd: this.dir, env },
    );
    if (r.code !== 0) throw this.failure('fetching', r, secrets);
  }

  /** Makes sure `sha` is in the local cache, fetching from the server when it is not. */
  async ensureCommit(sha: string, ref?: string, via?: Via): Promise<void> {
    if (this.knownCommits.has(sha)) return;
    if (existsSync(join(this.treesDir, sha))) {
      this.knownCommits.add(sha);
      return;
    }
    await this.mutex.run(async () => {
      if (this.knownCommits.has(sha)) return;
      await this.init();
      if (await this.hasCommit(sha)) {
        this.knownCommits.add(sha);
        return;
      }
      await this.fetchAll(via);
      if (!(await this.hasCommit(sha))) {
        // Not reachable from branches or tags: ask for the ref (e.g. refs/pull/1/head) or the commit itself.
        const { env } = this.env(via);
        const want = ref && ref !== 'HEAD' && !ref.startsWith('refs/heads/') && !ref.startsWith('refs/tags/') ? `+${ref}:refs/flotilla/${ref.slice(5)}` : sha;
        await this.cache.git(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', this.url, want], { cwd: this.dir, env });
        if (!(await this.hasCommit(sha))) {
          throw new RepoError(`unable to resolve revision ${JSON.stringify(sha)} in ${this.safeUrl}: commit not found`, { code: 'UnknownRevision' });
        }
      }
      this.knownCommits.add(sha);
    });
  }

  /**
   * The files of commit `sha` (with submodules), written once under trees/. Call `release()` when
   * done so the tree may be evicted later.
   */
  async acquire(sha: string): Promise<{ tree: Tree; release: () => void }> {
    this.inUse.set(sha, (this.inUse.get(sha) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (this.inUse.get(sha) ?? 1) - 1;
      if (n <= 0) this.inUse.delete(sha);
      else this.inUse.set(sha, n);
    };
    try {
      const tree = await this.tree(sha);
      return { tree, release };
    } catch (e) {
      release();
      throw e;
    }
  }

  private tree(sha: string): Promise<Tree> {
    let p = this.trees.get(sha);
    if (!p) {
      p = this.buildTree(sha);
      this.trees.set(sha, p);
      p.catch(() => this.trees.delete(sha));
    }
    return p;
  }

  private async buildTree(sha: string): Promise<Tree> {
    const root = join(this.treesDir, sha);
    const metaFile = `${root}.json`;
    if (existsSync(root)) {
      this.knownCommits.add(sha);
      try {
        const meta = JSON.parse(await readFile(metaFile, 'utf8')) as { outOfBoundsSymlinks: string[] };
        return { sha, root, outOfBoundsSymlinks: meta.outOfBoundsSymlinks };
      } catch {
        const oob = await findOutOfBoundsSymlinks(root);
        await writeFile(metaFile, JSON.stringify({ outOfBoundsSymlinks: oob }));
        return { sha, root, outOfBoundsSymlinks: oob };
      }
    }
    await this.ensureCommit(sha);
    await mkdir(this.treesDir, { recursive: true });
    const tmp = join(this.treesDir, `.tmp-${sha.slice(0, 12)}-${process.pid}-${randomBytes(4).toString('hex')}`);
    // the newest tree of this repository written here, kept from eviction while it is copied
    const base = [...this.plainTrees].reverse().find((b) => b !== sha && existsSync(join(this.treesDir, b)));
    if (base) this.inUse.set(base, (this.inUse.get(base) ?? 0) + 1);
    try {
      const written = await this.writeTree(sha, tmp, 0, undefined, base);
      // without submodules the index lists every symlink of the tree: no walk of the whole tree
      const oob = written.plain ? await outOfBoundsLinks(tmp, written.symlinks) : await findOutOfBoundsSymlinks(tmp);
      await writeFile(metaFile, JSON.stringify({ outOfBoundsSymlinks: oob }));
      try {
        await rename(tmp, root);
      } catch (e) {
        if (!existsSync(root)) throw e; // someone else (another process) finished first
        await rm(tmp, { recursive: true, force: true });
      }
      if (written.plain) {
        this.plainTrees.push(sha);
        if (this.plainTrees.length > 4) this.plainTrees.shift();
      }
      await this.evict(sha);
      return { sha, root, outOfBoundsSymlinks: oob };
    } catch (e) {
      await rm(tmp, { recursive: true, force: true }).catch(() => {});
      throw e;
    } finally {
      if (base) {
        const n = (this.inUse.get(base) ?? 1) - 1;
        if (n <= 0) this.inUse.delete(base);
        else this.inUse.set(base, n);
      }
    }
  }

  /**
   * Writes the files of `sha` into `dest` as a copy of the tree of `base` (hard links: trees are
   * never written to, and git replaces a file rather than writing into it) with the files that
   * differ checked out again and the removed ones deleted. False when it could not (the caller
   * writes the whole tree).
   */
  private async writeTreeFrom(base: string, sha: string, dest: string, ienv: NodeJS.ProcessEnv): Promise<boolean> {
    const { env } = this.cache.gitEnv(undefined);
    const d = await this.cache.git(['diff-tree', '-r', '-z', '--no-renames', '--no-commit-id', base, sha], { cwd: this.dir, env });
    if (d.code !== 0) return false;
    const fields = d.stdout.split('\0');
    const remove: string[] = [];
    const write: string[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const m = /^:(\d{6}) (\d{6}) [0-9a-f]+ [0-9a-f]+ ([A-Z])/.exec(fields[i]!);
      if (!m) return false;
      const path = fields[i + 1]!;
      if (m[1] === '160000' || m[2] === '160000') return false;
      if (m[3] !== 'A') remove.push(path);
      if (m[3] !== 'D') write.push(path);
    }
    if (write.length + remove.length > 2000) return false;
    await rm(dest, { recursive: true, force: true });
    const cp = await run('cp', ['-a', '-l', join(this.treesDir, base), dest], { timeoutMs: this.cache.opts.gitTimeoutMs });
    if (cp.code !== 0 || cp.spawnError) return false;
    const now = new Date();
    await utimes(dest, now, now); // eviction goes by the tree's age, not its base's
    for (const p of remove) {
      await rm(join(dest, p), { recursive: true, force: true });
      // a directory left empty is not in a checkout either
      for (let dir = dirname(p); dir !== '.' && dir !== ''; dir = dirname(dir)) {
        try {
          await rmdir(join(dest, dir));
        } catch {
          break;
        }
      }
    }
    if (write.length) {
      const r = await this.cache.git([`--work-tree=${dest}`, 'checkout-index', '--force', '-z', '--stdin'], { cwd: this.dir, env: ienv, input: write.join('\0') + '\0' });
      if (r.code !== 0) return false;
    }
    return true;
  }

  /** Writes the files of `sha` into `dest` (created), then its submodules, recursively. */
  /**
   * Writes the files of `sha` into `dest` (created), then its submodules, recursively; from the
   * tree of `base` (a commit of this repository already written) when given and possible.
   * `plain`: no submodules, and `symlinks` are all the tree's symlinks.
   */
  async writeTree(sha: string, dest: string, depth: number, via?: Via, base?: string): Promise<{ plain: boolean; symlinks: string[] }> {
    if (depth > 8) throw new RepoError(`submodules of ${this.safeUrl} nest more than 8 levels deep`, { code: 'GitFailed' });
    await this.ensureCommit(sha, undefined, via);
    const { gitlinks, symlinks } = await this.mutex.run(async () => {
      const { env } = this.cache.gitEnv(undefined);
      const index = `${dest}.index`;
      await mkdir(dest, { recursive: true });
      const ienv = { ...env, GIT_INDEX_FILE: index };
      try {
        let r = await this.cache.git(['read-tree', sha], { cwd: this.dir, env: ienv });
        if (r.code !== 0) throw new RepoError(`cannot read commit ${sha} of ${this.safeUrl}: ${firstLines(r.stderr)}`, { code: 'GitFailed' });
        r = await this.cache.git(['ls-files', '--stage', '-z'], { cwd: this.dir, env: ienv });
        if (r.code !== 0) throw new RepoError(`cannot list commit ${sha} of ${this.safeUrl}: ${firstLines(r.stderr)}`, { code: 'GitFailed' });
        const links: { path: string; sha: string }[] = [];
        const syms: string[] = [];
        for (const entry of r.stdout.split('\0')) {
          const m = /^(\d{6}) ([0-9a-f]{40}) \d+\t(.*)$/s.exec(entry);
          if (m?.[1] === '160000') links.push({ sha: m[2]!, path: m[3]! });
          else if (m?.[1] === '120000') syms.push(m[3]!);
        }
        if (!(base && !links.length && (await this.writeTreeFrom(base, sha, dest, ienv).catch(() => false)))) {
          await rm(dest, { recursive: true, force: true });
          await mkdir(dest, { recursive: true });
          r = await this.cache.git([`--work-tree=${dest}`, 'checkout-index', '--all', '--force'], { cwd: this.dir, env: ienv });
          if (r.code !== 0) throw new RepoError(`cannot check out ${sha} of ${this.safeUrl}: ${firstLines(r.stderr)}`, { code: 'GitFailed' });
        }
        return { gitlinks: links, symlinks: syms };
      } finally {
        await rm(index, { force: true });
      }
    });
    if (!gitlinks.length) return { plain: true, symlinks };
    const modules = await this.readGitmodules(join(dest, '.gitmodules'));
    for (const link of gitlinks) {
      const mod = modules.find((m) => m.path === link.path);
      if (!mod?.url) continue; // an uninitialised gitlink without .gitmodules entry stays an empty directory
      const subUrl = resolveSubmoduleUrl(this.url, mod.url);
      const sub = this.cache.repo(subUrl);
      const subVia: Via = { restrictLocal: via?.restrictLocal ?? !isLocalUrl(this.url) };
      const creds = this.credentials(via);
      if (creds) subVia.creds = creds;
      try {
        await sub.writeTree(link.sha, join(dest, link.path), depth + 1, subVia);
      } catch (e) {
        if (e instanceof RepoError) {
          e.message = `submodule ${JSON.stringify(link.path)} (${redact(subUrl)}): ${e.message}`;
          e.file = link.path;
        }
        throw e;
      }
    }
    return { plain: false, symlinks };
  }

  private async readGitmodules(file: string): Promise<{ name: string; path?: string; url?: string }[]> {
    if (!existsSync(file)) return [];
    const { env } = this.cache.gitEnv(undefined);
    const r = await this.cache.git(['config', '--file', file, '-z', '--get-regexp', '^submodule\\.'], { env });
    const mods = new Map<string, { name: string; path?: string; url?: string }>();
    for (const entry of r.stdout.split('\0')) {
      const nl = entry.indexOf('\n');
      if (nl < 0) continue;
      const key = entry.slice(0, nl);
      const value = entry.slice(nl + 1);
      const m = /^submodule\.(.*)\.(path|url)$/.exec(key);
      if (!m) continue;
      const mod = mods.get(m[1]!) ?? { name: m[1]! };
      mod[m[2] as 'path' | 'url'] = value;
      mods.set(m[1]!, mod);
    }
    return [...mods.values()];
  }

  /** Removes the least recently built trees beyond maxTreesPerRepo that nobody is using. */
  private async evict(keep: string): Promise<void> {
    const max = this.cache.opts.maxTreesPerRepo;
    try {
      const names = (await readdir(this.treesDir)).filter((n) => SHA_RE.test(n));
      if (names.length <= max) return;
      const withTime = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(this.treesDir, n))).mtimeMs })));
      withTime.sort((a, b) => a.t - b.t);
      let excess = names.length - max;
      for (const { n } of withTime) {
        if (excess <= 0) break;
        if (n === keep || this.inUse.has(n)) continue;
        this.trees.delete(n);
        await rm(join(this.treesDir, n), { recursive: true, force: true });
        await rm(join(this.treesDir, `${n}.json`), { force: true });
        excess--;
      }
    } catch {
      /* eviction is best effort */
    }
  }
}

/** The symlinks among `paths` (relative to `root`) whose target lies outside `root`. */
async function outOfBoundsLinks(root: string, paths: string[]): Promise<string[]> {
  const bad: string[] = [];
  for (const p of paths) {
    const abs = join(root, p);
    const target = await readlink(abs).catch(() => undefined);
    if (target === undefined) continue;
    if (isAbsolute(target) || !isWithin(root, resolve(dirname(abs), target))) bad.push(p);
  }
  return bad;
}
