/** `version`, `completion`, `dashboard`. */
import { arch, platform } from 'node:process';
import { Command } from '@flotilla/cli-kit/command';
import { io } from '@flotilla/cli-kit/io';
import { completionCommand as kitCompletion } from '@flotilla/cli-kit/completion';
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

/** `completion`: cli-kit's, for kubectl-argo-rollouts (an unknown shell is the CLI's error). */
export function completionCommand(): Command {
  return kitCompletion('kubectl-argo-rollouts', { invoke: 'kubectl-argo-rollouts', error: (m) => new CliError(m) });
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
