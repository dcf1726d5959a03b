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
 * This module runs exec and attach; the codecs are apart: `spdy.ts` (SPDY/3.1 framing),
 * `stream-channels.ts` (StreamIO over WebSocket channels or SPDY streams), and `portforward.ts`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import type { PodWorker } from './pod.js';
import { signal } from './procs.js';
import { shellQuote } from './pod-types.js';
import { type ExecResult, type StreamIO, type StreamOptions } from './stream-channels.js';

// the codecs and port-forward live in their own modules; server.ts imports them all from here
export { SpdySession, SpdyStream } from './spdy.js';
export { channelProtocol, spdyStreams, statusPayload, webSocketStreams, type ExecResult, type StreamIO, type StreamOptions } from './stream-channels.js';
export { servePortForward, webSocketPortForward, type Dial } from './portforward.js';

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
    // clients with a terminal send its size first: start at that size (80x24 if none comes within
    // 3 s — a loaded machine delayed kubectl's first resize past 1 s, and the command saw 80x24)
    if (io.resizable) setTimeout(start, 3000).unref();
    else start();
    return;
  }
  let file = cmd.file;
  let args = cmd.args;
  if (o.tty) {
    // no node-pty here: util-linux `script` makes the terminal (no resize)
    env.TERM ??= 'xterm';
    args = ['-qfec', [cmd.file, ...cmd.args].map(shellQuote).join(' '), '/dev/null'];
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
    if (!stdin.once) {
      sink?.end();
      return;
    }
    // the shim's writer closes only after ours has written everything and closed: closed first (our FIFO
    // open is asynchronous), the container would read EOF before the client's input
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      w.closeStdin(container);
    };
    if (!sink) return close();
    sink.once('close', close);
    sink.once('error', close);
    sink.end();
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
