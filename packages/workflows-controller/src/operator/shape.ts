// The shape of a workflow spec (pure): lists where Argo's types have lists, maps where they have maps. Go decodes
// a workflow into its types and fails on a map where a list belongs; a spec so malformed never runs here either,
// and says where it is wrong instead of failing somewhere inside a pass.
type Obj = Record<string, unknown>;
const isMap = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const kind = (v: unknown) => (Array.isArray(v) ? 'a list' : v === null ? 'null' : isMap(v) ? 'a map' : `a ${typeof v}`);

/** The first place where `spec` (a Workflow's or WorkflowTemplate's) does not have Argo's shape, or undefined. */
export function specShapeError(spec: unknown, path = 'spec'): string | undefined {
  if (spec === undefined) return undefined;
  if (!isMap(spec)) return `${path}: expected a map, got ${kind(spec)}`;
  const list = (v: unknown, p: string, each?: (x: unknown, p: string) => string | undefined): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return `${p}: expected a list, got ${kind(v)}`;
    for (let i = 0; i < v.length && each; i++) {
      const e = each(v[i], `${p}[${i}]`);
      if (e) return e;
    }
    return undefined;
  };
  const map = (v: unknown, p: string): string | undefined => (v === undefined || v === null || isMap(v) ? undefined : `${p}: expected a map, got ${kind(v)}`);
  const named = (x: unknown, p: string) => (isMap(x) ? undefined : `${p}: expected a map, got ${kind(x)}`);
  const io = (v: unknown, p: string) => map(v, p) ?? (isMap(v) ? list(v.parameters, `${p}.parameters`, named) ?? list(v.artifacts, `${p}.artifacts`, named) : undefined);
  const container = (c: unknown, p: string) => map(c, p) ?? (isMap(c) ? list(c.command, `${p}.command`) ?? list(c.args, `${p}.args`) ?? list(c.env, `${p}.env`, named) ?? list(c.volumeMounts, `${p}.volumeMounts`, named) : undefined);
  const template = (t: unknown, p: string): string | undefined => {
    if (!isMap(t)) return `${p}: expected a map, got ${kind(t)}`;
    return io(t.inputs, `${p}.inputs`) ?? io(t.outputs, `${p}.outputs`) ?? container(t.container, `${p}.container`) ?? container(t.script, `${p}.script`)
      ?? list(t.steps, `${p}.steps`, (g, gp) => list(g, gp, named) ?? (Array.isArray(g) ? undefined : `${gp}: expected a list`))
      ?? map(t.dag, `${p}.dag`) ?? (isMap(t.dag) ? list(t.dag.tasks, `${p}.dag.tasks`, named) : undefined)
      ?? list(t.volumes, `${p}.volumes`, named) ?? list(t.sidecars, `${p}.sidecars`, named) ?? list(t.initContainers, `${p}.initContainers`, named);
  };
  return map(spec.arguments, `${path}.arguments`) ?? (isMap(spec.arguments) ? list(spec.arguments.parameters, `${path}.arguments.parameters`, named) ?? list(spec.arguments.artifacts, `${path}.arguments.artifacts`, named) : undefined)
    ?? list(spec.templates, `${path}.templates`, template) ?? list(spec.volumes, `${path}.volumes`, named) ?? map(spec.hooks, `${path}.hooks`);
}
