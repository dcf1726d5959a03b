// charts/flotilla rendered by the project's own Helm engine (@flotilla/helm, as the repo server
// renders Helm applications): its copies of the install manifests are manifests/'s, the default
// render is those manifests (each in its namespace), values-ha.yaml applies every value it sets,
// and both renders pass the real-cluster checks of manifests-check.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { renderChart, type RenderResult } from '@flotilla/helm';
import { checkManifest } from './manifests-check.js';
import { VERSION } from './main.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHART = `${ROOT}charts/flotilla`;
const COMPONENTS = [
  { name: 'argo-cd', namespace: 'argocd' },
  { name: 'argo-workflows', namespace: 'argo' },
  { name: 'argo-rollouts', namespace: 'argo-rollouts' },
  { name: 'argo-events', namespace: 'argo-events' },
];
const CLUSTER_KINDS = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'IngressClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

const load = (file: string) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean);
const key = (o: any) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const objectsOf = (r: RenderResult) => r.manifests.map((m) => parse(m.content)).filter(Boolean);
const render = (valueFiles: string[] = [], values?: Record<string, unknown>) => renderChart({ chartDir: CHART, releaseName: 'flotilla', namespace: 'flotilla', valueFiles, values });

/** Kubernetes' defaults the manifests leave out and the chart may spell out. */
function normalize(o: any): any {
  const x = structuredClone(o);
  if (['Deployment', 'StatefulSet'].includes(x.kind)) x.spec.replicas ??= 1;
  return x;
}

function byKey(objects: any[]): Map<string, any> {
  const m = new Map<string, any>();
  for (const o of objects) {
    assert.ok(!m.has(key(o)), `duplicate ${key(o)}`);
    m.set(key(o), o);
  }
  return m;
}

