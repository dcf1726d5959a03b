/**
 * What an ApplicationSet would generate, without writing anything (`argocd appset generate`, the
 * API's `POST /api/v1/applicationsets/generate`): generators run against a snapshot of Argo CD's
 * Secrets and ConfigMaps read through the API, Git read directly.
 */
import type { KubeClient } from '@flotilla/kube-runtime';
import { loadContext } from './context.js';
import { generateAll } from './generators.js';
import { GitReader } from './git.js';
import { checkDuplicates } from './plan.js';
import { renderApplication } from './render.js';
import type { Application, ApplicationSet } from './types.js';

let shared: GitReader | undefined;
function sharedReader(): GitReader {
  if (!shared) {
    const r = (shared = new GitReader());
    process.once('exit', () => r.close());
  }
  return shared;
}

export async function previewApplications(client: KubeClient, namespace: string, set: ApplicationSet, git: GitReader = sharedReader()): Promise<Application[]> {
  const s: ApplicationSet = { ...set, metadata: { ...set.metadata, namespace: set.metadata?.namespace || namespace } };
  const ctx = await loadContext(client, namespace, git);
  const apps = (await generateAll(s, ctx)).map((g) => renderApplication(s, g.template, g.params));
  checkDuplicates(apps);
  return apps;
}
