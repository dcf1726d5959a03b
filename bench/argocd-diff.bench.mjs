#!/usr/bin/env node
// Argo CD diff benchmark (issue 9 target): the comparison of one app with 1,000 resources < 1 s.
// 400 Deployments, 300 Services, 200 ConfigMaps and 100 Secrets, each live object carrying what the
// API server adds (defaults, metadata, managedFields, status) and its last-applied configuration;
// 14% drifted; the app has jsonPointers and jq ignoreDifferences and argocd-cm customizations.
// Printed: the comparison (verdicts, what each reconciliation needs) and, separately, building the
// unified YAML diff text of the drifted resources (what `argocd app diff` shows).
import { diffResources, withLastApplied } from '../packages/argocd-engine/dist/diff/index.js';
import { parseSettings } from '../packages/argocd-engine/dist/settings/index.js';

const ns = 'bench';
function target(i) {
  const name = `app-${i}`;
  const labels = { app: name, tier: 'web' };
  if (i < 400)
    return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns, labels }, spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: `nginx:1.${i % 30}`, ports: [{ containerPort: 8080 }], env: [{ name: 'A', value: String(i) }, { name: 'B', value: 'x' }], resources: { limits: { cpu: 0.5, memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } } }] } } } };
  if (i < 700) return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } };
  if (i < 900) return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data: Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`key${k}`, `value-${i}-${k}`])) };
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns, labels }, type: 'Opaque', data: { password: Buffer.from(`pw-${i}`).toString('base64') } };
}
function live(t, i) {
  const o = structuredClone(withLastApplied(t));
  Object.assign(o.metadata, { uid: `uid-${i}`, resourceVersion: String(1000 + i), generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'argocd-controller', operation: 'Update', apiVersion: o.apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }, { manager: 'kube-controller-manager', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }] });
  if (o.kind === 'Deployment') {
    Object.assign(o.spec, { progressDeadlineSeconds: 600, revisionHistoryLimit: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    Object.assign(o.spec.template.spec, { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30, securityContext: {} });
    const c = o.spec.template.spec.containers[0];
    Object.assign(c, { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    c.ports[0].protocol = 'TCP';
    c.resources.limits.cpu = '500m';
    o.status = { replicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1, conditions: [{ type: 'Available', status: 'True' }] };
    if (i % 10 === 0) o.spec.replicas = 3; // drift
    if (i % 10 === 1) c.image = 'nginx:drifted';
  } else if (o.kind === 'Service') {
    Object.assign(o.spec, { clusterIP: `10.0.${i >> 8}.${i & 255}`, clusterIPs: [`10.0.${i >> 8}.${i & 255}`], type: 'ClusterIP', sessionAffinity: 'None', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster' });
    o.spec.ports[0].protocol = 'TCP';
    o.status = { loadBalancer: {} };
    if (i % 10 === 0) o.spec.selector = { app: 'other' };
  } else if (o.kind === 'ConfigMap') {
    if (i % 10 === 0) o.data.key3 = 'changed';
  } else if (i % 10 === 0) o.data.password = Buffer.from('rotated').toString('base64');
  return o;
}

const pairs = Array.from({ length: 1000 }, (_, i) => {
  const t = target(i);
  return { target: t, live: live(t, i) };
});
const settings = parseSettings({
  'resource.customizations.ignoreDifferences.admissionregistration.k8s.io_MutatingWebhookConfiguration': 'jqPathExpressions:\n- .webhooks[]?.clientConfig.caBundle\n',
  'resource.customizations.ignoreDifferences.all': 'jsonPointers:\n- /metadata/annotations/deployment.kubernetes.io~1revision\n',
});
const opts = {
  settings,
  appName: 'bench',
  ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "sidecar")'], jsonPointers: ['/spec/template/metadata/annotations'] }],
};
for (const p of pairs) p.live.metadata.labels['app.kubernetes.io/instance'] = 'bench';

const times = [];
const textTimes = [];
let modified = 0;
let textBytes = 0;
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  const res = diffResources(pairs, opts);
  times.push(performance.now() - t);
  modified = res.filter((x) => x.modified).length;
  const t2 = performance.now();
  textBytes = res.reduce((n, x) => n + x.diff.length, 0);
  textTimes.push(performance.now() - t2);
}
const med = (a) => [...a].sort((x, y) => x - y)[2];
console.log(`argocd diff: one app with 1,000 resources, ${modified} out of sync: comparison first run ${times[0].toFixed(0)} ms, median ${med(times).toFixed(0)} ms (target < 1 s); unified YAML diffs of the ${modified} (${(textBytes / 1024).toFixed(0)} KiB) first run ${textTimes[0].toFixed(0)} ms, median ${med(textTimes).toFixed(0)} ms`);
if (modified !== 140) {
  console.error(`expected 140 out-of-sync resources, got ${modified}`);
  process.exit(1);
}
