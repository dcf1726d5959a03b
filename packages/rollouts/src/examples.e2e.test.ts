/**
 * Upstream's Rollouts examples on one `flotilla up --components argo-rollouts`: every example file
 * (../shared/upstream/argo-rollouts/examples, read at test time) whose Rollouts this installation
 * can run is applied as its README says (analysis-templates.yaml first) into its own namespace —
 * and so is each of rollouts-demo's kustomize examples (../shared/upstream/rollouts-demo-examples,
 * rendered by `kubectl kustomize`) — and must reach Healthy (`kubectl argo rollouts status`, exit 0), with its pods running; the others
 * (service meshes, other traffic routers) are listed with the reason they are skipped. On the same
 * cluster: an Experiment template's Service (`templates[].service`) really reaches the
 * experiment's pods and goes when the experiment ends; an experiment step with a template `weight`
 * under the nginx router is refused in the Rollout's status; a `workloadRef` migration from a
 * running Deployment with scaleDown never / onsuccess / progressively.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { kubectl as runKubectl, startUp, stopUp, waitFor, type KubectlResult, type Up } from '@flotilla/kube-runtime/testkit';
import { validate } from './common.js';
import { resolveWorkloadRef } from './workloadref.js';
import type { Rollout } from './types.js';

const EXAMPLES = fileURLToPath(new URL('../../../../shared/upstream/argo-rollouts/examples', import.meta.url));
const DEMO_EXAMPLES = fileURLToPath(new URL('../../../../shared/upstream/rollouts-demo-examples', import.meta.url));
const skip = !existsSync(EXAMPLES) ? `upstream examples not found at ${EXAMPLES}` : !existsSync('/usr/bin/kubectl') ? 'kubectl not installed' : undefined;
if (skip) console.log(`# skipping the upstream examples on flotilla up: ${skip}`);

/** the example files (helm-blue-green is a chart; notifications/ is left to the planner test examples.test.ts: its kustomization needs upstream's manifests/notifications) */
function exampleFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return f === 'helm-blue-green' || f === 'notifications' ? [] : exampleFiles(p);
      return /\.ya?ml$/.test(f) ? [p] : [];
    })
    .sort();
}
const docsOf = (f: string) => parseAllDocuments(readFileSync(f, 'utf8'), { logLevel: 'error' }).map((d) => d.toJS()).filter((d) => d && typeof d === 'object');

