/**
 * The workflow commands besides submit: list, get, delete, watch, wait, logs, and the lifecycle actions
 * retry, resubmit, suspend, resume, stop, terminate.
 */
import type { Workflow } from '@flotilla/workflows-controller';
import { Command } from '@flotilla/cli-kit/command';
import { parseDuration, type FlagDef } from '@flotilla/cli-kit/flags';
import { io } from '@flotilla/cli-kit/io';
import { backend, isCompletedPhase, isNotFound, nodeSelector, parsePairs, resolveName, type Backend } from '../backend.js';
import { printLogs, waitWorkflows, watchWorkflow } from '../follow.js';
import { printObject, stdoutIsTTY } from '../output.js';
import { printWorkflow, printWorkflowList, sortWorkflows } from '../print.js';
import { CliError } from '../session.js';
import { afterSubmit } from './submit.js';

const listFilterFlags = (): FlagDef[] => [
  { name: 'all-namespaces', short: 'A', type: 'bool', usage: 'Show workflows from all namespaces' },
  { name: 'completed', type: 'bool', usage: 'Show completed workflows. Mutually exclusive with --running.' },
  { name: 'field-selector', type: 'string', usage: 'Selector (field query) to filter on, supports \'=\', \'==\', and \'!=\'.(e.g. --field-selector key1=value1,key2=value2). The server only supports a limited number of field queries per type.' },
  { name: 'older', type: 'string', usage: 'List completed workflows finished before the specified duration (e.g. 10m, 3h, 1d)' },
  { name: 'prefix', type: 'string', usage: 'Filter workflows by prefix' },
  { name: 'resubmitted', type: 'bool', usage: 'Show resubmitted workflows' },
  { name: 'running', type: 'bool', usage: 'Show running workflows. Mutually exclusive with --completed.' },
  { name: 'selector', short: 'l', type: 'string', usage: 'Selector (label query) to filter on, supports \'=\', \'==\', and \'!=\'.(e.g. -l key1=value1,key2=value2). Matching objects must satisfy all of the specified label constraints.' },
  { name: 'status', type: 'stringSlice', usage: 'Filter by status (comma separated)' },
];

/** "1d", "3h", "10m" (upstream accepts days too) → ms */
function duration(s: string): number {
  const d = /^(\d+)d$/.exec(s);
  if (d) return Number(d[1]) * 86_400_000;
  try {
    return parseDuration(s);
  } catch {
    throw new CliError(`invalid duration: ${s}`);
  }
}

/** The workflows `argo list` / `argo delete` select, in list order. */
async function selectWorkflows(b: Backend, o: Record<string, any>): Promise<Workflow[]> {
  if (o.running && o.completed) throw new CliError('--running and --completed are mutually exclusive');
  const ns = o.allNamespaces ? '' : b.namespace;
  let labelSelector = o.selector || '';
  if (o.resubmitted) labelSelector = [labelSelector, 'workflows.argoproj.io/resubmitted-from-workflow'].filter(Boolean).join(',');
  let wfs: Workflow[] = await b.list('workflows', ns, { labelSelector: labelSelector || undefined, fieldSelector: o.fieldSelector || undefined, limit: o.chunkSize || undefined });
  const now = Date.now();
  if (o.running) wfs = wfs.filter((w) => !isCompletedPhase(w.status?.phase));
  if (o.completed) wfs = wfs.filter((w) => isCompletedPhase(w.status?.phase));
  if (o.status?.length) wfs = wfs.filter((w) => (o.status as string[]).some((s) => s.toLowerCase() === (w.status?.phase || 'Pending').toLowerCase()));
  if (o.prefix) wfs = wfs.filter((w) => w.metadata.name?.startsWith(o.prefix));
  if (o.since) {
    const t = now - duration(o.since);
    wfs = wfs.filter((w) => new Date(w.metadata.creationTimestamp ?? 0).getTime() > t);
  }
  if (o.older) {
    const t = now - duration(o.older);
    wfs = wfs.filter((w) => isCompletedPhase(w.status?.phase) && new Date(w.status?.finishedAt ?? 0).getTime() < t);
  }
  return sortWorkflows(wfs);
}

