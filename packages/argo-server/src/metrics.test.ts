/**
 * `/metrics` on argo-server's port (upstream's TestMetricsForbidden / TestMetricsOK) and the version header
 * (TestVersion, TestUnauthorized), against a real API server: 403 without a valid credential, the metrics upstream's
 * names with one.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { call, startEnv, type Env } from './testenv.js';
import { startServer } from './server.js';
import { isStream, serviceOf } from './metrics.js';

const ns = 'argo';
let env: Env;
let token: string;

before(async () => {
  env = await startEnv({ authModes: ['server', 'client'] });
  await env.cluster.k(['create', 'serviceaccount', 'scraper', '-n', ns]);
  token = (await env.cluster.k(['create', 'token', 'scraper', '-n', ns])).trim();
}, { timeout: 120_000 });

after(async () => {
  await env?.close();
});

/** The value of the sample `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('/metrics: 403 without a credential, with a token the API server does not take, with a malformed one; 200 with a valid token (header or cookie)', async () => {
  const none = await env.call('GET', '/metrics');
  assert.equal(none.status, 403, 'no credential, although auth mode "server" runs too');
  assert.doesNotMatch(none.text, /grpc_server/);
  assert.equal((await env.call('GET', '/metrics', { token: 'test-token' })).status, 403);
  assert.equal((await env.call('GET', '/metrics', { headers: { authorization: 'Basic Z2FyYmFnZTpnYXJiYWdl' } })).status, 403);
  const ok = await env.call('GET', '/metrics', { token });
  assert.equal(ok.status, 200, ok.text);
  assert.match(String(ok.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const cookie = await call(env.base, 'GET', '/metrics', { headers: { cookie: `authorization=invalid; authorization=Bearer ${token}` } });
  assert.equal(cookie.status, 200, 'the token in the authorization cookie');
  assert.equal((await env.call('POST', '/metrics', { token })).status, 405);
});

test('/metrics: upstream\'s names — API calls as gRPC calls (started, handled by code, latency histogram), the scrapes as promhttp counts them, the process', async () => {
  assert.equal((await env.call('GET', '/api/v1/version')).status, 200);
  assert.equal((await env.call('GET', `/api/v1/workflows/${ns}/nope`)).status, 404);
  const scrape = async () => {
    const r = await env.call('GET', '/metrics', { token });
    assert.equal(r.status, 200, r.text);
    return r.text;
  };
  const text = await scrape();
  const version = { grpc_method: 'GET /api/v1/version', grpc_service: 'info.InfoService', grpc_type: 'unary' };
  assert.ok(text.includes('grpc_server_handling_seconds_bucket'), 'the latency histogram has buckets');
  assert.ok((sample(text, 'grpc_server_handling_seconds_count', version) ?? 0) >= 1, text.slice(0, 2000));
  assert.ok((sample(text, 'grpc_server_handling_seconds_bucket', { ...version, le: '+Inf' }) ?? 0) >= 1);
  assert.ok((sample(text, 'grpc_server_started_total', version) ?? 0) >= 1);
  assert.ok((sample(text, 'grpc_server_handled_total', { ...version, grpc_code: 'OK' }) ?? 0) >= 1);
  assert.ok((sample(text, 'grpc_server_handled_total', { grpc_method: 'GET /api/v1/workflows/{namespace}/{name}', grpc_service: 'workflow.WorkflowService', grpc_code: 'NotFound' }) ?? 0) >= 1, 'a failed call counted by its code');
  assert.equal(sample(text, 'promhttp_metric_handler_requests_in_flight'), 1, 'this scrape');
  assert.equal(sample(text, 'promhttp_metric_handler_requests_total', { code: '500' }), 0, 'codes 200, 500, 503 from the start');
  assert.equal(sample(text, 'promhttp_metric_handler_requests_total', { code: '503' }), 0);
  const before = sample(text, 'promhttp_metric_handler_requests_total', { code: '200' })!;
  assert.ok(before >= 1, 'the scrapes of the test before');
  assert.equal(sample(await scrape(), 'promhttp_metric_handler_requests_total', { code: '200' }), before + 1);
  for (const m of ['process_cpu_seconds_total', 'process_resident_memory_bytes']) assert.ok(sample(text, m) !== undefined, m);
  assert.ok(text.includes('rest_client_requests_total'), 'the Kubernetes client\'s');
  assert.doesNotMatch(text, /grpc_method="GET \/metrics"/, 'a scrape is not an API call');
});

test('/metrics: open when "server" is the only auth mode, and with ARGO_SERVER_METRICS_AUTH=false', async () => {
  const open = await startServer(env.client, { namespace: ns, port: 0, address: '127.0.0.1', authModes: ['server'], log: { debug() {}, info() {}, warn() {}, error() {} } });
  try {
    assert.equal((await call(open.url, 'GET', '/metrics')).status, 200);
  } finally {
    await open.close();
  }
  process.env.ARGO_SERVER_METRICS_AUTH = 'false';
  try {
    assert.equal((await env.call('GET', '/metrics')).status, 200);
  } finally {
    delete process.env.ARGO_SERVER_METRICS_AUTH;
  }
  assert.equal((await env.call('GET', '/metrics')).status, 403);
});

test('Grpc-Metadata-Argo-Version on API answers, not on a 401', async () => {
  const v = await env.call('GET', '/api/v1/version');
  assert.ok(v.headers['grpc-metadata-argo-version'], 'set');
  assert.equal(v.headers['grpc-metadata-argo-version'], v.body.version);
  const nf = await env.call('GET', `/api/v1/workflows/${ns}/nope`);
  assert.equal(nf.status, 404);
  assert.ok(nf.headers['grpc-metadata-argo-version'], 'on an error other than 401 too');
  const bad = await env.call('GET', `/api/v1/workflows/${ns}`, { token: 'test-token' });
  assert.equal(bad.status, 401, bad.text);
  assert.equal(bad.headers['grpc-metadata-argo-version'], undefined);
  const basic = await env.call('GET', `/api/v1/workflows/${ns}`, { headers: { authorization: 'Basic Z2FyYmFnZTpnYXJiYWdl' } });
  assert.equal(basic.status, 401, basic.text);
  assert.equal(basic.headers['grpc-metadata-argo-version'], undefined);
  assert.equal((await env.call('GET', '/')).headers['grpc-metadata-argo-version'], undefined, 'not on the UI');
});

test('isStream: watches and logs are server streams', () => {
  assert.ok(isStream('GET /api/v1/workflow-events/{namespace}'));
  assert.ok(isStream('GET /api/v1/stream/events/{namespace}'));
  assert.ok(isStream('GET /api/v1/workflows/{namespace}/{name}/log'));
  assert.ok(isStream('GET /api/v1/stream/sensors/{namespace}/logs'));
  assert.ok(!isStream('GET /api/v1/workflows/{namespace}/{name}'));
  assert.ok(!isStream('GET /api/v1/workflows/{namespace}'));
});

test('serviceOf: upstream\'s gRPC service of an API path', () => {
  assert.equal(serviceOf('/api/v1/workflows/argo'), 'workflow.WorkflowService');
  assert.equal(serviceOf('/api/v1/workflow-events/argo'), 'workflow.WorkflowService');
  assert.equal(serviceOf('/api/v1/stream/events/argo'), 'workflow.WorkflowService');
  assert.equal(serviceOf('/api/v1/stream/sensors/argo'), 'sensor.SensorService');
  assert.equal(serviceOf('/api/v1/archived-workflows-label-keys'), 'workflowarchive.ArchivedWorkflowService');
  assert.equal(serviceOf('/api/v1/cluster-workflow-templates'), 'clusterworkflowtemplate.ClusterWorkflowTemplateService');
  assert.equal(serviceOf('/api/v1/userinfo'), 'info.InfoService');
});
