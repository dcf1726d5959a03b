/**
 * End to end on one `flotilla up` (no components): Flotilla's manifests/argo-workflows/install.yaml applied to
 * `argo`, hello-world with the pod shape of the TEAM.md contract, a selection of upstream examples run concurrently
 * (phases and outputs asserted; every example in ../shared/upstream/argo-workflows-examples is listed with the reason
 * it is not run), suspend-template resumed, a CronWorkflow scheduled within a minute, garbage in the ConfigMap, then
 * upstream's quick-start-minimal.yaml applied unchanged over it (its controller, its ConfigMap, minio) running
 * artifact-passing through the minio image.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { KubeClient, R } from '@flotilla/kube-runtime';
import { kubectlFor, startUp, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';
import { CRON_WORKFLOWS, TASK_RESULTS, WORKFLOWS } from './resources.js';
import { resumeWorkflow } from './operator/lifecycle.js';
import type { NodeStatus, Workflow } from './types.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const INSTALL = join(ROOT, 'manifests/argo-workflows/install.yaml');
const UPSTREAM = fileURLToPath(new URL('../../../../shared/upstream/', import.meta.url));
const EXAMPLES = join(UPSTREAM, 'argo-workflows-examples');
const QUICK_START = join(UPSTREAM, 'install-manifests/argo-workflows/quick-start-minimal.yaml');
const NS = 'argo';

function skipReason(): string | undefined {
  if (!existsSync(EXAMPLES)) return `upstream examples not found at ${EXAMPLES}`;
  if (!existsSync(QUICK_START)) return `upstream quick-start-minimal.yaml not found at ${QUICK_START}`;
  if (!existsSync('/usr/bin/kubectl')) return 'kubectl not installed';
  return undefined;
}
const skip = skipReason();
if (skip) process.stdout.write(`# skipped: ${skip}\n`);

type Wf = Workflow & { metadata: { name: string; labels?: Record<string, string> } };
const TERMINAL = new Set(['Succeeded', 'Failed', 'Error']);
const nodesOf = (w: Wf) => Object.values(w.status?.nodes ?? {}) as NodeStatus[];
const byDisplay = (w: Wf, name: string) => nodesOf(w).filter((n) => n.displayName === name);

/**
 * The examples this file runs on Flotilla's install (the time budget allows a selection; the others run against
 * simulated pods in examples.test.ts), with what each must show besides its phase.
 */
