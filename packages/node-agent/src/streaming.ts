/**
 * The kubelet's streaming endpoints — `exec`, `attach` and `portForward` — with the protocols
 * kubectl speaks to them:
 *
 * - **WebSocket channels** (`v5.channel.k8s.io` … `channel.k8s.io`, and the `base64.` variants):
 *   every message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error/status,
 *   4 resize — and v5 adds 255 "close this channel" (stdin EOF). kubectl ≥ 1.30 uses v5 for
 *   `exec` and `attach`.
 * - **SPDY/3.1** upgrades (`X-Stream-Protocol-Version: v4.channel.k8s.io` …, or
 *   `portforward.k8s.io`): one SPDY stream per channel, told apart by their `streamtype` header.
 *   kubectl falls back to this when the WebSocket upgrade is refused
 *   (`KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`, `KUBECTL_PORT_FORWARD_WEBSOCKETS=false`).
 * - **SPDY tunnelled in a WebSocket** (`SPDY/3.1+portforward.k8s.io`): kubectl's default for
 *   `port-forward` — the binary messages carry the SPDY byte stream.
 * - **WebSocket port-forward channels** (`v4.channel.k8s.io`, `portforward.k8s.io` over a
 *   WebSocket, `?port=N`): data and error channel per port, as @kubernetes/client-node uses.
 *
 * SPDY is implemented here (the subset kubectl's spdystream uses: SYN_STREAM/SYN_REPLY, DATA,
 * RST_STREAM, PING, GOAWAY; SETTINGS and WINDOW_UPDATE are accepted and ignored, as spdystream
 * does no flow control either). Header blocks are inflated with the SPDY/3 dictionary and our
 * own are sent as stored (uncompressed) deflate blocks, which every zlib reader accepts.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import type { WebSocket, RawData } from 'ws';
import type { PodWorker } from './pod.js';
import { signal } from './procs.js';

// ------------------------------------------------------------------------------------ SPDY/3

/** The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1). */
const SPDY_DICT: Buffer = (() => {
  const words = [
    'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'accept-ranges', 'age', 'allow',
    'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5',
    'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
    'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'retry-after',
    'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK',
    'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
  ];
  const tail =
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
    '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found' +
    '500 Internal Server Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ' +
    'Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,' +
    'text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  const parts: Buffer[] = [];
  for (const w of words) {
    const l = Buffer.alloc(4);
    l.writeUInt32BE(w.length);
    parts.push(l, Buffer.from(w, 'latin1'));
  }
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
})();
/** zlib header announcing the dictionary: CMF 0x78, FLG 0xbb (FDICT), then its Adler-32. */
const ZLIB_DICT_HEADER = Buffer.from('78bbe3c6a7c2', 'hex');

const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const FLAG_FIN = 1;
const RST_PROTOCOL_ERROR = 1;
const RST_CANCEL = 5;
const MAX_DATA = 64 * 1024;

/** One zlib inflate context for all header blocks of a session, fed in order. */
class HeaderInflater {
  private z = zlib.createInflate({ dictionary: SPDY_DICT });
  private out: Buffer[] = [];
  private failed: Error | undefined;
  constructor() {
    this.z.on('data', (c: Buffer) => this.out.push(c));
    this.z.on('error', (e) => (this.failed = e));
  }
  inflate(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      this.z.write(block);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        if (this.failed) return reject(this.failed);
        const o = Buffer.concat(this.out);
        this.out = [];
        resolve(o);
      });
    });
  }
  close(): void {
    this.z.destroy();
  }
}

function parseHeaderBlock(b: Buffer): Record<string, string> {
  const h: Record<string, string> = {};
  let o = 0;
  const n = b.readUInt32BE(o);
  o += 4;
  for (let i = 0; i < n; i++) {
    const kl = b.readUInt32BE(o);
    o += 4;
    const k = b.subarray(o, o + kl).toString('latin1').toLowerCase();
    o += kl;
    const vl = b.readUInt32BE(o);
    o += 4;
    const v = b.subarray(o, o + vl).toString('utf8');
    o += vl;
    h[k] = v.split('\0')[0];
  }
  return h;
}

