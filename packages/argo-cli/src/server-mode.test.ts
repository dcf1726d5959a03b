/**
 * The argo CLI in argo-server mode (ARGO_SERVER, ARGO_INSECURE_SKIP_VERIFY, ARGO_TOKEN) against the real
 * argo-server (its test environment: an in-process API server with the Workflow CRDs) and a real PostgreSQL
 * for the archive (Debian's binaries; that part is skipped with the reason when absent). No controller runs:
 * workflows are given the status a controller would write, and the commands are checked on what argo-server
 * answers and writes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './cli.js';
import { io } from '@flotilla/cli-kit/io';
// argo-server's own test environment and PostgreSQL starter (built files of the sibling package)
import { postgresBin, startEnv, startPostgres, type Env, type Postgres } from '../../argo-server/dist/testenv.js';

const WF = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows', kind: 'Workflow', namespaced: true };
const ns = 'argo';
const pgSkip = postgresBin().reason;
if (pgSkip) process.stdout.write(`# the archive part is skipped: ${pgSkip}\n`);

let dir: string;
let env: Env;
let pg: Postgres | undefined;
const saved = { ...io };

async function argo(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  io.out = (s: string) => void (out += s);
  io.err = (s: string) => void (err += s);
  const prev = { ...process.env };
  Object.assign(process.env, { ARGO_SERVER: new URL(env.base).host, ARGO_INSECURE_SKIP_VERIFY: 'true', ARGO_NAMESPACE: ns, KUBECONFIG: join(dir, 'no-kubeconfig') });
  try {
    return { code: await main(argv), out, err };
  } finally {
    Object.assign(io, saved);
    for (const k of ['ARGO_SERVER', 'ARGO_INSECURE_SKIP_VERIFY', 'ARGO_NAMESPACE', 'KUBECONFIG']) if (prev[k] === undefined) delete process.env[k];
    Object.assign(process.env, prev);
  }
}

const T = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Gives a workflow the status a controller would write. */
async function setStatus(name: string, phase: string, extra: Record<string, unknown> = {}): Promise<void> {
  const w = await env.client.get<any>(WF, ns, name);
  const t = T();
  const done = ['Succeeded', 'Failed', 'Error'].includes(phase);
  w.metadata.labels = { ...w.metadata.labels, 'workflows.argoproj.io/completed': String(done) };
  w.status = {
    phase,
    startedAt: t,
    ...(done ? { finishedAt: t } : {}),
    progress: done ? '1/1' : '0/1',
    nodes: { [name]: { id: name, name, displayName: name, type: 'Pod', templateName: 'main', phase, startedAt: t, ...(done ? { finishedAt: t, message: phase === 'Failed' ? 'Error (exit code 1)' : undefined } : {}) } },
    ...extra,
  };
  await env.client.update(WF, w);
}

const HELLO = (name: string, labels: Record<string, string> = {}) => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: ${name}
  labels: ${JSON.stringify(labels)}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [echo, hi]}
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'argo-cli-server-'));
  if (!pgSkip) pg = await startPostgres(dir);
  env = await startEnv({
    authModes: ['server'],
    setup: async (c) => {
      if (!pg) return;
      const persistence = { archive: true, archiveLabelSelector: { matchLabels: { 'workflows.argoproj.io/archive-strategy': 'always' } }, postgresql: { host: '127.0.0.1', port: pg.port, database: 'postgres', tableName: 'argo_workflows', userNameSecret: { name: 'pg', key: 'username' }, passwordSecret: { name: 'pg', key: 'password' } } };
      await c.k(['create', 'secret', 'generic', 'pg', '-n', ns, `--from-literal=username=${pg.user}`, `--from-literal=password=${pg.password}`]);
      await c.k(['create', 'configmap', 'workflow-controller-configmap', '-n', ns, `--from-literal=persistence=${JSON.stringify(persistence)}`]);
    },
  });
}, { timeout: 180_000 });

