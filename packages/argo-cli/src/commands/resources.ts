/**
 * `argo lint`, `argo template …`, `argo cluster-template …`, `argo cron …`: create/list/get/delete/lint of
 * WorkflowTemplates, ClusterWorkflowTemplates and CronWorkflows, and linting files and directories of
 * all four kinds (lintObject of @flotilla/workflows-controller, or argo-server's lint in server mode).
 */
import { Command } from '@flotilla/cli-kit/command';
import type { FlagDef } from '@flotilla/cli-kit/flags';
import { io } from '@flotilla/cli-kit/io';
import { TabWriter } from '@flotilla/cli-kit/tabwriter';
import { backend, kindOf, KINDS, parsePairs, type Backend, type Kind } from '../backend.js';
import { humanDuration, timestamp } from '../humanize.js';
import { listFiles, printObject, readManifests, stdoutIsTTY, type Manifest } from '../output.js';
import { paint } from '../print.js';
import { readParameterFile, resolverFor } from './submit.js';
import { CliError } from '../session.js';

interface LintResult {
  file: string;
  errors: string[];
  linted: number;
}

/** The fields of a WorkflowSpec (v3.6), also the spec of WorkflowTemplates and ClusterWorkflowTemplates. */
const WORKFLOW_SPEC = new Set(['activeDeadlineSeconds', 'affinity', 'archiveLogs', 'arguments', 'artifactGC', 'artifactRepositoryRef', 'automountServiceAccountToken', 'dnsConfig', 'dnsPolicy', 'entrypoint', 'executor', 'hooks', 'hostAliases', 'hostNetwork', 'imagePullSecrets', 'metrics', 'nodeSelector', 'onExit', 'parallelism', 'podDisruptionBudget', 'podGC', 'podMetadata', 'podPriority', 'podPriorityClassName', 'podSpecPatch', 'priority', 'retryStrategy', 'schedulerName', 'securityContext', 'serviceAccountName', 'shutdown', 'suspend', 'synchronization', 'templateDefaults', 'templates', 'tolerations', 'ttlStrategy', 'volumeClaimGC', 'volumeClaimTemplates', 'volumes', 'workflowMetadata', 'workflowTemplateRef']);
const CRON_SPEC = new Set(['concurrencyPolicy', 'failedJobsHistoryLimit', 'schedule', 'schedules', 'startingDeadlineSeconds', 'stopStrategy', 'successfulJobsHistoryLimit', 'suspend', 'timezone', 'when', 'workflowMetadata', 'workflowSpec']);

/**
 * `--strict` (the default): the fields upstream's strict decoding refuses, as `unknown field "spec.entrypoints"` —
 * at the top level, in `spec` and in a CronWorkflow's `spec.workflowSpec`.
 */
export function unknownFields(obj: any): string[] {
  const out: string[] = [];
  const check = (v: any, known: Set<string>, path: string) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return;
    for (const k of Object.keys(v)) if (!known.has(k)) out.push(`${path}${k}`);
  };
  check(obj, new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']), '');
  if (obj?.kind === 'CronWorkflow') {
    check(obj.spec, CRON_SPEC, 'spec.');
    check(obj.spec?.workflowSpec, WORKFLOW_SPEC, 'spec.workflowSpec.');
  } else check(obj?.spec, WORKFLOW_SPEC, 'spec.');
  return out;
}