/** A SPDY stream opened by the client. Readable: what the client sends; writable: DATA frames. */
export class SpdyStream extends Duplex {
  finSent = false;
  finReceived = false;
  wasReset = false;
  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: Record<string, string>,
  ) {
    super({ allowHalfOpen: true });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false, cb);
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.finSent = true;
    this.session.sendData(this.id, Buffer.alloc(0), true, cb);
    this.session.maybeForget(this);
  }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.wasReset && !(this.finSent && this.finReceived)) this.session.sendReset(this.id, RST_CANCEL);
    this.session.forget(this);
    cb(err);
  }
  /** the client sent data or FIN */
  receive(data: Buffer, fin: boolean): void {
    if (data.length) this.push(data);
    if (fin && !this.finReceived) {
      this.finReceived = true;
      this.push(null);
      this.session.maybeForget(this);
    }
  }
}

/**
 * The server side of a SPDY/3.1 session over a byte stream (an upgraded socket, or a WebSocket
 * carrying SPDY). Emits `stream` for every stream the client opens (already replied to) and
 * `close` once the transport is gone.
 */
export class SpdySession extends EventEmitter {
  private buf: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflater = new HeaderInflater();
  private headerSent = false;
  private pumping = false;
  private lastStreamId = 0;
  closed = false;

