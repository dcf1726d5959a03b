import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '@flotilla/apimachinery';
import { strategicMergePatch, PatchError } from './index.js';
import { deploymentSchema, nginxDeployment, podSchema } from './fixtures.js';

const smp = (o: unknown, p: unknown, s = deploymentSchema) => strategicMergePatch(o as KubeObject, p, s) as any;

function pod(containers: unknown[], extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers, ...extra } };
}

/** No key anywhere in the result may be a patch directive. */
function assertNoDirectives(v: unknown): void {
  if (Array.isArray(v)) return v.forEach(assertNoDirectives);
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      assert.ok(!k.startsWith('$patch') && !k.startsWith('$retainKeys') && !k.startsWith('$setElementOrder') && !k.startsWith('$deleteFromPrimitiveList'), `directive ${k} left in output`);
      assertNoDirectives(x);
    }
  }
}

test('maps merge recursively and null deletes', () => {
  const out = smp(nginxDeployment(), { metadata: { labels: { tier: 'web', app: null } }, spec: { replicas: 5 } });
  assert.deepEqual(out.metadata.labels, { tier: 'web' });
  assert.equal(out.spec.replicas, 5);
  assert.equal(out.spec.template.spec.containers[0].image, 'nginx:1.14.2');
});

test('containers merge by name: update in place and append new ones (the documented log-tailer example)', () => {
  const original = pod([{ name: 'nginx', image: 'nginx-1.0' }]);
  const out = smp(original, { spec: { containers: [{ name: 'log-tailer', image: 'log-tailer-1.0' }] } }, podSchema);
  assert.deepEqual(out.spec.containers, [
    { name: 'nginx', image: 'nginx-1.0' },
    { name: 'log-tailer', image: 'log-tailer-1.0' },
  ]);
  const out2 = smp(out, { spec: { containers: [{ name: 'nginx', image: 'nginx-1.1' }] } }, podSchema);
  assert.deepEqual(out2.spec.containers[0], { name: 'nginx', image: 'nginx-1.1' });
  assert.equal(out2.spec.containers.length, 2);
});

test('nested merge lists: env by name, ports by containerPort, volumeMounts by mountPath', () => {
  const original = pod([
    {
      name: 'app',
      image: 'app:1',
      env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
      ports: [{ containerPort: 80, name: 'http' }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
    },
  ]);
  const out = smp(
    original,
    {
      spec: {
        containers: [
          {
            name: 'app',
            env: [{ name: 'B', value: '20' }, { name: 'C', value: '3' }],
            ports: [{ containerPort: 80, name: 'web' }, { containerPort: 443 }],
            volumeMounts: [{ mountPath: '/data', readOnly: true }],
          },
        ],
      },
    },
    podSchema,
  );
  const c = out.spec.containers[0];
  assert.deepEqual(c.env, [{ name: 'A', value: '1' }, { name: 'B', value: '20' }, { name: 'C', value: '3' }]);
  assert.deepEqual(c.ports, [{ containerPort: 80, name: 'web' }, { containerPort: 443 }]);
  assert.deepEqual(c.volumeMounts, [{ name: 'data', mountPath: '/data', readOnly: true }]);
  assert.equal(c.image, 'app:1');
});

test('lists without merge strategy are replaced (args, tolerations)', () => {
  const original = pod([{ name: 'a', args: ['x', 'y'] }], { tolerations: [{ key: 'k1' }] });
  const out = smp(original, { spec: { containers: [{ name: 'a', args: ['z'] }], tolerations: [{ key: 'k2' }] } }, podSchema);
  assert.deepEqual(out.spec.containers[0].args, ['z']);
  assert.deepEqual(out.spec.tolerations, [{ key: 'k2' }]);
});

test('without a schema lists are replaced (JSON merge semantics)', () => {
  const original = { apiVersion: 'example.com/v1', kind: 'Foo', spec: { items: [{ name: 'a' }], m: { x: 1 } } };
  const out = smp(original, { spec: { items: [{ name: 'b' }], m: { y: 2 } } }, undefined as any);
  assert.deepEqual(out.spec, { items: [{ name: 'b' }], m: { x: 1, y: 2 } });
});

test('finalizers are a merge list of primitives: union without duplicates', () => {
  const original = { metadata: { name: 'x', finalizers: ['a', 'b'] } };
  const out = smp(original, { metadata: { finalizers: ['b', 'c'] } });
  assert.deepEqual(out.metadata.finalizers, ['a', 'b', 'c']);
});

test('$deleteFromPrimitiveList removes values (documented finalizers example)', () => {
  const original = { metadata: { name: 'x', finalizers: ['a', 'b', 'c'] } };
  const out = smp(original, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'c'] } });
  assert.deepEqual(out.metadata, { name: 'x', finalizers: ['a'] });
  assertNoDirectives(out);
});