/** Lints the manifests of files/dirs: the kinds given (all four when none). */
export async function lintFiles(b: Backend | undefined, sources: string[], kinds: Kind[], o: { strict?: boolean; lookup?: Backend } = {}): Promise<LintResult[]> {
  const { lintObject } = await import('@flotilla/workflows-controller');
  const byFile = new Map<string, LintResult>();
  const manifests: Manifest[] = [];
  for (const f of listFiles(sources)) {
    try {
      manifests.push(...(await readManifests([f], { dirs: false })));
    } catch (e) {
      byFile.set(f, { file: f, errors: [(e as Error).message.replace(`${f}: `, '')], linted: 0 });
    }
  }
  // references resolve against the templates among the arguments, then (online) the cluster's
  const local = manifests.map((m) => m.obj).filter((x) => x?.kind === 'WorkflowTemplate' || x?.kind === 'ClusterWorkflowTemplate');
  const resolver = await resolverFor(o.lookup, o.lookup?.namespace ?? '', manifests.map((m) => m.obj?.kind === 'CronWorkflow' ? { spec: m.obj.spec?.workflowSpec } : m.obj ?? {}), local);
  for (const m of manifests) {
    const r = byFile.get(m.file) ?? byFile.set(m.file, { file: m.file, errors: [], linted: 0 }).get(m.file)!;
    const kind = kindOf(m.obj?.kind);
    if (!kind || !kinds.includes(kind)) continue;
    r.linted++;
    const label = `in "${m.obj.metadata?.name || m.obj.metadata?.generateName || ''}" (${m.obj.kind})`;
    if (o.strict) for (const f of unknownFields(m.obj)) r.errors.push(`${label}: unknown field "${f}"`);
    if (b?.lint) {
      const msg = await b.lint(kind, b.namespace, m.obj);
      if (msg) r.errors.push(`${label}: ${msg}`);
      continue;
    }
    for (const e of lintObject(m.obj, resolver)) r.errors.push(`${label}: ${e.message}`);
  }
  return [...byFile.values()];
}

/** upstream's "pretty" lint output; returns the exit code */
export function printLint(results: LintResult[], o: { output?: string } = {}): number {
  const color = stdoutIsTTY();
  const total = results.reduce((n, r) => n + r.errors.length, 0);
  const linted = results.reduce((n, r) => n + r.linted, 0);
  if (o.output === 'simple') {
    for (const r of results) for (const e of r.errors) io.out(`${r.file}: ${e}\n`);
    if (!total) io.out('no linting errors found!\n');
    return total ? 1 : 0;
  }
  for (const r of results) {
    if (!r.errors.length) continue;
    io.out(`${paint(r.file, '', color)}:\n`);
    for (const e of r.errors) io.out(`   ${paint('✖', 'red', color)} ${e}\n`);
    io.out('\n');
  }
  if (total) io.out(`${paint('✖', 'red', color)} ${total} linting errors found!\n`);
  else if (!linted) io.out(`${paint('✖', 'red', color)} found nothing to lint in the specified paths, failing...\n`);
  else io.out(`${paint('✔', 'green', color)} no linting errors found!\n`);
  return total || !linted ? 1 : 0;
}

export function lintCommand(): Command {
  return new Command({
    use: 'lint FILE...',
    short: 'validate files or directories of manifests',
    example: `# Lint all manifests in a specified directory:

  argo lint ./manifests

# Lint only manifests of Workflows and CronWorkflows from stdin:

  cat manifests.yaml | argo lint --kinds=workflows,cronworkflows -
`,
    flags: [
      { name: 'kinds', type: 'stringSlice', usage: 'Which kinds will be linted. Can be: workflows|workflowtemplates|cronworkflows|clusterworkflowtemplates', default: ['all'] },
      { name: 'offline', type: 'bool', usage: 'perform offline linting. For resources referencing other resources, the references will be resolved from the provided args' },
      { name: 'output', short: 'o', type: 'string', usage: 'Linting results output format. One of: pretty|simple', default: 'pretty' },
      { name: 'strict', type: 'bool', usage: 'Perform strict workflow validation', default: true },
    ],
    args: { min: 1 },
    run: async ({ args, opts }) => {
      const alias: Record<string, Kind> = { workflows: 'workflows', wf: 'workflows', workflowtemplates: 'workflowtemplates', wftmpl: 'workflowtemplates', cronworkflows: 'cronworkflows', cronwf: 'cronworkflows', clusterworkflowtemplates: 'clusterworkflowtemplates', cwftmpl: 'clusterworkflowtemplates' };
      const ks = (opts.kinds as string[]).includes('all') ? (Object.keys(KINDS) as Kind[]) : (opts.kinds as string[]).map((k) => alias[k] ?? (() => { throw new CliError(`unknown kind: ${k}`); })());
      const b = opts.offline || !process.env.ARGO_SERVER ? undefined : await backend(opts);
      const lookup = opts.offline ? undefined : await backend(opts).catch(() => undefined);
      return printLint(await lintFiles(b, args, ks, { strict: opts.strict, lookup }), { output: opts.output });
    },
  });
}