  constructor(private readonly t: Duplex) {
    super();
    t.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      void this.pump();
    });
    t.on('end', () => this.shutdown());
    t.on('close', () => this.shutdown());
    t.on('error', () => this.shutdown());
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.buf.length >= 8) {
        const len = this.buf.readUInt32BE(4) & 0xffffff;
        if (this.buf.length < 8 + len) break;
        const head = this.buf.subarray(0, 8);
        const payload = this.buf.subarray(8, 8 + len);
        this.buf = this.buf.subarray(8 + len);
        const flags = head[4];
        if (head[0] & 0x80) await this.control(head.readUInt16BE(2), flags, payload);
        else this.data(head.readUInt32BE(0) & 0x7fffffff, flags, payload);
      }
    } catch (e) {
      this.emit('protocolError', e);
      this.destroy();
    } finally {
      this.pumping = false;
    }
  }

  private data(id: number, flags: number, payload: Buffer): void {
    const s = this.streams.get(id);
    if (!s) return;
    // copy: the frame buffer is a view of the receive buffer
    s.receive(Buffer.from(payload), (flags & FLAG_FIN) !== 0);
  }

  private async control(type: number, flags: number, p: Buffer): Promise<void> {
    switch (type) {
      case SYN_STREAM: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = parseHeaderBlock(await this.inflater.inflate(p.subarray(10)));
        if (id % 2 === 0 || this.streams.has(id) || id <= this.lastStreamId) {
          this.sendReset(id, RST_PROTOCOL_ERROR);
          return;
        }
        this.lastStreamId = id;
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        this.sendReply(id);
        if (flags & FLAG_FIN) s.receive(Buffer.alloc(0), true);
        this.emit('stream', s);
        return;
      }
      case SYN_REPLY:
      case HEADERS:
        // keep the shared inflate context in step; nothing to do with them
        await this.inflater.inflate(p.subarray(4));
        return;
      case RST_STREAM: {
        const s = this.streams.get(p.readUInt32BE(0) & 0x7fffffff);
        if (s) {
          s.wasReset = true;
          s.destroy();
        }
        return;
      }
      case PING: {
        // echo the client's pings (odd ids); even ids would be answers to ours (we send none)
        if (p.readUInt32BE(0) % 2 === 1) this.write(Buffer.concat([Buffer.from([0x80, 3, 0, PING, 0, 0, 0, 4]), p]));
        return;
      }
      case GOAWAY:
        this.emit('goaway');
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, CREDENTIAL: not used (no flow control on either side)
        return;
    }
  }

  private headerBlock(h: Record<string, string>): Buffer {
    const parts: Buffer[] = [];
    const n = Buffer.alloc(4);
    n.writeUInt32BE(Object.keys(h).length);
    parts.push(n);
    for (const [k, v] of Object.entries(h)) {
      for (const s of [Buffer.from(k.toLowerCase(), 'latin1'), Buffer.from(v, 'utf8')]) {
        const l = Buffer.alloc(4);
        l.writeUInt32BE(s.length);
        parts.push(l, s);
      }
    }
    const raw = Buffer.concat(parts);
    // a stored deflate block (BFINAL 0, BTYPE 00) then the empty stored block that ends every
    // sync flush (00 00 00 ff ff): a reader hands out the data when it reaches the empty block,
    // without reading past the frame
    const stored = Buffer.alloc(5);
    stored[0] = 0;
    stored.writeUInt16LE(raw.length, 1);
    stored.writeUInt16LE(~raw.length & 0xffff, 3);
    const flush = Buffer.from([0, 0, 0, 0xff, 0xff]);
    const out = this.headerSent ? [stored, raw, flush] : [ZLIB_DICT_HEADER, stored, raw, flush];
    this.headerSent = true;
    return Buffer.concat(out);
  }

  private sendReply(id: number): void {
    const block = this.headerBlock({});
    const f = Buffer.alloc(12);
    f.writeUInt32BE((0x80030000 | SYN_REPLY) >>> 0, 0);
    f.writeUInt32BE(4 + block.length, 4);
    f.writeUInt32BE(id, 8);
    this.write(Buffer.concat([f, block]));
  }

  sendData(id: number, data: Buffer, fin: boolean, cb?: (e?: Error | null) => void): void {
    if (this.closed) {
      cb?.(new Error('the SPDY connection is closed'));
      return;
    }
    let off = 0;
    do {
      const n = Math.min(MAX_DATA, data.length - off);
      const last = off + n >= data.length;
      const h = Buffer.alloc(8);
      h.writeUInt32BE(id & 0x7fffffff, 0);
      h.writeUInt32BE(((last && fin ? FLAG_FIN : 0) << 24) | n, 4);
      this.write(Buffer.concat([h, data.subarray(off, off + n)]), last ? cb : undefined);
      off += n;
    } while (off < data.length);
  }

  sendReset(id: number, status: number): void {
    const f = Buffer.alloc(16);
    f.writeUInt32BE((0x80030000 | RST_STREAM) >>> 0, 0);
    f.writeUInt32BE(8, 4);
    f.writeUInt32BE(id & 0x7fffffff, 8);
    f.writeUInt32BE(status, 12);
    this.write(f);
  }

  /** GOAWAY: no more streams will be accepted; the client closes the connection. */
  goAway(): void {
    const f = Buffer.alloc(16);
    f.writeUInt32BE((0x80030000 | GOAWAY) >>> 0, 0);
    f.writeUInt32BE(8, 4);
    f.writeUInt32BE(this.lastStreamId, 8);
    f.writeUInt32BE(0, 12);
    this.write(f);
  }

  private write(b: Buffer, cb?: (e?: Error | null) => void): void {
    if (this.closed || this.t.destroyed || this.t.writableEnded) {
      cb?.();
      return;
    }
    if (cb) this.t.write(b, (e) => cb(e ?? null));
    else this.t.write(b);
  }

  maybeForget(s: SpdyStream): void {
    if (s.finSent && s.finReceived) this.streams.delete(s.id);
  }
  forget(s: SpdyStream): void {
    this.streams.delete(s.id);
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) {
      s.wasReset = true;
      s.destroy();
    }
    this.streams.clear();
    this.inflater.close();
    // the peer is gone (or half-closed: upgraded sockets allow that): nothing more to say
    if (!this.t.destroyed) this.t.destroy();
    this.emit('close');
  }

  /** closes the transport now */
  destroy(): void {
    this.t.destroy();
    this.shutdown();
  }

  /** ends the transport once written (the client may still be reading) */
  end(): void {
    if (!this.t.writableEnded) this.t.end();
  }
}

// ------------------------------------------------------------------ exec / attach plumbing

