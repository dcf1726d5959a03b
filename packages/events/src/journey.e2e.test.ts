/**
 * The seed's Argo Events journey, verbatim, on one `flotilla up` (no component installed by it: the
 * journey applies upstream's manifests with kubectl, as a user does), with the ServiceAccount and
 * RBAC of upstream's tutorial (examples/rbac) so the sensor may create Workflows, a real
 * `kubectl port-forward svc/webhook-eventsource-svc 12000:12000` and `curl`. Argo Workflows is
 * installed from upstream's install.yaml (the journey's last step lists its workflows).
 * Then, on the same cluster: the validating webhook's refusals, the native bus's NATS cluster
 * (routes, token auth), and events flowing on after a NATS server is killed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podDiagnostics, startUp, stopUp, type Up } from '@flotilla/kube-runtime/testkit';
import { ROOT, Shell, UPSTREAM, condition } from './testenv.js';
import { REFUSED } from './examples.js';

const EV = join(UPSTREAM, 'install-manifests', 'argo-events');
const EX = join(UPSTREAM, 'argo-events-examples');
const WF_INSTALL = join(UPSTREAM, 'install-manifests', 'argo-workflows', 'install.yaml');
const rel = (p: string) => p.replace(join(UPSTREAM, '..', '..') + '/', '../');
const skip = [join(EV, 'install.yaml'), join(EV, 'install-validating-webhook.yaml'), join(EX, 'eventbus', 'native.yaml'), WF_INSTALL].find((f) => !existsSync(f));
if (skip) console.log(`# skipped: ${skip} is absent`);

const MESSAGE = '{"message":"this is my first webhook"}';

describe("the seed's Argo Events journey on flotilla up", { skip: skip ? `no ${skip}` : undefined, timeout: 600_000 }, () => {
  let dir: string;
  let up: Up;
  let sh: Shell;
  let pf: ChildProcess | undefined;
  const k = (...a: string[]) => sh.ok(['kubectl', ...a]);

  /** curl -d MESSAGE … http://localhost:12000/example until the event source answers 200 */
  async function post(body: string): Promise<string> {
    return sh.eventually(
      'the webhook event source answers',
      async () => {
        const r = await sh.sh(['curl', '-sS', '-d', body, '-H', 'Content-Type: application/json', '-X', 'POST', 'http://localhost:12000/example', '-w', '\n%{http_code}']);
        if (r.code !== 0 || !/\n200$/.test(r.stdout)) throw new Error(`curl exited ${r.code}: ${r.stdout} ${r.stderr}`);
        return r.stdout;
      },
      90_000,
      1000,
    );
  }

  /** Workflows created by the sensor whose first argument contains `text`. */
  async function workflowsWith(text: string): Promise<any[]> {
    const l = await sh.json(['get', 'workflows', '-n', 'argo-events']);
    return l.items.filter((w: any) => String(w.spec?.arguments?.parameters?.[0]?.value ?? '').includes(text));
  }

  /** The bus's StatefulSet once its 3 servers are ready; else an error naming what the pods were doing. */
  async function busReady(bus: string, sts: string): Promise<any> {
    return sh
      .eventually(`the 3 NATS servers of EventBus ${bus} ready`, async () => {
        const s = await sh.json(['get', 'statefulset', sts, '-n', 'argo-events']);
        return s.status?.readyReplicas === 3 && s;
      }, 120_000)
      .catch(async (e: Error) => {
        // say what the pods were doing (CI runs saw them never ready, once in a few runs)
        const run = async (args: string[], o?: { timeoutMs?: number }) => {
          const r = await sh.sh(['kubectl', ...args], o);
          return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
        };
        const out = [e.message, await podDiagnostics(run, 'argo-events', `eventbus-name=${bus}`, { probe: ['curl', '-sS', '-m', '5', 'http://127.0.0.1:8222/healthz'], tail: 12 })];
        const msg = out.join('\n');
        console.error(msg);
        throw new Error(msg);
      });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'events-journey-'));
    const home = join(dir, 'home');
    mkdirSync(home);
    up = await startUp(join(dir, 'data'), 300_000);
    sh = new Shell(join(dir, 'data'), home, () => up.kubeconfig);
  });
  after(async () => {
    pf?.kill('SIGTERM');
    if (up) await stopUp(up, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl create namespace argo-events', async () => {
    assert.match(await k('create', 'namespace', 'argo-events'), /namespace\/argo-events created/);
  });

  it(`kubectl apply -f ${rel(join(EV, 'install.yaml'))}`, async () => {
    const out = await k('apply', '-f', join(EV, 'install.yaml'));
    assert.match(out, /customresourcedefinition.apiextensions.k8s.io\/eventbus.argoproj.io created/);
    assert.match(out, /deployment.apps\/controller-manager created/);
  });

  it(`kubectl apply -f ${rel(join(EV, 'install-validating-webhook.yaml'))}`, async () => {
    assert.match(await k('apply', '-f', join(EV, 'install-validating-webhook.yaml')), /deployment.apps\/events-webhook created/);
  });

  it('(Argo Workflows, for the sensor to create Workflows: kubectl create namespace argo; kubectl apply --server-side -n argo -f install.yaml)', async () => {
    await k('create', 'namespace', 'argo');
    await sh.ok(['kubectl', 'apply', '--server-side', '-n', 'argo', '-f', WF_INSTALL], { timeoutMs: 180_000 });
    await k('wait', '--for=condition=Established', 'crd/workflows.argoproj.io', '--timeout=60s');
  });

  it('controller-manager and events-webhook become available; the webhook registers itself', async () => {
    for (const d of ['controller-manager', 'events-webhook']) {
      await sh.eventually(`${d} available`, async () => (await sh.ok(['kubectl', 'get', 'deployment', d, '-n', 'argo-events', '-o', 'jsonpath={.status.availableReplicas}'])).trim() === '1', 120_000);
    }
    const vwc = await sh.eventually('the ValidatingWebhookConfiguration', () => sh.json(['get', 'validatingwebhookconfiguration', 'validation.webhook.argo-events.argoproj.io']), 60_000);
    const hook = vwc.webhooks[0];
    assert.deepEqual(hook.clientConfig.service, { namespace: 'argo-events', name: 'events-webhook', path: '/validate', port: 443 });
    assert.match(Buffer.from(hook.clientConfig.caBundle, 'base64').toString(), /BEGIN CERTIFICATE/);
    assert.deepEqual(hook.rules[0].resources, ['eventbus', 'eventsources', 'sensors']);
  });

  it(`kubectl apply -n argo-events -f ${rel(join(EX, 'eventbus', 'native.yaml'))}  (EventBus "default": NATS, native, replicas 3, auth token)`, async () => {
    assert.match(await k('apply', '-n', 'argo-events', '-f', join(EX, 'eventbus', 'native.yaml')), /eventbus.argoproj.io\/default created/);
    const eb = await sh.eventually(
      'EventBus default Deployed and Configured',
      async () => {
        const o = await sh.json(['get', 'eventbus', 'default', '-n', 'argo-events']);
        return condition(o, 'Deployed')?.status === 'True' && condition(o, 'Configured')?.status === 'True' && o;
      },
      60_000,
    );
    assert.deepEqual(eb.status.config.nats, {
      url: 'nats://eventbus-default-stan-svc.argo-events.svc:4222',
      clusterID: 'eventbus-default',
      auth: 'token',
      accessSecret: { name: 'eventbus-default-client', key: 'client-auth' },
      // the native limits (limits.json: upstream's defaults maxAge 72h, maxMsgs 1,000,000, maxBytes 1GB, maxSubs 1000)
      limitsConfigMap: 'eventbus-default-stan-configmap',
    });
    const sts = await busReady('default', 'eventbus-default-stan');
    assert.equal(sts.spec.serviceName, 'eventbus-default-stan-svc');
    const token = Buffer.from((await sh.json(['get', 'secret', 'eventbus-default-client', '-n', 'argo-events'])).data['client-auth'], 'base64').toString();
    // a letter then hex: nats-server reads it from $NATS_TOKEN as a string (a value starting with digits may not parse)
    assert.match(token, /^[a-z][0-9a-f]{47}$/);
  });

  it('the NATS servers form one cluster (each has routes to the 2 others) and ask clients for the token', async () => {
    const mon = await sh.portForward(['-n', 'argo-events', 'pod/eventbus-default-stan-0', '18222:8222', '14222:4222']);
    try {
      const routez = await sh.eventually(
        'routes between the NATS servers',
        async () => {
          const r = JSON.parse(await sh.ok(['curl', '-sS', 'http://127.0.0.1:18222/routez']));
          return r.num_routes >= 2 && r;
        },
        60_000,
      );
      assert.ok(routez.routes.length >= 2, JSON.stringify(routez));
      const info = await sh.ok(['curl', '-sS', '--max-time', '2', 'telnet://127.0.0.1:14222'], { timeoutMs: 10_000 }).catch((e: Error) => e.message);
      assert.match(info, /"auth_required":true/);
    } finally {
      mon.kill('SIGTERM');
    }
  });

  it(`kubectl apply -n argo-events -f ${rel(join(EX, 'rbac', 'sensor-rbac.yaml'))} -f ${rel(join(EX, 'rbac', 'workflow-rbac.yaml'))}  (the tutorial's operate-workflow-sa)`, async () => {
    const out = await k('apply', '-n', 'argo-events', '-f', join(EX, 'rbac', 'sensor-rbac.yaml'), '-f', join(EX, 'rbac', 'workflow-rbac.yaml'));
    assert.match(out, /serviceaccount\/operate-workflow-sa created/);
  });

  it(`kubectl apply -n argo-events -f ${rel(join(EX, 'event-sources', 'webhook.yaml'))}`, async () => {
    assert.match(await k('apply', '-n', 'argo-events', '-f', join(EX, 'event-sources', 'webhook.yaml')), /eventsource.argoproj.io\/webhook created/);
    const es = await sh.eventually('EventSource webhook deployed', async () => {
      const o = await sh.json(['get', 'eventsource', 'webhook', '-n', 'argo-events']);
      return condition(o, 'Deployed')?.status === 'True' && o;
    }, 60_000);
    assert.equal(condition(es, 'SourcesProvided')?.status, 'True');
    const svc = await sh.json(['get', 'service', 'webhook-eventsource-svc', '-n', 'argo-events']);
    assert.deepEqual(svc.spec.ports.map((p: any) => [p.port, p.targetPort]), [[12000, 12000]]);
    assert.equal(svc.metadata.labels.foo, 'bar');
    const dep = await sh.json(['get', 'deployment', 'webhook-eventsource', '-n', 'argo-events']);
    const c = dep.spec.template.spec.containers[0];
    assert.equal(c.image, 'quay.io/argoproj/argo-events:latest');
    assert.deepEqual(c.args, ['eventsource-service']);
    const env = Object.fromEntries(c.env.filter((e: any) => e.value).map((e: any) => [e.name, e.value]));
    assert.equal(JSON.parse(Buffer.from(env.EVENTSOURCE_OBJECT, 'base64').toString()).spec.webhook.example.endpoint, '/example');
    assert.equal(JSON.parse(Buffer.from(env.EVENTBUS_CONFIG, 'base64').toString()).nats.auth, 'token');
    assert.equal(env.EVENT_BUS_SUBJECT, 'eventbus-argo-events');
  });

  it(`kubectl apply -n argo-events -f ${rel(join(EX, 'sensors', 'webhook.yaml'))}`, async () => {
    assert.match(await k('apply', '-n', 'argo-events', '-f', join(EX, 'sensors', 'webhook.yaml')), /sensor.argoproj.io\/webhook created/);
    const sn = await sh.eventually('Sensor webhook deployed', async () => {
      const o = await sh.json(['get', 'sensor', 'webhook', '-n', 'argo-events']);
      return condition(o, 'Deployed')?.status === 'True' && o;
    }, 60_000);
    assert.equal(condition(sn, 'DependenciesProvided')?.status, 'True');
    assert.equal(condition(sn, 'TriggersProvided')?.status, 'True');
    const dep = await sh.json(['get', 'deployment', 'webhook-sensor', '-n', 'argo-events']);
    assert.equal(dep.spec.template.spec.serviceAccountName, 'operate-workflow-sa');
    assert.deepEqual(dep.spec.template.spec.containers[0].args, ['sensor-service']);
    for (const d of ['webhook-eventsource', 'webhook-sensor']) {
      await sh.eventually(`${d} available`, async () => (await sh.ok(['kubectl', 'get', 'deployment', d, '-n', 'argo-events', '-o', 'jsonpath={.status.availableReplicas}'])).trim() === '1', 90_000);
    }
  });

  it('kubectl -n argo-events port-forward svc/webhook-eventsource-svc 12000:12000 &', async () => {
    pf = await sh.portForward(['-n', 'argo-events', 'svc/webhook-eventsource-svc', '12000:12000']);
  });

  it(`curl -d '${MESSAGE}' -H "Content-Type: application/json" -X POST http://localhost:12000/example`, async () => {
    await post(MESSAGE);
  });

  it('the sensor created a Workflow whose argument is the posted message', async () => {
    const [wf] = await sh.eventually('a workflow with the message', async () => {
      const l = await workflowsWith('this is my first webhook');
      return l.length > 0 && l;
    }, 60_000);
    assert.match(wf.metadata.name, /^webhook-/);
    assert.deepEqual(JSON.parse(wf.spec.arguments.parameters[0].value), JSON.parse(MESSAGE));
    assert.equal(wf.spec.templates[0].container.image, 'busybox');
  });

  it('argo list -n argo-events  (a workflow created by the sensor, whose log prints the message)', async (t) => {
    const r = await sh.sh(['argo', 'list', '-n', 'argo-events']);
    if (r.code !== 0 && /not built yet/.test(r.stderr)) {
      t.skip(`the argo CLI is not part of this build yet: ${r.stderr.trim()}`);
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+STATUS\s+AGE\s+DURATION\s+PRIORITY/m);
    assert.match(r.stdout, /^webhook-\S+\s+/m);
    const [wf] = await workflowsWith('this is my first webhook');
    await sh.eventually('the workflow succeeded', async () => (await sh.json(['get', 'workflow', wf.metadata.name, '-n', 'argo-events'])).status?.phase === 'Succeeded', 120_000, 2000);
    const logs = await sh.ok(['argo', 'logs', '-n', 'argo-events', wf.metadata.name]);
    assert.match(logs, /this is my first webhook/);
  });

  // ------------------------------------------------------------------ beyond the journey, same cluster

  /** The channel stream as nats-server's monitor (/jsz) shows it, through a port-forward to pod 0. */
  async function channelStream(port: number, ok: (st: any) => boolean, what: string): Promise<any> {
    const mon = await sh.portForward(['-n', 'argo-events', 'pod/eventbus-default-stan-0', `${port}:8222`]);
    try {
      return await sh.eventually(
        what,
        async () => {
          const j = JSON.parse(await sh.ok(['curl', '-sS', `http://127.0.0.1:${port}/jsz?streams=true&config=true`]));
          const st = (j.account_details ?? []).flatMap((a: any) => a.stream_detail ?? []).find((x: any) => x.name === 'eventbus-argo-events');
          return st && ok(st) && st;
        },
        90_000,
      );
    } finally {
      mon.kill('SIGTERM');
    }
  }

  it('the NATS servers keep the channel stream with the native limits, holding the posted event', async () => {
    const stream = await channelStream(18223, (st) => st.state?.messages >= 1, 'the stream eventbus-argo-events with a stored event');
    assert.deepEqual(stream.config.subjects, ['eventbus-argo-events.>']);
    assert.equal(stream.config.max_msgs, 1_000_000);
    assert.equal(stream.config.max_bytes, 1e9);
    assert.equal(stream.config.max_age, 259200e9);
    assert.equal(stream.config.max_consumers, 1000);
  });

  it('the validating webhook refuses a Sensor trigger without a template, an EventSource without sources, a change of the native bus auth', async () => {
    const sensor = `apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: no-template}
spec:
  dependencies: [{name: d, eventSourceName: webhook, eventName: example}]
  triggers: [{parameters: []}]
`;
    let r = await sh.sh(['kubectl', 'apply', '-n', 'argo-events', '-f', '-'], { input: sensor });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /admission webhook "webhook.argo-events.argoproj.io" denied the request: trigger template can't be nil/);
    r = await sh.sh(['kubectl', 'apply', '-n', 'argo-events', '-f', '-'], { input: 'apiVersion: argoproj.io/v1alpha1\nkind: EventSource\nmetadata: {name: empty}\nspec: {}\n' });
    assert.match(r.stderr, /denied the request: at least one event source must be specified/);
    r = await sh.sh(['kubectl', 'patch', 'eventbus', 'default', '-n', 'argo-events', '--type', 'merge', '-p', '{"spec":{"nats":{"native":{"auth":"none"}}}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /"spec.nats.native.auth" is immutable, can not be updated/);
    // a valid change passes
    const esPods = await sh.json(['get', 'pods', '-n', 'argo-events', '-l', 'eventsource-name=webhook']);
    await k('patch', 'eventbus', 'default', '-n', 'argo-events', '--type', 'merge', '-p', '{"spec":{"nats":{"native":{"maxMsgs":2000}}}}');
    // … and reaches the channel stream through the mounted limits.json, without replacing the EventSource pod
    await channelStream(18224, (st) => st.config?.max_msgs === 2000, 'the stream eventbus-argo-events with maxMsgs 2000');
    const after = await sh.json(['get', 'pods', '-n', 'argo-events', '-l', 'eventsource-name=webhook']);
    assert.deepEqual(after.items.map((p: any) => p.metadata.name), esPods.items.map((p: any) => p.metadata.name));
  });

  it(`kubectl apply --dry-run=server -n argo-events -f ${rel(join(EX, 'tutorials', '09-http-trigger'))}: the webhook refuses the sensors with upstream's reason (every example: examples.test.ts)`, async () => {
    const r = await sh.sh(['kubectl', 'apply', '--dry-run=server', '-n', 'argo-events', '-f', join(EX, 'tutorials', '09-http-trigger')], { timeoutMs: 60_000 });
    assert.match(r.stdout, /service\/http-server created \(server dry run\)/);
    const errors = r.stderr.split('\n').filter((l) => /^Error from server/.test(l));
    const refused = Object.entries(REFUSED).filter(([f]) => f.startsWith('tutorials/09-http-trigger/'));
    assert.equal(errors.length, refused.length, r.stderr);
    for (const [file, why] of refused) {
      const line = errors.find((l) => l.includes(join(EX, file)));
      assert.ok(line, `${file} refused:\n${r.stderr}`);
      assert.match(line, /admission webhook "webhook.argo-events.argoproj.io" denied the request/);
      assert.match(line, why);
    }
  });

  it('a NATS server of the bus is killed: events keep flowing', async () => {
    if (pf && (pf.exitCode !== null || pf.signalCode !== null)) {
      // say why the user's port-forward is gone (its pod restarted?) before starting it again
      const pods = await sh.sh(['kubectl', 'get', 'pods', '-n', 'argo-events', '-o', 'wide']);
      console.log(`# the port-forward exited (${pf.exitCode ?? pf.signalCode}); pods:\n${pods.stdout}`);
      pf = await sh.portForward(['-n', 'argo-events', 'svc/webhook-eventsource-svc', '12000:12000']);
    }
    const pfOut: string[] = [];
    pf?.stdout?.on('data', (d: Buffer) => pfOut.push(d.toString()));
    pf?.stderr?.on('data', (d: Buffer) => pfOut.push(d.toString()));
    pf?.on('exit', (c, sig) => pfOut.push(`(port-forward exited ${c ?? sig})`));
    const diag = async () => {
      const pods = await sh.sh(['kubectl', 'get', 'pods', '-n', 'argo-events', '-o', 'wide']);
      const logs = await sh.sh(['kubectl', 'logs', '-n', 'argo-events', '-l', 'eventsource-name=webhook', '--tail', '30', '--all-containers']);
      return `pods:\n${pods.stdout}\nport-forward: ${pfOut.join('').slice(-2000)}\neventsource logs:\n${logs.stdout}${logs.stderr}`;
    };
    await k('delete', 'pod', 'eventbus-default-stan-1', '-n', 'argo-events', '--wait=false');
    // core NATS keeps no store: an event published while a client reconnects may be lost, so the
    // event is posted again (numbered) until one arrives; the servers left carry it
    let n = 0;
    await sh.eventually('a workflow for an event posted after the kill', async () => {
      await post(`{"message":"after a nats server died ${++n}"}`);
      return sh.eventually('…', async () => (await workflowsWith('after a nats server died')).length > 0, 15_000).catch(() => false);
    }, 90_000, 100).catch(async (e: Error) => {
      throw new Error(`${e.message}\n${await diag()}`);
    });
    await sh.eventually('the killed server is back in the cluster', async () => (await sh.json(['get', 'statefulset', 'eventbus-default-stan', '-n', 'argo-events'])).status?.readyReplicas === 3, 60_000);
  });

  it("Flotilla's manifest over upstream's (kubectl apply -n argo-events -f manifests/argo-events/install.yaml): the controller-manager and webhook run Flotilla's image", async () => {
    await k('apply', '-n', 'argo-events', '-f', join(ROOT, 'manifests', 'argo-events', 'install.yaml'));
    for (const d of ['controller-manager', 'events-webhook']) {
      await sh.eventually(`${d} rolled out on flotilla/flotilla`, async () => {
        const o = await sh.json(['get', 'deployment', d, '-n', 'argo-events']);
        return o.spec.template.spec.containers[0].image.startsWith('flotilla/flotilla:') && o.status.updatedReplicas === 1 && o.status.availableReplicas === 1 && !o.status.unavailableReplicas && o;
      }, 120_000);
    }
  });

  it('an unreachable bus in status: EventBusConnected False on the EventSource and the Sensor, naming the bus and the error; True once a server answers', async () => {
    // an exotic bus whose Service has no server yet; the pods' ServiceAccount may record Events (docs/events.md)
    const t0 = Date.now();
    await sh.ok(['kubectl', 'apply', '-n', 'argo-events', '-f', '-'], { input: `apiVersion: v1
kind: ServiceAccount
metadata: {name: bus-reporter}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: bus-reporter}
rules: [{apiGroups: [""], resources: [events], verbs: [create, patch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bus-reporter}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: bus-reporter}
subjects: [{kind: ServiceAccount, name: bus-reporter, namespace: argo-events}]
---
apiVersion: v1
kind: Service
metadata: {name: nats-later}
spec: {selector: {app: nats-later}, ports: [{port: 4222, targetPort: 4222}]}
---
apiVersion: argoproj.io/v1alpha1
kind: EventBus
metadata: {name: later}
spec: {nats: {exotic: {url: "nats://nats-later.argo-events.svc:4222"}}}
---
apiVersion: argoproj.io/v1alpha1
kind: EventSource
metadata: {name: later}
spec:
  eventBusName: later
  template: {serviceAccountName: bus-reporter}
  calendar: {tick: {interval: 1h}}
---
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: later}
spec:
  eventBusName: later
  template: {serviceAccountName: bus-reporter}
  dependencies: [{name: tick, eventSourceName: later, eventName: tick}]
  triggers: [{template: {name: say, log: {}}}]
` });
    const busCond = async (kind: string) => condition(await sh.json(['get', kind, 'later', '-n', 'argo-events']), 'EventBusConnected');
    for (const kind of ['eventsource', 'sensor']) {
      const c = await sh.eventually(`${kind} later: EventBusConnected False`, async () => {
        const x = await busCond(kind);
        return x?.status === 'False' && x.reason === 'EventBusUnreachable' && x;
      }, 90_000);
      assert.match(c.message, /^EventBus "later" \(nats:\/\/nats-later\.argo-events\.svc:4222\) unreachable: \S.* \(pod later-(eventsource|sensor)-\S+ not ready since /);
    }
    console.log(`# EventBusConnected False on both ${((Date.now() - t0) / 1000).toFixed(1)} s after they were created: ${(await busCond('eventsource')).message}`);
    const described = await sh.ok(['kubectl', 'describe', 'eventsource', 'later', '-n', 'argo-events']);
    assert.match(described, /EventBusUnreachable/);
    // a server answers: the condition clears
    const t1 = Date.now();
    await sh.ok(['kubectl', 'run', 'nats-later', '-n', 'argo-events', '--image=nats:2.10.29', '--labels=app=nats-later', '--port=4222']);
    for (const kind of ['eventsource', 'sensor']) {
      await sh.eventually(`${kind} later: EventBusConnected True`, async () => (await busCond(kind))?.status === 'True', 120_000);
    }
    console.log(`# EventBusConnected True on both ${((Date.now() - t1) / 1000).toFixed(1)} s after the server was started`);
    await k('delete', 'sensor,eventsource,eventbus', 'later', '-n', 'argo-events', '--wait=false');
    await k('delete', 'pod,service', 'nats-later', '-n', 'argo-events', '--wait=false');
  });

  it('a JetStream EventBus (replicas 3): a calendar EventSource and a Sensor on it create ConfigMaps with the events', async () => {
    const yaml = `apiVersion: argoproj.io/v1alpha1
kind: EventBus
metadata: {name: js}
spec:
  jetstream: {version: latest, replicas: 3}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: cm-maker}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-maker}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [create, get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: cm-maker}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-maker}
subjects: [{kind: ServiceAccount, name: cm-maker}]
---
apiVersion: argoproj.io/v1alpha1
kind: EventSource
metadata: {name: ticks}
spec:
  eventBusName: js
  calendar:
    tick: {interval: 3s}
---
apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: ticks}
spec:
  eventBusName: js
  template: {serviceAccountName: cm-maker}
  dependencies: [{name: tick, eventSourceName: ticks, eventName: tick}]
  triggers:
  - template:
      name: make-cm
      k8s:
        operation: create
        source:
          resource:
            apiVersion: v1
            kind: ConfigMap
            metadata: {generateName: tick-, labels: {made-by: ticks}}
            data: {eventTime: ""}
        parameters:
        - src: {dependencyName: tick, dataKey: eventTime}
          dest: data.eventTime
`;
    await sh.ok(['kubectl', 'apply', '-n', 'argo-events', '-f', '-'], { input: yaml });
    const eb = await sh.eventually('EventBus js configured', async () => {
      const o = await sh.json(['get', 'eventbus', 'js', '-n', 'argo-events']);
      return condition(o, 'Deployed')?.status === 'True' && o.status.config?.jetstream && o;
    }, 60_000);
    assert.equal(eb.status.config.jetstream.url, 'nats://eventbus-js-js-svc.argo-events.svc:4222');
    assert.deepEqual(eb.status.config.jetstream.accessSecret, { name: 'eventbus-js-js-client-auth', key: 'client-auth' });
    assert.match(eb.status.config.jetstream.streamConfig, /maxAge: 168h/);
    await busReady('js', 'eventbus-js-js');
    const cms = await sh.eventually('ConfigMaps made from calendar events', async () => {
      const l = (await sh.json(['get', 'configmaps', '-n', 'argo-events', '-l', 'made-by=ticks'])).items;
      return l.length >= 2 && l;
    }, 120_000, 2000);
    for (const cm of cms) assert.match(cm.data.eventTime, /^\d{4}-\d{2}-\d{2}/);
  });

  it('JetStream: the sensor pod is killed while events keep coming; every event in the stream triggers once (ConfigMaps = stream messages)', async () => {
    await k('delete', 'pod', '-n', 'argo-events', '-l', 'sensor-name=ticks', '--wait=false');
    await new Promise((r) => setTimeout(r, 7000)); // two or three ticks while the sensor is down or starting
    // stop the source (spec.replicas 0): the stream then holds every event there will be
    await k('patch', 'eventsource', 'ticks', '-n', 'argo-events', '--type', 'merge', '-p', '{"spec":{"replicas":0}}');
    await sh.eventually('the calendar pod gone', async () => (await sh.json(['get', 'pods', '-n', 'argo-events', '-l', 'eventsource-name=ticks'])).items.length === 0, 60_000);
    const mon = await sh.portForward(['-n', 'argo-events', 'pod/eventbus-js-js-0', '18223:8222']);
    let messages = 0;
    try {
      const jsz = JSON.parse(await sh.ok(['curl', '-sS', 'http://127.0.0.1:18223/jsz?accounts=true&streams=true']));
      const streams = (jsz.account_details ?? []).flatMap((a: any) => a.stream_detail ?? []);
      messages = streams.find((st: any) => st.name === 'default')?.state?.messages ?? 0;
    } finally {
      mon.kill('SIGTERM');
    }
    assert.ok(messages >= 4, `the stream holds the events (${messages})`);
    const n = await sh.eventually('one ConfigMap per event', async () => {
      const l = (await sh.json(['get', 'configmaps', '-n', 'argo-events', '-l', 'made-by=ticks'])).items.length;
      if (l > messages) throw new Error(`${l} ConfigMaps for ${messages} events: an event triggered twice`);
      return l === messages && l;
    }, 60_000, 2000);
    assert.equal(n, messages);
  });

  it('metrics on :7777: the controller-manager counts reconciles by kind, the sensor its triggered actions', async () => {
    const scrape = async (target: string, port: number, re: RegExp) => {
      const f = await sh.portForward(['-n', 'argo-events', target, `${port}:7777`]);
      try {
        return await sh.eventually(`${target} metrics`, async () => {
          const text = await sh.ok(['curl', '-sS', `http://127.0.0.1:${port}/metrics`]);
          return re.test(text) && text;
        }, 30_000);
      } finally {
        f.kill('SIGTERM');
      }
    };
    await scrape('deploy/controller-manager', 17777, /^argo_events_controller_reconciled_total\{kind="EventBus"\} [1-9]/m);
    await scrape('deploy/ticks-sensor', 17778, /^argo_events_action_triggered_total\{[^}]*trigger_name="make-cm"[^}]*\} [1-9]/m);
  });
});
