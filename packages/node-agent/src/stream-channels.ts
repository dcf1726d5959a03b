/**
 * The transports of exec and attach (see streaming.ts): the client-facing stream plumbing
 * (StreamIO, the status payload, resize messages) and its two codecs — WebSocket channels
 * (`v5.channel.k8s.io` … `channel.k8s.io`, `base64.` variants) and SPDY streams told apart by
 * their `streamtype` header.
 */
import type { WebSocket, RawData } from 'ws';
import type { SpdySession, SpdyStream } from './spdy.js';

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
export function resizeParser(fn: (cols: number, rows: number) => void): (d: Buffer) => void {
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