/** What exec and attach see of the client, whatever the transport. */
export interface StreamIO {
  stdout?: (d: Buffer) => void;
  stderr?: (d: Buffer) => void;
  /** null: stdin EOF */
  onStdin(fn: (d: Buffer | null) => void): void;
  onResize(fn: (cols: number, rows: number) => void): void;
  /** the client can send terminal sizes (a TTY, protocol v3+) */
  resizable: boolean;
  /** the transport went away before finish */
  onClose(fn: () => void): void;
  /** sends the final status and closes the streams */
  finish(r: ExecResult): void;
}

export type ExecResult = { exitCode: number; argv?: string[] } | { error: string };

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The error channel's content for a result, per protocol version (v4+: a Status as JSON). */
export function statusPayload(version: number, r: ExecResult): Buffer | undefined {
  if ('error' in r) {
    if (version < 4) return Buffer.from(r.error);
    return Buffer.from(
      JSON.stringify({ metadata: {}, status: 'Failure', message: `Internal error occurred: ${r.error}`, reason: 'InternalError', details: { causes: [{ message: r.error }] }, code: 500 }),
    );
  }
  if (r.exitCode === 0) return version < 4 ? undefined : Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }));
  const message = `command terminated with non-zero exit code: error executing command [${(r.argv ?? []).join(' ')}], exit code ${r.exitCode}`;
  if (version < 4) return Buffer.from(message);
  return Buffer.from(
    JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(r.exitCode) }] } }),
  );
}

/** Resize messages: JSON objects `{"Width":80,"Height":24}`, possibly several in one chunk. */
function resizeParser(fn: (cols: number, rows: number) => void): (d: Buffer) => void {
  let pending = '';
  return (d) => {
    pending += d.toString('utf8');
    let i: number;
    while ((i = pending.indexOf('}')) >= 0) {
      const obj = pending.slice(0, i + 1);
      pending = pending.slice(i + 1);
      try {
        const m = JSON.parse(obj.slice(obj.indexOf('{')));
        const w = Number(m.Width ?? m.width);
        const h = Number(m.Height ?? m.height);
        if (w > 0 && h > 0) fn(w, h);
      } catch {
        /* not a size */
      }
    }
  };
}

type Pty = {
  pid: number;
  onData(fn: (d: string | Buffer) => void): unknown;
  onExit(fn: (e: { exitCode: number; signal?: number }) => void): unknown;
  write(d: string | Buffer): void;
  resize(cols: number, rows: number): void;
};
type PtyModule = { spawn(file: string, args: string[], o: Record<string, unknown>): Pty };
let ptyModule: PtyModule | null | undefined;
/** @lydell/node-pty (prebuilt node-pty) when it loads here; undefined otherwise */
function loadPty(): PtyModule | undefined {
  if (ptyModule === undefined) {
    try {
      ptyModule = createRequire(import.meta.url)('@lydell/node-pty') as PtyModule;
    } catch {
      ptyModule = null;
    }
  }
  return ptyModule ?? undefined;
}
/** How TTYs are made: "node-pty", or "script" (util-linux) when node-pty cannot be loaded. */
export function ttyMechanism(): 'node-pty' | 'script' {
  return loadPty() ? 'node-pty' : 'script';
}

const shq = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * Runs `argv` beside a running container (PodWorker.commandIn: same sandbox view, environment
 * and network) in its own process group, streaming to `io`. The group is killed if the client
 * goes away first.
 */
