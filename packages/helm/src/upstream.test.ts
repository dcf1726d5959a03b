// Conformance cases: the Helm charts of argocd-example-apps and argo-cd-e2e-testdata (read from
// /work/shared/upstream at test time), rendered and compared object by object with expectations
// written for this project (src/testdata/expected/upstream).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { renderChart, helmTemplateOutput, loadChart, DEFAULT_API_VERSIONS, type RenderChartOptions } from './index.js';
import { EXPECTED, UPSTREAM, parseTemplateOutput, upstreamAvailable, type SourcedObject } from './testutil.js';

const EXAMPLES = join(UPSTREAM, 'argocd-example-apps');
const E2E = join(UPSTREAM, 'argo-cd-e2e-testdata');

function skipWithoutUpstream(t: TestContext): boolean {
  if (upstreamAvailable()) return false;
  t.diagnostic(`skipped: ${UPSTREAM} is absent`);
  t.skip(`${UPSTREAM} is absent`);
  return true;
}

/** Expands `# verbatim: crds/x.yaml` placeholders into the chart file's parsed content. */
function resolveVerbatim(list: SourcedObject[], chartDir: string): SourcedObject[] {
  return list.map((d) => {
    const v = (d.object as { verbatim?: string } | null)?.verbatim;
    if (typeof v !== 'string') return d;
    return { source: d.source, object: YAML.parse(readFileSync(join(chartDir, v), 'utf8'), { version: '1.1' }) };
  });
}

interface Case {
  expected: string;
  dir: string;
  opts?: Partial<RenderChartOptions>;
}

const cases: Case[] = [
  { expected: 'example-helm-guestbook', dir: join(EXAMPLES, 'helm-guestbook'), opts: { releaseName: 'guestbook' } },
  { expected: 'example-helm-guestbook-production', dir: join(EXAMPLES, 'helm-guestbook'), opts: { releaseName: 'helm-guestbook', valueFiles: ['values-production.yaml'], set: ['replicaCount=3'] } },
  { expected: 'e2e-helm', dir: join(E2E, 'helm') },
  { expected: 'e2e-helm-crd', dir: join(E2E, 'helm-crd'), opts: { releaseName: 'my-app', includeCrds: true } },
  { expected: 'e2e-helm3-crd', dir: join(E2E, 'helm3-crd'), opts: { includeCrds: true } },
  { expected: 'e2e-helm3-crd-skip', dir: join(E2E, 'helm3-crd'), opts: { includeCrds: true, skipCrds: true } },
  { expected: 'e2e-helm-glob-values-star', dir: join(E2E, 'helm-glob-values'), opts: { valueFiles: ['envs/*.yaml'] } },
  { expected: 'e2e-helm-glob-values-doublestar', dir: join(E2E, 'helm-glob-values'), opts: { valueFiles: ['envs/**/*.yaml'] } },
  { expected: 'e2e-helm-guestbook', dir: join(E2E, 'helm-guestbook'), opts: { set: ['replicas=2'] } },
  { expected: 'e2e-helm-kube-version', dir: join(E2E, 'helm-kube-version'), opts: { kubeVersion: '1.30.4' } },
  { expected: 'e2e-helm-namespace', dir: join(E2E, 'helm-namespace'), opts: { namespace: 'helm-ns' } },
  { expected: 'e2e-helm-values', dir: join(E2E, 'helm-values'), opts: { set: ['foo=baz'] } },
  { expected: 'e2e-hydrator-helm', dir: join(E2E, 'hydrator-helm'), opts: { namespace: 'hydrated' } },
  { expected: 'e2e-helm', dir: join(E2E, 'helm-repo', 'helm-1.0.0.tgz') },
  { expected: 'e2e-helm-repo-helm2', dir: join(E2E, 'helm-repo', 'helm2-1.0.0.tgz') },
];

