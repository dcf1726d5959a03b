/**
 * The command line without a cluster: help, version, lint of files and directories, submit's refusal of
 * invalid workflows (before any request), --dry-run, and the pure helpers behind submit/resubmit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli.js';
import { io } from '@flotilla/cli-kit/io';
import { nodeSelector, parsePairs } from './backend.js';
import { applySubmitOpts, checkResumable, resubmitted, setNodes, stopNodes, workflowFrom } from './kube.js';
import { parameterFileArgs } from './commands/submit.js';
import { applyCronFlags, nextRun, printCron } from './commands/resources.js';
import { outputParameters } from './commands/workflows.js';
import { artifactFileName } from './commands/misc.js';

let dir: string;
const saved = { ...io };
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  io.out = (s: string) => void (out += s);
  io.err = (s: string) => void (err += s);
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    Object.assign(io, saved);
  }
}

const HELLO = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-world-
spec:
  entrypoint: hello-world
  arguments:
    parameters: [{name: message, value: hi}]
  templates:
  - name: hello-world
    container:
      image: busybox
      command: [echo]
      args: ["{{workflow.parameters.message}}"]
`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'argo-cli-'));
  // a kubeconfig whose server answers nothing: these commands must not need it
  writeFileSync(join(dir, 'kubeconfig'), `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: team-a}}]
current-context: x
`);
  process.env.KUBECONFIG = join(dir, 'kubeconfig');
  delete process.env.ARGO_SERVER;
  writeFileSync(join(dir, 'hello.yaml'), HELLO);
  writeFileSync(join(dir, 'bad.yaml'), HELLO.replace('entrypoint: hello-world', 'entrypoint: nope'));
  mkdirSync(join(dir, 'dir'));
  writeFileSync(join(dir, 'dir', 'a.yaml'), HELLO);
  writeFileSync(join(dir, 'dir', 'b.yaml'), HELLO.replace('- name: hello-world\n', '- name: hello-world\n    steps: [[{name: x, template: missing}]]\n'));
  writeFileSync(join(dir, 'params.yaml'), 'message: from-file\ncount: 3\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('argo (no cluster needed)', () => {
  it('help lists the commands; an unknown command fails', async () => {
    const h = await run('--help');
    assert.equal(h.code, 0);
    for (const c of ['submit', 'list', 'get', 'logs', 'watch', 'wait', 'delete', 'retry', 'resubmit', 'suspend', 'resume', 'stop', 'terminate', 'lint', 'template', 'cluster-template', 'cron', 'archive', 'auth', 'server', 'version']) assert.match(h.out, new RegExp(`\\n  ${c} +\\S`), c);
    const bad = await run('frobnicate');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /unknown command "frobnicate" for "argo"/);
  });

  it('argo completion bash|zsh|fish|powershell: a script completing the commands; another shell is an error (upstream\'s TestCompletion)', async () => {
    const b = await run('completion', 'bash');
    assert.equal(b.code, 0, b.err);
    assert.match(b.out, /^# bash completion for argo /);
    assert.match(b.out, /words="[^"]*\bsubmit\b[^"]*\bcron\b/);
    assert.match(b.out, /cron\) words="[^"]*\bcreate\b/);
    assert.match(b.out, /\ncomplete -F _argo argo\n$/);
    assert.match((await run('completion', 'zsh')).out, /^#compdef argo\n/);
    const bad = await run('completion', 'tcsh');
    assert.equal(bad.code, 1);
    assert.equal(bad.err, 'Error: unsupported shell type "tcsh"\n');
  });

  it('argo version', async () => {
    const v = await run('version');
    assert.equal(v.code, 0);
    assert.match(v.out, /^argo: v3\.\d+\.\d+\+flotilla\n  BuildDate: /);
    assert.equal((await run('version', '--short')).out.split('\n').length, 2);
  });

  it('argo lint: a good file; a directory with one bad file (exit 1, the file and the template named)', async () => {
    const good = await run('lint', join(dir, 'hello.yaml'));
    assert.equal(good.code, 0, good.err);
    assert.equal(good.out, '✔ no linting errors found!\n');
    const d = await run('lint', join(dir, 'dir'));
    assert.equal(d.code, 1);
    assert.equal(d.out, `${join(dir, 'dir', 'b.yaml')}:\n   ✖ in "hello-world-" (Workflow): templates.hello-world: template must specify exactly one of container, script, resource, suspend, steps, dag, data, http, containerSet, plugin (found container, steps)\n   ✖ in "hello-world-" (Workflow): templates.hello-world.steps[0].x.template: template 'missing' not found\n\n✖ 2 linting errors found!\n`);
    const simple = await run('lint', '-o', 'simple', join(dir, 'bad.yaml'));
    assert.equal(simple.code, 1);
    assert.equal(simple.out, `${join(dir, 'bad.yaml')}: in "hello-world-" (Workflow): spec.entrypoint: template 'nope' not found\n`);
  });

  it("lint --strict (the default) refuses unknown fields of the spec (upstream's TestTemplateCommands/DirLintWithInvalidWFT); --strict=false lets them pass", async () => {
    mkdirSync(join(dir, 'wfts'));
    writeFileSync(join(dir, 'wfts', 'good.yaml'), 'apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: basic}\nspec:\n  entrypoint: main\n  templates: [{name: main, container: {image: busybox}}]\n');
    writeFileSync(join(dir, 'wfts', 'invalid-workflowtemplate.yaml'), 'apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: basic-invalid}\nspec:\n  entrypoints: main\n  templates: [{name: main, container: {image: busybox}}]\n');
    const r = await run('template', 'lint', join(dir, 'wfts'));
    assert.equal(r.code, 1);
    assert.equal(r.out, `${join(dir, 'wfts', 'invalid-workflowtemplate.yaml')}:\n   ✖ in "basic-invalid" (WorkflowTemplate): unknown field "spec.entrypoints"\n\n✖ 1 linting errors found!\n`);
    writeFileSync(join(dir, 'cron-typo.yaml'), 'apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: c}\nspec:\n  schedules: ["* * * * *"]\n  concurency: Allow\n  workflowSpec:\n    entrypoint: main\n    templats: []\n    templates: [{name: main, container: {image: busybox}}]\n');
    const c = await run('cron', 'lint', join(dir, 'cron-typo.yaml'));
    assert.match(c.out, /unknown field "spec\.concurency"\n.*unknown field "spec\.workflowSpec\.templats"\n/s);
    const loose = await run('cron', 'lint', '--strict=false', join(dir, 'cron-typo.yaml'));
    assert.equal(loose.code, 0, loose.out);
  });

  it('argo submit refuses an invalid workflow before any request, with the field named', async () => {
    const r = await run('submit', join(dir, 'bad.yaml'));
    assert.equal(r.code, 1);
    assert.equal(r.err, "Error: Failed to submit workflow: spec.entrypoint: template 'nope' not found\n");
    const missing = await run('submit', join(dir, 'nothere.yaml'));
    assert.equal(missing.code, 1);
    assert.match(missing.err, /open \S+nothere\.yaml: no such file or directory/);
  });

  it('argo submit --dry-run -o yaml: the flags applied, the namespace from the kubeconfig context', async () => {
    const r = await run('submit', '--dry-run', '-o', 'json', join(dir, 'hello.yaml'), '-f', join(dir, 'params.yaml'), '-p', 'extra=1', '--serviceaccount', 'sa1', '--entrypoint', 'hello-world', '-l', 'a=b,c=d', '--generate-name', 'hw-');
    assert.equal(r.code, 0, r.err);
    const wf = JSON.parse(r.out);
    assert.equal(wf.metadata.namespace, 'team-a');
    assert.equal(wf.metadata.generateName, 'hw-');
    assert.deepEqual(wf.metadata.labels, { a: 'b', c: 'd' });
    assert.equal(wf.spec.serviceAccountName, 'sa1');
    assert.deepEqual(wf.spec.arguments.parameters, [{ name: 'message', value: 'from-file' }, { name: 'count', value: '3' }, { name: 'extra', value: '1' }]);
  });

  it("argo submit: YAML numbers where Argo wants strings are sent as strings, as upstream's typed decoding does (upstream's TestWait: `command: [sleep, 5]`)", async () => {
    writeFileSync(join(dir, 'ints.yaml'), `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: ints-
  labels: {build: 42}
spec:
  entrypoint: main
  arguments: {parameters: [{name: n, value: 3}]}
  templates:
  - name: main
    steps:
    - - name: s
        template: sleep
        withItems: [1, 2]
        when: true
  - name: sleep
    container:
      image: busybox
      command: [sleep, 5]
      args: [1.5, true]
      env: [{name: X, value: 7}]
`);
    const r = await run('submit', '--dry-run', '-o', 'json', join(dir, 'ints.yaml'));
    assert.equal(r.code, 0, r.err);
    const wf = JSON.parse(r.out);
    const c = wf.spec.templates[1].container;
    assert.deepEqual([c.command, c.args, c.env[0].value], [['sleep', '5'], ['1.5', 'true'], '7']);
    assert.deepEqual([wf.metadata.labels.build, wf.spec.arguments.parameters[0].value, wf.spec.templates[0].steps[0][0].when], ['42', '3', 'true']);
    assert.deepEqual(wf.spec.templates[0].steps[0][0].withItems, [1, 2], 'items keep their type');
  });

  it('the Kubernetes API unreachable: "Error: …" naming the server (as v3.6 prints a returned error), exit 1', async () => {
    const r = await run('list', '-n', 'argo');
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: .*127\.0\.0\.1:1/);
    assert.doesNotMatch(r.err, /Usage:|level=fatal/);
  });

  it("argument counts as cobra's validators word them (upstream's TestTemplateCommands/LintWithoutArgs): Error, then the usage, exit 1", async () => {
    const r = await run('template', 'lint');
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /^Error: requires at least 1 arg\(s\), only received 0\nUsage:\n  argo template lint FILE\.\.\. \[flags\]\n/);
    const w = await run('watch', 'a', 'b');
    assert.match(w.err, /^Error: accepts 1 arg\(s\), received 2\nUsage:/);
    const d = await run('delete');
    assert.deepEqual([d.code, d.out], [1, '']);
    assert.match(d.err, /^Error: requires either a workflow or other argument\nUsage:\n  argo delete /);
    const l = await run('logs', 'a', 'b', 'c');
    assert.match(l.err, /^Error: accepts between 1 and 2 arg\(s\), received 3\nUsage:/);
  });

  it("argo submit of a file that is not YAML: \"yaml file at index N is not valid: …\" (upstream's TestSubmitInvalidWf)", async () => {
    writeFileSync(join(dir, 'not-yaml.yaml'), 'kind: Workflow\nspec:\n  templates:\n    - args: [echo, ":("]-this-is-invalid-yaml\n');
    const r = await run('submit', join(dir, 'not-yaml.yaml'));
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: yaml file at index 0 is not valid: \S/);
  });

  it('-v / --loglevel=debug: the "CLI version" debug line first; -v in Kubernetes API mode also client-go\'s "Config loaded from file" line, --loglevel=debug not (upstream\'s TestLogLevels, TestGLogLevels)', async () => {
    for (const flags of [['-v'], ['--loglevel=debug'], ['--loglevel', 'debug']]) {
      const r = await run(...flags, 'list', '-n', 'argo');
      assert.match(r.err, /^time="[^"]+" level=debug msg="CLI version: v3\.6\.0\+flotilla"\n/, flags.join(' '));
      if (flags[0] === '-v') assert.match(r.err, /\nI\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ loader\.go:395\] Config loaded from file: {2}\S+kubeconfig\n/);
      else assert.doesNotMatch(r.err, /Config loaded from file/);
    }
    const g = await run('--gloglevel=6', 'list', '-n', 'argo');
    assert.match(g.err, /Config loaded from file/);
    assert.doesNotMatch(g.err, /CLI version/);
  });
});

describe('submit helpers', () => {
  it('parameters: pairs, files, overrides', () => {
    assert.deepEqual(parsePairs(['a=1', 'b=x=y']), { a: '1', b: 'x=y' });
    assert.throws(() => parsePairs(['novalue']), /Expected parameter of the form: NAME=VALUE\. Received: novalue/);
    assert.deepEqual(parameterFileArgs('a: 1\nb: [1, 2]\nc: text\n', 'f'), ['a=1', 'b=[1,2]', 'c=text']);
    const wf: any = { metadata: { name: 'x' }, spec: { arguments: { parameters: [{ name: 'a', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }] } } };
    applySubmitOpts(wf, { parameters: ['a=2'], generateName: 'y-', priority: 5 });
    assert.deepEqual(wf, { metadata: { generateName: 'y-' }, spec: { priority: 5, arguments: { parameters: [{ name: 'a', value: '2' }] } } });
  });

  it('--from workflowtemplate / clusterworkflowtemplate / cronwf', () => {
    assert.deepEqual(workflowFrom('workflowtemplates', { metadata: { name: 't' } }, { parameters: ['p=1'] }), {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { generateName: 't-', labels: { 'workflows.argoproj.io/workflow-template': 't' } },
      spec: { workflowTemplateRef: { name: 't' }, arguments: { parameters: [{ name: 'p', value: '1' }] } },
    });
    assert.deepEqual(workflowFrom('clusterworkflowtemplates', { metadata: { name: 'c' } }, {}).spec, { workflowTemplateRef: { name: 'c', clusterScope: true } });
    const cron = workflowFrom('cronworkflows', { metadata: { name: 'cw' }, spec: { schedule: '* * * * *', workflowSpec: { entrypoint: 'main' } } }, {});
    assert.deepEqual(cron.metadata, { generateName: 'cw-', labels: { 'workflows.argoproj.io/cron-workflow': 'cw' } });
    assert.deepEqual(cron.spec, { entrypoint: 'main' });
  });

  it('resubmit: same spec, new name, labels cleaned; --memoized keeps succeeded pods only of a failed workflow', () => {
    const wf: any = { metadata: { name: 'w-abc', generateName: 'w-', labels: { 'workflows.argoproj.io/completed': 'true', team: 'x' } }, spec: { entrypoint: 'm', shutdown: 'Stop' }, status: { phase: 'Failed', nodes: { a: { type: 'Pod', phase: 'Succeeded' }, b: { type: 'Pod', phase: 'Failed' } } } };
    const r = resubmitted(wf, { memoized: true });
    assert.deepEqual(r.metadata.labels, { team: 'x', 'workflows.argoproj.io/resubmitted-from-workflow': 'w-abc' });
    assert.equal(r.metadata.generateName, 'w-');
    assert.deepEqual(r.spec, { entrypoint: 'm' });
    assert.deepEqual(Object.keys(r.status.nodes), ['a']);
  });

  it('node field selectors', () => {
    const sel = nodeSelector('displayName=a,phase!=Succeeded,inputs.parameters.p.value=v')!;
    assert.equal(sel({ displayName: 'a', phase: 'Failed', inputs: { parameters: [{ name: 'p', value: 'v' }] } }), true);
    assert.equal(sel({ displayName: 'a', phase: 'Succeeded', inputs: { parameters: [{ name: 'p', value: 'v' }] } }), false);
  });
});

describe('argo cp', () => {
  it("names a file after the last element of the artifact's key (upstream's TestWorkflowCopyArtifact: main.log, hello_world.tgz)", () => {
    assert.equal(artifactFileName({ name: 'main-logs', s3: { key: 'wf/wf-123/main.log' } }), 'main.log');
    assert.equal(artifactFileName({ name: 'hello_world', s3: { key: 'wf/wf-123/hello_world.tgz' } }), 'hello_world.tgz');
    assert.equal(artifactFileName({ name: 'dir', gcs: { key: 'a/b/dir/' } }), 'dir');
    assert.equal(artifactFileName({ name: 'page', http: { url: 'https://x.example/a/page.html?x=1' } }), 'page.html');
    assert.equal(artifactFileName({ name: 'greeting', raw: { data: 'hi' } }), 'greeting');
  });
});

describe('cron', () => {
  it("cron create's flags (upstream's TestCronCommands: --schedule, -p, --name, --generate-name, -l)", () => {
    const c: any = { metadata: { name: 'c', labels: { a: '1' } }, spec: { schedules: ['* * * * *'], workflowSpec: { entrypoint: 'main', arguments: { parameters: [{ name: 'message', value: 'foo' }] } } } };
    applyCronFlags(c, { schedule: '1 2 3 * *', parameter: ['message="bar test passed"', 'extra=1'], generateName: 'g-', labels: 'b=2, c=3', serviceaccount: 'sa', entrypoint: 'other' });
    assert.deepEqual(c.metadata, { generateName: 'g-', labels: { a: '1', b: '2', c: '3' } });
    assert.equal(c.spec.schedule, '1 2 3 * *');
    assert.equal(c.spec.schedules, undefined);
    assert.deepEqual(c.spec.workflowSpec, { entrypoint: 'other', serviceAccountName: 'sa', arguments: { parameters: [{ name: 'message', value: '"bar test passed"' }, { name: 'extra', value: '1' }] } });
    const shown = printCron({ ...c, metadata: { name: 'c', namespace: 'argo', creationTimestamp: new Date().toISOString() } });
    assert.match(shown, /\nSchedules:                     1 2 3 \* \*\n/);
    assert.match(shown, /\nWorkflow Parameters:           \n  message:                     "bar test passed"\n  extra:                       1\n$/);
    const n: any = { metadata: { name: 'c' }, spec: {} };
    applyCronFlags(n, { name: 'renamed', generateName: 'ignored-' });
    assert.equal(n.metadata.name, 'renamed');
  });

  it('the next run of the earliest schedule, in the schedule\'s time zone; none when suspended', async () => {
    const now = new Date('2026-12-05T10:00:00Z');
    assert.equal((await nextRun({ spec: { schedule: '0 3 * * *' } }, now))?.toISOString(), '2026-12-06T03:00:00.000Z');
    assert.equal((await nextRun({ spec: { schedules: ['0 3 * * *', '30 10 * * *'] } }, now))?.toISOString(), '2026-12-05T10:30:00.000Z');
    assert.equal((await nextRun({ spec: { schedule: '0 3 * * *', timezone: 'America/New_York' } }, now))?.toISOString(), '2026-12-06T08:00:00.000Z');
    assert.equal(await nextRun({ spec: { schedule: '0 3 * * *', suspend: true } }, now), undefined);
  });
});

describe('argo node set, resume and stop of suspend nodes (Kubernetes API mode)', () => {
  const wf: any = {
    metadata: { name: 'w' },
    spec: { templates: [{ name: 'approve', suspend: {}, outputs: { parameters: [{ name: 'answer', valueFrom: { supplied: {} } }] } }, { name: 'plain', suspend: {} }, { name: 'work', container: { image: 'x' } }] },
    status: { nodes: { s: { id: 's', displayName: 'approve', templateName: 'approve', type: 'Suspend', phase: 'Running' }, n: { id: 'n', displayName: 'approve-no-vars', templateName: 'plain', type: 'Suspend', phase: 'Running' }, p: { id: 'p', displayName: 'work', templateName: 'work', type: 'Pod', phase: 'Running' } } },
  };
  it('sets the selected nodes only; output parameters only on suspend nodes, only those supplied, once (upstream\'s TestArgoSetOutputs)', () => {
    const out = setNodes(wf, nodeSelector('displayName=approve'), { phase: 'Succeeded', message: 'ok', outputParameters: { answer: 'yes' } });
    assert.deepEqual({ ...out.status!.nodes!.s, finishedAt: 'x' }, { id: 's', displayName: 'approve', templateName: 'approve', type: 'Suspend', phase: 'Succeeded', message: 'ok', finishedAt: 'x', outputs: { parameters: [{ name: 'answer', value: 'yes' }] } });
    assert.equal(out.status!.nodes!.p.phase, 'Running');
    assert.equal(wf.status.nodes.s.phase, 'Running', 'the input is not changed');
    assert.throws(() => setNodes(out, nodeSelector('displayName=approve'), { outputParameters: { answer: 'again' } }), /cannot set output parameter 'answer' because it was already set/);
    assert.throws(() => setNodes(wf, nodeSelector('displayName=approve-no-vars'), { outputParameters: { answer: 'x' } }), /cannot set output parameters because node is not expecting any raw parameters/);
    assert.throws(() => setNodes(wf, nodeSelector('displayName=approve'), { outputParameters: { other: 'x' } }), /node is not expecting output parameter 'other'/);
    assert.throws(() => setNodes(wf, nodeSelector('displayName=work'), { outputParameters: { a: 'b' } }), /not a suspend node/);
    assert.throws(() => setNodes(wf, nodeSelector('displayName=nobody'), { phase: 'Failed' }), /no node of workflow w matches/);
    // resume waits for the supplied parameter
    assert.throws(() => checkResumable(wf), /output parameter 'answer' of node approve has not been set and does not have a default value/);
    checkResumable(wf, nodeSelector('displayName=approve-no-vars'));
    checkResumable(setNodes(wf, nodeSelector('displayName=approve'), { outputParameters: { answer: 'yes' } }));
  });
  it('--output-parameter message="Hello, World!": the quotes are not part of the value', () => {
    assert.deepEqual(outputParameters(['message="Hello, World!"', 'plain=a "b"', 'esc="a\\"b"']), { message: 'Hello, World!', plain: 'a "b"', esc: 'a"b' });
  });
  it('stop --node-field-selector fails the selected suspend nodes with the message; the workflow is not shut down', () => {
    const out = stopNodes(wf, nodeSelector('displayName=approve-no-vars')!, 'because');
    assert.deepEqual([out.status!.nodes!.n.phase, out.status!.nodes!.n.message, out.status!.nodes!.s.phase, out.spec.shutdown], ['Failed', 'because', 'Running', undefined]);
    assert.throws(() => stopNodes(wf, nodeSelector('displayName=work')!), /no running suspend node of workflow w matches/);
  });
});
