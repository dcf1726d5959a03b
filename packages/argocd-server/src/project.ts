/** What an AppProject permits (pure): source repositories and destinations by glob, `!` negations as Argo CD reads them. */
import type { AppProject, Application, ApplicationDestination } from '@flotilla/argocd-engine/types';
import { globMatch } from './rbac.js';
import { IN_CLUSTER } from '@flotilla/argocd-engine/types';

/** Repository URLs compared as Argo CD normalises them: lower case, no `.git`, no trailing slash. */
export function normalizeRepoURL(u: string): string {
  let s = u.trim().toLowerCase().replace(/\/+$/, '').replace(/\.git$/, '');
  // scp-like ssh (git@host:org/repo) → ssh://git@host/org/repo
  const m = /^([\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(s);
  if (m && !/^[a-z]+:\/\//.test(s)) s = `ssh://${m[1] ?? ''}${m[2]}/${m[3]}`;
  return s;
}

function matchList(patterns: string[], value: string, norm: (s: string) => string = (s) => s): boolean {
  let allowed = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(norm(value), norm(p.slice(1)))) return false;
    } else if (globMatch(norm(value), norm(p))) allowed = true;
  }
  return allowed;
}

export function sourcePermitted(p: AppProject, repoURL: string): boolean {
  return matchList(p.spec?.sourceRepos ?? [], repoURL, normalizeRepoURL);
}

/** `dest` with the server resolved (by name when only a name is given). */
export function destinationPermitted(p: AppProject, dest: ApplicationDestination): boolean {
  const list = p.spec?.destinations ?? [];
  let serverOK = false;
  let nsOK = false;
  let anyMatch = false;
  for (const d of list) {
    const neg = (s?: string) => !!s?.startsWith('!');
    const strip = (s?: string) => (s ?? '').replace(/^!/, '');
    const serverMatch = d.server !== undefined && d.server !== '' ? globMatch(dest.server ?? '', strip(d.server)) : d.name !== undefined && d.name !== '' ? globMatch(dest.name ?? '', strip(d.name)) : false;
    const nsMatch = globMatch(dest.namespace ?? '', strip(d.namespace ?? '*'));
    if (neg(d.server) || neg(d.name) || neg(d.namespace)) {
      // a deny entry: matching it forbids
      const sm = d.server || d.name ? (neg(d.server) || neg(d.name) ? serverMatch : serverMatch) : true;
      const nm = d.namespace ? nsMatch : true;
      if (sm && nm) return false;
      continue;
    }
    if (serverMatch && nsMatch) anyMatch = true;
    serverOK ||= serverMatch;
    nsOK ||= nsMatch;
  }
  return anyMatch;
}

/** Why `app` may not be in `p` (undefined when it may). */
export function validateAppInProject(app: Application, p: AppProject | undefined, projectName: string): string | undefined {
  if (!p) return `application references project ${projectName} which does not exist`;
  const sources = app.spec.sources?.length ? app.spec.sources : app.spec.source ? [app.spec.source] : [];
  if (!sources.length) return 'application spec is invalid: a source or sources is required';
  for (const s of sources) {
    if (!s.repoURL) return 'application spec is invalid: source.repoURL is required';
    if (!sourcePermitted(p, s.repoURL)) return `application repo ${s.repoURL} is not permitted in project '${projectName}'`;
  }
  const d = app.spec.destination ?? {};
  if (!d.server && !d.name) return 'application spec is invalid: destination.server or destination.name is required';
  if (d.server && d.name && d.name !== 'in-cluster') return 'application destination can\'t have both name and server defined: ' + `${d.name} ${d.server}`;
  const dest = { ...d, server: d.server ?? (d.name === 'in-cluster' ? IN_CLUSTER : undefined) };
  if (!destinationPermitted(p, dest)) return `application destination server '${dest.server ?? dest.name}' and namespace '${d.namespace ?? ''}' do not match any of the allowed destinations in project '${projectName}'`;
  return undefined;
}