test('$patch: delete on a list element removes every element with that merge key', () => {
  const original = pod([{ name: 'nginx', image: 'n' }, { name: 'log-tailer', image: 'l' }]);
  const out = smp(original, { spec: { containers: [{ name: 'nginx', image: 'nginx-1.0' }, { $patch: 'delete', name: 'log-tailer' }] } }, podSchema);
  assert.deepEqual(out.spec.containers, [{ name: 'nginx', image: 'nginx-1.0' }]);
  assertNoDirectives(out);
});

test('$patch: replace as a list element replaces the whole list', () => {
  const original = pod([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }]);
  const out = smp(original, { spec: { containers: [{ name: 'nginx', image: 'nginx-1.0' }, { $patch: 'replace' }] } }, podSchema);
  assert.deepEqual(out.spec.containers, [{ name: 'nginx', image: 'nginx-1.0' }]);
  assertNoDirectives(out);
});

test('$patch: replace on a map takes the map literally', () => {
  const original = nginxDeployment();
  const out = smp(original, { spec: { template: { metadata: { labels: { $patch: 'replace', app: 'web', v: '2' } } } } });
  assert.deepEqual(out.spec.template.metadata.labels, { app: 'web', v: '2' });
  const out2 = smp(original, { metadata: { $patch: 'replace', name: 'nginx' } });
  assert.deepEqual(out2.metadata, { name: 'nginx' });
  assertNoDirectives(out2);
});

test('$patch: delete on a map deletes it, as does null', () => {
  const original = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } } } };
  assert.deepEqual(smp(original, { spec: { strategy: { rollingUpdate: { $patch: 'delete' } } } }).spec.strategy, { type: 'RollingUpdate' });
  assert.deepEqual(smp(original, { spec: { strategy: { rollingUpdate: null } } }).spec.strategy, { type: 'RollingUpdate' });
});

test('$patch: merge is the default and is stripped', () => {
  const out = smp(nginxDeployment(), { spec: { $patch: 'merge', replicas: 1 } });
  assert.equal(out.spec.replicas, 1);
  assert.ok(out.spec.selector);
  assertNoDirectives(out);
});

test('$retainKeys clears fields not listed (Deployment strategy switch as kubectl sends it)', () => {
  const original = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } } };
  const out = smp(original, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } });
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  const out2 = smp(original, { spec: { strategy: { $retainKeys: ['type', 'rollingUpdate'], rollingUpdate: { maxSurge: '1' } } } });
  assert.deepEqual(out2.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1', maxUnavailable: '25%' } });
  assertNoDirectives(out2);
});

test('$retainKeys on volumes union members (documented union example)', () => {
  const original = pod([], { volumes: [{ name: 'v', emptyDir: {} }] });
  const out = smp(original, { spec: { volumes: [{ name: 'v', $retainKeys: ['name', 'configMap'], configMap: { name: 'cm' } }] } }, podSchema);
  assert.deepEqual(out.spec.volumes, [{ name: 'v', configMap: { name: 'cm' } }]);
});

test('$setElementOrder reorders merge lists as kubectl client-side apply sends it', () => {
  const original = pod([
    { name: 'a', image: 'a' },
    { name: 'b', image: 'b' },
    { name: 'c', image: 'c' },
  ]);
  // kubectl apply: local config now lists c, a, b (b updated, d added), and lists every element.
  const patch = {
    spec: {
      '$setElementOrder/containers': [{ name: 'c' }, { name: 'd' }, { name: 'a' }, { name: 'b' }],
      containers: [{ name: 'd', image: 'd' }, { name: 'b', image: 'b2' }],
    },
  };
  const out = smp(original, patch, podSchema);
  assert.deepEqual(out.spec.containers.map((c: { name: string }) => c.name), ['c', 'd', 'a', 'b']);
  assert.equal(out.spec.containers[3].image, 'b2');
  assertNoDirectives(out);
});

test('$setElementOrder: elements not mentioned keep their relative order after the ordered ones', () => {
  const original = pod([], {});
  original.spec = { containers: [{ name: 'sidecar1' }, { name: 'a' }, { name: 'sidecar2' }, { name: 'b' }] };
  const out = smp(original, { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } }, podSchema);
  assert.deepEqual(out.spec.containers.map((c: { name: string }) => c.name), ['b', 'a', 'sidecar1', 'sidecar2']);
});

test('$setElementOrder on primitive merge lists and nested lists (env)', () => {
  const original = { metadata: { name: 'x', finalizers: ['a', 'b', 'c'] } };
  const out = smp(original, { metadata: { '$setElementOrder/finalizers': ['b', 'c', 'a'] } });
  assert.deepEqual(out.metadata.finalizers, ['b', 'c', 'a']);

  const p = pod([{ name: 'app', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }]);
  const out2 = smp(
    p,
    {
      spec: {
        '$setElementOrder/containers': [{ name: 'app' }],
        containers: [{ name: 'app', '$setElementOrder/env': [{ name: 'Z' }, { name: 'Y' }, { name: 'X' }], env: [{ name: 'Z', value: '0' }] }],
      },
    },
    podSchema,
  );
  assert.deepEqual(out2.spec.containers[0].env.map((e: { name: string }) => e.name), ['Z', 'Y', 'X']);
  assertNoDirectives(out2);
});

