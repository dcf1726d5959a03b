/**
 * `@flotilla/repo-server/testkit`: real Git repositories served over HTTP for tests of every
 * package (the Argo CD controller, server and CLI).
 *
 * `startGitServer({ repos: { name: dir } })` builds one bare repository per entry and serves them
 * all with `git http-backend` (smart protocol, fetch and push) behind node:http on 127.0.0.1.
 * Pods of a `flotilla up` reach the same server as `host.flotilla.internal` (docs/networking.md:
 * the host's loopback is reachable from every pod under that name), so `podURL(name)` is the URL
 * to put in an Application's `repoURL`.
 *
 * The HTTP server runs in the calling process: run git clients against it asynchronously
 * (`execFile`, not `execFileSync`), or the blocked event loop never answers them.
 */
import { cpSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { copyTree, git, startHttpGitServer, tempDir, TestRepo, upstreamDir, writeFiles, type HttpGitServer } from './test-helpers.js';

/** Host name pods use for the host's loopback (docs/networking.md). */
export const POD_HOST_NAME = 'host.flotilla.internal';

export interface GitServerOptions {
  /**
   * name → a directory whose files become the first commit (a plain directory or the work tree of a
   * Git repository; `.git` is left out), or `null`/`''` for an empty repository with no commit.
   */
  repos: Record<string, string | null>;
  /** default branch of every repository (default `main`) */
  branch?: string;
  /** demand HTTP basic auth or a bearer token on every request (for credential tests) */
  auth?: { username: string; password: string } | { bearer: string };
}

export interface GitServer {
  port: number;
  /** `http://127.0.0.1:<port>/<name>.git` */
  url(name: string): string;
  /** the same repository as pods reach it: `http://host.flotilla.internal:<port>/<name>.git` */
  podURL(name: string): string;
  /**
   * Writes `files` (path → content; `null` deletes the file) into the repository's work tree,
   * commits everything and pushes; returns the new commit's SHA. A name not served yet adds a
   * new repository.
   */
  commit(name: string, files: Record<string, string | null>, message?: string): string;
  /** tags HEAD (lightweight, or annotated with a message) and pushes the tag */
  tag(name: string, tag: string, message?: string): void;
  /** creates (or moves) a branch at HEAD and pushes it; later commits stay on the current branch */
  branch(name: string, branch: string): void;
  /** the commit SHA a branch (default: the default branch) points to */
  head(name: string, branch?: string): string;
  /** requests refused with 401 so far (with `auth`) */
  readonly rejected: number;
  /** stops serving and removes the repositories */
  stop(): Promise<void>;
}

/** Serves real repositories over HTTP on 127.0.0.1 (see the module comment). */
export async function startGitServer(opts: GitServerOptions): Promise<GitServer> {
  const base = tempDir('flotilla-git-');
  const branch = opts.branch ?? 'main';
  const repos = new Map<string, TestRepo>();
  const add = (name: string, dir: string | null | undefined): TestRepo => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.endsWith('.git')) throw new Error(`startGitServer: bad repository name "${name}" (letters, digits, . _ -, no .git suffix)`);
    const r = new TestRepo(base, name, branch);
    // pushes over HTTP are accepted without authentication (http-backend refuses them otherwise)
    git(r.bare, 'config', 'http.receivepack', 'true');
    if (dir) {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`startGitServer: ${name}: ${dir} is not a directory`);
      const staging = join(base, `${name}.staging`);
      copyTree(dir, staging); // writable copy (shared fixtures are read-only)
      rmSync(join(staging, '.git'), { recursive: true, force: true });
      cpSync(staging, r.work, { recursive: true, verbatimSymlinks: true });
      rmSync(staging, { recursive: true, force: true });
      r.commit(`initial content of ${name}`);
    }
    repos.set(name, r);
    return r;
  };
  for (const [name, dir] of Object.entries(opts.repos)) add(name, dir);
  const http: HttpGitServer = await startHttpGitServer(base, opts.auth);
  const repo = (name: string): TestRepo => {
    const r = repos.get(name);
    if (!r) throw new Error(`startGitServer: no repository "${name}" (have: ${[...repos.keys()].join(', ')})`);
    return r;
  };
  return {
    port: http.port,
    url: (name) => `http://127.0.0.1:${http.port}/${name}.git`,
    podURL: (name) => `http://${POD_HOST_NAME}:${http.port}/${name}.git`,
    commit(name, files, message = 'change') {
      const r = repos.get(name) ?? add(name, null);
      // take in what was pushed to the repository from elsewhere first (commit() force-pushes)
      const current = git(r.work, 'symbolic-ref', '--short', 'HEAD');
      try {
        git(r.work, 'fetch', '-q', 'origin');
        git(r.work, 'merge', '-q', '--ff-only', `origin/${current}`);
      } catch {
        /* a new repository or branch: nothing to take in */
      }
      const writes: Record<string, string> = {};
      for (const [p, content] of Object.entries(files)) {
        if (p.startsWith('/') || p.split('/').includes('..')) throw new Error(`commit: path "${p}" must stay in the repository`);
        if (content === null) rmSync(join(r.work, p), { force: true, recursive: true });
        else writes[p] = content;
      }
      writeFiles(r.work, writes);
      return r.commit(message);
    },
    tag(name, tag, message) {
      repo(name).tag(tag, message !== undefined);
    },
    branch(name, b) {
      const r = repo(name);
      git(r.work, 'branch', '-f', b);
      r.push();
    },
    head: (name, b = branch) => git(repo(name).bare, 'rev-parse', `refs/heads/${b}`),
    get rejected() {
      return http.rejected;
    },
    async stop() {
      await http.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/**
 * A directory holding a copy of `../shared/upstream/argocd-example-apps` (or
 * `$FLOTILLA_UPSTREAM/argocd-example-apps`), ready to be a repository of `startGitServer`:
 * `startGitServer({ repos: { 'argocd-example-apps': exampleAppsRepo()! } })`.
 * Returns undefined, printing the reason, when the fixtures are absent.
 */
export function exampleAppsRepo(): string | undefined {
  const upstream = upstreamDir();
  const src = upstream && join(upstream, 'argocd-example-apps');
  if (!src || !existsSync(src)) {
    console.log(`# exampleAppsRepo: skipped: argocd-example-apps not found (looked in $FLOTILLA_UPSTREAM and ../shared/upstream)`);
    return undefined;
  }
  const root = tempDir('flotilla-example-apps-');
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'argocd-example-apps');
  mkdirSync(dir, { recursive: true });
  copyTree(src, dir);
  return dir;
}