after(async () => {
  await env?.close();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('argo through argo-server (ARGO_SERVER)', { timeout: 180_000 }, () => {
  it('submit (validated first), list, get, wait, delete', async () => {
    writeFileSync(join(dir, 'a.yaml'), HELLO('wf-a'));
    const s = await argo('submit', join(dir, 'a.yaml'));
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /^Name:                wf-a\nNamespace:           argo\n/);
    writeFileSync(join(dir, 'bad.yaml'), HELLO('wf-bad').replace('entrypoint: main', 'entrypoint: nope'));
    const bad = await argo('submit', join(dir, 'bad.yaml'));
    assert.equal(bad.code, 1);
    assert.match(bad.err, /Failed to submit workflow: spec\.entrypoint: template 'nope' not found/);
    await setStatus('wf-a', 'Succeeded');
    const l = await argo('list');
    assert.match(l.out, /^NAME   STATUS      AGE   DURATION   PRIORITY   MESSAGE\nwf-a   Succeeded   \d+s +0s         0          \n$/);
    assert.match((await argo('get', '@latest')).out, /\n ✔ wf-a  main      wf-a     0s        \n$/);
    assert.match((await argo('wait', 'wf-a')).out, /^wf-a Succeeded at \d{4}-/);
    assert.equal((await argo('delete', 'wf-a')).out, "Workflow 'wf-a' deleted\n");
    assert.equal((await argo('list')).out, 'No workflows found\n');
    const missing = await argo('get', 'wf-a');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /not found/);
  });

  it('suspend, resume, stop, terminate, node set, retry, resubmit: what argo-server writes', async () => {
    // (an approval step: a suspend template whose output is supplied by `argo node set`, as upstream requires)
    writeFileSync(join(dir, 'b.yaml'), `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: wf-b
spec:
  entrypoint: main
  templates:
  - name: main
    suspend: {}
    outputs:
      parameters:
      - name: answer
        valueFrom: {supplied: {}}
`);
    assert.equal((await argo('submit', join(dir, 'b.yaml'), '-o', 'name')).out, 'wf-b\n');
    await setStatus('wf-b', 'Running');
    assert.equal((await argo('suspend', 'wf-b')).out, 'workflow wf-b suspended\n');
    assert.equal((await env.client.get<any>(WF, ns, 'wf-b')).spec.suspend, true);
    assert.match((await argo('list')).out, /\nwf-b   Running \(Suspended\)   /);
    assert.equal((await argo('resume', 'wf-b')).out, 'workflow wf-b resumed\n');
    assert.ok(!(await env.client.get<any>(WF, ns, 'wf-b')).spec.suspend);
    assert.equal((await argo('stop', 'wf-b', '--message', 'enough')).out, 'workflow wf-b stopped\n');
    assert.equal((await env.client.get<any>(WF, ns, 'wf-b')).spec.shutdown, 'Stop');
    assert.equal((await argo('terminate', 'wf-b')).out, 'workflow wf-b terminated\n');
    assert.equal((await env.client.get<any>(WF, ns, 'wf-b')).spec.shutdown, 'Terminate');
    // argo node set: the suspend node gets its output and phase
    await setStatus('wf-b', 'Running', { nodes: { 'wf-b': { id: 'wf-b', name: 'wf-b', displayName: 'wf-b', type: 'Suspend', templateName: 'main', phase: 'Running', startedAt: T() } } });
    const set = await argo('node', 'set', 'wf-b', '--node-field-selector', 'displayName=wf-b', '--output-parameter', 'answer=yes', '--phase', 'Succeeded', '--message', 'approved');
    assert.equal(set.code, 0, set.err);
    assert.equal(set.out, 'workflow values set\n');
    const node = (await env.client.get<any>(WF, ns, 'wf-b')).status.nodes['wf-b'];
    assert.deepEqual([node.phase, node.message, node.outputs?.parameters], ['Succeeded', 'approved', [{ name: 'answer', value: 'yes' }]]);
    await setStatus('wf-b', 'Failed');
    const r = await argo('retry', 'wf-b');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Name:                wf-b\n[^]*\nStatus:              Running\n/);
    await setStatus('wf-b', 'Failed');
    const rs = await argo('resubmit', 'wf-b', '-o', 'name');
    assert.equal(rs.code, 0, rs.err);
    const again = rs.out.trim();
    assert.notEqual(again, 'wf-b');
    assert.equal((await env.client.get<any>(WF, ns, again)).metadata.labels['workflows.argoproj.io/resubmitted-from-workflow'], 'wf-b');
  });

  it('template and cron create / list / get / delete, submit --from, lint (server-side)', async () => {
    writeFileSync(join(dir, 't.yaml'), HELLO('say').replace('kind: Workflow', 'kind: WorkflowTemplate'));
    assert.match((await argo('template', 'create', join(dir, 't.yaml'))).out, /^Name:                say\nNamespace:           argo\n/);
    assert.equal((await argo('template', 'list')).out, 'NAME\nsay\n');
    const from = await argo('submit', '--from', 'workflowtemplate/say', '-o', 'json');
    assert.equal(from.code, 0, from.err);
    const w = JSON.parse(from.out);
    assert.deepEqual(w.spec.workflowTemplateRef, { name: 'say' });
    assert.equal(w.metadata.labels['workflows.argoproj.io/workflow-template'], 'say');
    assert.equal((await argo('template', 'delete', 'say')).out, "WorkflowTemplate 'say' deleted\n");
    writeFileSync(join(dir, 'c.yaml'), `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  workflowSpec: {entrypoint: main, templates: [{name: main, container: {image: busybox}}]}
`);
    assert.match((await argo('cron', 'create', join(dir, 'c.yaml'))).out, /^Name:                          nightly\n/);
    assert.equal((await argo('cron', 'suspend', 'nightly')).out, "CronWorkflow 'nightly' suspended\n");
    assert.match((await argo('cron', 'list')).out, /\nnightly\s+\d+s\s+N\/A\s+N\/A\s+0 3 \* \* \*\s+\s+true\n$/);
    assert.equal((await argo('cron', 'delete', 'nightly')).out, "CronWorkflow 'nightly' deleted\n");
    const lint = await argo('lint', join(dir, 'bad.yaml'));
    assert.equal(lint.code, 1);
    assert.match(lint.out, /✖ in "wf-bad" \(Workflow\): .*nope/);
  });

  it("upstream's CLISuite through argo-server: update of templates and crons, cron create's overrides, delete of a missing workflow, the messages of suspend/resume/stop/terminate, retry/resubmit by selector, not-found errors", async () => {
    writeFileSync(join(dir, 'basic-t.yaml'), HELLO('basic').replace('kind: Workflow', 'kind: WorkflowTemplate'));
    assert.equal((await argo('template', 'create', join(dir, 'basic-t.yaml'))).code, 0);
    writeFileSync(join(dir, 'basic-t2.yaml'), HELLO('basic').replace('kind: Workflow', 'kind: WorkflowTemplate').replace(/main/g, 'main-2'));
    const tu = await argo('template', 'update', join(dir, 'basic-t2.yaml'));
    assert.equal(tu.code, 0, tu.err);
    assert.match(tu.out, /^Name:                basic\nNamespace:           argo\nCreated:             /);
    assert.match((await argo('template', 'get', 'basic', '-o', 'yaml')).out, /entrypoint: main-2\n/);
    const nf = await argo('template', 'get', 'not-found');
    assert.equal(nf.code, 1);
    assert.match(nf.err, /^Error: .*"not-found" not found\n$/);
    assert.equal((await argo('template', 'delete', 'basic')).code, 0);
    writeFileSync(join(dir, 'cwft.yaml'), HELLO('cwft').replace('kind: Workflow', 'kind: ClusterWorkflowTemplate'));
    assert.equal((await argo('cluster-template', 'create', join(dir, 'cwft.yaml'))).code, 0);
    writeFileSync(join(dir, 'cwft2.yaml'), HELLO('cwft').replace('kind: Workflow', 'kind: ClusterWorkflowTemplate').replace('echo, hi', 'echo, "Updated: hi"'));
    assert.match((await argo('cluster-template', 'update', join(dir, 'cwft2.yaml'))).out, /^Name:                cwft\nCreated:/);
    assert.match((await argo('cluster-template', 'get', 'cwft', '-o', 'yaml')).out, /Updated: hi/);
    assert.equal((await argo('cluster-template', 'delete', 'cwft')).code, 0);
    const cron = (schedule: string) => `apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: test-cron}\nspec:\n  schedules: ["* * * * *"]\n  concurrencyPolicy: Allow\n${schedule}  workflowSpec: {entrypoint: main, arguments: {parameters: [{name: message, value: foo}]}, templates: [{name: main, container: {image: busybox}}]}\n`;
    writeFileSync(join(dir, 'cron1.yaml'), cron(''));
    writeFileSync(join(dir, 'cron-params.yaml'), 'message: from-file\nother: 2\n');
    const cc = await argo('cron', 'create', join(dir, 'cron1.yaml'), '--schedule', '1 2 3 * *', '-l', 'team=a', '-f', join(dir, 'cron-params.yaml'), '-p', 'message=bar');
    assert.equal(cc.code, 0, cc.err);
    assert.match(cc.out, /\nSchedules:                     1 2 3 \* \*\n/);
    const made = await env.client.get<any>({ ...WF, plural: 'cronworkflows', kind: 'CronWorkflow' }, ns, 'test-cron');
    assert.deepEqual([made.metadata.labels.team, made.spec.workflowSpec.arguments.parameters], ['a', [{ name: 'message', value: 'bar' }, { name: 'other', value: '2' }]]);
    assert.match((await argo('cron', 'list', '-l', 'team=a')).out, /^NAME\s+AGE\s+LAST RUN\s+NEXT RUN\s+SCHEDULES\s+TIMEZONE\s+SUSPENDED\ntest-cron\s/);
    const named = await argo('cron', 'create', join(dir, 'cron1.yaml'), '--name', 'other-name');
    assert.match(named.out, /^Name:                          other-name\n/);
    const gen = await argo('cron', 'create', join(dir, 'cron1.yaml'), '--generate-name', 'gen-');
    assert.match(gen.out, /^Name:                          gen-\w{5}\n/);
    writeFileSync(join(dir, 'cron2.yaml'), cron('').replace('schedules: ["* * * * *"]', 'schedule: "5 5 5 * *"').replace('Allow', 'Replace'));
    const cu = await argo('cron', 'update', join(dir, 'cron2.yaml'));
    assert.equal(cu.code, 0, cu.err);
    assert.match(cu.out, /\nSchedules:                     5 5 5 \* \*\n[^]*ConcurrencyPolicy:             Replace\n/);
    assert.match((await argo('cron', 'get', 'not-found')).err, /^Error: .*"not-found" not found\n$/);
    for (const n of ['test-cron', 'other-name', gen.out.split('\n')[0].split(/\s+/)[1]]) assert.equal((await argo('cron', 'delete', n)).code, 0);

    const nope = await argo('delete', 'not-found');
    assert.deepEqual([nope.code, nope.out], [0, "Workflow 'not-found' not found\n"]);
    writeFileSync(join(dir, 'sel.yaml'), HELLO('wf-sel', { 'workflows.argoproj.io/test': 'true' }));
    assert.equal((await argo('submit', join(dir, 'sel.yaml'), '-o', 'name')).code, 0);
    await setStatus('wf-sel', 'Running');
    assert.equal((await argo('suspend', '@latest')).out, 'workflow @latest suspended\n');
    assert.equal((await argo('resume', '@latest')).out, 'workflow @latest resumed\n');
    assert.equal((await argo('terminate', '--dry-run', '@latest')).out, 'workflow @latest terminated (dry-run)\n');
    assert.equal((await argo('stop', '--dry-run', 'basic')).out, 'workflow basic stopped (dry-run)\n');
    assert.equal((await argo('stop', '@latest')).out, 'workflow wf-sel stopped\n');
    await setStatus('wf-sel', 'Failed');
    const rl = await argo('retry', '-l', 'workflows.argoproj.io/test=true', '-o', 'name');
    assert.deepEqual([rl.code, rl.out], [0, 'wf-sel\n'], rl.err);
    await setStatus('wf-sel', 'Failed');
    const rs = await argo('resubmit', '--field-selector', 'metadata.name=wf-sel', '-o', 'name');
    assert.equal(rs.code, 0, rs.err);
    assert.match(rs.out, /^wf-sel-\w+\n$/);
    const rl2 = await argo('resubmit', '--selector', 'workflows.argoproj.io/test=true', '-o', 'name');
    assert.equal(rl2.out.trim().split('\n').length, 2, rl2.out);
  });

  it('archive list / get / list-label-keys / list-label-values / delete', { skip: pgSkip }, async () => {
    writeFileSync(join(dir, 'arch.yaml'), HELLO('wf-arch', { 'workflows.argoproj.io/archive-strategy': 'always' }));
    assert.equal((await argo('submit', join(dir, 'arch.yaml'), '-o', 'name')).code, 0);
    await setStatus('wf-arch', 'Succeeded');
    const uid = (await env.client.get<any>(WF, ns, 'wf-arch')).metadata.uid;
    let list = '';
    for (let i = 0; i < 60 && !list.includes('wf-arch'); i++) {
      list = (await argo('archive', 'list')).out;
      if (!list.includes('wf-arch')) await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(list, new RegExp(`^NAMESPACE   NAME      STATUS      AGE   DURATION   PRIORITY   MESSAGE   UID\\nargo        wf-arch   Succeeded   \\d+s +0s         0                    ${uid}\\n$`));
    assert.match((await argo('archive', 'get', uid)).out, /^Name:                wf-arch\n/);
    assert.match((await argo('archive', 'list-label-keys')).out, /(^|\n)workflows\.argoproj\.io\/archive-strategy\n/);
    assert.equal((await argo('archive', 'list-label-values', '-l', 'workflows.argoproj.io/archive-strategy')).out, 'always\n');
    assert.equal((await argo('archive', 'delete', uid)).out, `Archived workflow '${uid}' deleted\n`);
    assert.equal((await argo('archive', 'list')).out, 'NAMESPACE   NAME   STATUS   AGE   DURATION   PRIORITY   MESSAGE   UID\n');
  });

  it('cp: the output artifacts downloaded through argo-server, laid out by --path', async () => {
    writeFileSync(join(dir, 'art.yaml'), HELLO('wf-art'));
    assert.equal((await argo('submit', join(dir, 'art.yaml'), '-o', 'name')).code, 0);
    await setStatus('wf-art', 'Succeeded');
    const w = await env.client.get<any>(WF, ns, 'wf-art');
    w.status.nodes['wf-art'].outputs = { artifacts: [{ name: 'greeting', raw: { data: 'hello from an artifact\n' } }, { name: 'other', raw: { data: 'x' } }] };
    await env.client.update(WF, w);
    const out = join(dir, 'cp');
    const r = await argo('cp', 'wf-art', out, '--artifact-name', 'greeting');
    assert.equal(r.code, 0, r.err);
    // --path is the directory, the file is named after the artifact (its key's last element; a raw one: its name)
    const file = join(out, 'argo', 'wf-art', 'wf-art', 'outputs', 'greeting', 'greeting');
    assert.equal(r.out, `Created "greeting" at ${file}\n`);
    assert.equal(readFileSync(file, 'utf8'), 'hello from an artifact\n');
    const custom = await argo('cp', 'wf-art', out, '--path', '/{templateName}/{artifactName}/');
    assert.equal(custom.code, 0, custom.err);
    assert.equal(readFileSync(join(out, 'main', 'other', 'other'), 'utf8'), 'x');
  });

  it('version shows both; auth token is ARGO_TOKEN', async () => {
    const v = await argo('version', '--short');
    assert.match(v.out, /^argo: v\S+\nargo-server: v\S+\n$/);
    const [cli, server] = v.out.trim().split('\n').map((l) => l.split(': ')[1]);
    assert.equal(server, cli, 'one version for the CLI and argo-server');
    process.env.ARGO_TOKEN = 'Bearer abc.def';
    try {
      assert.equal((await argo('auth', 'token')).out, 'Bearer abc.def\n');
    } finally {
      delete process.env.ARGO_TOKEN;
    }
  });
});
