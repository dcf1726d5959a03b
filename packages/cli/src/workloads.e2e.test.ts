/**
 * Issue 3's proof, as a user runs it: `flotilla up` (API server, controllers, scheduler, node
 * agent) in its own process, driven with the real kubectl. Every workload here runs as real
 * local processes on this machine.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { eventually, kubectl as kubectlIn, startUp, stopUp, type Up } from './testkit.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';

let dir: string;
let up: Up;

const kubectl = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) => kubectlIn(dir, up.kubeconfig, args, opts);

async function ok(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** objects as a multi-document stream (kubectl apply -f -) */
const stream = (objs: unknown[]) => objs.map((o) => JSON.stringify(o)).join('\n');

const json = async (args: string[]) => JSON.parse(await ok([...args, '-o', 'json']));

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.setTimeout(5000, () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    r.end();
  });
}

/** pids of processes whose command line or environment mentions `needle` */
function procsWith(needle: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle)) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('flotilla up runs workloads (kubectl end to end)', { timeout: 600_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-'));
    up = await startUp(join(dir, 'data'));
  });
  after(async () => {
    if (up) await stopUp(up, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('create deployment, rollout status, set image, undo, scale; the rollouts-demo color over a NodePort Service', async () => {
    await ok(['create', 'deployment', 'web', '--image=argoproj/rollouts-demo:blue', '--replicas=3', '--port=8080']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const pods = (await json(['get', 'pods', '-l', 'app=web'])).items;
    assert.equal(pods.length, 3);
    // three replicas listening on the same port: each pod has its own address and port space
    assert.equal(new Set(pods.map((p: any) => p.status.podIP)).size, 3);
    await ok(['expose', 'deployment', 'web', '--port=80', '--target-port=8080', '--type=NodePort']);
    const nodePort = (await json(['get', 'svc', 'web'])).spec.ports[0].nodePort;
    const color = async () => JSON.parse((await httpGet(`http://127.0.0.1:${nodePort}/color`)).body);
    assert.equal(await eventually('the NodePort', color), 'blue');

    await ok(['set', 'image', 'deployment/web', 'rollouts-demo=argoproj/rollouts-demo:green']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    assert.equal(await eventually('green everywhere', async () => ((await Promise.all([color(), color(), color()])).every((c) => c === 'green') ? 'green' : undefined)), 'green');
    await ok(['rollout', 'undo', 'deployment/web']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    assert.equal(await eventually('blue again', async () => ((await Promise.all([color(), color(), color()])).every((c) => c === 'blue') ? 'blue' : undefined)), 'blue');
    await ok(['scale', 'deployment/web', '--replicas=1']);
    await eventually('one pod left', async () => (await json(['get', 'pods', '-l', 'app=web'])).items.length === 1);
  });

  it('a Service is reached from another pod by name', async () => {
    await eventually('web endpoints', async () => (await json(['get', 'endpoints', 'web'])).subsets?.[0]?.addresses?.length >= 1);
    await ok(['run', 'client', '--image=busybox', '--restart=Never', '--', 'wget', '-qO-', 'http://web/color']);
    await eventually('client done', async () => (await json(['get', 'pod', 'client'])).status.phase === 'Succeeded');
    assert.equal(JSON.parse((await ok(['logs', 'client'])).trim()), 'blue');
  });

  it('port-forward to a pod, a deployment and a service, then HTTP; exec with exit codes and stdin', async () => {
    for (const target of ['deployment/web', 'svc/web']) {
      const pf = spawn('kubectl', ['port-forward', target, `:${target.startsWith('svc') ? 80 : 8080}`], { env: { PATH: process.env.PATH!, HOME: dir, KUBECONFIG: up.kubeconfig } });
      try {
        const port = await new Promise<number>((resolve, reject) => {
          let buf = '';
          const t = setTimeout(() => reject(new Error(`port-forward ${target} did not start: ${buf}`)), 30_000);
          const on = (d: Buffer) => {
            buf += d;
            const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(buf);
            if (m) {
              clearTimeout(t);
              resolve(Number(m[1]));
            }
          };
          pf.stdout.on('data', on);
          pf.stderr.on('data', on);
        });
        for (let i = 0; i < 2; i++) assert.equal(JSON.parse((await httpGet(`http://127.0.0.1:${port}/color`)).body), 'blue', target);
      } finally {
        pf.kill();
      }
    }
    const pod = (await json(['get', 'pods', '-l', 'app=web'])).items[0].metadata.name;
    assert.equal((await ok(['exec', pod, '--', 'hostname'])).trim(), pod);
    const r = await kubectl(['exec', pod, '--', 'sh', '-c', 'echo to-stderr >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /to-stderr/);
    assert.match(r.stderr, /command terminated with exit code 3/);
    assert.equal(await ok(['exec', '-i', pod, '--', 'cat'], { input: 'through stdin\n' }), 'through stdin\n');
    // kubectl cp (tar over exec) both ways, through the container's private /tmp
    const src = join(dir, 'cp-src.txt');
    writeFileSync(src, 'copied by kubectl cp\n');
    await ok(['cp', src, `${pod}:/tmp/cp.txt`]);
    assert.equal(await ok(['exec', pod, '--', 'cat', '/tmp/cp.txt']), 'copied by kubectl cp\n');
    await ok(['cp', `${pod}:/tmp/cp.txt`, join(dir, 'cp-back.txt')]);
    assert.equal(readFileSync(join(dir, 'cp-back.txt'), 'utf8'), 'copied by kubectl cp\n');
    // from inside the pod, the Service by DNS name
    assert.equal(JSON.parse(await ok(['exec', pod, '--', 'wget', '-qO-', 'http://web.default.svc.cluster.local/color'])), 'blue');
  });

  it('a Job that succeeds and one that exhausts its backoffLimit', async () => {
    await ok(['create', 'job', 'hello', '--image=busybox', '--', 'echo', 'hello from a job']);
    await ok(['wait', '--for=condition=complete', 'job/hello', '--timeout=60s']);
    assert.equal((await ok(['logs', 'job/hello'])).trim(), 'hello from a job');
    await ok(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'fails' },
        spec: { backoffLimit: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo failing; exit 3'] }] } } },
      }),
    });
    await ok(['wait', '--for=condition=failed', 'job/fails', '--timeout=90s']);
    const job = await json(['get', 'job', 'fails']);
    assert.equal(job.status.conditions.find((c: any) => c.type === 'Failed').reason, 'BackoffLimitExceeded');
    assert.equal(job.status.failed, 2);
  });

  it('kubectl run -i and -it: stdin and a terminal attached to a new pod, removed after (--rm)', async () => {
    const r = await ok(['run', '-i', '--rm', '--restart=Never', 'reader', '--image=busybox', '--', 'sh', '-c', 'read line; echo "got $line"'], { input: 'hello\n' });
    assert.match(r, /got hello/);
    // -t needs a terminal on kubectl's side: script(1) gives it one
    const tty = await new Promise<string>((resolve) => {
      const c = spawn('script', ['-qfec', 'kubectl run -it --rm --restart=Never ttytest --image=busybox -- sh', '/dev/null'], { env: { PATH: process.env.PATH!, HOME: dir, KUBECONFIG: up.kubeconfig } });
      let out = '';
      c.stdout.on('data', (d) => {
        out += d;
        // the shell is there once kubectl has attached: type into it
        if (/try pressing enter/.test(out) && !c.stdin.writableEnded) c.stdin.end('echo tty-ok-$((40+2)); tty; exit\n');
      });
      const t = setTimeout(() => c.kill('SIGKILL'), 60_000);
      c.on('close', () => {
        clearTimeout(t);
        resolve(out.replace(/\r/g, ''));
      });
    });
    assert.match(tty, /tty-ok-42\n/);
    assert.match(tty, /\/dev\/pts\/\d+\n/);
    await eventually('both pods removed', async () => !(await json(['get', 'pods'])).items.some((p: any) => ['reader', 'ttytest'].includes(p.metadata.name)));
  });

  it("Flotilla's own image runs the flotilla command", async () => {
    await ok(['run', 'self', '--image=flotilla/flotilla:0.1.0', '--restart=Never', '--', 'version']);
    await eventually('self done', async () => (await json(['get', 'pod', 'self'])).status.phase === 'Succeeded');
    assert.equal((await ok(['logs', 'self'])).trim(), 'flotilla 0.1.0');
  });

  it('a crashing container goes into CrashLoopBackOff', async () => {
    await ok(['run', 'crash', '--image=busybox', '--', 'sh', '-c', 'echo about to crash; exit 1']);
    const p = await eventually('CrashLoopBackOff', async () => {
      const p = await json(['get', 'pod', 'crash']);
      return p.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    });
    assert.equal(p.status.containerStatuses[0].lastState.terminated.exitCode, 1);
    assert.match(await ok(['get', 'pod', 'crash']), /CrashLoopBackOff/);
    assert.equal((await ok(['logs', 'crash', '--previous'])).trim(), 'about to crash');
    await ok(['delete', 'pod', 'crash', '--wait=false']);
  });

  it('a readiness probe takes a pod out of the Endpoints and back', async () => {
    await ok(['apply', '-f', '-'], {
      input: stream([
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'flappy', labels: { app: 'flappy' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'c',
                  image: 'busybox',
                  command: ['sh', '-c', 'touch /tmp/ready; sleep 3; rm /tmp/ready; sleep 3; touch /tmp/ready; exec sleep 3600'],
                  readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
                },
              ],
            },
          },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'flappy' }, spec: { selector: { app: 'flappy' }, ports: [{ port: 80 }] } },
      ]),
    });
    const addrs = async () => {
      const ep = await json(['get', 'endpoints', 'flappy']);
      return { ready: (ep.subsets ?? []).flatMap((s: any) => s.addresses ?? []).length, notReady: (ep.subsets ?? []).flatMap((s: any) => s.notReadyAddresses ?? []).length };
    };
    await eventually('ready in the Endpoints', async () => (await addrs()).ready === 1);
    await eventually('out of the Endpoints', async () => {
      const a = await addrs();
      return a.ready === 0 && a.notReady === 1;
    });
    await eventually('back in the Endpoints', async () => (await addrs()).ready === 1);
    await ok(['delete', 'pod', 'flappy', '--wait=false']);
  });

  it('logs -f streams a running container', async () => {
    await ok(['run', 'ticker', '--image=busybox', '--', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']);
    await ok(['wait', '--for=condition=Ready', 'pod/ticker', '--timeout=60s']);
    const lines = await new Promise<string[]>((resolve, reject) => {
      const c = spawn('kubectl', ['logs', '-f', 'ticker'], { env: { PATH: process.env.PATH!, HOME: dir, KUBECONFIG: up.kubeconfig } });
      let buf = '';
      const t = setTimeout(() => {
        c.kill();
        reject(new Error(`no streamed lines: ${buf}`));
      }, 30_000);
      c.stdout.on('data', (d) => {
        buf += d;
        const ls = buf.split('\n').filter(Boolean);
        if (ls.length >= 15) {
          clearTimeout(t);
          c.kill();
          resolve(ls);
        }
      });
    });
    lines.slice(0, 15).forEach((l, i) => assert.equal(l, `tick ${i}`));
    await ok(['delete', 'pod', 'ticker', '--grace-period=1']);
  });

  it('a StatefulSet starts its pods in order with stable names', async () => {
    await ok(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db' },
        spec: {
          serviceName: 'db',
          replicas: 3,
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'c',
                  image: 'busybox',
                  command: ['sh', '-c', 'echo $HOSTNAME >> /data/id; sleep 1; touch /tmp/ready; exec sleep 3600'],
                  readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 },
                  volumeMounts: [{ name: 'data', mountPath: '/data' }],
                },
              ],
            },
          },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        },
      }),
    });
    await ok(['rollout', 'status', 'statefulset/db', '--timeout=120s']);
    const pods = (await json(['get', 'pods', '-l', 'app=db'])).items.sort((a: any, b: any) => a.metadata.name.localeCompare(b.metadata.name));
    assert.deepEqual(
      pods.map((p: any) => p.metadata.name),
      ['db-0', 'db-1', 'db-2'],
    );
    // each pod has its own claim, provisioned by the local-path provisioner and mounted at /data
    const pvcs = (await json(['get', 'pvc'])).items.filter((c: any) => c.metadata.name.startsWith('data-db-'));
    assert.deepEqual(pvcs.map((c: any) => `${c.metadata.name}:${c.status.phase}:${c.spec.storageClassName}`).sort(), ['data-db-0:Bound:local-path', 'data-db-1:Bound:local-path', 'data-db-2:Bound:local-path']);
    const pv = await json(['get', 'pv', pvcs.find((c: any) => c.metadata.name === 'data-db-1').spec.volumeName]);
    assert.equal(readFileSync(join(pv.spec.hostPath.path, 'id'), 'utf8'), 'db-1\n');
    // ordered: each pod was created only after the one before it was Ready
    for (let i = 1; i < 3; i++) {
      const prevReady = Date.parse(pods[i - 1].status.conditions.find((c: any) => c.type === 'Ready').lastTransitionTime);
      assert.ok(Date.parse(pods[i].metadata.creationTimestamp) >= prevReady, `${pods[i].metadata.name} was created before ${pods[i - 1].metadata.name} was Ready`);
    }
  });

  it('a deleted pod leaves no process behind', async () => {
    const marker = `marker-${Math.random().toString(36).slice(2)}`;
    await ok(['run', 'victim', '--image=busybox', '--', 'sh', '-c', `sleep 3600; echo ${marker}`]);
    await ok(['wait', '--for=condition=Ready', 'pod/victim', '--timeout=60s']);
    assert.ok(procsWith(marker).length > 0, 'the pod runs as a local process');
    await ok(['delete', 'pod', 'victim', '--grace-period=1']);
    await eventually('no process left', async () => procsWith(marker).length === 0, 20_000);
  });

  it('bad input shows in pod status and events, and the node keeps working', async () => {
    await ok(['run', 'noimage', '--image=example.com/nothing-maps-this:1.0']);
    await ok(['run', 'nocmd', '--image=busybox', '--command', '--', 'no-such-command-here']);
    await ok(['create', 'configmap', 'cfg', '--from-literal=present=yes']);
    await ok(['apply', '-f', '-'], {
      input: stream([
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'nokey' },
            spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'absent' } } }] }] },
          },
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'novolume' },
            spec: { volumes: [{ name: 'v', configMap: { name: 'does-not-exist' } }], containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], volumeMounts: [{ name: 'v', mountPath: '/cfg' }] }] },
          },
      ]),
    });
    const waiting = async (pod: string, reason: RegExp) =>
      eventually(`${pod} waiting with ${reason}`, async () => {
        const p = await json(['get', 'pod', pod]);
        const w = p.status.containerStatuses?.[0]?.state?.waiting;
        return w && reason.test(w.reason) ? w : undefined;
      });
    const img = await waiting('noimage', /^(ErrImagePull|ImagePullBackOff)$/);
    assert.match(img.message, /nothing-maps-this/);
    assert.match(img.message, /map/);
    const nokey = await waiting('nokey', /^CreateContainerConfigError$/);
    assert.match(nokey.message, /couldn't find key absent in ConfigMap default\/cfg/);
    const nocmd = await eventually('nocmd fails to start', async () => {
      const cs = (await json(['get', 'pod', 'nocmd'])).status.containerStatuses?.[0];
      const t = cs?.lastState?.terminated ?? cs?.state?.terminated;
      return t?.reason === 'StartError' ? t : undefined;
    });
    assert.match(nocmd.message, /no-such-command-here.*executable file not found/);
    const ev = await eventually('FailedMount', async () => {
      const evs = (await json(['get', 'events', '--field-selector', 'involvedObject.name=novolume'])).items;
      return evs.find((e: any) => e.reason === 'FailedMount');
    });
    assert.match(ev.message, /configmap "does-not-exist" not found/);
    assert.equal((await json(['get', 'pod', 'novolume'])).status.phase, 'Pending');
    // the node still runs new pods
    await ok(['run', 'after-bad', '--image=busybox', '--restart=Never', '--', 'echo', 'still fine']);
    await eventually('after-bad done', async () => (await json(['get', 'pod', 'after-bad'])).status.phase === 'Succeeded');
    await ok(['delete', 'pod', 'noimage', 'nocmd', 'nokey', 'novolume', '--wait=false']);
  });

  it('restart safety: SIGKILL then up re-adopts the same processes; SIGTERM stops them and up restarts them', async () => {
    const before = (await json(['get', 'pods', '-l', 'app=web'])).items[0];
    const uid = before.metadata.uid;
    const pidsBefore = procsWith(uid).sort();
    assert.ok(pidsBefore.length > 0);
    await stopUp(up, 'SIGKILL');
    // the pods' processes outlive a crash of flotilla up
    assert.deepEqual(procsWith(uid).sort(), pidsBefore);
    up = await startUp(join(dir, 'data'));
    const nodePort = (await json(['get', 'svc', 'web'])).spec.ports[0].nodePort;
    assert.equal(JSON.parse((await eventually('the NodePort after the restart', () => httpGet(`http://127.0.0.1:${nodePort}/color`))).body), 'blue');
    const readopted = (await json(['get', 'pod', before.metadata.name])).status.containerStatuses[0];
    assert.equal(readopted.restartCount, before.status.containerStatuses[0].restartCount, 're-adopted, not restarted');
    assert.deepEqual(procsWith(uid).sort(), pidsBefore, 'the same processes, no duplicates');

    await stopUp(up, 'SIGTERM');
    await eventually('no pod process after a clean stop', async () => procsWith(uid).length === 0, 20_000);
    up = await startUp(join(dir, 'data'));
    // restarted per restartPolicy (Always): the same pod, one more restart, ready again
    await eventually('the container restarted', async () => {
      const cs = (await json(['get', 'pod', before.metadata.name])).status.containerStatuses[0];
      return cs.restartCount === readopted.restartCount + 1 && cs.ready;
    });
    await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    assert.equal(JSON.parse((await eventually('the NodePort after the second restart', () => httpGet(`http://127.0.0.1:${nodePort}/color`))).body), 'blue');
  });
});

