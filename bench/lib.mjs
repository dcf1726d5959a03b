// Helpers shared by the benchmarks that drive a cluster over its API (not a benchmark itself:
// bench/run.mjs runs *.bench.mjs only).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { connect } from 'node:tls';

/** `call(method, path, body?, contentType?)` → {status, body} against the API server. */
export function apiCaller({ url, token, ca }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca });
  const call = (method, path, body, type = 'application/json') =>
    new Promise((resolve, reject) => {
      const r = request(new URL(path, url), { method, agent, ca, headers: { authorization: `Bearer ${token}`, 'content-type': type } }, (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      r.on('error', reject);
      r.end(body === undefined ? undefined : JSON.stringify(body));
    });
  return { call, close: () => agent.destroy() };
}

/** Watches `path` (…?watch=true…) and calls onEvent(event, now) for every event; returns the request. */
export function watchEvents({ url, token, ca }, path, onEvent) {
  const req = request(new URL(path, url), { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const ev = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        onEvent(ev, performance.now());
      }
    });
  });
  req.end();
  return req;
}

/** Resident memory of a process, MB. */
export const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** CPU time (user + system) of a process, ms. */
export function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/**
 * A lean keep-alive HTTPS/1.1 client (one request in flight per connection), so the benchmark
 * measures the server rather than Node's general-purpose http client on this 2-core machine.
 */
export async function leanHttpsConnection({ url, token, ca }) {
  const u = new URL(url);
  const sock = connect({ host: u.hostname, port: Number(u.port), ca, servername: 'localhost' });
  await new Promise((resolve, reject) => {
    sock.once('secureConnect', resolve);
    sock.once('error', reject);
  });
  sock.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let waiter = null;
  const tryParse = () => {
    if (!waiter) return;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buf.subarray(0, end).toString('latin1');
    const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    if (buf.length < end + 4 + len) return;
    const status = Number(head.slice(9, 12));
    const body = buf.subarray(end + 4, end + 4 + len).toString();
    buf = buf.subarray(end + 4 + len);
    const w = waiter;
    waiter = null;
    w({ status, text: body });
  };
  sock.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    tryParse();
  });
  return {
    call(method, path, body) {
      const payload = body === undefined ? '' : JSON.stringify(body);
      return new Promise((resolve) => {
        waiter = resolve;
        sock.write(`${method} ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
      });
    },
    close: () => sock.destroy(),
  };
}

/**
 * Starts `flotilla up --data-dir DIR --port 0` as its own process; resolves once it is up with
 * {proc, url, token, ca} (from the kubeconfig it wrote).
 */
export async function startFlotillaUp(dataDir, nodeArgs = []) {
  const main = new URL('../packages/cli/dist/main.js', import.meta.url).pathname;
  const proc = spawn(process.execPath, [...nodeArgs, main, 'up', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /is up at (https:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (c) => reject(new Error(`flotilla up exited with ${c}`)));
  });
  const kc = readFileSync(join(dataDir, 'kubeconfig'), 'utf8');
  const token = /token: (\S+)/.exec(kc)[1];
  const ca = Buffer.from(/certificate-authority-data: (\S+)/.exec(kc)[1], 'base64').toString();
  return { proc, url, token, ca };
}

/** CPU ms of a process and its descendants, the reaped ones included (utime+stime+cutime+cstime). */
export function treeCpuMs(root) {
  const info = new Map();
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(') ') + 2).split(' ');
      info.set(Number(p), { ppid: Number(f[1]), ms: ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / 100 });
    } catch {
      /* gone */
    }
  }
  const kids = new Map();
  for (const [p, i] of info) kids.set(i.ppid, [...(kids.get(i.ppid) ?? []), p]);
  let total = 0;
  for (const stack = [root]; stack.length; ) {
    const p = stack.pop();
    total += info.get(p)?.ms ?? 0;
    stack.push(...(kids.get(p) ?? []));
  }
  return total;
}
