// A global output artifact passed on through `{{workflow.outputs.artifacts.X}}` (upstream's artifacts_test
// global-artifact-passing): each step reads the latest one, even when it was set earlier in the same pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../simulate.js';
import type { Workflow } from '../types.js';

test('global artifacts: each step gets the latest global artifact; the workflow\'s global artifact is the last one', () => {
  const add = (name: string, value: string) => ({ name, template: 'add', arguments: { artifacts: [{ name: 'input', from: '{{workflow.outputs.artifacts.globalArtifact}}' }], parameters: [{ name: 'value', value }] } });
  const wf = {
    metadata: { name: 'gap' },
    spec: {
      entrypoint: 'main',
      templates: [
        { name: 'main', steps: [[{ name: 'create', template: 'create' }], [add('add-0', '0')], [add('add-1', '1')]] },
        { name: 'create', container: { image: 'argosay' }, outputs: { artifacts: [{ name: 'artifact', globalName: 'globalArtifact', path: '/tmp/a' }] } },
        { name: 'add', inputs: { parameters: [{ name: 'value' }], artifacts: [{ name: 'input', path: '/tmp/a' }] }, container: { image: 'argosay' }, outputs: { artifacts: [{ name: 'artifact', globalName: 'globalArtifact', path: '/tmp/b' }] } },
      ],
    },
  } as unknown as Workflow;
  let n = 0;
  const r = simulate(wf, { run: () => ({ phase: 'Succeeded', outputs: { artifacts: [{ name: 'artifact', s3: { key: `k${n++}` } }] } }) });
  assert.equal(r.workflow.status!.phase, 'Succeeded', r.workflow.status!.message);
  const inputKey = (display: string) => (Object.values(r.workflow.status!.nodes!).find((x) => x.displayName === display)?.inputs?.artifacts?.[0] as any)?.s3?.key;
  assert.deepEqual([inputKey('add-0'), inputKey('add-1')], ['k0', 'k1']);
  assert.deepEqual(r.workflow.status!.outputs?.artifacts?.map((a: any) => [a.name, a.s3?.key]), [['globalArtifact', 'k2']]);
});

test("a failed node's declared global artifact is not recorded", () => {
  const wf = {
    metadata: { name: 'gf' },
    spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'x' }, outputs: { artifacts: [{ name: 'a', globalName: 'g', path: '/tmp/x' }] } }] },
  } as unknown as Workflow;
  const r = simulate(wf, { run: () => ({ phase: 'Failed', exitCode: 1 }) });
  assert.equal(r.workflow.status!.outputs?.artifacts, undefined);
});