/** `template get` / `cluster-template get` / after create: upstream's short summary. */
function printTemplate(t: any): string {
  const fmt = (k: string, v: unknown) => `${k.padEnd(20)} ${v ?? ''}\n`;
  let out = fmt('Name:', t.metadata.name);
  if (t.metadata.namespace) out += fmt('Namespace:', t.metadata.namespace);
  out += fmt('Created:', timestamp(t.metadata.creationTimestamp ?? new Date(), Date.now()));
  return out;
}

/** The next time one of a CronWorkflow's schedules fires (croner, in its time zone), or undefined. */
export async function nextRun(c: any, now: Date): Promise<Date | undefined> {
  const s = c.spec ?? {};
  const schedules: string[] = s.schedules?.length ? s.schedules : s.schedule ? [s.schedule] : [];
  if (!schedules.length || s.suspend) return undefined;
  const { Cron } = await import('croner');
  let best: Date | undefined;
  for (const sc of schedules) {
    try {
      const next = new Cron(sc, { timezone: s.timezone || undefined, paused: true }).nextRun(now);
      if (next && (!best || next < best)) best = next;
    } catch {
      /* a bad schedule has no next run */
    }
  }
  return best;
}

export function printCron(c: any, next?: Date): string {
  const fmt = (k: string, v: unknown) => `${k.padEnd(30)} ${v ?? ''}\n`;
  const s = c.spec ?? {};
  const st = c.status ?? {};
  let out = fmt('Name:', c.metadata.name) + fmt('Namespace:', c.metadata.namespace) + fmt('Created:', timestamp(c.metadata.creationTimestamp ?? new Date(), Date.now()));
  out += fmt('Schedules:', s.schedules?.length ? s.schedules.join(',') : s.schedule);
  out += fmt('Suspended:', !!s.suspend);
  if (s.timezone) out += fmt('Timezone:', s.timezone);
  if (s.startingDeadlineSeconds !== undefined) out += fmt('StartingDeadlineSeconds:', s.startingDeadlineSeconds);
  if (s.concurrencyPolicy) out += fmt('ConcurrencyPolicy:', s.concurrencyPolicy);
  if (st.lastScheduledTime) out += fmt('LastScheduledTime:', timestamp(st.lastScheduledTime, Date.now()));
  if (next) out += fmt('NextScheduledTime:', `${timestamp(next, Date.now())} (assumes workflow-controller is in UTC)`);
  if (st.active?.length) out += fmt('Active Workflows:', st.active.map((a: any) => a.name).join(', '));
  if (st.conditions?.length) {
    out += fmt('Conditions:', '');
    for (const x of st.conditions) out += fmt(`  ${x.type}`, x.message || x.status);
  }
  // the workflow's arguments, those with a value (upstream's TestCronCommands/"Create Parameter Override")
  const params: any[] = s.workflowSpec?.arguments?.parameters ?? [];
  if (params.length) {
    out += fmt('Workflow Parameters:', '');
    for (const p of params) {
      const v = p.value ?? p.default;
      if (v !== undefined && v !== null) out += fmt(`  ${p.name}:`, v);
    }
  }
  return out;
}