export function runExec(w: PodWorker, container: string, argv: string[], o: StreamOptions, io: StreamIO): void {
  const cmd = w.commandIn(container, argv);
  if (!cmd) {
    io.finish({ error: `container not found (${JSON.stringify(container)})` });
    return;
  }
  const env = { ...cmd.env };
  let done = false;
  let pid: number | undefined;
  const finish = (r: ExecResult) => {
    if (done) return;
    done = true;
    io.finish(r);
  };
  io.onClose(() => {
    if (!done && pid) signal(-pid, 'SIGKILL');
    done = true;
  });
  const pty = o.tty ? loadPty() : undefined;
  if (pty) {
    env.TERM ??= 'xterm';
    let p: Pty | undefined;
    let size: [number, number] | undefined;
    const pending: (Buffer | null)[] = [];
    const start = () => {
      if (p || done) return;
      try {
        p = pty.spawn(cmd.file, cmd.args, { name: env.TERM, cols: size?.[0] ?? 80, rows: size?.[1] ?? 24, cwd: cmd.cwd, env, encoding: null });
      } catch (e) {
        finish({ error: `error executing command in container: ${(e as Error).message}` });
        return;
      }
      const t = p;
      pid = t.pid;
      t.onData((d) => io.stdout?.(Buffer.isBuffer(d) ? d : Buffer.from(d)));
      t.onExit((e) => finish({ exitCode: e.signal ? 128 + e.signal : e.exitCode, argv }));
      // EOF on a terminal is ^D
      for (const d of pending.splice(0)) t.write(d ?? Buffer.from([4]));
    };
    io.onStdin((d) => {
      if (done) return;
      if (p) p.write(d ?? Buffer.from([4]));
      else pending.push(d);
    });
    io.onResize((c, r) => {
      size = [c, r];
      if (!p) return start();
      try {
        if (!done) p.resize(c, r);
      } catch {
        /* exited */
      }
    });
    // clients with a terminal send its size first: start at that size (80x24 if none comes)
    if (io.resizable) setTimeout(start, 1000).unref();
    else start();
    return;
  }
  let file = cmd.file;
  let args = cmd.args;
  if (o.tty) {
    // no node-pty here: util-linux `script` makes the terminal (no resize)
    env.TERM ??= 'xterm';
    args = ['-qfec', [cmd.file, ...cmd.args].map(shq).join(' '), '/dev/null'];
    file = 'script';
  }
  let child: ChildProcess;
  try {
    child = spawn(file, args, { cwd: cmd.cwd, env, detached: true, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  } catch (e) {
    finish({ error: `error executing command in container: ${(e as Error).message}` });
    return;
  }
  pid = child.pid;
  child.stdout!.on('data', (d: Buffer) => io.stdout?.(d));
  child.stderr!.on('data', (d: Buffer) => (o.tty ? io.stdout : io.stderr)?.(d));
  child.stdin?.on('error', () => {});
  io.onStdin((d) => {
    if (!child.stdin || child.stdin.destroyed) return;
    if (d) child.stdin.write(d);
    else child.stdin.end();
  });
  io.onResize(() => {});
  let exit: number | undefined;
  child.on('error', (e: NodeJS.ErrnoException) => {
    const msg = e.code === 'ENOENT' ? `exec: ${JSON.stringify(argv[0])}: executable file not found in $PATH` : e.message;
    finish({ error: `error executing command in container: failed to exec in container: ${msg}` });
  });
  child.on('exit', (code, sig) => {
    exit = code ?? 128 + (sig ? signalNumber(sig) : 0);
    // a background process may hold stdout open: do not wait for it forever
    setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, 1000).unref();
  });
  child.on('close', (code, sig) => {
    finish({ exitCode: exit ?? code ?? 128 + (sig ? signalNumber(sig) : 0), argv });
  });
}

function signalNumber(sig: NodeJS.Signals): number {
  return osConstants.signals[sig] ?? 1;
}

/**
 * Attach: the container's output from now on, and — for a container with `stdin: true` — what
 * the client types, written to the container's stdin FIFO (other containers have no stdin: the
 * client's input is discarded). Ends with Success when the container exits. With `stdinOnce`, the
 * end of the client's stdin (or of the session) closes the container's stdin for good.
 */
export function runAttach(w: PodWorker, container: string, o: StreamOptions, io: StreamIO): void {
  const log = w.containerLog(container);
  const info = w.containerInfo(container);
  if (!log || !info?.running) {
    io.finish({ error: `container not found (${JSON.stringify(container)})` });
    return;
  }
  let done = false;
  const unsubscribe = log.follow(log.currentRun, {
    onRecord: (r) => {
      const d = Buffer.from(r.partial ? r.text : `${r.text}\n`);
      if (r.stream === 'stderr' && !o.tty) io.stderr?.(d);
      else io.stdout?.(d);
    },
    onEnd: () => {
      if (done) return;
      done = true;
      unsubscribe();
      io.finish({ exitCode: 0 });
    },
  });
  const stdin = o.stdin ? w.stdinOf(container) : undefined;
  let sink: WriteStream | undefined;
  let ended = false;
  const endStdin = () => {
    if (ended || !stdin) return;
    ended = true;
    sink?.end();
    if (stdin.once) w.closeStdin(container);
  };
  if (stdin) {
    // the container holds the FIFO open for reading: opening it to write does not block
    sink = createWriteStream(stdin.path, { flags: 'a' });
    sink.on('error', () => {});
  }
  io.onStdin((d) => {
    if (!sink) return;
    if (d === null) endStdin();
    else if (!ended) sink.write(d);
  });
  io.onResize(() => {});
  io.onClose(() => {
    done = true;
    unsubscribe();
    endStdin();
  });
}

// --------------------------------------------------------------------------- WebSocket

/** `v5.channel.k8s.io` → {version 5, base64 false}; `base64.channel.k8s.io` → {1, true} */
export function channelProtocol(p: string): { version: number; base64: boolean } | undefined {
  const m = /^(?:v([1-5])\.)?(base64\.)?channel\.k8s\.io$/.exec(p);
  if (!m) return undefined;
  return { version: m[1] ? Number(m[1]) : 1, base64: !!m[2] };
}

/** exec/attach over a WebSocket of the channel protocol family. */
export function webSocketStreams(ws: WebSocket, protocol: string, o: StreamOptions): StreamIO {
  const { version, base64 } = channelProtocol(protocol) ?? { version: 1, base64: false };
  const send = (ch: number, d: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    if (base64) ws.send(String.fromCharCode(48 + ch) + d.toString('base64'));
    else ws.send(Buffer.concat([Buffer.from([ch]), d]));
  };
  let stdinFn: (d: Buffer | null) => void = () => {};
  let resizeFn: (d: Buffer) => void = () => {};
  const closeFns: (() => void)[] = [];
  let finished = false;
  ws.on('message', (raw: RawData, isBinary: boolean) => {
    let buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw as ArrayBuffer);
    if (buf.length === 0) return;
    let ch = buf[0];
    buf = buf.subarray(1);
    if (base64 || !isBinary) {
      if (ch !== 255) ch -= 48;
      if (base64) buf = Buffer.from(buf.toString('latin1'), 'base64');
    }
    if (ch === 0 && o.stdin) stdinFn(buf);
    else if (ch === 4) resizeFn(buf);
    else if (ch === 255 && version >= 5 && buf[0] === 0) stdinFn(null);
  });
  ws.on('close', () => {
    if (!finished) for (const f of closeFns) f();
  });
  ws.on('error', () => {});
  // an empty message on the lowest writable channel tells the client the streams are open
  send(o.stdout ? 1 : o.stderr ? 2 : 3, Buffer.alloc(0));
  return {
    stdout: o.stdout ? (d) => send(1, d) : undefined,
    stderr: o.stderr && !o.tty ? (d) => send(2, d) : undefined,
    onStdin: (fn) => (stdinFn = fn),
    onResize: (fn) => (resizeFn = resizeParser(fn)),
    resizable: o.tty && version >= 3,
    onClose: (fn) => closeFns.push(fn),
    finish(r) {
      if (finished) return;
      finished = true;
      const st = statusPayload(version, r);
      if (st) send(3, st);
      if (ws.readyState === ws.OPEN) ws.close(1000);
    },
  };
}