test('combined: delete + reorder in one list, reorder in another', () => {
  const original = pod(
    [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    { initContainers: [{ name: 'i1' }, { name: 'i2' }] },
  );
  const out = smp(
    original,
    {
      spec: {
        '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }],
        containers: [{ name: 'b', $patch: 'delete' }],
        '$setElementOrder/initContainers': [{ name: 'i2' }, { name: 'i1' }],
      },
    },
    podSchema,
  );
  assert.deepEqual(out.spec.containers, [{ name: 'c' }, { name: 'a' }]);
  assert.deepEqual(out.spec.initContainers, [{ name: 'i2' }, { name: 'i1' }]);
});

test('list-type map with list-map-keys is merged by the first key', () => {
  const original = pod([], { topologySpreadConstraints: [{ topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 1 }] });
  const out = smp(original, { spec: { topologySpreadConstraints: [{ topologyKey: 'zone', maxSkew: 2 }, { topologyKey: 'host', maxSkew: 1 }] } }, podSchema);
  assert.deepEqual(out.spec.topologySpreadConstraints, [
    { topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 2 },
    { topologyKey: 'host', maxSkew: 1 },
  ]);
});

test('new merge-list elements and new maps have their directives interpreted and removed', () => {
  const original = pod([]);
  delete (original.spec as any).containers;
  const out = smp(
    original,
    { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'gone', $patch: 'delete' }] }], nodeSelector: { $patch: 'replace', disk: 'ssd' } } },
    podSchema,
  );
  assert.deepEqual(out.spec, { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }], nodeSelector: { disk: 'ssd' } });
  assertNoDirectives(out);
});

test('malformed patches throw PatchError', () => {
  const original = pod([{ name: 'a' }]);
  assert.throws(() => smp(original, [1, 2], podSchema), (e: unknown) => e instanceof PatchError && e.code === 400);
  assert.throws(() => smp(original, 'x', podSchema), PatchError);
  assert.throws(() => smp(original, null, podSchema), PatchError);
  assert.throws(() => smp(original, { spec: { $patch: 'frobnicate' } }, podSchema), /unknown \$patch directive "frobnicate"/);
  assert.throws(() => smp(original, { spec: { containers: [{ image: 'x' }] } }, podSchema), /merge key "name"/);
  assert.throws(() => smp(original, { spec: { containers: ['x'] } }, podSchema), PatchError);
  assert.throws(() => smp(original, { spec: { containers: [{ name: 'a', $patch: 'bogus' }] } }, podSchema), PatchError);
  assert.throws(() => smp(original, { spec: { $retainKeys: 'x' } }, podSchema), PatchError);
  assert.throws(() => smp(original, { spec: { $retainKeys: ['containers'], restartPolicy: 'Never' } }, podSchema), /retainKeys/);
  assert.throws(() => smp(original, { spec: { '$setElementOrder/containers': 'x' } }, podSchema), PatchError);
  assert.throws(() => smp(original, { spec: { '$setElementOrder/containers': ['a'] } }, podSchema), PatchError);
  assert.throws(() => smp(original, { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } }, podSchema), PatchError);
});

test('strategic merge patch does not mutate its inputs', () => {
  const original = nginxDeployment();
  const patch = { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:2' }, { name: 'new', env: [{ name: 'A' }] }] } } } };
  const so = structuredClone(original);
  const sp = structuredClone(patch);
  const out = smp(original, patch);
  assert.deepEqual(original, so);
  assert.deepEqual(patch, sp);
  out.spec.template.spec.containers[1].env[0].name = 'changed';
  out.spec.template.spec.containers[0].ports[0].containerPort = 1;
  assert.deepEqual(original, so);
  assert.deepEqual(patch, sp);
});

test('a kubectl patch of a Deployment image and replicas', () => {
  const out = smp(nginxDeployment(), {
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.16.1' }] } } },
  });
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'nginx', image: 'nginx:1.16.1', ports: [{ containerPort: 80 }] }]);
  assert.equal(out.spec.replicas, 1);
  assert.equal(out.metadata.name, 'nginx');
});

test('atomic selector map still merges under strategic merge patch (patch strategy governs SMP)', () => {
  const out = smp(nginxDeployment(), { spec: { selector: { matchLabels: { tier: 'x' } } } });
  assert.deepEqual(out.spec.selector, { matchLabels: { app: 'nginx', tier: 'x' } });
});
