/**
 * `completion [bash|zsh|fish|powershell]`: a completion script for a command tree (top-level commands, then each
 * command's sub-commands), shared by Flotilla's CLIs (argo, kubectl-argo-rollouts).
 */
import { Command } from './command.js';
import { io } from './io.js';

/** The completion script of `program` for `shell`; throws on a shell it does not know. */
export function completionScript(shell: string, root: Command, program: string): string {
  const fn = `_${program.replace(/[^A-Za-z0-9]/g, '_')}`;
  const top = root.children.filter((c) => !c.spec.hidden).map((c) => c.name);
  const subs = root.children.filter((c) => c.children.length).map((c) => `    ${c.name}) words="${c.children.map((k) => k.name).join(' ')}" ;;`);
  if (shell === 'bash') {
    return `# bash completion for ${program}                                 -*- shell-script -*-
${fn}() {
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
complete -F ${fn} ${program}
`;
  }
  if (shell === 'zsh') return `#compdef ${program}\n_arguments '1: :(${top.join(' ')})'\n`;
  if (shell === 'fish') return top.map((t) => `complete -c ${program} -n '__fish_use_subcommand' -a ${t}`).join('\n') + '\n';
  if (shell === 'powershell') return `Register-ArgumentCompleter -Native -CommandName ${program} -ScriptBlock { param($w) @(${top.map((t) => `'${t}'`).join(',')}) | Where-Object { $_ -like "$w*" } }\n`;
  throw new CompletionError(`unsupported shell type "${shell}"`);
}

export class CompletionError extends Error {}

/**
 * The `completion` command of `program` (its help as upstream's: how to load the script in each shell); `invoke` is
 * how a user types it, `error` makes the CLI's own error of an unknown shell.
 */
export function completionCommand(program: string, opts: { invoke?: string; error?: (message: string) => Error } = {}): Command {
  const invoke = opts.invoke ?? program;
  return new Command({
    use: 'completion [bash|zsh|fish|powershell]',
    short: 'Generate completion script',
    long: `To load completions:\n\nBash:\n\n  $ source <(${invoke} completion bash)\n\nZsh:\n\n  $ ${invoke} completion zsh > "\${fpath[1]}/_${program}"\n\nfish:\n\n  $ ${invoke} completion fish | source\n\nPowerShell:\n\n  PS> ${invoke} completion powershell | Out-String | Invoke-Expression`,
    args: { min: 1, max: 1 },
    run: ({ args, cmd }) => {
      let root = cmd;
      while (root.parent) root = root.parent;
      let script: string;
      try {
        script = completionScript(args[0]!, root, program);
      } catch (e) {
        if (e instanceof CompletionError && opts.error) throw opts.error(e.message);
        throw e;
      }
      io.out(script);
    },
  });
}
