/**
 * The seed's Argo Rollouts journey, verbatim, on one `flotilla up`: upstream's install.yaml
 * (unchanged: quay.io/argoproj/argo-rollouts runs Flotilla's rollouts-controller), the
 * getting-started rollout and service, and `kubectl argo rollouts …` through kubectl's plugin
 * lookup (the launchers `flotilla up` writes to <data-dir>/bin). Traffic goes through the
 * Service's cluster IP from inside the cluster (`kubectl exec` + curl: cluster IPs are not on the
 * host's network), one connection per request.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectl as runKubectl, startUp, stopUp, waitFor, type KubectlResult, type Up } from '@flotilla/kube-runtime/testkit';

const SHARED = fileURLToPath(new URL('../../../../shared/upstream/', import.meta.url));
const INSTALL = join(SHARED, 'install-manifests/argo-rollouts/install.yaml');
const BASIC = join(SHARED, 'argo-rollouts/getting-started/basic');

/** the pid of the rollouts-controller process among the descendants of `root` (this test's flotilla up) */
function controllerPid(root: number): number | undefined {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }));
  const mine = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) if (mine.has(r.ppid) && !mine.has(r.pid)) (mine.add(r.pid), (grew = true));
  }
  return rows.find((r) => mine.has(r.pid) && /^\S*\bnode\s.*\brollouts-controller\b/.test(r.args))?.pid;
}

function skipReason(): string | undefined {
  if (!existsSync(INSTALL)) return `upstream install manifest not found at ${INSTALL}`;
  if (!existsSync(join(BASIC, 'rollout.yaml'))) return `upstream getting-started files not found in ${BASIC}`;
  if (!existsSync('/usr/bin/kubectl')) return 'kubectl not installed';
  return undefined;
}
const skip = skipReason();
if (skip) console.log(`# skipping the Rollouts journey: ${skip}`);

