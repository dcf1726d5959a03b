/**
 * Every Rollout in upstream's examples (../shared/upstream/argo-rollouts/examples, read at test time)
 * through the controller's validation and planner: it reaches Healthy on its first deploy, or is
 * refused with InvalidSpec naming what this installation lacks (a mesh or another traffic router).
 * The listing names each with its outcome. (manifest.test.ts applies the same files to a real API
 * server as a dry run.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { validate } from './common.js';
import { World } from './sim.js';
import { resolveWorkloadRef } from './workloadref.js';
import type { Rollout } from './types.js';

const EXAMPLES = fileURLToPath(new URL('../../../../shared/upstream/argo-rollouts/examples', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'templates' ? [] : files(p); // helm chart templates are not plain YAML (notifications/rollout-canary.yaml is a plain Rollout)
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

test('upstream examples: each Rollout reaches Healthy on its first deploy or is refused with the reason', { skip: existsSync(EXAMPLES) ? undefined : `upstream examples not found at ${EXAMPLES}` }, () => {
  const listing: string[] = [];
  let healthy = 0;
  for (const f of files(EXAMPLES)) {
    const docs = parseAllDocuments(readFileSync(f, 'utf8'), { logLevel: 'error' }).map((d) => d.toJS()).filter((d) => d && typeof d === 'object');
    for (const d of docs.filter((x) => x.kind === 'Rollout') as Rollout[]) {
      const ro = resolveWorkloadRef(d, (n) => docs.find((x) => x.kind === 'Deployment' && x.metadata?.name === n));
      ro.metadata.namespace ??= 'default';
      ro.metadata.uid = 'u';
      const name = `${relative(EXAMPLES, f)} ${ro.metadata.name}`;
      const invalid = validate(ro);
      if (invalid) {
        // only what this installation does not provide may be refused
        assert.match(invalid, /not available in this installation|requires TrafficRouting with Istio/, `${name}: ${invalid}`);
        listing.push(`${name}: skipped — ${invalid.replace(/^.*is invalid: /, '')}`);
        continue;
      }
      const w = new World(ro);
      const p = w.run();
      assert.equal(p.status.phase, 'Healthy', `${name}: ${p.status.message}`);
      assert.equal(w.byImage()[String(ro.spec.template!.spec!.containers[0].image).split(':')[1]], ro.spec.replicas ?? 1, name);
      listing.push(`${name}: Healthy`);
      healthy++;
    }
  }
  console.log(listing.map((l) => `# ${l}`).join('\n'));
  assert.ok(healthy >= 10, `Healthy examples: ${healthy}`);
  assert.ok(listing.length >= 20, `example Rollouts: ${listing.length}`);
});
