/**
 * Container logs. A container's stdout and stderr are FIFOs the agent reads; each line is written
 * to `<restartCount>.log` in the CRI log format (`<RFC3339Nano> <stream> <F|P> <text>`), rotated
 * at a size, and read back for `GET /containerLogs` with kubectl's parameters.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync, constants as fsc } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Now as RFC 3339 with nanoseconds (microsecond precision). */
export function nowNano(): string {
  const ms = performance.timeOrigin + performance.now();
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString(); // …SS.mmmZ
  const micros = Math.floor((ms - whole) * 1000);
  return `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}000Z`;
}

/** Parses an RFC 3339 timestamp with up to nanoseconds into epoch ms (fraction kept). */
export function parseNano(ts: string): number {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(ts);
  if (!m) return Date.parse(ts);
  const base = Date.parse(`${m[1]}Z`);
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return base + frac;
}

const PARTIAL_MAX = 16 * 1024;

export interface LogRecord {
  ts: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

type Follower = { onRecord(r: LogRecord): void; onEnd(): void };

/** The log of one container: its FIFOs, current run file, followers. */
export class ContainerLog {
  private sockets: Socket[] = [];
  private fds: [number, 'stdout' | 'stderr'][] = [];
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private out?: number;
  private batch: string[] = [];
  private batchBytes = 0;
  private outBytes = 0;
  private run = -1;
  private runEnded = true;
  private readonly followers = new Map<number, Set<Follower>>();

  constructor(
    /** path prefix: run N is written to `<prefix>.<N>.log` */
    readonly prefix: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
  ) {}

  /** Opens the FIFOs (read+write, non-blocking: never EOF, never blocks). Idempotent. */
  openFifos(outFifo: string, errFifo: string): void {
    if (this.sockets.length) return;
    for (const [path, stream] of [
      [outFifo, 'stdout'],
      [errFifo, 'stderr'],
    ] as const) {
      const fd = openSync(path, fsc.O_RDWR | fsc.O_NONBLOCK);
      const s = new Socket({ fd, readable: true, writable: false });
      s.on('data', (d: Buffer) => this.onData(stream, this.decoders[stream].write(d)));
      s.on('error', () => {});
      this.sockets.push(s);
      this.fds.push([fd, stream]);
    }
  }