const RUN: Record<string, { phase: 'Succeeded' | 'Failed'; check?: (w: Wf, logs: (pod: string) => Promise<string>) => Promise<void> | void; before?: string[] }> = {
  'steps.yaml': { phase: 'Succeeded', check: (w) => assert.deepEqual(nodesOf(w).filter((n) => n.type === 'Pod').map((n) => n.displayName).sort(), ['hello1', 'hello2a', 'hello2b']) },
  'dag-diamond.yaml': { phase: 'Succeeded', check: (w) => assert.deepEqual(nodesOf(w).filter((n) => n.type === 'Pod').map((n) => `${n.displayName}:${n.phase}`).sort(), ['A:Succeeded', 'B:Succeeded', 'C:Succeeded', 'D:Succeeded']) },
  'coinflip-recursive.yaml': {
    phase: 'Succeeded',
    check: (w) => {
      const flips = byDisplay(w, 'flip-coin').map((n) => n.outputs?.result);
      assert.ok(flips.length >= 1 && flips.every((r) => r === 'heads' || r === 'tails'), JSON.stringify(flips));
      assert.equal(flips.filter((r) => r === 'heads').length, 1, 'recursion stops at the first heads');
      assert.equal(byDisplay(w, 'heads').filter((n) => n.phase === 'Succeeded').length, 1);
    },
  },
  'loops.yaml': { phase: 'Succeeded', check: (w) => assert.deepEqual(nodesOf(w).filter((n) => n.type === 'Pod').map((n) => n.inputs?.parameters?.[0]?.value).sort(), ['goodbye world', 'hello world']) },
  'parameter-aggregation-script.yaml': {
    phase: 'Succeeded',
    check: (w) => {
      const odd = byDisplay(w, 'odd-or-even(0:1)')[0];
      assert.deepEqual(JSON.parse(odd?.outputs?.result ?? '{}'), { num: 1, evenness: 'odd' });
      const halves = nodesOf(w).filter((n) => n.displayName.startsWith('divide-by-2(') && n.phase === 'Succeeded').map((n) => n.outputs?.result).sort();
      assert.deepEqual(halves, ['1', '2']);
    },
  },
  'exit-handlers.yaml': {
    phase: 'Failed',
    check: (w) => {
      assert.equal(byDisplay(w, 'cry')[0]?.phase, 'Succeeded');
      assert.equal(byDisplay(w, 'celebrate')[0]?.phase, 'Skipped');
      assert.equal(byDisplay(w, 'notify')[0]?.phase, 'Succeeded');
      assert.equal(w.status?.message, 'Error (exit code 1)');
    },
  },
  // alpine's ash (BusyBox's, when the host has busybox) takes the example's `>&`; the host's nginx answers
  'sidecar-nginx.yaml': {
    phase: 'Succeeded',
    check: async (w, logs) => {
      const main = nodesOf(w).find((n) => n.type === 'Pod')!;
      assert.match(await logs(podOf(w, main)), /<title>Welcome to nginx!<\/title>/);
    },
  },
  'scripts-bash.yaml': {
    phase: 'Succeeded',
    check: async (w, logs) => {
      const r = byDisplay(w, 'generate')[0]?.outputs?.result ?? '';
      assert.match(r, /^\d+$/);
      const print = byDisplay(w, 'print')[0]!;
      assert.match(await logs(podOf(w, print)), new RegExp(`result was: ${r}`));
    },
  },
  'output-parameter.yaml': { phase: 'Succeeded', check: (w) => assert.equal(byDisplay(w, 'consume-parameter')[0]?.inputs?.parameters?.[0]?.value, 'hello world') },
  'dag-disable-failFast.yaml': { phase: 'Failed' },
  // found failing by a live sweep of every runnable example (the image's cowsay from a shell, the workflow's
  // podSpecPatch with globals, a 66-character generated name)
  'conditionals.yaml': {
    phase: 'Succeeded',
    check: async (w, logs) => {
      for (const step of ['print-hello-govaluate', 'print-hello-expr', 'print-hello-expr-json']) {
        const n = byDisplay(w, step)[0];
        assert.equal(n?.phase, 'Succeeded', step);
        assert.match(await logs(podOf(w, n!)), /< hello >/);
      }
    },
  },
  'pod-spec-yaml-patch.yaml': { phase: 'Succeeded' },
  'global-parameters-from-configmap-referenced-as-local-variable.yaml': {
    phase: 'Succeeded',
    before: ['configmaps/simple-parameters-configmap.yaml'],
    check: (w) => assert.ok(w.metadata.name.length <= 63, w.metadata.name),
  },
};

/** Examples the other tests of this file run. */
const ALSO_RUN: Record<string, string> = {
  'hello-world.yaml': 'the first test (pod shape, logs, metrics)',
  'suspend-template.yaml': 'resumed (what `argo resume` does), the 20 s suspend honoured',
  'cron-workflow.yaml': 'scheduled within a minute',
  'memoize-simple.yaml': 'twice: the second answered from the cache',
  'synchronization-mutex-wf-level.yaml': 'twice at once: serialized by the mutex',
  'artifact-passing.yaml': 'through minio, under upstream\'s quick start',
  'nested-workflow.yaml': 'through minio, under upstream\'s quick start: a steps template\'s output artifact',
  'exit-handler-with-artifacts.yaml': 'through minio, under upstream\'s quick start: a step\'s exit hook gets its artifact',
};

