/**
 * The plugin's text output (pure): `get rollout`'s summary and tree, `get experiment`, `list` tables,
 * `status` lines; the layout of upstream's plugin (tabwriter with padding 2, ANSI colours unless
 * --no-color, ages as Kubernetes' HumanDuration).
 */
import { humanDuration } from '@flotilla/apimachinery';
import { tabwrite } from '@flotilla/cli-kit/tabwriter';
import { ICON, rolloutImages, type AnalysisRunInfo, type ExperimentInfo, type Meta, type ReplicaSetInfo, type RolloutInfo } from './info.js';

export interface FormatOpts {
  /** ANSI colours (upstream's default; --no-color turns them off) */
  color: boolean;
  /** "now", for ages */
  now: number;
}

const COLORS: Record<string, number> = {
  [ICON.waiting]: 33,
  [ICON.progressing]: 33,
  [ICON.warning]: 31,
  [ICON.unknown]: 33,
  [ICON.ok]: 32,
  [ICON.bad]: 31,
  canary: 33,
  baseline: 34,
  stable: 32,
  active: 32,
  preview: 33,
};

export function colorize(s: string, o: FormatOpts): string {
  const c = COLORS[s];
  return o.color && c ? `\x1b[${c}m${s}\x1b[0m` : s;
}

/** Kubernetes' duration.HumanDuration (kubectl's AGE column), from apimachinery. */
export { humanDuration };

export function age(m: Meta, o: FormatOpts): string {
  if (!m.creationTimestamp) return '<unknown>';
  return humanDuration(o.now - Date.parse(m.creationTimestamp));
}

const field = (label: string, value: unknown) => `${label.padEnd(17)}${value}\n`;

function prefixes(isLast: boolean, sub: string): [string, string] {
  return isLast ? [`${sub}└──`, `${sub}   `] : [`${sub}├──`, `${sub}│  `];
}

const row = (...cells: string[]) => cells.join('\t') + '\n';

function rsRows(rs: ReplicaSetInfo, prefix: string, sub: string, o: FormatOpts): string {
  const info = [rs.canary && colorize('canary', o), rs.stable && colorize('stable', o), rs.active && colorize('active', o), rs.preview && colorize('preview', o)].filter(Boolean) as string[];
  if (rs.scaleDownDeadline) {
    const left = Math.round((Date.parse(rs.scaleDownDeadline) - o.now) / 1000);
    info.push(left > 0 ? `delay:${left}s` : 'delay:passed');
  }
  let s = row(`${prefix}${ICON.replicaSet} ${rs.objectMeta.name}`, 'ReplicaSet', `${colorize(rs.icon, o)} ${rs.status}`, age(rs.objectMeta, o), info.join(','));
  rs.pods.forEach((p, i) => {
    const [pp] = prefixes(i === rs.pods.length - 1, sub);
    const cols = [`ready:${p.ready}`];
    if (p.restarts > 0) cols.push(`restarts:${p.restarts}`);
    s += row(`${pp}${ICON.pod} ${p.objectMeta.name}`, 'Pod', `${colorize(p.icon, o)} ${p.status}`, age(p.objectMeta, o), cols.join(','));
  });
  return s;
}

function arRows(ar: AnalysisRunInfo, prefix: string, sub: string, o: FormatOpts): string {
  const info: string[] = [];
  if (ar.successful > 0) info.push(`${colorize(ICON.ok, o)} ${ar.successful}`);
  if (ar.failed > 0) info.push(`${colorize(ICON.bad, o)} ${ar.failed}`);
  if (ar.inconclusive > 0) info.push(`${colorize(ICON.unknown, o)} ${ar.inconclusive}`);
  if (ar.error > 0) info.push(`${colorize(ICON.warning, o)} ${ar.error}`);
  let s = row(`${prefix}${ICON.analysis} ${ar.objectMeta.name}`, 'AnalysisRun', `${colorize(ar.icon, o)} ${ar.status}`, age(ar.objectMeta, o), info.join(','));
  ar.jobs.forEach((j, i) => {
    const [jp] = prefixes(i === ar.jobs.length - 1, sub);
    s += row(`${jp}${ICON.job} ${j.objectMeta.name}`, 'Job', `${colorize(j.icon, o)} ${j.status}`, age(j.objectMeta, o), '');
  });
  return s;
}

function exRows(ex: ExperimentInfo, prefix: string, sub: string, o: FormatOpts): string {
  let s = row(`${prefix}${ICON.experiment} ${ex.objectMeta.name}`, 'Experiment', `${colorize(ex.icon, o)} ${ex.status}`, age(ex.objectMeta, o), '');
  const kids = [...ex.replicaSets.map((r) => ({ r })), ...ex.analysisRuns.map((a) => ({ a }))];
  kids.forEach((k, i) => {
    const [p, sp] = prefixes(i === kids.length - 1, sub);
    s += 'r' in k ? rsRows(k.r, p, sp, o) : arRows(k.a, p, sp, o);
  });
  return s;
}

/** The revisions present (ReplicaSets, Experiments, AnalysisRuns), newest first. */
export function revisions(info: RolloutInfo): number[] {
  const set = new Set<number>([...info.replicaSets, ...info.experiments, ...info.analysisRuns].map((x) => x.revision));
  return [...set].sort((a, b) => b - a);
}

