/**
 * Where the CLI writes and reads: stdout/stderr, prompts (echo off for passwords on a terminal),
 * and logrus-style log lines (`FATA[0000] msg` on a terminal, `time="…" level=fatal msg="…"`
 * otherwise, as the Argo CLIs print them). Tests may replace `io`'s members.
 */

const started = Date.now();

let stdinUsed = false;
/** process.stdin, noting that it was made (see releaseStdin). */
function stdin(): NodeJS.ReadStream {
  stdinUsed = true;
  return process.stdin;
}

export const io = {
  out(s: string): void {
    process.stdout.write(s);
  },
  err(s: string): void {
    process.stderr.write(s);
  },
  stdinIsTTY(): boolean {
    return !!stdin().isTTY;
  },
  stderrIsTTY(): boolean {
    return !!process.stderr.isTTY || process.env.FORCE_LOG_COLORS === '1';
  },
};

export function println(s = ''): void {
  io.out(s + '\n');
}

export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const LEVELS: Level[] = ['debug', 'info', 'warn', 'error', 'fatal'];
const TAG: Record<Level, string> = { debug: 'DEBU', info: 'INFO', warn: 'WARN', error: 'ERRO', fatal: 'FATA' };
const COLOR: Record<Level, number> = { debug: 37, info: 36, warn: 33, error: 31, fatal: 31 };
let minLevel: Level = 'info';
let logFormat: 'text' | 'json' = 'text';

export function setLogLevel(l: string): void {
  if (!LEVELS.includes(l as Level)) throw new Error(`Unknown log level: ${l}`);
  minLevel = l as Level;
}
export function setLogFormat(f: string): void {
  if (f !== 'text' && f !== 'json') throw new Error(`Unknown log format: ${f}`);
  logFormat = f;
}

function rfc3339(d: Date): string {
  const off = -d.getTimezoneOffset();
  const p = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60_000);
  const base = local.toISOString().slice(0, 19);
  return base + (off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${p(off / 60)}:${p(off % 60)}`);
}

function quote(v: string): string {
  return /^[a-zA-Z0-9\-._/@^+]+$/.test(v) ? v : JSON.stringify(v);
}

/** A log line as logrus' text formatter writes it. */
export function formatLog(level: Level, msg: string, tty: boolean, now = new Date()): string {
  if (logFormat === 'json') return JSON.stringify({ level, msg, time: rfc3339(now) }) + '\n';
  if (tty) {
    const secs = String(Math.floor((now.getTime() - started) / 1000)).padStart(4, '0');
    return `\x1b[${COLOR[level]}m${TAG[level]}\x1b[0m[${secs}] ${msg.padEnd(44)} \n`;
  }
  return `time=${quote(rfc3339(now))} level=${level} msg=${quote(msg)}\n`;
}

export function log(level: Level, msg: string): void {
  if (LEVELS.indexOf(level) < LEVELS.indexOf(minLevel)) return;
  io.err(formatLog(level, msg, io.stderrIsTTY()));
}

// ---------------------------------------------------------------- prompts

let pending = '';
let waiters: ((line: string | undefined) => void)[] = [];
let ended = false;
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  stdin().setEncoding('utf8');
  stdin().on('data', (d: string) => {
    pending += d;
    drain();
  });
  stdin().on('end', () => {
    ended = true;
    drain();
  });
}

function drain(): void {
  while (waiters.length) {
    const i = pending.indexOf('\n');
    if (i >= 0) {
      const line = pending.slice(0, i).replace(/\r$/, '');
      pending = pending.slice(i + 1);
      waiters.shift()!(line);
    } else if (ended) {
      const line = pending;
      pending = '';
      waiters.shift()!(line === '' ? undefined : line);
    } else break;
  }
  if (!waiters.length) stdin().pause();
}

/** Reads one line from stdin after writing the prompt (to stdout, as Go's fmt.Print does). */
export async function readLine(prompt: string, secret = false): Promise<string> {
  io.out(prompt);
  const tty = stdin().isTTY && secret;
  if (tty) stdin().setRawMode?.(true);
  try {
    const line = await new Promise<string | undefined>((resolve) => {
      if (tty) {
        // raw mode: collect until Enter, no echo
        let buf = '';
        const onData = (d: string) => {
          for (const ch of d) {
            if (ch === '\r' || ch === '\n') {
              stdin().off('data', onData);
              stdin().pause();
              resolve(buf);
              return;
            }
            if (ch === '\u0003') process.exit(130);
            if (ch === '\u007f') buf = buf.slice(0, -1);
            else buf += ch;
          }
        };
        stdin().setEncoding('utf8');
        stdin().on('data', onData);
        stdin().resume();
        return;
      }
      listen();
      waiters.push(resolve);
      stdin().resume();
      drain();
    });
    if (line === undefined) throw new Error('EOF');
    return line;
  } finally {
    if (tty) {
      stdin().setRawMode?.(false);
      io.out('\n');
    }
  }
}

/** Stops reading stdin so that the process can exit. */
export function releaseStdin(): void {
  // process.stdin is made on first use (a stream over the tty, pipe or file: ~2 ms); never for commands that do not read it
  if (!stdinUsed) return;
  if (listening) process.stdin.pause();
  process.stdin.unref?.();
}
