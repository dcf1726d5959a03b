/**
 * HorizontalPodAutoscaler autoscaling/v1 ↔ v2: the pure conversion (round trips), and the server
 * storing v2 and serving v1 as its conversion (was: the v2 object under a v1 apiVersion).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '@flotilla/apimachinery';
import { hpaV1toV2, hpaV2toV1 } from './hpa-convert.js';
import { startTestCluster, type TestCluster } from './testutil.js';

const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } };
const behavior = { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };

const v2 = (): KubeObject =>
  ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'h', namespace: 'default' },
    spec: { scaleTargetRef: target, minReplicas: 2, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }, memory], behavior },
    status: {
      currentReplicas: 3,
      desiredReplicas: 4,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 81, averageValue: '81m' } } }],
      conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' }],
    },
  }) as KubeObject;

describe('HPA conversion (pure)', () => {
  it('v2 → v1: the cpu utilization target and current value; the rest in annotations; and back', () => {
    const v1 = hpaV2toV1(v2()) as any;
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.deepEqual(v1.spec, { scaleTargetRef: target, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 });
    assert.deepEqual(v1.status, { currentReplicas: 3, desiredReplicas: 4, currentCPUUtilizationPercentage: 81 });
    assert.deepEqual(JSON.parse(v1.metadata.annotations['autoscaling.alpha.kubernetes.io/metrics']), [memory]);
    assert.deepEqual(JSON.parse(v1.metadata.annotations['autoscaling.alpha.kubernetes.io/behavior']), behavior);
    const back = hpaV1toV2(v1) as any;
    assert.deepEqual(back.spec, v2().spec);
    assert.deepEqual(back.status.conditions, (v2() as any).status.conditions);
    assert.equal(back.metadata.annotations, undefined, 'the annotations are taken back out');
  });

  it('v1 → v2: targetCPUUtilizationPercentage is a cpu Utilization metric; none, no metrics', () => {
    const v1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: target, maxReplicas: 3, targetCPUUtilizationPercentage: 50 } } as KubeObject;
    assert.deepEqual((hpaV1toV2(v1) as any).spec, { scaleTargetRef: target, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] });
    delete (v1 as any).spec.targetCPUUtilizationPercentage;
    assert.equal((hpaV1toV2(v1) as any).spec.metrics, undefined);
  });
});

describe('HPA served as v1 and v2 (one stored object)', { timeout: 60_000 }, () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster();
  });
  after(async () => {
    await c?.close();
  });

  it('created through v1, read through v2 (and kubectl); created through v2, read, written back and read through v1 without losing v2 fields', async () => {
    const v1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'one' }, spec: { scaleTargetRef: target, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 } };
    const made = await c.req('POST', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers', v1);
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.apiVersion, 'autoscaling/v1');
    assert.equal(made.body.spec.targetCPUUtilizationPercentage, 50);
    const asV2 = await c.req('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/one');
    assert.deepEqual(asV2.body.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
    assert.equal(asV2.body.spec.targetCPUUtilizationPercentage, undefined);
    assert.match(await c.k(['get', 'hpa', 'one', '-o', 'jsonpath={.spec.metrics[0].resource.target.averageUtilization}']), /^50$/);

    const two = v2() as any;
    two.metadata = { name: 'two' };
    delete two.status;
    assert.equal((await c.req('POST', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', two)).status, 201);
    const read1 = await c.req('GET', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/two');
    assert.equal(read1.body.apiVersion, 'autoscaling/v1');
    assert.equal(read1.body.spec.targetCPUUtilizationPercentage, 70);
    assert.equal(read1.body.spec.metrics, undefined, 'no v2 fields in the v1 view');
    const list1 = await c.req('GET', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers');
    assert.deepEqual(list1.body.items.map((i: any) => [i.metadata.name, i.spec.targetCPUUtilizationPercentage]), [['one', 50], ['two', 70]]);
    // a v1 client changes minReplicas and writes the object back: v2's memory metric and behavior stay
    const upd = { ...read1.body, spec: { ...read1.body.spec, minReplicas: 3 } };
    const put = await c.req('PUT', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/two', upd);
    assert.equal(put.status, 200, put.text);
    const after2 = (await c.req('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/two')).body;
    assert.equal(after2.spec.minReplicas, 3);
    assert.deepEqual(after2.spec.metrics, two.spec.metrics);
    assert.deepEqual(after2.spec.behavior.scaleDown, behavior.scaleDown);
    assert.ok(after2.spec.behavior.scaleUp, "v2 defaulting of behavior still applies");
    assert.equal(after2.metadata.annotations, undefined);
    // a merge patch through v1
    const mp = await c.req('PATCH', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/two', { spec: { targetCPUUtilizationPercentage: 60 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(mp.status, 200, mp.text);
    const after3 = (await c.req('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/two')).body;
    assert.deepEqual(after3.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }, memory]);
  });
});
