// Against a real API server (kube-runtime testkit) and a real nats-server: the seed's upstream webhook
// EventSource + Sensor (read from ../shared/upstream at test time) create a Workflow whose argument is the
// posted message; the resource source feeds an argoWorkflow submit; k8s patch / argoWorkflow suspend;
// a failing create → Warning Event with the API's message, retries, then the DLQ trigger.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { startTestCluster, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { KubeClient, R } from '@flotilla/kube-runtime';
import { startEventSourceService, type EventSourceService } from './eventsource.js';
import { startSensorService, type SensorService } from './sensor.js';
import { has, freePort, startNatsServer, writeSecrets, b64, until } from './testutil.js';

const UP = new URL('../../../../shared/upstream/argo-events-examples/', import.meta.url).pathname;
const skip = !has('nats-server') ? 'nats-server is not installed' : false;
const noUpstream = existsSync(UP) ? false : `upstream examples not found at ${UP}`;
const NS = 'argo-events';
let c: TestCluster;
let kube: KubeClient;
let nats: Awaited<ReturnType<typeof startNatsServer>>;
let es: EventSourceService | undefined;
let sensor: SensorService | undefined;
let sensor2: SensorService | undefined;
let whPort: number;
let wfr: Awaited<ReturnType<KubeClient['resourceFor']>>;