for (const c of cases) {
  test(`upstream ${c.dir.slice(UPSTREAM.length)} matches expected/upstream/${c.expected}.txt`, async (t) => {
    if (skipWithoutUpstream(t)) return;
    const r = await renderChart({ chartDir: c.dir, ...c.opts });
    const actual = parseTemplateOutput(helmTemplateOutput(r));
    const expected = resolveVerbatim(parseTemplateOutput(readFileSync(join(EXPECTED, 'upstream', `${c.expected}.txt`), 'utf8')), c.dir);
    assert.deepEqual(actual, expected);
  });
}

test('upstream helm-guestbook: NOTES.txt follows the service type', async (t) => {
  if (skipWithoutUpstream(t)) return;
  const dir = join(EXAMPLES, 'helm-guestbook');
  const plain = await renderChart({ chartDir: dir, releaseName: 'gb' });
  assert.match(plain.notes!, /kubectl get pods --namespace default -l "app=helm-guestbook,release=gb"/);
  const lb = await renderChart({ chartDir: dir, releaseName: 'gb', valueFiles: ['values-production.yaml'] });
  assert.match(lb.notes!, /NOTE: It may take a few minutes for the LoadBalancer IP to be available\./);
  assert.match(lb.notes!, /kubectl get svc -w gb-helm-guestbook/);
  // .helmignore of the chart is honoured (its patterns parse) and values files are not part of .Files
  const c = loadChart(dir);
  assert.ok(c.files.some((f) => f.name === 'values-production.yaml'));
  assert.ok(!c.files.some((f) => f.name === 'values.yaml' || f.name.startsWith('templates/')));
});

test('upstream helm-api-versions: .Capabilities.APIVersions lists the defaults plus --api-versions', async (t) => {
  if (skipWithoutUpstream(t)) return;
  const extra = ['foo.example.com/v1', 'apps/v1/Deployment'];
  const r = await renderChart({ chartDir: join(E2E, 'helm-api-versions'), apiVersions: extra });
  assert.equal(r.manifests.length, 1);
  const cm = YAML.parse(r.manifests[0]!.content) as { metadata: { name: string }; data: { apiVersions: string } };
  assert.equal(cm.metadata.name, 'my-map');
  assert.deepEqual(JSON.parse(cm.data.apiVersions), [...DEFAULT_API_VERSIONS, ...extra]);
  assert.equal(r.manifests[0]!.source, 'helm-api-versions/templates/config-map.yaml');
});

const remote: [string, string][] = [
  [join(EXAMPLES, 'helm-dependency'), 'wordpress'],
  [join(E2E, 'helm-with-dependencies'), 'helm'],
  [join(E2E, 'helm-with-multiple-dependencies'), 'helm'],
  [join(E2E, 'helm-oci-with-dependencies'), 'helm-values'],
];
for (const [dir, dep] of remote) {
  test(`upstream ${dir.slice(UPSTREAM.length)}: offline, the missing dependency is reported`, async (t) => {
    if (skipWithoutUpstream(t)) return;
    await assert.rejects(renderChart({ chartDir: dir }), new RegExp(`found in Chart\\.yaml, but missing in charts/ directory: ${dep}`));
  });
  test(`upstream ${dir.slice(UPSTREAM.length)}: render with its remote dependencies`, (t) => {
    const repo = (() => {
      try {
        return /repository: *"?([^"\n]+)/.exec(readFileSync(join(dir, 'Chart.yaml'), 'utf8'))?.[1] ?? 'a remote repository';
      } catch {
        return 'a remote repository';
      }
    })();
    t.skip(`needs the network or a private registry (${repo})`);
  });
}

test('upstream argocd-example-apps/helm-hooks is plain manifests, not a chart', async (t) => {
  if (skipWithoutUpstream(t)) return;
  await assert.rejects(renderChart({ chartDir: join(EXAMPLES, 'helm-hooks') }), /Chart\.yaml file is missing/);
});
