/**
 * `argo submit FILE… | --from kind/name`: read, apply the flags, validate (validateWorkflow, upstream-style
 * messages), create (or --dry-run / --server-dry-run), print, then --watch / --wait / --log.
 */
import type { Workflow, WorkflowTemplate } from '@flotilla/workflows-controller';
import { Command } from '@flotilla/cli-kit/command';
import type { FlagDef } from '@flotilla/cli-kit/flags';
import { io } from '@flotilla/cli-kit/io';
import { backend, type Backend, type Kind, type SubmitOpts } from '../backend.js';
import { printLogs, waitWorkflows, watchWorkflow } from '../follow.js';
import { printObject, readManifests, stdoutIsTTY, YamlError } from '../output.js';
import { printWorkflow } from '../print.js';
import { CliError } from '../session.js';
import YAML from '../yaml.js';

export function submitFlags(): FlagDef[] {
  return [
    { name: 'entrypoint', type: 'string', usage: 'override entrypoint' },
    { name: 'from', type: 'string', usage: 'Submit from an existing `kind/name` E.g., --from=cronwf/hello-world-cwf' },
    { name: 'generate-name', type: 'string', usage: 'override metadata.generateName' },
    { name: 'labels', short: 'l', type: 'string', usage: 'Comma separated labels to apply to the workflow. Will override previous values.' },
    { name: 'log', type: 'bool', usage: 'log the workflow until it completes' },
    { name: 'name', type: 'string', usage: 'override metadata.name' },
    { name: 'node-field-selector', type: 'string', usage: 'selector of node to display, eg: --node-field-selector phase=abc' },
    { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: name|json|yaml|wide' },
    { name: 'parameter', short: 'p', type: 'stringArray', usage: 'pass an input parameter' },
    { name: 'parameter-file', short: 'f', type: 'string', usage: 'pass a file containing all input parameters' },
    { name: 'priority', type: 'int', usage: 'The priority of this workflow' },
    { name: 'scheduled-time', type: 'string', usage: 'Override the workflow\'s scheduledTime parameter (useful for backfilling). The time must be RFC3339' },
    { name: 'serviceaccount', type: 'string', usage: 'run all pods in the workflow using specified serviceaccount' },
    { name: 'status', type: 'string', usage: 'Filter by status (Pending, Running, Succeeded, Skipped, Failed, Error). Should only be used with --watch.' },
    { name: 'wait', short: 'w', type: 'bool', usage: 'wait for the workflow to complete' },
    { name: 'watch', type: 'bool', usage: 'watch the workflow until it completes' },
    { name: 'dry-run', type: 'bool', usage: 'modify the workflow on the client-side without creating it' },
    { name: 'server-dry-run', type: 'bool', usage: 'send request to server with dry-run flag which will modify the workflow without creating it' },
    { name: 'get', type: 'bool', usage: 'attempt to get the workflow after submitting it', hidden: true },
  ];
}

/** `--parameter-file FILE` read and given as `-p` pairs (a missing file said as Go says it). */
export async function readParameterFile(file: string): Promise<string[]> {
  const { readFileSync } = await import('node:fs');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  return parameterFileArgs(text, file);
}

/** `-f params.yaml`: a map of parameter name → value, as `-p` pairs. */
export function parameterFileArgs(text: string, file: string): string[] {
  let doc: any;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new CliError(`${file}: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`${file}: a parameter file is a map of names to values`);
  return Object.entries(doc).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
}

export function submitOpts(opts: Record<string, any>, params: string[]): SubmitOpts {
  return {
    entryPoint: opts.entrypoint || undefined,
    parameters: params,
    serviceAccount: opts.serviceaccount || undefined,
    generateName: opts.generateName || undefined,
    name: opts.name || undefined,
    labels: opts.labels || undefined,
    dryRun: opts.dryRun,
    serverDryRun: opts.serverDryRun,
    priority: opts.priority || undefined,
  };
}

/** The WorkflowTemplates a workflow refers to (workflowTemplateRef, templateRef), fetched for validation. */
export async function resolverFor(b: Backend | undefined, ns: string, wfs: { spec?: unknown }[], local: WorkflowTemplate[] = []): Promise<(name: string, cluster: boolean) => WorkflowTemplate | undefined> {
  const want = new Set<string>();
  const visit = (v: any) => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(visit);
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'templateRef' || k === 'workflowTemplateRef') && x && typeof x === 'object' && typeof (x as any).name === 'string') want.add(`${(x as any).clusterScope ? 'c' : 'n'}/${(x as any).name}`);
      else visit(x);
    }
  };
  wfs.forEach((w) => visit(w.spec));
  local.forEach((w) => visit(w.spec));
  const got = new Map<string, WorkflowTemplate>();
  for (const t of local) if (t.metadata?.name) got.set(`${t.kind === 'ClusterWorkflowTemplate' ? 'c' : 'n'}/${t.metadata.name}`, t);
  await Promise.all(
    [...want].filter((key) => !got.has(key) && b).map(async (key) => {
      const [scope, name] = [key[0], key.slice(2)];
      const t = await b!.get(scope === 'c' ? 'clusterworkflowtemplates' : 'workflowtemplates', ns, name).catch(() => undefined);
      if (t) got.set(key, t);
    }),
  );
  return (name, cluster) => got.get(`${cluster ? 'c' : 'n'}/${name}`);
}

/** After creating workflows: print each (-o), then --wait / --watch / --log as asked. Returns the exit code. */
export async function afterSubmit(b: Backend, ns: string, created: Workflow[], opts: Record<string, any>): Promise<number> {
  const out: string = opts.output ?? '';
  for (const wf of created) {
    if (out === 'name') io.out(`${wf.metadata.name}\n`);
    else if (out === 'json' || out === 'yaml') printObject(wf, out);
    else if (out === '' || out === 'wide') io.out(printWorkflow(wf, { now: Date.now(), color: stdoutIsTTY(), output: out }));
    else throw new CliError(`unknown output format: ${out}`);
  }
  if (opts.dryRun || opts.serverDryRun) return 0;
  const names = created.map((w) => w.metadata.name!);
  if (opts.wait) {
    // with -o name|json|yaml the output stays what was asked for: the wait is quiet (as upstream's)
    const ok = await waitWorkflows(b, ns, names, { quiet: !(out === '' || out === 'wide') });
    return ok ? 0 : 1;
  }
  if (opts.watch) {
    for (const wf of created) {
      const shown = out === '' || out === 'wide' ? wf : undefined;
      await watchWorkflow(b, ns, wf.metadata.name!, { output: out === 'wide' ? 'wide' : undefined, status: opts.status ? String(opts.status).split(',') : undefined }, shown);
    }
  }
  else if (opts.log) for (const n of names) await printLogs(b, ns, n, undefined, { container: 'main', follow: true });
  return 0;
}

export function submitCommand(): Command {
  return new Command({
    use: 'submit [FILE... | --from kind/name]',
    short: 'submit a workflow',
    example: `# Submit multiple workflows from files:

  argo submit my-wf.yaml

# Submit and wait for completion:

  argo submit --wait my-wf.yaml

# Submit and watch until completion:

  argo submit --watch my-wf.yaml

# Submit and tail logs until completion:

  argo submit --log my-wf.yaml

# Submit a single workflow from an existing resource

  argo submit --from cronwf/my-cron-wf
`,
    flags: submitFlags(),
    run: async ({ args, opts }) => {
      if (opts.wait && opts.watch) throw new CliError('--wait cannot be combined with --watch');
      if (opts.dryRun && (opts.wait || opts.watch)) throw new CliError('--wait or --watch cannot be combined with --dry-run');
      if (opts.dryRun && opts.serverDryRun) throw new CliError('--dry-run cannot be combined with --server-dry-run');
      const b = await backend(opts);
      const ns = b.namespace;
      const params: string[] = [];
      if (opts.parameterFile) params.push(...(await readParameterFile(opts.parameterFile)));
      params.push(...((opts.parameter as string[]) ?? []));
      const so = submitOpts(opts, params);
      if (opts.from) {
        if (args.length) throw new CliError('--from cannot be combined with files');
        const [k, name] = String(opts.from).split('/');
        const kinds: Record<string, Kind> = { workflowtemplate: 'workflowtemplates', wftmpl: 'workflowtemplates', clusterworkflowtemplate: 'clusterworkflowtemplates', cwft: 'clusterworkflowtemplates', cronwf: 'cronworkflows', cronworkflow: 'cronworkflows' };
        const kind = kinds[k?.toLowerCase()];
        if (!kind || !name) throw new CliError(`Unsupported kind '${k}'`);
        let wf: Workflow;
        if (opts.dryRun) {
          const { workflowFrom } = await import('../kube.js');
          wf = workflowFrom(kind, await b.get(kind, ns, name), so);
        } else {
          try {
            wf = await b.submitFrom(kind, ns, name, so);
          } catch (e) {
            throw new CliError(`Failed to submit workflow: ${(e as Error).message}`);
          }
        }
        return afterSubmit(b, ns, [wf], opts);
      }
      if (!args.length) {
        io.out(submitCommand().help());
        return 1;
      }
      const manifests = await readManifests(args, { dirs: false }).catch((e) => {
        // upstream splits the files into documents and reports the first that is not YAML by its index
        throw e instanceof YamlError ? new CliError(`yaml file at index ${e.index} is not valid: ${e.reason}`) : e;
      });
      const wfs: Workflow[] = [];
      const { applySubmitOpts } = await import('../kube.js');
      for (const m of manifests) {
        if (m.obj?.kind && m.obj.kind !== 'Workflow') throw new CliError(`Failed to parse workflow: ${m.file}: kind is ${m.obj.kind}, not Workflow`);
        const wf = structuredClone(m.obj);
        wf.apiVersion ??= 'argoproj.io/v1alpha1';
        wf.kind = 'Workflow';
        applySubmitOpts(wf, so);
        if (opts.scheduledTime) wf.metadata.annotations = { ...wf.metadata.annotations, 'workflows.argoproj.io/scheduled-time': opts.scheduledTime };
        wfs.push(wf);
      }
      if (!wfs.length) throw new CliError('No Workflow found in given files');
      const { validateWorkflow } = await import('@flotilla/workflows-controller');
      const resolve = await resolverFor(b, ns, wfs);
      for (const wf of wfs) {
        const errs = validateWorkflow(wf, resolve);
        if (errs.length) throw new CliError(`Failed to submit workflow: ${errs[0].message}`);
      }
      const created: Workflow[] = [];
      for (const wf of wfs) {
        if (opts.dryRun) {
          created.push({ ...wf, metadata: { ...wf.metadata, namespace: ns } });
          continue;
        }
        try {
          created.push(await b.create('workflows', ns, wf, { serverDryRun: opts.serverDryRun }));
        } catch (e) {
          throw new CliError(`Failed to submit workflow: ${(e as Error).message}`);
        }
      }
      return afterSubmit(b, ns, created, opts);
    },
  });
}