const WORKFLOW_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'workflows.argoproj.io' },
  spec: {
    group: 'argoproj.io',
    scope: 'Namespaced',
    names: { plural: 'workflows', singular: 'workflow', kind: 'Workflow', shortNames: ['wf'] },
    versions: [{ name: 'v1alpha1', served: true, storage: true, subresources: {}, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

before(async () => {
  if (skip) return;
  c = await startTestCluster({ prefix: 'events-runtime-' });
  kube = new KubeClient(c.kubeconfig, { qps: 100, burst: 100 });
  await kube.create(R.namespaces, undefined, { metadata: { name: NS } });
  await kube.create(R.crds, undefined, WORKFLOW_CRD);
  wfr = await until('the Workflow resource', async () => kube.resourceFor({ group: 'argoproj.io', version: 'v1alpha1', kind: 'Workflow' }).catch(() => undefined), 15_000);
  await kube.create(R.configmaps, NS, { metadata: { name: 'target' }, data: { a: '1' } });
  await kube.create(R.configmaps, NS, { metadata: { name: 'trigger-source' }, data: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: made-from-source\ndata:\n  value: unset\n' } });
  nats = await startNatsServer({ token: 'tok' });
  whPort = await freePort();
  const secrets = writeSecrets({ bus: { token: 'tok' } });
  const base = { KUBECONFIG: c.kubeconfig, EVENTBUS_CONFIG: b64({ nats: { url: nats.url, auth: 'token', accessSecret: { name: 'bus', key: 'token' } } }), EVENT_BUS_SUBJECT: `eventbus-${NS}`, EVENTS_BUS_AUTH_DIR: secrets, METRICS_PORT: '0' };

  // the upstream webhook EventSource (its port moved to a free one) plus a resource source and a second webhook
  const upEs: any = noUpstream ? { metadata: { name: 'webhook' }, spec: { webhook: { example: { port: '12000', endpoint: '/example', method: 'POST' } } } } : parseYaml(readFileSync(UP + 'event-sources/webhook.yaml', 'utf8'));
  upEs.metadata.namespace = NS;
  upEs.spec.webhook.example.port = String(whPort);
  upEs.spec.webhook.ops = { port: String(whPort), endpoint: '/ops', method: 'POST' };
  upEs.spec.resource = { 'cm-added': { namespace: NS, group: '', version: 'v1', resource: 'configmaps', eventTypes: ['ADD'], filter: { labels: [{ key: 'app', operation: '==', value: 'trigger-me' }], fields: [{ key: 'metadata.name', operation: '!=', value: 'skip-me' }] } } };
  es = await startEventSourceService({ ...base, EVENTSOURCE_OBJECT: b64(upEs), EVENTSOURCE_NAMESPACE: NS });
  assert.deepEqual(es.errors, {});

  const upSensor: any = noUpstream
    ? { metadata: { name: 'webhook' }, spec: { dependencies: [{ name: 'test-dep', eventSourceName: 'webhook', eventName: 'example' }], triggers: [{ template: { name: 'webhook-workflow-trigger', k8s: { operation: 'create', source: { resource: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: 'webhook-' }, spec: { arguments: { parameters: [{ name: 'message', value: 'hello world' }] } } } }, parameters: [{ src: { dependencyName: 'test-dep', dataKey: 'body' }, dest: 'spec.arguments.parameters.0.value' }] } } }] } }
    : parseYaml(readFileSync(UP + 'sensors/webhook.yaml', 'utf8'));
  upSensor.metadata.namespace = NS;
  sensor = await startSensorService({ ...base, SENSOR_OBJECT: b64(upSensor), SENSOR_NAMESPACE: NS, POD_NAME: 'webhook-sensor-abc' });
  // a second Sensor: the upstream one fires only when all its dependencies arrived (no conditions)
  const more = { metadata: { name: 'more', namespace: NS }, spec: { dependencies: [{ name: 'cm', eventSourceName: 'webhook', eventName: 'cm-added' }, { name: 'ops', eventSourceName: 'webhook', eventName: 'ops' }], triggers: [] as unknown[] } };
  more.spec.triggers.push(
    {
      template: {
        name: 'from-configmap',
        conditions: 'cm',
        argoWorkflow: {
          operation: 'submit',
          source: { resource: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: 'from-cm-' }, spec: { entrypoint: 'main', arguments: { parameters: [{ name: 'message', value: '' }] } } } },
          parameters: [{ src: { dependencyName: 'cm', dataKey: 'body.data.message' }, dest: 'spec.arguments.parameters.0.value' }],
          args: ['--labels', 'from=sensor'],
        },
      },
    },
    {
      template: {
        name: 'patch-target',
        conditions: 'ops',
        k8s: { operation: 'patch', source: { resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target' }, data: {} } }, parameters: [{ src: { dependencyName: 'ops', dataKey: 'body.value' }, dest: 'data.b' }] },
      },
    },
    {
      // upstream's trigger-source-configmap example spells the key configMap (Go's JSON is case-insensitive)
      template: { name: 'from-cm-source', conditions: 'ops', k8s: { operation: 'create', source: { configMap: { name: 'trigger-source', key: 'cm.yaml' } }, parameters: [{ src: { dependencyName: 'ops', dataKey: 'body.value' }, dest: 'data.value' }] } },
    },
    ...[true, false].map((labelled) => ({
      template: { name: `policy-${labelled ? 'met' : 'unmet'}`, conditions: 'ops', k8s: { operation: 'create', source: { resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'policy-', labels: labelled ? { ready: 'true' } : {} } } } } },
      policy: { k8s: { labels: { ready: 'true' }, backoff: { steps: 2, duration: '50ms' }, errorOnBackoffTimeout: true } },
    })),
    {
      template: { name: 'retry-wf', conditions: 'ops', argoWorkflow: { operation: 'retry', source: { resource: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'placeholder' } } }, parameters: [{ src: { dependencyName: 'ops', dataKey: 'body.failed' }, dest: 'metadata.name' }] } },
    },
    ...['resubmit', 'terminate'].map((op) => ({
      template: { name: `${op}-wf`, conditions: 'ops', argoWorkflow: { operation: op, source: { resource: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'placeholder' } } }, parameters: [{ src: { dependencyName: 'ops', dataKey: 'body.workflow' }, dest: 'metadata.name' }] } },
    })),
    {
      template: { name: 'suspend-wf', conditions: 'ops', argoWorkflow: { operation: 'suspend', source: { resource: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'placeholder' } } }, parameters: [{ src: { dependencyName: 'ops', dataKey: 'body.workflow' }, dest: 'metadata.name' }] } },
    },
    {
      template: { name: 'doomed', conditions: 'ops', k8s: { operation: 'create', source: { resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'never', namespace: 'no-such-namespace' } } } } },
      retryStrategy: { steps: 3, duration: '50ms', factor: 2 },
      dlqTrigger: {
        template: { name: 'dlq', k8s: { operation: 'create', source: { resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'dlq-', labels: { dlq: 'yes' } }, data: {} } }, parameters: [{ src: { dependencyName: 'ops', dataKey: 'body.value' }, dest: 'data.value' }] } },
      },
    },
  );
  sensor2 = await startSensorService({ ...base, SENSOR_OBJECT: b64(more), SENSOR_NAMESPACE: NS, POD_NAME: 'more-sensor-abc' });
});

after(async () => {
  await es?.stop();
  await sensor?.stop();
  await sensor2?.stop();
  await nats?.stop();
  kube?.close();
  await c?.close();
});

