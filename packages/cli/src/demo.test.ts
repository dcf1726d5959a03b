/** `flotilla demo pipeline`: the example's manifests, the follower's views, and the command's flags and refusals. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseYamlDocuments } from '@flotilla/repo-server';
import { FLOTILLA_MAIN } from '@flotilla/kube-runtime/testkit';
import { currentWeight, DEMO_NS, loadDemo, rolloutView, setPauses, Stages, stepOutput, validColor, workflowLine } from './demo-logic.js';
import { DEMO_FLAGS } from './demo.js';
import { HELP } from './help.js';
import { CM_KEY, extensionConfig, SECRET_KEY, VIEWER_SA } from './demo-extension.js';
import { parseExtensions } from '@flotilla/argocd-server/extensions-config';
const parse = (t: string) => parseYamlDocuments(t, 'test')[0] as any;

const run = (args: string[]) => spawnSync(process.execPath, [FLOTILLA_MAIN, ...args], { encoding: 'utf8', env: { ...process.env, FLOTILLA_DATA_DIR: '/nonexistent/flotilla' } });

describe('examples/pipeline', () => {
  const objs = loadDemo();
  const find = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata?.name === name) as any;

  it('has every piece of the loop, each in the demo namespace except the Application', () => {
    for (const [kind, name] of [
      ['Namespace', DEMO_NS], ['Deployment', 'git-server'], ['Service', 'git-server'], ['PersistentVolumeClaim', 'git-repos'],
      ['WorkflowTemplate', 'ci'], ['Secret', 'git-credentials'], ['EventBus', 'default'], ['EventSource', 'git-push'], ['Sensor', 'ci'], ['Application', 'pipeline-demo'],
    ]) assert.ok(find(kind, name), `${kind} ${name}`);
    for (const o of objs) if (o.kind !== 'Namespace') assert.equal(o.metadata?.namespace, o.kind === 'Application' ? 'argocd' : DEMO_NS, `${o.kind} ${o.metadata?.name}`);
    assert.equal(objs[0].kind, 'Namespace');
  });

  it("the seeded deploy repository holds a canary Rollout 20 → pause 15 s → 50 → pause 15 s → 100 and its Service", () => {
    const seed = find('ConfigMap', 'git-seed');
    const ro = parse(seed.data['deploy.rollout.yaml']);
    assert.equal(ro.kind, 'Rollout');
    assert.deepEqual(ro.spec.strategy.canary.steps, [{ setWeight: 20 }, { pause: { duration: '15s' } }, { setWeight: 50 }, { pause: { duration: '15s' } }, { setWeight: 100 }]);
    assert.match(ro.spec.template.spec.containers[0].image, /^argoproj\/rollouts-demo:blue$/);
    assert.equal(parse(seed.data['deploy.service.yaml']).spec.selector.app, 'rollouts-demo');
    // the deploy repository's Ingress: class nginx, to the Service's named port
    const ing = parse(seed.data['deploy.ingress.yaml']);
    assert.equal(ing.kind, 'Ingress');
    assert.equal(ing.spec.ingressClassName, 'nginx');
    assert.deepEqual(ing.spec.rules[0].http.paths[0].backend.service, { name: 'rollouts-demo', port: { name: 'http' } });
    assert.equal(seed.data['app.color'].trim(), 'blue');
    // the analysis: the canary's color (the pod template's label) against Prometheus, from step 1
    assert.deepEqual(ro.spec.strategy.canary.analysis, { templates: [{ templateName: 'error-rate' }], startingStep: 1, args: [{ name: 'color', valueFrom: { fieldRef: { fieldPath: 'spec.template.metadata.labels.color' } } }] });
    assert.equal(ro.spec.template.metadata.labels.color, 'blue');
    const at = parse(seed.data['deploy.analysis.yaml']);
    assert.equal(at.metadata.name, 'error-rate');
    assert.match(at.spec.metrics[0].provider.prometheus.address, /^http:\/\/prometheus\.flotilla-demo\.svc\.cluster\.local:9090$/);
    assert.match(at.spec.metrics[0].provider.prometheus.query, /color="\{\{args\.color\}\}"/);
    assert.ok(find('Deployment', 'prometheus') && find('Service', 'rollouts-demo-pods').spec.clusterIP === 'None');
  });

  it("the proxy extension argo-workflows: argocd-server's parser takes the demo's config; the viewer may only read EventSources, Sensors and Workflows of the demo namespace", () => {
    const { extensions, errors } = parseExtensions({ [CM_KEY]: extensionConfig() }, { [SECRET_KEY]: 'Bearer t0ken' });
    assert.deepEqual(errors, []);
    const svc = extensions.get('argo-workflows')!.backend.services;
    assert.equal(svc.length, 1);
    assert.equal(svc[0].url.href, 'https://argo-server.argo.svc.cluster.local:2746/');
    assert.deepEqual(svc[0].headers, [{ name: 'Authorization', value: 'Bearer t0ken' }]);
    assert.match(parseExtensions({ [CM_KEY]: extensionConfig() }, {}).errors[0], /argocd-secret has no key "extension\.argo-workflows\.authorization"/);
    assert.ok(find('ServiceAccount', VIEWER_SA));
    assert.deepEqual(find('Role', VIEWER_SA).rules, [{ apiGroups: ['argoproj.io'], resources: ['eventsources', 'sensors', 'workflows'], verbs: ['get', 'list', 'watch'] }]);
    assert.deepEqual(find('RoleBinding', VIEWER_SA).subjects, [{ kind: 'ServiceAccount', name: VIEWER_SA, namespace: DEMO_NS }]);
  });

  it('--pause-seconds rewrites the pauses of the seeded Rollout only', () => {
    const seed = loadDemo(undefined, { pauseSeconds: 0 }).find((o) => o.metadata?.name === 'git-seed') as any;
    assert.deepEqual(parse(seed.data['deploy.rollout.yaml']).spec.strategy.canary.steps.filter((s: any) => s.pause), [{ pause: { duration: '0s' } }, { pause: { duration: '0s' } }]);
    assert.equal(setPauses('- pause: {duration: 1m}\n- pause: {}\n', 3), '- pause: {duration: 3s}\n- pause: {}\n');
  });

  it('the Sensor submits the ci template with the pushed commit; the hooks post to the EventSource and Argo CD', () => {
    const s = find('Sensor', 'ci');
    const t = s.spec.triggers[0].template.k8s;
    assert.equal(t.source.resource.spec.workflowTemplateRef.name, 'ci');
    assert.deepEqual(t.parameters[0], { src: { dependencyName: 'push', dataKey: 'body.after' }, dest: 'spec.arguments.parameters.0.value' });
    const env = Object.fromEntries(find('Deployment', 'git-server').spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    assert.equal(env.APP_PUSH_WEBHOOK, `http://git-push-eventsource-svc.${DEMO_NS}.svc.cluster.local:12000/push`);
    assert.equal(env.DEPLOY_REPO_URL, find('Application', 'pipeline-demo').spec.source.repoURL);
  });

  it('a directory without manifests, or a bad one, is refused naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-'));
    try {
      assert.throws(() => loadDemo(dir), new RegExp(`${dir}: no manifests`));
      writeFileSync(join(dir, 'x.yaml'), 'kind: ConfigMap\napiVersion: v1\nmetadata: {}\n');
      assert.throws(() => loadDemo(dir), /x\.yaml.*ConfigMap has no metadata\.name/);
      writeFileSync(join(dir, 'x.yaml'), 'kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n');
      assert.throws(() => loadDemo(dir, { pauseSeconds: 0 }), /git-seed has no deploy\.rollout\.yaml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the follower', () => {
  const steps = [{ setWeight: 20 }, { pause: { duration: '15s' } }, { setWeight: 50 }, { pause: { duration: '15s' } }, { setWeight: 100 }];
  const ro = (status: any, image = 'argoproj/rollouts-demo:yellow') => ({ metadata: { generation: 2 }, spec: { strategy: { canary: { steps } }, template: { spec: { containers: [{ image }] } } }, status: { observedGeneration: '2', ...status } });

  it('reads canary weights and the end of a rollout', () => {
    assert.equal(currentWeight(steps, 0), 0);
    assert.equal(currentWeight(steps, 2), 20);
    assert.equal(currentWeight(steps, 4), 50);
    assert.equal(currentWeight(steps, 5), 100);
    const paused = rolloutView(ro({ phase: 'Paused', currentStepIndex: 1, currentPodHash: 'b', stableRS: 'a' }));
    assert.deepEqual([paused.step, paused.weight, paused.done, paused.aborted], ['1/5', 20, false, false]);
    const done = rolloutView(ro({ phase: 'Healthy', currentStepIndex: 5, currentPodHash: 'b', stableRS: 'b' }));
    assert.deepEqual([done.weight, done.done], [100, true]);
    const aborted = rolloutView(ro({ phase: 'Degraded', abort: true, currentStepIndex: 0, currentPodHash: 'b', stableRS: 'a', canary: { weights: { canary: { weight: 0 } } } }));
    assert.deepEqual([aborted.aborted, aborted.done, aborted.weight], [true, false, 0]);
    // a spec the controller has not seen yet is not done
    assert.equal(rolloutView({ ...ro({ phase: 'Healthy', currentPodHash: 'a', stableRS: 'a' }), metadata: { generation: 3 } }).done, false);
  });

  it("summarises a Workflow's steps and reads their outputs", () => {
    const wf = { status: { phase: 'Running', nodes: {
      a: { type: 'Steps', displayName: 'ci-x', phase: 'Running' },
      b: { type: 'Pod', displayName: 'test', phase: 'Succeeded', startedAt: '2026-01-01T00:00:01Z' },
      c: { type: 'Pod', displayName: 'build', phase: 'Running', startedAt: '2026-01-01T00:00:05Z', outputs: { parameters: [{ name: 'image', value: 'argoproj/rollouts-demo:red\n' }] } },
    } } };
    assert.equal(workflowLine(wf), 'Running (test Succeeded, build Running)');
    assert.equal(stepOutput(wf, 'build', 'image'), 'argoproj/rollouts-demo:red');
    assert.equal(stepOutput(wf, 'deploy', 'revision'), undefined);
    assert.equal(workflowLine({}), 'Pending');
  });

  it('times stages back to back', () => {
    const s = new Stages(1000);
    assert.equal(s.done('a', 3000), 2000);
    assert.equal(s.done('bb', 3500), 500);
    assert.equal(s.total(4000), 3000);
    assert.match(s.table(), /^ {2}a {3}\s+2\.0 s\n {2}bb\s+0\.5 s$/);
  });

  it('accepts color names only', () => {
    for (const c of ['yellow', 'bad-red', 'slow-green']) assert.ok(validColor(c), c);
    for (const c of ['', 'Red', 'red;rm', 'red-', '../x']) assert.ok(!validColor(c), c);
  });
});

describe('flotilla demo', () => {
  it('--help documents exactly the flags it takes', () => {
    const r = run(['demo', '--help']);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, HELP.demo);
    const documented = new Set([...HELP.demo.matchAll(/^\s+(?:-\w, )?--([a-z-]+) +(?:string|int) {2,}|^\s+(?:-\w, )?--([a-z-]+) {3,}/gm)].map((m) => m[1] ?? m[2]));
    assert.deepEqual([...documented].sort(), Object.keys(DEMO_FLAGS).sort());
    assert.match(run(['--help']).stdout, /\n {2}demo pipeline /);
  });

  it('refuses bad input naming it', () => {
    const cases: [string[], RegExp][] = [
      [['demo'], /which demo\?.*flotilla demo pipeline/],
      [['demo', 'other'], /unknown demo "other"/],
      [['demo', 'pipeline', '--push', 'Red!'], /--push: "Red!" is not a color name/],
      [['demo', 'pipeline', '--push', 'red', '--delete'], /--delete and --push cannot be used together/],
      [['demo', 'pipeline', '--timeout', 'x'], /--timeout: "x" is not a number/],
      [['demo', 'pipeline', '--pause-seconds=-1'], /--pause-seconds: "-1" is not a number/],
      [['demo', 'pipeline', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    const r = run(['demo', 'pipeline']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no kubeconfig at \/nonexistent\/flotilla\/kubeconfig: start the cluster with 'flotilla up' first/);
  });
});
