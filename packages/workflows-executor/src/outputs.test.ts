import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { captureResult, collectParameters, parseProgress, taskResult, trimNewline } from './outputs.js';
import { parseEnv, mainContainers } from './env.js';

describe('output parameters', () => {
  const files: Record<string, string> = { a: '42\n', b: 'two\nlines\n\n', r: 'from-resource' };
  const read = (n: string) => files[n];
  const table: { name: string; params: any[]; values: string[]; errors: RegExp[] }[] = [
    { name: 'a file, one trailing newline trimmed', params: [{ name: 'a', valueFrom: { path: '/tmp/a' } }], values: ['a=42'], errors: [] },
    { name: 'only one newline trimmed', params: [{ name: 'b', valueFrom: { path: '/tmp/b' } }], values: ['b=two\nlines\n'], errors: [] },
    { name: 'missing file with default', params: [{ name: 'x', valueFrom: { path: '/nope', default: 'd' } }], values: ['x=d'], errors: [] },
    { name: 'missing file, no default', params: [{ name: 'x', valueFrom: { path: '/nope' } }], values: [], errors: [/output parameter x: open \/nope: no such file/] },
    { name: 'controller-side parameters pass by', params: [{ name: 'e', valueFrom: { expression: '1' } }, { name: 's', valueFrom: { supplied: {} } }], values: [], errors: [] },
    { name: 'a value a resource template recorded', params: [{ name: 'r', valueFrom: { jsonPath: '{.x}' } }], values: ['r=from-resource'], errors: [] },
  ];
  for (const t of table)
    it(t.name, () => {
      const r = collectParameters(t.params, read);
      assert.deepEqual(r.parameters.map((p) => `${p.name}=${p.value}`), t.values);
      assert.equal(r.errors.length, t.errors.length, r.errors.join('; '));
      t.errors.forEach((re, i) => assert.match(r.errors[i], re));
    });
  it('keeps the parameter fields (globalName…)', () => {
    assert.deepEqual(collectParameters([{ name: 'a', globalName: 'g', valueFrom: { path: '/a' } }], read).parameters, [{ name: 'a', globalName: 'g', valueFrom: { path: '/a' }, value: '42' }]);
  });
});

describe('result and task result', () => {
  it('caps the result at its last bytes', () => {
    assert.deepEqual(captureResult(Buffer.from('hello\n')), { result: 'hello', truncated: false });
    assert.deepEqual(captureResult(Buffer.from('abcdefgh\n'), 4), { result: 'fgh', truncated: true });
    assert.equal(captureResult(Buffer.alloc(300 * 1024, 'x')).result.length, 256 * 1024);
    assert.equal(trimNewline('a\r\n'), 'a');
  });
  it('builds the WorkflowTaskResult as upstream names it', () => {
    const o = taskResult({ nodeId: 'wf-123', namespace: 'argo', workflowName: 'wf', workflowUID: 'u1', outputs: { result: 'r', exitCode: '0', parameters: [] }, completed: true, progress: '1/2' });
    assert.deepEqual(o, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'WorkflowTaskResult',
      metadata: {
        name: 'wf-123',
        namespace: 'argo',
        labels: { 'workflows.argoproj.io/workflow': 'wf', 'workflows.argoproj.io/report-outputs-completed': 'true' },
        ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: 'wf', uid: 'u1' }],
      },
      outputs: { result: 'r', exitCode: '0' },
      progress: '1/2',
    });
  });
  it('parses progress N/M', () => {
    assert.equal(parseProgress('3/4\n'), '3/4');
    assert.equal(parseProgress(' 03 / 10 '), '3/10');
    for (const bad of [undefined, '', '3', '3/0', 'a/b', '50%']) assert.equal(parseProgress(bad), undefined, String(bad));
  });
});

describe('executor environment', () => {
  it('parses the contract variables', () => {
    const e = parseEnv(
      {
        ARGO_POD_NAME: 'p', ARGO_POD_UID: 'uid', ARGO_NODE_ID: 'n', ARGO_WORKFLOW_NAME: 'wf', ARGO_WORKFLOW_UID: 'wu', ARGO_CONTAINER_NAME: 'wait',
        ARGO_TEMPLATE: '{"name":"t","container":{"image":"busybox"}}', ARGO_INCLUDE_SCRIPT_OUTPUT: 'true', ARGO_DEADLINE: '2030-01-01T00:00:00Z',
        ARGO_ARTIFACT_REPOSITORY: '{"s3":{"bucket":"b"}}',
      },
      () => 'argo',
    );
    assert.equal(e.namespace, 'argo');
    assert.equal(e.template.name, 't');
    assert.equal(e.includeScriptOutput, true);
    assert.equal(e.deadline, Date.parse('2030-01-01T00:00:00Z'));
    assert.equal(e.artifactRepository?.s3?.bucket, 'b');
    assert.equal(e.progressFile, '/var/run/argo/progress');
    assert.equal(parseEnv({ ARGO_DEADLINE: '0001-01-01T00:00:00Z' }, () => '').deadline, undefined);
  });
  it('names the malformed variable', () => {
    assert.throws(() => parseEnv({ ARGO_TEMPLATE: '{' }, () => ''), /ARGO_TEMPLATE is not valid JSON/);
    assert.throws(() => parseEnv({ ARGO_DEADLINE: 'tomorrow' }, () => ''), /ARGO_DEADLINE is not an RFC 3339 time/);
  });
  it('waits for main, or every container of a containerSet', () => {
    assert.deepEqual(mainContainers({ container: { image: 'x' } }), ['main']);
    assert.deepEqual(mainContainers({ containerSet: { containers: [{ name: 'a' }, { name: 'main' }] } }), ['a', 'main']);
  });
});

describe('the launcher', () => {
  it('execs this node and argoexec, quoting the paths', async () => {
    const { launcherScript } = await import('./init.js');
    assert.equal(launcherScript('/usr/bin/node', "/x/it's/main.js"), `#!/bin/sh\n# written by \`argoexec init\`: runs Flotilla's argoexec (this installation's node and flotilla)\nexec '/usr/bin/node' '/x/it'\\''s/main.js' argoexec "$@"\n`);
    assert.match(launcherScript('/n', '/m.js', '/p/bin.js'), /\nexec '\/n' '\/p\/bin\.js' "\$@"\n$/);
  });
});
