/**
 * A controller running as a pod keeps reaching the API server through the `kubernetes` Service
 * (10.96.0.1:443 → netd → host.sock → the API server) while other pods come and go.
 *
 * The bug this guards against: the node namespace's bridge had no MAC address of its own, so Linux
 * gave it the lowest MAC of its ports and changed it when that port's pod was deleted. Every other
 * pod still had the old address cached for its gateway, and everything it sent to ClusterIPs
 * (requests, watches, leader-election renewals) was dropped until its ARP entry expired and was
 * probed again: 20–60 s without an answer. Which pod holds the lowest MAC is random; the test makes
 * it deterministic by giving the victim pod's bridge port the lowest address before the client pod
 * starts, then deletes the victim while the client is busy.
 *
 * The client is a small Node script using kube-runtime's client with the in-cluster configuration
 * (as Flotilla's controllers do in their pods): a request every 150 ms and a watch with bookmarks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { R } from '@flotilla/kube-runtime';
import { detectNetns, NetnsNetwork } from './network.js';
import { cond, createPod, deletePod, ensureNamespace, kubeletGet, podManifest, podWhere, startEnv, waitFor, type Env } from './testutil.js';

const can = detectNetns();
if (can.reason) console.log(`# skipping the API-server-from-a-pod test: ${can.reason}`);

const KUBE_RUNTIME = fileURLToPath(new URL('../../kube-runtime/dist/index.js', import.meta.url));
const ns = 'reach';
const RUN_MS = 14_000;

/** The in-pod client: prints "ready" after its first answer, then a JSON summary after RUN_MS. */
const CLIENT = `
const { KubeClient, inClusterConfig } = await import(${JSON.stringify(KUBE_RUNTIME)});
const c = new KubeClient(inClusterConfig(), { qps: 1000, burst: 2000, timeoutMs: 3000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let lastOk = 0, gap = 0, n = 0, lastEv = 0, wgap = 0, evs = 0, stop = 0;
const errors = [];
const ac = new AbortController();
(async () => {
  while (!ac.signal.aborted) {
    try {
      await c.watch('/api/v1/namespaces/${ns}/configmaps', { allowWatchBookmarks: 'true' }, () => {
        const now = Date.now(); if (lastEv) wgap = Math.max(wgap, now - lastEv); lastEv = now; evs++;
      }, ac.signal);
    } catch (e) { errors.push('watch: ' + e.message); await sleep(200); }
  }
})();
for (;;) {
  const s = Date.now();
  try {
    await c.request('GET', '/api/v1/namespaces/${ns}/configmaps');
    n++;
    if (!lastOk) { console.log('ready'); stop = Date.now() + ${RUN_MS}; }
    else gap = Math.max(gap, Date.now() - lastOk);
    lastOk = Date.now();
  } catch (e) { errors.push(e.message + ' after ' + (Date.now() - s) + ' ms'); }
  if (lastOk && Date.now() > stop) break;
  await sleep(150);
}
ac.abort();
console.log(JSON.stringify({ n, gap, evs, wgap: Math.max(wgap, Date.now() - lastEv), errors: errors.slice(0, 5), nerrors: errors.length }));
c.close();
process.exit(0);
`;

describe('pods reach the API server through the kubernetes Service while other pods come and go', { skip: !!can.reason, timeout: 90_000 }, () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
    await ensureNamespace(env.api, ns);
    await env.api.request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/' + ns + '/rolebindings', {
      body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'default-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } },
    });
  });
  after(async () => {
    await env?.close();
  });

  it('no request or watch of an in-pod kube-runtime client stalls when the pod holding the bridge MAC is deleted', async () => {
    const nodeNs = `fl-${NetnsNetwork.idFor(env.agentOpts.dataDir)}`;
    const ipNs = (...args: string[]) => spawnSync(can.ip!, ['-n', nodeNs, ...args], { encoding: 'utf8' });
    const bridgeMac = () => /link\/ether (\S+)/.exec(ipNs('-o', 'link', 'show', 'br0').stdout)?.[1];

    const idle = ['node', '-e', 'setInterval(() => {}, 1e9)'];
    await createPod(env.api, ns, podManifest('victim', { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'node:20', command: idle }] }));
    const victim = await podWhere(env.api, ns, 'victim', (p) => cond(p, 'Ready') === 'True' && !!p.status?.podIP, 'Ready');
    // the victim's bridge port gets the lowest MAC there is (a bridge without an address of its own takes it)
    const port = NetnsNetwork.vethFor(victim.status.podIP);
    const set = ipNs('link', 'set', port, 'address', '02:00:00:00:00:01');
    assert.equal(set.status, 0, set.stderr);
    const before = bridgeMac();

    await createPod(env.api, ns, podManifest('client', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node:20', command: ['node', '--input-type=module', '-e', CLIENT] }] }));
    const logs = async () => (await kubeletGet(env, `/containerLogs/${ns}/client/c`)).body;
    await waitFor('the client pod to reach the API server', async () => (await logs()).includes('ready'), 30_000, 100);

    // other pods come and go while the client works: the one holding the lowest MAC goes
    let i = 0;
    const churn = setInterval(() => void env.api.create(R.configmaps, ns, { metadata: { name: `cm-${i++}` } }).catch(() => {}), 300);
    try {
      await deletePod(env.api, ns, 'victim', 0);
      await waitFor('the victim to be gone', async () => ipNs('link', 'show', port).status !== 0, 20_000, 100);
      const afterDelete = bridgeMac();
      const done = await podWhere(env.api, ns, 'client', (p) => ['Succeeded', 'Failed'].includes(p.status?.phase), 'finished', 40_000);
      const out = await logs();
      assert.equal(done.status.phase, 'Succeeded', out);
      const summary = JSON.parse(out.trim().split('\n').pop()!);
      assert.deepEqual(summary.errors, [], `requests failed: ${out}`);
      assert.ok(summary.n > 20, `too few answers: ${out}`);
      assert.ok(summary.gap < 5000, `a request went unanswered for ${summary.gap} ms: ${out}`);
      assert.ok(summary.wgap < 8000, `the watch was silent for ${summary.wgap} ms: ${out}`);
      assert.equal(afterDelete, before, 'the bridge keeps its MAC address when a pod leaves');
    } finally {
      clearInterval(churn);
    }
  });

  it('host.sock is served by a process of its own (not the agent, whose event loop stalls under a burst of pods), restarted when it dies', async () => {
    const sock = `/run/flotilla/${NetnsNetwork.idFor(env.agentOpts.dataDir)}/host.sock`;
    const bridges = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
            return cmd.some((a) => a.endsWith('host-bridge-main.js')) && cmd.includes(sock);
          } catch {
            return false;
          }
        })
        .map(Number);
    const first = bridges();
    assert.equal(first.length, 1, 'one host bridge process');
    assert.notEqual(first[0], process.pid);
    const apiPort = new URL(env.server.url).port;
    const ask = () =>
      new Promise<string>((resolve, reject) => {
        const c = connect(sock);
        c.on('error', reject);
        c.write(`127.0.0.1 ${apiPort}\n`);
        c.once('data', (d) => {
          c.destroy();
          resolve(d.toString());
        });
      });
    assert.equal(await ask(), 'OK\n');
    process.kill(first[0], 'SIGKILL');
    await waitFor('another host bridge', async () => {
      const b = bridges();
      return b.length === 1 && b[0] !== first[0] && (await ask().catch(() => '')) === 'OK\n';
    }, 10_000, 100);
  });
});
