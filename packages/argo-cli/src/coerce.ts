/**
 * YAML scalars where Argo's types want strings, made strings — what upstream's CLI gets for free by decoding YAML
 * into its typed structs (`args: [sleep, 5]` is sent as `["sleep", "5"]`; a pod's command must be strings, and the
 * API server refuses the number). Only fields that are strings in Argo's and Kubernetes' types are touched: container
 * `command`/`args`/`workingDir`, `env[].value`, labels, annotations and nodeSelector values, parameter
 * `value`/`default`/`enum`, `when`, a script's `source`. `withItems` and the like keep their numbers.
 */
const ARGO_KINDS = new Set(['Workflow', 'WorkflowTemplate', 'ClusterWorkflowTemplate', 'CronWorkflow']);
const scalar = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';
const str = (v: unknown) => (scalar(v) ? String(v) : v);

export function coerceArgoStrings<T>(obj: T): T {
  const o = obj as { kind?: string };
  if (o && typeof o === 'object' && ARGO_KINDS.has(String(o.kind))) walk(obj);
  return obj;
}

function walk(v: unknown): void {
  if (Array.isArray(v)) {
    for (const x of v) walk(x);
    return;
  }
  if (!v || typeof v !== 'object') return;
  const o = v as Record<string, unknown>;
  for (const [k, x] of Object.entries(o)) {
    if ((k === 'command' || k === 'args') && Array.isArray(x)) o[k] = x.map(str);
    else if ((k === 'labels' || k === 'annotations' || k === 'nodeSelector') && x && typeof x === 'object' && !Array.isArray(x)) {
      for (const [lk, lv] of Object.entries(x)) (x as Record<string, unknown>)[lk] = str(lv);
    } else if (k === 'env' && Array.isArray(x)) {
      for (const e of x) if (e && typeof e === 'object' && 'value' in e) (e as Record<string, unknown>).value = str((e as Record<string, unknown>).value);
    } else if (k === 'parameters' && Array.isArray(x)) {
      for (const p of x) {
        if (!p || typeof p !== 'object') continue;
        const q = p as Record<string, unknown>;
        if ('value' in q) q.value = str(q.value);
        if ('default' in q) q.default = str(q.default);
        if (Array.isArray(q.enum)) q.enum = q.enum.map(str);
        walk(q.valueFrom);
      }
      continue;
    } else if (k === 'when' || k === 'source' || k === 'workingDir') o[k] = str(x);
    else if (k === 'withItems') continue;
    walk(o[k]);
  }
}
