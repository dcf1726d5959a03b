/** Unit tests of the pure parts: validation rules, the bus's objects, the workloads, the webhook's answers and certificates. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { validateEventBus, validateEventBusUpdate, validateEventSource, validateSensor, validateConditions } from './validate.js';
import { busObjects, byteSize, durationSeconds, nativeReplicas, parseSettings, streamConfig, jsImage } from './eventbus.js';
import { buildDeployment, buildService, HASH_ANNOTATION } from './workloads.js';
import { review, webhookConfiguration, serveWebhook } from './webhook.js';
import { generateCerts, certsUsable } from './certs.js';
import { setConditions, sameStatus } from './util.js';
import { busFor } from './controllers.js';
import { busDefaultsFrom, parseArgs } from './manager.js';

const meta = (name: string, ns = 'argo-events') => ({ name, namespace: ns, uid: `uid-${name}` });
const bus = (spec: any) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'EventBus', metadata: meta('default'), spec });
const sensor = (spec: any) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Sensor', metadata: meta('s'), spec });
const es = (spec: any) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'EventSource', metadata: meta('webhook'), spec });
const dep = { name: 'test-dep', eventSourceName: 'webhook', eventName: 'example' };
const logTrigger = { template: { name: 't', log: {} } };

describe('validation (upstream rules)', () => {
  const busCases: [string, any, RegExp | undefined][] = [
    ['native token', { nats: { native: { replicas: 3, auth: 'token' } } }, undefined],
    ['native, empty', { nats: { native: {} } }, undefined],
    ['no implementation', {}, /either "nats", "jetstream", or "kafka" needs to be specified/],
    ['two implementations', { nats: { native: {} }, jetstream: { version: 'latest' } }, /can not be defined together/],
    ['native and exotic', { nats: { native: {}, exotic: { url: 'nats://x' } } }, /"spec.nats.native" and "spec.nats.exotic" can not be defined together/],
    ['nats without either', { nats: {} }, /either "native" or "exotic" must be defined/],
    ['exotic without url', { nats: { exotic: {} } }, /"spec.nats.exotic.url" is missing/],
    ['bad auth', { nats: { native: { auth: 'basic' } } }, /unsupported auth strategy "basic"/],
    ['jetstream without version', { jetstream: {} }, /a version for jetstream needs to be specified/],
    ['jetstream 0 replicas', { jetstream: { version: 'latest', replicas: 0 } }, /at least 1 replica/],
    ['kafka without url', { kafka: { topic: 'x' } }, /"spec.kafka.url" is missing/],
    ['kafka', { kafka: { url: 'kafka:9092' } }, undefined],
  ];
  for (const [what, spec, want] of busCases) {
    it(`EventBus: ${what}`, () => {
      const err = validateEventBus(bus(spec));
      if (want) assert.match(err ?? '(accepted)', want);
      else assert.equal(err, undefined);
    });
  }

  it('EventBus updates: native auth, implementation and exotic cluster id are immutable; other changes pass', () => {
    const a = bus({ nats: { native: { auth: 'token' } } });
    assert.match(validateEventBusUpdate(a, bus({ nats: { native: { auth: 'none' } } }))!, /"spec.nats.native.auth" is immutable, can not be updated/);
    assert.match(validateEventBusUpdate(a, bus({ nats: { native: {} } }))!, /immutable/);
    assert.match(validateEventBusUpdate(a, bus({ jetstream: { version: 'latest' } }))!, /can not change event bus implementation \(from native to jetstream\)/);
    assert.equal(validateEventBusUpdate(a, bus({ nats: { native: { auth: 'token', replicas: 5, maxMsgs: 10 } } })), undefined);
    assert.match(validateEventBusUpdate(bus({ nats: { exotic: { url: 'u', clusterID: 'a' } } }), bus({ nats: { exotic: { url: 'u', clusterID: 'b' } } }))!, /clusterID" is immutable/);
  });

  const esCases: [string, any, RegExp | undefined][] = [
    ['webhook', { webhook: { example: { port: '12000', endpoint: '/example', method: 'POST' } } }, undefined],
    ['no sources', {}, /at least one event source must be specified/],
    ['empty webhook map', { webhook: {} }, /at least one event source must be specified/],
    ['endpoint without slash', { webhook: { example: { port: '12000', endpoint: 'example', method: 'POST' } } }, /webhook.example: endpoint must start with '\/'/],
    ['no port', { webhook: { example: { endpoint: '/e', method: 'POST' } } }, /port can't be empty/],
    ['duplicate event name', { webhook: { a: { port: '1', endpoint: '/a', method: 'POST' } }, calendar: { a: { interval: '10s' } } }, /more than one "a" found/],
    ['calendar without schedule', { calendar: { c: {} } }, /must have either schedule or interval/],
    ['redis without channels', { redis: { r: { hostAddress: 'redis:6379' } } }, /channel\(s\) must be specified/],
    ['service without ports', { service: {}, calendar: { c: { interval: '1s' } } }, /spec.service.ports can not be empty/],
  ];
  for (const [what, spec, want] of esCases) {
    it(`EventSource: ${what}`, () => {
      const err = validateEventSource(es(spec));
      if (want) assert.match(err ?? '(accepted)', want);
      else assert.equal(err, undefined);
    });
  }

  const snCases: [string, any, RegExp | undefined][] = [
    ['log trigger', { dependencies: [dep], triggers: [logTrigger] }, undefined],
    ['no dependencies', { triggers: [logTrigger] }, /no event dependencies found/],
    ['no triggers', { dependencies: [dep] }, /no triggers found/],
    ['trigger without template', { dependencies: [dep], triggers: [{}] }, /trigger template can't be nil/],
    ['template without type', { dependencies: [dep], triggers: [{ template: { name: 't' } }] }, /trigger type can't be nil/],
    ['two trigger types', { dependencies: [dep], triggers: [{ template: { name: 't', log: {}, http: { url: 'x' } } }] }, /more than one trigger type \(http, log\)/],
    ['dependency without eventName', { dependencies: [{ name: 'd', eventSourceName: 'x' }], triggers: [logTrigger] }, /must define the EventName/],
    ['duplicate dependency', { dependencies: [dep, dep], triggers: [logTrigger] }, /more than one dependency found with name "test-dep"/],
    ['k8s without source', { dependencies: [dep], triggers: [{ template: { name: 't', k8s: { operation: 'create' } } }] }, /source can't be nil/],
    ['bad k8s operation', { dependencies: [dep], triggers: [{ template: { name: 't', k8s: { operation: 'explode', source: {} } } }] }, /unknown operation type explode/],
    ['http without url', { dependencies: [dep], triggers: [{ template: { name: 't', http: {} } }] }, /server URL can't be empty/],
    ['conditions with unknown dependency', { dependencies: [dep], triggers: [{ template: { name: 't', conditions: 'test-dep && other', log: {} } }] }, /unknown dependency "other"/],
    ['data filter with a bad type', { dependencies: [{ ...dep, filters: { data: [{ path: 'body.x', type: 'float', value: ['1'] }] } }], triggers: [logTrigger] }, /unsupported type "float"/],
    ['time filter with a bad start', { dependencies: [{ ...dep, filters: { time: { start: '25:00:00', stop: '01:00:00' } } }], triggers: [logTrigger] }, /start "25:00:00" is not HH:MM:SS/],
    ['parameter without dest', { dependencies: [dep], triggers: [{ template: { name: 't', log: {} }, parameters: [{ src: { dependencyName: 'test-dep' } }] }] }, /parameter destination can't be empty/],
    ['openwhisk spelled lower-case', { dependencies: [dep], triggers: [{ template: { name: 't', openwhisk: { host: 'h' } } }] }, undefined],
  ];
  for (const [what, spec, want] of snCases) {
    it(`Sensor: ${what}`, () => {
      const err = validateSensor(sensor(spec));
      if (want) assert.match(err ?? '(accepted)', want);
      else assert.equal(err, undefined);
    });
  }

  it('conditions expressions', () => {
    const deps = new Set(['a', 'b', 'c-1']);
    for (const ok of ['a', 'a && b', 'a || (b && c-1)', '(a)']) assert.equal(validateConditions(ok, deps), undefined, ok);
    for (const bad of ['a &&', '&& a', '(a', 'a b', 'a)', 'a & b']) assert.ok(validateConditions(bad, deps), bad);
  });
});

describe('EventBus objects', () => {
  it('native, token: StatefulSet eventbus-default-stan of 3 nats-server clustered by routes over the headless service, token from the generated Secret', () => {
    const b = bus({ nats: { native: { replicas: 3, auth: 'token', maxSubs: 500 } } });
    const o = busObjects(b, { token: 'tok123' });
    assert.equal(o.statefulSet!.metadata.name, 'eventbus-default-stan');
    assert.equal(o.statefulSet!.spec.replicas, 3);
    assert.equal(o.statefulSet!.spec.serviceName, 'eventbus-default-stan-svc');
    assert.equal(o.service!.spec.clusterIP, 'None');
    const conf = o.configMap!.data['nats.conf'];
    assert.match(conf, /routes: \["nats:\/\/eventbus-default-stan-0\.eventbus-default-stan-svc\.argo-events\.svc:6222", "nats:\/\/eventbus-default-stan-1\.[^"]+", "nats:\/\/eventbus-default-stan-2\.[^"]+"\]/);
    assert.match(conf, /authorization \{\n  token: \$NATS_TOKEN\n\}/);
    assert.match(conf, /max_subscriptions: 500/);
    const c = o.statefulSet!.spec.template.spec.containers[0];
    assert.equal(c.image.split(':')[0], 'nats');
    assert.deepEqual(c.env.find((e: any) => e.name === 'NATS_TOKEN').valueFrom.secretKeyRef, { name: 'eventbus-default-server', key: 'token' });
    assert.deepEqual(o.secrets.map((s) => [s.metadata.name, s.stringData]), [['eventbus-default-server', { token: 'tok123' }], ['eventbus-default-client', { 'client-auth': 'tok123' }]]);
    assert.deepEqual(o.config, { nats: { url: 'nats://eventbus-default-stan-svc.argo-events.svc:4222', clusterID: 'eventbus-default', auth: 'token', accessSecret: { name: 'eventbus-default-client', key: 'client-auth' }, limitsConfigMap: 'eventbus-default-stan-configmap' } });
    assert.deepEqual(JSON.parse(o.configMap!.data['limits.json']), { maxAge: 259200, maxMsgs: 1_000_000, maxBytes: 1e9, maxSubs: 500 });
    assert.match(conf, /jetstream \{\n  store_dir: "\/data\/stan\/store"\n  max_memory_store: 67108864\n  max_file_store: 2000000000\n\}/);
    assert.equal(o.statefulSet!.metadata.ownerReferences[0].uid, 'uid-default');
  });

  it('native: fewer than 3 replicas become 3 (upstream), no auth means no secrets; persistence gives a volumeClaimTemplate', () => {
    assert.equal(nativeReplicas({ replicas: 1 }), 3);
    assert.equal(nativeReplicas({ replicas: 5 }), 5);
    const o = busObjects(bus({ nats: { native: { persistence: { volumeSize: '1Gi' } } } }), {});
    assert.deepEqual(o.secrets, []);
    assert.equal(o.config.nats!.auth, 'none');
    assert.equal(o.statefulSet!.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '1Gi');
    assert.doesNotMatch(o.configMap!.data['nats.conf'], /authorization/);
  });

  it('jetstream: eventbus-default-js with JetStream enabled, user/password Secrets, streamConfig merged over the controller defaults', () => {
    const b = bus({ jetstream: { version: 'latest', replicas: 3, streamConfig: 'maxMsgs: 100\n' } });
    const o = busObjects(b, { user: 'u1', password: 'p1' }, { jsStreamConfig: 'maxMsgs: 50000\nmaxAge: 168h\nreplicas: 3\n', jsSettings: 'max_file_store: 1TB\nstore_dir: /nope\n', jsVersions: { latest: 'nats:2.10.29' } });
    assert.equal(o.statefulSet!.metadata.name, 'eventbus-default-js');
    assert.equal(o.statefulSet!.spec.template.spec.containers[0].image, 'nats:2.10.29');
    // ready once JetStream serves (as NATS' own charts probe it), not once every stream replica is current
    assert.equal(o.statefulSet!.spec.template.spec.containers[0].readinessProbe.httpGet.path, '/healthz?js-enabled-only=true');
    const conf = o.configMap!.data['nats.conf'];
    assert.match(conf, /jetstream \{\n  store_dir: "\/data\/jetstream\/store"\n  max_file_store: 1TB\n\}/);
    assert.match(conf, /users: \[ \{ user: \$JS_USER, password: \$JS_PASSWORD \} \]/);
    assert.equal(o.secrets[1].metadata.name, 'eventbus-default-js-client-auth');
    assert.equal(o.secrets[1].stringData['client-auth'], 'username: u1\npassword: p1\n');
    assert.equal(o.config.jetstream!.url, 'nats://eventbus-default-js-svc.argo-events.svc:4222');
    assert.equal(o.config.jetstream!.streamConfig, 'maxMsgs: 100\nmaxAge: 168h\nreplicas: 3\n');
    // one server: no cluster block, stream replicas capped at 1
    const one = busObjects(bus({ jetstream: { version: '2.9.16', replicas: 1 } }), { user: 'u', password: 'p' }, { jsStreamConfig: 'replicas: 3\n' });
    assert.doesNotMatch(one.configMap!.data['nats.conf'], /cluster/);
    assert.equal(one.config.jetstream!.streamConfig, 'replicas: 1\n');
    assert.equal(one.statefulSet!.spec.template.spec.containers[0].image, 'nats:2.9.16');
  });

  it('exotic and kafka: nothing deployed, the config passed through', () => {
    const ex = busObjects(bus({ nats: { exotic: { url: 'nats://ext:4222', clusterID: 'c', auth: 'token', accessSecret: { name: 's', key: 'k' } } } }), {});
    assert.equal(ex.statefulSet, undefined);
    assert.deepEqual(ex.config, { nats: { url: 'nats://ext:4222', clusterID: 'c', auth: 'token', accessSecret: { name: 's', key: 'k' } } });
    assert.match(ex.deployedMessage, /exotic/);
    const k = busObjects(bus({ kafka: { url: 'kafka:9092' } }), {});
    assert.deepEqual(k.config, { kafka: { url: 'kafka:9092', topic: 'argo-events-default' } });
    assert.match(k.deployedMessage, /no Kafka server is part of this installation/);
  });

  it('durations, sizes, settings, images', () => {
    assert.equal(durationSeconds('72h'), 259200);
    assert.equal(durationSeconds('1h30m'), 5400);
    assert.equal(durationSeconds('x'), undefined);
    assert.equal(byteSize('1GB'), 1e9);
    assert.equal(byteSize('512Mi'), 512 * 1024 * 1024);
    assert.deepEqual(parseSettings('# c\nmax_memory_store: -1 # all\nstore_dir: /x\n'), { max_memory_store: '-1' });
    assert.equal(streamConfig(bus({ jetstream: { version: 'x', replicas: 5 } }), 'replicas: 3'), 'replicas: 3\n');
    assert.equal(jsImage('2.8.1'), 'nats:2.8.1');
  });

  it('controller config and flags', () => {
    const d = busDefaultsFrom('eventBus:\n  jetstream:\n    settings: |\n      max_file_store: 1TB\n    streamConfig: |\n      maxMsgs: 5\n    versions:\n    - version: latest\n      natsImage: nats:2.10.29\n');
    assert.deepEqual(d, { jsSettings: 'max_file_store: 1TB\n', jsStreamConfig: 'maxMsgs: 5\n', jsVersions: { latest: 'nats:2.10.29' } });
    assert.equal(parseArgs(['--namespaced', '--managed-namespace', 'x']).managedNamespace, 'x');
    assert.throws(() => parseArgs(['--bogus']), /unknown flag --bogus/);
  });
});

describe('EventSource and Sensor workloads', () => {
  const cfg = { nats: { url: 'nats://eventbus-default-stan-svc.argo-events.svc:4222', auth: 'token' as const, accessSecret: { name: 'eventbus-default-client', key: 'client-auth' } } };
  const source = {
    ...es({ service: { ports: [{ port: 12000, targetPort: 12000 }], metadata: { labels: { foo: 'bar' } } }, webhook: { example: { port: '12000', endpoint: '/example', method: 'POST' } }, template: { serviceAccountName: 'sa1', container: { env: [{ name: 'DEBUG', value: '1' }] } } }),
  };
  (source.metadata as any).resourceVersion = '10';

  it('the Deployment carries the runtime contract: image, args, env, the bus secret mounted', () => {
    const d = buildDeployment({ obj: source, kind: 'EventSource', bus: cfg, image: 'flotilla/flotilla:0.1.0' });
    assert.equal(d.metadata.name, 'webhook-eventsource');
    const c = d.spec.template.spec.containers[0];
    assert.deepEqual([c.image, c.command, c.args], ['flotilla/flotilla:0.1.0', ['argo-events'], ['eventsource-service']]);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    assert.equal(env.DEBUG, '1');
    const obj = JSON.parse(Buffer.from(env.EVENTSOURCE_OBJECT, 'base64').toString());
    assert.equal(obj.spec.webhook.example.port, '12000');
    assert.equal(obj.metadata.resourceVersion, undefined);
    assert.deepEqual(JSON.parse(Buffer.from(env.EVENTBUS_CONFIG, 'base64').toString()), cfg);
    assert.equal(env.EVENT_BUS_SUBJECT, 'eventbus-argo-events');
    assert.equal(env.EVENTSOURCE_NAMESPACE, 'argo-events');
    assert.deepEqual(env.POD_NAME, { fieldRef: { fieldPath: 'metadata.name' } });
    assert.deepEqual(c.volumeMounts, [{ name: 'auth-volume', mountPath: '/volumes/events-bus-auth/eventbus-default-client', readOnly: true }]);
    assert.deepEqual(d.spec.template.spec.volumes[0].secret, { secretName: 'eventbus-default-client', items: [{ key: 'client-auth', path: 'client-auth' }] });
    assert.deepEqual(c.ports, [{ containerPort: 12000 }]);
    assert.equal(d.spec.template.spec.serviceAccountName, 'sa1');
    assert.equal(d.spec.selector.matchLabels['eventsource-name'], 'webhook');
  });

  it('a spec change changes the hash annotation (rolls the Deployment); a status or resourceVersion change does not', () => {
    const h = (o: any) => buildDeployment({ obj: o, kind: 'EventSource', bus: cfg, image: 'i' }).spec.template.metadata.annotations[HASH_ANNOTATION];
    const base = h(source);
    assert.equal(h({ ...source, status: { conditions: [] }, metadata: { ...source.metadata, resourceVersion: '11', generation: 2 } }), base);
    assert.notEqual(h({ ...source, spec: { ...source.spec, webhook: { example: { port: '12000', endpoint: '/other', method: 'POST' } } } }), base);
    assert.notEqual(buildDeployment({ obj: source, kind: 'EventSource', bus: { ...cfg, nats: { ...cfg.nats, url: 'nats://other:4222' } }, image: 'i' }).spec.template.metadata.annotations[HASH_ANNOTATION], base);
  });

  it('the Service <name>-eventsource-svc, only with spec.service', () => {
    const s = buildService(source)!;
    assert.equal(s.metadata.name, 'webhook-eventsource-svc');
    assert.equal(s.metadata.labels.foo, 'bar');
    assert.deepEqual(s.spec.ports, [{ port: 12000, targetPort: 12000, name: 'port-0', protocol: 'TCP' }]);
    assert.equal(buildService(es({ calendar: { c: { interval: '1s' } } })), undefined);
  });

  it('a Sensor Deployment', () => {
    const d = buildDeployment({ obj: sensor({ template: { serviceAccountName: 'operate-workflow-sa' }, dependencies: [dep], triggers: [logTrigger] }), kind: 'Sensor', bus: cfg, image: 'i' });
    assert.equal(d.metadata.name, 's-sensor');
    assert.deepEqual(d.spec.template.spec.containers[0].args, ['sensor-service']);
    assert.ok(d.spec.template.spec.containers[0].env.some((e: any) => e.name === 'SENSOR_OBJECT'));
    assert.ok(d.spec.template.spec.containers[0].env.some((e: any) => e.name === 'SENSOR_NAMESPACE'));
    assert.equal(d.spec.template.spec.containers[0].ports, undefined);
  });

  it('the bus of an object: missing or not configured yet', () => {
    assert.match(busFor(undefined, 'default').error!, /EventBus "default" not found/);
    assert.match(busFor({ status: {} }, 'default').error!, /not configured yet/);
    assert.deepEqual(busFor({ status: { config: cfg } }, 'default').config, cfg);
  });

  it('conditions keep lastTransitionTime while their status holds', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const a = setConditions(undefined, [{ type: 'Deployed', status: 'True' }], t0);
    const b = setConditions(a, [{ type: 'Deployed', status: 'True', reason: 'Succeeded' }], new Date('2026-01-02T00:00:00Z'));
    assert.equal(b[0].lastTransitionTime, '2026-01-01T00:00:00Z');
    const c = setConditions(b, [{ type: 'Deployed', status: 'False' }], new Date('2026-01-03T00:00:00Z'));
    assert.equal(c[0].lastTransitionTime, '2026-01-03T00:00:00Z');
    assert.ok(sameStatus({ conditions: a }, { conditions: setConditions(undefined, [{ type: 'Deployed', status: 'True' }]) }));
  });
});

describe('the validating webhook', () => {
  const req = (kind: string, operation: string, object: any, oldObject?: any) => ({ uid: 'u1', kind: { group: 'argoproj.io', version: 'v1alpha1', kind }, operation, object, oldObject });

  it('answers: refusals with the reason, updates of status only let through, other kinds allowed', () => {
    assert.deepEqual(review(req('Sensor', 'CREATE', sensor({ dependencies: [dep], triggers: [{}] }))), { allowed: false, message: "trigger template can't be nil" });
    assert.deepEqual(review(req('Sensor', 'CREATE', sensor({ dependencies: [dep], triggers: [logTrigger] }))), { allowed: true });
    const a = bus({ nats: { native: { auth: 'token' } } });
    assert.equal(review(req('EventBus', 'UPDATE', bus({ nats: { native: { auth: 'none' } } }), a)).allowed, false);
    const bad = es({});
    assert.equal(review(req('EventSource', 'CREATE', bad)).allowed, false);
    assert.equal(review(req('EventSource', 'UPDATE', { ...bad, status: { x: 1 } }, bad)).allowed, true);
    assert.equal(review(req('EventSource', 'DELETE', bad)).allowed, true);
    assert.equal(review(req('ConfigMap', 'CREATE', {})).allowed, true);
  });

  it('the configuration it registers', () => {
    const c = webhookConfiguration('argo-events', 443, 'PEM', { metadata: { name: 'argo-events-webhook', uid: 'r1' } });
    assert.equal(c.metadata.name, 'validation.webhook.argo-events.argoproj.io');
    assert.equal(c.metadata.ownerReferences[0].kind, 'ClusterRole');
    const h = c.webhooks[0];
    assert.deepEqual(h.clientConfig.service, { namespace: 'argo-events', name: 'events-webhook', path: '/validate', port: 443 });
    assert.equal(Buffer.from(h.clientConfig.caBundle, 'base64').toString(), 'PEM');
    assert.deepEqual(h.rules[0].operations, ['CREATE', 'UPDATE']);
    assert.equal(h.failurePolicy, 'Fail');
  });

  it('generates a CA and a serving certificate for events-webhook.<ns>.svc, and serves AdmissionReviews over TLS with them', async () => {
    const c = await generateCerts('events-webhook', 'argo-events');
    assert.ok(certsUsable(c, 'events-webhook', 'argo-events'));
    assert.ok(!certsUsable(c, 'events-webhook', 'other'));
    assert.ok(!certsUsable({ ...c, caCert: (await generateCerts('events-webhook', 'argo-events')).caCert }, 'events-webhook', 'argo-events'));
    assert.match(new X509Certificate(c.serverCert).subjectAltName ?? '', /DNS:events-webhook.argo-events.svc/);
    const srv = await serveWebhook(c, 0, '127.0.0.1');
    try {
      const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req('Sensor', 'CREATE', sensor({ triggers: [logTrigger] })) });
      const answer = await new Promise<any>((resolve, reject) => {
        const r = request({ host: '127.0.0.1', port: srv.port, path: '/validate', method: 'POST', ca: c.caCert, servername: 'events-webhook.argo-events.svc', headers: { 'content-type': 'application/json' } }, (res) => {
          let s = '';
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve(JSON.parse(s)));
        });
        r.on('error', reject);
        r.end(body);
      });
      assert.deepEqual(answer, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u1', allowed: false, status: { code: 400, reason: 'BadRequest', message: 'no event dependencies found' } } });
    } finally {
      await srv.close();
    }
  });
});
