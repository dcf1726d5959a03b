/**
 * The controllers against a real API server (in-process, no workload controllers): what they create,
 * the status they write, idempotence (a generated token survives reconciles), rolling on a spec
 * change, the EventBus-not-found path, the Service following spec.service.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { KubeClient, R, isNotFound, type Resource } from '@flotilla/kube-runtime';
import { RES } from './controllers.js';
import { startTestCluster, waitFor, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { startManager, type RunningManager } from './manager.js';
import { ROOT } from './testenv.js';
import { HASH_ANNOTATION } from './workloads.js';

const NS = 'ev-test';

describe('the controller-manager on an API server', { timeout: 120_000 }, () => {
  let c: TestCluster;
  let client: KubeClient;
  let mgr: RunningManager;
  const KINDS: Record<string, Resource> = { eventsource: RES.eventsources, eventbus: RES.eventbus, sensor: RES.sensors, statefulset: R.statefulsets, deployment: R.deployments, service: R.services, secret: R.secrets, configmap: R.configmaps };
  const get = async (kind: string, name: string): Promise<any> => client.get(KINDS[kind], NS, name);
  const gone = async (kind: string, name: string) => get(kind, name).then(() => false, (e) => isNotFound(e));
  const cond = (o: any, t: string) => (o.status?.conditions ?? []).find((x: any) => x.type === t);
  const until = <T>(what: string, fn: () => Promise<T | undefined | false>) =>
    waitFor(what, async () => {
      try {
        return await fn();
      } catch {
        return undefined;
      }
    }, 20_000, 100);
  const apply = (yaml: string) => c.k(['apply', '-n', NS, '-f', '-'], { input: yaml });

  before(async () => {
    c = await startTestCluster({ prefix: 'events-ctl-' });
    await c.k(['create', 'namespace', NS]);
    await c.k(['create', 'namespace', 'argo-events']);
    await c.k(['apply', '-n', 'argo-events', '-f', join(ROOT, 'manifests', 'argo-events', 'install.yaml')]);
    await c.k(['wait', '--for=condition=Established', 'crd/eventbus.argoproj.io', 'crd/eventsources.argoproj.io', 'crd/sensors.argoproj.io']);
    client = new KubeClient(c.kubeconfig, { fieldManager: 'argo-events-controller' });
    mgr = await startManager({ client, image: 'flotilla/flotilla:test', log: () => {}, busDefaults: { jsStreamConfig: 'maxMsgs: 5\nreplicas: 3\n' } });
  });
  after(async () => {
    await mgr?.stop();
    client?.close();
    await c?.close();
  });

  it('an EventSource before its bus: Deployed False (EventBusNotFound); the bus arrives: deployed with its config', async () => {
    await apply(`apiVersion: argoproj.io/v1alpha1
kind: EventSource
metadata: {name: hook}
spec:
  service: {ports: [{port: 12000, targetPort: 12000}]}
  webhook: {example: {port: "12000", endpoint: /example, method: POST}}
`);
    const es = await until('EventBusNotFound', async () => {
      const o = await get('eventsource', 'hook');
      return cond(o, 'Deployed')?.reason === 'EventBusNotFound' && o;
    });
    assert.equal(cond(es, 'SourcesProvided').status, 'True');
    assert.match(cond(es, 'Deployed').message, /EventBus "default" not found/);
    await apply('apiVersion: argoproj.io/v1alpha1\nkind: EventBus\nmetadata: {name: default}\nspec: {nats: {native: {auth: token}}}\n');
    const eb = await until('the bus configured', async () => {
      const o = await get('eventbus', 'default');
      return cond(o, 'Configured')?.status === 'True' && o;
    });
    assert.equal(eb.status.config.nats.auth, 'token');
    assert.equal(cond(eb, 'Deployed').status, 'True');
    assert.match(cond(eb, 'Deployed').message, /StatefulSet is deployed \(0\/3 servers ready\)/); // no StatefulSet controller here
    const sts = await get('statefulset', 'eventbus-default-stan');
    assert.equal(sts.spec.replicas, 3);
    assert.equal(sts.metadata.ownerReferences[0].uid, eb.metadata.uid);
    await until('the EventSource deployed', async () => cond(await get('eventsource', 'hook'), 'Deployed')?.status === 'True');
    const dep = await get('deployment', 'hook-eventsource');
    const env = Object.fromEntries(dep.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.equal(JSON.parse(Buffer.from(env.EVENTBUS_CONFIG, 'base64').toString()).nats.url, `nats://eventbus-default-stan-svc.${NS}.svc:4222`);
    assert.equal((await get('service', 'hook-eventsource-svc')).spec.ports[0].port, 12000);
  });

  it('EventBusConnected: a running pod not ready with the runtime\'s EventBusUnreachable Event → False naming the bus and the error; ready → True', async () => {
    const es = await get('eventsource', 'hook');
    // the pod a Deployment would have made, its status written as a kubelet does (no workload controllers here)
    const labels = { controller: 'eventsource-controller', 'eventsource-name': 'hook', 'owner-name': 'hook' };
    await client.create(R.pods, NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hook-eventsource-p1', labels }, spec: { containers: [{ name: 'main', image: 'flotilla/flotilla:test' }] } } as any);
    const started = new Date(Date.now() - 2000).toISOString().replace(/\.\d+Z$/, 'Z');
    const podStatus = (ready: boolean) => ({ status: { phase: 'Running', startTime: started, containerStatuses: [{ name: 'main', image: 'flotilla/flotilla:test', imageID: '', restartCount: 0, ready, state: { running: { startedAt: started } } }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: started }] } });
    await client.patch(R.pods, NS, 'hook-eventsource-p1', podStatus(false), 'merge', 'status');
    // what the eventsource runtime records (events-runtime bus/report.ts)
    const msg = `EventBus "default" (nats://eventbus-default-stan-svc.${NS}.svc:4222) unreachable: TIMEOUT`;
    await client.create(R.events, NS, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'hook.bus1' }, involvedObject: { apiVersion: 'argoproj.io/v1alpha1', kind: 'EventSource', name: 'hook', namespace: NS, uid: es.metadata.uid }, reason: 'EventBusUnreachable', message: msg, type: 'Warning', count: 3, firstTimestamp: started, lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), source: { component: 'eventsource' } } as any);
    const down = await until('EventBusConnected False', async () => {
      const o = await get('eventsource', 'hook');
      return cond(o, 'EventBusConnected')?.status === 'False' && o;
    });
    assert.equal(cond(down, 'EventBusConnected').reason, 'EventBusUnreachable');
    assert.equal(cond(down, 'EventBusConnected').message, `${msg} (pod hook-eventsource-p1 not ready since ${started})`);
    assert.equal(cond(down, 'Deployed').status, 'True');
    await client.patch(R.pods, NS, 'hook-eventsource-p1', podStatus(true), 'merge', 'status');
    const up = await until('EventBusConnected True', async () => {
      const o = await get('eventsource', 'hook');
      return cond(o, 'EventBusConnected')?.status === 'True' && o;
    });
    assert.equal(cond(up, 'EventBusConnected').message, 'connected to EventBus "default"');
    await client.delete(R.pods, NS, 'hook-eventsource-p1', { gracePeriodSeconds: 0 } as any).catch(() => {});
  });

  it('the generated token survives reconciles; a spec change rolls the EventSource, the service goes with spec.service', async () => {
    const token = (await get('secret', 'eventbus-default-client')).data['client-auth'];
    await c.k(['patch', 'eventbus', 'default', '-n', NS, '--type', 'merge', '-p', '{"spec":{"nats":{"native":{"maxSubs":7}}}}']);
    await until('the new config', async () => /max_subscriptions: 7/.test((await get('configmap', 'eventbus-default-stan-configmap')).data['nats.conf']));
    assert.equal((await get('secret', 'eventbus-default-client')).data['client-auth'], token);
    const before = (await get('deployment', 'hook-eventsource')).spec.template.metadata.annotations[HASH_ANNOTATION];
    await c.k(['patch', 'eventsource', 'hook', '-n', NS, '--type', 'json', '-p', '[{"op":"remove","path":"/spec/service"}]']);
    await until('the Deployment rolled', async () => (await get('deployment', 'hook-eventsource')).spec.template.metadata.annotations[HASH_ANNOTATION] !== before);
    await until('the Service removed', () => gone('service', 'hook-eventsource-svc'));
  });

  it('a bus token nats-server cannot read (an older controller\'s "9e3f…") is replaced; the client Secret and the servers\' template follow', async () => {
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    const bad = '9e3f0a41b2';
    await client.patch(R.secrets, NS, 'eventbus-default-server', { data: { token: b64(bad) } }, 'merge');
    const hash0 = (await get('statefulset', 'eventbus-default-stan')).spec.template.metadata.annotations['events.argoproj.io/config-hash'];
    await c.k(['annotate', 'eventbus', 'default', '-n', NS, 'test/poke=1', '--overwrite']);
    const token = await until('a new token', async () => {
      const t = Buffer.from((await get('secret', 'eventbus-default-server')).data.token, 'base64').toString();
      return t !== bad && t;
    });
    assert.match(token, /^[a-z][0-9a-f]{47}$/);
    await until('the client Secret and the servers\' template changed', async () => Buffer.from((await get('secret', 'eventbus-default-client')).data['client-auth'], 'base64').toString() === token && (await get('statefulset', 'eventbus-default-stan')).spec.template.metadata.annotations['events.argoproj.io/config-hash'] !== hash0);
  });

  it('a Sensor: conditions and its Deployment; an invalid one is reported, not deployed; a JetStream bus', async () => {
    await apply(`apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: s1}
spec:
  template: {serviceAccountName: sa1}
  dependencies: [{name: d, eventSourceName: hook, eventName: example}]
  triggers: [{template: {name: t, log: {}}}]
`);
    await until('s1 deployed', async () => cond(await get('sensor', 's1'), 'Deployed')?.status === 'True');
    const dep = await get('deployment', 's1-sensor');
    assert.deepEqual(dep.spec.template.spec.containers[0].args, ['sensor-service']);
    assert.equal(dep.spec.template.spec.containers[0].image, 'flotilla/flotilla:test');
    assert.equal(dep.spec.template.spec.serviceAccountName, 'sa1');
    // the webhook is not running here: the controller reports what it would refuse
    await apply(`apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: bad}
spec:
  dependencies: [{name: d, eventSourceName: hook, eventName: example}]
  triggers: [{template: {name: t}}]
`);
    const bad = await until('bad reported', async () => {
      const o = await get('sensor', 'bad');
      return cond(o, 'TriggersProvided')?.status === 'False' && o;
    });
    assert.match(cond(bad, 'TriggersProvided').message, /trigger type can't be nil/);
    assert.equal(cond(bad, 'DependenciesProvided').status, 'True');
    assert.equal(cond(bad, 'Deployed').status, 'False');
    assert.ok(await gone('deployment', 'bad-sensor'));
    // a filter the runtime cannot use: named in DependenciesProvided, the Sensor still deployed (its other dependencies work)
    await apply(`apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata: {name: badfilter}
spec:
  dependencies:
    - {name: a, eventSourceName: hook, eventName: example, filters: {data: [{path: body.x, type: string, value: ["(unclosed"]}]}}
    - {name: b, eventSourceName: hook, eventName: example}
  triggers: [{template: {name: t, conditions: b, log: {}}}]
`);
    const bf = await until('badfilter reported', async () => {
      const o = await get('sensor', 'badfilter');
      return cond(o, 'DependenciesProvided')?.status === 'False' && cond(o, 'Deployed')?.status === 'True' && o;
    });
    assert.equal(cond(bf, 'DependenciesProvided').reason, 'InvalidFilter');
    assert.match(cond(bf, 'DependenciesProvided').message, /dependency "a": data filter #0 \(path "body\.x"\)/);
    assert.doesNotMatch(cond(bf, 'DependenciesProvided').message, /dependency "b"/);
    assert.equal(cond(bf, 'TriggersProvided').status, 'True');
    await apply('apiVersion: argoproj.io/v1alpha1\nkind: EventBus\nmetadata: {name: js}\nspec: {jetstream: {version: latest, replicas: 1}}\n');
    const js = await until('js configured', async () => {
      const o = await get('eventbus', 'js');
      return o.status?.config?.jetstream && o;
    });
    assert.equal(js.status.config.jetstream.streamConfig, 'maxMsgs: 5\nreplicas: 1\n');
    assert.match(Buffer.from((await get('secret', 'eventbus-js-js-client-auth')).data['client-auth'], 'base64').toString(), /^username: \S+\npassword: \S+\n$/);
    await apply('apiVersion: argoproj.io/v1alpha1\nkind: EventBus\nmetadata: {name: broken}\nspec: {nats: {exotic: {}}}\n');
    const broken = await until('broken reported', async () => {
      const o = await get('eventbus', 'broken');
      return cond(o, 'Configured')?.status === 'False' && o;
    });
    assert.match(cond(broken, 'Configured').message, /"spec.nats.exotic.url" is missing/);
  });
});
