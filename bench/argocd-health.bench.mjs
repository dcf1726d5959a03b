#!/usr/bin/env node
// Argo CD health (issue 9): getHealth over 10,000 mixed objects — built-in kinds (Deployment,
// ReplicaSet, Pod, Service, StatefulSet, Job, Rollout, ConfigMap) and custom resources assessed by
// Lua overrides (Certificate, a wildcard Crossplane key) — through the real Lua VM. Prints ops/s.
import { getHealth, worstHealth } from '../packages/argocd-engine/dist/health/index.js';

const CERT_LUA = `
hs = { status = "Progressing", message = "Waiting for certificate" }
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" and c.status == "True" then hs = { status = "Healthy", message = c.message } end
    if c.type == "Ready" and c.status == "False" then return { status = "Degraded", message = c.message } end
  end
end
return hs`;
const XP_LUA = `
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" then return { status = c.status == "True" and "Healthy" or "Progressing" } end
end
return { status = "Progressing" }`;
const overrides = new Map([
  ['cert-manager.io/Certificate', { health: { lua: CERT_LUA } }],
  ['*.aws.crossplane.io/*', { health: { lua: XP_LUA, useOpenLibs: true } }],
]);

const labels = { 'app.kubernetes.io/instance': 'bench', app: 'web' };
const make = [
  (i) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `d${i}`, namespace: 'n', generation: 2, labels }, spec: { replicas: 3, template: { spec: { containers: [{ name: 'c', image: 'nginx' }] } } }, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: i % 7 ? 3 : 1 } }),
  (i) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `rs${i}`, namespace: 'n', generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, availableReplicas: 2 } }),
  (i) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'n', labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: i % 11 ? 'True' : 'False' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }] } }),
  (i) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: 'n' }, spec: { type: i % 5 ? 'ClusterIP' : 'LoadBalancer', selector: { app: 'web' } }, status: { loadBalancer: {} } }),
  (i) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: `ss${i}`, namespace: 'n', generation: 1 }, spec: { replicas: 1, updateStrategy: { type: 'RollingUpdate' } }, status: { observedGeneration: 1, readyReplicas: 1, currentRevision: 'a', updateRevision: 'a', currentReplicas: 1 } }),
  (i) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `j${i}`, namespace: 'n' }, spec: {}, status: { conditions: [{ type: 'Complete', status: 'True' }] } }),
  (i) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: `r${i}`, namespace: 'n', generation: 3 }, spec: { replicas: 2 }, status: { observedGeneration: '3', phase: i % 3 ? 'Healthy' : 'Paused' } }),
  (i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${i}`, namespace: 'n' }, data: { k: 'v' } }),
  (i) => ({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: `c${i}`, namespace: 'n', labels }, spec: { secretName: `c${i}`, dnsNames: [`c${i}.example.com`] }, status: { conditions: [{ type: 'Ready', status: i % 4 ? 'True' : 'False', message: 'Certificate is up to date' }] } }),
  (i) => ({ apiVersion: 's3.aws.crossplane.io/v1beta1', kind: 'Bucket', metadata: { name: `b${i}` }, spec: { forProvider: { locationConstraint: 'eu-west-1' } }, status: { conditions: [{ type: 'Synced', status: 'True' }, { type: 'Ready', status: 'True' }] } }),
];
const objects = Array.from({ length: 10_000 }, (_, i) => make[i % make.length](i));
const luaObjects = objects.filter((o) => o.kind === 'Certificate' || o.kind === 'Bucket');
const builtinObjects = objects.filter((o) => o.kind !== 'Certificate' && o.kind !== 'Bucket');

async function run(list) {
  const t = performance.now();
  const codes = [];
  for (const o of list) codes.push((await getHealth(o, { overrides }))?.status);
  const ms = performance.now() - t;
  return { ms, worst: worstHealth(codes), assessed: codes.filter(Boolean).length };
}
await run(objects.slice(0, 500)); // warm-up: engine creation, compiled-chunk cache
const figures = [];
for (const [label, list] of [['mixed', objects], ['built-in only', builtinObjects], ['Lua overrides only', luaObjects]]) {
  const best = [];
  for (let r = 0; r < 3; r++) best.push(await run(list));
  best.sort((a, b) => a.ms - b.ms);
  const { ms, worst, assessed } = best[0];
  figures.push(`${label}: ${list.length} objects in ${ms.toFixed(0)} ms = ${Math.round((list.length / ms) * 1000).toLocaleString('en-US')} ops/s (${assessed} with health, worst ${worst})`);
}
console.log(`argocd health, best of 3:\n  ${figures.join('\n  ')}`);
console.log(`  rss ${Math.round(process.memoryUsage().rss / 1048576)} MB`);
