/**
 * GET /api/v1/applications?fields=items.…: the per-item cached projection gives exactly the JSON of
 * project() over the whole answer, and follows an item that was replaced (as the informer replaces
 * entries) or a different field list.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { project, projectItemsJson } from './api/applications.js';

const app = (i: number, extra: Record<string, unknown> = {}) => ({
  metadata: { name: `app-${i}`, namespace: 'argocd', labels: { team: `t${i % 3}` } },
  spec: { project: 'default', source: { repoURL: 'https://git.example.test/a.git', path: `p/${i}` }, destination: { server: 'https://kubernetes.default.svc', namespace: 'x' }, ...(i % 2 ? { syncPolicy: { automated: { prune: true } } } : {}) },
  status: { sync: { status: 'Synced' }, health: { status: i % 4 ? 'Healthy' : 'Degraded' }, conditions: i % 5 ? undefined : [{ type: 'SyncError', message: 'm' }], resources: [{ kind: 'ConfigMap', name: 'c' }, { kind: 'Service', name: 's' }] },
  ...extra,
});

const LIST = ['metadata.name', 'metadata.namespace', 'spec.project', 'spec.destination', 'spec.source', 'spec.sources', 'spec.syncPolicy', 'status.sync.status', 'status.health.status', 'status.conditions'].map((f) => `items.${f}`);

describe('projectItemsJson', () => {
  it('equals JSON of project() for app list fields, nested and array paths, missing paths and no items', () => {
    const items = Array.from({ length: 20 }, (_, i) => app(i));
    for (const fields of [LIST, ['items.metadata.name'], ['items.status.resources.kind', 'items.metadata.labels.team'], ['items.nosuch.x', 'items.'], ['items.spec']]) {
      const want = JSON.stringify(project({ metadata: { resourceVersion: '7' }, items }, fields));
      assert.equal(projectItemsJson(items, fields), want, fields.join(','));
      assert.equal(projectItemsJson(items, fields), want, `again (cached): ${fields.join(',')}`);
    }
    assert.equal(projectItemsJson([], LIST), JSON.stringify(project({ metadata: {}, items: [] }, LIST)));
  });

  it('leaves other field lists to project()', () => {
    assert.equal(projectItemsJson([app(1)], ['metadata.resourceVersion', 'items.metadata.name']), undefined);
  });

  it('a replaced item is serialised anew; the same item under another field list too', () => {
    const a = app(1);
    const b = { ...a, status: { ...a.status, sync: { status: 'OutOfSync' } } };
    assert.match(projectItemsJson([a], LIST)!, /"Synced"/);
    assert.match(projectItemsJson([b], LIST)!, /"OutOfSync"/);
    assert.equal(projectItemsJson([a], ['items.metadata.name']), '{"items":[{"metadata":{"name":"app-1"}}]}');
    assert.match(projectItemsJson([a], LIST)!, /"Synced"/);
  });
});

describe('appEventLine', () => {
  it('is the grpc-gateway stream line of the event, the application serialised once for every watcher', async () => {
    const { appEventLine } = await import('./api/stream.js');
    const a = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...app(3) } as any;
    for (const t of ['ADDED', 'MODIFIED', 'DELETED'] as const) assert.equal(appEventLine(t, a), JSON.stringify({ result: { type: t, application: a } }) + '\n');
    const b = { ...a, metadata: { ...a.metadata, annotations: { x: 'é"\n' } } } as any;
    assert.equal(appEventLine('MODIFIED', b), JSON.stringify({ result: { type: 'MODIFIED', application: b } }) + '\n');
  });
});
