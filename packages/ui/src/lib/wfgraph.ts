/**
 * A workflow's graph from its status (`status.nodes`: each node with its `children`): the nodes the UI
 * draws (pods, DAG/steps groups, suspend, skipped…), the edges parent → child, large fan-outs collapsed,
 * the pod a node ran in, durations and a node's inputs/outputs as rows — pure, no DOM.
 */

export interface WfNodeStatus {
  id: string;
  name: string;
  displayName?: string;
  type: string;
  phase?: string;
  message?: string;
  templateName?: string;
  templateRef?: { name: string; template: string; clusterScope?: boolean };
  boundaryID?: string;
  children?: string[];
  outboundNodes?: string[];
  startedAt?: string;
  finishedAt?: string;
  progress?: string;
  podIP?: string;
  hostNodeName?: string;
  resourcesDuration?: Record<string, number>;
  inputs?: { parameters?: { name: string; value?: string }[]; artifacts?: { name: string; path?: string }[] };
  outputs?: { parameters?: { name: string; value?: string }[]; artifacts?: { name: string; path?: string }[]; result?: string; exitCode?: string };
}

export interface WfGraphNode {
  id: string;
  label: string;
  type: string;
  phase: string;
  /** a collapsed fan-out: how many children it stands for */
  collapsed?: number;
  /** the node a collapsed placeholder belongs to */
  parent?: string;
  root?: boolean;
}

export interface WfGraph {
  nodes: WfGraphNode[];
  edges: { from: string; to: string }[];
}

/** Children past this many are collapsed into one "+N more" node unless the parent is expanded. */
export const FANOUT = 12;

export function buildWorkflowGraph(wf: { metadata: { name?: string }; status?: { nodes?: Record<string, WfNodeStatus>; phase?: string } }, o: { expanded?: ReadonlySet<string>; fanout?: number } = {}): WfGraph {
  const all = wf.status?.nodes ?? {};
  const fanout = o.fanout ?? FANOUT;
  const nodes: WfGraphNode[] = [];
  const edges: { from: string; to: string }[] = [];
  const seen = new Set<string>();
  const rootId = Object.values(all).find((n) => n.name === wf.metadata.name)?.id ?? Object.keys(all)[0];
  const visit = (id: string) => {
    if (seen.has(id)) return;
    const n = all[id];
    if (!n) return;
    seen.add(id);
    nodes.push({ id, label: label(n), type: n.type, phase: n.phase ?? 'Pending', root: id === rootId || undefined });
    const kids = (n.children ?? []).filter((c) => all[c]);
    const shown = kids.length > fanout && !o.expanded?.has(id) ? kids.slice(0, fanout - 1) : kids;
    for (const c of shown) {
      edges.push({ from: id, to: c });
      visit(c);
    }
    if (shown.length < kids.length) {
      const more = `${id}/more`;
      const rest = kids.slice(shown.length);
      const phases = new Set(rest.map((c) => all[c]!.phase ?? 'Pending'));
      nodes.push({ id: more, label: `+${rest.length} more`, type: 'Collapsed', phase: phases.size === 1 ? [...phases][0]! : 'Running', collapsed: rest.length, parent: id });
      edges.push({ from: id, to: more });
      // what the hidden children lead to stays drawn, from the placeholder
      for (const c of rest) for (const g of all[c]!.children ?? []) if (all[g] && !rest.includes(g)) {
        edges.push({ from: more, to: g });
        visit(g);
      }
    }
  };
  if (rootId) visit(rootId);
  // nodes no parent reaches (an onExit handler's tree): drawn too, from their own roots
  for (const id of Object.keys(all)) if (!seen.has(id) && !Object.values(all).some((p) => p.children?.includes(id))) visit(id);
  const uniq = new Map<string, { from: string; to: string }>();
  for (const e of edges) uniq.set(`${e.from}>${e.to}`, e);
  return { nodes, edges: [...uniq.values()] };
}

function label(n: WfNodeStatus): string {
  if (n.type === 'StepGroup') return n.displayName ?? n.name;
  return n.displayName ?? n.name.replace(/^.*\./, '');
}

