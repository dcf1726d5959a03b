/**
 * `kubectl-argo-rollouts` (`kubectl argo rollouts …`): Argo Rollouts' kubectl plugin. `main(argv)`
 * returns the exit code: 0, or 1 with `Error: <message>` on stderr (as upstream's cobra commands).
 * Each command group's code is loaded only when the command line names it.
 */
import { Command } from '@flotilla/cli-kit/command';
import { io } from '@flotilla/cli-kit/io';
import type { FlagDef } from '@flotilla/cli-kit/flags';

type Loader = () => Promise<Command[]>;
const get: Loader = async () => {
  const m = await import('./commands/get.js');
  return [m.getCommand(), m.listCommand(), m.statusCommand()];
};
const actions: Loader = async () => {
  const m = await import('./commands/actions.js');
  return [m.promoteCommand(), m.abortCommand(), m.pauseCommand(), m.retryCommand(), m.terminateCommand(), m.restartCommand(), m.setCommand(), m.undoCommand(), m.createCommand(), m.lintCommand()];
};
const misc: Loader = async () => {
  const m = await import('./commands/misc.js');
  return [m.versionCommand(), m.completionCommand(), m.dashboardCommand()];
};

const GROUPS: { names: string[]; load: Loader }[] = [
  { names: ['get', 'list', 'ls', 'status'], load: get },
  { names: ['promote', 'abort', 'pause', 'retry', 'terminate', 'restart', 'set', 'undo', 'create', 'lint'], load: actions },
  { names: ['version', 'completion', 'dashboard'], load: misc },
];

export const GLOBAL_FLAGS: FlagDef[] = [
  { name: 'namespace', short: 'n', type: 'string', usage: 'If present, the namespace scope for this CLI request' },
  { name: 'kubeconfig', type: 'string', usage: 'Path to the kubeconfig file to use for CLI requests.' },
  { name: 'context', type: 'string', usage: 'The name of the kubeconfig context to use' },
  { name: 'loglevel', type: 'string', default: 'info', usage: 'Log level for kubectl argo rollouts' },
  { name: 'v', short: 'v', type: 'int', usage: 'number for the log level verbosity', key: 'klogLevel' },
  { name: 'request-timeout', type: 'string', default: '0', usage: 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don\'t timeout requests.' },
];

export async function rootCommand(args?: string[]): Promise<Command> {
  const words = new Set((args ?? []).filter((a) => !a.startsWith('-')));
  const hit = GROUPS.filter((g) => g.names.some((n) => words.has(n)));
  const groups = args && hit.length && !words.has('help') && !words.has('completion') ? hit : GROUPS;
  const children = (await Promise.all(groups.map((g) => g.load()))).flat();
  const root = new Command({
    use: 'kubectl-argo-rollouts COMMAND',
    short: 'Manage argo rollouts',
    long: 'This command consists of multiple subcommands which can be used to manage Argo Rollouts.',
    example:
      '  # Get guestbook rollout and watch progress\n  kubectl argo rollouts get rollout guestbook -w\n\n  # Pause the guestbook rollout\n  kubectl argo rollouts pause guestbook\n\n  # Promote the guestbook rollout\n  kubectl argo rollouts promote guestbook\n\n  # Abort the guestbook rollout\n  kubectl argo rollouts abort guestbook\n\n  # Retry the guestbook rollout\n  kubectl argo rollouts retry rollout guestbook',
    persistentFlags: GLOBAL_FLAGS,
    run: ({ cmd }) => {
      io.out(cmd.help());
      return 0;
    },
  });
  root.add(...children);
  root.add(
    new Command({
      use: 'help [command]',
      short: 'Help about any command',
      run: ({ args }) => {
        let c: Command | undefined = root;
        for (const a of args) c = c?.find(a);
        io.out((c ?? root).help());
      },
    }),
  );
  return root;
}

export async function main(argv: string[]): Promise<number> {
  for (const s of [process.stdout, process.stderr]) s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : undefined));
  try {
    return await (await rootCommand(argv)).execute(argv);
  } catch (e) {
    io.err(`Error: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}
