/**
 * manifests/argo-rollouts/install.yaml on a real (in-process) API server: it applies as
 * `flotilla up` and a user would, its CRDs accept every upstream example (server-side dry run),
 * the Rollout's scale subresource works (kubectl scale), and the controller validates what the
 * loose schemas let through (InvalidSpec, unit-tested in plan.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { readFileSync } from 'node:fs';
import { startTestCluster, waitFor, type TestCluster } from '@flotilla/kube-runtime/testkit';

const MANIFEST = fileURLToPath(new URL('../../../manifests/argo-rollouts/install.yaml', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../../shared/upstream/argo-rollouts/examples', import.meta.url));

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(f)) out.push(p);
  }
  return out.sort();
}

describe("Flotilla's argo-rollouts install.yaml", () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster({ prefix: 'flotilla-ro-manifest-' });
    await c.k(['create', 'namespace', 'argo-rollouts']);
    await c.k(['apply', '-n', 'argo-rollouts', '-f', MANIFEST]);
    await waitFor('CRDs served', async () => (await c.kubectl(['get', 'rollouts,analysisruns,analysistemplates,clusteranalysistemplates,experiments', '-A'])).code === 0, 30_000, 200);
  });
  after(async () => c?.close());

  it('applies with plain kubectl apply; the Deployment runs flotilla/flotilla with command rollouts-controller', async () => {
    const d = JSON.parse(await c.k(['get', 'deploy', '-n', 'argo-rollouts', 'argo-rollouts', '-o', 'json']));
    assert.deepEqual(d.spec.template.spec.containers[0].command, ['rollouts-controller']);
    assert.match(d.spec.template.spec.containers[0].image, /^flotilla\/flotilla:/);
    const svc = JSON.parse(await c.k(['get', 'svc', '-n', 'argo-rollouts', 'argo-rollouts-metrics', '-o', 'json']));
    assert.equal(svc.spec.ports[0].port, 8090);
  });

  it('accepts every upstream example (server-side dry run)', { skip: existsSync(EXAMPLES) ? undefined : `upstream examples not found at ${EXAMPLES}` }, async () => {
    const failed: string[] = [];
    const skipped: string[] = [];
    let n = 0;
    await c.k(['create', 'namespace', 'argo-examples']);
    for (const f of yamlFiles(EXAMPLES)) {
      // Helm chart sources and Go-templated files are not manifests
      const docs = parseAllDocuments(readFileSync(f, 'utf8'));
      if (f.includes('/helm-') || docs.some((d) => d.errors.length) || docs.every((d) => !(d.toJS() as { kind?: string } | null)?.kind)) {
        skipped.push(f.slice(EXAMPLES.length + 1));
        continue;
      }
      const r = await c.kubectl(['apply', '--dry-run=server', '-f', f]);
      // other kinds (Istio, SMI, Ingress classes of meshes…) are not this manifest's business
      if (/error converting YAML to JSON/.test(r.stderr)) {
        // a Go-template placeholder left unquoted: kubectl cannot read the file at all
        skipped.push(f.slice(EXAMPLES.length + 1));
        continue;
      }
      const real = r.stderr.split('\n').filter((l) => l.trim() && !/^Warning:|no matches for kind|ensure CRDs are installed first|resource mapping not found/.test(l));
      if (r.code !== 0 && real.length) failed.push(`${f}: ${real.join(' | ')}`);
      n++;
    }
    console.log(`# ${n} example files applied (dry run); not manifests, skipped: ${skipped.join(', ')}`);
    assert.ok(n >= 20, `examples found: ${n}`);
    assert.deepEqual(failed, []);
  });

  it('the Rollout has the scale subresource (kubectl scale, HPA) and printer columns', async () => {
    await c.k(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'r', namespace: 'default' }, spec: { replicas: 2, selector: { matchLabels: { app: 'r' } }, template: { metadata: { labels: { app: 'r' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, strategy: { canary: {} } } }),
    });
    await c.k(['scale', 'rollout', 'r', '--replicas=4']);
    assert.equal(JSON.parse(await c.k(['get', 'rollout', 'r', '-o', 'json'])).spec.replicas, 4);
    assert.match(await c.k(['get', 'ro']), /NAME\s+DESIRED\s+CURRENT\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nr\s+4/);
  });
});
