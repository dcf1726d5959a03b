// Helpers shared by the benchmarks that drive a cluster over its API (not a benchmark itself:
// bench/run.mjs runs *.bench.mjs only).
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

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