  /**
   * Reads whatever is still in the FIFOs, synchronously. Called when the container has exited:
   * its output is all in the pipes by then, so the run's log is complete before its status says so.
   */
  drainSync(): void {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (const [fd, stream] of this.fds) {
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, buf.length, null);
        } catch {
          break; // EAGAIN: empty
        }
        if (n <= 0) break;
        this.onData(stream, this.decoders[stream].write(buf.subarray(0, n)));
      }
    }
  }

  private onData(stream: 'stdout' | 'stderr', d: string): void {
    let buf = this.pending[stream] + d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      this.record(stream, buf.slice(0, i), false);
      buf = buf.slice(i + 1);
    }
    while (buf.length > PARTIAL_MAX) {
      this.record(stream, buf.slice(0, PARTIAL_MAX), true);
      buf = buf.slice(PARTIAL_MAX);
    }
    this.pending[stream] = buf;
    this.flushBatch();
  }

  private flushBatch(): void {
    if (!this.batch.length) return;
    const text = this.batch.join('');
    this.batch = [];
    this.batchBytes = 0;
    if (this.out === undefined) return;
    try {
      writeSync(this.out, text);
    } catch {
      /* disk full or gone: the lines are lost, the container is not blocked */
    }
    this.outBytes += Buffer.byteLength(text);
    if (this.outBytes >= this.maxBytes) this.rotate();
  }

  private record(stream: 'stdout' | 'stderr', text: string, partial: boolean): void {
    const r: LogRecord = { ts: nowNano(), stream, partial, text };
    if (this.run < 0) this.beginRun(0);
    const line = `${r.ts} ${stream} ${partial ? 'P' : 'F'} ${text}\n`;
    this.batch.push(line);
    this.batchBytes += Buffer.byteLength(line);
    if (this.outBytes + this.batchBytes >= this.maxBytes) this.flushBatch();
    for (const f of this.followers.get(this.run) ?? []) f.onRecord(r);
  }

  private file(run: number): string {
    return `${this.prefix}.${run}.log`;
  }

  private rotate(): void {
    this.closeOut();
    const base = this.file(this.run);
    const keep = Math.max(1, this.maxFiles - 1);
    try {
      rmSync(`${base}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) if (existsSync(`${base}.${i}`)) renameSync(`${base}.${i}`, `${base}.${i + 1}`);
      renameSync(base, `${base}.1`);
    } catch {
      /* best effort */
    }
    this.out = openSync(base, 'a', 0o640);
    this.outBytes = 0;
  }

  private closeOut(): void {
    if (this.out === undefined) return;
    try {
      closeSync(this.out);
    } catch {
      /* already closed */
    }
    this.out = undefined;
  }

  /** Starts writing run `run` (the container's restartCount). */
  beginRun(run: number): void {
    if (this.run === run && !this.runEnded) return;
    this.flushBatch();
    this.closeOut();
    mkdirSync(dirname(this.prefix), { recursive: true });
    const f = this.file(run);
    this.outBytes = existsSync(f) ? statSync(f).size : 0;
    this.out = openSync(f, 'a', 0o640);
    this.run = run;
    this.runEnded = false;
  }

  /** The run ended: drain what is still in the FIFOs, flush partial lines, end followers. */
  async endRun(rest?: { stdout?: Buffer; stderr?: Buffer }): Promise<void> {
    if (this.runEnded) return;
    // the pipe may still hold output the process wrote just before exiting
    this.drainSync();
    // what the shim saved from the pipes after the process exited
    for (const s of ['stdout', 'stderr'] as const) {
      const b = rest?.[s];
      if (b?.length) this.onData(s, this.decoders[s].write(b));
    }
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.pending[s]) {
        const t = this.pending[s];
        this.pending[s] = '';
        this.record(s, t, false);
      }
    }
    this.flushBatch();
    this.runEnded = true;
    // the run's writer is gone: the FIFOs are opened again for the next run (a finished pod's containers kept two
    // descriptors each until the pod was deleted — 6 per workflow pod, the agent's 20,000 gone after ~3,300 pods)
    this.closeFifos();
    const fs = this.followers.get(this.run);
    this.followers.delete(this.run);
    for (const f of fs ?? []) f.onEnd();
    this.closeOut();
  }

  get currentRun(): number {
    return this.run;
  }
  get running(): boolean {
    return !this.runEnded;
  }

  follow(run: number, f: Follower): () => void {
    let s = this.followers.get(run);
    if (!s) this.followers.set(run, (s = new Set()));
    s.add(f);
    return () => s!.delete(f);
  }

  private closeFifos(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets = [];
    this.fds = [];
  }

  close(): void {
    this.closeFifos();
    for (const fs of this.followers.values()) for (const f of fs) f.onEnd();
    this.followers.clear();
    this.flushBatch();
    this.closeOut();
  }

  /** All records of a run, oldest first (rotated files included). */
  read(run: number): LogRecord[] {
    const base = this.file(run);
    const files: string[] = [];
    for (let n = Math.max(1, this.maxFiles - 1); n >= 1; n--) if (existsSync(`${base}.${n}`)) files.push(`${base}.${n}`);
    files.push(base);
    const out: LogRecord[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        const r = parseRecord(line);
        if (r) out.push(r);
      }
    }
    return out;
  }

  hasRun(run: number): boolean {
    return existsSync(this.file(run));
  }
}

export function parseRecord(line: string): LogRecord | undefined {
  if (!line) return undefined;
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return { ts: line.slice(0, a), stream, partial: tag === 'P', text: c < 0 ? '' : line.slice(c + 1) };
}

export interface LogQuery {
  tailLines?: number;
  sinceMs?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

/** Formats records the way the kubelet streams them (a newline after each full line). */
export function formatRecord(r: LogRecord, timestamps: boolean): string {
  return `${timestamps ? `${r.ts} ` : ''}${r.text}${r.partial ? '' : '\n'}`;
}

/** Applies sinceSeconds/sinceTime and tailLines to records. */
export function selectRecords(records: LogRecord[], q: LogQuery): LogRecord[] {
  let rs = records;
  if (q.sinceMs !== undefined) rs = rs.filter((r) => parseNano(r.ts) >= q.sinceMs!);
  if (q.tailLines !== undefined && q.tailLines >= 0) {
    // count full lines from the end (a line is a run of partial records ending with a full one)
    let lines = 0;
    let i = rs.length;
    while (i > 0) {
      const r = rs[i - 1];
      if (!r.partial) {
        if (lines === q.tailLines) break;
        lines++;
      }
      i--;
    }
    rs = rs.slice(i);
  }
  return rs;
}
