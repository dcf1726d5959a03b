// Every manifests/*/install.yaml installs on any conformant cluster (docs/install.md): the checks of
// manifests-check.ts on each file, the checks themselves against broken objects (so they can fail),
// and docs/install.md naming every allowed third-party image and RBAC exception.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { checkManifest, cpuMilli, imagesOf, memoryMi, RBAC_ALLOW, THIRD_PARTY_IMAGES } from './manifests-check.js';
import { VERSION } from './main.js';
import { ENTRY_POINTS } from './entrypoints.js';
import { CLIS } from './clis.js';
import { FLOTILLA_IMAGE_PROGRAMS } from '@flotilla/node-agent/images';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COMPONENT_DIRS = readdirSync(`${ROOT}manifests`).filter((d) => existsSync(`${ROOT}manifests/${d}/install.yaml`));
const load = (d: string) => parseAllDocuments(readFileSync(`${ROOT}manifests/${d}/install.yaml`, 'utf8')).map((x) => x.toJS()).filter(Boolean);

const deployment = (patch: (c: any, spec: any) => void) => {
  const c: any = {
    name: 'app',
    image: `flotilla/flotilla:${VERSION}`,
    args: ['pause'],
    ports: [{ name: 'http', containerPort: 8080 }],
    resources: { requests: { cpu: '10m', memory: '32Mi' } },
    readinessProbe: { httpGet: { path: '/readyz', port: 8080 } },
    livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
  };
  const spec: any = { containers: [c] };
  patch(c, spec);
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template: { spec } } };
};

