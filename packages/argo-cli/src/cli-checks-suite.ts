/**
 * The argo commands beyond the seed's journey, on the journey's install (run after the journey's steps in
 * the same describe block): --wait / --log / exit codes, retry of a failed workflow, templates and
 * `submit --from`, suspend/resume, stop, cron, delete, list filters — through the Kubernetes API and,
 * for some, through argo-server (ARGO_SERVER) too.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, sh, type Ctx } from './journey-suite.js';

const FAIL = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: exit-three-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c]
      args: ["echo about to fail; exit 3"]
`;

const TEMPLATE = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: say
spec:
  entrypoint: say
  arguments:
    parameters: [{name: message, value: default-message}]
  templates:
  - name: say
    inputs:
      parameters: [{name: message}]
    container:
      image: busybox
      command: [echo]
      args: ["{{inputs.parameters.message}}"]
`;

const SUSPEND = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: approve-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: approve
        template: approve
    - - name: after
        template: after
  - name: approve
    suspend: {}
  - name: after
    container:
      image: busybox
      command: [sh, -c]
      args: ["for i in 1 2 3; do echo line $i; done"]
`;

const SLEEP = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: sleeper-
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sleep, "300"]
`;

const CRON = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      container:
        image: busybox
        command: [echo, nightly]
`;

const APPROVE = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: approve-then-gate-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: approve
        template: approve
    - - name: release
        template: say
        arguments: {parameters: [{name: message, value: "{{steps.approve.outputs.parameters.message}}"}]}
    - - name: gate
        template: gate
  - name: approve
    suspend: {}
    outputs:
      parameters: [{name: message, valueFrom: {supplied: {}}}]
  - name: gate
    suspend: {}
  - name: say
    inputs: {parameters: [{name: message}]}
    container: {image: busybox, command: [echo], args: ["{{inputs.parameters.message}}"]}
`;

/** The checks; `port()` is the local port forwarded to argo-server's 2746. */
export function defineCliChecks(ctx: Ctx, port: () => number): void {
  let files = '';
  const f = (name: string) => join(files, name);
  const server = () => ({ ARGO_SERVER: `localhost:${port()}`, ARGO_INSECURE_SKIP_VERIFY: 'true' });

  it('argo submit --wait of a failing workflow: exit 1, "NAME Failed at …"; get shows ✖ and the exit code; logs show its output', async () => {
    files = join(ctx.dir, 'wf');
    mkdirSync(files, { recursive: true });
    writeFileSync(f('fail.yaml'), FAIL);
    writeFileSync(f('template.yaml'), TEMPLATE);
    writeFileSync(f('suspend.yaml'), SUSPEND);
    writeFileSync(f('sleep.yaml'), SLEEP);
    writeFileSync(f('cron.yaml'), CRON);
    const r = await sh(ctx, ['argo', 'submit', '-n', 'argo', '--wait', f('fail.yaml')], { timeoutMs: 180_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const name = /^Name:\s+(exit-three-[a-z0-9]{5})\n/.exec(r.stdout)?.[1];
    assert.ok(name, r.stdout);
    assert.match(r.stdout, new RegExp(`\\n${name} Failed at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\+0000 UTC\\n$`));
    const get = await ok(ctx, ['argo', 'get', '-n', 'argo', name!]);
    assert.match(get.stdout, /\nStatus:              Failed\n/);
    assert.match(get.stdout, new RegExp(`\\n ✖ ${name}  main +${name}  \\d+s +Error \\(exit code 3\\)\\n$`));
    const logs = await ok(ctx, ['argo', 'logs', '-n', 'argo', name!]);
    assert.equal(logs.stdout, `${name}: about to fail\n`);
  });

  it('argo retry @latest: the failed workflow runs its failed node again (and fails again: exit 1 from --wait)', async () => {
    const pod = async () => {
      const wf = JSON.parse((await ok(ctx, ['argo', 'get', '-n', 'argo', '@latest', '-o', 'json'])).stdout);
      const p = JSON.parse((await ok(ctx, ['kubectl', 'get', 'pod', wf.metadata.name, '-n', 'argo', '-o', 'json'])).stdout);
      return { uid: p.metadata.uid as string, finishedAt: wf.status.finishedAt as string };
    };
    const first = await pod();
    const r = await sh(ctx, ['argo', 'retry', '-n', 'argo', '@latest', '--wait'], { timeoutMs: 180_000 });
    assert.match(r.stdout, /^Name:\s+exit-three-[a-z0-9]{5}\nNamespace:           argo\nServiceAccount:      unset \(will run with the default ServiceAccount\)\nStatus:              Running\n/);
    const again = await pod();
    assert.notEqual(again.uid, first.uid, 'the failed node ran again in a new pod');
    assert.ok(again.finishedAt > first.finishedAt, `finished again later: ${first.finishedAt} → ${again.finishedAt}`);
    assert.match(r.stdout, /\nexit-three-[a-z0-9]{5} Failed at /);
    assert.equal(r.code, 1, r.stdout + r.stderr);
  });

  it('argo template create / list / get; argo submit --from workflowtemplate/say -p message=… --log', async () => {
    const c = await ok(ctx, ['argo', 'template', 'create', '-n', 'argo', f('template.yaml')]);
    assert.match(c.stdout, /^Name:                say\nNamespace:           argo\nCreated:             /);
    assert.equal((await ok(ctx, ['argo', 'template', 'list', '-n', 'argo'])).stdout, 'NAME\nsay\n');
    assert.match((await ok(ctx, ['argo', 'template', 'get', '-n', 'argo', 'say', '-o', 'json'])).stdout, /"entrypoint": "say"/);
    const r = await ok(ctx, ['argo', 'submit', '-n', 'argo', '--from', 'workflowtemplate/say', '-p', 'message=from the template', '--log'], { timeoutMs: 180_000 });
    const name = /^Name:\s+(say-[a-z0-9]{5})\n/.exec(r.stdout)?.[1];
    assert.ok(name, r.stdout);
    // the view, then the log followed to the end
    assert.match(r.stdout, new RegExp(`\\nParameters:          \\n  message:           from the template\\n(?:[^]*\\n)?${name}: from the template\\n$`));
    assert.equal((await ok(ctx, ['argo', 'wait', '-n', 'argo', name!])).stdout.split(' ')[1], 'Succeeded');
  });

  it('through argo-server: argo submit --from wftmpl/say -o name --wait, argo version (both), argo lint (server-side), argo delete', async () => {
    const r = await ok(ctx, ['argo', 'submit', '-n', 'argo', '--from', 'wftmpl/say', '-o', 'name', '--wait'], { env: server(), timeoutMs: 180_000 });
    // -o name: only the name (the wait is quiet); exit 0: it Succeeded
    const name = r.stdout.trim();
    assert.match(r.stdout, /^say-[a-z0-9]{5}\n$/);
    assert.equal(JSON.parse((await ok(ctx, ['argo', 'get', '-n', 'argo', name, '-o', 'json'], { env: server() })).stdout).status.phase, 'Succeeded');
    const v = await ok(ctx, ['argo', 'version'], { env: server() });
    assert.match(v.stdout, /^argo: v\S+\n(  \w+: .*\n)+argo-server: v\S+\n/);
    const lint = await sh(ctx, ['argo', 'lint', '-n', 'argo', f('template.yaml'), f('fail.yaml')], { env: server() });
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    assert.equal(lint.stdout, '✔ no linting errors found!\n');
    writeFileSync(f('bad.yaml'), FAIL.replace('entrypoint: main', 'entrypoint: nope'));
    const bad = await sh(ctx, ['argo', 'lint', '-n', 'argo', f('bad.yaml')], { env: server() });
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /^\S+bad\.yaml:\n {3}✖ in "exit-three-" \(Workflow\): .*nope/);
    assert.equal((await ok(ctx, ['argo', 'delete', '-n', 'argo', name], { env: server() })).stdout, `Workflow '${name}' deleted\n`);
    assert.notEqual((await sh(ctx, ['kubectl', 'get', 'wf', name, '-n', 'argo'])).code, 0);
  });

  it('a suspend step: argo get shows ǁ and Running (Suspended); argo resume; argo logs -f follows the next step to the end', async () => {
    const s = await ok(ctx, ['argo', 'submit', '-n', 'argo', f('suspend.yaml'), '-o', 'name']);
    const name = s.stdout.trim();
    let get = '';
    for (let i = 0; i < 60; i++) {
      get = (await ok(ctx, ['argo', 'get', '-n', 'argo', name])).stdout;
      if (/ǁ approve/.test(get)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.match(get, /\nStatus:              Running \(Suspended\)\n/);
    assert.match(get, /\n └───ǁ approve +approve +\d+s +\n$/);
    assert.equal((await ok(ctx, ['argo', 'resume', '-n', 'argo', name])).stdout, `workflow ${name} resumed\n`);
    const logs = await ok(ctx, ['argo', 'logs', '-n', 'argo', name, '-f'], { timeoutMs: 180_000 });
    assert.match(logs.stdout, new RegExp(`^${name}-after-\\d+: line 1\\n${name}-after-\\d+: line 2\\n${name}-after-\\d+: line 3\\n$`));
    const w = await ok(ctx, ['argo', 'wait', '-n', 'argo', name], { timeoutMs: 120_000 });
    assert.match(w.stdout, new RegExp(`^${name} Succeeded at `));
  });

  it('argo stop of a running workflow: Failed, its pod gone', async () => {
    const name = (await ok(ctx, ['argo', 'submit', '-n', 'argo', f('sleep.yaml'), '-o', 'name'])).stdout.trim();
    for (let i = 0; i < 60; i++) {
      const g = (await ok(ctx, ['argo', 'get', '-n', 'argo', name, '-o', 'json'])).stdout;
      if (JSON.parse(g).status?.phase === 'Running') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal((await ok(ctx, ['argo', 'stop', '-n', 'argo', name])).stdout, `workflow ${name} stopped\n`);
    const w = await sh(ctx, ['argo', 'wait', '-n', 'argo', name], { timeoutMs: 120_000 });
    assert.equal(w.code, 1, w.stdout + w.stderr);
    assert.match(w.stdout, new RegExp(`^${name} Failed at `));
  });

  it('argo list filters and formats: --completed, --running, --status, -l, -o name / wide, --since, --chunk-size; argo auth token', async () => {
    const all = (await ok(ctx, ['argo', 'list', '-n', 'argo', '-o', 'name'])).stdout.trim().split('\n');
    assert.ok(all.length >= 5, all.join(','));
    // in pages of two: the same workflows
    assert.deepEqual((await ok(ctx, ['argo', 'list', '-n', 'argo', '--chunk-size', '2', '-o', 'name'])).stdout.trim().split('\n'), all);
    const failed = (await ok(ctx, ['argo', 'list', '-n', 'argo', '--status', 'Failed', '-o', 'name'])).stdout.trim().split('\n');
    assert.ok(failed.some((n) => n.startsWith('exit-three-')) && failed.some((n) => n.startsWith('sleeper-')), failed.join(','));
    assert.equal((await ok(ctx, ['argo', 'list', '-n', 'argo', '--running'])).stdout, 'No workflows found\n');
    assert.equal((await ok(ctx, ['argo', 'list', '-n', 'argo', '--completed', '-o', 'name'])).stdout.trim().split('\n').length, all.length);
    const tmpl = (await ok(ctx, ['argo', 'list', '-n', 'argo', '-l', 'workflows.argoproj.io/workflow-template=say', '-o', 'name'])).stdout.trim().split('\n');
    assert.ok(tmpl.length === 1 && tmpl[0].startsWith('say-'), tmpl.join(','));
    assert.match((await ok(ctx, ['argo', 'list', '-n', 'argo', '-o', 'wide'])).stdout, /^NAME\s+STATUS\s+AGE\s+DURATION\s+PRIORITY\s+MESSAGE\s+P\/R\/C\s+PARAMETERS\n/);
    assert.equal((await ok(ctx, ['argo', 'list', '-n', 'argo', '--since', '1s'])).stdout, 'No workflows found\n');
    assert.match((await ok(ctx, ['argo', 'auth', 'token'])).stdout, /^Bearer \S+\n$/);
  });

  it('argo cron create / list / suspend / resume / get / delete', async () => {
    const c = await ok(ctx, ['argo', 'cron', 'create', '-n', 'argo', f('cron.yaml')]);
    assert.match(c.stdout, /^Name:                          nightly\nNamespace:                     argo\nCreated:                       .*\nSchedules:                     0 3 \* \* \*\nSuspended:                     false\n/);
    assert.match((await ok(ctx, ['argo', 'cron', 'list', '-n', 'argo'])).stdout, /^NAME\s+AGE\s+LAST RUN\s+NEXT RUN\s+SCHEDULES\s+TIMEZONE\s+SUSPENDED\nnightly\s+\d+s\s+N\/A\s+\S+\s+0 3 \* \* \*\s+false\n$/);
    assert.equal((await ok(ctx, ['argo', 'cron', 'suspend', '-n', 'argo', 'nightly'])).stdout, "CronWorkflow 'nightly' suspended\n");
    assert.match((await ok(ctx, ['argo', 'cron', 'get', '-n', 'argo', 'nightly'])).stdout, /\nSuspended:                     true\n/);
    assert.equal((await ok(ctx, ['argo', 'cron', 'resume', '-n', 'argo', 'nightly'])).stdout, "CronWorkflow 'nightly' resumed\n");
    assert.equal((await ok(ctx, ['argo', 'cron', 'delete', '-n', 'argo', 'nightly'])).stdout, "CronWorkflow 'nightly' deleted\n");
  });

  it("upstream's CLISuite in Kubernetes API mode: node set of a supplied output (once), resume refused until then, stop --node-field-selector of a suspend node, logs --since-time, template update, delete of a missing workflow", async () => {
    writeFileSync(f('approve.yaml'), APPROVE);
    const name = (await ok(ctx, ['argo', 'submit', '-n', 'argo', f('approve.yaml'), '-o', 'name'])).stdout.trim();
    const node = async (display: string, phase: string) => {
      for (let i = 0; i < 90; i++) {
        const wf = JSON.parse((await ok(ctx, ['argo', 'get', '-n', 'argo', name, '-o', 'json'])).stdout);
        const n: any = Object.values(wf.status?.nodes ?? {}).find((x: any) => x.displayName === display);
        if (n?.phase === phase) return n;
        await new Promise((r) => setTimeout(r, 1000));
      }
      assert.fail(`${display} never ${phase}`);
    };
    await node('approve', 'Running');
    const early = await sh(ctx, ['argo', 'resume', '-n', 'argo', '@latest']);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /^Error: output parameter 'message' of node approve has not been set and does not have a default value\n$/);
    const set = ['argo', 'node', 'set', '-n', 'argo', '@latest', '--output-parameter', 'message=from the approver', '--node-field-selector', 'displayName=approve'];
    assert.equal((await ok(ctx, set)).stdout, 'workflow values set\n');
    assert.match((await sh(ctx, set)).stderr, /it was already set/);
    assert.equal((await ok(ctx, ['argo', 'resume', '-n', 'argo', '@latest'])).stdout, 'workflow @latest resumed\n');
    // who resumed it, as upstream's TestArgoSetOutputs reads it: the kubeconfig's user (a SelfSubjectReview)
    assert.match((await node('approve', 'Succeeded')).message ?? '', /^Resumed by: map\[User:\S+\]$/);
    await node('gate', 'Running');
    assert.equal((await ok(ctx, ['argo', 'stop', '-n', 'argo', '@latest', '--node-field-selector', 'displayName=gate', '--message', 'because'])).stdout, `workflow ${name} stopped\n`);
    const w = await sh(ctx, ['argo', 'wait', '-n', 'argo', name], { timeoutMs: 120_000 });
    assert.match(w.stdout, new RegExp(`^${name} Failed at `));
    const gate = await node('gate', 'Failed');
    assert.equal(gate.message, 'because');
    assert.match((await ok(ctx, ['argo', 'logs', '-n', 'argo', name])).stdout, /: from the approver\n$/);
    assert.equal((await ok(ctx, ['argo', 'logs', '-n', 'argo', name, `--since-time=${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`])).stdout, '');
    writeFileSync(f('template2.yaml'), TEMPLATE.replace('value: default-message', 'value: updated-message'));
    assert.match((await ok(ctx, ['argo', 'template', 'update', '-n', 'argo', f('template2.yaml')])).stdout, /^Name:                say\nNamespace:           argo\nCreated:             /);
    assert.match((await ok(ctx, ['argo', 'template', 'get', '-n', 'argo', 'say', '-o', 'yaml'])).stdout, /value: updated-message\n/);
    assert.equal((await ok(ctx, ['argo', 'delete', '-n', 'argo', 'not-found'])).stdout, "Workflow 'not-found' not found\n");
    const nf = await sh(ctx, ['argo', 'template', 'get', '-n', 'argo', 'not-found']);
    assert.equal(nf.code, 1);
    assert.equal(nf.stderr, 'Error: workflowtemplates.argoproj.io "not-found" not found\n');
  });

  it('argo delete --completed removes every finished workflow', async () => {
    const before = (await ok(ctx, ['argo', 'list', '-n', 'argo', '--completed', '-o', 'name'])).stdout.trim().split('\n');
    const d = await ok(ctx, ['argo', 'delete', '-n', 'argo', '--completed']);
    assert.equal(d.stdout.trim().split('\n').length, before.length);
    assert.equal((await ok(ctx, ['argo', 'list', '-n', 'argo'])).stdout, 'No workflows found\n');
  });

  it("Argo's resources are aggregated into Kubernetes' admin / edit / view roles (kubectl auth can-i)", async () => {
    await ok(ctx, ['kubectl', 'create', 'serviceaccount', 'agg-admin', '-n', 'argo']);
    await ok(ctx, ['kubectl', 'create', 'serviceaccount', 'agg-view', '-n', 'argo']);
    await ok(ctx, ['kubectl', 'create', 'rolebinding', 'agg-admin', '-n', 'argo', '--clusterrole=admin', '--serviceaccount=argo:agg-admin']);
    await ok(ctx, ['kubectl', 'create', 'rolebinding', 'agg-view', '-n', 'argo', '--clusterrole=view', '--serviceaccount=argo:agg-view']);
    const can = async (sa: string, verb: string) => (await sh(ctx, ['kubectl', 'auth', 'can-i', verb, 'workflows.argoproj.io', '-n', 'argo', `--as=system:serviceaccount:argo:${sa}`])).stdout.trim();
    assert.deepEqual([await can('agg-admin', 'create'), await can('agg-view', 'list'), await can('agg-view', 'create')], ['yes', 'yes', 'no']);
  });
}