test('the seed journey data path: upstream webhook EventSource + Sensor create a Workflow whose argument is the posted message', { skip }, async () => {
  const r = await fetch(`http://127.0.0.1:${whPort}/example`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'this is my first webhook' }) });
  assert.equal(await r.text(), 'success');
  const wf = await until('the Workflow', async () => ((await kube.list(wfr, NS)).items as any[]).find((w) => w.metadata.generateName === 'webhook-'));
  assert.equal(wf.spec.arguments.parameters[0].value, JSON.stringify({ message: 'this is my first webhook' }));
  assert.equal(wf.spec.entrypoint ?? 'print-message', 'print-message');
  assert.equal(wf.metadata.labels['events.argoproj.io/sensor'], 'webhook', 'labelled with its sensor (as upstream)');
  assert.equal(wf.metadata.labels['events.argoproj.io/trigger'], 'webhook-workflow-trigger');
  assert.match(wf.metadata.labels['events.argoproj.io/action-timestamp'], /^\d{13}$/);
  const ev = await until('the TriggerSucceeded Event', async () => ((await kube.list(R.events, NS)).items as any[]).find((e) => e.reason === 'TriggerSucceeded' && e.message.includes('webhook-workflow-trigger')));
  assert.equal(ev.involvedObject.kind, 'Sensor');
  assert.equal(ev.involvedObject.name, 'webhook');
});

test('resource source (label + field filters) → argoWorkflow submit with the ConfigMap data and args', { skip }, async () => {
  await kube.create(R.configmaps, NS, { metadata: { name: 'skip-me', labels: { app: 'trigger-me' } }, data: { message: 'skipped' } });
  await kube.create(R.configmaps, NS, { metadata: { name: 'other', labels: { app: 'nope' } }, data: { message: 'other' } });
  await kube.create(R.configmaps, NS, { metadata: { name: 'go', labels: { app: 'trigger-me' } }, data: { message: 'from a configmap' } });
  const wf = await until('the submitted Workflow', async () => ((await kube.list(wfr, NS)).items as any[]).find((w) => w.metadata.generateName === 'from-cm-'));
  assert.equal(wf.spec.arguments.parameters[0].value, 'from a configmap');
  assert.equal(wf.metadata.labels.from, 'sensor');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(((await kube.list(wfr, NS)).items as any[]).filter((w) => w.metadata.generateName === 'from-cm-').length, 1, 'only the matching ConfigMap triggered');
});

test('k8s patch, a trigger source from a ConfigMap, argoWorkflow suspend / terminate / resubmit / retry, policy.k8s labels; a failing create: Warning Event with the API message, retries, then the DLQ trigger', { skip }, async () => {
  const target = await kube.create(wfr, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'running-wf' }, spec: { entrypoint: 'main' } } as any);
  assert.equal((target as any).spec.suspend, undefined);
  // a Failed workflow (upstream's CRD: status in the object) with one failed and one succeeded node
  await kube.create(wfr, NS, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'failed-wf', labels: { 'workflows.argoproj.io/completed': 'true', 'workflows.argoproj.io/phase': 'Failed' } }, spec: { entrypoint: 'main' }, status: { phase: 'Failed', message: 'boom', nodes: { 'failed-wf': { phase: 'Failed', type: 'Steps' }, 'failed-wf-1': { phase: 'Succeeded', type: 'Pod' }, 'failed-wf-2': { phase: 'Failed', type: 'Pod' } } } } as any);
  const r = await fetch(`http://127.0.0.1:${whPort}/ops`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: 'patched', workflow: 'running-wf', failed: 'failed-wf' }) });
  assert.equal(r.status, 200);
  await until('the patched ConfigMap', async () => ((await kube.get(R.configmaps, NS, 'target')) as any).data?.b === 'patched');
  await until('the ConfigMap from the configMap source', async () => ((await kube.get(R.configmaps, NS, 'made-from-source').catch(() => undefined)) as any)?.data?.value === 'patched');
  await until('the suspended and terminated Workflow', async () => {
    const wf = (await kube.get(wfr, NS, 'running-wf')) as any;
    return wf.spec?.suspend === true && wf.spec?.shutdown === 'Terminate';
  });
  const retried = await until('the retried Workflow', async () => {
    const wf = (await kube.get(wfr, NS, 'failed-wf')) as any;
    return wf.status?.phase === 'Running' && wf;
  });
  assert.deepEqual(Object.keys(retried.status.nodes), ['failed-wf-1'], 'the failed nodes are reset, the succeeded kept');
  assert.equal(retried.metadata.labels['workflows.argoproj.io/completed'], 'false');
  const re = await until('the resubmitted Workflow', async () => ((await kube.list(wfr, NS)).items as any[]).find((w) => w.metadata.generateName === 'running-wf-'));
  assert.equal(re.metadata.labels['workflows.argoproj.io/resubmitted-from-workflow'], 'running-wf');
  assert.equal(re.spec.entrypoint, 'main');
  const dlq = await until('the DLQ ConfigMap', async () => ((await kube.list(R.configmaps, NS)).items as any[]).find((cm) => cm.metadata.labels?.dlq === 'yes'));
  assert.equal(dlq.data.value, 'patched');
  const warn = await until('the TriggerFailed Event', async () => ((await kube.list(R.events, NS)).items as any[]).find((e) => e.reason === 'TriggerFailed' && e.message.includes('trigger doomed')));
  assert.equal(warn.type, 'Warning');
  assert.match(warn.message, /trigger doomed: .*no-such-namespace/);
  await until('both policy results', () => sensor2!.engine.fired.filter((f) => f.trigger.startsWith('policy-')).length === 2);
  assert.ok(sensor2!.engine.fired.find((f) => f.trigger === 'policy-met')!.ok);
  assert.match(sensor2!.engine.fired.find((f) => f.trigger === 'policy-unmet')!.message, /did not get the labels \{"ready":"true"\}/);
  const fails = sensor2!.engine.fired.filter((f) => f.trigger === 'doomed');
  assert.equal(fails.length, 1);
  assert.equal(fails[0]!.ok, false);
  assert.ok(sensor2!.engine.fired.some((f) => f.trigger === 'doomed/dlq' && f.ok));
});