describe('manifests/*/install.yaml on a real cluster', () => {
  it('finds the four Argo components and the ingress controller', () => {
    for (const c of ['argo-cd', 'argo-workflows', 'argo-rollouts', 'argo-events', 'ingress-nginx']) assert.ok(COMPONENT_DIRS.includes(c), c);
  });

  for (const d of COMPONENT_DIRS) {
    it(`${d}: no hostPath, only allowed images, requests and probes on every container, least-privilege RBAC`, () => {
      const objects = load(d);
      assert.ok(objects.some((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet'), `${d} has workloads`);
      assert.deepEqual(checkManifest(objects, VERSION), []);
    });
  }

  it("containers of Flotilla's image run a program the image has: the Dockerfile's names are the embedded cluster's", () => {
    const docker = readFileSync(`${ROOT}Dockerfile`, 'utf8');
    const loop = /for p in ([^;]+); do/.exec(docker)?.[1];
    assert.ok(loop, 'the Dockerfile writes the program scripts in a `for p in …; do` loop');
    assert.deepEqual(loop.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean).sort(), [...FLOTILLA_IMAGE_PROGRAMS].sort());
    const programs = new Set(['flotilla', ...FLOTILLA_IMAGE_PROGRAMS].flatMap((p) => [p, `/usr/local/bin/${p}`]));
    const entries = new Set([...Object.keys(ENTRY_POINTS), ...CLIS.map((c) => c.name)]);
    let n = 0;
    for (const d of COMPONENT_DIRS)
      for (const o of load(d)) {
        const spec = o.spec?.template?.spec;
        for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
          if (c.image !== `flotilla/flotilla:${VERSION}`) continue;
          n++;
          const where = `${d}: ${o.kind}/${o.metadata.name} ${c.name}`;
          if (c.command) assert.ok(programs.has(c.command[0]), `${where}: command ${c.command[0]} is not on the image's PATH`);
          else assert.ok(entries.has(c.args?.[0]), `${where}: args[0] ${c.args?.[0]} is not an entry point of flotilla`);
        }
      }
    assert.ok(n >= 13, `${n} containers of Flotilla's image`);
  });

  it('every documented third-party image is used by some manifest (the list stays short and true)', () => {
    const used = new Set(COMPONENT_DIRS.flatMap((d) => load(d).flatMap((o) => imagesOf(o).map((i) => i.image))));
    for (const { image } of THIRD_PARTY_IMAGES) assert.ok(used.has(image), `${image} is listed but no manifest uses it`);
    assert.ok(used.has(`flotilla/flotilla:${VERSION}`));
  });

  it('docs/install.md lists every allowed third-party image and every RBAC exception', () => {
    const doc = readFileSync(`${ROOT}docs/install.md`, 'utf8');
    for (const { image } of THIRD_PARTY_IMAGES) assert.ok(doc.includes(`\`${image}\``), `docs/install.md names ${image}`);
    for (const { name } of RBAC_ALLOW) assert.ok(doc.includes(`\`${name}\``), `docs/install.md names the RBAC exception ${name}`);
  });
});

describe('the manifest checks fail on what only works on the embedded cluster', () => {
  it('accepts a well-formed Deployment', () => {
    assert.deepEqual(checkManifest([deployment(() => {})], VERSION), []);
  });

  it('hostPath volumes, host namespaces, privileged', () => {
    const o = deployment((c, s) => {
      s.volumes = [{ name: 'data', hostPath: { path: '/var/lib/x' } }];
      s.hostNetwork = true;
      c.securityContext = { privileged: true };
    });
    const p = checkManifest([o], VERSION).join('\n');
    assert.match(p, /Deployment\/x: hostPath volume data/);
    assert.match(p, /hostNetwork/);
    assert.match(p, /privileged/);
  });

  it('foreign images: in containers, other versions of our own, env *_IMAGE, --*-image flags, controller configs', () => {
    const o = deployment((c, s) => {
      c.image = 'flotilla/flotilla:9.9.9';
      c.env = [{ name: 'EXECUTOR_IMAGE', value: 'busybox:1' }];
      c.args = ['--executor-image', 'alpine:3'];
      s.initContainers = [{ name: 'init', image: 'quay.io/x/y:1', resources: { requests: { cpu: '10m', memory: '8Mi' } } }];
    });
    const cm = { kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'config.yaml': 'eventBus:\n  versions:\n  - natsImage: nats:1.0\n' } };
    const p = checkManifest([o, cm], VERSION).join('\n');
    for (const img of ['flotilla/flotilla:9.9.9', 'busybox:1', 'alpine:3', 'quay.io/x/y:1', 'nats:1.0']) assert.ok(p.includes(`image ${img} `), `${img} reported:\n${p}`);
    assert.match(p, /ConfigMap\/cfg config\.yaml\.eventBus\.versions\[0\]\.natsImage/);
  });

  it('missing or oversized requests; missing probes; a probe on a port the container does not declare', () => {
    const o = deployment((c, s) => {
      delete c.resources;
      delete c.livenessProbe;
      c.readinessProbe = { httpGet: { path: '/', port: 9999 } };
      s.containers.push({ ...c, name: 'big', resources: { requests: { cpu: '2', memory: '4Gi' } }, readinessProbe: { exec: { command: ['true'] } }, livenessProbe: {} });
    });
    const p = checkManifest([o], VERSION).join('\n');
    assert.match(p, /container app: no resources\.requests/);
    assert.match(p, /container app: no livenessProbe/);
    assert.match(p, /container app: readinessProbe port 9999 is not a port/);
    assert.match(p, /container big: requests 2\/4Gi outside/);
    assert.match(p, /container big: livenessProbe has no httpGet/);
  });

  it('wildcard RBAC outside the allow-list; read-only wildcards are fine', () => {
    const role = (name: string, rules: any[]) => ({ kind: 'ClusterRole', metadata: { name }, rules });
    const p = checkManifest(
      [
        role('reader', [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }]),
        role('star-verbs', [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }]),
        role('deleter', [{ apiGroups: ['*'], resources: ['*'], verbs: ['delete'] }]),
        role('urls', [{ nonResourceURLs: ['*'], verbs: ['get'] }]),
        role('argocd-application-controller', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
      ],
      VERSION,
    );
    assert.deepEqual(p.map((x) => x.split(':')[0]), ['ClusterRole/star-verbs', 'ClusterRole/deleter', 'ClusterRole/urls']);
  });

  it('reads quantities', () => {
    assert.equal(cpuMilli('50m'), 50);
    assert.equal(cpuMilli('0.5'), 500);
    assert.equal(cpuMilli(1), 1000);
    assert.ok(Number.isNaN(cpuMilli('lots')));
    assert.equal(memoryMi('64Mi'), 64);
    assert.equal(memoryMi('1Gi'), 1024);
    assert.equal(memoryMi('2048Ki'), 2);
    assert.ok(Number.isNaN(memoryMi('big')));
  });
});
