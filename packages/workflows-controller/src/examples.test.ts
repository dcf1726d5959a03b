// Conformance: every Workflow in ../shared/upstream/argo-workflows-examples, driven by simulate() with every pod
// Succeeded (its outputs: the parameters' defaults, a few scripts' results, each artifact saved under a key), must
// reach a terminal phase without an exception. Prints how many Succeeded and
// why the others did not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import jsyaml from 'js-yaml';
import { simulate } from './simulate.js';
import { applyPlan, operate } from './operator/operate.js';
import { lintObject } from './validate.js';
import type { NodeStatus, Outputs, Workflow, WorkflowTemplate } from './types.js';
import type { OperateInput, Plan, PodObservation, PodToCreate } from './operator/model.js';

const DIR = process.env.ARGO_EXAMPLES_DIR ?? new URL('../../../../shared/upstream/argo-workflows-examples', import.meta.url).pathname;

/** The documents of a file: the 'yaml' package, or js-yaml for what it refuses (multi-line quoted scalars in flow
 * sequences that Go's YAML accepts, e.g. `args: ["\n  cd … &&\n  go build\n"]`). */
function loadYaml(f: string, skipped: string[]): unknown[] {
  const src = readFileSync(f, 'utf8');
  const ds = parseAllDocuments(src, { uniqueKeys: false });
  if (ds.every((d) => !d.errors.length)) return ds.map((d) => d.toJS());
  try {
    return jsyaml.loadAll(src);
  } catch (e) {
    skipped.push(`${relative(DIR, f)}: not YAML either parser accepts (${(e as Error).message.split('\n')[0]})`);
    return [];
  }
}