describe('charts/flotilla', () => {
  let def: RenderResult;
  let ha: RenderResult;
  let haObjects: Map<string, any>;
  const get = (k: string) => {
    const o = haObjects.get(k);
    assert.ok(o, `${k} rendered with values-ha.yaml`);
    return o;
  };
  const container = (o: any, name?: string) => {
    const cs = o.spec.template.spec.containers as any[];
    return name ? cs.find((c) => c.name === name) : cs[0];
  };

  before(async () => {
    def = await render();
    ha = await render(['values-ha.yaml']);
    haObjects = byKey(objectsOf(ha));
  });

  it("its copies of the install manifests are manifests/'s (node scripts/sync-chart.mjs refreshes them); appVersion is this build's", () => {
    for (const c of COMPONENTS) {
      const copy = readFileSync(`${CHART}/files/${c.name}/install.yaml`, 'utf8');
      assert.ok(copy === readFileSync(`${ROOT}manifests/${c.name}/install.yaml`, 'utf8'), `charts/flotilla/files/${c.name}/install.yaml differs from manifests/${c.name}/install.yaml: run node scripts/sync-chart.mjs`);
    }
    assert.equal(def.chart.name, 'flotilla');
    assert.equal(def.chart.appVersion, VERSION);
  });

  it('the default render is the four install manifests, each in its namespace, and the Namespaces', () => {
    const expected: any[] = COMPONENTS.map((c) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: c.namespace } }));
    for (const c of COMPONENTS)
      for (const o of load(`${ROOT}manifests/${c.name}/install.yaml`)) expected.push(CLUSTER_KINDS.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace: c.namespace } });
    const got = byKey(objectsOf(def).map(normalize));
    const want = byKey(expected.map(normalize));
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [k, o] of want) assert.deepEqual(got.get(k), o, k);
  });

  it('both renders pass the real-cluster checks (images, requests, probes, no hostPath, RBAC)', () => {
    assert.deepEqual(checkManifest(objectsOf(def), VERSION), []);
    assert.deepEqual(checkManifest(objectsOf(ha), VERSION, `registry.example.com/flotilla/flotilla:${VERSION}`), []);
  });

  it('values-ha.yaml: images and pull policy everywhere Flotilla\'s image is named', () => {
    const img = `registry.example.com/flotilla/flotilla:${VERSION}`;
    let n = 0;
    for (const o of haObjects.values()) {
      const spec = o.spec?.template?.spec;
      for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
        if (c.image.startsWith('redis:')) continue;
        assert.equal(c.image, img, `${key(o)} ${c.name}`);
        assert.equal(c.imagePullPolicy, 'IfNotPresent', `${key(o)} ${c.name}`);
        n++;
      }
    }
    assert.ok(n >= 13, `${n} containers`);
    assert.ok(container(get('Deployment/argo/workflow-controller')).args.includes(img), 'the executor image');
    assert.equal(container(get('Deployment/argo-events/controller-manager')).env.find((e: any) => e.name === 'ARGO_EVENTS_IMAGE').value, img);
    assert.doesNotMatch(JSON.stringify([...haObjects.values()]), new RegExp(`"flotilla/flotilla:`), 'no object names the default image');
  });

  it('values-ha.yaml: replicas, leader election, Argo CD controller sharding', () => {
    const replicas = (k: string) => get(k).spec.replicas;
    assert.equal(replicas('Deployment/argocd/argocd-server'), 2);
    assert.equal(replicas('Deployment/argocd/argocd-repo-server'), 2);
    assert.equal(replicas('Deployment/argocd/argocd-applicationset-controller'), 2);
    assert.ok(container(get('Deployment/argocd/argocd-applicationset-controller')).args.includes('--enable-leader-election'));
    assert.equal(replicas('Deployment/argo/workflow-controller'), 2);
    assert.equal(replicas('Deployment/argo/argo-server'), 2);
    assert.equal(replicas('Deployment/argo-rollouts/argo-rollouts'), 2);
    assert.ok(container(get('Deployment/argo-rollouts/argo-rollouts')).args.includes('--leader-elect'));
    assert.equal(replicas('Deployment/argo-events/controller-manager'), 2);
    assert.ok(container(get('Deployment/argo-events/controller-manager')).args.includes('--leader-elect'));
    assert.equal(replicas('Deployment/argocd/argocd-redis') ?? 1, 1, 'one Redis');
    const ctl = get('StatefulSet/argocd/argocd-application-controller');
    assert.equal(ctl.spec.replicas, 3);
    assert.equal(container(ctl).env.find((e: any) => e.name === 'ARGOCD_CONTROLLER_REPLICAS').value, '3');
    // the default render keeps one replica and no extra flags
    const d = byKey(objectsOf(def));
    assert.equal(container(d.get('StatefulSet/argocd/argocd-application-controller')).env.find((e: any) => e.name === 'ARGOCD_CONTROLLER_REPLICAS').value, '1');
    assert.equal(container(d.get('Deployment/argo-rollouts/argo-rollouts')).args, undefined);
  });

  it('values-ha.yaml: Ingresses with hosts and TLS for argocd-server, argo-server and the Rollouts dashboard', () => {
    const cases = [
      ['Ingress/argocd/argocd-server', 'argocd.example.com', 'argocd-server-tls', 'argocd-server', 80],
      ['Ingress/argo/argo-server', 'argo.example.com', 'argo-server-tls', 'argo-server', 2746],
      ['Ingress/argo-rollouts/argo-rollouts-dashboard', 'rollouts.example.com', 'rollouts-dashboard-tls', 'argo-rollouts-dashboard', 3100],
    ] as const;
    for (const [k, host, secret, svc, port] of cases) {
      const ing = get(k);
      assert.equal(ing.spec.ingressClassName, 'nginx');
      assert.deepEqual(ing.spec.tls, [{ secretName: secret, hosts: [host] }]);
      assert.equal(ing.spec.rules[0].host, host);
      assert.deepEqual(ing.spec.rules[0].http.paths[0].backend.service, { name: svc, port: { number: port } });
      const ns = k.split('/')[1];
      const service = get(`Service/${ns}/${svc}`);
      assert.ok(service.spec.ports.some((p: any) => p.port === port), `${svc} serves ${port}`);
    }
    assert.equal(get('Ingress/argo/argo-server').metadata.annotations['nginx.ingress.kubernetes.io/backend-protocol'], 'HTTPS');
    assert.equal(get('ConfigMap/argocd/argocd-cmd-params-cm').data['server.insecure'], 'true');
    const dash = get('Deployment/argo-rollouts/argo-rollouts-dashboard');
    assert.equal(dash.spec.replicas, 2);
    assert.deepEqual(container(dash).command, ['kubectl-argo-rollouts']);
    assert.equal(get('ClusterRoleBinding//argo-rollouts-dashboard').subjects[0].namespace, 'argo-rollouts');
    assert.equal(objectsOf(def).filter((o) => o.kind === 'Ingress').length, 0, 'no Ingress by default');
  });

  it('values-ha.yaml: SSO for Argo CD (argocd-cm url, dex.config; argocd-rbac-cm) and argo-server (sso config, --auth-mode)', () => {
    const cm = get('ConfigMap/argocd/argocd-cm').data;
    assert.equal(cm.url, 'https://argocd.example.com');
    assert.equal(cm['admin.enabled'], 'true', 'the manifest\'s own settings stay');
    const dex = parse(cm['dex.config']);
    assert.equal(dex.connectors[0].type, 'oidc');
    assert.equal(dex.connectors[0].config.clientSecret, '$dex.corp.clientSecret');
    assert.equal(get('ConfigMap/argocd/argocd-rbac-cm').data['policy.default'], 'role:readonly');
    assert.match(get('ConfigMap/argocd/argocd-rbac-cm').data['policy.csv'], /g, platform-admins, role:admin/);
    const wf = get('ConfigMap/argo/workflow-controller-configmap').data;
    const sso = parse(wf.sso);
    assert.equal(sso.issuer, 'https://sso.example.com');
    assert.deepEqual(sso.clientId, { name: 'argo-server-sso', key: 'client-id' });
    assert.equal(sso.rbac.enabled, true);
    assert.deepEqual(container(get('Deployment/argo/argo-server')).args, ['server', '--auth-mode=sso', '--auth-mode=client']);
  });

  it('values-ha.yaml: the workflow archive in PostgreSQL (secret refs) and S3 artifacts', () => {
    const wf = get('ConfigMap/argo/workflow-controller-configmap').data;
    assert.ok(wf.metricsConfig, "the manifest's own settings stay");
    const p = parse(wf.persistence);
    assert.equal(p.archive, true);
    assert.equal(p.archiveTTL, '30d');
    assert.deepEqual(p.postgresql, {
      host: 'postgres.databases.svc',
      port: 5432,
      database: 'argo',
      tableName: 'argo_workflows',
      userNameSecret: { name: 'argo-postgres-config', key: 'username' },
      passwordSecret: { name: 'argo-postgres-config', key: 'password' },
      ssl: true,
      sslMode: 'require',
    });
    const a = parse(wf.artifactRepository);
    assert.equal(a.s3.bucket, 'flotilla-artifacts');
    assert.deepEqual(a.s3.accessKeySecret, { name: 's3-credentials', key: 'accesskey' });
    const d = byKey(objectsOf(def)).get('ConfigMap/argo/workflow-controller-configmap').data;
    assert.equal(d.persistence, undefined, 'no archive by default');
  });

  it('namespaces and components are values: subjects follow the namespace; a disabled component renders nothing', async () => {
    const r = byKey(objectsOf(await render([], { argocd: { namespace: 'gitops' }, events: { enabled: false }, createNamespaces: false })));
    assert.ok(r.get('Deployment/gitops/argocd-server'));
    assert.ok(!r.has('Namespace//gitops'));
    const crb = r.get('ClusterRoleBinding//argocd-application-controller');
    assert.deepEqual(crb.subjects.map((s: any) => s.namespace), ['gitops']);
    assert.ok(![...r.keys()].some((k) => k.includes('argo-events')), 'no Argo Events objects');
    assert.ok(r.get('Deployment/argo/workflow-controller'));
  });

  it('a bad value is an error naming it', async () => {
    await assert.rejects(render([], { workflows: { server: { ingress: { enabled: true } } } }), /argo-server: ingress\.enabled needs at least one host in ingress\.hosts/);
    await assert.rejects(render([], { argocd: { sso: { oidcConfig: { name: 'Okta' } } } }), /argocd\.sso: dexConfig and oidcConfig need argocd\.sso\.url/);
    await assert.rejects(render([], { workflows: { archive: { enabled: true, postgresql: { host: '' } } } }), /workflows\.archive\.enabled needs workflows\.archive\.postgresql\.host/);
    await assert.rejects(render([], { workflows: { server: { authModes: ['sso'] } } }), /workflows\.server\.authModes has sso: set workflows\.server\.sso/);
  });
});
