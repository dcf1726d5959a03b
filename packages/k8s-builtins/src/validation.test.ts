import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cause, KubeObject, ResourceInfo } from '@flotilla/apimachinery';
import { applyBuiltinDefaults } from './defaults.js';
import {
  normalizeSecret,
  parseCronSchedule,
  secretDecodeError,
  validateBuiltin,
  validateCronSchedule,
  validateDns1035Label,
} from './validation.js';
import { base64ErrorOffset, parseQuantity } from './validate-util.js';

type Any = Record<string, any>;

function ri(group: string, version: string, kind: string, namespaced = true): ResourceInfo {
  return { group, version, kind, listKind: `${kind}List`, plural: kind.toLowerCase() + 's', singular: kind.toLowerCase(), namespaced, verbs: [] };
}
const POD = ri('', 'v1', 'Pod');
const SVC = ri('', 'v1', 'Service');
const DEPLOY = ri('apps', 'v1', 'Deployment');
const JOB = ri('batch', 'v1', 'Job');
const CRONJOB = ri('batch', 'v1', 'CronJob');
const SECRET = ri('', 'v1', 'Secret');
const CM = ri('', 'v1', 'ConfigMap');
const NS = ri('', 'v1', 'Namespace', false);

/** Defaults then validates, like the server. */
function check(r: ResourceInfo, obj: KubeObject, old?: KubeObject): Cause[] {
  applyBuiltinDefaults(r, obj);
  if (old) applyBuiltinDefaults(r, old);
  return validateBuiltin(r, obj, old);
}

function find(causes: Cause[], field: string): Cause | undefined {
  return causes.find((c) => c.field === field);
}

function expectCause(causes: Cause[], field: string, reason: string, message?: string): void {
  const c = causes.find((x) => x.field === field && x.reason === reason && (message === undefined || x.message === message));
  assert.ok(c, `expected ${reason} on ${field}${message ? ` with "${message}"` : ''}; got ${JSON.stringify(causes, null, 1)}`);
}

function pod(extra: Any = {}, name = 'p'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }], ...extra } };
}

function deployment(spec: Any = {}): KubeObject {
  return {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      ...spec,
    },
  };
}

test('valid pod has no causes', () => {
  assert.deepEqual(check(POD, pod()), []);
});

