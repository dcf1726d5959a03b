/**
 * The suspend-node rules of the workflow API against a real API server (upstream's CLISuite TestNodeSuspendResume and
 * TestArgoSetOutputs through argo-server): stop with a node selector fails only that node, set refuses what upstream
 * refuses, resume needs the supplied outputs and says who resumed (a ServiceAccount token in client mode); errors of
 * the Kubernetes API carry only the API server's message.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, type Env } from './testenv.js';
import { AR } from './resources.js';

let env: Env;
const ns = 'argo';

before(async () => {
  env = await startEnv();
}, { timeout: 120_000 });

after(async () => {
  await env?.close();
});

/** A workflow as the controller leaves it while two suspend steps wait. */
async function suspended(name: string): Promise<void> {
  const r = await env.call('POST', `/api/v1/workflows/${ns}`, { body: { workflow: { metadata: { name }, spec: { entrypoint: 'main', templates: [
    { name: 'main', steps: [[{ name: 'approve', template: 'approve' }, { name: 'approve-no-vars', template: 'approve-no-vars' }]] },
    { name: 'approve', suspend: {}, outputs: { parameters: [{ name: 'message', valueFrom: { supplied: {} } }] } },
    { name: 'approve-no-vars', suspend: {} },
  ] } } } });
  assert.equal(r.status, 200, r.text);
  const wf = await env.client.get<any>(AR.workflows, ns, name);
  wf.status = { phase: 'Running', nodes: {
    [name]: { id: name, name, displayName: name, type: 'Steps', phase: 'Running', templateName: 'main', children: [`${name}-1`] },
    [`${name}-1`]: { id: `${name}-1`, name: `${name}[0]`, displayName: '[0]', type: 'StepGroup', phase: 'Running', boundaryID: name, children: [`${name}-2`, `${name}-3`] },
    [`${name}-2`]: { id: `${name}-2`, name: `${name}[0].approve`, displayName: 'approve', type: 'Suspend', phase: 'Running', boundaryID: name, templateName: 'approve' },
    [`${name}-3`]: { id: `${name}-3`, name: `${name}[0].approve-no-vars`, displayName: 'approve-no-vars', type: 'Suspend', phase: 'Running', boundaryID: name, templateName: 'approve-no-vars' },
  } };
  await env.client.update(AR.workflows, wf);
}

test('stop with nodeFieldSelector fails only the selected suspend node (with the message); the workflow is not shut down', async () => {
  await suspended('stop1');
  const r = await env.call('PUT', `/api/v1/workflows/${ns}/stop1/stop`, { body: { nodeFieldSelector: 'displayName=approve', message: 'because' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.spec.shutdown, undefined);
  const wf = await env.client.get<any>(AR.workflows, ns, 'stop1');
  assert.equal(wf.status.nodes['stop1-2'].phase, 'Failed');
  assert.equal(wf.status.nodes['stop1-2'].message, 'because');
  assert.equal(wf.status.nodes['stop1-3'].phase, 'Running');
  const none = await env.call('PUT', `/api/v1/workflows/${ns}/stop1/stop`, { body: { nodeFieldSelector: 'displayName=approve' } });
  assert.equal(none.status, 404, 'the node is not running any more');
  const all = await env.call('PUT', `/api/v1/workflows/${ns}/stop1/stop`, { body: {} });
  assert.equal(all.body.spec.shutdown, 'Stop', 'without a selector the workflow stops');
});

test('set: an output once, none on a node expecting none; resume: refused while unset, then the node says who resumed it', async () => {
  await suspended('set1');
  const path = `/api/v1/workflows/${ns}/set1`;
  const early = await env.call('PUT', `${path}/resume`, { body: {} });
  assert.equal(early.status, 400, early.text);
  assert.equal(early.body.message, "output parameter 'message' of node approve has not been set and does not have a default value");
  const set = await env.call('PUT', `${path}/set`, { body: { nodeFieldSelector: 'displayName=approve', outputParameters: JSON.stringify({ message: 'Hello, World!' }) } });
  assert.equal(set.status, 200, set.text);
  const again = await env.call('PUT', `${path}/set`, { body: { nodeFieldSelector: 'displayName=approve', outputParameters: JSON.stringify({ message: 'Hello, World!' }) } });
  assert.equal(again.status, 400);
  assert.equal(again.body.message, "cannot set output parameter 'message' because it was already set");
  const noVars = await env.call('PUT', `${path}/set`, { body: { nodeFieldSelector: 'displayName=approve-no-vars', outputParameters: JSON.stringify({ message: 'x' }) } });
  assert.equal(noVars.status, 400);
  assert.equal(noVars.body.message, 'cannot set output parameters because node is not expecting any raw parameters');
  assert.equal((await env.call('PUT', `${path}/set`, { body: { nodeFieldSelector: 'displayName=approve', message: 'Test message' } })).status, 200);
  // a caller with a ServiceAccount token (auth mode client): its subject is who resumed
  await env.cluster.k(['create', 'serviceaccount', 'approver', '-n', ns]);
  await env.cluster.k(['create', 'role', 'wf-approver', '-n', ns, '--verb=get,list,update', '--resource=workflows.argoproj.io']);
  await env.cluster.k(['create', 'rolebinding', 'approver', '-n', ns, '--role=wf-approver', `--serviceaccount=${ns}:approver`]);
  const token = (await env.cluster.k(['create', 'token', 'approver', '-n', ns])).trim();
  const res = await env.call('PUT', `${path}/resume`, { token, body: { nodeFieldSelector: 'displayName=approve' } });
  assert.equal(res.status, 200, res.text);
  const n = res.body.status.nodes['set1-2'];
  assert.equal(n.phase, 'Succeeded');
  assert.equal(n.message, 'Test message; Resumed by: map[User:system:serviceaccount:argo:approver]');
  assert.equal(res.body.status.nodes['set1-3'].phase, 'Running', 'the selector picked one node');
  // server mode (no token): nobody known, no suffix
  const rest = await env.call('PUT', `${path}/resume`, { body: {} });
  assert.equal(rest.status, 200, rest.text);
  assert.equal(rest.body.status.nodes['set1-3'].phase, 'Succeeded');
  assert.equal(rest.body.status.nodes['set1-3'].message, undefined);
});

test("a Kubernetes API error answers the API server's message only (no request line), with its gRPC code", async () => {
  const r = await env.call('GET', `/api/v1/workflow-templates/${ns}/not-found`);
  assert.equal(r.status, 404, r.text);
  assert.deepEqual(r.body, { code: 5, message: 'workflowtemplates.argoproj.io "not-found" not found' });
  const wf = await env.call('GET', `/api/v1/workflows/${ns}/not-found`);
  assert.equal(wf.body.message, 'workflows.argoproj.io "not-found" not found');
});
