import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlArgs, prepareManifest } from './resource.js';
import { transform } from './data.js';

describe('resource templates', () => {
  it('sets the workflow as owner', () => {
    const o = prepareManifest('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n', { name: 'wf', uid: 'u' });
    assert.deepEqual(o.metadata.ownerReferences, [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'wf', uid: 'u', blockOwnerDeletion: true, controller: false }]);
    assert.equal(prepareManifest('kind: ConfigMap\nmetadata: {name: c}\n').metadata.ownerReferences, undefined);
    assert.throws(() => prepareManifest('a: 1\n---\nb: 2\n'), /one object \(found 2\)/);
  });
  it('runs kubectl as upstream does', () => {
    assert.deepEqual(kubectlArgs('create', 'f.json', { namespace: 'ns' }), ['create', '-f', 'f.json', '-n', 'ns', '-o', 'json']);
    assert.deepEqual(kubectlArgs('delete', 'f.json', { namespace: 'ns', flags: ['--wait=false'] }), ['delete', '-f', 'f.json', '-n', 'ns', '--ignore-not-found', '--wait=false']);
    assert.deepEqual(kubectlArgs('patch', 'f.json', { namespace: 'ns', mergeStrategy: 'json', patch: '[]' }), ['patch', '-f', 'f.json', '-n', 'ns', '--type', 'json', '-p', '[]', '-o', 'json']);
    assert.deepEqual(kubectlArgs('patch', 'f.json', { namespace: 'ns', patch: '{}' }).slice(5, 7), ['--type', 'strategic']);
    assert.throws(() => kubectlArgs('explode', 'f', { namespace: 'n' }), /unknown resource action "explode"/);
  });
});

describe('data templates', () => {
  it('applies expression transformations to the listed paths', () => {
    const paths = ['a/main.log', 'b/other.txt', 'c/main.log'];
    assert.deepEqual(transform(paths, [{ expression: 'filter(data, {# endsWith "main.log"})' }]), ['a/main.log', 'c/main.log']);
    assert.deepEqual(transform(paths, [{ expression: 'filter(data, {# endsWith "main.log"})' }, { expression: 'map(data, {# + ".gz"})' }]), ['a/main.log.gz', 'c/main.log.gz']);
    assert.throws(() => transform(paths, [{}]), /only expression steps/);
  });
});
