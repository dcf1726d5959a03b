/**
 * A resource action's parameters (argocd-server's `GET …/resource/actions` lists them as `params`:
 * name, type, default) checked before `POST …/resource/actions/v2` sends them as
 * `resourceActionParameters`.
 */
export interface ActionParam { name: string; type?: string; default?: string; value?: string }
export interface ResourceAction { name: string; displayName?: string; disabled?: boolean; iconClass?: string; params?: ActionParam[] }

/** The values the dialog starts with: each parameter's default. */
export function initialValues(a: ResourceAction): Record<string, string> {
  return Object.fromEntries((a.params ?? []).map((p) => [p.name, p.value ?? p.default ?? '']));
}

/** `resourceActionParameters` from the values typed, or the first error naming the parameter. */
export function actionParameters(a: ResourceAction, values: Record<string, string>): { params: { name: string; value: string }[]; error?: undefined } | { error: string } {
  const params: { name: string; value: string }[] = [];
  for (const p of a.params ?? []) {
    const v = (values[p.name] ?? '').trim();
    if (!v) return { error: `${p.name}: a value is required` };
    if ((p.type === 'number' || p.type === 'integer' || p.type === 'int') && !/^-?\d+(\.\d+)?$/.test(v)) return { error: `${p.name}: "${v}" is not a number` };
    if (p.type === 'boolean' && v !== 'true' && v !== 'false') return { error: `${p.name}: want true or false, not "${v}"` };
    params.push({ name: p.name, value: v });
  }
  return { params };
}
