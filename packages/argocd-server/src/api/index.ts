/** The API families beyond session/account/applications/settings. */
import type { Router } from '../http.js';
import type { Ctx } from '../context.js';
import { registerAppResources } from './app-resources.js';
import { registerStreams } from './stream.js';
import { registerProjects } from './projects.js';
import { registerRepos } from './repos.js';
import { registerClusters } from './clusters.js';
import { registerAppSets } from './appsets.js';
import { registerAppSetGenerate } from './appsets-generate.js';
import { registerGpgKeys } from './gpgkeys.js';

export function registerExtra(r: Router, ctx: Ctx): void {
  registerAppResources(r, ctx);
  registerStreams(r, ctx);
  registerProjects(r, ctx);
  registerRepos(r, ctx);
  registerClusters(r, ctx);
  registerAppSets(r, ctx);
  registerAppSetGenerate(r, ctx);
  registerGpgKeys(r, ctx);
}
