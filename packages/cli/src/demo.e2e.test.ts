/**
 * `flotilla demo pipeline` end to end on one `flotilla up` (Argo CD, Workflows, Rollouts, Events):
 * the demo is created (twice: the second run changes nothing), a good color pushed to the `app`
 * repository goes through event → workflow → commit to deploy → Argo CD sync → canary and is then
 * served by every replica; a bad- color is aborted by the canary's analysis against Prometheus and
 * the good color keeps being served; --delete removes everything. Traffic goes through the
 * Service's cluster address from inside the cluster (kubectl exec in the demo's load generator).
 * About 3.5 minutes on a quiet machine (the canary's two 15 s pauses included); the timeout leaves
 * room for a loaded one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOTILLA_MAIN, kubectlFor, startUp, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';

const skip = ['/usr/bin/kubectl', '/usr/bin/git', '/usr/bin/prometheus'].find((p) => !existsSync(p));
if (skip) console.log(`# skipping the pipeline demo: ${skip} is not installed`);

function flotilla(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [FLOTILLA_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

describe('flotilla demo pipeline: push to production through Events, Workflows, Argo CD and Rollouts', { skip, timeout: 420_000 }, () => {
  let dir = '';
  let up: Up | undefined;
  let k: ReturnType<typeof kubectlFor>['k'];
  const timings: Record<string, number> = {};
  const started = Date.now();
  const demo = (args: string[], timeoutMs = 200_000) => flotilla(['demo', 'pipeline', '--data-dir', join(dir, 'data'), ...args], timeoutMs);
  /** the colors answered by n requests to the rollouts-demo Service, each on a connection of its own */
  const served = async (n: number, url = 'http://rollouts-demo.flotilla-demo.svc.cluster.local/color', host?: string) => {
    const out = await k(['exec', '-n', 'flotilla-demo', 'deploy/loadgen', '--', 'sh', '-c', `for i in $(seq 1 ${n}); do curl -s --max-time 3 -H 'Connection: close' ${host ? `-H 'Host: ${host}' ` : ''}${url}; echo; done`]);
    const counts: Record<string, number> = {};
    for (const l of out.split('\n').filter(Boolean)) counts[l] = (counts[l] ?? 0) + 1;
    return counts;
  };
  const podColors = async () => {
    const pods = JSON.parse(await k(['get', 'pods', '-n', 'flotilla-demo', '-l', 'app=rollouts-demo', '-o', 'json'])).items.filter((p: any) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    return pods.map((p: any) => String(p.spec.containers[0].image).split(':')[1]).sort();
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-demo-'));
    mkdirSync(join(dir, 'home'));
    up = await startUp(join(dir, 'data'), 240_000, { components: ['argo-cd', 'argo-workflows', 'argo-rollouts', 'argo-events', 'ingress-nginx'] });
    ({ k } = kubectlFor(join(dir, 'home'), up.kubeconfig));
    timings['flotilla up'] = Date.now() - started;
  });
  after(async () => {
    console.log(`# timings (ms): ${JSON.stringify(timings)}`);
    if (up) await stopUp(up, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the Git server, EventSource, Sensor, WorkflowTemplate, Application and Rollout; a second run changes nothing', async () => {
    let t = Date.now();
    const r = await demo([]);
    assert.equal(r.code, 0, r.out);
    for (const l of ['git server ready', 'Prometheus ready', 'EventSource git-push ready', 'Sensor ci ready', 'Application pipeline-demo synced and healthy', 'Rollout rollouts-demo healthy']) assert.match(r.out, new RegExp(`✔ ${l}`), r.out);
    assert.match(r.out, /serving argoproj\/rollouts-demo:blue/);
    // the deploy repository's Ingress, served by the nginx controller, and its address printed
    assert.match(r.out, /the app: +curl -H 'Host: rollouts-demo\.localhost' http:\/\/[\d.]+\/color/, r.out);
    timings['demo created'] = Date.now() - t;
    assert.deepEqual(await podColors(), ['blue', 'blue', 'blue', 'blue', 'blue']);
    // through the Kubernetes API as on any cluster: the objects are there for kubectl
    assert.match(await k(['get', 'workflowtemplate,eventsource,sensor', '-n', 'flotilla-demo', '-o', 'name']), /workflowtemplate.argoproj.io\/ci\neventsource.argoproj.io\/git-push\nsensor.argoproj.io\/ci/);
    // server-side applied under the demo's own field manager
    assert.match(await k(['get', 'deploy', 'git-server', '-n', 'flotilla-demo', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}']), /\bflotilla-demo\b/);
    const before = await k(['get', 'deploy', 'git-server', '-n', 'flotilla-demo', '-o', 'jsonpath={.metadata.generation} {.metadata.resourceVersion}']);
    t = Date.now();
    const again = await demo([]);
    assert.equal(again.code, 0, again.out);
    assert.equal(await k(['get', 'deploy', 'git-server', '-n', 'flotilla-demo', '-o', 'jsonpath={.metadata.generation} {.metadata.resourceVersion}']), before);
    timings['demo again'] = Date.now() - t;
  });

  it('--push yellow: event → workflow → commit to deploy → sync → canary 20/50/100; every replica then serves yellow', async () => {
    const t = Date.now();
    const r = await demo(['--push', 'yellow']);
    assert.equal(r.code, 0, r.out);
    for (const re of [/push of [0-9a-f]{40} announced/, /event received → Workflow flotilla-demo\/ci-\w+ submitted by Sensor ci/, /Succeeded \(test Succeeded, build Succeeded, deploy Succeeded\)/, /commit to deploy: [0-9a-f]{8} \(image argoproj\/rollouts-demo:yellow\)/, /Argo CD synced Application argocd\/pipeline-demo/, /Paused, step 1\/5/, /Paused, step 3\/5/, /Healthy, all replicas run argoproj\/rollouts-demo:yellow/, /total [\d.]+ s — yellow fully rolled out/])
      assert.match(r.out, re, r.out);
    timings['push yellow → rolled out'] = Date.now() - t;
    console.log(r.out.split('Time per stage:')[1]?.replace(/^/gm, '# '));
    await waitFor('5 ready yellow pods', async () => JSON.stringify(await podColors()) === JSON.stringify(Array(5).fill('yellow')), 30_000, 500);
    assert.deepEqual(await served(20), { '"yellow"': 20 });
    // and through the deploy repository's Ingress, as a person reaches it (the nginx controller's Service)
    assert.deepEqual(await served(5, 'http://ingress-nginx-controller.ingress-nginx.svc.cluster.local/color', 'rollouts-demo.localhost'), { '"yellow"': 5 });
  });

  it('--push bad-red: the analysis against Prometheus aborts the canary; yellow keeps being served', async () => {
    const t = Date.now();
    const r = await demo(['--push', 'bad-red']);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /aborted \(RolloutAborted: .*Metric "error-rate" assessed Failed/, r.out);
    assert.match(r.out, /rollout aborted: the stable version keeps serving/);
    assert.match(r.out, /https:\/\/localhost:8080\/applications\/argocd\/pipeline-demo/);
    assert.match(r.out, /https:\/\/localhost:8080\/pipeline\?ns=flotilla-demo /);
    timings['push bad-red → aborted'] = Date.now() - t;
    const ro = JSON.parse(await k(['get', 'rollout', 'rollouts-demo', '-n', 'flotilla-demo', '-o', 'json']));
    assert.equal(ro.status.abort, true);
    assert.equal(ro.spec.template.spec.containers[0].image, 'argoproj/rollouts-demo:bad-red');
    await waitFor('5 ready yellow pods again', async () => JSON.stringify(await podColors()) === JSON.stringify(Array(5).fill('yellow')), 60_000, 500);
    assert.deepEqual(await served(20), { '"yellow"': 20 });
  });

  it('--delete removes the Application and the namespace', async () => {
    const r = await demo(['--delete']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /The pipeline demo is removed/);
    assert.equal((await k(['get', 'ns', '-o', 'name'])).includes('namespace/flotilla-demo'), false);
    assert.equal((await k(['get', 'applications', '-n', 'argocd', '-o', 'name'])).trim(), '');
  });
});
