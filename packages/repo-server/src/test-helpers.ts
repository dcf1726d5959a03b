/**
 * Test helpers (not part of the public API): build real Git repositories in temp directories and
 * serve them over `git daemon` or `git http-backend` on 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { RenderedObject } from './types.js';

export const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Flotilla Test',
  GIT_AUTHOR_EMAIL: 'test@flotilla.invalid',
  GIT_COMMITTER_NAME: 'Flotilla Test',
  GIT_COMMITTER_EMAIL: 'test@flotilla.invalid',
  GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
  LC_ALL: 'C',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

const tmpRoots: string[] = [];
export function tempDir(prefix = 'flotilla-rs-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tmpRoots.push(d);
  return d;
}
export function cleanupTemp(): void {
  for (const d of tmpRoots.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Copies a directory tree, making the copy writable (the shared fixtures are read-only). */
export function copyTree(src: string, dest: string): void {
  cpSync(src, dest, { recursive: true, verbatimSymlinks: true });
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    chmodSync(p, st.mode | 0o200);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(dest);
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [p, content] of Object.entries(files)) {
    const abs = join(root, p);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

/** A working repository plus the bare repository it pushes to (what the servers serve). */
export class TestRepo {
  readonly work: string;
  readonly bare: string;
  private tick = 0;

  constructor(
    readonly base: string,
    readonly name: string,
    branch = 'main',
  ) {
    this.work = join(base, `${name}.work`);
    this.bare = join(base, `${name}.git`);
    mkdirSync(this.work, { recursive: true });
    git(this.work, 'init', '-q', '-b', branch);
    git(base, 'init', '-q', '--bare', this.bare);
    git(this.bare, 'symbolic-ref', 'HEAD', `refs/heads/${branch}`);
    git(this.work, 'remote', 'add', 'origin', this.bare);
  }

  write(files: Record<string, string>): this {
    writeFiles(this.work, files);
    return this;
  }

  /** Commits everything and pushes all branches and tags; returns the new commit SHA. */
  commit(message = 'change'): string {
    git(this.work, 'add', '-A');
    this.tick++;
    const date = `2024-01-01T00:${String(Math.floor(this.tick / 60)).padStart(2, '0')}:${String(this.tick % 60).padStart(2, '0')}Z`;
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', message], {
      cwd: this.work,
      env: { ...GIT_ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    });
    this.push();
    return git(this.work, 'rev-parse', 'HEAD');
  }

  tag(name: string, annotated = false): void {
    if (annotated) git(this.work, 'tag', '-a', '-m', name, name);
    else git(this.work, 'tag', name);
    this.push();
  }

  branch(name: string, checkout = true): void {
    git(this.work, checkout ? 'checkout' : 'branch', ...(checkout ? ['-q', '-b', name] : [name]));
  }

  checkout(name: string): void {
    git(this.work, 'checkout', '-q', name);
  }

  push(): void {
    git(this.work, 'push', '-q', '--force', '--all', 'origin');
    git(this.work, 'push', '-q', '--force', '--tags', 'origin');
  }

  head(): string {
    return git(this.work, 'rev-parse', 'HEAD');
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface GitDaemon {
  port: number;
  url(repoName: string): string;
  stop(): Promise<void>;
}

/** Serves every repository under `baseDir` read-only at git://127.0.0.1:<port>/<name>. */
export async function startGitDaemon(baseDir: string): Promise<GitDaemon> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      'git',
      ['daemon', '--reuseaddr', '--export-all', `--base-path=${baseDir}`, '--listen=127.0.0.1', `--port=${port}`, '--informative-errors', baseDir],
      { env: GIT_ENV, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    try {
      await waitForPort(port);
    } catch (e) {
      child.kill('SIGKILL');
      if (attempt < 3) continue;
      throw e;
    }
    return {
      port,
      url: (name) => `git://127.0.0.1:${port}/${name}`,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
  }
}

export interface HttpGitServer {
  port: number;
  url(repoName: string): string;
  /** Requests answered 401. */
  rejected: number;
  stop(): Promise<void>;
}

/**
 * `git http-backend` behind node:http on 127.0.0.1, demanding HTTP basic auth (or a bearer
 * token) on every request.
 */
export async function startHttpGitServer(
  baseDir: string,
  auth: { username: string; password: string } | { bearer: string } | undefined,
): Promise<HttpGitServer> {
  const state = { rejected: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const header = req.headers['authorization'] ?? '';
    let user = '';
    if (auth) {
      let ok = false;
      if ('bearer' in auth) ok = header === `Bearer ${auth.bearer}`;
      else if (header.startsWith('Basic ')) {
        const [u, ...p] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
        ok = u === auth.username && p.join(':') === auth.password;
        user = u ?? '';
      }
      if (!ok) {
        state.rejected++;
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="flotilla-test"', 'Content-Type': 'text/plain' });
        res.end('authentication required\n');
        return;
      }
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const env: NodeJS.ProcessEnv = {
      ...GIT_ENV,
      GIT_PROJECT_ROOT: baseDir,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_USER: user,
      SERVER_PROTOCOL: 'HTTP/1.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
    };
    if (req.headers['content-length']) env['CONTENT_LENGTH'] = req.headers['content-length'];
    if (req.headers['content-encoding']) env['HTTP_CONTENT_ENCODING'] = String(req.headers['content-encoding']);
    if (req.headers['git-protocol']) env['GIT_PROTOCOL'] = String(req.headers['git-protocol']);
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    req.pipe(cgi.stdin!);
    let buf = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout!.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      buf = Buffer.concat([buf, chunk]);
      let end = buf.indexOf('\r\n\r\n');
      let sepLen = 4;
      if (end < 0) {
        end = buf.indexOf('\n\n');
        sepLen = 2;
      }
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of buf.subarray(0, end).toString('utf8').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.write(buf.subarray(end + sepLen));
    });
    cgi.on('close', () => {
      if (!headersDone) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    get rejected() {
      return state.rejected;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** /work/shared/upstream (or $FLOTILLA_UPSTREAM), or undefined when absent. */
export function upstreamDir(): string | undefined {
  const candidates = [process.env['FLOTILLA_UPSTREAM'], fileURLToPath(new URL('../../../../shared/upstream/', import.meta.url))];
  return candidates.find((c) => c && existsSync(c));
}

export function testdata(rel: string): string {
  return fileURLToPath(new URL(`../src/testdata/${rel}`, import.meta.url));
}

/** Expected render output: a YAML list of `{ source, object }` entries. */
export interface Expected {
  source: string;
  object: Record<string, unknown>;
}

export function loadExpected(text: string): Expected[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  return list.flatMap((d) => (d.toJS() as Expected[] | null) ?? []);
}

export function objectKey(o: { apiVersion?: unknown; kind?: unknown; metadata?: { namespace?: unknown; name?: unknown } }): string {
  const group = String(o.apiVersion ?? '').includes('/') ? String(o.apiVersion).split('/')[0] : '';
  return `${group}/${String(o.kind)}/${String(o.metadata?.namespace ?? '')}/${String(o.metadata?.name ?? '')}`;
}

/** Compares rendered objects with expectations object by object (order-insensitive). */
export function diffObjects(actual: readonly RenderedObject[], expected: Expected[]): string[] {
  const problems: string[] = [];
  const byKey = new Map(actual.map((a) => [objectKey(a.object as never), a]));
  if (byKey.size !== actual.length) problems.push(`duplicate objects in output: ${actual.map((a) => objectKey(a.object as never)).join(', ')}`);
  for (const e of expected) {
    const k = objectKey(e.object as never);
    const a = byKey.get(k);
    if (!a) {
      problems.push(`missing ${k}`);
      continue;
    }
    byKey.delete(k);
    if (a.source !== e.source) problems.push(`${k}: source ${a.source} != expected ${e.source}`);
    const aj = JSON.stringify(sortKeys(a.object));
    const ej = JSON.stringify(sortKeys(e.object));
    if (aj !== ej) problems.push(`${k}: object differs\n  actual:   ${aj}\n  expected: ${ej}`);
  }
  for (const k of byKey.keys()) problems.push(`unexpected ${k}`);
  return problems;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
