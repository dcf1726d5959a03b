/**
 * End-to-end: the real kubectl against a throwaway HTTP server serving legacy discovery (built
 * from builtinResources) and the OpenAPI documents built by openapi.ts. The server is test
 * scaffolding only.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ResourceInfo, StructSchema } from '@flotilla/apimachinery';
import { builtinResources, builtinGroupVersions, builtinSubresources, preferredVersion } from './resources.js';
import { openApiSchemas } from './schemas.js';
import {
  openApiV3Paths,
  openApiV3PathKey,
  openApiDocHash,
  buildOpenApiV3GroupVersion,
  buildOpenApiV2,
  builtinKindSchemaName,
} from './openapi.js';

const KUBECTL = '/usr/bin/kubectl';
const skip = existsSync(KUBECTL) ? false : 'kubectl not installed';

// A CRD-like extra resource, as the real server would pass it in.
const workflow: ResourceInfo = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'Workflow',
  listKind: 'WorkflowList',
  plural: 'workflows',
  singular: 'workflow',
  namespaced: true,
  shortNames: ['wf'],
  categories: ['all', 'argo'],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: { status: true },
};
const workflowSchema: StructSchema = {
  description: 'Workflow is the definition of a workflow resource',
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
    spec: {
      type: 'object',
      description: 'WorkflowSpec is the specification of a Workflow.',
      properties: {
        entrypoint: { type: 'string', description: 'Entrypoint is a template reference to the starting point of the workflow.' },
        podSpecPatch: { type: 'string', description: 'A strategic merge patch applied to every pod spec.' },
      },
    },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};
const extraSchemas: Record<string, StructSchema> = { 'io.argoproj.workflow.v1alpha1.Workflow': workflowSchema };
const allResources: ResourceInfo[] = [...builtinResources, workflow];
const kindSchemaName = (r: ResourceInfo) =>
  r.group === 'argoproj.io' ? `io.argoproj.workflow.v1alpha1.${r.kind}` : builtinKindSchemaName(r);

function splitGV(gv: string): [string, string] {
  const i = gv.indexOf('/');
  return i < 0 ? ['', gv] : [gv.slice(0, i), gv.slice(i + 1)];
}

function resourceList(group: string, version: string): unknown {
  const resources: unknown[] = [];
  for (const r of allResources.filter((x) => x.group === group && x.version === version)) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    });
    const subs = r.group === 'argoproj.io' ? [{ name: 'status', kind: r.kind, verbs: ['get', 'patch', 'update'] }] : builtinSubresources(r);
    for (const s of subs) {
      resources.push({
        name: `${r.plural}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: s.kind,
        verbs: s.verbs,
        ...('group' in s && s.group !== undefined ? { group: s.group, version: s.version } : {}),
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

let server: http.Server;
let base = '';
let work = '';
const requests: string[] = [];

before(async () => {
  if (skip) return;
  const schemas = { ...openApiSchemas(), ...extraSchemas };
  const gvs = [...builtinGroupVersions(), 'argoproj.io/v1alpha1'];
  const docs = new Map<string, unknown>();
  for (const gv of gvs) {
    const [group, version] = splitGV(gv);
    docs.set(openApiV3PathKey(gv), buildOpenApiV3GroupVersion({ group, version, resources: allResources, schemas, kindSchemaName }));
  }
  const hashes = Object.fromEntries([...docs].map(([k, d]) => [k, openApiDocHash(d)]));
  const groups = [...new Set(allResources.filter((r) => r.group).map((r) => r.group))].map((g) => {
    const versions = gvs.filter((gv) => gv.startsWith(`${g}/`)).map((gv) => ({ groupVersion: gv, version: splitGV(gv)[1] }));
    const pref = preferredVersion(g) ?? versions[0].version;
    return { name: g, versions, preferredVersion: versions.find((v) => v.version === pref) ?? versions[0] };
  });

  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    requests.push(`${req.method} ${req.url ?? ''}`);
    let body: unknown;
    if (p === '/api') {
      // plain JSON even when aggregated discovery is asked for: kubectl falls back to legacy discovery
      body = { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
    } else if (p === '/api/v1') body = resourceList('', 'v1');
    else if (p === '/apis') body = { kind: 'APIGroupList', apiVersion: 'v1', groups };
    else if (/^\/apis\/[^/]+\/[^/]+$/.test(p)) {
      const [, , g, v] = p.split('/');
      if (gvs.includes(`${g}/${v}`)) body = resourceList(g, v);
    } else if (p === '/openapi/v3') body = openApiV3Paths(gvs, hashes);
    else if (p.startsWith('/openapi/v3/')) body = docs.get(p.slice('/openapi/v3/'.length));
    else if (p === '/openapi/v2') body = buildOpenApiV2({ resources: allResources, schemas, kindSchemaName });
    else if (p === '/version') body = { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' };
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  work = mkdtempSync(join(tmpdir(), 'k8s-builtins-kubectl-'));
  writeFileSync(join(work, 'kubeconfig'), '');
});

after(async () => {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  if (work) rmSync(work, { recursive: true, force: true });
});

function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      KUBECTL,
      [`--server=${base}`, `--cache-dir=${join(work, 'cache')}`, ...args],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, KUBECONFIG: join(work, 'kubeconfig') },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** Collapses runs of whitespace so wrapped text can be matched. */
const flat = (s: string) => s.replace(/\s+/g, ' ');