describe('upstream Rollouts examples on flotilla up', { skip, timeout: 360_000 }, () => {
  let dir = '';
  let up: Up | undefined;
  let watch: ChildProcess | undefined;
  const timings: Record<string, number> = {};
  const env = () => ({ PATH: `${join(dir, 'up', 'bin')}:${process.env.PATH}` });
  const kubectl = (args: string[], o: { timeoutMs?: number; input?: string } = {}): Promise<KubectlResult> => runKubectl(join(dir, 'home'), up!.kubeconfig, args, { env: env(), ...o });
  const k = async (args: string[], input?: string) => {
    const r = await kubectl(args, { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  const json = async (args: string[]) => JSON.parse(await k([...args, '-o', 'json']));
  const apply = (ns: string, o: unknown) => k(['apply', '-n', ns, '-f', '-'], JSON.stringify(o));
  const controllerLog = async () => (await kubectl(['logs', '-n', 'argo-rollouts', 'deploy/argo-rollouts', '--tail=40'])).stdout;

  before(async () => {
    const t = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-ro-examples-'));
    up = await startUp(join(dir, 'up'), 240_000, { components: ['argo-rollouts'] });
    await k(['rollout', 'status', '-n', 'argo-rollouts', 'deployment/argo-rollouts', '--timeout=120s']);
    timings['flotilla up + controller'] = Date.now() - t;
  });
  after(async () => {
    watch?.kill();
    console.log(`# timings (ms): ${JSON.stringify(timings)}`);
    if (up) await stopUp(up, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each example this installation can run reaches Healthy (kubectl argo rollouts status); the others are skipped with the reason', async () => {
    const t = Date.now();
    const listing: string[] = [];
    const runs: { file: string; ns: string; name: string; replicas: number }[] = [];
    await k(['apply', '-f', join(EXAMPLES, 'cluster-analysis-templates.yaml')]);
    for (const f of exampleFiles(EXAMPLES)) {
      const docs = docsOf(f);
      const rollouts = docs.filter((d) => d.kind === 'Rollout') as Rollout[];
      if (!rollouts.length) continue;
      const rel = relative(EXAMPLES, f);
      // what the controller refuses (InvalidSpec) is what this installation lacks: a mesh or another router
      const reasons = rollouts.map((ro) => validate(resolveWorkloadRef(ro, (n) => docs.find((d) => d.kind === 'Deployment' && d.metadata?.name === n)))).filter(Boolean) as string[];
      if (reasons.length) {
        for (const r of reasons) assert.match(r, /not available in this installation|requires TrafficRouting with Istio/, `${rel}: ${r}`);
        listing.push(`${rel}: skipped — ${reasons[0].replace(/^.*is invalid: /, '')}`);
        continue;
      }
      const ns = `ex-${basename(f).replace(/\.ya?ml$/, '')}`.slice(0, 63);
      await k(['create', 'namespace', ns]);
      await k(['apply', '-n', ns, '-f', join(EXAMPLES, 'analysis-templates.yaml')]); // "apply this file first"
      await k(['apply', '-n', ns, '-f', f]);
      for (const ro of rollouts) runs.push({ file: rel, ns, name: ro.metadata.name!, replicas: ro.spec.replicas ?? 1 });
    }
    // rollouts-demo's own examples (kustomizations: `kubectl apply -k`, rendered here with `kubectl kustomize`)
    if (existsSync(DEMO_EXAMPLES))
      for (const d of readdirSync(DEMO_EXAMPLES).filter((x) => existsSync(join(DEMO_EXAMPLES, x, 'kustomization.yaml'))).sort()) {
        const rel = `rollouts-demo:${d}`;
        // preview-testing takes a file of ../experiment, which kustomize's default load restrictor refuses
        const rendered = await k(['kustomize', '--load-restrictor=LoadRestrictionsNone', join(DEMO_EXAMPLES, d)]);
        const docs = parseAllDocuments(rendered).map((x) => x.toJS()).filter((x) => x && typeof x === 'object');
        const rollouts = docs.filter((x) => x.kind === 'Rollout') as Rollout[];
        if (!rollouts.length) {
          listing.push(`${rel}: not a Rollout example (${[...new Set(docs.map((x) => x.kind))].join(', ')})`);
          continue;
        }
        const reasons = rollouts.map((ro) => validate(ro)).filter(Boolean) as string[];
        if (reasons.length) {
          for (const r of reasons) assert.match(r, /not available in this installation/, `${rel}: ${r}`);
          listing.push(`${rel}: skipped — ${reasons[0].replace(/^.*is invalid: /, '')}`);
          continue;
        }
        const ns = `demo-${d}`;
        await k(['create', 'namespace', ns]);
        await k(['apply', '-n', ns, '-f', '-'], rendered);
        for (const ro of rollouts) runs.push({ file: rel, ns, name: ro.metadata.name!, replicas: ro.spec.replicas ?? 1 });
      }
    else listing.push(`rollouts-demo examples: not found at ${DEMO_EXAMPLES}`);
    const results = await Promise.all(
      runs.map(async (r) => {
        const s = Date.now();
        const st = await kubectl(['argo', 'rollouts', 'status', r.name, '-n', r.ns, '--timeout', '150s'], { timeoutMs: 170_000 });
        return { ...r, st, ms: Date.now() - s };
      }),
    );
    for (const r of results) {
      if (r.st.code !== 0) {
        const ro = await json(['get', 'rollout', r.name, '-n', r.ns]).catch((e) => String(e));
        const pods = (await kubectl(['get', 'rs,pods', '-n', r.ns, '-o', 'wide'])).stdout;
        assert.fail(`${r.file} ${r.name}: kubectl argo rollouts status exited ${r.st.code}: ${r.st.stdout}${r.st.stderr}\nstatus: ${JSON.stringify(ro.status ?? ro)}\n${pods}\ncontroller log:\n${await controllerLog()}`);
      }
      assert.match(r.st.stdout, /Healthy/, `${r.file} ${r.name}`);
      const ro = await json(['get', 'rollout', r.name, '-n', r.ns]);
      assert.equal(ro.status.phase, 'Healthy', `${r.file} ${r.name}`);
      assert.equal(ro.status.availableReplicas ?? 0, r.replicas, `${r.file} ${r.name}: available replicas`);
      const running = (await json(['get', 'pods', '-n', r.ns])).items.filter((p: any) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp && p.metadata.labels?.['rollouts-pod-template-hash'] === ro.status.stableRS);
      assert.equal(running.length, r.replicas, `${r.file} ${r.name}: running pods of the stable ReplicaSet`);
      listing.push(`${r.file} ${r.name}: Healthy in ${(r.ms / 1000).toFixed(1)} s (${r.replicas} pods)`);
    }
    console.log(listing.sort().map((l) => `# ${l}`).join('\n'));
    assert.ok(results.length >= 11, `example Rollouts run: ${results.length}`);
    timings['examples Healthy'] = Date.now() - t;
    // free the machine for what follows
    await Promise.all(results.map((r) => r.ns).filter((x, i, a) => a.indexOf(x) === i).map((ns) => k(['delete', 'namespace', ns, '--wait=false'])));
  });

  it("an Experiment template's Service reaches the experiment's pods and is deleted when the experiment ends", async () => {
    const t = Date.now();
    await k(['create', 'namespace', 'exp']);
    const tpl = (color: string, service?: unknown) => ({
      name: color,
      selector: { matchLabels: { app: 'exp', color } },
      ...(service ? { service } : {}),
      template: { metadata: { labels: { app: 'exp', color } }, spec: { containers: [{ name: 'demo', image: `argoproj/rollouts-demo:${color}`, ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/color', port: 8080 }, periodSeconds: 1 } }] } },
    });
    await apply('exp', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Experiment', metadata: { name: 'colors' }, spec: { duration: '25s', templates: [tpl('orange', { name: 'orange-svc' }), tpl('purple', {}), tpl('green')] } });
    const running = await waitFor('the Experiment Running', async () => {
      const ex = await json(['get', 'experiment', 'colors', '-n', 'exp']);
      return ex.status?.phase === 'Running' ? ex : undefined;
    }, 90_000, 250);
    const names = Object.fromEntries(running.status.templateStatuses.map((s: any) => [s.name, s.serviceName]));
    const purpleRS = running.status.templateStatuses.find((s: any) => s.name === 'purple');
    assert.deepEqual(names, { orange: 'orange-svc', purple: `colors-purple-${purpleRS.podTemplateHash}`, green: undefined });
    const svcs = (await json(['get', 'svc', '-n', 'exp'])).items;
    assert.deepEqual(svcs.map((s: any) => s.metadata.name).sort(), ['orange-svc', names.purple].sort());
    for (const s of svcs) assert.equal(s.metadata.ownerReferences[0].kind, 'Experiment');
    // requests from the green pod to each Service's cluster IP reach that template's pods only
    const green = (await json(['get', 'pods', '-n', 'exp', '-l', 'color=green'])).items[0].metadata.name;
    for (const s of svcs) {
      const want = s.metadata.name === 'orange-svc' ? 'orange' : 'purple';
      const out = await waitFor(`requests through ${s.metadata.name}`, async () => {
        const r = await kubectl(['exec', '-n', 'exp', green, '--', 'sh', '-c', `for i in 1 2 3 4 5 6 7 8 9 10; do curl -s --max-time 5 http://${s.spec.clusterIP}:8080/color; echo; done`]);
        return r.code === 0 && r.stdout.split('\n').filter(Boolean).length === 10 ? r.stdout : undefined;
      }, 30_000, 500);
      assert.deepEqual([...new Set(out.split('\n').filter(Boolean).map((l) => JSON.parse(l)))], [want], `${s.metadata.name}: ${out}`);
    }
    await waitFor('the Experiment Successful', async () => (await json(['get', 'experiment', 'colors', '-n', 'exp'])).status?.phase === 'Successful', 60_000, 500);
    await waitFor('its Services deleted', async () => (await json(['get', 'svc', '-n', 'exp'])).items.length === 0, 30_000, 250);
    timings['experiment services'] = Date.now() - t;
  });

  it('an experiment step with a template weight under the nginx router is refused in the Rollout status', async () => {
    await k(['create', 'namespace', 'expw']);
    await apply('expw', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'weighted' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'weighted' } },
        template: { metadata: { labels: { app: 'weighted' } }, spec: { containers: [{ name: 'demo', image: 'argoproj/rollouts-demo:blue' }] } },
        strategy: { canary: { canaryService: 'weighted-canary', stableService: 'weighted-stable', trafficRouting: { nginx: { stableIngress: 'weighted' } }, steps: [{ setWeight: 10 }, { experiment: { templates: [{ name: 'canary', specRef: 'canary', weight: 10 }] } }] } },
      },
    });
    const ro = await waitFor('the Rollout Degraded', async () => {
      const r = await json(['get', 'rollout', 'weighted', '-n', 'expw']);
      return r.status?.phase === 'Degraded' ? r : undefined;
    }, 30_000, 250);
    assert.match(ro.status.message, /^InvalidSpec: The Rollout "weighted" is invalid: spec\.strategy\.canary\.steps\[1\]\.experiment\.templates\[0\]\.weight: Invalid value: 10: .*SMI, ALB and Istio.*the nginx router cannot send it/);
    assert.ok(ro.status.conditions.some((c: any) => c.type === 'InvalidSpec' && c.status === 'True'));
    const st = await kubectl(['argo', 'rollouts', 'status', 'weighted', '-n', 'expw', '--timeout', '5s']);
    assert.notEqual(st.code, 0);
    assert.match(st.stdout + st.stderr, /Degraded/);
    assert.equal((await json(['get', 'rs', '-n', 'expw'])).items.length, 0, 'nothing is created for a refused spec');
  });

  it('workloadRef migration from a running Deployment: scaleDown never, onsuccess, progressively', async () => {
    const t = Date.now();
    await k(['create', 'namespace', 'migrate']);
    const modes = ['never', 'onsuccess', 'progressively'] as const;
    for (const m of modes) {
      const app = `web-${m}`;
      await apply('migrate', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app }, spec: { replicas: 2, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'demo', image: 'argoproj/rollouts-demo:blue', readinessProbe: { httpGet: { path: '/color', port: 8080 }, periodSeconds: 1 } }] } } } });
    }
    for (const m of modes) await k(['rollout', 'status', '-n', 'migrate', `deployment/web-${m}`, '--timeout=90s']);
    // every value the progressively-migrated Deployment's replicas take (a watch sees each update)
    watch = spawn('kubectl', ['get', 'deploy', 'web-progressively', '-n', 'migrate', '--watch', '-o', 'jsonpath={.spec.replicas}{"\\n"}'], { env: { PATH: process.env.PATH, HOME: join(dir, 'home'), KUBECONFIG: up!.kubeconfig }, stdio: ['ignore', 'pipe', 'ignore'] });
    let watched = '';
    watch.stdout!.on('data', (d) => (watched += d));
    for (const m of modes) {
      await apply('migrate', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: `web-${m}` }, spec: { replicas: 2, workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `web-${m}`, scaleDown: m }, strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } } });
    }
    const deadline = Date.now() + 120_000;
    let healthy: Record<string, any> = {};
    while (Date.now() < deadline) {
      healthy = Object.fromEntries(await Promise.all(modes.map(async (m) => [m, await json(['get', 'rollout', `web-${m}`, '-n', 'migrate'])])));
      if (modes.every((m) => healthy[m].status?.phase === 'Healthy')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const m of modes) assert.equal(healthy[m].status?.phase, 'Healthy', `web-${m}: ${JSON.stringify(healthy[m].status)}\n${await controllerLog()}`);
    const deploy = async (m: string) => (await json(['get', 'deploy', `web-${m}`, '-n', 'migrate'])).spec.replicas;
    await waitFor('onsuccess: the Deployment scaled to 0', async () => (await deploy('onsuccess')) === 0, 30_000, 250);
    await waitFor('progressively: the Deployment at 0', async () => (await deploy('progressively')) === 0, 30_000, 250);
    assert.equal(await deploy('never'), 2, 'never: the Deployment is left as it is');
    for (const m of modes) {
      const pods = (await json(['get', 'pods', '-n', 'migrate', '-l', `app=web-${m}`])).items.filter((p: any) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp && p.metadata.labels['rollouts-pod-template-hash']);
      assert.equal(pods.length, 2, `web-${m}: the Rollout's 2 pods run`);
    }
    watch.kill();
    const seen = watched.split('\n').filter(Boolean).filter((x, i, a) => a[i - 1] !== x);
    assert.deepEqual([seen[0], seen.at(-1)], ['2', '0'], `progressively: ${seen.join(' → ')}`);
    console.log(`# progressively: the Deployment's replicas went ${seen.join(' → ')} as the Rollout's pods became available`);
    timings['workloadRef migration'] = Date.now() - t;
  });
});