describe('the seed Rollouts journey (upstream install.yaml, getting-started/basic, kubectl argo rollouts)', { skip, timeout: 420_000 }, () => {
  let dir = '';
  let up: Up | undefined;
  const started = Date.now();
  const env = () => ({ PATH: `${join(dir, 'up', 'bin')}:${process.env.PATH}` });
  const kubectl = (args: string[], o: { timeoutMs?: number } = {}): Promise<KubectlResult> => runKubectl(join(dir, 'home'), up!.kubeconfig, args, { env: env(), timeoutMs: o.timeoutMs });
  const k = async (args: string[]) => {
    const r = await kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  const json = async (args: string[]) => JSON.parse(await k([...args, '-o', 'json']));
  const rollout = () => json(['get', 'rollout', 'rollouts-demo']);
  const get = () => k(['argo', 'rollouts', 'get', 'rollout', 'rollouts-demo', '--no-color']);
  let lastRollout: any;
  const waitRollout = async (what: string, pred: (ro: any) => boolean, timeoutMs = 90_000) => {
    try {
      return await waitFor(
        what,
        async () => {
          lastRollout = await rollout().catch(() => undefined);
          return lastRollout && pred(lastRollout) ? lastRollout : undefined;
        },
        timeoutMs,
        250,
      );
    } catch (e) {
      const logs = await kubectl(['logs', '-n', 'argo-rollouts', 'deploy/argo-rollouts', '--tail=60']);
      const rs = await kubectl(['get', 'rs,pods', '-o', 'wide']);
      throw new Error(`${(e as Error).message}\nrollout: ${JSON.stringify({ generation: lastRollout?.metadata?.generation, resourceVersion: lastRollout?.metadata?.resourceVersion, status: lastRollout?.status })}\n${rs.stdout}\ncontroller log:\n${logs.stdout}${logs.stderr}`);
    }
  };
  /** pod counts by image tag (running, not terminating) */
  const podsByColor = async () => {
    const pods = (await json(['get', 'pods', '-l', 'app=rollouts-demo'])).items.filter((p: any) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
    const out: Record<string, number> = {};
    for (const p of pods) {
      const tag = String(p.spec.containers[0].image).split(':')[1];
      out[tag] = (out[tag] ?? 0) + 1;
    }
    return out;
  };
  const replicaSets = async () => (await json(['get', 'rs', '-l', 'app=rollouts-demo'])).items as any[];
  /** n requests to the Service's cluster IP from inside a pod, one connection each */
  const colors = async (n: number) => {
    const svc = await json(['get', 'svc', 'rollouts-demo']);
    const pod = (await json(['get', 'pods', '-l', 'app=rollouts-demo'])).items.find((p: any) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).metadata.name;
    const out = await k(['exec', pod, '--', 'sh', '-c', `for i in $(seq 1 ${n}); do curl -s --max-time 5 http://${svc.spec.clusterIP}/color; echo; done`]);
    const counts: Record<string, number> = {};
    for (const line of out.split('\n').filter(Boolean)) {
      const c = JSON.parse(line) as string;
      counts[c] = (counts[c] ?? 0) + 1;
    }
    return counts;
  };
  const endpointsReady = async (n: number) => {
    const ep = await json(['get', 'endpoints', 'rollouts-demo']);
    return (ep.subsets ?? []).reduce((s: number, x: any) => s + (x.addresses?.length ?? 0), 0) === n && !(ep.subsets ?? []).some((x: any) => x.notReadyAddresses?.length);
  };
  const timings: Record<string, number> = {};
  const mark = (what: string, since: number) => (timings[what] = Date.now() - since);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-rollouts-'));
    up = await startUp(join(dir, 'up'), 180_000, {});
    await waitFor('API server', async () => (await kubectl(['get', 'ns', 'default'])).code === 0, 120_000, 500);
    mark('flotilla up', started);
  });
  after(async () => {
    console.log(`# timings (ms): ${JSON.stringify(timings)}`);
    if (up) await stopUp(up, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs upstream install.yaml unchanged; the controller becomes available', async () => {
    const t = Date.now();
    await k(['create', 'namespace', 'argo-rollouts']);
    // verbatim; the client-side apply's last-applied annotation of the two largest upstream CRDs
    // (analysisruns, rollouts: 267 and 291 kB as JSON) is over Kubernetes' 256 KiB limit on
    // annotations, which the API server enforces as Kubernetes does — those two then go server-side,
    // the documented way (kubectl apply --server-side).
    const r = await kubectl(['apply', '-n', 'argo-rollouts', '-f', INSTALL]);
    if (r.code !== 0) {
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('Error'));
      assert.ok(errors.every((l) => /metadata\.annotations: Too long: may not be more than 262144 bytes/.test(l)), r.stderr);
      console.log(`# kubectl apply (client-side) refused ${errors.length} CRDs for the annotation limit; applying server-side`);
      await k(['apply', '--server-side', '--force-conflicts', '-n', 'argo-rollouts', '-f', INSTALL]);
    }
    await k(['rollout', 'status', '-n', 'argo-rollouts', 'deployment/argo-rollouts', '--timeout=120s']);
    mark('install', t);
  });

  it('rollout.yaml and service.yaml: 5 blue replicas, straight to 100 %, Healthy; get rollout --watch shows it', async () => {
    const t = Date.now();
    await k(['apply', '-f', join(BASIC, 'rollout.yaml')]);
    await k(['apply', '-f', join(BASIC, 'service.yaml')]);
    const ro = await waitRollout('Healthy with 5 available', (r) => r.status?.phase === 'Healthy' && r.status?.availableReplicas === 5);
    mark('initial Healthy', t);
    assert.equal(ro.status.currentStepIndex, 8);
    assert.equal(ro.status.stableRS, ro.status.currentPodHash);
    assert.equal(ro.status.observedGeneration, String(ro.metadata.generation));
    assert.deepEqual(await podsByColor(), { blue: 5 });
    assert.equal((await replicaSets()).length, 1);
    // the verbatim --watch: on a pipe it appends; we read until it shows the healthy rollout
    const w = spawn('kubectl', ['argo', 'rollouts', 'get', 'rollout', 'rollouts-demo', '--watch'], { env: { ...process.env, ...env(), HOME: join(dir, 'home'), KUBECONFIG: up!.kubeconfig } });
    let out = '';
    // upstream's plugin colours its output unless --no-color, on a pipe too: match without the escapes
    const plain = (d: Buffer) => String(d).replace(/\x1b\[[0-9;]*m/g, '');
    w.stdout.on('data', (d) => (out += plain(d)));
    w.stderr.on('data', (d) => (out += plain(d)));
    try {
      await waitFor('get rollout --watch output', () => /Status:\s+✔ Healthy/.test(out) && /argoproj\/rollouts-demo:blue \(stable\)/.test(out), 30_000, 100).catch((e) => {
        throw new Error(`${(e as Error).message}\noutput:\n${out}`);
      });
    } finally {
      w.kill();
    }
    assert.match(out, /Name:\s+rollouts-demo/);
    assert.match(out, /Step:\s+8\/8/);
    assert.match(out, /SetWeight:\s+100/);
    assert.match(out, /Available:\s+5/);
  });

  it('set image yellow: Paused at step 1/8, SetWeight 20, ActualWeight 20, 1 of 5 pods yellow, ≈20 % of requests yellow', async () => {
    const t = Date.now();
    await k(['argo', 'rollouts', 'set', 'image', 'rollouts-demo', 'rollouts-demo=argoproj/rollouts-demo:yellow']);
    const ro = await waitRollout('Paused at step 1 with 5 available', (r) => r.status?.phase === 'Paused' && r.status?.currentStepIndex === 1 && r.status?.availableReplicas === 5 && r.status?.replicas === 5);
    mark('paused at step 1', t);
    assert.equal(ro.status.message, 'CanaryPauseStep');
    assert.equal(ro.status.pauseConditions[0].reason, 'CanaryPauseStep');
    assert.notEqual(ro.status.stableRS, ro.status.currentPodHash);
    assert.equal(ro.status.canary.weights.canary.weight, 20);
    await waitFor('5 ready endpoints', () => endpointsReady(5), 30_000, 250);
    assert.deepEqual(await podsByColor(), { blue: 4, yellow: 1 });
    const g = await get();
    assert.match(g, /Status:\s+॥ Paused/);
    assert.match(g, /Message:\s+CanaryPauseStep/);
    assert.match(g, /Step:\s+1\/8/);
    assert.match(g, /SetWeight:\s+20/);
    assert.match(g, /ActualWeight:\s+20/);
    assert.match(g, /argoproj\/rollouts-demo:blue \(stable\)/);
    assert.match(g, /argoproj\/rollouts-demo:yellow \(canary\)/);
    assert.match(g, /Desired:\s+5\n\s+Current:\s+5\n\s+Updated:\s+1\n\s+Ready:\s+5\n\s+Available:\s+5/);
    const c = await colors(50);
    const yellow = (c.yellow ?? 0) / 50;
    console.log(`# traffic at step 1 through the Service: ${JSON.stringify(c)}`);
    assert.ok(yellow >= 0.1 && yellow <= 0.3, `≈20 % yellow expected, got ${JSON.stringify(c)}`);
    assert.equal((c.yellow ?? 0) + (c.blue ?? 0), 50);
  });

  it('promote: 40 → 10 s → 60 → 10 s → 80 → 10 s → 100 %, Healthy, 5 yellow pods; a kill -9 of the controller mid-step changes nothing', async () => {
    const t = Date.now();
    await k(['argo', 'rollouts', 'promote', 'rollouts-demo']);
    // in the 10 s pause at step 3: kill -9 the controller process (found in this flotilla up's process tree)
    const at3 = await waitRollout('paused at step 3', (r) => r.status?.currentStepIndex === 3 && r.status?.phase === 'Paused');
    const rsBefore = (await replicaSets()).map((r) => r.metadata.name).sort();
    const pid = controllerPid(up!.proc.pid!);
    assert.ok(pid, 'the controller process is found under flotilla up');
    process.kill(pid, 'SIGKILL');
    console.log(`# killed the controller (pid ${pid}) at step ${at3.status.currentStepIndex}`);
    await waitFor('the controller restarted', async () => (await json(['get', 'pods', '-n', 'argo-rollouts', '-l', 'app.kubernetes.io/name=argo-rollouts'])).items.some((p: any) => p.status?.containerStatuses?.[0]?.restartCount >= 1 && p.status?.containerStatuses?.[0]?.ready), 60_000, 250);
    const seen = new Set<number>([3]);
    const ro = await waitRollout(
      'Healthy on yellow',
      (r) => {
        if (r.status?.currentStepIndex !== undefined) seen.add(r.status.currentStepIndex);
        return r.status?.phase === 'Healthy' && r.status?.stableRS === r.status?.currentPodHash && r.status?.availableReplicas === 5 && r.status?.replicas === 5;
      },
      120_000,
    );
    mark('promote to Healthy', t);
    assert.ok(Date.now() - t >= 30_000, `three 10 s pauses take at least 30 s (took ${Date.now() - t} ms)`);
    assert.ok(seen.has(3) && seen.has(5) && seen.has(7), `passed through the timed pauses (steps seen ${[...seen].join(',')})`);
    assert.equal(ro.status.currentStepIndex, 8);
    assert.deepEqual((await replicaSets()).map((r) => r.metadata.name).sort(), rsBefore, 'no extra ReplicaSet after the restart');
    await waitFor('5 yellow pods', async () => JSON.stringify(await podsByColor()) === JSON.stringify({ yellow: 5 }), 30_000, 250);
    const g = await get();
    assert.match(g, /Status:\s+✔ Healthy/);
    assert.match(g, /argoproj\/rollouts-demo:yellow \(stable\)/);
  });

  it('set image red, abort: Degraded, weight 0, all 5 back on yellow', async () => {
    await k(['argo', 'rollouts', 'set', 'image', 'rollouts-demo', 'rollouts-demo=argoproj/rollouts-demo:red']);
    await waitRollout('Paused at step 1 on red', (r) => r.status?.phase === 'Paused' && r.status?.currentStepIndex === 1);
    const t = Date.now();
    await k(['argo', 'rollouts', 'abort', 'rollouts-demo']);
    const ro = await waitRollout('Degraded after abort, the canary gone', (r) => r.status?.phase === 'Degraded' && r.status?.availableReplicas === 5 && r.status?.replicas === 5 && r.status?.updatedReplicas === 0);
    mark('abort to Degraded', t);
    assert.equal(ro.status.message, 'RolloutAborted: Rollout aborted update to revision 3');
    assert.equal(ro.status.abort, true);
    assert.equal(ro.status.canary.weights.canary.weight, 0);
    await waitFor('5 yellow pods', async () => JSON.stringify(await podsByColor()) === JSON.stringify({ yellow: 5 }), 30_000, 250);
    const g = await get();
    assert.match(g, /Status:\s+✖ Degraded/);
    assert.match(g, /Message:\s+RolloutAborted: Rollout aborted update to revision 3/);
    assert.match(g, /SetWeight:\s+0/);
    assert.match(g, /ActualWeight:\s+0/);
  });

  it('set image yellow again: a rollback — Healthy at once, no new ReplicaSet, steps skipped', async () => {
    const before = (await replicaSets()).map((r) => r.metadata.name).sort();
    const t = Date.now();
    await k(['argo', 'rollouts', 'set', 'image', 'rollouts-demo', 'rollouts-demo=argoproj/rollouts-demo:yellow']);
    const ro = await waitRollout('Healthy after the rollback', (r) => r.metadata.generation === Number(r.status?.observedGeneration) && r.status?.phase === 'Healthy', 30_000);
    mark('rollback to Healthy', t);
    // no steps walked (no pause could be met): usually 0.5–6 s here; 18 s once, when the controller's
    // requests through the kubernetes Service stalled (a platform issue, reported)
    assert.ok(Date.now() - t < 30_000, `the rollback is immediate (took ${Date.now() - t} ms)`);
    assert.equal(ro.status.currentStepIndex, 8);
    assert.equal(ro.status.stableRS, ro.status.currentPodHash);
    assert.equal(ro.status.abort, undefined);
    assert.deepEqual((await replicaSets()).map((r) => r.metadata.name).sort(), before, 'no new ReplicaSet');
    assert.deepEqual(await podsByColor(), { yellow: 5 });
    const yellowRS = (await replicaSets()).find((r) => r.metadata.labels['rollouts-pod-template-hash'] === ro.status.stableRS);
    assert.equal(yellowRS.metadata.annotations['rollout.argoproj.io/revision'], '4');
    assert.match(await get(), /Status:\s+✔ Healthy/);
  });
  it('blue-green with a pre-promotion web analysis on the preview Service: a good image is promoted, a bad one aborted with the active Service unchanged', async () => {
    const t = Date.now();
    const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: 'bg' }, ports: [{ port: 80, targetPort: 8080 }] } });
    const objs = [
      svc('bg-active'),
      svc('bg-preview'),
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AnalysisTemplate',
        metadata: { name: 'preview-color', namespace: 'default' },
        spec: { args: [{ name: 'color' }], metrics: [{ name: 'color', successCondition: "result == '{{args.color}}'", provider: { web: { url: 'http://bg-preview.default.svc.cluster.local/color', timeoutSeconds: 5 } } }] },
      },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'bg', namespace: 'default' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'bg' } },
          template: { metadata: { labels: { app: 'bg' } }, spec: { containers: [{ name: 'bg', image: 'argoproj/rollouts-demo:blue', ports: [{ containerPort: 8080 }] }] } },
          strategy: { blueGreen: { activeService: 'bg-active', previewService: 'bg-preview', scaleDownDelaySeconds: 5, abortScaleDownDelaySeconds: 5, prePromotionAnalysis: { templates: [{ templateName: 'preview-color' }], args: [{ name: 'color', value: 'green' }] } } },
        },
      },
    ];
    const r = await runKubectl(join(dir, 'home'), up!.kubeconfig, ['apply', '-f', '-'], { env: env(), input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs }) });
    assert.equal(r.code, 0, r.stderr);
    const bg = () => json(['get', 'rollout', 'bg']);
    const waitBg = async (what: string, pred: (ro: any) => boolean) => {
      let last: any;
      try {
        return await waitFor(what, async () => {
          last = await bg().catch(() => undefined);
          return last && pred(last) ? last : undefined;
        }, 90_000, 250);
      } catch (e) {
        const runs = await kubectl(['get', 'analysisruns', '-o', 'json']);
        const logs = await kubectl(['logs', '-n', 'argo-rollouts', 'deploy/argo-rollouts', '--tail=40']);
        throw new Error(`${(e as Error).message}\nbg status: ${JSON.stringify(last?.status)}\nruns: ${JSON.stringify(JSON.parse(runs.stdout || '{}').items?.map((x: any) => ({ name: x.metadata.name, spec: x.spec, status: x.status })))}\n${(await kubectl(['get', 'rs,pods,svc', '-o', 'wide'])).stdout}\ncontroller log:\n${logs.stdout}`);
      }
    };
    const sel = async (name: string) => (await json(['get', 'svc', name])).spec.selector['rollouts-pod-template-hash'];
    const blue = await waitBg('bg Healthy on blue', (ro) => ro.status?.phase === 'Healthy' && ro.status?.availableReplicas === 2);
    assert.equal(await sel('bg-active'), blue.status.stableRS);

    await k(['argo', 'rollouts', 'set', 'image', 'bg', 'bg=argoproj/rollouts-demo:green']);
    const green = await waitBg('bg promoted to green after the analysis', (ro) => ro.status?.phase === 'Healthy' && ro.status?.stableRS === ro.status?.currentPodHash && ro.status?.stableRS !== blue.status.stableRS);
    assert.equal(await sel('bg-active'), green.status.stableRS);
    const run = await json(['get', 'analysisrun', `bg-${green.status.currentPodHash}-pre`]);
    assert.equal(run.status.phase, 'Successful');
    // a measurement may have met the preview Service's proxy a moment before it had the new pods (an
    // Error, retried): the one that decided is the last
    assert.equal(run.status.metricResults[0].measurements.at(-1).value, 'green');

    await k(['argo', 'rollouts', 'set', 'image', 'bg', 'bg=argoproj/rollouts-demo:red']);
    const red = await waitBg('bg aborted by the analysis', (ro) => ro.status?.phase === 'Degraded');
    assert.match(red.status.message, /^RolloutAborted: Rollout aborted update to revision 3: Metric "color" assessed Failed due to failed \(1\) > failureLimit \(0\)/);
    assert.equal(await sel('bg-active'), green.status.stableRS, 'the active Service stays on green');
    const failed = await json(['get', 'analysisrun', `bg-${red.status.currentPodHash}-pre`]);
    assert.equal(failed.status.phase, 'Failed');
    assert.equal(failed.status.metricResults[0].measurements.at(-1).value, 'red');
    mark('blue-green with analysis', t);
  });
});
