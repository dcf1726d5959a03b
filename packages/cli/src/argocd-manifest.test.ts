// manifests/argo-cd/install.yaml as a user applies it: the real kubectl against a fresh API server
// (no node: nothing runs), first with a plain `kubectl apply` as the seed journey does, then again;
// and the file's conventions (manifests/README.md) checked object by object.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { startTestCluster, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { VERSION } from './main.js';

const FILE = fileURLToPath(new URL('../../../manifests/argo-cd/install.yaml', import.meta.url));
const objects = parseAllDocuments(readFileSync(FILE, 'utf8'))
  .map((d) => d.toJS() as any)
  .filter(Boolean);
const of = (kind: string) => objects.filter((o) => o.kind === kind);
const workloads = [...of('Deployment'), ...of('StatefulSet')];
const CLUSTER_KINDS = new Set(['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'Namespace']);

describe('manifests/argo-cd/install.yaml: conventions', () => {
  it('namespaced objects carry no namespace; names are unique per kind', () => {
    const seen = new Set<string>();
    for (const o of objects) {
      if (!CLUSTER_KINDS.has(o.kind)) assert.equal(o.metadata.namespace, undefined, `${o.kind}/${o.metadata.name}`);
      const k = `${o.kind}/${o.metadata.name}`;
      assert.ok(!seen.has(k), `duplicate ${k}`);
      seen.add(k);
    }
    assert.equal(of('AppProject').length, 0, 'objects of the CRDs cannot be applied with them in one kubectl apply');
  });

  it("components run Flotilla's image of this version with their entry point; every container has a readiness probe", () => {
    const entries: Record<string, string> = {};
    for (const w of workloads) {
      const spec = w.spec.template.spec;
      for (const c of spec.containers) {
        assert.ok(c.readinessProbe, `${w.metadata.name}/${c.name} has a readiness probe`);
        if (c.image.startsWith('flotilla/')) {
          assert.equal(c.image, `flotilla/flotilla:${VERSION}`);
          entries[w.metadata.name] = c.args[0];
        }
      }
      for (const c of spec.initContainers ?? []) if (c.image.startsWith('flotilla/')) assert.equal(c.image, `flotilla/flotilla:${VERSION}`);
      assert.ok(of('ServiceAccount').some((sa) => sa.metadata.name === spec.serviceAccountName), `${w.metadata.name}: ServiceAccount ${spec.serviceAccountName}`);
      assert.deepEqual(w.spec.selector.matchLabels, { 'app.kubernetes.io/name': w.metadata.name });
      assert.equal(w.spec.template.metadata.labels['app.kubernetes.io/name'], w.metadata.name);
    }
    assert.deepEqual(entries, {
      'argocd-repo-server': 'argocd-repo-server',
      'argocd-server': 'argocd-server',
      'argocd-application-controller': 'argocd-application-controller',
      'argocd-dex-server': 'argocd-dex',
      'argocd-notifications-controller': 'argocd-notifications',
      'argocd-applicationset-controller': 'argocd-applicationset-controller',
    });
  });

  it('every Service selects a workload and targets a port its containers declare', () => {
    for (const s of of('Service')) {
      const w = workloads.find((x) => x.metadata.name === s.spec.selector['app.kubernetes.io/name']);
      assert.ok(w, `Service ${s.metadata.name} selects nothing`);
      const ports = w.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort));
      for (const p of s.spec.ports) assert.ok(ports.includes(p.targetPort), `Service ${s.metadata.name} port ${p.port} → ${p.targetPort}`);
    }
    const server = of('Service').find((s) => s.metadata.name === 'argocd-server');
    assert.deepEqual(server.spec.ports.map((p: any) => [p.port, p.targetPort]), [[80, 8080], [443, 8080]]);
  });

  it('bindings name Roles and ServiceAccounts of the file; only the controller may do everything', () => {
    for (const b of [...of('RoleBinding'), ...of('ClusterRoleBinding')]) {
      const roles = b.roleRef.kind === 'Role' ? of('Role') : of('ClusterRole');
      assert.ok(roles.some((r) => r.metadata.name === b.roleRef.name), `${b.kind} ${b.metadata.name} → ${b.roleRef.kind} ${b.roleRef.name}`);
      for (const s of b.subjects) assert.ok(of('ServiceAccount').some((sa) => sa.metadata.name === s.name), `${b.metadata.name}: subject ${s.name}`);
    }
    const star = (r: any) => r.rules.some((x: any) => x.verbs?.includes('*') && x.resources?.includes('*'));
    assert.deepEqual(of('ClusterRole').filter(star).map((r) => r.metadata.name), ['argocd-application-controller']);
    const repo = of('Role').find((r) => r.metadata.name === 'argocd-repo-server');
    assert.deepEqual(repo.rules, [{ apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] }]);
  });
});

describe('manifests/argo-cd/install.yaml: kubectl apply on a fresh API server', () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster({ prefix: 'flotilla-argocd-manifest-' });
  });
  after(async () => c?.close());

  it('kubectl create namespace argocd; kubectl apply -n argocd -f install.yaml (plain, as the journey), then again', async () => {
    await c.k(['create', 'namespace', 'argocd']);
    const first = await c.kubectl(['apply', '-n', 'argocd', '-f', FILE], { timeoutMs: 120_000 });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim().split('\n').length, objects.length, first.stdout);
    for (const o of objects) {
      const ns = CLUSTER_KINDS.has(o.kind) ? [] : ['-n', 'argocd'];
      await c.k(['get', `${o.kind.toLowerCase()}.${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}`.replace(/\.$/, ''), o.metadata.name, ...ns]);
    }
    const again = await c.kubectl(['apply', '-n', 'argocd', '-f', FILE], { timeoutMs: 120_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /created/);
    const ss = await c.kubectl(['apply', '-n', 'argocd', '--server-side', '--force-conflicts', '-f', FILE], { timeoutMs: 120_000 });
    assert.equal(ss.code, 0, ss.stderr);
  });
});