// ------------------------------------------------------------------------- SPDY streams

/**
 * exec/attach over SPDY: waits for the streams the options call for (error, and stdin, stdout,
 * stderr, resize as requested), then hands them over. Undefined after 30 s without them.
 */
export function spdyStreams(session: SpdySession, version: number, o: StreamOptions, ready: (io: StreamIO | undefined) => void): void {
  const want = new Set(['error']);
  if (o.stdin) want.add('stdin');
  if (o.stdout) want.add('stdout');
  if (o.stderr && !o.tty) want.add('stderr');
  if (o.tty && version >= 3) want.add('resize');
  const got = new Map<string, SpdyStream>();
  let settled = false;
  const timer = setTimeout(() => {
    if (settled) return;
    settled = true;
    ready(undefined);
  }, 30_000);
  timer.unref();
  const closeFns: (() => void)[] = [];
  let finished = false;
  session.on('close', () => {
    clearTimeout(timer);
    if (!settled) {
      settled = true;
      ready(undefined);
    }
    if (!finished) for (const f of closeFns) f();
  });
  session.on('stream', (s: SpdyStream) => {
    const t = s.headers.streamtype;
    s.on('error', () => {});
    if (!want.has(t) || got.has(t)) {
      // a stream this request does not use: take it and ignore what comes on it
      s.resume();
      return;
    }
    got.set(t, s);
    if (got.size < want.size || settled) return;
    settled = true;
    clearTimeout(timer);
    const stdin = got.get('stdin');
    const resize = got.get('resize');
    const error = got.get('error')!;
    error.resume();
    const io: StreamIO = {
      stdout: got.has('stdout') ? (d) => void got.get('stdout')!.write(d) : undefined,
      stderr: got.has('stderr') ? (d) => void got.get('stderr')!.write(d) : undefined,
      onStdin(fn) {
        if (!stdin) return;
        stdin.on('data', (d: Buffer) => fn(d));
        stdin.on('end', () => fn(null));
      },
      onResize(fn) {
        if (!resize) return;
        resize.on('data', resizeParser(fn));
      },
      resizable: !!resize,
      onClose: (fn) => closeFns.push(fn),
      finish(r) {
        if (finished) return;
        finished = true;
        const st = statusPayload(version, r);
        if (st) error.write(st);
        for (const s of got.values()) if (!s.writableEnded && !s.destroyed) s.end();
        // the client closes the connection once it has read everything; GOAWAY says no more
        // streams will come, and the connection is cut if the client lingers
        session.goAway();
        setTimeout(() => session.destroy(), 10_000).unref();
      },
    };
    ready(io);
  });
}