test('metadata: name required, invalid names, cluster-scoped namespace', () => {
  const p = pod();
  delete p.metadata!.name;
  expectCause(check(POD, p), 'metadata.name', 'FieldValueRequired', 'Required value: name or generateName is required');
  const bad = check(POD, pod({}, 'Bad_Name'));
  const c = find(bad, 'metadata.name');
  assert.equal(c?.reason, 'FieldValueInvalid');
  assert.match(c!.message, /^Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
  const ns = check(NS, { metadata: { name: 'x', namespace: 'default' } });
  expectCause(ns, 'metadata.namespace', 'FieldValueForbidden', 'Forbidden: not allowed on this type');
  // generateName alone is fine, trailing dash allowed.
  const g = pod();
  g.metadata = { generateName: 'web-', namespace: 'default' };
  assert.deepEqual(check(POD, g), []);
});

test('service names must be DNS-1035 labels; namespaces DNS-1123 labels', () => {
  const svc = check(SVC, { metadata: { name: '1web', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
  expectCause(
    svc,
    'metadata.name',
    'FieldValueInvalid',
    `Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
  );
  assert.deepEqual(check(NS, { metadata: { name: '1team' } }), []);
  const ns = check(NS, { metadata: { name: 'a.b' } });
  assert.match(find(ns, 'metadata.name')!.message, /RFC 1123 label/);
});

test('validateDns1035Label', () => {
  assert.deepEqual(validateDns1035Label('my-svc'), []);
  assert.equal(validateDns1035Label('9abc').length, 1);
  assert.equal(validateDns1035Label('a'.repeat(64))[0], 'must be no more than 63 characters');
  assert.equal(validateDns1035Label('abc-').length, 1);
});

test('labels and annotations', () => {
  const p = pod();
  p.metadata!.labels = { 'bad key!': 'v', ok: 'bad value!' };
  p.metadata!.annotations = { big: 'x'.repeat(256 * 1024) };
  const causes = check(POD, p);
  const labelErrs = causes.filter((c) => c.field === 'metadata.labels');
  assert.equal(labelErrs.length, 2);
  assert.match(labelErrs[0].message, /^Invalid value: "bad key!": name part must consist of alphanumeric characters/);
  assert.match(labelErrs[1].message, /^Invalid value: "bad value!": a valid label must be an empty string/);
  expectCause(causes, 'metadata.annotations', 'FieldValueTooLong', 'Too long: may not be more than 262144 bytes');
});

test('pod: containers required, container name/image, duplicates', () => {
  expectCause(check(POD, pod({ containers: [] })), 'spec.containers', 'FieldValueRequired', 'Required value');
  const causes = check(
    POD,
    pod({
      initContainers: [{ name: 'app', image: 'busybox' }],
      containers: [{ name: 'app', image: '' }, { image: 'x' }, { name: 'Bad', image: 'x' }],
    }),
  );
  expectCause(causes, 'spec.containers[0].name', 'FieldValueDuplicate', 'Duplicate value: "app"');
  expectCause(causes, 'spec.containers[0].image', 'FieldValueRequired', 'Required value');
  expectCause(causes, 'spec.containers[1].name', 'FieldValueRequired');
  expectCause(causes, 'spec.containers[2].name', 'FieldValueInvalid');
});

test('pod: restartPolicy enum and port ranges', () => {
  const causes = check(
    POD,
    pod({ restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 70000 }, { containerPort: 80, protocol: 'HTTP' }] }] }),
  );
  expectCause(causes, 'spec.restartPolicy', 'FieldValueNotSupported', 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
  expectCause(causes, 'spec.containers[0].ports[0].containerPort', 'FieldValueInvalid', 'Invalid value: 70000: must be between 1 and 65535, inclusive');
  expectCause(causes, 'spec.containers[0].ports[1].protocol', 'FieldValueNotSupported', 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"');
});

test('pod: env names, valueFrom, volume mounts and volumes', () => {
  const causes = check(
    POD,
    pod({
      containers: [
        {
          name: 'a',
          image: 'x',
          env: [{ name: '' }, { name: 'A=B' }, { name: 'C', value: 'v', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'D', valueFrom: {} }],
          volumeMounts: [{ name: 'missing', mountPath: '/data' }, { name: 'cfg', mountPath: '' }],
        },
      ],
      volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'cfg', secret: { secretName: 's' } }],
    }),
  );
  expectCause(causes, 'spec.containers[0].env[0].name', 'FieldValueRequired');
  expectCause(causes, 'spec.containers[0].env[1].name', 'FieldValueInvalid', `Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`);
  expectCause(causes, 'spec.containers[0].env[2].valueFrom', 'FieldValueInvalid', 'Invalid value: "": may not be specified when `value` is not empty');
  expectCause(causes, 'spec.containers[0].env[3].valueFrom', 'FieldValueInvalid');
  expectCause(causes, 'spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound', 'Not found: "missing"');
  expectCause(causes, 'spec.containers[0].volumeMounts[1].mountPath', 'FieldValueRequired');
  expectCause(causes, 'spec.volumes[1].name', 'FieldValueDuplicate', 'Duplicate value: "cfg"');
});

test('pod: probes and resources', () => {
  const causes = check(
    POD,
    pod({
      containers: [
        {
          name: 'a',
          image: 'x',
          livenessProbe: { httpGet: { port: 8080 }, successThreshold: 2 },
          readinessProbe: {},
          resources: { requests: { cpu: '2' }, limits: { cpu: '1' } },
        },
      ],
    }),
  );
  expectCause(causes, 'spec.containers[0].livenessProbe.successThreshold', 'FieldValueInvalid', 'Invalid value: 2: must be 1');
  expectCause(causes, 'spec.containers[0].readinessProbe', 'FieldValueRequired', 'Required value: must specify a handler type');
  expectCause(causes, 'spec.containers[0].resources.requests', 'FieldValueInvalid', 'Invalid value: "2": must be less than or equal to cpu limit of 1');
});

test('pod: tolerations', () => {
  const causes = check(POD, pod({ tolerations: [{ operator: 'Equal', value: 'x' }, { key: 'k', operator: 'Exists', value: 'v' }, { key: 'k', effect: 'Sometimes' }] }));
  expectCause(causes, 'spec.tolerations[0].operator', 'FieldValueInvalid');
  expectCause(causes, 'spec.tolerations[1].operator', 'FieldValueInvalid', "Invalid value: \"Exists\": value must be empty when `operator` is 'Exists'");
  expectCause(causes, 'spec.tolerations[2].effect', 'FieldValueNotSupported');
});

test('pod update: only image and a few fields may change', () => {
  const old = pod();
  const imageChange = pod({ containers: [{ name: 'app', image: 'nginx:1.26' }] });
  assert.deepEqual(check(POD, imageChange, old), []);
  const tolAdded = pod({ tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }] });
  assert.deepEqual(check(POD, tolAdded, pod()), []);
  const bad = check(POD, pod({ containers: [{ name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] }), pod());
  expectCause(bad, 'spec', 'FieldValueForbidden');
  assert.match(find(bad, 'spec')!.message, /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
  const bind = pod({ nodeName: 'node-1' });
  assert.deepEqual(check(POD, bind, pod()), []);
});

test('deployment: selector required, must match template, replicas >= 0', () => {
  assert.deepEqual(check(DEPLOY, deployment()), []);
  const d = deployment({ replicas: -1, selector: { matchLabels: { app: 'other' } } });
  const causes = check(DEPLOY, d);
  expectCause(causes, 'spec.replicas', 'FieldValueInvalid', 'Invalid value: -1: must be greater than or equal to 0');
  expectCause(
    causes,
    'spec.template.metadata.labels',
    'FieldValueInvalid',
    'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
  );
  const noSel = deployment();
  delete (noSel.spec as Any).selector;
  expectCause(check(DEPLOY, noSel), 'spec.selector', 'FieldValueRequired', 'Required value');
  const empty = check(DEPLOY, deployment({ selector: {} }));
  expectCause(
    empty,
    'spec.selector',
    'FieldValueInvalid',
    'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  );
});

test('deployment: template label values that are not strings and do not match the selector are field errors, not a crash', () => {
  for (const [kind, r, obj] of [
    ['Deployment', DEPLOY, deployment({ selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 1 } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } })],
    ['Deployment', DEPLOY, deployment({ selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: { nested: 'y' } } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } })],
  ] as [string, ResourceInfo, KubeObject][]) {
    const causes = check(r, obj);
    expectCause(causes, 'spec.template.metadata.labels', 'FieldValueInvalid');
    const msgs = causes.filter((c) => c.field === 'spec.template.metadata.labels').map((c) => c.message);
    assert.ok(msgs.some((m) => /: must be a string$/.test(m)), `${kind}: ${JSON.stringify(msgs)}`);
    assert.ok(msgs.some((m) => /`selector` does not match template `labels`$/.test(m)), `${kind}: ${JSON.stringify(msgs)}`);
  }
  const one = check(DEPLOY, deployment({ selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 1 } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } }));
  expectCause(one, 'spec.template.metadata.labels', 'FieldValueInvalid', 'Invalid value: 1: must be a string');
  expectCause(one, 'spec.template.metadata.labels', 'FieldValueInvalid', 'Invalid value: map[string]string{"app":1}: `selector` does not match template `labels`');
});

test('deployment: matchExpressions selector matching and operator validation', () => {
  const ok = deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } });
  assert.deepEqual(check(DEPLOY, ok), []);
  const bad = check(DEPLOY, deployment({ selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'x', operator: 'Foo' }, { key: 'y', operator: 'In' }] } }));
  expectCause(bad, 'spec.selector.matchExpressions[0].operator', 'FieldValueInvalid', 'Invalid value: "Foo": not a valid selector operator');
  expectCause(bad, 'spec.selector.matchExpressions[1].values', 'FieldValueRequired');
});

test('deployment: template restartPolicy must be Always; strategy checks', () => {
  const d = deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } });
  (d.spec as Any).template.spec.restartPolicy = 'Never';
  const causes = check(DEPLOY, d);
  expectCause(causes, 'spec.template.spec.restartPolicy', 'FieldValueNotSupported', 'Unsupported value: "Never": supported values: "Always"');
  expectCause(causes, 'spec.strategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid', 'Invalid value: 0: may not be 0 when `maxSurge` is 0');
  const rec = check(DEPLOY, deployment({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }));
  expectCause(rec, 'spec.strategy.rollingUpdate', 'FieldValueForbidden', "Forbidden: may not be specified when strategy `type` is 'Recreate'");
  const pct = check(DEPLOY, deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%', maxSurge: 'x' } } }));
  expectCause(pct, 'spec.strategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid', 'Invalid value: "150%": must not be greater than 100%');
  expectCause(pct, 'spec.strategy.rollingUpdate.maxSurge', 'FieldValueInvalid');
});

test('deployment update: selector is immutable', () => {
  const old = deployment();
  const next = deployment({ selector: { matchLabels: { app: 'web2' } } });
  (next.spec as Any).template.metadata.labels = { app: 'web2' };
  expectCause(
    check(DEPLOY, next, old),
    'spec.selector',
    'FieldValueInvalid',
    'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  );
  assert.deepEqual(check(DEPLOY, deployment({ replicas: 5 }), deployment()), []);
});

test('statefulset update: forbidden fields', () => {
  const STS = ri('apps', 'v1', 'StatefulSet');
  const mk = (serviceName: string, replicas = 1): KubeObject => ({ ...deployment({ serviceName, replicas }), metadata: { name: 'db', namespace: 'default' } });
  assert.deepEqual(check(STS, mk('db', 3), mk('db')), []);
  const causes = check(STS, mk('db2'), mk('db'));
  expectCause(causes, 'spec', 'FieldValueForbidden');
  assert.match(find(causes, 'spec')!.message, /updates to statefulset spec for fields other than 'replicas'/);
});

test('statefulset: containers may mount the volumeClaimTemplates by name; other names are still unknown', () => {
  const STS = ri('apps', 'v1', 'StatefulSet');
  const sts = (mount: string): KubeObject => ({
    ...deployment({
      serviceName: 'db',
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'db', image: 'postgres', volumeMounts: [{ name: mount, mountPath: '/data' }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    }),
    metadata: { name: 'db', namespace: 'default' },
  });
  assert.deepEqual(check(STS, sts('data')), []);
  expectCause(check(STS, sts('other')), 'spec.template.spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound');
});

test('daemonset: template selector match and rolling update', () => {
  const DS = ri('apps', 'v1', 'DaemonSet');
  const ds = deployment({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } });
  expectCause(check(DS, ds), 'spec.updateStrategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid');
  const bad = deployment({ updateStrategy: { type: 'Blue' } });
  expectCause(check(DS, bad), 'spec.updateStrategy.type', 'FieldValueNotSupported', 'Unsupported value: "Blue": supported values: "OnDelete", "RollingUpdate"');
});

function job(restartPolicy?: string, extra: Any = {}): KubeObject {
  const spec: Any = { containers: [{ name: 'pi', image: 'perl:5.34' }] };
  if (restartPolicy) spec.restartPolicy = restartPolicy;
  return { metadata: { name: 'pi', namespace: 'default', uid: 'uid-1' }, spec: { template: { spec }, ...extra } };
}

test('job: restartPolicy must be OnFailure or Never', () => {
  assert.deepEqual(check(JOB, job('Never')), []);
  expectCause(check(JOB, job()), 'spec.template.spec.restartPolicy', 'FieldValueRequired', 'Required value: valid values: "OnFailure", "Never"');
  expectCause(check(JOB, job('Always')), 'spec.template.spec.restartPolicy', 'FieldValueNotSupported', 'Unsupported value: "Always": supported values: "OnFailure", "Never"');
});

test('job: manual selector not auto-generated; negative backoffLimit', () => {
  const j = job('Never', { selector: { matchLabels: { app: 'x' } }, backoffLimit: -1 });
  (j.spec as Any).template.metadata = { labels: { app: 'x' } };
  const causes = check(JOB, j);
  expectCause(causes, 'spec.selector', 'FieldValueInvalid');
  assert.match(find(causes, 'spec.selector')!.message, /`selector` not auto-generated$/);
  expectCause(causes, 'spec.backoffLimit', 'FieldValueInvalid', 'Invalid value: -1: must be greater than or equal to 0');
  const manual = job('Never', { manualSelector: true, selector: { matchLabels: { app: 'x' } } });
  (manual.spec as Any).template.metadata = { labels: { app: 'x' } };
  assert.deepEqual(check(JOB, manual), []);
});

test('job name longer than 63 characters breaks the job-name label', () => {
  const j = job('Never');
  j.metadata!.name = 'j'.repeat(64);
  const causes = check(JOB, j);
  assert.ok(causes.some((c) => c.field === 'spec.template.metadata.labels' && /must be no more than 63 characters/.test(c.message)));
});

test('job update: selector and template immutable, except while suspended', () => {
  const old = job('Never');
  applyBuiltinDefaults(JOB, old);
  const next = structuredClone(old);
  (next.spec as Any).template.spec.containers[0].image = 'perl:5.36';
  const causes = validateBuiltin(JOB, next, old);
  expectCause(causes, 'spec.template', 'FieldValueInvalid');
  assert.match(find(causes, 'spec.template')!.message, /field is immutable$/);
  const suspendedOld = structuredClone(old);
  (suspendedOld.spec as Any).suspend = true;
  const suspendedNext = structuredClone(suspendedOld);
  (suspendedNext.spec as Any).template.spec.nodeSelector = { zone: 'a' };
  assert.deepEqual(validateBuiltin(JOB, suspendedNext, suspendedOld), []);
  const sel = structuredClone(old);
  (sel.spec as Any).parallelism = 4;
  assert.deepEqual(validateBuiltin(JOB, sel, old), []);
});

function cronJob(schedule: string, extra: Any = {}): KubeObject {
  return {
    metadata: { name: 'c', namespace: 'default' },
    spec: { schedule, jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } }, ...extra },
  };
}

test('cronjob: schedule validation', () => {
  for (const ok of ['*/5 * * * *', '0 0 * * MON-FRI', '@hourly', '15 2 1 JAN,JUL *', '0-30/10 9-17 * * 1-5', '@every 1h30m', '0 0 ? * SUN'])
    assert.deepEqual(check(CRONJOB, cronJob(ok)), [], ok);
  expectCause(check(CRONJOB, cronJob('')), 'spec.schedule', 'FieldValueRequired');
  expectCause(check(CRONJOB, cronJob('*/5 * * *')), 'spec.schedule', 'FieldValueInvalid', 'Invalid value: "*/5 * * *": expected exactly 5 fields, found 4: [*/5 * * *]');
  expectCause(check(CRONJOB, cronJob('0 25 * * *')), 'spec.schedule', 'FieldValueInvalid', 'Invalid value: "0 25 * * *": end of range (25) above maximum (23): 25');
  expectCause(check(CRONJOB, cronJob('@fortnightly')), 'spec.schedule', 'FieldValueInvalid', 'Invalid value: "@fortnightly": unrecognized descriptor: @fortnightly');
  expectCause(check(CRONJOB, cronJob('TZ=UTC 0 * * * *')), 'spec.schedule', 'FieldValueInvalid', 'Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  assert.match(validateCronSchedule('x * * * *')[0], /^failed to parse int from x/);
  assert.equal(validateCronSchedule('5-1 * * * *')[0], 'beginning of range (5) beyond end of range (1): 5-1');
});

test('cronjob: parsed schedule sets', () => {
  const s = parseCronSchedule('*/15 9-17 * JAN-MAR mon,wed');
  assert.deepEqual([...s.minute], [0, 15, 30, 45]);
  assert.deepEqual([...s.hour], [9, 10, 11, 12, 13, 14, 15, 16, 17]);
  assert.deepEqual([...s.month], [1, 2, 3]);
  assert.deepEqual([...s.dayOfWeek], [1, 3]);
  assert.equal(s.dayOfMonthStar, true);
  assert.equal(s.dayOfWeekStar, false);
  assert.equal(parseCronSchedule('@every 90s').everyMs, 90000);
});

test('cronjob: timeZone, concurrencyPolicy, name length, job template restartPolicy', () => {
  const causes = check(CRONJOB, cronJob('0 * * * *', { timeZone: 'Mars/Olympus', concurrencyPolicy: 'Sometimes' }));
  expectCause(causes, 'spec.timeZone', 'FieldValueInvalid', 'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus');
  expectCause(causes, 'spec.concurrencyPolicy', 'FieldValueNotSupported', 'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"');
  assert.deepEqual(check(CRONJOB, cronJob('0 * * * *', { timeZone: 'Europe/Paris' })), []);
  const long = cronJob('0 * * * *');
  long.metadata!.name = 'c'.repeat(53);
  expectCause(check(CRONJOB, long), 'metadata.name', 'FieldValueInvalid');
  const always = cronJob('0 * * * *');
  (always.spec as Any).jobTemplate.spec.template.spec.restartPolicy = 'Always';
  expectCause(check(CRONJOB, always), 'spec.jobTemplate.spec.template.spec.restartPolicy', 'FieldValueNotSupported');
});

function service(spec: Any): KubeObject {
  return { metadata: { name: 'web', namespace: 'default' }, spec };
}

test('service: ports required, port range, names', () => {
  assert.deepEqual(check(SVC, service({ selector: { app: 'web' }, ports: [{ port: 80 }] })), []);
  expectCause(check(SVC, service({ selector: { app: 'web' } })), 'spec.ports', 'FieldValueRequired');
  assert.deepEqual(check(SVC, service({ clusterIP: 'None', selector: { app: 'web' } })), []);
  const causes = check(SVC, service({ ports: [{ port: 0 }, { port: 80, name: 'http' }, { port: 81, name: 'http' }] }));
  expectCause(causes, 'spec.ports[0].port', 'FieldValueInvalid', 'Invalid value: 0: must be between 1 and 65535, inclusive');
  expectCause(causes, 'spec.ports[0].name', 'FieldValueRequired');
  expectCause(causes, 'spec.ports[2].name', 'FieldValueDuplicate', 'Duplicate value: "http"');
});

test('service: type enum, nodePort on ClusterIP, ExternalName, externalTrafficPolicy', () => {
  expectCause(
    check(SVC, service({ type: 'Internal', ports: [{ port: 80 }] })),
    'spec.type',
    'FieldValueNotSupported',
    'Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  );
  expectCause(check(SVC, service({ ports: [{ port: 80, nodePort: 30080 }] })), 'spec.ports[0].nodePort', 'FieldValueForbidden', "Forbidden: may not be used when `type` is 'ClusterIP'");
  assert.deepEqual(check(SVC, service({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })), []);
  expectCause(check(SVC, service({ type: 'ExternalName' })), 'spec.externalName', 'FieldValueRequired');
  assert.deepEqual(check(SVC, service({ type: 'ExternalName', externalName: 'db.example.com' })), []);
  expectCause(check(SVC, service({ ports: [{ port: 80 }], externalTrafficPolicy: 'Local' })), 'spec.externalTrafficPolicy', 'FieldValueInvalid');
  expectCause(check(SVC, service({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] })), 'spec.clusterIPs[0]', 'FieldValueInvalid');
  expectCause(check(SVC, service({ clusterIP: '10.0.0.300', ports: [{ port: 80 }] })), 'spec.clusterIPs[0]', 'FieldValueInvalid');
});

test('service update: clusterIP immutable once set, empty keeps old', () => {
  const old = service({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] });
  const changed = service({ clusterIP: '10.96.0.11', ports: [{ port: 80 }] });
  expectCause(check(SVC, changed, old), 'spec.clusterIPs[0]', 'FieldValueInvalid', 'Invalid value: []string{"10.96.0.11"}: may not change once set');
  const unset = service({ ports: [{ port: 8080 }] });
  assert.deepEqual(check(SVC, unset, service({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] })), []);
});

test('secret: stringData normalization and base64 checks', () => {
  const s: KubeObject = { metadata: { name: 's', namespace: 'default' }, data: { a: 'eA==' }, stringData: { b: 'hello', a: 'y' } };
  normalizeSecret(s);
  assert.deepEqual(s.data, { a: 'eQ==', b: 'aGVsbG8=' });
  assert.equal(s.stringData, undefined);
  assert.deepEqual(check(SECRET, s), []);
  const bad: KubeObject = { metadata: { name: 's', namespace: 'default' }, data: { k: 'not base64!' } };
  const causes = check(SECRET, bad);
  expectCause(causes, 'data[k]', 'FieldValueInvalid');
  assert.match(find(causes, 'data[k]')!.message, /illegal base64 data at input byte 3$/);
  assert.equal(secretDecodeError(bad), 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3');
  assert.equal(base64ErrorOffset('YWJj'), -1);
  assert.equal(base64ErrorOffset('YWJjZA=='), -1);
  assert.equal(base64ErrorOffset('YWJ'), 0);
  assert.equal(base64ErrorOffset('YW\nJj'), -1);
});

test('secret: keys, type-specific required keys, immutability', () => {
  const causes = check(SECRET, { metadata: { name: 's', namespace: 'default' }, type: 'kubernetes.io/tls', data: { 'bad key': 'eA==' } });
  expectCause(causes, 'data[bad key]', 'FieldValueInvalid');
  assert.match(find(causes, 'data[bad key]')!.message, /a valid config key must consist of alphanumeric characters, '-', '_' or '\.'/);
  expectCause(causes, 'data[tls.crt]', 'FieldValueRequired');
  expectCause(causes, 'data[tls.key]', 'FieldValueRequired');
  const old: KubeObject = { metadata: { name: 's', namespace: 'default' }, immutable: true, data: { a: 'eA==' } };
  const next: KubeObject = { metadata: { name: 's', namespace: 'default' }, immutable: true, data: { a: 'eQ==' } };
  expectCause(check(SECRET, next, old), 'data', 'FieldValueForbidden', 'Forbidden: field is immutable when `immutable` is set');
  const typeChange = check(SECRET, { metadata: { name: 's', namespace: 'default' }, type: 'kubernetes.io/basic-auth', data: { username: 'eA==' } }, { metadata: { name: 's', namespace: 'default' }, data: {} });
  expectCause(typeChange, 'type', 'FieldValueInvalid', 'Invalid value: "kubernetes.io/basic-auth": field is immutable');
});

test('configmap: keys, duplicates across binaryData, size, immutable', () => {
  const causes = check(CM, { metadata: { name: 'c', namespace: 'default' }, data: { '..x': '1', k: 'v' }, binaryData: { k: 'eA==' } });
  expectCause(causes, 'data[..x]', 'FieldValueInvalid');
  expectCause(causes, 'data[k]', 'FieldValueInvalid', 'Invalid value: "k": duplicate of key present in binaryData');
  const big = check(CM, { metadata: { name: 'c', namespace: 'default' }, data: { k: 'x'.repeat(1024 * 1024 + 1) } });
  expectCause(big, 'data', 'FieldValueTooLong');
  const old: KubeObject = { metadata: { name: 'c', namespace: 'default' }, immutable: true, data: { a: '1' } };
  expectCause(check(CM, { metadata: { name: 'c', namespace: 'default' }, data: { a: '1' } }, old), 'immutable', 'FieldValueForbidden');
  assert.deepEqual(check(CM, { metadata: { name: 'c', namespace: 'default' }, immutable: true, data: { a: '1' } }, old), []);
});

test('rbac: rules verbs required, non-resource URLs in Role, roleRef immutable', () => {
  const ROLE = ri('rbac.authorization.k8s.io', 'v1', 'Role');
  const causes = check(ROLE, { metadata: { name: 'r', namespace: 'default' }, rules: [{ apiGroups: [''], resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }] });
  expectCause(causes, 'rules[0].verbs', 'FieldValueRequired', 'Required value: verbs must contain at least one value');
  expectCause(causes, 'rules[1].nonResourceURLs', 'FieldValueInvalid', 'Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs');
  const CR = ri('rbac.authorization.k8s.io', 'v1', 'ClusterRole', false);
  assert.deepEqual(check(CR, { metadata: { name: 'system:aggregate-to-view' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }), []);
  const RB = ri('rbac.authorization.k8s.io', 'v1', 'RoleBinding');
  const rb = (name: string): KubeObject => ({
    metadata: { name: 'rb', namespace: 'default' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'default' }],
  });
  assert.deepEqual(check(RB, rb('view')), []);
  expectCause(
    check(RB, rb('edit'), rb('view')),
    'roleRef',
    'FieldValueInvalid',
    'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
  );
  const CRB = ri('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', false);
  const crb = check(CRB, { metadata: { name: 'x' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] });
  expectCause(crb, 'roleRef.kind', 'FieldValueNotSupported', 'Unsupported value: "Role": supported values: "ClusterRole"');
  expectCause(crb, 'subjects[0].namespace', 'FieldValueRequired');
});

test('pvc: create validation and update immutability', () => {
  const PVC = ri('', 'v1', 'PersistentVolumeClaim');
  const mk = (storage: string, extra: Any = {}): KubeObject => ({
    metadata: { name: 'data', namespace: 'default' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...extra },
  });
  assert.deepEqual(check(PVC, mk('1Gi')), []);
  const causes = check(PVC, { metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: [], resources: {} } });
  expectCause(causes, 'spec.accessModes', 'FieldValueRequired', 'Required value: at least 1 access mode is required');
  expectCause(causes, 'spec.resources[storage]', 'FieldValueRequired');
  assert.deepEqual(check(PVC, mk('2Gi'), mk('1Gi')), []);
  assert.deepEqual(check(PVC, mk('1Gi', { volumeName: 'pv-1' }), mk('1Gi')), []);
  expectCause(check(PVC, mk('1Gi', { accessModes: ['ReadWriteMany'] }), mk('1Gi')), 'spec', 'FieldValueForbidden');
});

test('lease, namespace finalizers, ingress, hpa, pdb, webhook, crd', () => {
  const LEASE = ri('coordination.k8s.io', 'v1', 'Lease');
  expectCause(check(LEASE, { metadata: { name: 'l', namespace: 'default' }, spec: { leaseDurationSeconds: 0 } }), 'spec.leaseDurationSeconds', 'FieldValueInvalid', 'Invalid value: 0: must be greater than 0');
  assert.deepEqual(check(LEASE, { metadata: { name: 'l', namespace: 'default' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } }), []);
  const ING = ri('networking.k8s.io', 'v1', 'Ingress');
  const ing = check(ING, {
    metadata: { name: 'i', namespace: 'default' },
    spec: { rules: [{ host: 'Example.com', http: { paths: [{ path: 'api', pathType: 'Prefix', backend: { service: { name: 'web', port: {} } } }, { path: '/', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  });
  expectCause(ing, 'spec.rules[0].host', 'FieldValueInvalid');
  expectCause(ing, 'spec.rules[0].http.paths[0].path', 'FieldValueInvalid', 'Invalid value: "api": must be an absolute path');
  expectCause(ing, 'spec.rules[0].http.paths[0].backend.service.port', 'FieldValueRequired');
  expectCause(ing, 'spec.rules[0].http.paths[1].pathType', 'FieldValueRequired', 'Required value: pathType must be specified');
  const HPA = ri('autoscaling', 'v2', 'HorizontalPodAutoscaler');
  expectCause(check(HPA, { metadata: { name: 'h', namespace: 'default' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 5, maxReplicas: 2 } }), 'spec.maxReplicas', 'FieldValueInvalid', 'Invalid value: 2: must be greater than or equal to `minReplicas`');
  const PDB = ri('policy', 'v1', 'PodDisruptionBudget');
  expectCause(check(PDB, { metadata: { name: 'p', namespace: 'default' }, spec: { minAvailable: 1, maxUnavailable: 1 } }), 'spec', 'FieldValueInvalid');
  const VWC = ri('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', false);
  const wh = check(VWC, { metadata: { name: 'w' }, webhooks: [{ name: 'short', clientConfig: {}, timeoutSeconds: 40 }] });
  expectCause(wh, 'webhooks[0].name', 'FieldValueInvalid', 'Invalid value: "short": should be a domain with at least three segments separated by dots');
  expectCause(wh, 'webhooks[0].sideEffects', 'FieldValueRequired');
  expectCause(wh, 'webhooks[0].timeoutSeconds', 'FieldValueInvalid', 'Invalid value: 40: the timeout value must be between 1 and 30 seconds');
  expectCause(wh, 'webhooks[0].clientConfig', 'FieldValueRequired');
  const CRD = ri('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', false);
  const crd = check(CRD, {
    metadata: { name: 'widgets.example.com' },
    spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true }] },
  });
  assert.deepEqual(crd, []);
  expectCause(
    check(CRD, { metadata: { name: 'foo.example.com' }, spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', storage: true }] } }),
    'metadata.name',
    'FieldValueInvalid',
    'Invalid value: "foo.example.com": must be spec.names.plural+"."+spec.group',
  );
});

test('quantities parse', () => {
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('1Gi'), 1024 ** 3);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity('abc'), undefined);
});

test('unknown kinds get metadata validation only', () => {
  const r = ri('example.com', 'v1', 'Widget');
  assert.deepEqual(validateBuiltin(r, { metadata: { name: 'w', namespace: 'default' }, spec: { anything: true } }), []);
  expectCause(validateBuiltin(r, { metadata: { name: 'W', namespace: 'default' } }), 'metadata.name', 'FieldValueInvalid');
});