function listTable(kind: Kind, items: any[], o: { allNamespaces?: boolean; output?: string; now: number; next?: (Date | undefined)[] }): string {
  if (o.output === 'name') return items.map((i) => `${i.metadata.name}\n`).join('');
  const t = new TabWriter({ padding: 3 });
  if (kind === 'cronworkflows') {
    t.row(...(o.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'AGE', 'LAST RUN', 'NEXT RUN', 'SCHEDULES', 'TIMEZONE', 'SUSPENDED');
    for (const [i, c] of items.entries()) {
      const next = o.next?.[i];
      const last = c.status?.lastScheduledTime ? humanDuration(o.now - new Date(c.status.lastScheduledTime).getTime()) : 'N/A';
      t.row(...(o.allNamespaces ? [c.metadata.namespace] : []), c.metadata.name, humanDuration(o.now - new Date(c.metadata.creationTimestamp ?? o.now).getTime()), last, next ? humanDuration(next.getTime() - o.now) : 'N/A', (c.spec?.schedules?.length ? c.spec.schedules.join(',') : c.spec?.schedule) ?? '', c.spec?.timezone ?? '', !!c.spec?.suspend);
    }
    return t.flush();
  }
  t.row(...(o.allNamespaces && kind !== 'clusterworkflowtemplates' ? ['NAMESPACE'] : []), 'NAME');
  for (const x of items) t.row(...(o.allNamespaces && kind !== 'clusterworkflowtemplates' ? [x.metadata.namespace] : []), x.metadata.name);
  return t.flush();
}

/** `cron create`'s flags that change the CronWorkflow before it is created */
function cronCreateFlags(): FlagDef[] {
  return [
    { name: 'entrypoint', type: 'string', usage: 'override entrypoint' },
    { name: 'generate-name', type: 'string', usage: 'override metadata.generateName' },
    { name: 'labels', short: 'l', type: 'string', usage: 'Comma separated labels to apply to the workflow. Will override previous values.' },
    { name: 'name', type: 'string', usage: 'override metadata.name' },
    { name: 'parameter', short: 'p', type: 'stringArray', usage: 'pass an input parameter' },
    { name: 'parameter-file', short: 'f', type: 'string', usage: 'pass a file containing all input parameters' },
    { name: 'schedule', type: 'string', usage: 'override cron workflow schedule' },
    { name: 'serviceaccount', type: 'string', usage: 'run all pods in the workflow using specified serviceaccount' },
  ];
}

/** --schedule, --name, --generate-name, -l, -p, --entrypoint, --serviceaccount on a CronWorkflow */
export function applyCronFlags(obj: any, opts: Record<string, any>): void {
  obj.metadata ??= {};
  obj.spec ??= {};
  if (opts.schedule) {
    // the override replaces every schedule (schedules: [..] of v3.6, or the older schedule)
    delete obj.spec.schedules;
    obj.spec.schedule = opts.schedule;
  }
  if (opts.name) obj.metadata.name = opts.name;
  if (opts.generateName) {
    obj.metadata.generateName = opts.generateName;
    if (!opts.name) delete obj.metadata.name;
  }
  if (opts.labels) obj.metadata.labels = { ...obj.metadata.labels, ...parsePairs(String(opts.labels).split(',').map((x) => x.trim()).filter(Boolean), 'label') };
  const ws = (obj.spec.workflowSpec ??= {});
  if (opts.entrypoint) ws.entrypoint = opts.entrypoint;
  if (opts.serviceaccount) ws.serviceAccountName = opts.serviceaccount;
  const params = (opts.parameter as string[] | undefined) ?? [];
  if (params.length) {
    const list: { name: string; value?: string }[] = (ws.arguments ??= {}).parameters ??= [];
    for (const [k, v] of Object.entries(parsePairs(params))) {
      const p = list.find((x) => x.name === k);
      if (p) p.value = v;
      else list.push({ name: k, value: v });
    }
  }
}

/** `template|cluster-template|cron` with create, list, get, delete, lint (and cron suspend/resume). */
function resourceGroup(kind: Kind, use: string, aliases: string[], short: string): Command {
  const what = KINDS[kind].kind;
  const print = async (x: any) => (kind === 'cronworkflows' ? printCron(x, await nextRun(x, new Date())) : printTemplate(x));
  const group = new Command({ use, aliases, short, run: ({ cmd }) => {
    io.out(cmd.help());
    return 0;
  } });
  const cmds: Command[] = [
    new Command({
      use: 'create FILE1 FILE2...',
      short: `create a ${what}`,
      flags: [
        { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: name|json|yaml|wide' },
        { name: 'strict', type: 'bool', usage: 'perform strict workflow validation', default: true },
        ...(kind === 'cronworkflows' ? cronCreateFlags() : []),
      ],
      args: { min: 1 },
      run: async ({ args, opts }) => {
        const b = await backend(opts);
        const ms = (await readManifests(args)).filter((m) => m.obj?.kind === what);
        if (!ms.length) throw new CliError(`No ${what} found in given files`);
        const { lintObject } = await import('@flotilla/workflows-controller');
        // -f params.yaml: its pairs first, -p after them (a -p wins), as submit's
        if (opts.parameterFile) opts.parameter = [...(await readParameterFile(opts.parameterFile)), ...((opts.parameter as string[]) ?? [])];
        for (const m of ms) {
          const obj = structuredClone(m.obj);
          if (kind === 'cronworkflows') applyCronFlags(obj, opts);
          const errs = lintObject(obj);
          if (errs.length) throw new CliError(`Failed to create ${kind === 'cronworkflows' ? 'cron workflow' : 'workflow template'}: ${errs[0].message}`);
          const created = await b.create(kind, b.namespace, obj).catch((e) => {
            throw new CliError(`Failed to create ${kind === 'cronworkflows' ? 'cron workflow' : 'workflow template'}: ${(e as Error).message}`);
          });
          if (opts.output === 'name') io.out(`${created.metadata.name}\n`);
          else if (opts.output === 'json' || opts.output === 'yaml') printObject(created, opts.output);
          else io.out(await print(created));
        }
      },
    }),
    new Command({
      use: 'update FILE1 FILE2...',
      short: `update a ${what}`,
      example: `# Update a ${what}:

  argo ${use} update FILE1
`,
      flags: [
        { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: name|json|yaml|wide' },
        { name: 'strict', type: 'bool', usage: 'perform strict workflow validation', default: true },
      ],
      args: { min: 1 },
      run: async ({ args, opts }) => {
        const b = await backend(opts);
        const ms = (await readManifests(args)).filter((m) => m.obj?.kind === what);
        if (!ms.length) throw new CliError(`No ${what} found in given files`);
        const { lintObject } = await import('@flotilla/workflows-controller');
        const noun = kind === 'cronworkflows' ? 'cron workflow' : kind === 'clusterworkflowtemplates' ? 'cluster workflow template' : 'workflow template';
        for (const m of ms) {
          const obj = structuredClone(m.obj);
          const errs = lintObject(obj);
          if (errs.length) throw new CliError(`Failed to update ${noun}: ${errs[0].message}`);
          // replaces the object in place: the current one's resourceVersion makes the write conditional on it
          const name = obj.metadata?.name;
          if (!name) throw new CliError(`Failed to update ${noun}: metadata.name is required`);
          const cur = await b.get(kind, b.namespace, name);
          obj.metadata = { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion };
          const updated = await b.update(kind, b.namespace, obj).catch((e) => {
            throw new CliError(`Failed to update ${noun}: ${(e as Error).message}`);
          });
          if (opts.output === 'name') io.out(`${updated.metadata.name}\n`);
          else if (opts.output === 'json' || opts.output === 'yaml') printObject(updated, opts.output);
          else io.out(await print(updated));
        }
      },
    }),
    new Command({
      use: 'list',
      aliases: ['ls'],
      short: `list ${what}s`,
      flags: [
        ...(kind !== 'clusterworkflowtemplates' ? [{ name: 'all-namespaces', short: 'A', type: 'bool', usage: `Show ${what}s from all namespaces` } as FlagDef] : []),
        { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: wide|name|json|yaml' },
        { name: 'selector', short: 'l', type: 'string', usage: 'Selector (label query) to filter on' },
      ],
      run: async ({ opts }) => {
        const b = await backend(opts);
        const items = await b.list(kind, opts.allNamespaces ? '' : b.namespace, { labelSelector: opts.selector || undefined });
        items.sort((x, y) => (x.metadata.name < y.metadata.name ? -1 : 1));
        if (opts.output === 'json' || opts.output === 'yaml') printObject(items, opts.output);
        else {
          const now = new Date();
          const next = kind === 'cronworkflows' ? await Promise.all(items.map((c) => nextRun(c, now))) : undefined;
          io.out(listTable(kind, items, { allNamespaces: opts.allNamespaces, output: opts.output, now: now.getTime(), next }));
        }
      },
    }),
    new Command({
      use: `get ${kind === 'cronworkflows' ? 'CRON_WORKFLOW' : 'WORKFLOW_TEMPLATE'}...`,
      short: `display details about a ${what}`,
      flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide' }],
      args: { min: 1 },
      run: async ({ args, opts }) => {
        const b = await backend(opts);
        for (const n of args) {
          const x = await b.get(kind, b.namespace, n);
          if (opts.output === 'json' || opts.output === 'yaml') printObject(x, opts.output);
          else io.out(await print(x));
        }
      },
    }),
    new Command({
      use: `delete ${kind === 'cronworkflows' ? 'CRON_WORKFLOW' : 'WORKFLOW_TEMPLATE'}...`,
      short: `delete a ${what}`,
      flags: [{ name: 'all', type: 'bool', usage: `Delete all ${what}s` }],
      run: async ({ args, opts }) => {
        const b = await backend(opts);
        const names = opts.all ? (await b.list(kind, b.namespace)).map((x) => x.metadata.name) : args;
        for (const n of names) {
          await b.delete(kind, b.namespace, n);
          io.out(kind === 'cronworkflows' ? `CronWorkflow '${n}' deleted\n` : `${kind === 'clusterworkflowtemplates' ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate'} '${n}' deleted\n`);
        }
      },
    }),
    new Command({
      use: 'lint FILE...',
      short: `validate files or directories of ${what} manifests`,
      flags: [
        { name: 'output', short: 'o', type: 'string', usage: 'Linting results output format. One of: pretty|simple', default: 'pretty' },
        { name: 'strict', type: 'bool', usage: 'perform strict validation', default: true },
      ],
      args: { min: 1 },
      run: async ({ args, opts }) => {
        const b = process.env.ARGO_SERVER ? await backend(opts) : undefined;
        const lookup = await backend(opts).catch(() => undefined);
        return printLint(await lintFiles(b, args, [kind], { strict: opts.strict, lookup }), { output: opts.output });
      },
    }),
  ];
  if (kind === 'cronworkflows') {
    for (const a of ['suspend', 'resume'] as const) {
      cmds.push(
        new Command({
          use: `${a} CRON_WORKFLOW...`,
          short: a === 'suspend' ? 'suspend zero or more cron workflows' : 'resume zero or more cron workflows',
          args: { min: 1 },
          run: async ({ args, opts }) => {
            const b = await backend(opts);
            for (const n of args) {
              await b.cronAction(a, b.namespace, n);
              io.out(`CronWorkflow '${n}' ${a === 'suspend' ? 'suspended' : 'resumed'}\n`);
            }
          },
        }),
      );
    }
  }
  return group.add(...cmds);
}

export function resourceCommands(): Command[] {
  return [
    resourceGroup('workflowtemplates', 'template', [], 'manipulate workflow templates'),
    resourceGroup('clusterworkflowtemplates', 'cluster-template', ['cwftmpl', 'cwft'], 'manipulate cluster workflow templates'),
    resourceGroup('cronworkflows', 'cron', [], 'manage cron workflows\n\nNextScheduledRun assumes that the workflow-controller uses UTC as its timezone'),
    lintCommand(),
  ];
}