// ---------------------------------------------------------------------------- port-forward

export type Dial = (port: number) => Promise<Duplex>;

function dialError(e: NodeJS.ErrnoException, ip: string, port: number): string {
  const why = e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.code === 'ETIMEDOUT' ? 'i/o timeout' : e.message;
  return e.message.startsWith('dial tcp') ? e.message : `dial tcp ${ip}:${port}: ${why}`;
}

/** Pipes a forwarded connection: client FIN ends our side, the pod's FIN ends the streams. */
function forward(w: PodWorker, dial: Dial, port: number, data: SpdyStream, error: SpdyStream, log: (m: string) => void): void {
  error.resume();
  dial(port).then(
    (sock) => {
      if (data.destroyed) {
        sock.destroy();
        return;
      }
      let over = false;
      const end = () => {
        if (over) return;
        over = true;
        if (!data.writableEnded && !data.destroyed) data.end();
        if (!error.writableEnded && !error.destroyed) error.end();
      };
      sock.on('error', () => end());
      sock.on('close', () => end());
      sock.on('end', () => end());
      sock.on('data', (d: Buffer) => {
        if (!data.destroyed && !data.writableEnded && !data.write(d)) {
          sock.pause();
          data.once('drain', () => sock.resume());
        }
      });
      data.on('data', (d: Buffer) => {
        if (!sock.destroyed && !sock.writableEnded) sock.write(d);
      });
      data.on('end', () => {
        if (!sock.destroyed && !sock.writableEnded) sock.end();
      });
      data.on('close', () => {
        if (!over) sock.destroy();
      });
    },
    (e: NodeJS.ErrnoException) => {
      const msg = `error forwarding port ${port} to pod ${w.namespace}/${w.name}, uid ${w.uid}: ${dialError(e, w.ip, port)}`;
      log(`port-forward: ${msg}`);
      if (!error.destroyed) error.end(msg);
      if (!data.destroyed && !data.writableEnded) data.end();
    },
  );
}