function walk(d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

// Outputs a few examples need to take their intended path (what their scripts would print).
const RESULTS: Record<string, string> = {
  'flip-coin': 'heads',
  'gen-number-list': '[1,2,3]',
  'gen-random-int': '4',
  'split': '[0,1,2]',
  'gen-random-int-bash': '4',
  'gen-random-int-python': '4',
  'gen-random-int-javascript': '4',
  'odd-or-even': '{"num": 4, "evenness": "even"}',
  'list-log-files': '["a.log","b.log"]',
};
const PARAMS: Record<string, Record<string, string>> = {
  'odd-or-even': { num: '4', evenness: 'even' },
  'get-items': { count: '3' },
};

function run(pod: PodToCreate): PodObservation {
  const name = pod.templateName ?? pod.templateRef?.template ?? '';
  const outputs: Outputs = {};
  if (pod.kind === 'script' || pod.kind === 'container' || pod.kind === 'data' || pod.kind === 'containerSet') outputs.result = RESULTS[name] ?? '';
  const defs = pod.template.outputs?.parameters ?? [];
  if (defs.length) outputs.parameters = defs.map((d) => ({ name: d.name, value: PARAMS[name]?.[d.name] ?? String(d.valueFrom?.default ?? d.value ?? '') }));
  // each output artifact saved where the executor would put it (key-only, in the default repository)
  const arts = (pod.template.outputs?.artifacts ?? []).filter((a) => a.path);
  if (arts.length) outputs.artifacts = arts.map((a) => ({ name: a.name, path: a.path, s3: { key: `${pod.podName}/${a.name}.tgz` } }));
  return { phase: 'Succeeded', exitCode: 0, outputs };
}

/** Every document of the examples directory, with the templates and config maps workflows refer to. */
function loadExamples() {
  const files = walk(DIR).sort();
  const docs: { file: string; obj: Record<string, unknown> }[] = [];
  const skipped: string[] = [];
  for (const f of files) {
    for (const obj of loadYaml(f, skipped)) if (obj && typeof obj === 'object') docs.push({ file: relative(DIR, f), obj: obj as Record<string, unknown> });
  }
  const templates: Record<string, WorkflowTemplate> = {};
  const configMaps: Record<string, Record<string, string>> = {};
  for (const { obj } of docs) {
    const md = obj.metadata as { name?: string } | undefined;
    if (obj.kind === 'WorkflowTemplate' && md?.name) templates[md.name] = obj as unknown as WorkflowTemplate;
    if (obj.kind === 'ClusterWorkflowTemplate' && md?.name) templates[`cluster/${md.name}`] = obj as unknown as WorkflowTemplate;
    if (obj.kind === 'ConfigMap' && md?.name) configMaps[md.name] = (obj.data ?? {}) as Record<string, string>;
  }
  const workflows = docs.filter((d) => d.obj.kind === 'Workflow');
  return { docs, skipped, templates, configMaps, workflows };
}

/**
 * Examples whose template-level lock cannot be had in these tests: they wait, saying why. (The ConfigMap of
 * synchronization-tmpl-level is only in its comment; the test below gives it one and it succeeds.)
 */
const WAIT_FOR_LOCKS: Record<string, RegExp> = {
  'synchronization-tmpl-level.yaml': /configmap argo\/my-config not found/,
  'synchronization-db-tmpl-level.yaml': /database semaphores need the persistence database/,
  'synchronization-db-mutex-tmpl-level.yaml': /database mutexes need the persistence database/,
};

test('synchronization-tmpl-level with the ConfigMap its comment gives: at most 3 of its 5 steps hold the semaphore at once', (t) => {
  const file = join(DIR, 'synchronization-tmpl-level.yaml');
  if (!existsSync(file)) {
    t.skip(`${file} is absent`);
    return;
  }
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean);
  const held = new Set<string>();
  let most = 0;
  const r = simulate(named(docs.find((d) => d.kind === 'Workflow')), {
    configMaps: { 'my-config': { template: '3' } }, resume: true, run,
    acquireLock: (l, id) => {
      if (held.has(id)) return { ok: true, held: held.size };
      if (held.size >= l.limit) return { ok: false, held: held.size };
      held.add(id);
      return { ok: true, held: held.size };
    },
    onPass: (_i, p) => {
      const keep = new Set(p.locks!.holding.map((l) => l.nodeId));
      for (const h of held) if (!keep.has(h)) held.delete(h);
      most = Math.max(most, p.locks!.holding.length);
    },
  });
  assert.equal(r.workflow.status?.phase, 'Succeeded');
  assert.equal(r.pods.length, 5);
  assert.equal(most, 3);
});

function named(obj: Record<string, unknown>): Workflow {
  const wf = structuredClone(obj) as unknown as Workflow;
  wf.metadata.name ??= `${wf.metadata.generateName ?? 'wf-'}abcde`;
  wf.metadata.namespace ??= 'argo';
  wf.metadata.uid ??= '00000000-0000-0000-0000-000000000001';
  return wf;
}