function listCommand(): Command {
  return new Command({
    use: 'list',
    aliases: ['ls'],
    short: 'list workflows',
    example: `# List all workflows:
  argo list

# List all workflows from all namespaces:
  argo list -A

# List all running workflows:
  argo list --running

# List all completed workflows:
  argo list --completed

 # List workflows created within the last 10m:
  argo list --since 10m

# List workflows that finished more than 2h ago:
  argo list --older 2h

# List workflows with more information (such as parameters)
  argo list -o wide

# List workflows in YAML format
  argo list -o yaml

# List workflows that have both labels:
  argo list -l label1=value1,label2=value2
`,
    flags: [
      ...listFilterFlags(),
      { name: 'chunk-size', type: 'int', usage: 'Return large lists in chunks rather than all at once. Pass 0 to disable.' },
      { name: 'no-headers', type: 'bool', usage: "Don't print headers (default print headers)." },
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: name|wide|yaml|json' },
      { name: 'since', type: 'string', usage: 'Show only workflows created after than a relative duration' },
    ],
    run: async ({ opts }) => {
      const b = await backend(opts);
      const wfs = await selectWorkflows(b, opts);
      const out: string = opts.output ?? '';
      if (out === 'json' || out === 'yaml') printObject(wfs, out);
      else if (out === '' || out === 'wide' || out === 'name') io.out(printWorkflowList(wfs, { now: Date.now(), output: out, noHeaders: opts.noHeaders, allNamespaces: opts.allNamespaces }));
      else throw new CliError(`unknown output format: ${out}`);
    },
  });
}

function getCommand(): Command {
  return new Command({
    use: 'get WORKFLOW...',
    short: 'display details about a workflow',
    example: `# Get information about a workflow:

  argo get my-wf

# Get the latest workflow:
  argo get @latest
`,
    flags: [
      { name: 'no-color', type: 'bool', usage: 'Disable colorized output' },
      { name: 'node-field-selector', type: 'string', usage: 'selector of node to display, eg: --node-field-selector phase=abc' },
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|short|wide' },
      { name: 'status', type: 'string', usage: 'Filter by status (Pending, Running, Succeeded, Skipped, Failed, Error)' },
    ],
    args: { min: 1 },
    run: async ({ args, opts }) => {
      const b = await backend(opts);
      const out: string = opts.output ?? '';
      for (const a of args) {
        const name = await resolveName(b, b.namespace, a);
        const wf = await b.get('workflows', b.namespace, name);
        if (out === 'json' || out === 'yaml') printObject(wf, out);
        else if (out === '' || out === 'wide' || out === 'short') {
          io.out(printWorkflow(wf, { now: Date.now(), color: stdoutIsTTY() && !opts.noColor, output: out, status: opts.status ? String(opts.status).split(',') : undefined, nodeSelect: nodeSelector(opts.nodeFieldSelector) }));
        } else throw new CliError(`unknown output format: ${out}`);
      }
    },
  });
}