/**
 * Port-forward over SPDY (plain upgrade or tunnelled in a WebSocket): the client opens an
 * `error` and a `data` stream per connection, paired by `requestid`, both naming the `port`.
 */
export function servePortForward(session: SpdySession, w: PodWorker, dial: Dial, log: (m: string) => void): void {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer: NodeJS.Timeout }>();
  session.on('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });
  session.on('stream', (s: SpdyStream) => {
    s.on('error', () => {});
    const type = s.headers.streamtype;
    const port = Number(s.headers.port);
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      log(`port-forward: ${w.namespace}/${w.name}: refusing a stream with streamtype ${JSON.stringify(type)} port ${JSON.stringify(s.headers.port)}`);
      s.destroy();
      return;
    }
    // old clients pair by stream id: error stream N, data stream N+2
    const rid = s.headers.requestid ?? String(type === 'error' ? s.id : s.id - 2);
    let p = pairs.get(rid);
    if (!p) {
      const timer = setTimeout(() => {
        const q = pairs.get(rid);
        pairs.delete(rid);
        q?.error?.destroy();
        q?.data?.destroy();
      }, 30_000);
      timer.unref();
      pairs.set(rid, (p = { timer }));
    }
    p[type] = s;
    if (p.error && p.data) {
      clearTimeout(p.timer);
      pairs.delete(rid);
      forward(w, dial, port, p.data, p.error, log);
    }
  });
}

/**
 * Port-forward over WebSocket channels (`?port=A&port=B`): channel 2i carries port i's data,
 * 2i+1 its errors; each channel's first message is the port (uint16, little endian).
 */
export function webSocketPortForward(ws: WebSocket, protocol: string, ports: number[], w: PodWorker, dial: Dial, log: (m: string) => void): void {
  const base64 = /base64/.test(protocol);
  const send = (ch: number, d: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    if (base64) ws.send(String.fromCharCode(48 + ch) + d.toString('base64'));
    else ws.send(Buffer.concat([Buffer.from([ch]), d]));
  };
  const socks: (Duplex | undefined)[] = [];
  // what the client sends before the connection to the pod is up
  const early: Buffer[][] = ports.map(() => []);
  let open = ports.length;
  const closeOne = () => {
    if (--open <= 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  ports.forEach((port, i) => {
    const pb = Buffer.alloc(2);
    pb.writeUInt16LE(port);
    send(2 * i, pb);
    send(2 * i + 1, pb);
    dial(port).then(
      (sock) => {
        if (ws.readyState !== ws.OPEN) {
          sock.destroy();
          return;
        }
        socks[i] = sock;
        for (const b of early[i]) sock.write(b);
        early[i] = [];
        sock.on('data', (d: Buffer) => send(2 * i, d));
        sock.on('error', () => {});
        sock.on('close', closeOne);
      },
      (e: NodeJS.ErrnoException) => {
        const msg = `error forwarding port ${port} to pod ${w.namespace}/${w.name}, uid ${w.uid}: ${dialError(e, w.ip, port)}`;
        log(`port-forward: ${msg}`);
        send(2 * i + 1, Buffer.from(msg));
        closeOne();
      },
    );
  });
  ws.on('message', (raw: RawData) => {
    let buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw as ArrayBuffer);
    if (buf.length === 0) return;
    let ch = buf[0];
    buf = buf.subarray(1);
    if (base64) {
      ch -= 48;
      buf = Buffer.from(buf.toString('latin1'), 'base64');
    }
    if (ch % 2 !== 0 || ch / 2 >= ports.length) return;
    const sock = socks[ch / 2];
    if (sock) sock.write(buf);
    else early[ch / 2].push(buf);
  });
  ws.on('close', () => {
    for (const s of socks) s?.destroy();
  });
  ws.on('error', () => {});
}
