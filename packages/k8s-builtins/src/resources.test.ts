import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  builtinResources,
  findBuiltin,
  findBuiltinByKind,
  preferredVersions,
  preferredVersion,
  builtinGroupVersions,
  builtinResourcesFor,
  builtinSubresources,
  compareKubeVersions,
  STANDARD_VERBS,
} from './resources.js';

test('deployments: namespaced, short name, category, scale paths', () => {
  const d = findBuiltin('apps', 'v1', 'deployments');
  assert.ok(d);
  assert.equal(d.kind, 'Deployment');
  assert.equal(d.listKind, 'DeploymentList');
  assert.equal(d.singular, 'deployment');
  assert.equal(d.namespaced, true);
  assert.deepEqual(d.shortNames, ['deploy']);
  assert.deepEqual(d.categories, ['all']);
  assert.deepEqual(d.verbs, [...STANDARD_VERBS]);
  assert.equal(d.subresources?.status, true);
  assert.deepEqual(d.subresources?.scale, {
    specReplicasPath: '.spec.replicas',
    statusReplicasPath: '.status.replicas',
    labelSelectorPath: '.spec.selector',
  });
  assert.equal(d.storage, true);
});

test('scale subresource on exactly the scalable workloads', () => {
  const scalable = builtinResources.filter((r) => r.subresources?.scale).map((r) => `${r.group}/${r.plural}`);
  assert.deepEqual(scalable.sort(), ['/replicationcontrollers', 'apps/deployments', 'apps/replicasets', 'apps/statefulsets']);
});

test('core resources', () => {
  const pods = findBuiltin('', 'v1', 'pods');
  assert.ok(pods);
  assert.deepEqual(pods.shortNames, ['po']);
  assert.deepEqual(pods.categories, ['all']);
  assert.equal(pods.subresources?.status, true);
  for (const s of ['log', 'exec', 'portforward', 'binding', 'eviction', 'attach', 'proxy']) {
    assert.ok(pods.extraSubresources?.includes(s), s);
  }
  const ns = findBuiltin('', 'v1', 'namespaces');
  assert.equal(ns?.namespaced, false);
  assert.ok(!ns?.verbs.includes('deletecollection'));
  assert.deepEqual(findBuiltin('', 'v1', 'services')?.extraSubresources, ['proxy']);
  assert.deepEqual(findBuiltin('', 'v1', 'serviceaccounts')?.extraSubresources, ['token']);
  assert.deepEqual(findBuiltin('', 'v1', 'configmaps')?.shortNames, ['cm']);
  assert.equal(findBuiltin('', 'v1', 'nodes')?.namespaced, false);
  assert.equal(findBuiltin('', 'v1', 'persistentvolumes')?.namespaced, false);
  assert.equal(findBuiltin('', 'v1', 'endpoints')?.singular, 'endpoints');
  assert.equal(findBuiltin('apps', 'v1', 'pods'), undefined);
});

