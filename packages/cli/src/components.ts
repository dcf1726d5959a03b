/**
 * The Argo components `flotilla up` installs: each from Flotilla's own install manifest,
 * `manifests/<component>/install.yaml` (the same file a user applies to a real cluster), applied
 * server-side with the field manager `flotilla` at every start (idempotent), then waited for until
 * its Deployments are available. A component whose manifest is not part of this build yet is
 * reported and skipped.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Argo components, in install order, with the namespace their manifests are applied to (like `kubectl apply -n`). */
export const COMPONENTS: readonly { name: string; namespace: string }[] = [
  { name: 'argo-cd', namespace: 'argocd' },
  { name: 'argo-workflows', namespace: 'argo' },
  { name: 'argo-rollouts', namespace: 'argo-rollouts' },
  { name: 'argo-events', namespace: 'argo-events' },
];

export const FIELD_MANAGER = 'flotilla';

/** The manifests directory: --manifests-dir, $FLOTILLA_MANIFESTS_DIR, or this installation's manifests/. */
export function manifestsDir(flag?: string): string {
  if (flag) return resolve(flag);
  if (process.env.FLOTILLA_MANIFESTS_DIR) return resolve(process.env.FLOTILLA_MANIFESTS_DIR);
  return fileURLToPath(new URL('../../../manifests', import.meta.url));
}

export interface Component {
  name: string;
  namespace: string;
  /** the install manifest, when this build has one */
  manifest?: string;
}

/**
 * The components known to this build: the table above plus any other `<dir>/<name>/install.yaml`
 * (its namespace is its name), each with its manifest when the file exists.
 */
export function listComponents(dir: string): Component[] {
  const out: Component[] = COMPONENTS.map((c) => ({ ...c }));
  let extra: string[] = [];
  try {
    extra = readdirSync(dir).filter((d) => !COMPONENTS.some((c) => c.name === d) && statSync(join(dir, d)).isDirectory()).sort();
  } catch {
    /* no manifests directory */
  }
  for (const d of extra) if (existsSync(join(dir, d, 'install.yaml'))) out.push({ name: d, namespace: d });
  for (const c of out) {
    const f = join(dir, c.name, 'install.yaml');
    if (existsSync(f)) c.manifest = f;
  }
  return out;
}

/** Parses `--components a,b` against the known components; throws naming an unknown one. */
export function selectComponents(all: Component[], flag: string | undefined, none: boolean): Component[] {
  if (none) return [];
  if (flag === undefined) return all;
  const names = flag
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !all.some((c) => c.name === n));
  if (unknown.length) throw new Error(`--components: unknown component${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${all.map((c) => c.name).join(', ')})`);
  return all.filter((c) => names.includes(c.name));
}