test('upstream examples reach a terminal phase', (t) => {
  if (!existsSync(DIR)) {
    t.skip(`examples not found at ${DIR}`);
    console.log(`# skipped: ${DIR} is absent`);
    return;
  }
  const { docs, skipped, templates, configMaps, workflows } = loadExamples();
  // every object lints clean (what `argo lint` of the examples directory says)
  const lintErrors: string[] = [];
  let linted = 0;
  for (const { file, obj } of docs) {
    if (!['Workflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate', 'CronWorkflow'].includes(String(obj.kind))) continue;
    linted++;
    for (const e of lintObject(obj, templates)) lintErrors.push(`${file} (${String(obj.kind)}): ${e.message}`);
  }
  console.log(`# lint: ${linted} objects, ${lintErrors.length} errors`);
  for (const l of lintErrors) console.log(`#   lint  ${l}`);
  const outcome: Record<string, string[]> = {};
  let succeeded = 0;
  const problems: string[] = [];
  for (const { file, obj } of workflows) {
    const wf = named(obj);
    let phase: string;
    let message = '';
    let lastNodes: Record<string, NodeStatus> = {};
    try {
      const r = simulate(wf, { templates, configMaps, resume: true, run, maxSteps: WAIT_FOR_LOCKS[file.split('/').pop()!] ? 20 : undefined });
      lastNodes = r.workflow.status?.nodes ?? {};
      phase = r.workflow.status?.phase ?? '';
      message = r.workflow.status?.message ?? '';
      const errored = Object.values(r.workflow.status?.nodes ?? {}).find((n) => n.phase === 'Error');
      if (errored && phase !== 'Succeeded') message += ` (node ${errored.name}: ${errored.message})`;
    } catch (e) {
      problems.push(`${file}: operate threw ${(e as Error).stack}`);
      continue;
    }
    const waits = WAIT_FOR_LOCKS[file.split('/').pop()!];
    if (waits) {
      // the example's lock cannot be had here: its nodes wait (Running), saying why
      const said = Object.values(lastNodes).map((n) => n.message ?? '').find((m) => waits.test(m));
      if (phase !== 'Running' || !said) problems.push(`${file}: should wait for its lock (${waits}), ended ${phase} (${message})`);
      continue;
    }
    if (!['Succeeded', 'Failed', 'Error'].includes(phase)) problems.push(`${file}: ended ${phase || 'without a phase'} (${message})`);
    if (phase === 'Succeeded') succeeded++;
    else (outcome[phase] ??= []).push(`${file}: ${message}`);
  }
  console.log(`# ${workflows.length} example workflows: ${succeeded} Succeeded`);
  for (const s of skipped) console.log(`#   skipped  ${s}`);
  for (const [phase, list] of Object.entries(outcome)) for (const l of list) console.log(`#   ${phase}  ${l}`);
  assert.ok(workflows.length > 0);
  assert.deepEqual(problems, []);
  assert.deepEqual(lintErrors, []);
});

// A pass must leave nothing for the next pass to do unless it asks to be called again (requeueAfter): what would
// let the controller skip the watch event of its own write (it does not yet). Checked at every pass of every
// example, with pods that succeed and with pods that fail.
test('upstream examples: a pass leaves nothing for the next one unless it asks to be called again', (t) => {
  if (!existsSync(DIR)) {
    t.skip(`examples not found at ${DIR}`);
    return;
  }
  const { templates, configMaps, workflows: examples } = loadExamples();
  // and a DAG listed against its order (D needs C needs B needs A, listed D, C, B, A): a task whose dependency
  // finishes later in the same walk must start in that pass too
  const reversed = {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'reversed' },
    spec: {
      entrypoint: 'main',
      templates: [
        { name: 'main', dag: { tasks: [{ name: 'D', template: 'c', dependencies: ['C'] }, { name: 'C', template: 'c', depends: 'B.Succeeded || B.Failed' }, { name: 'B', template: 'c', dependencies: ['A'], continueOn: { failed: true } }, { name: 'A', template: 'c', continueOn: { failed: true } }] } },
        { name: 'c', container: { image: 'busybox', command: ['true'] } },
      ],
    },
  };
  const workflows = [...examples, { file: '(a DAG listed against its order)', obj: reversed as Record<string, unknown> }];
  const violations: string[] = [];
  let passes = 0;
  for (const fail of [false, true]) {
    for (const { file, obj } of workflows) {
      const onPass = (input: OperateInput, plan: Plan) => {
        if (plan.requeueAfter !== undefined || ['Succeeded', 'Failed', 'Error'].includes(plan.phase)) return;
        passes++;
        const again = operate({ ...input, workflow: applyPlan(input.workflow, plan) });
        const what = [
          again.phase !== plan.phase && `phase ${plan.phase} → ${again.phase}`,
          again.podsToCreate.length > 0 && `creates ${again.podsToCreate.map((p) => p.nodeName).join(', ')}`,
          again.podsToDelete.some((p) => !plan.podsToDelete.includes(p)) && `deletes ${again.podsToDelete.join(', ')}`,
          JSON.stringify(again.nodes) !== JSON.stringify(plan.nodes) && `nodes ${Object.values(again.nodes).filter((n) => JSON.stringify(n) !== JSON.stringify(plan.nodes[n.id])).map((n) => `${n.name} ${plan.nodes[n.id]?.phase ?? '(new)'} → ${n.phase}`).join(', ')}`,
        ].filter(Boolean);
        if (what.length) violations.push(`${file}${fail ? ' (pods fail)' : ''}: ${what.join('; ')}`);
      };
      try {
        simulate(named(obj), { templates, configMaps, resume: true, observedAll: true, onPass, run: fail ? () => ({ phase: 'Failed', exitCode: 1 }) : run });
      } catch {
        /* (the conformance test above reports what throws) */
      }
    }
  }
  console.log(`# ${passes} passes checked`);
  assert.ok(passes > 100);
  assert.deepEqual(violations, []);
});

