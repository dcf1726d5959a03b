/** Argo CD's standard build environment and `$VAR` / `${VAR}` substitution (`$$` escapes `$`). */
export type BuildEnv = Record<string, string>;

export function buildEnv(o: {
  appName?: string;
  namespace?: string;
  project?: string;
  revision: string;
  path: string;
  repoURL: string;
  targetRevision?: string;
  kubeVersion?: string;
  apiVersions?: string[];
}): BuildEnv {
  return {
    ARGOCD_APP_NAME: o.appName ?? '',
    ARGOCD_APP_NAMESPACE: o.namespace ?? '',
    ARGOCD_APP_PROJECT_NAME: o.project ?? '',
    ARGOCD_APP_REVISION: o.revision,
    ARGOCD_APP_REVISION_SHORT: o.revision.slice(0, 7),
    ARGOCD_APP_REVISION_SHORT_8: o.revision.slice(0, 8),
    ARGOCD_APP_SOURCE_PATH: o.path,
    ARGOCD_APP_SOURCE_REPO_URL: o.repoURL,
    ARGOCD_APP_SOURCE_TARGET_REVISION: o.targetRevision ?? '',
    KUBE_VERSION: (o.kubeVersion ?? '').replace(/^v/, '').replace(/[+-].*$/, ''),
    KUBE_API_VERSIONS: (o.apiVersions ?? []).join(','),
  };
}

/**
 * Expands `$NAME` and `${NAME}` from `env`; unknown names expand to the empty string (as a shell
 * would); `$$` is a literal `$`.
 */
export function envsubst(s: string, env: BuildEnv): string {
  if (!s.includes('$')) return s;
  return s.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (m, all: string, braced?: string, bare?: string) => {
    if (all === '$') return '$';
    const name = braced ?? bare;
    if (!name) return m;
    return env[name] ?? '';
  });
}
