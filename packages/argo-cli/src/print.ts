/**
 * The argo CLI's text output, pure (`now` and colour are parameters): `argo get`'s summary and node tree,
 * `argo list`'s table, the status words and phase symbols (✔ ✖ ◷ ● ○ ⚠ ǁ).
 */
import type { NodeStatus, Workflow } from '@flotilla/workflows-controller';
import { podName } from './podname.js';
import { TabWriter } from '@flotilla/cli-kit/tabwriter';
import { humanDuration, longDuration, resourcesDuration, shortDuration, timestamp } from './humanize.js';

export interface PrintOpts {
  now: number;
  /** ANSI colours (a terminal) */
  color?: boolean;
  /** -o wide / short */
  output?: string;
  /** `--status Failed,Error`: only nodes in these phases (and their ancestors) in the tree */
  status?: string[];
  /** `--node-field-selector`: only nodes this predicate selects (and their ancestors) */
  nodeSelect?: (n: NodeStatus) => boolean;
}

const RESET = '\x1b[0m';
const COLOR: Record<string, string> = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', hiblack: '\x1b[90m' };

export const PHASE_ICON: Record<string, [string, string]> = {
  Pending: ['◷', 'yellow'],
  Running: ['●', 'cyan'],
  Succeeded: ['✔', 'green'],
  Skipped: ['○', ''],
  Omitted: ['○', ''],
  Failed: ['✖', 'red'],
  Error: ['⚠', 'red'],
};

export function paint(s: string, color: string, on: boolean | undefined): string {
  return on && COLOR[color] ? `${COLOR[color]}${s}${RESET}` : s;
}

/** The symbol of a node: ǁ for a suspended node, else its phase's. */
export function nodeIcon(n: NodeStatus, color?: boolean): string {
  if (n.type === 'Suspend' && n.phase === 'Running') return paint('ǁ', 'cyan', color);
  const [icon, c] = PHASE_ICON[n.phase] ?? ['◷', 'yellow'];
  return paint(icon, c, color);
}

export function isCompleted(wf: Workflow): boolean {
  const p = wf.status?.phase;
  return p === 'Succeeded' || p === 'Failed' || p === 'Error';
}

export function isSuspended(wf: Workflow): boolean {
  if (wf.spec?.suspend) return true;
  return Object.values(wf.status?.nodes ?? {}).some((n) => n.type === 'Suspend' && n.phase === 'Running');
}

/** The STATUS word: Pending, Running, Running (Suspended), Succeeded, Failed, Error. */
export function workflowStatus(wf: Workflow): string {
  const p = wf.status?.phase;
  switch (p) {
    case 'Running':
      if (isSuspended(wf)) return 'Running (Suspended)';
      if (wf.spec?.shutdown) return `Running (${wf.spec.shutdown === 'Stop' ? 'Stopping' : 'Terminating'})`;
      return 'Running';
    case undefined:
    case '':
    case 'Pending':
      return wf.metadata?.creationTimestamp ? 'Pending' : 'Unknown';
    default:
      return p;
  }
}

const FMT = (k: string, v: unknown) => `${k.padEnd(20)} ${v ?? ''}\n`;

/** `argo get NAME`: the summary lines, then (unless -o short) the node tree. */
export function printWorkflow(wf: Workflow, o: PrintOpts): string {
  let out = '';
  const st = wf.status ?? {};
  out += FMT('Name:', wf.metadata.name);
  out += FMT('Namespace:', wf.metadata.namespace);
  const sa = wf.spec?.serviceAccountName || (st.storedWorkflowTemplateSpec as any)?.serviceAccountName;
  out += FMT('ServiceAccount:', sa || 'unset (will run with the default ServiceAccount)');
  out += FMT('Status:', workflowStatus(wf));
  if (st.message) out += FMT('Message:', st.message);
  if (st.conditions?.length) {
    out += FMT('Conditions:', '');
    const icon: Record<string, string> = { SpecWarning: '⚠', SpecError: '✖', MetricsError: '✖', ArtifactGCError: '✖' };
    for (const c of st.conditions) out += FMT(`${icon[c.type] ?? ''} ${c.type}`, c.message || c.status);
  }
  if (wf.metadata.creationTimestamp) out += FMT('Created:', timestamp(wf.metadata.creationTimestamp, o.now));
  if (st.startedAt) out += FMT('Started:', timestamp(st.startedAt, o.now));
  if (st.finishedAt) out += FMT('Finished:', timestamp(st.finishedAt, o.now));
  if (st.startedAt) out += FMT('Duration:', longDuration(st.startedAt, st.finishedAt, o.now));
  if (st.phase === 'Running' && typeof st.estimatedDuration === 'number' && st.estimatedDuration > 0) out += FMT('EstimatedDuration:', humanDuration((st.estimatedDuration as number) * 1000));
  out += FMT('Progress:', st.progress ?? '');
  if (st.resourcesDuration && Object.keys(st.resourcesDuration).length) out += FMT('ResourcesDuration:', resourcesDuration(st.resourcesDuration));
  const params = wf.spec?.arguments?.parameters ?? [];
  if (params.length) {
    out += FMT('Parameters:', '');
    for (const p of params) if (p.value !== undefined) out += FMT(`  ${p.name}:`, p.value);
  }
  if (st.outputs?.parameters?.length) {
    out += FMT('Output Parameters:', '');
    for (const p of st.outputs.parameters) out += FMT(`  ${p.name}:`, p.value ?? '');
  }
  if (st.outputs?.artifacts?.length) {
    out += FMT('Output Artifacts:', '');
    for (const a of st.outputs.artifacts) out += FMT(`  ${a.name}:`, artifactKey(a));
  }
  if (o.output !== 'short' && st.nodes && Object.keys(st.nodes).length) out += '\n' + printTree(wf, o);
  return out;
}

function artifactKey(a: any): string {
  if (a.s3) return `${a.s3.bucket ? `s3://${a.s3.bucket}/` : ''}${a.s3.key ?? ''}`;
  if (a.http) return a.http.url ?? '';
  if (a.git) return a.git.repo ?? '';
  if (a.raw) return '(raw)';
  return a.path ?? '';
}

interface Row {
  prefix: string;
  node: NodeStatus;
}

/** The node tree of `argo get`: STEP TEMPLATE PODNAME DURATION MESSAGE (wide: + ARTIFACTS, RESOURCESDURATION, NODENAME). */
export function printTree(wf: Workflow, o: PrintOpts): string {
  const nodes = wf.status?.nodes ?? {};
  const name = wf.metadata.name ?? '';
  const rows: (Row | null)[] = [];
  const keep = visibleSet(nodes, o);
  const root = nodes[name] ?? Object.values(nodes).find((n) => !n.boundaryID && !isChild(nodes, n.id));
  if (root) walk(nodes, root, '', true, true, rows, keep);
  const exit = Object.values(nodes).find((n) => n.name === `${name}.onExit`);
  if (exit && exit !== root) {
    rows.push(null);
    walk(nodes, exit, '', true, true, rows, keep);
  }
  const wide = o.output === 'wide';
  const t = new TabWriter({ padding: 2 });
  if (wide) t.row('STEP', 'TEMPLATE', 'PODNAME', 'DURATION', 'ARTIFACTS', 'MESSAGE', 'RESOURCESDURATION', 'NODENAME');
  else t.row('STEP', 'TEMPLATE', 'PODNAME', 'DURATION', 'MESSAGE');
  for (const r of rows) {
    if (!r) {
      t.row(...(wide ? ['', '', '', '', '', '', '', ''] : ['', '', '', '', '']));
      continue;
    }
    const n = r.node;
    const pod = n.type === 'Pod' ? podName(name, n.name, n.templateName ?? n.templateRef?.template) : '';
    const dur = n.type === 'Pod' || n.type === 'Suspend' || n.type === 'HTTP' ? shortDuration(n.startedAt, n.finishedAt, o.now) : '';
    const tmpl = n.templateRef ? `${n.templateRef.name}/${n.templateRef.template}` : (n.templateName ?? '');
    const step = `${r.prefix}${nodeIcon(n, o.color)} ${n.displayName || n.name}`;
    const msg = n.message ?? '';
    if (wide) {
      const arts = (n.outputs?.artifacts ?? []).map((a) => a.name).join(',');
      t.row(step, tmpl, pod, dur, arts, msg, n.type === 'Pod' ? resourcesDuration(n.resourcesDuration) : '', n.type === 'Pod' ? (n.hostNodeName ?? '') : '');
    } else t.row(step, tmpl, pod, dur, msg);
  }
  return t.flush();
}

function isChild(nodes: Record<string, NodeStatus>, id: string): boolean {
  return Object.values(nodes).some((n) => n.children?.includes(id));
}

/** The nodes kept by --status / --node-field-selector: the selected ones and all their ancestors (undefined: all). */
function visibleSet(nodes: Record<string, NodeStatus>, o: PrintOpts): Set<string> | undefined {
  if (!o.status?.length && !o.nodeSelect) return undefined;
  // the parent in the tree as drawn: the Retry/TaskGroup holding a node, else its boundary (steps, DAG), else the node listing it
  const holder = new Map<string, string>();
  const lister = new Map<string, string>();
  for (const n of Object.values(nodes)) {
    for (const c of n.children ?? []) {
      if (n.type === 'Retry' || n.type === 'TaskGroup') holder.set(c, n.id);
      else if (!lister.has(c)) lister.set(c, n.id);
    }
  }
  const parentOf = (id: string) => holder.get(id) ?? nodes[id]?.boundaryID ?? lister.get(id);
  const keep = new Set<string>();
  for (const n of Object.values(nodes)) {
    const sel = (!o.status?.length || o.status.includes(n.phase)) && (!o.nodeSelect || o.nodeSelect(n));
    if (!sel) continue;
    for (let id: string | undefined = n.id; id && !keep.has(id); id = parentOf(id)) keep.add(id);
  }
  return keep;
}

const byStart = (a: NodeStatus, b: NodeStatus) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || (a.displayName ?? a.name).localeCompare(b.displayName ?? b.name, 'en', { numeric: true });

/** The nodes shown under `n`, each a list of siblings (a step group is one list; others are lists of one). */
function childGroups(nodes: Record<string, NodeStatus>, n: NodeStatus): NodeStatus[][] {
  const all = Object.values(nodes);
  const get = (ids: string[] | undefined) => (ids ?? []).map((id) => nodes[id]).filter((x): x is NodeStatus => !!x);
  const onExit = all.filter((x) => x.boundaryID === n.id && x.name === `${n.name}.onExit`);
  if (n.type === 'Steps') {
    const groups = all.filter((x) => x.type === 'StepGroup' && x.boundaryID === n.id).sort((a, b) => groupIndex(a) - groupIndex(b));
    return [...groups.map((g) => get(g.children).filter((c) => c.type !== 'StepGroup').sort(byStart)).filter((g) => g.length), ...onExit.map((x) => [x])];
  }
  if (n.type === 'DAG') {
    const inner = new Set<string>();
    for (const x of all) if (x.boundaryID === n.id && (x.type === 'Retry' || x.type === 'TaskGroup')) for (const c of x.children ?? []) inner.add(c);
    const members = all.filter((x) => x.boundaryID === n.id && !inner.has(x.id) && x.name !== `${n.name}.onExit`).sort(byStart);
    return [...members.map((x) => [x]), ...onExit.map((x) => [x])];
  }
  if (n.type === 'Retry' || n.type === 'TaskGroup' || n.type === 'StepGroup') return get(n.children).sort(byStart).map((x) => [x]);
  return onExit.map((x) => [x]);
}

function groupIndex(g: NodeStatus): number {
  const m = /\[(\d+)\]$/.exec(g.displayName ?? g.name);
  return m ? Number(m[1]) : 0;
}

function walk(nodes: Record<string, NodeStatus>, n: NodeStatus, prefix: string, _last: boolean, isRoot: boolean, rows: (Row | null)[], keep: Set<string> | undefined): void {
  if (isRoot) rows.push({ prefix: ' ', node: n });
  const groups = childGroups(nodes, n)
    .map((g) => g.filter((x) => !keep || keep.has(x.id)))
    .filter((g) => g.length);
  const base = isRoot ? ' ' : prefix;
  groups.forEach((g, gi) => {
    const lastGroup = gi === groups.length - 1;
    const stepGroup = n.type === 'Steps' && !g.some((x) => x.name === `${n.name}.onExit`);
    if (!stepGroup) {
      const x = g[0];
      rows.push({ prefix: `${base}${lastGroup ? '└─' : '├─'}`, node: x });
      walk(nodes, x, `${base}${lastGroup ? '  ' : '│ '}`, lastGroup, false, rows, keep);
      return;
    }
    g.forEach((x, i) => {
      const lastInGroup = i === g.length - 1;
      let p: string;
      let childPrefix: string;
      if (g.length === 1) {
        p = `${base}${lastGroup ? '└───' : '├───'}`;
        childPrefix = `${base}${lastGroup ? '    ' : '│   '}`;
      } else if (i === 0) {
        p = `${base}${lastGroup ? '└─┬─' : '├─┬─'}`;
        childPrefix = `${base}${lastGroup ? '  │ ' : '│ │ '}`;
      } else {
        p = `${base}${lastGroup ? '  ' : '│ '}${lastInGroup ? '└─' : '├─'}`;
        childPrefix = `${base}${lastGroup ? '  ' : '│ '}${lastInGroup ? '  ' : '│ '}`;
      }
      rows.push({ prefix: p, node: x });
      walk(nodes, x, childPrefix, lastInGroup, false, rows, keep);
    });
  });
}

export interface ListOpts {
  now: number;
  output?: string;
  noHeaders?: boolean;
  /** -A: a NAMESPACE column first */
  allNamespaces?: boolean;
}

/** `argo list`: NAME STATUS AGE DURATION PRIORITY MESSAGE (wide: + P/R/C PARAMETERS); "No workflows found" when empty. */
export function printWorkflowList(wfs: Workflow[], o: ListOpts): string {
  if (o.output === 'name') return wfs.map((w) => `${w.metadata.name}\n`).join('');
  if (!wfs.length) return 'No workflows found\n';
  const wide = o.output === 'wide';
  const t = new TabWriter({ padding: 3 });
  if (!o.noHeaders) {
    const head = ['NAME', 'STATUS', 'AGE', 'DURATION', 'PRIORITY', 'MESSAGE', ...(wide ? ['P/R/C', 'PARAMETERS'] : [])];
    t.row(...(o.allNamespaces ? ['NAMESPACE'] : []), ...head);
  }
  for (const wf of wfs) {
    const st = wf.status ?? {};
    const cells: unknown[] = [
      ...(o.allNamespaces ? [wf.metadata.namespace] : []),
      wf.metadata.name,
      workflowStatus(wf),
      shortDuration(wf.metadata.creationTimestamp, undefined, o.now),
      shortDuration(st.startedAt, st.finishedAt, o.now),
      wf.spec?.priority ?? 0,
      st.message ?? '',
    ];
    if (wide) {
      const pods = Object.values(st.nodes ?? {}).filter((n) => n.type === 'Pod');
      const count = (ps: string[]) => pods.filter((n) => ps.includes(n.phase)).length;
      cells.push(`${count(['Pending'])}/${count(['Running'])}/${count(['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted'])}`);
      cells.push((wf.spec?.arguments?.parameters ?? []).map((p) => `${p.name}=${p.value ?? ''}`).join(','));
    }
    t.row(...cells);
  }
  return t.flush();
}

/** The order of `argo list`: unfinished first, then the newest first. */
export function sortWorkflows(wfs: Workflow[]): Workflow[] {
  return [...wfs].sort((a, b) => {
    const fa = isCompleted(a) ? 1 : 0;
    const fb = isCompleted(b) ? 1 : 0;
    if (fa !== fb) return fa - fb;
    return (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
  });
}
