import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceInfo, StructSchema } from '@flotilla/apimachinery';
import {
  openApiV3Paths,
  openApiV3PathKey,
  openApiDocHash,
  buildOpenApiV3GroupVersion,
  buildOpenApiV2,
  builtinKindSchemaName,
  toSwaggerV2Schema,
} from './openapi.js';
import { builtinResources, findBuiltin } from './resources.js';
import { openApiSchemas } from './schemas.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const appsDoc = (): Json =>
  buildOpenApiV3GroupVersion({
    group: 'apps',
    version: 'v1',
    resources: builtinResources,
    schemas: openApiSchemas(),
    kindSchemaName: builtinKindSchemaName,
  }) as Json;

test('v3 index', () => {
  assert.equal(openApiV3PathKey('v1'), 'api/v1');
  assert.equal(openApiV3PathKey('apps/v1'), 'apis/apps/v1');
  assert.equal(openApiV3PathKey('core/v1'), 'api/v1');
  const idx = openApiV3Paths(['v1', 'apps/v1']);
  assert.deepEqual(Object.keys(idx.paths), ['api/v1', 'apis/apps/v1']);
  assert.match(idx.paths['apis/apps/v1'].serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
  assert.deepEqual(openApiV3Paths(['apps/v1']), openApiV3Paths(['apps/v1']), 'stable');
  const custom = openApiV3Paths(['apps/v1'], { 'apps/v1': 'ABC' });
  assert.equal(custom.paths['apis/apps/v1'].serverRelativeURL, '/openapi/v3/apis/apps/v1?hash=ABC');
  const fn = openApiV3Paths(['apps/v1'], (gv) => `H-${gv.replace('/', '_')}`);
  assert.equal(fn.paths['apis/apps/v1'].serverRelativeURL, '/openapi/v3/apis/apps/v1?hash=H-apps_v1');
  assert.notEqual(openApiDocHash({ a: 1 }), openApiDocHash({ a: 2 }));
});

test('v3 apps/v1 document: paths, operations, parameters', () => {
  const doc = appsDoc();
  assert.equal(doc.openapi, '3.0.0');
  assert.equal(doc.info.title, 'Kubernetes');
  const coll = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  assert.ok(coll);
  assert.deepEqual(Object.keys(coll).sort(), ['delete', 'get', 'parameters', 'post']);
  assert.equal(coll.get['x-kubernetes-action'], 'list');
  assert.equal(coll.get.operationId, 'listAppsV1NamespacedDeployment');
  assert.deepEqual(coll.get['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  assert.equal(
    coll.get.responses['200'].content['application/json'].schema.$ref,
    '#/components/schemas/io.k8s.api.apps.v1.DeploymentList',
  );
  const listParams = coll.get.parameters.map((p: Json) => p.name);
  for (const n of ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'watch', 'timeoutSeconds']) {
    assert.ok(listParams.includes(n), n);
  }
  assert.equal(coll.post['x-kubernetes-action'], 'post');
  const postParams = coll.post.parameters.map((p: Json) => p.name);
  assert.deepEqual(postParams, ['dryRun', 'fieldManager', 'fieldValidation']);
  assert.equal(coll.post.requestBody.content['*/*'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.Deployment');
  assert.equal(coll.delete['x-kubernetes-action'], 'deletecollection');
  assert.deepEqual(coll.parameters.map((p: Json) => p.name), ['namespace', 'pretty']);

  const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  assert.deepEqual(Object.keys(item).sort(), ['delete', 'get', 'parameters', 'patch', 'put']);
  assert.equal(item.patch['x-kubernetes-action'], 'patch');
  const patchParams = item.patch.parameters.map((p: Json) => p.name);
  assert.deepEqual(patchParams, ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
  assert.equal(item.patch.parameters[2].in, 'query');
  assert.deepEqual(Object.keys(item.patch.requestBody.content), [
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/strategic-merge-patch+json',
    'application/apply-patch+yaml',
  ]);
  assert.equal(item.put.operationId, 'replaceAppsV1NamespacedDeployment');
  assert.equal(item.get.operationId, 'readAppsV1NamespacedDeployment');

  const status = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status'];
  assert.deepEqual(Object.keys(status).sort(), ['get', 'parameters', 'patch', 'put']);
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.deepEqual(scale.get['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  assert.equal(scale.get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.autoscaling.v1.Scale');
  assert.ok(doc.paths['/apis/apps/v1/deployments'].get, 'all-namespaces list');
  assert.equal(doc.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
  assert.equal(doc.paths['/apis/apps/v1/watch/namespaces/{namespace}/deployments'].get['x-kubernetes-action'], 'watchlist');
  // controllerrevisions have no status
  assert.equal(doc.paths['/apis/apps/v1/namespaces/{namespace}/controllerrevisions/{name}/status'], undefined);
  // nothing from other groups
  assert.ok(Object.keys(doc.paths).every((p) => p.startsWith('/apis/apps/v1/')));
});

test('v3 components hold the transitive closure', () => {
  const doc = appsDoc();
  const schemas = doc.components.schemas as Record<string, StructSchema>;
  for (const n of [
    'io.k8s.api.apps.v1.Deployment',
    'io.k8s.api.apps.v1.DeploymentList',
    'io.k8s.api.core.v1.PodSpec',
    'io.k8s.api.core.v1.Container',
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
    'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
    'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
    'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
    'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    'io.k8s.api.autoscaling.v1.Scale',
  ]) {
    assert.ok(schemas[n], n);
  }
  assert.equal(schemas['io.k8s.api.batch.v1.Job'], undefined);
  // closed: every ref resolves inside the document
  const bad: string[] = [];
  JSON.stringify(doc, (k, v) => {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) {
      const name = v.slice('#/components/schemas/'.length);
      if (!schemas[name]) bad.push(v);
    }
    return v;
  });
  assert.deepEqual(bad, []);
});

test('core v1 document: pods subresources, create-only kinds elsewhere', () => {
  const doc = buildOpenApiV3GroupVersion({
    group: '',
    version: 'v1',
    resources: builtinResources,
    schemas: openApiSchemas(),
    kindSchemaName: builtinKindSchemaName,
  }) as Json;
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/pods'].get);
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch.operationId, 'patchCoreV1NamespacedPod');
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/status'].patch);
  assert.deepEqual(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post['x-kubernetes-group-version-kind'], {
    group: 'policy',
    version: 'v1',
    kind: 'Eviction',
  });
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'].get);
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token'].post);
  assert.ok(doc.paths['/api/v1/namespaces/{name}'].get, 'cluster-scoped item path');
  assert.equal(doc.paths['/api/v1/namespaces/{name}'].get.operationId, 'readCoreV1Namespace');
  assert.ok(doc.components.schemas['io.k8s.api.policy.v1.Eviction']);

  const authz = buildOpenApiV3GroupVersion({
    group: 'authorization.k8s.io',
    version: 'v1',
    resources: builtinResources,
    schemas: openApiSchemas(),
    kindSchemaName: builtinKindSchemaName,
  }) as Json;
  const sar = authz.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'];
  assert.deepEqual(Object.keys(sar).sort(), ['parameters', 'post']);
  assert.equal(authz.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews/{name}'], undefined);
});

test('CRDs: caller schemas, synthesized list schema, GVK stamped, no strategic merge patch', () => {
  const wf: ResourceInfo = {
    group: 'argoproj.io',
    version: 'v1alpha1',
    kind: 'Workflow',
    listKind: 'WorkflowList',
    plural: 'workflows',
    singular: 'workflow',
    namespaced: true,
    shortNames: ['wf'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: { status: true },
  };
  const wfSchema: StructSchema = {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      spec: { type: 'object', properties: { entrypoint: { type: 'string', description: 'the template to start with' } } },
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
  const kindSchemaName = (r: ResourceInfo) =>
    r.group === 'argoproj.io' ? `io.argoproj.workflow.v1alpha1.${r.kind}` : builtinKindSchemaName(r);
  const doc = buildOpenApiV3GroupVersion({
    group: 'argoproj.io',
    version: 'v1alpha1',
    resources: [wf],
    schemas: { 'io.argoproj.workflow.v1alpha1.Workflow': wfSchema },
    kindSchemaName,
  }) as Json;
  const schemas = doc.components.schemas;
  assert.deepEqual(schemas['io.argoproj.workflow.v1alpha1.Workflow']['x-kubernetes-group-version-kind'], [
    { group: 'argoproj.io', version: 'v1alpha1', kind: 'Workflow' },
  ]);
  assert.equal(wfSchema['x-kubernetes-group-version-kind'], undefined, 'input not mutated');
  const list = schemas['io.argoproj.workflow.v1alpha1.WorkflowList'];
  assert.ok(list);
  assert.deepEqual(list['x-kubernetes-group-version-kind'], [{ group: 'argoproj.io', version: 'v1alpha1', kind: 'WorkflowList' }]);
  assert.equal(list.properties.items.items.$ref, '#/components/schemas/io.argoproj.workflow.v1alpha1.Workflow');
  assert.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  assert.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta']);
  const item = doc.paths['/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}'];
  assert.equal(item.patch.operationId, 'patchArgoprojIoV1alpha1NamespacedWorkflow');
  assert.ok(item.patch.parameters.some((p: Json) => p.name === 'fieldValidation'));
  assert.ok(!('application/strategic-merge-patch+json' in item.patch.requestBody.content));
  assert.ok(doc.paths['/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}/status']);
  assert.equal(doc.paths['/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}/scale'], undefined);
});

test('Swagger 2.0 document', () => {
  const doc = buildOpenApiV2({
    resources: builtinResources,
    schemas: openApiSchemas(),
    kindSchemaName: builtinKindSchemaName,
  }) as Json;
  assert.equal(doc.swagger, '2.0');
  const defs = doc.definitions as Record<string, StructSchema>;
  assert.deepEqual(defs['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [
    { group: 'apps', version: 'v1', kind: 'Deployment' },
  ]);
  const text = JSON.stringify(doc);
  assert.ok(!text.includes('#/components/schemas/'), 'refs rewritten');
  assert.ok(text.includes('"$ref":"#/definitions/io.k8s.api.core.v1.PodSpec"'));
  const bad: string[] = [];
  JSON.stringify(doc, (k, v) => {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/') && !defs[v.slice('#/definitions/'.length)]) bad.push(v);
    return v;
  });
  assert.deepEqual(bad, []);
  const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.ok(patch.parameters.some((p: Json) => p.name === 'fieldValidation' && p.in === 'query' && p.type === 'string'));
  assert.ok(patch.parameters.some((p: Json) => p.name === 'force' && p.type === 'boolean'));
  assert.deepEqual(patch.parameters[0].in, 'body');
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/pods']);
  assert.ok(doc.paths['/apis/batch/v1/namespaces/{namespace}/jobs']);
  // both autoscaling versions appear
  assert.ok(doc.paths['/apis/autoscaling/v1/namespaces/{namespace}/horizontalpodautoscalers']);
  assert.ok(doc.paths['/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers']);
  assert.ok(findBuiltin('apps', 'v1', 'deployments'));
  // a described reference is written as Kubernetes' v2 writes it: $ref beside the description
  const spec = defs['io.k8s.api.apps.v1.Deployment'].properties!.spec as StructSchema;
  assert.equal(spec.$ref, '#/definitions/io.k8s.api.apps.v1.DeploymentSpec');
  assert.ok(spec.description);
  assert.equal(spec.allOf, undefined);
});

test('toSwaggerV2Schema drops v3-only keywords', () => {
  const v2 = toSwaggerV2Schema({
    type: 'object',
    nullable: true,
    properties: {
      a: { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true },
      $ref: { type: 'string' },
      b: { $ref: '#/components/schemas/X' },
    },
  });
  assert.deepEqual(v2, {
    type: 'object',
    'x-nullable': true,
    properties: {
      a: { 'x-kubernetes-int-or-string': true },
      $ref: { type: 'string' },
      b: { $ref: '#/definitions/X' },
    },
  });
});

test('builtinKindSchemaName', () => {
  assert.equal(builtinKindSchemaName(findBuiltin('', 'v1', 'pods')!), 'io.k8s.api.core.v1.Pod');
  assert.equal(builtinKindSchemaName(findBuiltin('batch', 'v1', 'cronjobs')!), 'io.k8s.api.batch.v1.CronJob');
});
