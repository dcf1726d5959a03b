#!/usr/bin/env node
// Admission webhook benchmark (issue 8 §3 targets), against `flotilla up` as its own process:
//   creates/s of ConfigMaps with 8 clients, with one no-op validating webhook registered for an
//   unrelated resource (secrets), against the same without it      (target: within 10 %)
//   p50 latency added to a create by a no-op validating webhook that matches it,
//   and by a no-op mutating one                                    (target: < 5 ms p50)
// The webhook is a no-op HTTPS server in this process on 127.0.0.1 (a `url` webhook).
// BENCH_WEBHOOK_OBJECTS sets the creates per phase (default 4000); phases alternate without/with
// the webhook (without, with, with, without) so drift on a shared machine hits both alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCaller, leanHttpsConnection, startFlotillaUp } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const { loadOrCreatePki } = await import(join(root, 'packages/apiserver/dist/index.js'));
const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-webhooks-'));
const N = Number(process.env.BENCH_WEBHOOK_OBJECTS ?? 4000);

const { proc, url, token, ca } = await startFlotillaUp(join(dir, 'data'));
const api = apiCaller({ url, token, ca });

// the no-op webhook
const pki = await loadOrCreatePki(join(dir, 'webhook-pki'));
let calls = 0;
const hookServer = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    calls++;
    const review = JSON.parse(body);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } }));
  });
});
await new Promise((r) => hookServer.listen(0, '127.0.0.1', r));
const hookPort = hookServer.address().port;

const configure = async (kind, name, resources) => {
  const plural = kind === 'Mutating' ? 'mutatingwebhookconfigurations' : 'validatingwebhookconfigurations';
  const body = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: `${kind}WebhookConfiguration`,
    metadata: { name },
    webhooks: [{ name: `${name}.bench.example.com`, admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { url: `https://127.0.0.1:${hookPort}/`, caBundle: Buffer.from(pki.caCert).toString('base64') }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources }] }],
  };
  const r = await api.call('POST', `/apis/admissionregistration.k8s.io/v1/${plural}`, body);
  if (r.status !== 201) throw new Error(`configure ${name}: ${r.status} ${r.body}`);
  return () => api.call('DELETE', `/apis/admissionregistration.k8s.io/v1/${plural}/${name}`);
};

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

let seq = 0;
async function createsPerSecond(n) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const conn = await leanHttpsConnection({ url, token, ca });
      while (next < n) {
        next++;
        const i = seq++;
        const r = await conn.call('POST', '/api/v1/namespaces/bench/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { app: 'bench' } }, data: { index: String(i) } });
        if (r.status !== 201) throw new Error(`create ${i}: ${r.status} ${r.text}`);
      }
      conn.close();
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function latencies(n) {
  const conn = await leanHttpsConnection({ url, token, ca });
  const out = [];
  for (let k = 0; k < n; k++) {
    const i = seq++;
    const t = performance.now();
    const r = await conn.call('POST', '/api/v1/namespaces/bench/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `lat-${i}` }, data: { index: String(i) } });
    out.push(performance.now() - t);
    if (r.status !== 201) throw new Error(`create ${i}: ${r.status} ${r.text}`);
  }
  conn.close();
  return out;
}

let failed = false;
try {
  await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  await createsPerSecond(2000); // warm-up

  // 1. throughput with an unrelated webhook, phases in the order without, with, with, without
  const without = [];
  const withHook = [];
  for (const hooked of [false, true, true, false]) {
    if (!hooked) {
      without.push(await createsPerSecond(N));
      continue;
    }
    const remove = await configure('Validating', 'unrelated', ['secrets']);
    withHook.push(await createsPerSecond(N));
    await remove();
  }
  const a = without.reduce((x, y) => x + y) / without.length;
  const b = withHook.reduce((x, y) => x + y) / withHook.length;
  const change = ((b - a) / a) * 100;
  console.log(`creates/s (8 clients, ${N} per phase): without webhooks ${Math.round(a)}/s [${without.map(Math.round).join(', ')}], with a no-op validating webhook for secrets ${Math.round(b)}/s [${withHook.map(Math.round).join(', ')}] = ${change >= 0 ? '+' : ''}${change.toFixed(1)} % (target: within 10 %)`);
  if (calls !== 0) throw new Error(`the unrelated webhook was called ${calls} times`);
  if (change < -10) failed = true;

  // 2. latency added by a webhook that matches
  const L = 400;
  await latencies(50);
  const base = pct(await latencies(L), 50);
  let remove = await configure('Validating', 'matching', ['configmaps']);
  await latencies(50);
  const val = pct(await latencies(L), 50);
  await remove();
  remove = await configure('Mutating', 'matching', ['configmaps']);
  await latencies(50);
  const mut = pct(await latencies(L), 50);
  await remove();
  console.log(`create latency p50 (1 client, ${L} creates): ${base.toFixed(2)} ms without webhooks; ${val.toFixed(2)} ms with a no-op validating webhook (+${(val - base).toFixed(2)} ms), ${mut.toFixed(2)} ms with a no-op mutating webhook (+${(mut - base).toFixed(2)} ms) (target: < 5 ms added); webhook calls: ${calls}`);
  if (val - base >= 5 || mut - base >= 5) failed = true;
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  api.close();
  hookServer.close();
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
