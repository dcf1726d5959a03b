/**
 * `argo`: Argo Workflows' command line. `main(argv)` returns the exit code (0 ok; 1 for an error, as
 * upstream's log.Fatal). Talks to the Kubernetes API (kubeconfig) unless ARGO_SERVER is set, then to
 * argo-server's REST API. `argo server …` runs argo-server itself (@flotilla/argo-server/main).
 */
import { Command } from '@flotilla/cli-kit/command';
import { io, log, releaseStdin, setLogLevel } from '@flotilla/cli-kit/io';
import { ARGO_VERSION } from '@flotilla/workflows-controller/version';
import { CliError, cleanup, globalFlags } from './session.js';

/** The command groups, each loaded only when the command line names it, so `argo version` loads little. */
const GROUPS: { names: string[]; load: () => Promise<Command[]> }[] = [
  { names: ['submit'], load: async () => [(await import('./commands/submit.js')).submitCommand()] },
  { names: ['list', 'ls', 'get', 'delete', 'watch', 'wait', 'logs', 'retry', 'resubmit', 'suspend', 'resume', 'stop', 'terminate', 'node'], load: async () => (await import('./commands/workflows.js')).workflowCommands() },
  { names: ['template', 'cluster-template', 'cwftmpl', 'cwft', 'cron', 'lint'], load: async () => (await import('./commands/resources.js')).resourceCommands() },
  { names: ['version', 'auth', 'server', 'archive', 'cp', 'completion'], load: async () => (await import('./commands/misc.js')).miscCommands() },
];

function groupsFor(args: string[]): typeof GROUPS {
  const words = new Set(args.filter((a) => !a.startsWith('-')));
  if (words.has('help') || words.has('completion')) return GROUPS; // completion completes every command
  const hit = GROUPS.filter((g) => g.names.some((n) => words.has(n)));
  return hit.length ? hit : GROUPS;
}

export async function rootCommand(args?: string[]): Promise<Command> {
  const groups = await Promise.all((args ? groupsFor(args) : GROUPS).map((g) => g.load()));
  const root = new Command({
    use: 'argo',
    short: 'argo is the command line interface to Argo',
    long: `argo is the command line interface to Argo

You can use the CLI in the following modes:

#### Kubernetes API Mode (default)

Requests are sent directly to the Kubernetes API. No Argo Server is needed. Large workflows and the workflow archive are not supported.

Use when you have direct access to the Kubernetes API, and don't need large workflow or workflow archive support.

#### Argo Server HTTP1 Mode

Requests are sent to the Argo Server API via HTTP/1.1 (REST, JSON). To enable, set ARGO_SERVER:

  ARGO_SERVER=localhost:2746 ;# The format is "host:port" - do not prefix with "http" or "https"

If TLS is not enabled on the server ("argo server --secure=false"): ARGO_SECURE=false
If your server is running with self-signed certificates. Do not use in production: ARGO_INSECURE_SKIP_VERIFY=true
By default, the CLI uses your KUBECONFIG to determine default for ARGO_TOKEN and ARGO_NAMESPACE.
`,
    persistentFlags: globalFlags(),
    run: ({ cmd }) => {
      io.out(cmd.help());
      return 0;
    },
  });
  root.add(...groups.flat());
  cobraArgs(root);
  root.add(
    new Command({
      use: 'help [command]',
      short: 'Help about any command',
      long: 'Help provides help for any command in the application.\nSimply type argo help [path to command] for full details.',
      run: ({ args }) => {
        let c: Command | undefined = root;
        for (const a of args) c = c?.find(a);
        if (!c) {
          io.out(`Unknown help topic ${JSON.stringify(args)}\n`);
          io.out(root.usage());
          return 0;
        }
        io.out(c.help());
      },
    }),
  );
  return root;
}

/**
 * Argument counts checked as cobra's validators do in upstream's v3.6 CLI: `Error: requires at least 1 arg(s),
 * only received 0` (or `accepts at most …`, `accepts N arg(s) …`, `accepts between …`) on stderr, then the
 * command's usage, exit 1 — instead of the bare help cli-kit prints for `args`.
 */
export function cobraArgs(cmd: Command): void {
  const spec = cmd.spec;
  const lim = spec.args;
  const run = spec.run;
  if (lim && run) {
    delete spec.args;
    spec.run = (ctx) => {
      const n = ctx.args.length;
      const { min, max } = lim;
      let msg: string | undefined;
      if (min !== undefined && max !== undefined && (n < min || n > max)) msg = min === max ? `accepts ${min} arg(s), received ${n}` : `accepts between ${min} and ${max} arg(s), received ${n}`;
      else if (min !== undefined && n < min) msg = `requires at least ${min} arg(s), only received ${n}`;
      else if (max !== undefined && n > max) msg = `accepts at most ${max} arg(s), received ${n}`;
      if (msg) {
        io.err(`Error: ${msg}\n${ctx.cmd.usage()}\n`);
        return 1;
      }
      return run(ctx);
    };
  }
  for (const c of cmd.children) cobraArgs(c);
}

/** --loglevel / -v from the command line, before the commands parse it (logging starts earlier). */
function logLevelOf(argv: string[]): string | undefined {
  if (argv.includes('-v') || argv.includes('--verbose')) return 'debug';
  for (let i = 0; i < argv.length; i++) {
    const m = /^--loglevel(?:=(.*))?$/.exec(argv[i]);
    if (m) return m[1] ?? argv[i + 1];
  }
  return undefined;
}

let epipe = false;
function quietEpipe(): void {
  if (epipe) return;
  epipe = true;
  // a closed pipe (argo list | head -1) ends the command quietly, as SIGPIPE ends a Go program
  for (const s of [process.stdout, process.stderr]) s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : undefined));
}

/** The index of the `server` command word (the first word that is not a flag's value), or -1. */
function serverWord(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === 'server') return i;
    if (a.startsWith('-')) {
      // global flags that take a value
      if (/^(-n|-s|-H|--namespace|--argo-server|--kubeconfig|--context|--header|--loglevel|--argo-base-href|--instanceid|--token|--server|--user|--cluster|--as)$/.test(a)) i++;
      continue;
    }
    return -1;
  }
  return -1;
}

export async function main(argv: string[]): Promise<number> {
  quietEpipe();
  const si = serverWord(argv);
  if (si >= 0) {
    const { runServer } = await import('./commands/misc.js');
    return runServer(argv.slice(si + 1));
  }
  try {
    setLogLevel(logLevelOf(argv) ?? 'info');
    log('debug', `CLI version: ${ARGO_VERSION}`);
    return await (await rootCommand(argv)).execute(argv);
  } catch (e) {
    // upstream's v3.6 CLI returns errors to cobra, which prints "Error: <message>" (no usage) and exits 1
    io.err(`Error: ${(e as Error)?.message ?? String(e)}\n`);
    return e instanceof CliError ? e.code : 1;
  } finally {
    cleanup();
    releaseStdin();
  }
}
