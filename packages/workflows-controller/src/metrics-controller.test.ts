// The controller's own metrics that upstream's e2e TestMetricsEndpoint asserts: API requests by kind/verb/status code
// (fed by a real KubeClient's request observer), log lines by level, busy workers, workflow conditions, passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { enableMetrics, KubeClient, LEASES, R } from '@flotilla/kube-runtime';
import { requestInfo, workflowMetrics } from './metrics.js';
import { WORKFLOW_TEMPLATES } from './resources.js';

test('requestInfo: resource plural and verb from the path and method', () => {
  const cases: [string, string, boolean, string, string][] = [
    ['GET', '/apis/coordination.k8s.io/v1/namespaces/argo/leases/workflow-controller', false, 'leases', 'Get'],
    ['GET', '/apis/argoproj.io/v1alpha1/workflowtemplates', false, 'workflowtemplates', 'List'],
    ['GET', '/apis/argoproj.io/v1alpha1/namespaces/argo/workflowtemplates', true, 'workflowtemplates', 'Watch'],
    ['POST', '/api/v1/namespaces/argo/pods', false, 'pods', 'Create'],
    ['PUT', '/apis/argoproj.io/v1alpha1/namespaces/argo/workflows/w1', false, 'workflows', 'Update'],
    ['PATCH', '/api/v1/namespaces/argo/pods/p1/status', false, 'pods', 'Patch'],
    ['DELETE', '/api/v1/namespaces/argo/pods/p1', false, 'pods', 'Delete'],
    ['DELETE', '/api/v1/namespaces/argo/pods', false, 'pods', 'DeleteCollection'],
    ['GET', '/api/v1/namespaces', false, 'namespaces', 'List'],
    ['GET', '/api/v1/namespaces/argo', false, 'namespaces', 'Get'],
    ['GET', '/api/v1/namespaces/argo/pods/p1/log', false, 'pods', 'Get'],
  ];
  for (const [m, p, w, kind, verb] of cases) assert.deepEqual(requestInfo(m, p, w), { kind, verb }, `${m} ${p}`);
});

test("the controller's metrics: k8s_request_total from a client's requests, log_messages at 0 and counted, workers_busy_count, workflow_condition, workflows_processed_count", async () => {
  const srv = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    if (u.pathname.includes('/leases/') && req.method === 'GET') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'leases "workflow-controller" not found', code: 404 }));
      return;
    }
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
    res.end(u.searchParams.get('watch') === 'true' ? '' : JSON.stringify({ metadata: { name: 'x', resourceVersion: '1' }, items: [] }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const m = workflowMetrics(true);
  const client = new KubeClient({ url: `http://127.0.0.1:${(srv.address() as { port: number }).port}` }, { qps: 0, onRequest: m.request });
  try {
    const text = () => enableMetrics().metrics();
    // before anything is logged, all three levels are there at 0
    let t = await text();
    for (const level of ['info', 'warning', 'error']) assert.match(t, new RegExp(`argo_workflows_log_messages\\{level="${level}"\\} 0\\n`));
    // a derived client (as leader election's) counts too
    const lease = client.derive({ qps: 0 });
    await assert.rejects(lease.get(LEASES, 'argo', 'workflow-controller'), /not found/);
    lease.close();
    await client.list(WORKFLOW_TEMPLATES, 'argo');
    await client.list(WORKFLOW_TEMPLATES, 'argo');
    await client.watch('/apis/argoproj.io/v1alpha1/namespaces/argo/workflowtemplates', { resourceVersion: '1' }, () => {}, new AbortController().signal);
    await client.create(R.pods, 'argo', { metadata: { name: 'p' } });
    m.logged('info');
    m.logged('info');
    m.logged('error');
    m.operation(0.01);
    m.operation(0.02);
    m.collect(() => ({ workflows: { Running: 2 }, pods: {}, queueDepth: { workflow_queue: 0 }, busy: { workflow_queue: 3 }, conditions: { 'PodRunning=True': 1, 'PodRunning=False': 1, 'Completed=True': 4 } }));
    t = await text();
    // upstream's TestMetricsEndpoint (both versions) asserts these substrings
    for (const s of [
      'HELP argo_workflows_count',
      'HELP argo_workflows_gauge',
      'HELP argo_workflows_k8s_request_total',
      'argo_workflows_k8s_request_total{kind="leases",status_code="404",verb="Get"} 1\n',
      'argo_workflows_k8s_request_total{kind="workflowtemplates",status_code="200",verb="List"} 2\n',
      'argo_workflows_k8s_request_total{kind="workflowtemplates",status_code="200",verb="Watch"} 1\n',
      'argo_workflows_k8s_request_total{kind="pods",status_code="201",verb="Create"} 1\n',
      'HELP argo_workflows_pods_count',
      'HELP argo_workflows_pods_gauge',
      'HELP argo_workflows_workers_busy',
      'argo_workflows_workers_busy_count{worker_type="workflow_queue"} 3\n',
      'HELP argo_workflows_workflow_condition',
      'argo_workflows_workflow_condition{type="PodRunning",status="True"} 1\n',
      'argo_workflows_workflow_condition{type="Completed",status="True"} 4\n',
      'HELP argo_workflows_workflows_processed_count',
      'log_messages{level="info"} 2\n',
      'log_messages{level="warning"} 0\n',
      'log_messages{level="error"} 1\n',
    ])
      assert.ok(t.includes(s), `missing ${JSON.stringify(s)}`);
    assert.match(t, /argo_workflows_workflows_processed_count (\d+)\n/);
    assert.ok(Number(/argo_workflows_workflows_processed_count (\d+)\n/.exec(t)![1]) >= 2);
  } finally {
    client.close();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
