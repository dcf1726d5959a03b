/**
 * Output collection (pure): output parameters from the files main left, `result` from its stdout
 * (capped), the exit code; and the WorkflowTaskResult that carries them to the controller.
 */
import type { Parameter, Template } from '@flotilla/workflows-controller';
import { RESULT_CAP } from './paths.js';
import type { Artifact } from './artifacts/types.js';

/** Trims one trailing newline, as upstream does for convenience (`echo x > file` gives `x`). */
export const trimNewline = (s: string) => (s.endsWith('\n') ? s.slice(0, s.endsWith('\r\n') ? -2 : -1) : s);

export interface ParamResult {
  parameters: Parameter[];
  errors: string[];
}

/**
 * The output parameters whose value the executor supplies (`valueFrom.path`, or a value a
 * resource template recorded), read through `read(name)` (the file main left; undefined when
 * the path did not exist). A missing
 * file takes `valueFrom.default`, else it is an error naming the parameter and path. Parameters
 * the controller resolves (expression, jsonPath of a resource, parameter, supplied…) pass through.
 */
export function collectParameters(params: Parameter[] | undefined, read: (name: string) => string | undefined): ParamResult {
  const out: Parameter[] = [];
  const errors: string[] = [];
  for (const p of params ?? []) {
    const path = p.valueFrom?.path;
    const v = read(p.name);
    if (v !== undefined) out.push({ ...p, value: path ? trimNewline(v) : v });
    else if (!path) continue;
    else if (p.valueFrom?.default !== undefined) out.push({ ...p, value: String(p.valueFrom.default) });
    else errors.push(`failed to get output parameter ${p.name}: open ${path}: no such file or directory`);
  }
  return { parameters: out, errors };
}

/** `result`: the last RESULT_CAP bytes of stdout, one trailing newline trimmed; and whether it was cut. */
export function captureResult(stdout: Buffer, cap = RESULT_CAP): { result: string; truncated: boolean } {
  const truncated = stdout.length > cap;
  const b = truncated ? stdout.subarray(stdout.length - cap) : stdout;
  return { result: trimNewline(b.toString('utf8')), truncated };
}

/** The output artifacts main must leave (those with a path). */
export const outputArtifacts = (t: Template): Artifact[] => ((t.outputs?.artifacts ?? []) as Artifact[]).filter((a) => !!a.path);

export interface TaskOutputs {
  parameters?: Parameter[];
  artifacts?: Artifact[];
  result?: string;
  exitCode?: string;
}

export interface TaskResultInput {
  nodeId: string;
  namespace: string;
  workflowName: string;
  workflowUID: string;
  outputs: TaskOutputs;
  progress?: string;
  completed: boolean;
  message?: string;
}

export const TASK_RESULT_LABEL_WORKFLOW = 'workflows.argoproj.io/workflow';
export const TASK_RESULT_LABEL_COMPLETED = 'workflows.argoproj.io/report-outputs-completed';

/** The WorkflowTaskResult object (name = node id), as upstream's wait container writes it. */
export function taskResult(i: TaskResultInput): Record<string, any> {
  const outputs: TaskOutputs = {};
  if (i.outputs.parameters?.length) outputs.parameters = i.outputs.parameters;
  if (i.outputs.artifacts?.length) outputs.artifacts = i.outputs.artifacts;
  if (i.outputs.result !== undefined) outputs.result = i.outputs.result;
  if (i.outputs.exitCode !== undefined) outputs.exitCode = i.outputs.exitCode;
  const obj: Record<string, any> = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'WorkflowTaskResult',
    metadata: {
      name: i.nodeId,
      namespace: i.namespace,
      labels: { [TASK_RESULT_LABEL_WORKFLOW]: i.workflowName, [TASK_RESULT_LABEL_COMPLETED]: String(i.completed) },
      ownerReferences: i.workflowUID ? [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: i.workflowName, uid: i.workflowUID }] : undefined,
    },
    outputs,
  };
  if (i.progress) obj.progress = i.progress;
  if (i.message) obj.message = i.message;
  return obj;
}

/** A progress file's content (`N/M`), when valid. */
export function parseProgress(s: string | undefined): string | undefined {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(s ?? '');
  return m && Number(m[2]) > 0 ? `${Number(m[1])}/${Number(m[2])}` : undefined;
}
