/**
 * The nginx process (I/O): a generated configuration in a directory of its own, checked with
 * `nginx -t` before it replaces the running one, applied with `nginx -s reload`, and known to be
 * live once the new workers answer the configuration's hash on the internal status port.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { constants, existsSync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { request } from 'node:http';

export const NGINX_BINARY = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? 'nginx';
export const STREAM_MODULE = ['/usr/lib/nginx/modules/ngx_stream_module.so', '/usr/share/nginx/modules/ngx_stream_module.so'].find((p) => existsSync(p));

function run(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(NGINX_BINARY, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

export interface NginxOpts {
  dir: string;
  /** the internal server's port (503 backend, configuration hash) */
  statusPort: number;
  log: (msg: string) => void;
}

export class Nginx {
  private proc?: ChildProcess;
  private current = '';
  private exited?: Promise<void>;
  constructor(private readonly o: NginxOpts) {
    for (const d of ['', 'certs', 'client-body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(o.dir, d), { recursive: true, mode: 0o755 });
    this.accessLog();
  }

  /**
   * nginx's access log is a FIFO this process copies to its stdout: nginx cannot open /dev/stdout
   * when it is a socket (ENXIO), which is what a pod's or a test's stdout often is.
   */
  private accessLog(): void {
    const fifo = join(this.o.dir, 'access.log');
    try {
      if (existsSync(fifo)) unlinkSync(fifo);
      execFileSync('mkfifo', ['-m', '0666', fifo]);
      const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
      const sock = new Socket({ fd, readable: true, writable: false });
      sock.on('data', (d) => process.stdout.write(d));
      sock.on('error', () => {});
      sock.unref();
    } catch (e) {
      this.o.log(`access log: ${(e as Error).message}; nginx writes it to ${fifo}`);
    }
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The hash of the configuration nginx is running (undefined before the first one). */
  get hash(): string {
    return this.current;
  }

  /**
   * Applies a configuration (and its certificate files): no-op when unchanged; otherwise tested,
   * swapped in and reloaded (or nginx started). Resolves once nginx serves it; rejects with nginx's
   * message when the configuration is invalid (the running one stays).
   */
  async apply(conf: string, files: Record<string, string>, hash: string): Promise<boolean> {
    if (hash === this.current && this.running) return false;
    for (const [rel, text] of Object.entries(files)) {
      const p = join(this.o.dir, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text, { mode: 0o600 });
    }
    const next = join(this.o.dir, 'nginx.conf.next');
    const live = join(this.o.dir, 'nginx.conf');
    writeFileSync(next, conf);
    const t = await run(['-t', '-q', '-p', this.o.dir, '-e', 'stderr', '-c', next]);
    if (t.code !== 0) throw new Error(`nginx -t: ${t.out.trim()}`);
    renameSync(next, live);
    if (!this.running) this.start(live);
    else {
      const r = await run(['-s', 'reload', '-p', this.o.dir, '-e', 'stderr', '-c', live]);
      if (r.code !== 0) {
        this.o.log(`nginx -s reload failed (${r.out.trim()}); sending SIGHUP`);
        this.proc?.kill('SIGHUP');
      }
    }
    await this.waitServing(hash);
    this.current = hash;
    return true;
  }

  private start(conf: string): void {
    this.o.log(`starting ${NGINX_BINARY} -p ${this.o.dir} -c ${conf}`);
    const p = spawn(NGINX_BINARY, ['-p', this.o.dir, '-e', 'stderr', '-c', conf], { stdio: ['ignore', 'inherit', 'inherit'] });
    this.proc = p;
    this.exited = new Promise((resolve) =>
      p.on('exit', (code, sig) => {
        this.o.log(`nginx exited (${code ?? sig})`);
        if (this.proc === p) this.current = '';
        resolve();
      }),
    );
  }

  private async waitServing(hash: string, timeoutMs = 15_000): Promise<void> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (!this.running) throw new Error('nginx is not running');
      const got = await new Promise<string>((resolve) => {
        const r = request({ host: '127.0.0.1', port: this.o.statusPort, path: '/configuration-hash', agent: false, timeout: 1000 }, (res) => {
          let s = '';
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve(s.trim()));
        });
        r.on('error', () => resolve(''));
        r.on('timeout', () => r.destroy());
        r.end();
      });
      if (got === hash) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nginx did not load configuration ${hash} within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.proc!.kill('SIGQUIT');
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }
}
