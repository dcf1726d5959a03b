#!/usr/bin/env node
// Workload controllers benchmark: a 100-replica Deployment from creation to "successfully rolled out",
// then a full rolling update (maxSurge 25%, maxUnavailable 25%), on the embedded API server with the
// stand-in kubelet from the controllers' test kit making bound pods ready.
import { startControllers } from '../packages/controllers/dist/index.js';
import { startCluster, startFakeKubelet, eventually } from '../packages/controllers/dist/testkit.js';

const REPLICAS = 100;
const c = await startCluster();
const ctl = await startControllers({ kubeconfig: c.kubeconfig, scheduler: { createNode: { capacity: { cpu: '64', memory: '256Gi', pods: '1000' } } }, events: false });
const kubelet = startFakeKubelet(c.client);
const R = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true };
const done = async (image) => {
  const d = await c.client.get(R, 'default', 'bench');
  const s = d.status ?? {};
  return s.observedGeneration >= d.metadata.generation && s.updatedReplicas === REPLICAS && s.availableReplicas === REPLICAS && s.replicas === REPLICAS && d.spec.template.spec.containers[0].image === image;
};
try {
  let t = performance.now();
  await c.k(['create', 'deployment', 'bench', '--image=nginx:1', `--replicas=${REPLICAS}`]);
  await eventually(() => done('nginx:1'), 120_000, 'first rollout');
  const create = performance.now() - t;
  t = performance.now();
  await c.k(['set', 'image', 'deployment/bench', 'nginx=nginx:2']);
  await eventually(() => done('nginx:2'), 120_000, 'rolling update');
  const update = performance.now() - t;
  console.log(`controllers: ${REPLICAS}-replica Deployment rolled out in ${create.toFixed(0)} ms; rolling update to a new image in ${update.toFixed(0)} ms`);
} finally {
  await kubelet.stop();
  await ctl.stop();
  await c.close();
}