/** The FNV-1a hash at the end of a node id (`wf-1234567890`). */
const hashOf = (id: string) => /-(\d+)$/.exec(id)?.[1];

/**
 * The pod a node ran in, as Argo names pods ("v2" naming): `<workflow>-<template>-<hash of the node name>`,
 * the prefix cut to leave room for the hash; the root pod is named after the workflow.
 */
export function podNameOf(workflow: string, n: Pick<WfNodeStatus, 'id' | 'name' | 'templateName' | 'templateRef' | 'type'>): string | undefined {
  if (n.type !== 'Pod') return undefined;
  if (n.name === workflow || n.id === workflow) return workflow;
  const h = hashOf(n.id);
  if (!h) return n.id;
  const tmpl = n.templateName ?? n.templateRef?.template;
  let prefix = tmpl ? `${workflow}-${tmpl}` : workflow;
  if (prefix.length > 63 - 1 - 10) prefix = prefix.slice(0, 63 - 1 - 10);
  return `${prefix.replace(/[-.]+$/, '')}-${h}`;
}

/** `1h2m`, `3m4s`, `5s`; running nodes count up to `now`. */
export function duration(startedAt?: string, finishedAt?: string, now = Date.now()): string {
  if (!startedAt) return '';
  const ms = (finishedAt ? Date.parse(finishedAt) : now) - Date.parse(startedAt);
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${m}m` : m ? `${m}m${sec}s` : `${sec}s`;
}

/** A node's parameters, artifacts, result and exit code as rows for the node panel. */
export function ioRows(n: WfNodeStatus): { dir: 'input' | 'output'; kind: 'parameter' | 'artifact' | 'result' | 'exit code'; name: string; value: string }[] {
  const rows: ReturnType<typeof ioRows> = [];
  for (const [dir, io] of [['input', n.inputs], ['output', n.outputs]] as const) {
    for (const p of io?.parameters ?? []) rows.push({ dir, kind: 'parameter', name: p.name, value: p.value ?? '' });
    for (const a of io?.artifacts ?? []) rows.push({ dir, kind: 'artifact', name: a.name, value: a.path ?? '' });
  }
  if (n.outputs?.result !== undefined) rows.push({ dir: 'output', kind: 'result', name: 'result', value: n.outputs.result });
  if (n.outputs?.exitCode !== undefined) rows.push({ dir: 'output', kind: 'exit code', name: 'exitCode', value: n.outputs.exitCode });
  return rows;
}

/** The parameters a WorkflowTemplate's form asks for: `spec.arguments.parameters` with their defaults and enums. */
export function templateParameters(t: { spec?: { arguments?: { parameters?: { name: string; value?: string; default?: string; enum?: string[]; description?: string }[] } } }): { name: string; value: string; enum?: string[]; description?: string }[] {
  return (t.spec?.arguments?.parameters ?? []).map((p) => ({ name: p.name, value: String(p.value ?? p.default ?? ''), enum: p.enum, description: p.description }));
}

/** Which actions a workflow in a phase offers (as upstream's buttons are enabled). */
export function workflowActions(wf: { status?: { phase?: string; nodes?: Record<string, WfNodeStatus> }; spec?: { suspend?: boolean; shutdown?: string } }): Record<'resubmit' | 'retry' | 'suspend' | 'resume' | 'stop' | 'terminate' | 'delete', boolean> {
  const phase = wf.status?.phase ?? 'Pending';
  const done = ['Succeeded', 'Failed', 'Error'].includes(phase);
  const suspended = !!wf.spec?.suspend || Object.values(wf.status?.nodes ?? {}).some((n) => n.type === 'Suspend' && n.phase === 'Running');
  return {
    resubmit: true,
    retry: phase === 'Failed' || phase === 'Error',
    suspend: !done && !suspended,
    resume: !done && suspended,
    stop: !done && !wf.spec?.shutdown,
    terminate: !done && !wf.spec?.shutdown,
    delete: true,
  };
}

/** The list's label filter: `key=value` and `key` terms separated by commas, all of which must hold. */
export function matchesLabels(labels: Record<string, string> | undefined, filter: string): boolean {
  const terms = filter.split(',').map((t) => t.trim()).filter(Boolean);
  return terms.every((t) => {
    const i = t.indexOf('=');
    return i < 0 ? t in (labels ?? {}) : labels?.[t.slice(0, i).trim()] === t.slice(i + 1).trim();
  });
}

/** The labels the list shows: the user's, and which template or cron workflow a workflow came from. */
export function shownLabels(labels: Record<string, string> | undefined): string[] {
  return Object.entries(labels ?? {})
    .filter(([k]) => !k.startsWith('workflows.argoproj.io/') || k.endsWith('/workflow-template') || k.endsWith('/cron-workflow') || k.endsWith('/cluster-workflow-template'))
    .map(([k, v]) => `${k.replace('workflows.argoproj.io/', '')}=${v}`);
}

/** One container of a node's template, as the node panel's *Container* tab shows it. */
export interface ContainerInfo {
  role: 'main' | 'script' | 'sidecar' | 'init';
  name: string;
  image: string;
  command: string[];
  args: string[];
  workingDir?: string;
  env: { name: string; value: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  source?: string;
}

/**
 * The template a node ran — from the workflow's spec, the stored WorkflowTemplate spec, or `status.storedTemplates`
 * (where a templateRef's template is kept) — and its containers: main (container / script / containerSet),
 * init and sidecars, with env values or where they come from.
 */
export function nodeContainers(wf: { spec?: { templates?: any[] }; status?: { storedTemplates?: Record<string, any>; storedWorkflowTemplateSpec?: { templates?: any[] } } }, n: Pick<WfNodeStatus, 'templateName' | 'templateRef'>): { template?: string; containers: ContainerInfo[] } {
  const name = n.templateName ?? n.templateRef?.template;
  if (!name) return { containers: [] };
  const stored = Object.entries(wf.status?.storedTemplates ?? {});
  const t =
    (n.templateRef ? stored.find(([k]) => k.endsWith(`/${n.templateRef!.name}/${name}`))?.[1] : undefined) ??
    (wf.spec?.templates ?? []).find((x) => x?.name === name) ??
    (wf.status?.storedWorkflowTemplateSpec?.templates ?? []).find((x) => x?.name === name) ??
    stored.find(([k]) => k.endsWith(`/${name}`))?.[1];
  if (!t) return { template: name, containers: [] };
  const env = (e: any[] | undefined) => (e ?? []).map((v) => ({ name: String(v.name), value: v.value !== undefined ? String(v.value) : v.valueFrom ? `from ${Object.keys(v.valueFrom)[0]} ${JSON.stringify(Object.values(v.valueFrom)[0])}` : '' }));
  const info = (role: ContainerInfo['role'], c: any, fallback: string): ContainerInfo => ({
    role, name: c.name ?? fallback, image: c.image ?? '', command: (c.command ?? []).map(String), args: (c.args ?? []).map(String),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}), env: env(c.env), ...(c.resources ? { resources: c.resources } : {}), ...(c.source !== undefined ? { source: String(c.source) } : {}),
  });
  const out: ContainerInfo[] = [];
  for (const c of t.initContainers ?? []) out.push(info('init', c, 'init'));
  if (t.container) out.push(info('main', t.container, 'main'));
  if (t.script) out.push(info('script', t.script, 'main'));
  for (const c of t.containerSet?.containers ?? []) out.push(info('main', c, 'main'));
  for (const c of t.sidecars ?? []) out.push(info('sidecar', c, 'sidecar'));
  return { template: t.name ?? name, containers: out };
}

const TEMPLATE_KINDS = ['container', 'script', 'containerSet', 'steps', 'dag', 'resource', 'suspend', 'data', 'http', 'plugin'] as const;

/** A template's kind (`container`, `steps`, …; `-` for none known) and the image(s) it runs. */
export function templateKind(t: Record<string, any> | undefined): { kind: string; image: string } {
  const kind = TEMPLATE_KINDS.find((k) => t?.[k] !== undefined) ?? '-';
  return { kind, image: String(t?.container?.image ?? t?.script?.image ?? t?.containerSet?.containers?.map((c: any) => c.image).join(', ') ?? '') };
}