// A few examples whose shape is pinned: node names, order, the exit handler's branch, retries.
function example(t: { skip: (m: string) => void }, file: string): Workflow | undefined {
  const p = join(DIR, file);
  if (!existsSync(p)) {
    t.skip(`${p} is absent`);
    return undefined;
  }
  const wf = loadYaml(p, [])[0] as Workflow;
  wf.metadata.name = `${wf.metadata.generateName ?? 'wf-'}abcde`;
  return wf;
}
const names = (wf: Workflow) => Object.values(wf.status?.nodes ?? {}).map((n) => n.name).sort();

test('steps.yaml: groups and step names as upstream shows them', (t) => {
  const wf = example(t, 'steps.yaml');
  if (!wf) return;
  const r = simulate(wf);
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  assert.deepEqual(names(r.workflow), ['steps-abcde', 'steps-abcde[0]', 'steps-abcde[0].hello1', 'steps-abcde[1]', 'steps-abcde[1].hello2a', 'steps-abcde[1].hello2b']);
  assert.deepEqual(r.pods.map((p) => p.template.container!.args ?? p.template.container!.command), [['hello1'], ['hello2a'], ['hello2b']]);
});

test('dag-diamond.yaml: A, then B and C, then D', (t) => {
  const wf = example(t, 'dag-diamond.yaml');
  if (!wf) return;
  const r = simulate(wf);
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  assert.deepEqual(r.plans.map((p) => p.podsToCreate.map((x) => x.nodeName.split('.').pop())).filter((x) => x.length), [['A'], ['B', 'C'], ['D']]);
  assert.equal(r.workflow.status!.progress, '4/4');
});

test('exit-handlers.yaml: the workflow fails, the exit handler runs its Failed branch', (t) => {
  const wf = example(t, 'exit-handlers.yaml');
  if (!wf) return;
  const r = simulate(wf, { run: (p) => (p.templateName === 'intentional-fail' ? { phase: 'Failed', exitCode: 1 } : { phase: 'Succeeded', exitCode: 0 }) });
  assert.equal(r.workflow.status!.phase, 'Failed');
  const byName = Object.fromEntries(Object.values(r.workflow.status!.nodes!).map((n) => [n.name, n]));
  assert.equal(byName['exit-handlers-abcde.onExit']!.phase, 'Succeeded');
  assert.equal(byName['exit-handlers-abcde.onExit[0].cry']!.phase, 'Succeeded');
  assert.equal(byName['exit-handlers-abcde.onExit[0].celebrate']!.phase, 'Skipped');
  assert.equal(r.workflow.status!.message, 'Error (exit code 1)');
});

test('retry-container.yaml: a pod that keeps failing runs limit + 1 times', (t) => {
  const wf = example(t, 'retry-container.yaml');
  if (!wf) return;
  const r = simulate(wf, { run: () => ({ phase: 'Failed', exitCode: 1 }) });
  assert.equal(r.pods.length, 11);
  assert.equal(r.workflow.status!.phase, 'Failed');
  assert.equal(r.workflow.status!.message, 'No more retries left');
});
