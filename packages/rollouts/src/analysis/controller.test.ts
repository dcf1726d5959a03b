/**
 * The AnalysisRun controller against a real (in-process) API server with Flotilla's CRDs: a web
 * metric against a local HTTP server, a job metric (the Job's status set as the job controller
 * would), a provider this installation lacks, a bad expression, terminate.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get as httpGet } from 'node:http';
import { EventRecorder, InformerFactory, KubeClient, R } from '@flotilla/kube-runtime';
import { startTestCluster, waitFor, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { ANALYSIS_RUNS } from '../resources.js';
import { AnalysisRunController } from './controller.js';

const MANIFEST = fileURLToPath(new URL('../../../../manifests/argo-rollouts/install.yaml', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../node-agent/dist/programs/rollouts-demo.js', import.meta.url));
const PROMETHEUS = '/usr/bin/prometheus';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

describe('AnalysisRun controller on a real API server', () => {
  let c: TestCluster;
  let client: KubeClient;
  let informers: InformerFactory;
  let ctrl: AnalysisRunController;
  let events: EventRecorder;
  let srv: Server;
  let url = '';
  let rate = 0.99;
  before(async () => {
    c = await startTestCluster({ prefix: 'flotilla-ro-analysis-' });
    await c.k(['create', 'namespace', 'argo-rollouts']);
    await c.k(['apply', '-n', 'argo-rollouts', '-f', MANIFEST]);
    await waitFor('CRDs served', async () => (await c.kubectl(['get', 'analysisruns'])).code === 0, 30_000, 200);
    srv = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { rate } }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/q`;
    client = new KubeClient(c.kubeconfig, { qps: 100, burst: 200 });
    informers = new InformerFactory(client, {});
    events = new EventRecorder(client, { component: 'test' });
    ctrl = new AnalysisRunController({ client, informers, log: () => {}, events });
    informers.start();
    await ctrl.start();
  });
  after(async () => {
    await ctrl?.stop();
    await informers?.stop();
    events?.stop();
    client?.close();
    srv?.close();
    await c?.close();
  });
  const create = (name: string, metrics: unknown[], extra: Record<string, unknown> = {}) => client.create(ANALYSIS_RUNS, 'default', { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisRun', metadata: { name, namespace: 'default' }, spec: { metrics, ...extra } } as never);
  const phase = (name: string, want: string[]) =>
    waitFor(`${name} ${want.join('|')}`, async () => {
      const r = await client.get<any>(ANALYSIS_RUNS, 'default', name);
      return want.includes(r.status?.phase) ? r : undefined;
    }, 30_000, 100);

  it('web: two measurements one second apart, args substituted, Successful', async () => {
    await create('web-ok', [{ name: 'rate', interval: '1s', count: 2, successCondition: 'result >= {{args.min}}', provider: { web: { url, jsonPath: '{$.data.rate}' } } }], { args: [{ name: 'min', value: '0.95' }] });
    const r = await phase('web-ok', ['Successful', 'Failed', 'Error']);
    assert.equal(r.status.phase, 'Successful');
    assert.equal(r.status.metricResults[0].count, 2);
    assert.deepEqual(r.status.metricResults[0].measurements.map((m: any) => m.value), ['0.99', '0.99']);
    assert.deepEqual(r.status.runSummary, { count: 1, successful: 1, failed: 0, inconclusive: 0, error: 0 });
  });

  it('web: a failing value fails the run with upstream message', async () => {
    rate = 0.5;
    await create('web-bad', [{ name: 'rate', successCondition: 'result >= 0.95', provider: { web: { url, jsonPath: '{$.data.rate}' } } }]);
    const r = await phase('web-bad', ['Successful', 'Failed', 'Error']);
    assert.equal(r.status.phase, 'Failed');
    assert.equal(r.status.message, 'Metric "rate" assessed Failed due to failed (1) > failureLimit (0)');
    rate = 0.99;
  });

  it('job: a Job owned by the run; Complete is Successful', async () => {
    const jobSpec = { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 't', image: 'busybox', command: ['true'] }] } } };
    await create('job-ok', [{ name: 'smoke', provider: { job: { spec: jobSpec } } }]);
    const job = await waitFor('the Job', async () => (await client.list<any>(R.jobs, 'default')).items.find((j) => j.metadata.labels?.['analysisrun.argoproj.io/name'] === 'job-ok'), 30_000, 100);
    assert.equal(job.metadata.ownerReferences[0].kind, 'AnalysisRun');
    assert.equal((await client.get<any>(ANALYSIS_RUNS, 'default', 'job-ok')).status?.phase ?? 'Running', 'Running');
    await client.patch(R.jobs, 'default', job.metadata.name, { status: { conditions: [{ type: 'Complete', status: 'True' }], succeeded: 1 } }, 'merge', 'status');
    const r = await phase('job-ok', ['Successful', 'Failed', 'Error']);
    assert.equal(r.status.phase, 'Successful');
  });

  it('a provider this installation lacks: Error at once, saying so', async () => {
    await create('dd', [{ name: 'm', successCondition: 'result < 1', provider: { datadog: { query: 'avg:x{*}' } } }]);
    const r = await phase('dd', ['Successful', 'Failed', 'Error']);
    assert.equal(r.status.phase, 'Error');
    assert.match(r.status.metricResults[0].measurements[0].message, /^datadog: provider not available in this installation$/);
  });

  it('a bad expression is an Error measurement; terminate ends a run Successful', async () => {
    await create('bad-expr', [{ name: 'm', interval: '1s', successCondition: 'result >>> (', provider: { web: { url, jsonPath: '{$.data.rate}' } } }]);
    const r = await waitFor('an error measurement', async () => {
      const x = await client.get<any>(ANALYSIS_RUNS, 'default', 'bad-expr');
      return x.status?.metricResults?.[0]?.error >= 1 ? x : undefined;
    }, 30_000, 100);
    assert.equal(r.status.metricResults[0].measurements[0].phase, 'Error');
    await client.patch(ANALYSIS_RUNS, 'default', 'bad-expr', { spec: { terminate: true } }, 'merge');
    const t = await phase('bad-expr', ['Successful']);
    assert.equal(t.status.message, 'Run Terminated');
  });

  it('ttlStrategy: a Successful run is deleted secondsAfterSuccess after completedAt; a Failed one keeps secondsAfterFailure', async () => {
    const ttlStrategy = { secondsAfterSuccess: 1, secondsAfterFailure: 3600 };
    await create('ttl-bad', [{ name: 'rate', successCondition: 'result < 0', provider: { web: { url, jsonPath: '{$.data.rate}' } } }], { ttlStrategy });
    await create('ttl-ok', [{ name: 'rate', successCondition: 'result >= 0.95', provider: { web: { url, jsonPath: '{$.data.rate}' } } }], { ttlStrategy });
    const bad = await phase('ttl-bad', ['Failed', 'Successful', 'Error']);
    assert.equal(bad.status.phase, 'Failed');
    const ok = await phase('ttl-ok', ['Successful', 'Failed', 'Error']);
    assert.equal(ok.status.phase, 'Successful');
    assert.match(ok.status.completedAt, /^\d{4}-\d\d-\d\dT/);
    await waitFor('ttl-ok deleted', async () => (await client.list<any>(ANALYSIS_RUNS, 'default')).items.every((r) => r.metadata.name !== 'ttl-ok'), 10_000, 100);
    assert.ok(bad.status.completedAt);
    assert.equal((await client.get<any>(ANALYSIS_RUNS, 'default', 'ttl-bad')).status.phase, 'Failed', 'still there');
  });

  it('prometheus: a real Prometheus scraping two rollouts-demo programs — the good one Successful, bad-red (50 % errors) Failed', { skip: (!existsSync(PROMETHEUS) && 'prometheus not installed (Debian package prometheus)') || (!existsSync(DEMO) && `${DEMO} not built`) }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ro-prom-'));
    const procs: ChildProcess[] = [];
    let load: NodeJS.Timeout | undefined;
    try {
      const [good, bad, prom] = [await freePort(), await freePort(), await freePort()];
      for (const [port, tag] of [[good, 'yellow'], [bad, 'bad-red']] as const) procs.push(spawn(process.execPath, [DEMO], { env: { ...process.env, PORT: String(port), LISTEN_ADDR: '127.0.0.1', COLOR: tag }, stdio: 'ignore' }));
      writeFileSync(join(dir, 'prometheus.yml'), ['global: {scrape_interval: 1s}', 'scrape_configs:', `- {job_name: good, static_configs: [{targets: ['127.0.0.1:${good}']}]}`, `- {job_name: bad, static_configs: [{targets: ['127.0.0.1:${bad}']}]}`, ''].join('\n'));
      procs.push(spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${prom}`], { stdio: 'ignore' }));
      // traffic on both
      load = setInterval(() => {
        for (const p of [good, bad]) {
          const req = httpGet({ host: '127.0.0.1', port: p, path: '/color', agent: false, timeout: 2000 }, (r) => r.resume());
          req.on('timeout', () => req.destroy());
          req.on('error', () => {});
        }
      }, 20);
      const address = `http://127.0.0.1:${prom}`;
      const q = async (query: string) =>
        new Promise<number>((resolve) => {
          // a bounded request: Prometheus still starting may accept and not answer
          const req = httpGet(`${address}/api/v1/query?query=${encodeURIComponent(query)}`, { timeout: 3000, agent: false }, (r) => {
            let b = '';
            r.on('data', (d) => (b += d));
            r.on('end', () => {
              try {
                resolve(Number(JSON.parse(b || '{}')?.data?.result?.[0]?.value?.[1] ?? 0));
              } catch {
                resolve(0);
              }
            });
          });
          req.on('timeout', () => req.destroy(new Error('timeout')));
          req.on('error', () => resolve(0));
        });
      await waitFor('Prometheus has scraped both', async () => (await q('sum(requests_total{job="good"})')) > 20 && (await q('sum(requests_total{job="bad"})')) > 20, 60_000, 500);
      const metric = { name: 'error-rate', successCondition: 'result[0] < 0.1', provider: { prometheus: { address, query: 'sum(requests_total{job="{{args.job}}",code="500"}) / sum(requests_total{job="{{args.job}}"})' } } };
      await create('prom-good', [metric], { args: [{ name: 'job', value: 'good' }] });
      await create('prom-bad', [metric], { args: [{ name: 'job', value: 'bad' }] });
      const ok = await phase('prom-good', ['Successful', 'Failed', 'Error']);
      const ko = await phase('prom-bad', ['Successful', 'Failed', 'Error']);
      assert.equal(ok.status.phase, 'Successful', JSON.stringify(ok.status));
      assert.equal(ko.status.phase, 'Failed', JSON.stringify(ko.status));
      const v = JSON.parse(ko.status.metricResults[0].measurements[0].value);
      assert.ok(v[0] > 0.3 && v[0] < 0.7, `bad-red error rate ${v}`);
    } finally {
      if (load) clearInterval(load);
      for (const p of procs) p.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
