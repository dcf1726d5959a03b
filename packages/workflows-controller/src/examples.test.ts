// Conformance: every Workflow in ../shared/upstream/argo-workflows-examples, driven by simulate() with every pod
// Succeeded and empty outputs, must reach a terminal phase without an exception. Prints how many Succeeded and
// why the others did not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { simulate } from './simulate.js';
import { lintObject } from './validate.js';
import type { Outputs, Workflow, WorkflowTemplate } from './types.js';
import type { PodObservation, PodToCreate } from './operator/model.js';

const DIR = process.env.ARGO_EXAMPLES_DIR ?? new URL('../../../../shared/upstream/argo-workflows-examples', import.meta.url).pathname;

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
  return { phase: 'Succeeded', exitCode: 0, outputs };
}

test('upstream examples reach a terminal phase', (t) => {
  if (!existsSync(DIR)) {
    t.skip(`examples not found at ${DIR}`);
    console.log(`# skipped: ${DIR} is absent`);
    return;
  }
  const files = walk(DIR).sort();
  const docs: { file: string; obj: Record<string, unknown> }[] = [];
  const skipped: string[] = [];
  for (const f of files) {
    for (const d of parseAllDocuments(readFileSync(f, 'utf8'), { uniqueKeys: false })) {
      if (d.errors.length) {
        skipped.push(`${relative(DIR, f)}: YAML the 'yaml' package refuses (${d.errors[0]!.message.split('\n')[0]})`);
        continue;
      }
      const obj = d.toJS() as Record<string, unknown> | null;
      if (obj && typeof obj === 'object') docs.push({ file: relative(DIR, f), obj });
    }
  }
  const templates: Record<string, WorkflowTemplate> = {};
  for (const { obj } of docs) {
    const md = obj.metadata as { name?: string } | undefined;
    if (obj.kind === 'WorkflowTemplate' && md?.name) templates[md.name] = obj as unknown as WorkflowTemplate;
    if (obj.kind === 'ClusterWorkflowTemplate' && md?.name) templates[`cluster/${md.name}`] = obj as unknown as WorkflowTemplate;
  }
  const configMaps: Record<string, Record<string, string>> = {};
  for (const { obj } of docs) {
    const md = obj.metadata as { name?: string } | undefined;
    if (obj.kind === 'ConfigMap' && md?.name) configMaps[md.name] = (obj.data ?? {}) as Record<string, string>;
  }
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
  const workflows = docs.filter((d) => d.obj.kind === 'Workflow');
  const outcome: Record<string, string[]> = {};
  let succeeded = 0;
  const problems: string[] = [];
  for (const { file, obj } of workflows) {
    const wf = structuredClone(obj) as unknown as Workflow;
    wf.metadata.name ??= `${wf.metadata.generateName ?? 'wf-'}abcde`;
    wf.metadata.namespace ??= 'argo';
    wf.metadata.uid ??= '00000000-0000-0000-0000-000000000001';
    let phase: string;
    let message = '';
    try {
      const r = simulate(wf, { templates, configMaps, resume: true, run });
      phase = r.workflow.status?.phase ?? '';
      message = r.workflow.status?.message ?? '';
      const errored = Object.values(r.workflow.status?.nodes ?? {}).find((n) => n.phase === 'Error');
      if (errored && phase !== 'Succeeded') message += ` (node ${errored.name}: ${errored.message})`;
    } catch (e) {
      problems.push(`${file}: operate threw ${(e as Error).stack}`);
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