test('required resources are all present', () => {
  const want = [
    'v1/namespaces', 'v1/nodes', 'v1/pods', 'v1/services', 'v1/endpoints', 'v1/configmaps', 'v1/secrets',
    'v1/serviceaccounts', 'v1/events', 'v1/persistentvolumeclaims', 'v1/persistentvolumes', 'v1/limitranges',
    'v1/resourcequotas', 'v1/podtemplates', 'v1/replicationcontrollers',
    'apps/v1/deployments', 'apps/v1/replicasets', 'apps/v1/statefulsets', 'apps/v1/daemonsets', 'apps/v1/controllerrevisions',
    'batch/v1/jobs', 'batch/v1/cronjobs',
    'networking.k8s.io/v1/ingresses', 'networking.k8s.io/v1/ingressclasses', 'networking.k8s.io/v1/networkpolicies',
    'discovery.k8s.io/v1/endpointslices', 'coordination.k8s.io/v1/leases',
    'rbac.authorization.k8s.io/v1/roles', 'rbac.authorization.k8s.io/v1/clusterroles',
    'rbac.authorization.k8s.io/v1/rolebindings', 'rbac.authorization.k8s.io/v1/clusterrolebindings',
    'apiextensions.k8s.io/v1/customresourcedefinitions',
    'admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
    'admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    'autoscaling/v2/horizontalpodautoscalers', 'autoscaling/v1/horizontalpodautoscalers',
    'policy/v1/poddisruptionbudgets', 'events.k8s.io/v1/events', 'scheduling.k8s.io/v1/priorityclasses',
    'storage.k8s.io/v1/storageclasses', 'authorization.k8s.io/v1/selfsubjectaccessreviews',
    'authorization.k8s.io/v1/subjectaccessreviews', 'authentication.k8s.io/v1/tokenreviews',
    'authentication.k8s.io/v1/selfsubjectreviews',
  ];
  for (const w of want) {
    const parts = w.split('/');
    const [group, version, plural] = parts.length === 2 ? ['', parts[0], parts[1]] : parts;
    assert.ok(findBuiltin(group, version, plural), w);
  }
  for (const r of ['selfsubjectaccessreviews', 'subjectaccessreviews']) {
    assert.deepEqual(findBuiltin('authorization.k8s.io', 'v1', r)?.verbs, ['create']);
  }
  assert.deepEqual(findBuiltin('authentication.k8s.io', 'v1', 'tokenreviews')?.verbs, ['create']);
  assert.equal(findBuiltin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')?.subresources?.status, true);
  assert.deepEqual(findBuiltin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')?.shortNames, ['crd', 'crds']);
  assert.equal(findBuiltin('policy', 'v1', 'poddisruptionbudgets')?.subresources?.status, true);
  assert.equal(findBuiltin('autoscaling', 'v1', 'horizontalpodautoscalers')?.subresources?.status, true);
});

test('registry is consistent', () => {
  const seen = new Set<string>();
  for (const r of builtinResources) {
    const key = `${r.group}/${r.version}/${r.plural}`;
    assert.ok(!seen.has(key), `duplicate ${key}`);
    seen.add(key);
    assert.equal(r.listKind, `${r.kind}List`);
    assert.equal(r.singular, r.kind.toLowerCase());
    assert.match(r.plural, /^[a-z]+$/);
    assert.ok(r.verbs.length > 0);
    if (r.subresources?.status) assert.ok(r.verbs.includes('get'), key);
  }
  // short names are unique across the preferred versions (as kubectl resolves them)
  const shorts = new Map<string, string>();
  for (const r of builtinResources) {
    if (r.group === 'autoscaling' && r.version !== 'v2') continue;
    for (const s of r.shortNames ?? []) {
      if (s === 'ev') continue; // core and events.k8s.io both use "ev", like Kubernetes
      assert.ok(!shorts.has(s), `short name ${s} used twice`);
      shorts.set(s, r.plural);
    }
  }
});

test('preferred versions and group-versions', () => {
  assert.equal(preferredVersions.autoscaling, 'v2');
  assert.equal(preferredVersion('autoscaling'), 'v2');
  assert.equal(preferredVersion('apps'), 'v1');
  assert.equal(preferredVersion(''), 'v1');
  const gvs = builtinGroupVersions();
  assert.equal(gvs[0], 'v1');
  assert.ok(gvs.includes('apps/v1'));
  assert.ok(gvs.indexOf('autoscaling/v2') < gvs.indexOf('autoscaling/v1'));
  assert.equal(new Set(gvs).size, gvs.length);
  assert.deepEqual(
    builtinResourcesFor('batch', 'v1').map((r) => r.plural),
    ['cronjobs', 'jobs'],
  );
  assert.equal(findBuiltinByKind('apps', 'v1', 'StatefulSet')?.plural, 'statefulsets');
});

test('subresource discovery entries', () => {
  const pods = findBuiltin('', 'v1', 'pods')!;
  const subs = builtinSubresources(pods);
  const byName = Object.fromEntries(subs.map((s) => [s.name, s]));
  assert.deepEqual(byName.status, { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] });
  assert.deepEqual(byName.eviction, { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
  assert.deepEqual(byName.log.verbs, ['get']);
  const deploy = builtinSubresources(findBuiltin('apps', 'v1', 'deployments')!);
  assert.deepEqual(
    deploy.find((s) => s.name === 'scale'),
    { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
  );
  const token = builtinSubresources(findBuiltin('', 'v1', 'serviceaccounts')!);
  assert.equal(token[0].kind, 'TokenRequest');
  assert.equal(token[0].group, 'authentication.k8s.io');
});

test('compareKubeVersions orders like discovery', () => {
  const vs = ['v1alpha1', 'v1', 'v1beta2', 'v2', 'v1beta1', 'v2beta1', 'foo'];
  assert.deepEqual([...vs].sort(compareKubeVersions), ['v2', 'v1', 'v2beta1', 'v1beta2', 'v1beta1', 'v1alpha1', 'foo']);
});
