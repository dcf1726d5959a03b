/** The client's version (`argocd version --client`), in upstream's shape. */
// the global `process`, not `import … from 'node:process'`: the ESM facade of node:process reads all of
// its properties and so loads e.g. the diagnostic-report module (~8 ms of `argocd version --client`)

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
    Platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