export function rolloutTree(info: RolloutInfo, o: FormatOpts): string {
  let s = row('NAME', 'KIND', 'STATUS', 'AGE', 'INFO');
  s += row(`${ICON.rollout} ${info.objectMeta.name}`, 'Rollout', `${colorize(info.icon, o)} ${info.status}`, age(info.objectMeta, o), '');
  const revs = revisions(info);
  revs.forEach((rev, i) => {
    const [prefix, sub] = prefixes(i === revs.length - 1, '');
    s += row(`${prefix}${ICON.revision} revision:${rev}`, '', '', '', '');
    const kids = [
      ...info.replicaSets.filter((r) => r.revision === rev).map((r) => ({ r })),
      ...info.experiments.filter((e) => e.revision === rev).map((e) => ({ e })),
      ...info.analysisRuns.filter((a) => a.revision === rev).map((a) => ({ a })),
    ];
    kids.forEach((k, j) => {
      const [p, sp] = prefixes(j === kids.length - 1, sub);
      s += 'r' in k ? rsRows(k.r, p, sp, o) : 'e' in k ? exRows(k.e, p, sp, o) : arRows(k.a, p, sp, o);
    });
  });
  return tabwrite(s, { padding: 2 });
}

export function formatRollout(info: RolloutInfo, o: FormatOpts): string {
  let s = field('Name:', info.objectMeta.name);
  s += field('Namespace:', info.objectMeta.namespace ?? '');
  s += field('Status:', `${colorize(info.icon, o)} ${info.status}`);
  if (info.message) s += field('Message:', info.message);
  s += field('Strategy:', info.strategy);
  if (info.strategy === 'Canary') {
    if (info.steps.length) s += field('  Step:', info.step);
    s += field('  SetWeight:', info.setWeight);
    s += field('  ActualWeight:', info.actualWeight);
  }
  const imgs = rolloutImages(info);
  imgs.forEach((img, i) => {
    const text = img.tags.length ? `${img.image} (${img.tags.map((t) => colorize(t, o)).join(', ')})` : img.image;
    s += field(i === 0 ? 'Images:' : '', text);
  });
  s += 'Replicas:\n';
  s += field('  Desired:', info.desired);
  s += field('  Current:', info.current);
  s += field('  Updated:', info.updated);
  s += field('  Ready:', info.ready);
  s += field('  Available:', info.available);
  return s + '\n' + rolloutTree(info, o);
}

export function formatExperiment(ex: ExperimentInfo, o: FormatOpts): string {
  let s = field('Name:', ex.objectMeta.name);
  s += field('Namespace:', ex.objectMeta.namespace ?? '');
  s += field('Status:', `${colorize(ex.icon, o)} ${ex.status}`);
  if (ex.message) s += field('Message:', ex.message);
  const imgs = [...new Set(ex.replicaSets.flatMap((r) => r.images))];
  imgs.forEach((img, i) => (s += field(i === 0 ? 'Images:' : '', img)));
  s += '\n';
  let t = row('NAME', 'KIND', 'STATUS', 'AGE', 'INFO');
  t += exRows(ex, '', '', o);
  return s + tabwrite(t, { padding: 2 });
}

/** `list rollouts`: one row per rollout (with NAMESPACE first for -A). */
export function rolloutRow(info: RolloutInfo, allNamespaces: boolean): string[] {
  const canary = info.strategy === 'Canary';
  const cells = [
    info.objectMeta.name,
    info.strategy,
    info.status,
    canary && info.steps.length ? info.step || '-' : '-',
    canary ? info.setWeight : '-',
    `${info.ready}/${info.desired}`,
    String(info.desired),
    String(info.updated),
    String(info.available),
  ];
  return allNamespaces ? [info.objectMeta.namespace ?? '', ...cells] : cells;
}

export function rolloutTable(infos: RolloutInfo[], allNamespaces: boolean, header = true): string {
  const head = ['NAME', 'STRATEGY', 'STATUS', 'STEP', 'SET-WEIGHT', 'READY', 'DESIRED', 'UP-TO-DATE', 'AVAILABLE'];
  const rows = infos.map((i) => rolloutRow(i, allNamespaces).join('\t') + '\n');
  return tabwrite((header ? (allNamespaces ? ['NAMESPACE', ...head] : head).join('\t') + '\n' : '') + rows.join(''), { padding: 2 });
}

export function experimentTable(exs: ExperimentInfo[], allNamespaces: boolean, o: FormatOpts): string {
  const head = allNamespaces ? ['NAMESPACE', 'NAME', 'STATUS', 'AGE'] : ['NAME', 'STATUS', 'AGE'];
  const rows = exs.map((e) => [...(allNamespaces ? [e.objectMeta.namespace ?? ''] : []), e.objectMeta.name, e.status, age(e.objectMeta, o)].join('\t') + '\n');
  return tabwrite(head.join('\t') + '\n' + rows.join(''), { padding: 2 });
}

/** `status`'s line: "Healthy", "Paused - CanaryPauseStep", "Degraded - RolloutAborted: …". */
export function statusLine(info: { status: string; message: string }): string {
  return info.message ? `${info.status} - ${info.message}` : info.status;
}
