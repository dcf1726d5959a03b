/** `version`, `completion`, `dashboard`. */
import { arch, platform } from 'node:process';
import { Command } from '@flotilla/cli-kit/command';
import { io } from '@flotilla/cli-kit/io';
import { CliError, session, type GlobalOpts } from '../kube.js';

/** The Argo Rollouts release whose plugin this one follows, with Flotilla's build suffix. */
export const VERSION = 'v1.8.0+flotilla';

export function versionCommand(): Command {
  return new Command({
    use: 'version',
    short: 'Print version',
    long: 'Show the version and build information of the Argo Rollouts plugin.',
    example: '  # Get full version info\n  kubectl argo rollouts version\n\n  # Get just plugin version number\n  kubectl argo rollouts version --short',
    flags: [{ name: 'short', type: 'bool', usage: 'print just the version number' }],
    args: { max: 0 },
    run: ({ opts }) => {
      io.out(`kubectl-argo-rollouts: ${VERSION}\n`);
      if (opts.short) return;
      const rows: [string, string][] = [
        ['BuildDate', '2026-12-05T00:00:00Z'],
        ['GitCommit', 'flotilla'],
        ['GitTreeState', 'clean'],
        ['GoVersion', `node${process.versions.node}`],
        ['Compiler', 'tsc'],
        ['Platform', `${platform}/${arch === 'x64' ? 'amd64' : arch}`],
      ];
      for (const [k, v] of rows) io.out(`  ${k}: ${v}\n`);
    },
  });
}

/** Words completed after `kubectl argo rollouts` (commands, then sub-commands). */
function completionScript(shell: string, root: Command): string {
  const top = root.children.filter((c) => !c.spec.hidden).map((c) => c.name);
  const subs = root.children.filter((c) => c.children.length).map((c) => `    ${c.name}) words="${c.children.map((k) => k.name).join(' ')}" ;;`);
  if (shell === 'bash') {
    return `# bash completion for kubectl-argo-rollouts
_kubectl_argo_rollouts() {
  local cur words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="${top.join(' ')}"
  else
    case "\${COMP_WORDS[1]}" in
${subs.join('\n')}
    *) words="" ;;
    esac
  fi
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -F _kubectl_argo_rollouts kubectl-argo-rollouts
`;
  }
  if (shell === 'zsh') return `#compdef kubectl-argo-rollouts\n_arguments '1: :(${top.join(' ')})'\n`;
  if (shell === 'fish') return top.map((t) => `complete -c kubectl-argo-rollouts -n '__fish_use_subcommand' -a ${t}`).join('\n') + '\n';
  if (shell === 'powershell') return `Register-ArgumentCompleter -Native -CommandName kubectl-argo-rollouts -ScriptBlock { param($w) @(${top.map((t) => `'${t}'`).join(',')}) | Where-Object { $_ -like "$w*" } }\n`;
  throw new CliError(`unsupported shell type "${shell}"`);
}

export function completionCommand(): Command {
  return new Command({
    use: 'completion [bash|zsh|fish|powershell]',
    short: 'Generate completion script',
    long: "To load completions:\n\nBash:\n\n  $ source <(kubectl-argo-rollouts completion bash)\n\nZsh:\n\n  $ kubectl-argo-rollouts completion zsh > \"${fpath[1]}/_kubectl-argo-rollouts\"\n\nfish:\n\n  $ kubectl-argo-rollouts completion fish | source\n\nPowerShell:\n\n  PS> kubectl-argo-rollouts completion powershell | Out-String | Invoke-Expression",
    args: { min: 1, max: 1 },
    run: ({ args, cmd }) => {
      let root = cmd;
      while (root.parent) root = root.parent;
      io.out(completionScript(args[0], root));
    },
  });
}

export function dashboardCommand(): Command {
  return new Command({
    use: 'dashboard',
    short: 'Start UI dashboard',
    example: '  # Start UI dashboard\n  kubectl argo rollouts dashboard\n\n  # Start UI dashboard on a specific port\n  kubectl argo rollouts dashboard --port 8080',
    flags: [
      { name: 'port', short: 'p', type: 'int', default: 3100, usage: 'port to listen on' },
      { name: 'address', type: 'string', usage: 'address to listen on (default: 127.0.0.1; 0.0.0.0 in a pod)' },
      { name: 'root-path', type: 'string', default: 'rollouts', usage: 'root path for the dashboard' },
    ],
    args: { max: 0 },
    run: async ({ opts }) => {
      const s = await session(opts as GlobalOpts);
      const { startDashboard } = await import('../dashboard.js');
      const d = await startDashboard(s, { port: opts.port, host: opts.address || (process.env.KUBERNETES_SERVICE_HOST ? '0.0.0.0' : '127.0.0.1'), rootPath: opts.rootPath, allNamespaces: !opts.namespace });
      io.out(`INFO[0000] Argo Rollouts Dashboard is now available at http://localhost:${d.port}/${opts.rootPath}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await d.close();
      s.client.close();
    },
  });
}
