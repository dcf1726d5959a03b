/** The client's version (`argocd version --client`), in upstream's shape. */
import { arch, platform } from 'node:process';

/** The Argo CD release whose CLI this one follows, with Flotilla's build suffix. */
export const CLIENT_VERSION = 'v3.0.0+flotilla';

export function clientVersion(): Record<string, string> {
  return {
    Version: CLIENT_VERSION,
    BuildDate: '2026-12-05T00:00:00Z',
    GitCommit: 'flotilla',
    GitTreeState: 'clean',
    GoVersion: `node${process.versions.node}`,
    Compiler: 'tsc',
    Platform: `${platform}/${arch === 'x64' ? 'amd64' : arch}`,
  };
}
