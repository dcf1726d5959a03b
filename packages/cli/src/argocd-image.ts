/**
 * `flotilla argocd-multicall <program> …`: what Argo CD's own image (`quay.io/argoproj/argocd`)
 * runs, by program name, so that upstream's install.yaml runs unchanged. Upstream ships one
 * multi-call binary that acts by the name it is called as; the node agent's image table maps the
 * image's programs (`/usr/local/bin/argocd-repo-server`, `argocd`, the `/shared/argocd-dex` copy…)
 * here with that name first.
 */
import { CLIS, runCli } from './clis.js';
import { ENTRY_POINTS } from './entrypoints.js';

/** Programs of upstream's image this build has no counterpart for yet, and why. */
export const NOT_IN_BUILD: Record<string, string> = {
  'argocd-cmp-server': 'config management plugins (argocd-cmp-server) are not supported by this build',
  'argocd-commit-server': 'the commit server (source hydrator) is not part of this build yet',
  'argocd-k8s-auth': 'argocd-k8s-auth is not part of this build',
  'argocd-git-ask-pass': 'argocd-git-ask-pass is not needed by this build',
  'argocd-helm-registry-auth-helper': 'argocd-helm-registry-auth-helper is not needed by this build',
};

/** Entry points of this build that upstream's image names the same way. */
const SAME_NAME = ['argocd-application-controller', 'argocd-repo-server', 'argocd-server', 'argocd-dex', 'argocd-notifications', 'argocd-applicationset-controller'];

export const HELP = `Run a program of Argo CD's image by name (upstream install.yaml compatibility).

Usage:
  flotilla argocd-multicall <program> [args…]

Programs: argocd, ${SAME_NAME.join(', ')}; known but not in this build: ${Object.keys(NOT_IN_BUILD).join(', ')}.
`;

export async function main(argv: string[]): Promise<number> {
  const [prog0, ...rest] = argv;
  if (!prog0 || prog0 === '--help' || prog0 === '-h') {
    process.stdout.write(HELP);
    return prog0 ? 0 : 2;
  }
  const prog = prog0.split('/').pop()!;
  if (prog === 'argocd') {
    // the one sub-command upstream's install runs itself (redis init container)
    if (rest[0] === 'admin' && rest[1] === 'redis-initial-password') {
      const m = await import('./argocd-redis-password.js');
      return m.main(rest.slice(2));
    }
    const cli = CLIS.find((c) => c.name === 'argocd')!;
    return runCli(cli, rest, (t) => process.stderr.write(t));
  }
  if (SAME_NAME.includes(prog)) return Number((await ENTRY_POINTS[prog]!.run(rest)) ?? 0);
  const why = NOT_IN_BUILD[prog];
  process.stderr.write(`${prog}: ${why ?? `"${prog}" is not a program of Argo CD's image that this build knows`} (Flotilla runs Argo CD's image by program name)\n`);
  return 1;
}
