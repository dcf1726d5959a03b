/**
 * Container probes (exec, httpGet, tcpSocket; grpc is checked as a TCP connect) and the loop
 * that runs one probe with Kubernetes' timing and thresholds.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface ProbeResult {
  ok: boolean;
  message: string;
}

export interface ProbeTarget {
  podIP: string;
  ports: { name?: string; containerPort: number }[];
  /** connects to host:port in the pod's network (pods with a network namespace of their own) */
  dial?: (host: string, port: number) => Promise<import('node:stream').Duplex>;
  /** runs a command in the container's sandbox */
  exec(cmd: string[], timeoutMs: number): Promise<{ code: number; output: string }>;
}

function resolvePort(port: number | string | undefined, t: ProbeTarget): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return t.ports.find((p) => p.name === port)?.containerPort;
}

function httpProbe(h: any, t: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const port = resolvePort(h.port, t);
  const scheme = String(h.scheme ?? 'HTTP').toLowerCase();
  const host = h.host || t.podIP;
  if (port === undefined) return Promise.resolve({ ok: false, message: `port "${h.port}" not found in the container's ports` });
  const path = h.path ? (String(h.path).startsWith('/') ? h.path : `/${h.path}`) : '/';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.31', accept: '*/*' };
  for (const x of h.httpHeaders ?? []) headers[String(x.name).toLowerCase()] = String(x.value);
  return new Promise((resolve) => {
    const opts: any = { method: 'GET', headers, rejectUnauthorized: false, agent: false };
    if (t.dial) {
      const dial = t.dial;
      // createConnection is only used without an agent
      delete opts.agent;
      opts.createConnection = (_o: unknown, cb: (err: Error | null, s?: unknown) => void) => {
        dial(host, port).then(
          (s) => {
            if (scheme !== 'https') return cb(null, s);
            cb(null, tlsConnect({ socket: s as any, rejectUnauthorized: false, servername: /^[\d.]+$/.test(host) ? undefined : host }));
          },
          (e) => cb(e),
        );
        return undefined;
      };
    }
    const req = (scheme === 'https' ? httpsRequest : httpRequest)(url, opts, (res) => {
      const code = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 10_240) body += d;
      });
      res.on('end', () => {
        if (code >= 200 && code < 400) resolve({ ok: true, message: '' });
        else resolve({ ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on('error', (e) => resolve({ ok: false, message: `Get "${url}": ${e.message}` }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve({ ok: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on('error', (e: any) => resolve({ ok: false, message: `Get "${url}": dial tcp ${host}:${port}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}` }));
    req.end();
  });
}

function tcpProbe(hostIn: string | undefined, portIn: number | string | undefined, t: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const port = resolvePort(portIn, t);
  const host = hostIn || t.podIP;
  if (port === undefined) return Promise.resolve({ ok: false, message: `port "${portIn}" not found in the container's ports` });
  if (t.dial) {
    const dial = t.dial;
    return new Promise((resolve) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
      }, timeoutMs);
      dial(host, port).then(
        (s) => {
          s.destroy();
          if (done) return;
          clearTimeout(timer);
          resolve({ ok: true, message: '' });
        },
        (e: any) => {
          if (done) return;
          clearTimeout(timer);
          resolve({ ok: false, message: /^dial tcp/.test(e.message) ? e.message : `dial tcp ${host}:${port}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}` });
        },
      );
    });
  }
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    s.on('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ok: true, message: '' });
    });
    s.on('error', (e: any) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `dial tcp ${host}:${port}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}` });
    });
  });
}

/** Runs a probe (or a lifecycle handler, which has the same shape) once. */
export async function runProbe(probe: any, t: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, Number(probe.timeoutSeconds ?? 1)) * 1000;
  if (probe.exec) {
    const cmd: string[] = probe.exec.command ?? [];
    if (!cmd.length) return { ok: false, message: 'exec probe: no command' };
    const r = await t.exec(cmd, timeoutMs);
    if (r.code === 0) return { ok: true, message: '' };
    if (r.code === -1) return { ok: false, message: `command timed out: "${cmd.join(' ')}" timed out after ${timeoutMs / 1000}s` };
    return { ok: false, message: r.output.trim() || `command "${cmd.join(' ')}" exited with ${r.code}` };
  }
  if (probe.httpGet) return httpProbe(probe.httpGet, t, timeoutMs);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket.host, probe.tcpSocket.port, t, timeoutMs);
  if (probe.grpc) return tcpProbe(undefined, probe.grpc.port, t, timeoutMs);
  if (probe.sleep) {
    await new Promise((r) => setTimeout(r, Number(probe.sleep.seconds ?? 0) * 1000));
    return { ok: true, message: '' };
  }
  return { ok: false, message: 'probe has no handler' };
}

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

/**
 * Runs one probe periodically: after initialDelaySeconds, every periodSeconds; the result flips
 * after successThreshold consecutive successes / failureThreshold consecutive failures.
 */
export class ProbeLoop {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  /** current result: readiness starts failed, liveness and startup start "unknown" (undefined) */
  result: boolean | undefined;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: any,
    private readonly target: ProbeTarget,
    private readonly onChange: (kind: ProbeKind, ok: boolean, message: string) => void,
    private readonly onFailure: (kind: ProbeKind, message: string) => void,
  ) {
    this.result = kind === 'readiness' ? false : undefined;
  }

  start(): void {
    const delay = Math.max(0, Number(this.probe.initialDelaySeconds ?? 0)) * 1000;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let r: ProbeResult;
    try {
      r = await runProbe(this.probe, this.target);
    } catch (e) {
      r = { ok: false, message: (e as Error).message };
    }
    if (this.stopped) return;
    const successThreshold = Math.max(1, Number(this.probe.successThreshold ?? 1));
    const failureThreshold = Math.max(1, Number(this.probe.failureThreshold ?? 3));
    if (r.ok) {
      this.failures = 0;
      this.successes++;
      if (this.successes >= successThreshold && this.result !== true) {
        this.result = true;
        this.onChange(this.kind, true, '');
      }
    } else {
      this.successes = 0;
      this.failures++;
      this.onFailure(this.kind, r.message);
      if (this.failures >= failureThreshold && this.result !== false) {
        this.result = false;
        this.onChange(this.kind, false, r.message);
      }
    }
    if (this.stopped) return;
    const period = Math.max(1, Number(this.probe.periodSeconds ?? 10)) * 1000;
    this.timer = setTimeout(() => void this.tick(), period);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
