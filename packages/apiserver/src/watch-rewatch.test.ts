/**
 * Issue 18 item 5, the clients' side: when the server closes a watcher whose buffer is full, an
 * informer (kube-runtime) re-watches from its last resourceVersion and misses nothing (no re-list),
 * and `kubectl get -w` ends cleanly after an unbroken prefix of the changes, as it does when
 * Kubernetes ends its watch (kubectl does not re-watch).
 *
 * The API server runs as its own process with a small watcher buffer; this process stops reading
 * by blocking its event loop in a synchronous `kubectl apply` of 6.4 MB of ConfigMaps, so its
 * informer and its raw watch fall behind by far more than the buffer (and the loopback sockets) hold.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Informer, KubeClient, R } from '@flotilla/kube-runtime';
import { eventually, startApiServerProcess, sleep, type ServerProcess } from '@flotilla/kube-runtime/testkit';

const N = 200;
const BIG = 'x'.repeat(32 * 1024);
let dir: string;
let srv: ServerProcess;
let client: KubeClient;

const kubectlEnv = () => ({ ...process.env, HOME: join(dir, 'home'), KUBECONFIG: srv.kubeconfig });

describe('clients re-watch after the server closed their full watch (issue 18 item 5)', { timeout: 280_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-rewatch-'));
    // the server process inherits this environment: 256 KiB per watcher
    process.env.FLOTILLA_WATCH_BUFFER_BYTES = String(256 * 1024);
    srv = await startApiServerProcess(join(dir, 'data'));
    delete process.env.FLOTILLA_WATCH_BUFFER_BYTES;
    client = new KubeClient({ url: srv.url, caPem: srv.caPem, token: srv.token });
    await client.create(R.namespaces, undefined, { metadata: { name: 'r' } });
    await client.create(R.configmaps, 'r', { metadata: { name: 'start' } });
  });
  after(async () => {
    await srv?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an informer that fell behind by 6.4 MB re-watches and has every object; kubectl get -w ends cleanly', async () => {
    // an informer, counting the watches it opens
    let watches = 0;
    const watch = client.watch.bind(client);
    client.watch = ((...args: Parameters<KubeClient['watch']>) => {
      watches++;
      return watch(...args);
    }) as KubeClient['watch'];
    const logs: string[] = [];
    const inf = new Informer(client, R.configmaps, { namespace: 'r', log: (m) => logs.push(m) });
    inf.start();
    // kubectl get -w, stopped (SIGSTOP) while the writes happen
    const out: string[] = [];
    const kw: ChildProcess = spawn('kubectl', ['get', 'configmaps', '-n', 'r', '-w', '-o', 'name'], { env: kubectlEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let kubectlExit: number | null | undefined;
    let kerr = '';
    kw.stdout!.on('data', (d) => out.push(String(d)));
    kw.stderr!.on('data', (d) => (kerr += d));
    kw.on('exit', (c) => (kubectlExit = c));
    try {
      await inf.synced;
      await eventually(() => out.join('').includes('configmap/start') || undefined, 30_000, 'kubectl get -w listed');
      assert.equal(watches, 1);
      kw.kill('SIGSTOP');
      // 200 × 32 KB written while this process (the informer) and kubectl read nothing
      const file = join(dir, 'many.yaml');
      writeFileSync(file, Array.from({ length: N }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}, namespace: r}\ndata: {v: ${BIG}}\n`).join('---\n'));
      execFileSync('kubectl', ['apply', '-f', file], { env: kubectlEnv(), stdio: 'ignore', maxBuffer: 1 << 26 });
      await sleep(15_000); // past the server's grace for a closed watcher that does not read
      kw.kill('SIGCONT');
      await eventually(() => inf.list().filter((o) => o.metadata?.name?.startsWith('c')).length === N || undefined, 120_000, `the informer has all ${N} objects`);
      assert.ok(watches >= 2, `the informer's watch was closed by the server and opened again (${watches} watches; log: ${logs.join(' | ')})`);
      assert.equal(inf.lists, 1, 'it resumed from its resourceVersion: no re-list');
      // kubectl get -w does not re-watch: like against Kubernetes when a watch ends (a full buffer,
      // the server's request timeout; kubernetes/kubernetes#42552), it exits 0 after what it got,
      // which is a prefix of the changes in order, with nothing missing in between
      await eventually(() => kubectlExit !== undefined || undefined, 60_000, 'kubectl get -w ended');
      assert.equal(kubectlExit, 0, `kubectl get -w ended cleanly (stderr: ${kerr})`);
      const printed = out.join('').split('\n').filter((l) => /^configmap\/c\d+$/.test(l));
      assert.ok(printed.length < N, `kubectl's watch was closed (it printed ${printed.length} of ${N})`);
      assert.deepEqual(printed, Array.from({ length: printed.length }, (_, i) => `configmap/c${i}`));
    } finally {
      inf.stop();
      kw.kill('SIGCONT');
      kw.kill('SIGTERM');
    }
  });
});