function deleteCommand(): Command {
  return new Command({
    use: 'delete [--dry-run] [WORKFLOW...|[--all] [--older] [--completed] [--resubmitted] [--prefix PREFIX] [--selector SELECTOR] [--force] [--status STATUS] ]',
    short: 'delete workflows',
    example: `# Delete a workflow:

  argo delete my-wf

# Delete the latest workflow:

  argo delete @latest
`,
    flags: [...listFilterFlags().filter((f) => f.name !== 'running'), { name: 'all', type: 'bool', usage: 'Delete all workflows' }, { name: 'dry-run', type: 'bool', usage: 'Do not delete the workflow, only print what would happen' }, { name: 'force', type: 'bool', usage: 'Force delete workflows by removing finalizers' }],
    run: async ({ cmd, args, opts }) => {
      const b = await backend(opts);
      let targets: { ns: string; name: string }[];
      if (args.length) targets = await Promise.all(args.map(async (a) => ({ ns: b.namespace, name: await resolveName(b, b.namespace, a) })));
      else if (opts.all || opts.completed || opts.older || opts.prefix || opts.selector || opts.status?.length || opts.resubmitted || opts.fieldSelector) targets = (await selectWorkflows(b, opts)).map((w) => ({ ns: w.metadata.namespace ?? b.namespace, name: w.metadata.name! }));
      else {
        // v3.6: an argument error, worded as its validator's, with the usage
        io.err(`Error: requires either a workflow or other argument\n${cmd.usage()}\n`);
        return 1;
      }
      for (const t of targets) {
        if (!opts.dryRun) {
          if (opts.force && b.mode === 'kube') {
            const k = b as unknown as { client: { patch: (...a: unknown[]) => Promise<unknown> } };
            await k.client.patch({ group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows', kind: 'Workflow', namespaced: true }, t.ns, t.name, { metadata: { finalizers: null } }, 'merge').catch(() => undefined);
          }
          try {
            await b.delete('workflows', t.ns, t.name);
          } catch (e) {
            // upstream: a workflow that is not there is reported, not an error
            if (!isNotFound(e)) throw e;
            io.out(`Workflow '${t.name}' not found\n`);
            continue;
          }
        }
        io.out(`Workflow '${t.name}' deleted${opts.dryRun ? ' (dry-run)' : ''}\n`);
      }
    },
  });
}

function watchCommand(): Command {
  return new Command({
    use: 'watch WORKFLOW',
    short: 'watch a workflow until it completes',
    example: `# Watch a workflow:

  argo watch my-wf

# Watch the latest workflow:

  argo watch @latest
`,
    flags: [
      { name: 'node-field-selector', type: 'string', usage: 'selector of node to display, eg: --node-field-selector phase=abc' },
      { name: 'status', type: 'string', usage: 'Filter by status (Pending, Running, Succeeded, Skipped, Failed, Error)' },
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts }) => {
      const b = await backend(opts);
      const name = await resolveName(b, b.namespace, args[0]);
      await watchWorkflow(b, b.namespace, name, { status: opts.status ? String(opts.status).split(',') : undefined, nodeSelect: nodeSelector(opts.nodeFieldSelector) });
    },
  });
}

function waitCommand(): Command {
  return new Command({
    use: 'wait [WORKFLOW...]',
    short: 'waits for workflows to complete',
    example: `# Wait on a workflow:

  argo wait my-wf

# Wait on the latest workflow:

  argo wait @latest
`,
    flags: [
      { name: 'ignore-not-found', type: 'bool', usage: 'Ignore the wait if the workflow is not found' },
      { name: 'all-namespaces', short: 'A', type: 'bool', usage: 'Show workflows from all namespaces' },
    ],
    run: async ({ args, opts }) => {
      const b = await backend(opts);
      const names = await Promise.all(args.map((a) => resolveName(b, b.namespace, a)));
      return (await waitWorkflows(b, b.namespace, names, { ignoreNotFound: opts.ignoreNotFound })) ? 0 : 1;
    },
  });
}

function logsCommand(): Command {
  return new Command({
    use: 'logs WORKFLOW [POD]',
    short: 'view logs of a pod or workflow',
    example: `# Print the logs of a workflow:

  argo logs my-wf

# Follow the logs of a workflows:

  argo logs my-wf --follow

# Print the logs of a workflows with a selector:

  argo logs my-wf -l app=sth

# Print the logs of single container in a pod

  argo logs my-wf my-pod -c my-container

# Print the logs of a workflow's pods:

  argo logs my-wf my-pod

# Print the logs of a pods:

  argo logs --since=1h my-pod

# Print the logs of the latest workflow:
  argo logs @latest
`,
    flags: [
      { name: 'container', short: 'c', type: 'string', usage: 'Print the logs of this container', default: 'main' },
      { name: 'follow', short: 'f', type: 'bool', usage: 'Specify if the logs should be streamed.' },
      { name: 'grep', type: 'string', usage: 'grep for lines' },
      { name: 'no-color', type: 'bool', usage: 'Disable colorized output' },
      { name: 'previous', short: 'p', type: 'bool', usage: 'Specify if the previously terminated container logs should be returned.' },
      { name: 'selector', short: 'l', type: 'string', usage: 'log selector for some pod' },
      { name: 'since', type: 'duration', usage: 'Only return logs newer than a relative duration like 5s, 2m, or 3h. Defaults to all logs. Only one of since-time / since may be used.' },
      { name: 'since-time', type: 'string', usage: 'Only return logs after a specific date (RFC3339). Defaults to all logs. Only one of since-time / since may be used.' },
      { name: 'tail', type: 'int64', usage: 'If set, the number of lines from the end of the logs to show. If not specified, logs are shown from the creation of the container or sinceSeconds or sinceTime', default: -1 },
      { name: 'timestamps', type: 'bool', usage: 'Include timestamps on each line in the log output' },
    ],
    args: { min: 1, max: 2 },
    run: async ({ args, opts }) => {
      const b = await backend(opts);
      const name = await resolveName(b, b.namespace, args[0]);
      // the workflow must exist (upstream fails with NotFound)
      await b.get('workflows', b.namespace, name);
      await printLogs(b, b.namespace, name, args[1], {
        container: opts.container || 'main',
        follow: opts.follow,
        grep: opts.grep || undefined,
        sinceSeconds: opts.since ? Math.ceil(opts.since / 1000) : undefined,
        sinceTime: opts.sinceTime || undefined,
        tailLines: opts.tail >= 0 ? opts.tail : undefined,
        timestamps: opts.timestamps,
        previous: opts.previous,
        noColor: opts.noColor,
        selector: opts.selector || undefined,
      });
    },
  });
}

const followFlags = (): FlagDef[] => [
  { name: 'log', type: 'bool', usage: 'log the workflow until it completes' },
  { name: 'node-field-selector', type: 'string', usage: 'selector of nodes to reset, eg: --node-field-selector inputs.paramaters.myparam.value=abc' },
  { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: name|json|yaml|wide' },
  { name: 'parameter', short: 'p', type: 'stringArray', usage: 'input parameter to override on the original workflow spec' },
  { name: 'wait', short: 'w', type: 'bool', usage: 'wait for the workflow to complete, only works when a single workflow is retried' },
  { name: 'watch', type: 'bool', usage: 'watch the workflow until it completes, only works when a single workflow is retried' },
];

function retryLike(action: 'retry' | 'resubmit'): Command {
  const extra: FlagDef[] =
    action === 'retry'
      ? [{ name: 'restart-successful', type: 'bool', usage: 'indicates to restart successful nodes matching the --node-field-selector' }]
      : [{ name: 'memoized', type: 'bool', usage: 're-use successful steps & outputs from the previous run' }];
  return new Command({
    use: `${action} [WORKFLOW...]`,
    short: action === 'retry' ? 'retry zero or more workflows' : 'resubmit one or more workflows',
    example: `# ${action === 'retry' ? 'Retry' : 'Resubmit'} a workflow:

  argo ${action} my-wf

# ${action === 'retry' ? 'Retry' : 'Resubmit'} the latest workflow:

  argo ${action} @latest
`,
    flags: [
      ...followFlags(),
      ...extra,
      { name: 'selector', short: 'l', type: 'string', usage: 'Selector (label query) to filter on, not including uninitialized ones, supports \'=\', \'==\', and \'!=\'.(e.g. -l key1=value1,key2=value2)' },
      { name: 'field-selector', type: 'string', usage: "Selector (field query) to filter on, supports '=', '==', and '!='.(e.g. --field-selector key1=value1,key2=value2). The server only supports a limited number of field queries per type." },
    ],
    run: async ({ args, opts }) => {
      const b = await backend(opts);
      const out: Workflow[] = [];
      let names = await Promise.all(args.map((a) => resolveName(b, b.namespace, a)));
      if (opts.selector || opts.fieldSelector) {
        // -l / --field-selector add the matching workflows (retry: the failed ones, which are the ones it applies to)
        const wfs: Workflow[] = await b.list('workflows', b.namespace, { labelSelector: opts.selector || undefined, fieldSelector: opts.fieldSelector || undefined });
        const more = wfs.filter((w) => (action === 'retry' ? w.status?.phase === 'Failed' || w.status?.phase === 'Error' : true)).map((w) => w.metadata.name!);
        names = [...new Set([...names, ...sortWorkflows(wfs).map((w) => w.metadata.name!).filter((n) => more.includes(n))])];
      }
      for (const name of names) {
        out.push(await b.action(action, b.namespace, name, { nodeFieldSelector: opts.nodeFieldSelector || undefined, restartSuccessful: opts.restartSuccessful, memoized: opts.memoized, parameters: opts.parameter }));
      }
      return afterSubmit(b, b.namespace, out, opts);
    },
  });
}

function simpleAction(action: 'suspend' | 'resume' | 'stop' | 'terminate', short: string, past: string): Command {
  const flags: FlagDef[] = [];
  if (action === 'resume' || action === 'stop') flags.push({ name: 'node-field-selector', type: 'string', usage: 'selector of node to resume, eg: --node-field-selector inputs.paramaters.myparam.value=abc' });
  if (action === 'stop') flags.push({ name: 'message', type: 'string', usage: 'Message to add to previously running nodes' });
  if (action === 'stop' || action === 'terminate') flags.push({ name: 'selector', short: 'l', type: 'string', usage: 'Selector (label query) to filter on' }, { name: 'field-selector', type: 'string', usage: 'Selector (field query) to filter on' }, { name: 'dry-run', type: 'bool', usage: 'If true, only print the workflows that would be ' + past });
  return new Command({
    use: `${action} WORKFLOW1 WORKFLOW2...`,
    short,
    example: `# ${action[0].toUpperCase() + action.slice(1)} a workflow:

  argo ${action} my-wf

# ${action[0].toUpperCase() + action.slice(1)} the latest workflow:

  argo ${action} @latest
`,
    flags,
    run: async ({ args, opts }) => {
      const b = await backend(opts);
      // what the message names, as upstream's: suspend/resume echo the argument as typed (`workflow @latest
      // suspended`), stop/terminate the workflow acted on (`workflow basic-x7k2p stopped`) — but with --dry-run,
      // which looks nothing up, the argument as typed
      let targets: { arg: string; name?: string }[] = args.map((a) => ({ arg: a }));
      if (!targets.length && (opts.selector || opts.fieldSelector)) {
        const wfs: Workflow[] = await b.list('workflows', b.namespace, { labelSelector: opts.selector || undefined, fieldSelector: opts.fieldSelector || undefined });
        targets = wfs.filter((w) => !isCompletedPhase(w.status?.phase)).map((w) => ({ arg: w.metadata.name!, name: w.metadata.name! }));
      }
      for (const t of targets) {
        if (opts.dryRun) {
          io.out(`workflow ${t.arg} ${past} (dry-run)\n`);
          continue;
        }
        const name = t.name ?? (await resolveName(b, b.namespace, t.arg));
        const wf = await b.action(action, b.namespace, name, { nodeFieldSelector: opts.nodeFieldSelector || undefined, message: opts.message || undefined });
        io.out(`workflow ${action === 'suspend' || action === 'resume' ? t.arg : wf?.metadata?.name || name} ${past}\n`);
      }
    },
  });
}

/** `--output-parameter message="Hello, World!"`: k=v pairs, a value in double quotes unquoted (as upstream's). */
export function outputParameters(pairs: string[]): Record<string, string> {
  const out = parsePairs(pairs);
  for (const [k, v] of Object.entries(out)) {
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
      try {
        out[k] = JSON.parse(v);
      } catch {
        out[k] = v.slice(1, -1);
      }
    }
  }
  return out;
}

function nodeCommand(): Command {
  return new Command({ use: 'node', short: 'perform action on a node in a workflow', run: ({ cmd }) => void io.out(cmd.help()) }).add(
    new Command({
      use: 'set WORKFLOW',
      short: 'set values of a node (phase, message, output parameters of a suspend node)',
      example: `# Set outputs to a node within a workflow:

  argo node set my-wf --output-parameter parameter-name="Hello, world!" --node-field-selector displayName=approve

# Set the message of a node within a workflow:

  argo node set my-wf --message "We did it!" --node-field-selector displayName=approve
`,
      flags: [
        { name: 'message', short: 'm', type: 'string', usage: 'Set the message of a node, eg: --message "Hello, world!"' },
        { name: 'node-field-selector', type: 'string', usage: 'Selector of node to set, eg: --node-field-selector inputs.paramaters.myparam.value=abc' },
        { name: 'output-parameter', short: 'p', type: 'stringArray', usage: 'Set a "supplied" output parameter of node, eg: --output-parameter parameter-name="Hello, world!"' },
        { name: 'phase', type: 'string', usage: 'Phase to set the node to, eg: --phase Succeeded' },
      ],
      args: { min: 1, max: 1 },
      run: async ({ args, opts }) => {
        const b = await backend(opts);
        const name = await resolveName(b, b.namespace, args[0]);
        if (!opts.nodeFieldSelector) throw new CliError('--node-field-selector is required');
        const params = (opts.outputParameter as string[]).length ? outputParameters(opts.outputParameter) : undefined;
        await b.action('set', b.namespace, name, { nodeFieldSelector: opts.nodeFieldSelector, phase: opts.phase || undefined, message: opts.message || undefined, outputParameters: params });
        io.out('workflow values set\n');
      },
    }),
  );
}

export function workflowCommands(): Command[] {
  return [
    listCommand(),
    getCommand(),
    deleteCommand(),
    watchCommand(),
    waitCommand(),
    logsCommand(),
    retryLike('retry'),
    retryLike('resubmit'),
    simpleAction('suspend', 'suspend zero or more workflows (opposite of resume)', 'suspended'),
    simpleAction('resume', 'resume zero or more workflows (opposite of suspend)', 'resumed'),
    simpleAction('stop', 'stop zero or more workflows allowing all exit handlers to run', 'stopped'),
    simpleAction('terminate', 'terminate zero or more workflows immediately', 'terminated'),
    nodeCommand(),
  ];
}
