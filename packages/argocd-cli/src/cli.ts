/**
 * `argocd`: Argo CD's command line. `main(argv)` returns the exit code (0 ok; 20 for an error, as
 * upstream's errors.CheckError; command-specific codes such as `app diff`'s 1).
 */
import { Command } from '@flotilla/cli-kit/command';
import { io, log, releaseStdin, setLogFormat, setLogLevel } from '@flotilla/cli-kit/io';
import { fdWriter } from './cmd/fdout.js';
import { CliError, cleanup, globalFlags } from './session.js';
import { RpcError } from './rpc-error.js';

/**
 * The command groups, each loaded only when the command line names it (by name or alias), so that
 * `argocd version --client` or `argocd app list` do not load the code of every other command.
 * The order is the order of the root's children. `help`, no command or an unknown one load them all.
 */
const APP_NAMES = ['app', 'apps', 'application', 'applications'];

/**
 * `argocd app`: its operations (sync, wait, diff, history, … in app-ops.ts, with app-wait and diff) are
 * loaded unless the word after the group is one of app.ts' own sub-commands (`app list`, `app get`, …).
 */
async function loadApp(args: string[]): Promise<Command[]> {
  const { appCommand, APP_BASE_COMMANDS } = await import('./commands/app.js');
  const i = args.findIndex((a) => APP_NAMES.includes(a));
  const ops = i >= 0 && APP_BASE_COMMANDS.includes(args[i + 1]) ? [] : (await import('./commands/app-ops.js')).appOpsCommands();
  return [appCommand(ops)];
}

const GROUPS: { names: string[]; load: (args: string[]) => Promise<Command[]> }[] = [
  { names: ['login', 'relogin', 'logout', 'context', 'ctx', 'version'], load: async () => (await import('./commands/session.js')).sessionCommands() },
  { names: ['account'], load: async () => [(await import('./commands/account.js')).accountCommand()] },
  { names: ['admin'], load: async () => [(await import('./commands/admin.js')).adminCommand()] },
  { names: APP_NAMES, load: loadApp },
  { names: ['proj', 'project'], load: async () => [(await import('./commands/proj.js')).projCommand()] },
  { names: ['repo'], load: async () => [(await import('./commands/repo.js')).repoCommand()] },
  { names: ['repocreds'], load: async () => [(await import('./commands/repo.js')).repocredsCommand()] },
  { names: ['cluster', 'clusters', 'cls'], load: async () => [(await import('./commands/cluster.js')).clusterCommand()] },
  { names: ['cert'], load: async () => [(await import('./commands/cert.js')).certCommand()] },
  { names: ['appset', 'appsets', 'applicationset', 'applicationsets'], load: async () => [(await import('./commands/appset.js')).appsetCommand()] },
];

/** The groups a command line can reach: every group one of its words names; all of them when none does. */
function groupsFor(args: string[]): typeof GROUPS {
  const words = new Set(args.filter((a) => !a.startsWith('-')));
  if (words.has('help')) return GROUPS;
  const hit = GROUPS.filter((g) => g.names.some((n) => words.has(n)));
  return hit.length ? hit : GROUPS;
}

/** The root command with the given groups' commands (all of them by default). */
export async function rootCommand(args?: string[]): Promise<Command> {
  const groups = await Promise.all((args ? groupsFor(args) : GROUPS).map((g) => g.load(args ?? [])));
  return buildRoot(groups.flat());
}

function buildRoot(children: Command[]): Command {
  const root = new Command({
    use: 'argocd',
    short: 'argocd controls a Argo CD server',
    persistentFlags: globalFlags(),
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
      long: 'Help provides help for any command in the application.\nSimply type argocd help [path to command] for full details.',
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

function preflight(argv: string[]): void {
  const val = (name: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === `--${name}`) return argv[i + 1];
      if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
    }
    return undefined;
  };
  const lvl = val('loglevel');
  if (lvl) setLogLevel(lvl);
  const fmt = val('logformat');
  if (fmt) setLogFormat(fmt);
}

// the process's own output, written to its descriptors (cmd/fdout.ts) unless a caller replaced io's members
const processOut = io.out;
const processErr = io.err;
function directOutput(): void {
  if (io.out === processOut) io.out = fdWriter(1, () => process.stdout);
  if (io.err === processErr) io.err = fdWriter(2, () => process.stderr);
}

export async function main(argv: string[]): Promise<number> {
  directOutput();
  // ARGOCD_OPTS: extra flags, as upstream reads them
  const extra = process.env.ARGOCD_OPTS?.trim() ? process.env.ARGOCD_OPTS.trim().split(/\s+/) : [];
  const args = [...argv, ...extra];
  try {
    preflight(args);
    return await (await rootCommand(args)).execute(args);
  } catch (e) {
    if (e instanceof CliError) {
      log('fatal', e.message);
      return e.code;
    }
    if (e instanceof RpcError) {
      log('fatal', e.message);
      return 20;
    }
    log('fatal', (e as Error)?.message ?? String(e));
    return 20;
  } finally {
    cleanup();
    releaseStdin();
  }
}
