/**
 * `kubectl top` end to end: the real kubectl against the API server's metrics.k8s.io, which asks
 * the node agent's Summary API (`/stats/summary`), which reads the pods' processes in /proc.
 * A pod that burns some CPU and holds 64 MiB, and an idle one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpuDelta, parseMeminfo, parseProcStat, parseStat } from './stats.js';
import { cond, createPod, kubeletGet, podManifest, podWhere, runKubectl, startEnv, type Env } from './testutil.js';

describe('resource readings (pure)', () => {
  it('parses /proc/<pid>/stat, /proc/stat and /proc/meminfo', () => {
    const stat = '4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 500 0 0 0 150 50 7 3 20 0 1 0 98765 12345678 2048 18446744073709551615';
    const r = parseStat(stat)!;
    assert.equal(r.ticks, 150 + 50 + 7 + 3);
    assert.equal(r.start, 98765);
    assert.ok(r.rssBytes >= 2048 * 4096);
    assert.equal(parseStat(stat.replace(') S ', ') Z ')), undefined);
    assert.equal(parseProcStat('cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 1 2 3 4\n').busy, 100 + 5 + 50 + 3 + 2 + 1);
    assert.deepEqual(parseMeminfo('MemTotal:       2048 kB\nMemFree:  100 kB\nMemAvailable:   1024 kB\n'), { total: 2048 * 1024, available: 1024 * 1024 });
  });

  it('counts CPU per process between samples: new processes whole, ended ones not at all', () => {
    const base = new Map([
      ['10:500', 100],
      ['11:600', 40],
    ]);
    const now = new Map([
      ['10:500', 130], // +30
      ['12:900', 25], // started after the base sample (uptime 800): all 25
      ['13:700', 99], // existed before but not seen: unknown, 0
    ]);
    assert.equal(cpuDelta(base, now, 800), 55);
    assert.equal(cpuDelta(undefined, now, 800), 25);
  });
});

let env: Env;
const ns = 'top';

function table(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));
}
const milli = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
const mib = (q: string) => (q.endsWith('Mi') ? Number(q.slice(0, -2)) : q.endsWith('Ki') ? Number(q.slice(0, -2)) / 1024 : q.endsWith('Gi') ? Number(q.slice(0, -2)) * 1024 : Number(q) / 2 ** 20);

describe('kubectl top (metrics.k8s.io)', { concurrency: false, timeout: 180_000 }, () => {
  before(async () => {
    env = await startEnv();
    // ~20 % of a core and 64 MiB resident
    const burn = `const keep = Buffer.alloc(64 * 1024 * 1024, 1); setInterval(() => { const t = Date.now(); while (Date.now() - t < 20) {} keep[0]++; }, 100);`;
    await createPod(env.api, ns, podManifest('busy', { terminationGracePeriodSeconds: 1, containers: [{ name: 'burn', image: 'node:20', command: ['node', '-e', burn] }, { name: 'side', image: 'busybox', command: ['sleep', '3600'] }] }, { labels: { app: 'busy' } }));
    await createPod(env.api, ns, podManifest('idle', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] }, { labels: { app: 'idle' } }));
    for (const n of ['busy', 'idle']) await podWhere(env.api, ns, n, (p) => cond(p, 'Ready') === 'True', 'Ready', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
  });
  after(async () => {
    await env?.close();
  });

  it('the kubelet endpoint serves the Summary API', async () => {
    const r = await kubeletGet(env, '/stats/summary');
    assert.equal(r.status, 200, r.body);
    const s = JSON.parse(r.body);
    assert.equal(s.node.nodeName, 'flotilla-node');
    assert.ok(s.node.memory.workingSetBytes > 0 && s.node.cpu.usageNanoCores >= 0);
    const busy = s.pods.find((p: any) => p.podRef.name === 'busy');
    assert.deepEqual(busy.containers.map((c: any) => c.name).sort(), ['burn', 'side']);
    assert.ok(busy.containers.find((c: any) => c.name === 'burn').memory.workingSetBytes >= 64 * 2 ** 20);
    assert.equal((await kubeletGet(env, '/stats/summary', 'wrong-token')).status, 401);
  });

  it('kubectl top pods: per pod, per container, by name and by label', async (t) => {
    const all = await runKubectl(env, ['top', 'pods', '-n', ns]);
    assert.equal(all.code, 0, all.stderr);
    t.diagnostic(all.stdout);
    const rows = table(all.stdout);
    assert.deepEqual(rows[0], ['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    const busy = rows.find((r) => r[0] === 'busy')!;
    const idle = rows.find((r) => r[0] === 'idle')!;
    assert.ok(busy && idle, all.stdout);
    // the burner: well above nothing, at most about a core (shared machine: generous bounds)
    assert.ok(milli(busy[1]) >= 20 && milli(busy[1]) <= 1500, `busy CPU ${busy[1]}`);
    assert.ok(mib(busy[2]) >= 64 && mib(busy[2]) < 512, `busy memory ${busy[2]}`);
    assert.ok(milli(idle[1]) <= 20, `idle CPU ${idle[1]}`);
    assert.ok(mib(idle[2]) < 32, `idle memory ${idle[2]}`);

    const per = await runKubectl(env, ['top', 'pods', '-n', ns, '--containers']);
    assert.equal(per.code, 0, per.stderr);
    t.diagnostic(per.stdout);
    const crow = table(per.stdout);
    assert.deepEqual(crow[0], ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    assert.deepEqual(crow.filter((r) => r[0] === 'busy').map((r) => r[1]).sort(), ['burn', 'side']);
    const side = crow.find((r) => r[0] === 'busy' && r[1] === 'side')!;
    assert.ok(mib(side[3]) < 32, `sleep's memory ${side[3]}`);

    const one = await runKubectl(env, ['top', 'pod', 'idle', '-n', ns]);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(table(one.stdout).map((r) => r[0]), ['NAME', 'idle']);
    const byLabel = await runKubectl(env, ['top', 'pods', '-n', ns, '-l', 'app=busy']);
    assert.deepEqual(table(byLabel.stdout).map((r) => r[0]), ['NAME', 'busy']);
    const none = await runKubectl(env, ['top', 'pod', 'nope', '-n', ns]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /not found|not available/);
  });

  it('kubectl top nodes, and the API as a client sees it (discovery, raw objects)', async (t) => {
    const top = await runKubectl(env, ['top', 'nodes']);
    assert.equal(top.code, 0, top.stderr);
    t.diagnostic(top.stdout);
    const rows = table(top.stdout);
    assert.deepEqual(rows[0].slice(0, 3), ['NAME', 'CPU(cores)', 'CPU(%)']);
    const node = rows.find((r) => r[0] === 'flotilla-node')!;
    assert.ok(node && milli(node[1]) > 0 && mib(node[3]) > 0, top.stdout);

    const res = await runKubectl(env, ['api-resources', '--api-group=metrics.k8s.io', '-o', 'name']);
    assert.deepEqual(res.stdout.trim().split('\n').sort(), ['nodes.metrics.k8s.io', 'pods.metrics.k8s.io']);
    const raw = await runKubectl(env, ['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/busy`]);
    const pm = JSON.parse(raw.stdout);
    assert.equal(pm.kind, 'PodMetrics');
    assert.equal(pm.metadata.labels.app, 'busy');
    assert.match(pm.window, /^\d+(\.\d+)?s$/);
    for (const c of pm.containers) {
      assert.match(c.usage.cpu, /^\d+n$/);
      assert.match(c.usage.memory, /^\d+Ki$/);
    }
    const nm = JSON.parse((await runKubectl(env, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes/flotilla-node'])).stdout);
    assert.equal(nm.kind, 'NodeMetrics');
    const missing = await runKubectl(env, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes/nope']);
    assert.match(missing.stderr, /NotFound|not found/);
  });
});
