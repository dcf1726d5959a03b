/**
 * Test support: Argo CD's CRDs (Application, AppProject, ApplicationSet) read from the upstream
 * install manifest under ../shared/upstream at test time (tests skip with the reason when absent).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const UPSTREAM = process.env.FLOTILLA_UPSTREAM ?? fileURLToPath(new URL('../../../../shared/upstream', import.meta.url));
export const UPSTREAM_INSTALL = `${UPSTREAM}/install-manifests/argo-cd/install.yaml`;
export const EXAMPLE_APPS = `${UPSTREAM}/argocd-example-apps`;

export function crdSkipReason(): string | undefined {
  if (!existsSync(UPSTREAM_INSTALL)) return `upstream Argo CD install manifest not found at ${UPSTREAM_INSTALL} (the CRDs come from there)`;
  if (!existsSync('/usr/bin/kubectl')) return 'kubectl not installed';
  return undefined;
}

/** The three CRDs as a JSON List (for `kubectl apply -f`). */
export function argoCrds(): string {
  const items = parseAllDocuments(readFileSync(UPSTREAM_INSTALL, 'utf8'))
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } })
    .filter((o) => o?.kind === 'CustomResourceDefinition' && /^(applications|appprojects|applicationsets)\.argoproj\.io$/.test(o.metadata?.name ?? ''));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