test('kubectl explain deployment.spec.replicas', { skip }, async () => {
  const { stdout } = await kubectl('explain', 'deployment.spec.replicas');
  assert.match(stdout, /GROUP:\s+apps/);
  assert.match(stdout, /KIND:\s+Deployment/);
  assert.match(stdout, /VERSION:\s+v1/);
  assert.match(stdout, /FIELD:\s+replicas <integer>/);
  assert.match(flat(stdout), /Number of desired pods\./);
  assert.ok(requests.some((r) => r.startsWith('GET /openapi/v3/apis/apps/v1')), 'used the v3 group-version document');
});

test('kubectl explain pods.spec.containers --recursive', { skip }, async () => {
  const { stdout } = await kubectl('explain', 'pods.spec.containers', '--recursive');
  assert.match(stdout, /KIND:\s+Pod/);
  assert.match(stdout, /FIELD:\s+containers <\[\]Container>/);
  assert.match(flat(stdout), /List of containers belonging to the pod\./);
  assert.match(stdout, /^\s+image\s+<string>/m);
  assert.match(stdout, /^\s+name\s+<string> -required-/m);
  assert.match(stdout, /^\s+env\s+<\[\]EnvVar>/m);
  assert.match(stdout, /^\s+containerPort\s+<integer> -required-/m);
  assert.match(stdout, /^\s+limits\s+<map\[string\]Quantity>/m);
  assert.match(stdout, /^\s+livenessProbe\s+<Probe>/m);
  assert.match(stdout, /^\s+port\s+<IntOrString> -required-/m);
});

test('kubectl explain shows field descriptions', { skip }, async () => {
  const { stdout } = await kubectl('explain', 'pods.spec.containers.image');
  assert.match(flat(stdout), /Container image name\./);
  const spec = await kubectl('explain', 'deploy.spec');
  assert.match(flat(spec.stdout), /Specification of the desired behavior of the Deployment\./);
  assert.match(spec.stdout, /^\s+strategy\s+<DeploymentStrategy>/m);
  assert.doesNotMatch(spec.stdout, /<no description>/);
  const hpa = await kubectl('explain', 'hpa.spec.metrics');
  assert.match(hpa.stdout, /GROUP:\s+autoscaling/);
  assert.match(hpa.stdout, /VERSION:\s+v2/);
});

test('kubectl explain works for a CRD passed in by the server', { skip }, async () => {
  const { stdout } = await kubectl('explain', 'workflows.spec');
  assert.match(stdout, /GROUP:\s+argoproj\.io/);
  assert.match(stdout, /KIND:\s+Workflow/);
  assert.match(stdout, /^\s+entrypoint\s+<string>/m);
  assert.match(flat(stdout), /Entrypoint is a template reference/);
});

test('kubectl api-resources', { skip }, async () => {
  const { stdout } = await kubectl('api-resources');
  const rows = stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows[0], ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
  const has = (...cols: string[]) => rows.some((r) => r.join(' ') === cols.join(' '));
  assert.ok(has('deployments', 'deploy', 'apps/v1', 'true', 'Deployment'), stdout);
  assert.ok(has('pods', 'po', 'v1', 'true', 'Pod'));
  assert.ok(has('namespaces', 'ns', 'v1', 'false', 'Namespace'));
  assert.ok(has('configmaps', 'cm', 'v1', 'true', 'ConfigMap'));
  assert.ok(has('secrets', 'v1', 'true', 'Secret'));
  assert.ok(has('customresourcedefinitions', 'crd,crds', 'apiextensions.k8s.io/v1', 'false', 'CustomResourceDefinition'));
  assert.ok(has('horizontalpodautoscalers', 'hpa', 'autoscaling/v2', 'true', 'HorizontalPodAutoscaler'));
  assert.ok(has('clusterroles', 'rbac.authorization.k8s.io/v1', 'false', 'ClusterRole'));
  assert.ok(has('workflows', 'wf', 'argoproj.io/v1alpha1', 'true', 'Workflow'));
  // subresources are not listed as resources
  assert.ok(!rows.some((r) => r[0].includes('/')));

  const wide = await kubectl('api-resources', '--api-group=apps', '-o', 'wide');
  assert.match(wide.stdout, /deployments\s+deploy\s+apps\/v1\s+true\s+Deployment\s+create,delete,deletecollection,get,list,patch,update,watch\s+all/);
  const cats = await kubectl('api-resources', '--categories=all', '-o', 'name');
  const names = cats.stdout.trim().split('\n').sort();
  for (const n of ['pods', 'services', 'deployments.apps', 'jobs.batch', 'cronjobs.batch', 'workflows.argoproj.io']) {
    assert.ok(names.includes(n), `${n} in ${names.join(' ')}`);
  }
});

test('kubectl detects server-side field validation from the v3 document', { skip }, async () => {
  const manifest = join(work, 'deploy.yaml');
  writeFileSync(
    manifest,
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web, namespace: default}',
      'spec:',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      '    spec: {containers: [{name: web, image: nginx}]}',
      '',
    ].join('\n'),
  );
  requests.length = 0;
  // The stub has no write endpoints, so the create itself fails with NotFound; what matters is
  // that kubectl sent fieldValidation=Strict, which it only does after finding the parameter.
  await assert.rejects(kubectl('create', '-f', manifest, '--validate=strict'));
  const post = requests.find((r) => r.startsWith('POST /apis/apps/v1/namespaces/default/deployments?'));
  assert.ok(post, requests.join('\n'));
  assert.match(post, /[?&]fieldValidation=Strict(&|$)/);
  assert.ok(requests.some((r) => r.startsWith('GET /openapi/v3/apis/apps/v1?hash=')));
});