test('replicas 2: the calendar runs in the leader only (a Lease); the other replica takes over when it stops', { skip }, async () => {
  const base = { KUBECONFIG: c.kubeconfig, EVENTBUS_CONFIG: b64({ nats: { url: nats.url, auth: 'token', accessSecret: { name: 'bus', key: 'token' } } }), EVENT_BUS_SUBJECT: `eventbus-${NS}`, EVENTS_BUS_AUTH_DIR: writeSecrets({ bus: { token: 'tok' } }), METRICS_PORT: '0', EVENTSOURCE_NAMESPACE: NS };
  const obj = b64({ metadata: { name: 'ha', namespace: NS }, spec: { replicas: 2, calendar: { tick: { interval: '10s' } } } });
  const r1 = await startEventSourceService({ ...base, EVENTSOURCE_OBJECT: obj, POD_NAME: 'ha-eventsource-1' });
  const r2 = await startEventSourceService({ ...base, EVENTSOURCE_OBJECT: obj, POD_NAME: 'ha-eventsource-2' });
  try {
    const leader = await until('a leader', () => [r1, r2].find((r) => r.running.includes('calendar/tick')), 15_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal([r1, r2].filter((r) => r.running.includes('calendar/tick')).length, 1);
    const lease = (await kube.get(R.leases, NS, 'ha-eventsource')) as any;
    assert.equal(lease.spec.holderIdentity, leader === r1 ? 'ha-eventsource-1' : 'ha-eventsource-2');
    const other = leader === r1 ? r2 : r1;
    await leader.stop();
    await until('the other replica to take over', () => other.running.includes('calendar/tick'), 20_000);
  } finally {
    await r1.stop().catch(() => {});
    await r2.stop().catch(() => {});
  }
});

test('calendar persistence: the last event time is kept in a ConfigMap; catch-up publishes the missed schedule times', { skip }, async () => {
  const { connect } = await import('nats');
  const nc = await connect({ servers: nats.url, token: 'tok' });
  const got: any[] = [];
  nc.subscribe(`eventbus-${NS}.cal.>`, { callback: (_e, m) => got.push(JSON.parse(new TextDecoder().decode(m.data))) });
  await nc.flush();
  const last = new Date(Date.now() - 25 * 60_000);
  await kube.create(R.configmaps, NS, { metadata: { name: 'cal-state' }, data: { 'cal.every10': JSON.stringify({ eventTime: last.toISOString() }) } });
  const base = { KUBECONFIG: c.kubeconfig, EVENTBUS_CONFIG: b64({ nats: { url: nats.url, auth: 'token', accessSecret: { name: 'bus', key: 'token' } } }), EVENT_BUS_SUBJECT: `eventbus-${NS}`, EVENTS_BUS_AUTH_DIR: writeSecrets({ bus: { token: 'tok' } }), METRICS_PORT: '0', EVENTSOURCE_NAMESPACE: NS };
  const svc = await startEventSourceService({ ...base, EVENTSOURCE_OBJECT: b64({ metadata: { name: 'cal', namespace: NS }, spec: { calendar: { every10: { schedule: '*/10 * * * *', persistence: { catchup: { enabled: true, maxDuration: '1h' }, configMap: { name: 'cal-state', createIfNotExist: true } } } } } }) });
  try {
    const missed = await until('the caught-up events', () => got.length >= 2 && got);
    assert.ok(missed.length === 2 || missed.length === 3, `${missed.length} caught up`);
    assert.ok(missed.every((e) => e.type === 'calendar' && e.subject === 'every10'));
    const saved = await until('the saved time', async () => {
      const cm = (await kube.get(R.configmaps, NS, 'cal-state')) as any;
      const t = Date.parse(JSON.parse(cm.data['cal.every10']).eventTime);
      return t > last.getTime() && t;
    });
    assert.ok(saved <= Date.now());
  } finally {
    await svc.stop();
    await nc.close();
  }
});
