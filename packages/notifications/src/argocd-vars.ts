/**
 * What Argo CD's triggers and templates see: `app` and the `repo` helpers upstream's templates call
 * (`{{call .repo.RepoURLToHTTPS .app.spec.source.repoURL}}`). Helpers that need the repo server
 * (GetCommitMetadata, GetAppDetails) fail naming themselves.
 */

/** `git@host:org/repo.git`, `ssh://git@host/org/repo`, `https://host/org/repo.git` → `https://host/org/repo`. */
export function repoURLToHTTPS(url: unknown): string {
  let u = String(url ?? '').trim();
  const scp = /^[\w.-]+@([^:/]+):(.+)$/.exec(u);
  if (scp) u = `https://${scp[1]}/${scp[2]}`;
  else u = u.replace(/^(ssh|git|http):\/\/(?:[^@/]+@)?/, 'https://').replace(/^https:\/\/[^@/]+@/, 'https://');
  u = u.replace(/(:\d+)(?=\/)/, (m) => (/^https:\/\/[^/]+:22\//.test(u) ? '' : m));
  return u.replace(/\.git$/, '').replace(/\/$/, '');
}

/** `org/repo` of a repository URL. */
export function fullNameByRepoURL(url: unknown): string {
  const m = /^https:\/\/[^/]+\/(.+)$/.exec(repoURLToHTTPS(url));
  return m ? m[1]! : '';
}

const needsRepoServer = (name: string) => () => {
  throw new Error(`repo.${name} needs the repo server, which Flotilla's notifications controller does not call`);
};

export function argocdVars(app: unknown): Record<string, unknown> {
  return {
    app,
    repo: {
      RepoURLToHTTPS: repoURLToHTTPS,
      FullNameByRepoURL: fullNameByRepoURL,
      GetCommitMetadata: needsRepoServer('GetCommitMetadata'),
      GetAppDetails: needsRepoServer('GetAppDetails'),
    },
  };
}