/** Pod name of a pod node (the pod carries the node id annotation; this mirrors the controller's naming). */
let podIndex = new Map<string, string>();
const podOf = (_w: Wf, n: NodeStatus) => podIndex.get(n.id) ?? n.id;

function allExampleFiles(): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : /\.(ya?ml|json)$/.test(f) ? [p] : [];
  });
  return walk(EXAMPLES).map((p) => relative(EXAMPLES, p)).sort();
}

const HOST_IMAGES = /^(busybox|alpine(:[\w.]+)?|python:alpine[\d.]+|argoproj\/argosay:v[12]|debian(:latest)?|ubuntu|docker\/whalesay(:latest)?|stedolan\/jq(:latest)?|curlimages\/curl(:latest)?)$/;

/** Why an example is not run here. */
function whyNotRun(file: string): string {
  const text = readFileSync(join(EXAMPLES, file), 'utf8');
  const kinds = [...text.matchAll(/^kind:\s*(\S+)/gm)].map((m) => m[1]);
  if (!kinds.includes('Workflow')) return `no Workflow in it (${kinds.join(', ') || 'not a manifest'}); its templates are used by the examples that reference them`;
  const label = /workflows\.argoproj\.io\/no-test:\s*"?([\w-]+)/.exec(text)?.[1];
  if (label && label !== 'expected-failure') return `upstream marks it no-test: ${label}`;
  const images = [...text.matchAll(/image:\s*['"]?([^\s'",]+)/g)].map((m) => m[1]!).filter((i) => !HOST_IMAGES.test(i));
  if (images.length) return `needs image(s) with no host program: ${[...new Set(images)].join(', ')}`;
  if (/\b(gcs|azure|oss|hdfs|artifactory|webHDFS):/.test(text) || /\bgit:\s*\n\s+repo:/.test(text) || /https?:\/\/(?!localhost)/.test(text.replace(/^#.*$/gm, ''))) return 'needs an outside service (a cloud bucket, Git host or Internet URL)';
  if (/\bresource:\s*\n/.test(text)) return 'resource template: covered by the executor e2e (wf-exec); not in this selection';
  if (/retryStrategy:/.test(text) && /random/.test(text)) return 'random failures retried up to N times: too long for this file\'s budget (retries are in operate.test.ts)';
  if (/artifacts:/.test(text)) return 'artifacts: runs with the quick start (minio) — artifact-passing is the one in this file';
  return 'not in this file\'s selection (time budget); its logic runs with simulated pods in examples.test.ts';
}

describe('Argo Workflows: install manifest, examples, cron, quick start (one flotilla up)', { skip, timeout: 600_000 }, () => {
  let dir: string;
  let up: Up;
  let client: KubeClient;
  let k: (args: string[], o?: { input?: string }) => Promise<string>;
  let kubectl: ReturnType<typeof kubectlFor>['kubectl'];
  const wf = async (name: string) => (await client.get(WORKFLOWS, NS, name)) as unknown as Wf;
  const waitDone = (name: string, timeoutMs = 240_000) => waitFor(`workflow ${name} to finish`, async () => {
    const w = await wf(name);
    return TERMINAL.has(w.status?.phase ?? '') ? w : undefined;
  }, timeoutMs, 500);
  const create = async (file: string): Promise<string> => {
    const out = await k(['create', '-n', NS, '-f', join(EXAMPLES, file), '-o', 'name']);
    const name = out.split('\n').find((l) => l.startsWith('workflow.argoproj.io/'));
    return name ? name.split('/')[1]! : '';
  };
  const logs = (pod: string) => k(['logs', '-n', NS, pod, '-c', 'main']);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wf-e2e-'));
    up = await startUp(join(dir, 'data'), 120_000, { components: [] });
    ({ k, kubectl } = kubectlFor(dir, up.kubeconfig));
    client = new KubeClient(up.kubeconfig);
    await k(['create', 'namespace', NS]);
    await k(['apply', '-n', NS, '-f', INSTALL]);
    await k(['rollout', 'status', '-n', NS, 'deployment/workflow-controller', '--timeout=120s']);
  });
  after(async () => {
    client?.close();
    if (up) await stopUp(up, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let cronCreatedAt = 0;
  it('hello-world on Flotilla\'s install: Succeeded, the contract\'s pod shape, logs, wait with nothing to report, labels, events', async () => {
    const name = await create('hello-world.yaml');
    const w = await waitDone(name, 120_000);
    assert.equal(w.status?.phase, 'Succeeded', JSON.stringify(w.status));
    assert.equal(w.status?.progress, '1/1');
    assert.ok(w.status?.startedAt && w.status?.finishedAt);
    assert.equal(w.metadata.labels?.['workflows.argoproj.io/completed'], 'true');
    assert.equal(w.metadata.labels?.['workflows.argoproj.io/phase'], 'Succeeded');
    const pod = (await client.get(R.pods, NS, name)) as any;
    assert.deepEqual(pod.spec.initContainers.map((c: any) => [c.name, c.command]), [['init', ['argoexec', 'init']]]);
    assert.deepEqual(pod.spec.containers.map((c: any) => c.name), ['wait', 'main']);
    assert.deepEqual(pod.spec.containers[1].command, ['/var/run/argo/argoexec', 'emissary', '--', 'echo', 'hello world']);
    // (labelled by the pass that wrote the workflow's end, just after that write: a moment later than it)
    await waitFor('the pod labelled completed', async () => ((await client.get(R.pods, NS, name)) as any).metadata.labels?.['workflows.argoproj.io/completed'] === 'true' || undefined, 10_000, 100);
    assert.equal(pod.metadata.ownerReferences[0].uid, w.metadata.uid);
    assert.equal((await logs(name)).trim(), 'hello world');
    // nothing to report (no outputs): its wait was told so, waited for main in sh and wrote no task result; the
    // node's exit code comes from the pod (templates with outputs, below, go through their task results)
    assert.ok(pod.spec.containers[0].env.some((e: any) => e.name === 'FLOTILLA_NOTHING_TO_REPORT' && e.value === 'true'));
    assert.match(await k(['logs', '-n', NS, name, '-c', 'wait']), /main container\(s\) finished: main=0 \(nothing to report\)/);
    await assert.rejects(client.get(TASK_RESULTS, NS, name), (e: any) => e.code === 404);
    assert.equal(Object.values(w.status?.nodes ?? {})[0]?.outputs?.exitCode, '0');
    const events = await k(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={.items[*].reason}']);
    for (const r of ['WorkflowRunning', 'WorkflowNodeSucceeded', 'WorkflowSucceeded']) assert.ok(events.includes(r), `${r} in ${events}`);
    // Prometheus metrics on :9090 of the controller's pod (through a real kubectl port-forward)
    // (the gauges read the controller's cache, which may be a moment behind the status the test just read)
    const metrics = await waitFor('the metrics to count the finished workflow', async () => {
      const m = await portForwardGet(dir, up.kubeconfig, 'deployment/workflow-controller', 9090, '/metrics');
      return /^argo_workflows_count\{status="Succeeded"\} [1-9]/m.test(m) ? m : undefined;
    }, 30_000, 1000);
    assert.match(metrics, /^argo_workflows_count\{status="Succeeded"\} [1-9]/m);
    assert.match(metrics, /^argo_workflows_pods_count\{status="Succeeded"\} [1-9]/m);
    assert.match(metrics, /^argo_workflows_operation_duration_seconds_count [1-9]/m);
    assert.match(metrics, /^argo_workflows_total_count\{[^}]*phase="Succeeded"[^}]*\} 1$/m);
  });

  it('every upstream example is listed; the selection reaches its phase with its outputs (concurrently)', async () => {
    const files = allExampleFiles();
    const lines: string[] = [];
    for (const f of files) lines.push(RUN[f] ? `run  ${f}: expect ${RUN[f]!.phase}` : ALSO_RUN[f] ? `run  ${f}: ${ALSO_RUN[f]}` : `skip ${f}: ${whyNotRun(f)}`);
    process.stdout.write(`${files.length} example files; run here: ${lines.filter((l) => l.startsWith('run')).length}\n${lines.join('\n')}\n`);
    const started = Date.now();
    const names = await Promise.all(Object.entries(RUN).map(async ([f, spec]) => {
      for (const b of spec.before ?? []) await k(['apply', '-n', NS, '-f', join(EXAMPLES, b)]);
      return [f, await create(f)] as const;
    }));
    const suspend = await create('suspend-template.yaml');
    // kill -9 of the controller while they run: its successor (after the Lease expires) derives everything from the API
    await waitFor('some pods of the examples running', async () => ((await client.list(R.pods, NS, { labelSelector: 'workflows.argoproj.io/workflow' })).items as any[]).filter((p) => p.status?.phase === 'Running').length >= 3, 60_000, 500);
    const old = JSON.parse(await k(['get', 'pods', '-n', NS, '-l', 'app=workflow-controller', '-o', 'json'])).items.map((p: any) => p.metadata.name);
    await k(['delete', 'pod', '-n', NS, ...old, '--grace-period=0', '--force', '--wait=false']);
    const results = await Promise.all(names.map(async ([f, name]) => [f, await waitDone(name)] as const));
    const pods = (await client.list(R.pods, NS)).items as any[];
    podIndex = new Map(pods.map((p) => [p.metadata.annotations?.['workflows.argoproj.io/node-id'], p.metadata.name]));
    const failures: string[] = [];
    for (const [f, w] of results) {
      const spec = RUN[f]!;
      try {
        assert.equal(w.status?.phase, spec.phase, `${f}: ${w.status?.message ?? ''}`);
        await spec.check?.(w, logs);
      } catch (e) {
        failures.push(`${f} (${w.metadata.name}): ${(e as Error).message}`);
      }
    }
    // no node ran twice: one pod per pod node, never restarted, and every pod belongs to a node of its workflow
    for (const [f, w] of results) {
      const mine = pods.filter((p) => p.metadata.labels['workflows.argoproj.io/workflow'] === w.metadata.name);
      const podNodes = nodesOf(w).filter((n) => n.type === 'Pod' && n.phase !== 'Skipped' && n.phase !== 'Omitted');
      if (mine.length !== podNodes.length) failures.push(`${f}: ${mine.length} pods for ${podNodes.length} pod nodes`);
      const ids = new Set(podNodes.map((n) => n.id));
      for (const p of mine) if (!ids.has(p.metadata.annotations['workflows.argoproj.io/node-id'])) failures.push(`${f}: orphan pod ${p.metadata.name}`);
    }
    process.stdout.write(`# ${results.length} examples finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    assert.deepEqual(failures, []);

    // suspend-template: waits at `approve` until resumed (what `argo resume` does to the status)
    const held = await waitFor('suspend-template to reach approve', async () => {
      const w = await wf(suspend);
      return byDisplay(w, 'approve')[0]?.phase === 'Running' ? w : undefined;
    }, 60_000, 500);
    assert.equal(held.status?.phase, 'Running');
    await client.update(WORKFLOWS, resumeWorkflow(held as Workflow) as any);
    const done = await waitDone(suspend, 120_000);
    assert.equal(done.status?.phase, 'Succeeded');
    const delay = byDisplay(done, 'delay')[0]!;
    assert.ok(Date.parse(delay.finishedAt!) - Date.parse(delay.startedAt!) >= 19_000, 'the 20 s suspend duration was honoured');
    assert.equal(byDisplay(done, 'release')[0]?.phase, 'Succeeded');
  });

  it('garbage in workflow-controller-configmap keeps the last good configuration (and says why); memoize hits its cache; a mutex serializes two workflows', async () => {
    // the cron workflow runs alongside this test (its first schedule is within a minute; created after the kill -9 above)
    await k(['create', '-n', NS, '-f', join(EXAMPLES, 'cron-workflow.yaml')]);
    cronCreatedAt = Date.now();
    await k(['patch', 'configmap', 'workflow-controller-configmap', '-n', NS, '--type', 'merge', '-p', '{"data":{"parallelism":"lots"}}']);
    const msg = await waitFor('the controller to refuse the config', async () => {
      const out = await k(['logs', '-n', NS, 'deployment/workflow-controller']);
      return /keeping the last good one: parallelism: expected a non-negative number/.test(out) ? out : undefined;
    }, 30_000, 500);
    assert.ok(msg);
    // still working on the last good configuration: memoize-simple twice, the second answered from the cache
    const first = await waitDone(await create('memoize-simple.yaml'), 120_000);
    assert.equal(first.status?.phase, 'Succeeded', 'still working on the last good configuration');
    const second = await waitDone(await create('memoize-simple.yaml'), 60_000);
    assert.equal(second.status?.phase, 'Succeeded');
    const node = nodesOf(second)[0] as NodeStatus & { memoizationStatus?: { hit: boolean; cacheName: string } };
    assert.deepEqual([node.memoizationStatus?.hit, node.memoizationStatus?.cacheName, node.outputs?.parameters?.[0]?.value?.toString().trim()], [true, 'cache-config', 'world']);
    assert.equal(((await client.list(R.pods, NS, { labelSelector: `workflows.argoproj.io/workflow=${second.metadata.name}` })).items).length, 0, 'no pod for a cache hit');
    await k(['patch', 'configmap', 'workflow-controller-configmap', '-n', NS, '--type', 'json', '-p', '[{"op":"remove","path":"/data/parallelism"}]']);
    // a workflow-level mutex: two at once run one after the other, the second Pending and waiting for the lock
    const [m1, m2] = await Promise.all([create('synchronization-mutex-wf-level.yaml'), create('synchronization-mutex-wf-level.yaml')]);
    const waited = await waitFor('one of them to wait for the mutex', async () => {
      for (const n of [m1!, m2!]) {
        const w = await wf(n);
        if (w.status?.phase === 'Pending' && /^Waiting for argo\/Mutex\/test lock/.test(w.status.message ?? '')) return n;
      }
      return undefined;
    }, 60_000, 200);
    const [w1, w2] = await Promise.all([waitDone(m1!, 120_000), waitDone(m2!, 120_000)]);
    assert.deepEqual([w1.status?.phase, w2.status?.phase], ['Succeeded', 'Succeeded']);
    const [a, b] = waited === m1 ? [w2, w1] : [w1, w2];
    assert.ok(Date.parse(b.status!.startedAt!) >= Date.parse(a.status!.finishedAt!) - 1000, `${b.metadata.name} started ${b.status?.startedAt} before ${a.metadata.name} finished ${a.status?.finishedAt}`);
  });

  it('controller parallelism: 1 holds the others Pending with upstream\'s message and admits them one at a time, higher priority first', async () => {
    const loaded = async () => ((await k(['logs', '-n', NS, 'deployment/workflow-controller'])).match(/configuration .* loaded/g) ?? []).length;
    const loadsBefore = await loaded();
    await k(['patch', 'configmap', 'workflow-controller-configmap', '-n', NS, '--type', 'merge', '-p', '{"data":{"parallelism":"1"}}']);
    await waitFor('the controller to load parallelism: 1', async () => ((await loaded()) > loadsBefore ? true : undefined), 30_000, 300);
    const submit = async (name: string, priority: number) => (await k(['create', '-n', NS, '-f', '-', '-o', 'name'], {
      input: JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name }, spec: { entrypoint: 'main', priority, templates: [{ name: 'main', container: { image: 'busybox', command: ['sh', '-c', 'sleep 2'] } }] } }),
    })).trim();
    try {
      await submit('par-first', 0);
      await submit('par-low', 0);
      await submit('par-high', 5);
      // while the first runs, the other two wait with upstream's message
      const held = await waitFor('the two others to be held with the postponed message', async () => {
        const ws = await Promise.all(['par-low', 'par-high'].map(wf));
        return ws.every((w) => w.status?.phase === 'Pending' && w.status.message === 'Workflow processing has been postponed because too many workflows are already running') ? ws : undefined;
      }, 60_000, 200);
      assert.equal(held.length, 2);
      const done = await Promise.all(['par-first', 'par-low', 'par-high'].map((n) => waitDone(n, 120_000))).catch(async (e) => {
        // what held them: every workflow's phase and message, and the controller's last words
        const all = (await client.list(WORKFLOWS, NS)).items as any[];
        process.stdout.write(`# workflows: ${all.map((w) => `${w.metadata.name}=${w.status?.phase ?? ''} ${w.status?.message ?? ''}`).join('; ')}\n`);
        process.stdout.write(`# controller log:\n${(await k(['logs', '-n', NS, 'deployment/workflow-controller', '--tail=40']).catch(() => '')).replace(/^/gm, '#   ')}\n`);
        throw e;
      });
      assert.deepEqual(done.map((w) => w.status?.phase), ['Succeeded', 'Succeeded', 'Succeeded']);
      const spans = done.map((w) => [Date.parse(w.status!.startedAt!), Date.parse(w.status!.finishedAt!), w.metadata.name] as const).sort((a, b) => a[0] - b[0]);
      assert.deepEqual(spans.map((s) => s[2]), ['par-first', 'par-high', 'par-low'], 'admitted in order: the running one, then higher priority, then the older');
      for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `${spans[i]![2]} started before ${spans[i - 1]![2]} finished: ${JSON.stringify(spans)}`);
    } finally {
      await k(['patch', 'configmap', 'workflow-controller-configmap', '-n', NS, '--type', 'json', '-p', '[{"op":"remove","path":"/data/parallelism"}]']);
    }
  });

  it('cron-workflow.yaml: scheduled within a minute, its workflow Succeeded, status written', async () => {
    const child = await waitFor('a workflow of the cron workflow', async () => {
      const list = (await client.list(WORKFLOWS, NS, { labelSelector: 'workflows.argoproj.io/cron-workflow=hello-world' })).items as unknown as Wf[];
      return list.find((w) => w.status?.phase === 'Succeeded');
    }, Math.max(90_000, cronCreatedAt + 180_000 - Date.now()), 1000);
    assert.match(child.metadata.name, /^hello-world-\d+$/);
    // the first submission came within a minute (a later run may have replaced it: concurrencyPolicy Replace)
    const ev = JSON.parse(await k(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=hello-world,reason=WorkflowSubmitted', '-o', 'json'])).items as any[];
    const first = Math.min(...ev.map((e) => Date.parse(e.firstTimestamp ?? e.eventTime)));
    assert.ok(first - cronCreatedAt < 65_000, `first WorkflowSubmitted ${new Date(first).toISOString()}, created ${new Date(cronCreatedAt).toISOString()}`);
    const log = await logs(child.metadata.name);
    assert.match(log, /hello world\. Scheduled on: \d{4}-/);
    const cw = (await client.get(CRON_WORKFLOWS, NS, 'hello-world')) as any;
    assert.ok(cw.status?.lastScheduledTime, JSON.stringify(cw.status));
    await k(['delete', 'cronworkflow', '-n', NS, 'hello-world']);
  });

  it('upstream quick-start-minimal.yaml, unchanged, over the install: its controller runs artifact-passing through minio', async () => {
    await k(['apply', '-n', NS, '-f', QUICK_START]);
    await k(['rollout', 'status', '-n', NS, 'deployment/workflow-controller', '--timeout=120s']);
    await k(['rollout', 'status', '-n', NS, 'deployment/minio', '--timeout=120s']);
    const ctl = JSON.parse(await k(['get', 'deployment', 'workflow-controller', '-n', NS, '-o', 'json']));
    assert.equal(ctl.spec.template.spec.containers[0].image, 'quay.io/argoproj/workflow-controller:latest');
    const name = await create('artifact-passing.yaml');
    // and two that pass artifacts through a steps template's outputs and a step's exit hook
    const nested = await create('nested-workflow.yaml');
    const exitArt = await create('exit-handler-with-artifacts.yaml');
    const w = await waitDone(name, 180_000);
    const consume = byDisplay(w, 'consume-artifact')[0];
    assert.equal(w.status?.phase, 'Succeeded', `${w.status?.message}: ${JSON.stringify(nodesOf(w).map((n) => [n.displayName, n.phase, n.message]))}`);
    const pods = (await client.list(R.pods, NS, { labelSelector: `workflows.argoproj.io/workflow=${name}` })).items as any[];
    const pod = pods.find((p) => p.metadata.annotations['workflows.argoproj.io/node-id'] === consume!.id);
    assert.equal((await logs(pod.metadata.name)).trim(), 'hello world');
    const art = byDisplay(w, 'generate-artifact')[0]?.outputs?.artifacts?.[0] as any;
    assert.equal(art?.name, 'hello-art');
    assert.ok(art?.s3?.key, JSON.stringify(art));
    const podLog = async (wfName: string, node: NodeStatus) => {
      const all = (await client.list(R.pods, NS, { labelSelector: `workflows.argoproj.io/workflow=${wfName}` })).items as any[];
      return logs(all.find((p) => p.metadata.annotations['workflows.argoproj.io/node-id'] === node.id).metadata.name);
    };
    const nw = await waitDone(nested, 180_000);
    assert.equal(nw.status?.phase, 'Succeeded', JSON.stringify(nodesOf(nw).map((n) => [n.displayName, n.phase, n.message])));
    const consumers = byDisplay(nw, 'consume');
    assert.equal(consumers.length, 2);
    for (const c of consumers) assert.match(await podLog(nested, c), /input parameter value: my-output-parameter\s+input artifact contents:\s+hello world/);
    const eh = await waitDone(exitArt, 180_000);
    assert.equal(eh.status?.phase, 'Succeeded', JSON.stringify(nodesOf(eh).map((n) => [n.displayName, n.phase, n.message])));
    const onExit = byDisplay(eh, 'step-1.onExit')[0]!;
    assert.equal(onExit.phase, 'Succeeded', onExit.message);
    assert.equal((await podLog(exitArt, onExit)).trim(), 'Welcome');
    void kubectl;
  });
});

/** GET through `kubectl port-forward <target> 0:<port>` (a real port-forward, as a user does). */
async function portForwardGet(home: string, kubeconfig: string, target: string, port: number, path: string): Promise<string> {
  const pf = spawn('kubectl', ['port-forward', '-n', NS, target, `0:${port}`], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    pf.stdout.on('data', (d) => (out += d));
    pf.stderr.on('data', (d) => (out += d));
    const local = await waitFor('kubectl port-forward', () => /127\.0\.0\.1:(\d+)/.exec(out)?.[1], 30_000, 100);
    return await waitFor(`GET ${path}`, async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${local}${path}`);
        return r.ok ? await r.text() : undefined;
      } catch {
        return undefined;
      }
    }, 20_000, 250);
  } finally {
    pf.kill('SIGTERM');
  }
}
