/**
 * The node agent against a real API server on loopback. Pods are created with spec.nodeName set
 * (the scheduler is another component). Runs sandboxed with bubblewrap when it is installed, as
 * plain processes otherwise (plain.test.ts covers that mode explicitly).
 */
import { R } from '@flotilla/kube-runtime';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectBwrap } from './sandbox.js';
import { hostBusybox } from './images.js';
import { cond, create, createPod, cstatus, deletePod, ensureNamespace, events, getPod, httpGet, kubeletGet, podManifest, podWhere, procsWith, startEnv, waitFor, type Env } from './testutil.js';

let env: Env;
const bw = detectBwrap();
/** the writable-layer test needs the sandbox (plain mode has no container root) */
const noBwrap = !bw.path || bw.reason ? `no usable bubblewrap: ${bw.reason ?? 'not installed'}` : false;
const uniq = () => Math.random().toString(36).slice(2, 10);
const done = (p: any) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

describe('node agent', { concurrency: true, timeout: 120_000 }, () => {
  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('registers its Node and Lease', async () => {
    const node = await env.api.request('GET', '/api/v1/nodes/flotilla-node');
    assert.equal(node.status.daemonEndpoints.kubeletEndpoint.Port, Number(new URL(env.agent.kubeletUrl).port));
    assert.deepEqual(node.status.addresses[0], { type: 'InternalIP', address: '127.0.0.1' });
    assert.equal(node.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
    assert.ok(Number(node.status.capacity.cpu) >= 1);
    assert.match(node.status.capacity.memory, /^\d+Ki$/);
    assert.equal(node.status.allocatable.pods, '110');
    assert.equal(node.status.nodeInfo.operatingSystem, 'linux');
    assert.equal(node.metadata.labels['kubernetes.io/hostname'], 'flotilla-node');
    const lease = await env.api.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/flotilla-node');
    assert.equal(lease.spec.holderIdentity, 'flotilla-node');
    assert.ok(lease.spec.renewTime);
  });

  it("an alpine pod's sh is BusyBox's ash when the host has busybox: $RANDOM, >& and [[ ]] work as in the image", async (t) => {
    if (!hostBusybox()) return t.skip('busybox is not installed (scripts/test.sh installs it): alpine pods use the host sh');
    const ns = 'ash';
    const script = 'n=$RANDOM; [ -n "$n" ] || exit 7; [[ "$n" == "$n" ]] || exit 8; echo "r=$((n % 10 + 100))" >& /tmp/out; cat /tmp/out';
    await createPod(env.api, ns, podManifest('ash', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'alpine:3.23', command: ['sh', '-c', script] }] }));
    const p = await podWhere(env.api, ns, 'ash', done, 'completion');
    assert.equal(cstatus(p, 'main').state.terminated.exitCode, 0, JSON.stringify(cstatus(p, 'main').state));
    assert.match((await kubeletGet(env, `/containerLogs/${ns}/ash/main`)).body, /^r=10\d\n$/);
  });

  it('runs a busybox pod that echoes and exits: Succeeded, logs through the kubelet endpoint, events', async () => {
    const ns = 'echo';
    await createPod(env.api, ns, podManifest('hello', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo hello; echo world; echo oops >&2'] }] }));
    const p = await podWhere(env.api, ns, 'hello', done, 'completion');
    assert.equal(p.status.phase, 'Succeeded');
    const cs = cstatus(p, 'main');
    assert.equal(cs.state.terminated.exitCode, 0);
    assert.equal(cs.state.terminated.reason, 'Completed');
    assert.ok(cs.state.terminated.startedAt && cs.state.terminated.finishedAt);
    assert.match(cs.containerID, /^flotilla:\/\//);
    assert.match(p.status.podIP, env.agent.network === 'netns' ? /^10\.244\.\d+\.\d+$/ : /^127\.\d+\.\d+\.\d+$/);
    assert.equal(p.status.hostIP, '127.0.0.1');
    assert.ok(p.status.startTime);
    assert.equal(cond(p, 'Ready'), 'False');
    assert.equal(cond(p, 'Initialized'), 'True');
    assert.equal(cond(p, 'PodScheduled'), 'True');
    const logs = await kubeletGet(env, `/containerLogs/${ns}/hello/main`);
    assert.equal(logs.status, 200);
    assert.deepEqual(logs.body.split('\n').sort(), ['', 'hello', 'oops', 'world']);
    assert.ok(logs.body.indexOf('hello') < logs.body.indexOf('world'));
    const tail = await kubeletGet(env, `/containerLogs/${ns}/hello/main?tailLines=1&timestamps=true`);
    assert.match(tail.body, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (world|oops)\n$/);
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/hello/main`, 'wrong-token')).status, 401);
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/hello/nope`)).status, 404);
    // through the API server's pods/log proxy, with the real kubectl
    const out = await new Promise<string>((resolve, reject) => {
      const k = spawn('kubectl', ['--kubeconfig', env.kubeconfig, '-n', ns, 'logs', 'hello', '--tail=2'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let o = '';
      let e = '';
      k.stdout.on('data', (d) => (o += d));
      k.stderr.on('data', (d) => (e += d));
      k.on('error', reject);
      k.on('close', (code) => (code === 0 ? resolve(o) : reject(new Error(`kubectl logs: ${e}`))));
    });
    assert.equal(out.split('\n').length, 3);
    // and with kube-runtime's client (pods/log subresource)
    assert.deepEqual((await env.api.logs(ns, 'hello', { container: 'main' })).split('\n').sort(), ['', 'hello', 'oops', 'world']);
    assert.match(await env.api.logs(ns, 'hello', { tailLines: 1 }), /^(world|oops)\n$/);
    await env.agent.flushEvents();
    const reasons = (await events(env.api, ns, 'hello')).map((e: any) => e.reason);
    for (const r of ['Pulled', 'Created', 'Started']) assert.ok(reasons.includes(r), `event ${r} in ${reasons}`);
    const ev = (await events(env.api, ns, 'hello')).find((e: any) => e.reason === 'Started');
    assert.equal(ev.source.component, 'kubelet');
    assert.equal(ev.involvedObject.fieldPath, 'spec.containers{main}');
  });

  it('under bubblewrap a container has a writable layer: new top-level directories and /mnt are its own, the host system stays read-only', { skip: noBwrap }, async () => {
    const ns = 'rootfs';
    const script = 'mkdir -p /outputs && echo out > /outputs/a && echo mnt > /mnt/file && cd / && echo rel > result.txt && cat /outputs/a /mnt/file /result.txt && ( (echo x > /usr/flotilla-probe) 2>/dev/null && echo usr-writable || echo usr-readonly)';
    await createPod(env.api, ns, podManifest('writer', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }] }));
    await createPod(env.api, ns, podManifest('reader', { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'ls /outputs /mnt/file 2>&1; true'] }] }));
    const p = await podWhere(env.api, ns, 'writer', done, 'completion');
    const logs = await env.api.logs(ns, 'writer', { container: 'main' });
    assert.equal(p.status.phase, 'Succeeded', logs);
    assert.equal(logs, 'out\nmnt\nrel\nusr-readonly\n');
    assert.ok(!existsSync('/usr/flotilla-probe') && !existsSync('/outputs'), 'nothing reached the host');
    await podWhere(env.api, ns, 'reader', done, 'completion');
    assert.match(await env.api.logs(ns, 'reader', { container: 'main' }), /No such file or directory[\s\S]*No such file or directory/, 'another container does not see them');
  });

  it('a long-running pod reaches Running and Ready; pods get distinct addresses', async () => {
    const ns = 'long';
    const m = `long-${uniq()}`;
    await createPod(env.api, ns, podManifest('a', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `echo ${m}; exec sleep 3600`] }] }));
    await createPod(env.api, ns, podManifest('b', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'alpine:3.19', command: ['sleep', '3600'] }] }));
    const a = await podWhere(env.api, ns, 'a', (p) => p.status?.phase === 'Running' && cond(p, 'Ready') === 'True', 'Running and Ready');
    const b = await podWhere(env.api, ns, 'b', (p) => cond(p, 'Ready') === 'True', 'Ready');
    assert.notEqual(a.status.podIP, b.status.podIP);
    const cs = cstatus(a, 'c');
    assert.ok(cs.state.running.startedAt);
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.restartCount, 0);
    assert.equal(cond(a, 'ContainersReady'), 'True');
    await deletePod(env.api, ns, 'a');
    await deletePod(env.api, ns, 'b');
    await waitFor('pods deleted', async () => !(await getPod(env.api, ns, 'a')) && !(await getPod(env.api, ns, 'b')));
  });

  it('restartPolicy Always restarts a crashing container with CrashLoopBackOff and restartCount', async () => {
    const ns = 'crash';
    await createPod(env.api, ns, podManifest('crash', { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo run; exit 3'] }] }));
    const p = await podWhere(env.api, ns, 'crash', (p) => cstatus(p)?.restartCount >= 2 && cstatus(p)?.state?.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff with 2 restarts');
    const cs = cstatus(p);
    assert.equal(p.status.phase, 'Running');
    assert.equal(cs.lastState.terminated.exitCode, 3);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    assert.match(cs.state.waiting.message, /back-off \d+s restarting failed container=c pod=crash_crash/);
    assert.equal(cond(p, 'Ready'), 'False');
    const prev = await kubeletGet(env, `/containerLogs/${ns}/crash/c?previous=true`);
    assert.equal(prev.body, 'run\n');
    await env.agent.flushEvents();
    assert.ok((await events(env.api, ns, 'crash')).some((e: any) => e.reason === 'BackOff' && e.type === 'Warning'));
    await deletePod(env.api, ns, 'crash');
  });

  it('restartPolicy OnFailure restarts until success; Never fails the pod', async () => {
    const ns = 'policies';
    await createPod(
      env.api,
      ns,
      podManifest('onfailure', {
        restartPolicy: 'OnFailure',
        volumes: [{ name: 'state', emptyDir: {} }],
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'if [ -e /state/once ]; then echo second; exit 0; fi; touch /state/once; echo first; exit 1'], volumeMounts: [{ name: 'state', mountPath: '/state' }] }],
      }),
    );
    await createPod(env.api, ns, podManifest('never', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo -n "disk full" > /dev/termination-log; exit 7'] }] }));
    const of = await podWhere(env.api, ns, 'onfailure', done, 'completion');
    assert.equal(of.status.phase, 'Succeeded');
    assert.equal(cstatus(of).restartCount, 1);
    assert.equal(cstatus(of).lastState.terminated.exitCode, 1);
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/onfailure/c`)).body, 'second\n');
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/onfailure/c?previous=true`)).body, 'first\n');
    const nv = await podWhere(env.api, ns, 'never', done, 'completion');
    assert.equal(nv.status.phase, 'Failed');
    assert.equal(cstatus(nv).state.terminated.exitCode, 7);
    assert.equal(cstatus(nv).state.terminated.reason, 'Error');
    assert.equal(cstatus(nv).state.terminated.message, 'disk full', 'the termination message');
    assert.equal(cstatus(nv).restartCount, 0);
  });

  it('runs init containers in order before the containers; a restartable init container runs as a sidecar', async () => {
    const ns = 'init';
    await createPod(
      env.api,
      ns,
      podManifest('init', {
        restartPolicy: 'Never',
        volumes: [{ name: 'w', emptyDir: {} }],
        initContainers: [
          { name: 'one', image: 'busybox', command: ['sh', '-c', 'echo one >> /w/order'], volumeMounts: [{ name: 'w', mountPath: '/w' }] },
          { name: 'side', image: 'busybox', restartPolicy: 'Always', command: ['sh', '-c', 'echo side >> /w/order; exec sleep 3600'], volumeMounts: [{ name: 'w', mountPath: '/w' }] },
          { name: 'two', image: 'busybox', command: ['sh', '-c', 'sleep 0.2; echo two >> /w/order'], volumeMounts: [{ name: 'w', mountPath: '/w' }] },
        ],
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo main >> /w/order; cat /w/order'], volumeMounts: [{ name: 'w', mountPath: '/w' }] }],
        terminationGracePeriodSeconds: 2,
      }),
    );
    const p = await podWhere(env.api, ns, 'init', done, 'completion');
    assert.equal(p.status.phase, 'Succeeded');
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/init/main`)).body, 'one\nside\ntwo\nmain\n');
    const inits = p.status.initContainerStatuses;
    assert.deepEqual(
      inits.map((c: any) => c.name),
      ['one', 'side', 'two'],
    );
    assert.equal(inits[0].state.terminated.reason, 'Completed');
    assert.ok(inits[1].state.terminated, `the sidecar is stopped when the pod completes: ${JSON.stringify(inits[1])}`);
    // a failing init container with restartPolicy Never fails the pod, the containers never run
    await createPod(
      env.api,
      ns,
      podManifest('badinit', { restartPolicy: 'Never', initContainers: [{ name: 'fail', image: 'busybox', command: ['sh', '-c', 'exit 2'] }], containers: [{ name: 'main', image: 'busybox', command: ['true'] }] }),
    );
    const b = await podWhere(env.api, ns, 'badinit', done, 'completion');
    assert.equal(b.status.phase, 'Failed');
    assert.equal(cond(b, 'Initialized'), 'False');
    assert.equal(cstatus(b, 'main').state.waiting.reason, 'PodInitializing');
  });

  it('env from value, ConfigMap, Secret, fieldRef, resourceFieldRef, envFrom, with $(VAR) expansion', async () => {
    const ns = 'envs';
    await ensureNamespace(env.api, ns);
    await create(env.api, `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { color: 'blue', size: 'xl' } });
    await create(env.api, `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, data: { password: Buffer.from('s3cret').toString('base64') } });
    await create(env.api, `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-svc' }, spec: { ports: [{ name: 'http', port: 80 }] } });
    // the API server's ServiceAccount admission requires the account to exist
    await create(env.api, `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } });
    await createPod(
      env.api,
      ns,
      podManifest(
        'env',
        {
          restartPolicy: 'Never',
          serviceAccountName: 'robot',
          containers: [
            {
              name: 'c',
              image: 'busybox',
              command: ['sh', '-c', "env | sort; echo 'ARG=$(GREETING)'"],
              resources: { limits: { memory: '64Mi', cpu: '500m' } },
              envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }],
              env: [
                { name: 'PLAIN', value: 'v' },
                { name: 'GREETING', value: 'hi-$(PLAIN)-$(MISSING)-$$(PLAIN)' },
                { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cm', key: 'color' } } },
                { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'cm', key: 'nope', optional: true } } },
                { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
                { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
                { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
                { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
              ],
            },
          ],
        },
        { labels: { tier: 'backend' } },
      ),
    );
    const p = await podWhere(env.api, ns, 'env', done, 'completion');
    assert.equal(p.status.phase, 'Succeeded', JSON.stringify(p.status));
    const out = (await kubeletGet(env, `/containerLogs/${ns}/env/c`)).body;
    const vars = new Map(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));
    assert.equal(vars.get('PLAIN'), 'v');
    assert.equal(vars.get('GREETING'), 'hi-v-$(MISSING)-$(PLAIN)');
    assert.equal(vars.get('ARG'), 'hi-v-$(MISSING)-$(PLAIN)');
    assert.equal(vars.get('COLOR'), 'blue');
    assert.equal(vars.has('OPT'), false);
    assert.equal(vars.get('CM_size'), 'xl');
    assert.equal(vars.get('PASSWORD'), 's3cret');
    assert.equal(vars.get('POD_NAME'), 'env');
    assert.equal(vars.get('POD_NS'), ns);
    assert.equal(vars.get('POD_IP'), p.status.podIP);
    assert.equal(vars.get('NODE'), 'flotilla-node');
    assert.equal(vars.get('SA'), 'robot');
    assert.equal(vars.get('TIER'), 'backend');
    assert.equal(vars.get('MEM_MI'), '64');
    assert.equal(vars.get('CPU_M'), '500');
    assert.equal(vars.get('HOSTNAME'), 'env');
    assert.match(vars.get('WEB_SVC_SERVICE_HOST') ?? '', /^10\./);
    assert.equal(vars.get('WEB_SVC_SERVICE_PORT'), '80');
    // with a network per pod, the API server is the `kubernetes` Service; else the real address
    if (env.agent.network === 'netns') {
      assert.equal(vars.get('KUBERNETES_SERVICE_HOST'), '10.96.0.1');
      assert.equal(vars.get('KUBERNETES_SERVICE_PORT'), '443');
    } else {
      assert.equal(vars.get('KUBERNETES_SERVICE_HOST'), '127.0.0.1');
      assert.equal(vars.get('KUBERNETES_SERVICE_PORT'), String(env.server.port));
    }
  });

  it('a missing ConfigMap key is CreateContainerConfigError with a clear message', async () => {
    const ns = 'cfgerr';
    await ensureNamespace(env.api, ns);
    await create(env.api, `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } });
    await createPod(env.api, ns, podManifest('p', { containers: [{ name: 'c', image: 'busybox', command: ['true'], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'missing' } } }] }] }));
    await createPod(env.api, ns, podManifest('q', { containers: [{ name: 'c', image: 'busybox', command: ['true'], envFrom: [{ secretRef: { name: 'nosuch' } }] }] }));
    const p = await podWhere(env.api, ns, 'p', (p) => cstatus(p)?.state?.waiting?.reason === 'CreateContainerConfigError', 'CreateContainerConfigError');
    assert.equal(cstatus(p).state.waiting.message, `couldn't find key missing in ConfigMap ${ns}/cm`);
    assert.equal(p.status.phase, 'Pending');
    const q = await podWhere(env.api, ns, 'q', (p) => cstatus(p)?.state?.waiting?.reason === 'CreateContainerConfigError', 'CreateContainerConfigError');
    assert.equal(cstatus(q).state.waiting.message, 'secret "nosuch" not found');
    // fixing the ConfigMap lets the container start on a retry
    await env.api.patch(R.configmaps, ns, 'cm', { data: { missing: 'now' } });
    await podWhere(env.api, ns, 'p', (p) => cstatus(p)?.restartCount >= 0 && (cstatus(p)?.state?.running || cstatus(p)?.state?.terminated || cstatus(p)?.lastState?.terminated), 'started after the fix');
    await deletePod(env.api, ns, 'p', 0);
    await deletePod(env.api, ns, 'q', 0);
  });

  it('configMap, secret, downwardAPI and projected volumes are readable at their mountPath', async () => {
    const ns = 'vols';
    await ensureNamespace(env.api, ns);
    await create(env.api, `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'app.conf': 'port=8080\n', other: 'x' } });
    await create(env.api, `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls' }, data: { 'tls.key': Buffer.from('KEY').toString('base64') } });
    await createPod(
      env.api,
      ns,
      podManifest(
        'vols',
        {
          restartPolicy: 'Never',
          volumes: [
            { name: 'cfg', configMap: { name: 'cfg' } },
            { name: 'only', configMap: { name: 'cfg', items: [{ key: 'other', path: 'sub/renamed', mode: 0o600 }] } },
            { name: 'tls', secret: { secretName: 'tls', defaultMode: 0o400 } },
            { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
            { name: 'all', projected: { sources: [{ configMap: { name: 'cfg', items: [{ key: 'other', path: 'o' }] } }, { secret: { name: 'tls' } }] } },
          ],
          containers: [
            {
              name: 'c',
              image: 'busybox',
              command: ['sh', '-c', 'cat /etc/config/app.conf /opt/only/sub/renamed; echo; cat /etc/tls/tls.key; echo; cat /info/labels; echo; cat /info/name; echo; cat /all/o /all/tls.key; echo; cat /conf-file; stat -c %a /etc/tls/..data/tls.key; touch /etc/config/new 2>/dev/null || echo read-only'],
              volumeMounts: [
                { name: 'cfg', mountPath: '/etc/config', readOnly: true },
                { name: 'only', mountPath: '/opt/only' },
                { name: 'tls', mountPath: '/etc/tls' },
                { name: 'info', mountPath: '/info' },
                { name: 'all', mountPath: '/all' },
                { name: 'cfg', mountPath: '/conf-file', subPath: 'app.conf' },
              ],
            },
          ],
        },
        { labels: { app: 'vols', tier: 'x' } },
      ),
    );
    const p = await podWhere(env.api, ns, 'vols', done, 'completion');
    const out = (await kubeletGet(env, `/containerLogs/${ns}/vols/c`)).body;
    assert.equal(p.status.phase, 'Succeeded', out);
    assert.equal(out, 'port=8080\nx\nKEY\napp="vols"\ntier="x"\nvols\nxKEY\nport=8080\n400\nread-only\n');
  });

  it('a running pod\'s downwardAPI labels follow a label change; a finished pod\'s volumes are left as they were', async () => {
    const ns = 'vol-refresh';
    await ensureNamespace(env.api, ns);
    const spec = (command: string[]) => ({
      restartPolicy: 'Never',
      volumes: [{ name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }],
      containers: [{ name: 'c', image: 'busybox', command, volumeMounts: [{ name: 'info', mountPath: '/info' }] }],
    });
    await createPod(env.api, ns, podManifest('live', spec(['sleep', '60']), { labels: { v: '1' } }));
    await createPod(env.api, ns, podManifest('fin', spec(['true']), { labels: { v: '1' } }));
    const fin = await podWhere(env.api, ns, 'fin', done, 'completion');
    const live = await podWhere(env.api, ns, 'live', (p) => p.status?.phase === 'Running', 'running');
    const file = (p: any) => join(env.agentOpts.dataDir!, 'volumes', `${p.metadata.uid}-info`, 'labels');
    assert.equal(readFileSync(file(fin), 'utf8'), 'v="1"');
    // the same label change to both (the Argo controller labels every finished pod `completed=true`)
    await Promise.all(['live', 'fin'].map((n) => env.api.patch(R.pods, ns, n, { metadata: { labels: { v: '2' } } })));
    await waitFor('the running pod\'s labels file to follow', () => readFileSync(file(live), 'utf8') === 'v="2"' || undefined, 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(readFileSync(file(fin), 'utf8'), 'v="1"', 'a finished pod\'s volume is not rendered again');
    await deletePod(env.api, ns, 'live', 0);
    await deletePod(env.api, ns, 'fin', 0);
  });

  it('mounts a service account token from the TokenRequest API that works against the API server', async () => {
    const ns = 'sa';
    // the API server creates the ServiceAccount "default" with the namespace
    await ensureNamespace(env.api, ns);
    // RBAC: a ServiceAccount may do nothing until bound; let "default" read pods, as one would in Kubernetes
    await create(env.api, `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
    await create(env.api, `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'default-pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    });
    const d = '/var/run/secrets/kubernetes.io/serviceaccount';
    await createPod(
      env.api,
      ns,
      podManifest('sa', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'c',
            image: 'curlimages/curl',
            command: ['sh', '-c', `cat ${d}/namespace; echo; curl -sS --cacert ${d}/ca.crt -H "Authorization: Bearer $(cat ${d}/token)" https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/${ns}/pods/sa`],
          },
        ],
      }),
    );
    const p = await podWhere(env.api, ns, 'sa', done, 'completion');
    const out = (await kubeletGet(env, `/containerLogs/${ns}/sa/c`)).body;
    assert.equal(p.status.phase, 'Succeeded', out);
    const [nsLine, ...rest] = out.split('\n');
    assert.equal(nsLine, ns);
    assert.equal(JSON.parse(rest.join('\n')).metadata.uid, p.metadata.uid);
  });

  it('a readiness probe drives the Ready condition', async () => {
    const ns = 'ready';
    await createPod(
      env.api,
      ns,
      podManifest('r', {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'sleep 1; touch /tmp/ready; sleep 2; rm /tmp/ready; exec sleep 3600'],
            readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      }),
    );
    const first = await podWhere(env.api, ns, 'r', (p) => p.status?.phase === 'Running', 'Running');
    assert.equal(cond(first, 'Ready'), 'False');
    await podWhere(env.api, ns, 'r', (p) => cond(p, 'Ready') === 'True' && cstatus(p).ready === true, 'Ready');
    const notReady = await podWhere(env.api, ns, 'r', (p) => cond(p, 'Ready') === 'False', 'not Ready again');
    assert.equal(cstatus(notReady).restartCount, 0);
    await env.agent.flushEvents();
    assert.ok((await events(env.api, ns, 'r')).some((e: any) => e.reason === 'Unhealthy' && /^Readiness probe failed: cat: /.test(e.message)));
    await deletePod(env.api, ns, 'r');
  });

  it('a failing liveness probe restarts the container', async () => {
    const ns = 'live';
    await createPod(
      env.api,
      ns,
      podManifest('l', {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'exec sleep 3600'],
            ports: [{ name: 'http', containerPort: 1 }],
            livenessProbe: { httpGet: { port: 'http', path: '/healthz' }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      }),
    );
    const p = await podWhere(env.api, ns, 'l', (p) => cstatus(p)?.restartCount >= 1, 'a restart', 30_000);
    assert.ok(cstatus(p).lastState.terminated);
    await env.agent.flushEvents();
    const evs = await events(env.api, ns, 'l');
    assert.ok(evs.some((e: any) => e.reason === 'Unhealthy' && /^Liveness probe failed: Get "http:\/\/[\d.]+:1\/healthz": dial tcp/.test(e.message)), JSON.stringify(evs.map((e: any) => e.message)));
    assert.ok(evs.some((e: any) => e.reason === 'Killing' && /failed liveness probe, will be restarted/.test(e.message)));
    await deletePod(env.api, ns, 'l');
  });

  it('deletion: SIGTERM to a trapping script, the grace period, then the pod is gone with no process left', async () => {
    const ns = 'term';
    const m = `term-${uniq()}`;
    const hostDir = mkdtempSync(join(tmpdir(), 'flotilla-term-'));
    await createPod(
      env.api,
      ns,
      podManifest('t', {
        terminationGracePeriodSeconds: 10,
        volumes: [{ name: 'out', hostPath: { path: hostDir, type: 'Directory' } }],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', `trap 'echo got TERM > /out/signal; exit 0' TERM; echo ${m} >/dev/null; while true; do sleep 0.1; done`],
            volumeMounts: [{ name: 'out', mountPath: '/out' }],
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo pre-stop > /out/prestop'] } } },
          },
          { name: 'stubborn', image: 'busybox', command: ['sh', '-c', `trap '' TERM; while true; do sleep 0.1; done # ${m}`] },
        ],
      }),
    );
    await podWhere(env.api, ns, 't', (p) => cond(p, 'Ready') === 'True', 'Ready');
    assert.ok(procsWith(m).length >= 2);
    const t0 = Date.now();
    await deletePod(env.api, ns, 't', 2);
    await waitFor('signal file', () => existsSync(join(hostDir, 'signal')) && readFileSync(join(hostDir, 'signal'), 'utf8') === 'got TERM\n', 5000);
    assert.equal(readFileSync(join(hostDir, 'prestop'), 'utf8'), 'pre-stop\n', 'the preStop hook ran first');
    assert.ok(await getPod(env.api, ns, 't'), 'the stubborn container holds the pod during the grace period');
    await waitFor('pod gone', async () => !(await getPod(env.api, ns, 't')), 10_000);
    const took = Date.now() - t0;
    assert.ok(took >= 1500, `the grace period was honoured (${took} ms)`);
    await waitFor('no process left', () => procsWith(m).length === 0, 5000);
  });

  it('output left in the pipes at exit is read by the running agent: the shim saves none of it (no dd per container)', async () => {
    const ns = 'rest';
    await createPod(env.api, ns, podManifest('r', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'for i in 1 2 3; do echo out $i; echo err $i >&2; done'] }] }));
    const p = await podWhere(env.api, ns, 'r', done, 'completion');
    assert.equal(p.status.phase, 'Succeeded');
    const logs = (await kubeletGet(env, `/containerLogs/${ns}/r/c`)).body.split('\n').filter(Boolean).sort();
    assert.deepEqual(logs, ['err 1', 'err 2', 'err 3', 'out 1', 'out 2', 'out 3']);
    const dir = join(env.agentOpts.dataDir, 'pods', p.metadata.uid);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.rest')), [], 'no output saved by the shim');
    await deletePod(env.api, ns, 'r', 0);
  });

  it('container processes are started by the process helper, not forked by the agent (whose event loop relays pods\' API traffic)', async () => {
    const ns = 'helper';
    const m = `helper-${uniq()}`;
    await createPod(env.api, ns, podManifest('h', { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `while true; do sleep 0.2; done # ${m}`] }] }));
    await podWhere(env.api, ns, 'h', (p) => cstatus(p, 'c')?.state?.running, 'running');
    const shims = procsWith(m).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('shim.sh'));
    assert.equal(shims.length, 1, 'one shim');
    const parent = Number(readFileSync(`/proc/${shims[0]}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    assert.notEqual(parent, process.pid, 'the agent (this process) is not the parent');
    assert.match(readFileSync(`/proc/${parent}/cmdline`, 'utf8'), /spawner-main\.js/);
    await deletePod(env.api, ns, 'h', 0);
    await waitFor('no process left', () => procsWith(m).length === 0, 10_000);
  });

  it('BestEffort pods run at a lower CPU priority (nice 10) than pods that request CPU, as their cpu.shares are on a kubelet', async () => {
    const ns = 'qos';
    const m = `qos-${uniq()}`;
    const loop = (tag: string) => ['sh', '-c', `while true; do sleep 0.2; done # ${m}-${tag}`];
    await createPod(env.api, ns, podManifest('best', { containers: [{ name: 'c', image: 'busybox', command: loop('best') }] }));
    await createPod(env.api, ns, podManifest('burst', { containers: [{ name: 'c', image: 'busybox', command: loop('burst'), resources: { requests: { cpu: '50m' } } }] }));
    for (const name of ['best', 'burst']) await podWhere(env.api, ns, name, (p) => cstatus(p, 'c')?.state?.running, 'running');
    assert.equal((await getPod(env.api, ns, 'best')).status.qosClass, 'BestEffort');
    const nice = (tag: string) => procsWith(`${m}-${tag}`).map((pid) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[16]));
    const best = nice('best');
    const burst = nice('burst');
    assert.ok(best.length >= 1 && best.every((n) => n === 10), `BestEffort: ${best}`);
    assert.ok(burst.length >= 1 && burst.every((n) => n === 0), `Burstable: ${burst}`);
    // started by the process helper that runs at nice 10 (no `nice` program in front of each container)
    const helperOf = (tag: string) => {
      const shim = procsWith(`${m}-${tag}`).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('shim.sh'))!;
      const parent = Number(readFileSync(`/proc/${shim}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      return readFileSync(`/proc/${parent}/cmdline`, 'utf8').split('\0');
    };
    assert.ok(helperOf('best').includes('--nice=10'), `BestEffort's helper: ${helperOf('best').join(' ')}`);
    assert.ok(!helperOf('burst').some((a) => a.startsWith('--nice')), `Burstable's helper: ${helperOf('burst').join(' ')}`);
    await Promise.all(['best', 'burst'].map((n) => deletePod(env.api, ns, n, 0)));
  });

  it('an image with no local program is ErrImagePull with a message saying how to map it', async () => {
    const ns = 'img';
    await createPod(env.api, ns, podManifest('img', { containers: [{ name: 'c', image: 'example.com/team/thing:1.0' }] }));
    const p = await podWhere(env.api, ns, 'img', (p) => cstatus(p)?.state?.waiting?.reason === 'ErrImagePull', 'ErrImagePull');
    const msg = cstatus(p).state.waiting.message;
    assert.match(msg, /image "example\.com\/team\/thing:1\.0" has no local program/);
    assert.match(msg, /images\.json/);
    assert.match(msg, /"images" option/);
    assert.equal(p.status.phase, 'Pending');
    // mapping it through the data dir's images.json makes it run
    writeFileSync(join(env.agentOpts.dataDir, 'images.json'), JSON.stringify({ 'example.com/team/thing': { entrypoint: ['sh', '-c', 'echo mapped; sleep 3600'] } }));
    await podWhere(env.api, ns, 'img', (p) => cstatus(p)?.state?.running, 'running once mapped', 30_000);
    await deletePod(env.api, ns, 'img', 0);
  });

  it('a command that does not exist is a StartError with a clear message', async () => {
    const ns = 'nocmd';
    await createPod(env.api, ns, podManifest('nocmd', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['no-such-program-xyz', 'arg'] }] }));
    const p = await podWhere(env.api, ns, 'nocmd', done, 'completion');
    assert.equal(p.status.phase, 'Failed');
    const t = cstatus(p).state.terminated;
    assert.equal(t.reason, 'StartError');
    assert.equal(t.exitCode, 128);
    assert.match(t.message, /exec: "no-such-program-xyz": executable file not found in \$PATH/);
    await createPod(env.api, ns, podManifest('retry', { containers: [{ name: 'c', image: 'busybox', command: ['/no/such/file'] }] }));
    const r = await podWhere(env.api, ns, 'retry', (p) => cstatus(p)?.state?.waiting?.reason === 'RunContainerError', 'RunContainerError');
    assert.match(cstatus(r).state.waiting.message, /\/no\/such\/file: no such file or directory/);
    assert.equal(cstatus(r).lastState.terminated.reason, 'StartError');
    await deletePod(env.api, ns, 'retry', 0);
  });

  it('argoproj/rollouts-demo answers its color over HTTP on the pod address', async () => {
    const ns = 'demo';
    await createPod(
      env.api,
      ns,
      podManifest('blue', {
        terminationGracePeriodSeconds: 5,
        containers: [{ name: 'rollouts-demo', image: 'argoproj/rollouts-demo:blue', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }],
      }),
    );
    await createPod(env.api, ns, podManifest('yellow', { terminationGracePeriodSeconds: 5, containers: [{ name: 'rollouts-demo', image: 'argoproj/rollouts-demo:yellow', readinessProbe: { httpGet: { port: 8080, path: '/color' }, periodSeconds: 1 } }] }));
    const b = await podWhere(env.api, ns, 'blue', (p) => cond(p, 'Ready') === 'True', 'Ready');
    const y = await podWhere(env.api, ns, 'yellow', (p) => cond(p, 'Ready') === 'True', 'Ready');
    const rb = await httpGet(`http://${b.status.podIP}:8080/color`, 2000, env.agent.dial);
    assert.equal(rb.status, 200);
    assert.equal(JSON.parse(rb.body), 'blue');
    assert.equal(JSON.parse((await httpGet(`http://${y.status.podIP}:8080/color`, 2000, env.agent.dial)).body), 'yellow');
    await deletePod(env.api, ns, 'blue');
    await deletePod(env.api, ns, 'yellow');
    await waitFor('pods gone', async () => !(await getPod(env.api, ns, 'blue')) && !(await getPod(env.api, ns, 'yellow')));
  });

  it('argosay and whalesay run as built-in programs', async () => {
    const ns = 'say';
    await createPod(
      env.api,
      ns,
      podManifest('say', {
        restartPolicy: 'Never',
        volumes: [{ name: 'w', emptyDir: {} }],
        initContainers: [{ name: 'write', image: 'argoproj/argosay:v2', args: ['echo', 'from argosay', '/w/msg'], volumeMounts: [{ name: 'w', mountPath: '/w' }] }],
        containers: [
          { name: 'read', image: 'argoproj/argosay:v2', args: ['cat', '/w/msg'], volumeMounts: [{ name: 'w', mountPath: '/w' }] },
          { name: 'whale', image: 'docker/whalesay:latest', command: ['cowsay'], args: ['hello world'] },
          // a shell of the image finds the image's programs on PATH (upstream's conditionals example)
          { name: 'shell', image: 'argoproj/argosay:v1', command: ['sh', '-c'], args: ['cowsay hello from sh'] },
          // alpine's nc (busybox's: -lk and -e) whatever the host has (upstream's variables-showcase)
          { name: 'nc', image: 'alpine:3.23', command: ['sh', '-c'], args: ['(nc -lk -p 9999 -e /bin/echo pong &); for i in 1 2 3 4 5 6 7 8 9 10; do nc -z 127.0.0.1 9999 2>/dev/null && break; sleep 0.2; done; nc 127.0.0.1 9999 </dev/null'] },
        ],
      }),
    );
    const p = await podWhere(env.api, ns, 'say', done, 'completion');
    assert.equal(p.status.phase, 'Succeeded');
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/say/read`)).body, 'from argosay\n', 'a last line without newline ends the log as a full line');
    assert.match((await kubeletGet(env, `/containerLogs/${ns}/say/whale`)).body, /< hello world >[\s\S]*##/);
    assert.match((await kubeletGet(env, `/containerLogs/${ns}/say/shell`)).body, /< hello from sh >/);
    assert.equal((await kubeletGet(env, `/containerLogs/${ns}/say/nc`)).body, 'pong\n');
  });

  it('follows a log until the container exits; a finished pod is deleted at once', async () => {
    const ns = 'follow';
    await createPod(env.api, ns, podManifest('f', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; sleep 1; done'] }] }));
    await podWhere(env.api, ns, 'f', (p) => p.status?.phase === 'Running', 'Running');
    const t0 = Date.now();
    const r = await kubeletGet(env, `/containerLogs/${ns}/f/c?follow=true`);
    assert.equal(r.body, 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    assert.ok(Date.now() - t0 >= 500, 'the stream stayed open while the container ran');
    await podWhere(env.api, ns, 'f', done, 'completion');
    await deletePod(env.api, ns, 'f');
    await waitFor('finished pod removed', async () => !(await getPod(env.api, ns, 'f')), 15_000);
  });

  it('force deletion (grace 0) stops the processes at once', async () => {
    const ns = 'force';
    const m = `force-${uniq()}`;
    await createPod(env.api, ns, podManifest('f', { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `trap '' TERM; while true; do sleep 0.1; done # ${m}`] }] }));
    await podWhere(env.api, ns, 'f', (p) => cond(p, 'Ready') === 'True', 'Ready');
    assert.ok(procsWith(m).length > 0);
    await deletePod(env.api, ns, 'f', 0);
    assert.equal(await getPod(env.api, ns, 'f'), undefined);
    await waitFor('no process left', () => procsWith(m).length === 0, 5000);
  });

  it('a changed image restarts the container with it', async () => {
    const ns = 'image';
    await createPod(env.api, ns, podManifest('i', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] }));
    const before = await podWhere(env.api, ns, 'i', (p) => cond(p, 'Ready') === 'True', 'Ready');
    await env.api.patch(R.pods, ns, 'i', { spec: { containers: [{ name: 'c', image: 'alpine:3.19' }] } }, 'strategic');
    const after = await podWhere(env.api, ns, 'i', (p) => cstatus(p)?.image === 'alpine:3.19' && !!cstatus(p)?.state?.running, 'running the new image');
    assert.equal(cstatus(after).restartCount, 1);
    assert.notEqual(cstatus(after).containerID, cstatus(before).containerID);
    await deletePod(env.api, ns, 'i', 0);
  });

  it('activeDeadlineSeconds fails the pod with DeadlineExceeded', async () => {
    const ns = 'deadline';
    await createPod(env.api, ns, podManifest('d', { activeDeadlineSeconds: 3, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] }));
    // (not waiting to see Running first: under load the 3 s can pass between two polls)
    const p = await podWhere(env.api, ns, 'd', done, 'completion', 30_000);
    assert.equal(p.status.phase, 'Failed');
    assert.equal(p.status.reason, 'DeadlineExceeded');
    // usually it ran and was stopped by the deadline (a signal, not its own exit); on a loaded
    // machine the deadline can pass before it started, and then it never runs
    const st = cstatus(p).state;
    if (st.terminated) assert.notEqual(st.terminated.exitCode, 0, JSON.stringify(st));
    else assert.ok(st.waiting, JSON.stringify(st));
    assert.equal(cstatus(p).ready, false);
  });

  it('a startup probe holds readiness and liveness until it succeeds', async () => {
    const ns = 'startup';
    await createPod(
      env.api,
      ns,
      podManifest('s', {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'sleep 1.5; touch /tmp/started; exec sleep 3600'],
            startupProbe: { exec: { command: ['test', '-e', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 10 },
            livenessProbe: { exec: { command: ['test', '-e', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      }),
    );
    const early = await podWhere(env.api, ns, 's', (p) => !!cstatus(p)?.state?.running, 'running');
    assert.equal(cstatus(early).started, false);
    assert.equal(cstatus(early).ready, false);
    const p = await podWhere(env.api, ns, 's', (p) => cond(p, 'Ready') === 'True', 'Ready after the startup probe');
    assert.equal(cstatus(p).started, true);
    assert.equal(cstatus(p).restartCount, 0, 'liveness did not run before startup succeeded');
    await deletePod(env.api, ns, 's', 0);
  });
});
