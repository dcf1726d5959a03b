/**
 * Upstream's Argo CD install.yaml (../shared/upstream/install-manifests/argo-cd/install.yaml,
 * read at test time, applied unchanged with the real kubectl) on one `flotilla up`: Argo CD's image
 * runs Flotilla's programs by name — the repo server Ready and rendering, Redis with the password
 * `argocd admin redis-initial-password` made, the copyutil init containers done — and what this
 * build does not have (Dex, ApplicationSet) fails saying so; the notifications controller runs. Skipped with a reason
 * when the fixture is absent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RepoClient } from '@flotilla/repo-server/client';
import { startGitServer, type GitServer } from '@flotilla/repo-server/testkit';
import { kube, portForward, stubbed, workloadReady } from './argocd-testutil.js';
import { eventually, startUp, stopUp, type Up } from './testkit.js';

const UPSTREAM = process.env.FLOTILLA_UPSTREAM ?? fileURLToPath(new URL('../../../../shared/upstream/', import.meta.url));
const MANIFEST = join(UPSTREAM, 'install-manifests', 'argo-cd', 'install.yaml');
const absent = existsSync(MANIFEST) ? undefined : `${MANIFEST} is not present (upstream fixtures absent)`;
if (absent) console.log(`# skipped: ${absent}`);
const NS = 'argocd';
const STUBS = { controller: stubbed('@flotilla/argocd-controller/main'), server: stubbed('@flotilla/argocd-server/main') };

let dir: string;
let up: Up;
let git: GitServer;
const { kubectl, ok, json } = kube((dir = mkdtempSync(join(tmpdir(), 'flotilla-argocd-upstream-'))), () => up);

const podOf = async (name: string) => (await json(['get', 'pods', '-n', NS, '-l', `app.kubernetes.io/name=${name}`])).items[0];
/** the current or previous output of a pod's container */
const output = async (pod: string, c: string) => (await kubectl(['logs', '-n', NS, pod, '-c', c])).stdout + (await kubectl(['logs', '-n', NS, pod, '-c', c, '--previous'])).stdout;

describe("upstream's Argo CD install.yaml, unchanged, on flotilla up", { timeout: 900_000, skip: absent }, () => {
  before(async () => {
    git = await startGitServer({ repos: { apps: null } });
    git.commit('apps', { 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: upstream-rendered}\n' });
    up = await startUp(join(dir, 'data'), 300_000);
    await ok(['create', 'namespace', NS]);
  });
  after(async () => {
    if (up) await stopUp(up, 'SIGTERM');
    await git?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl apply -n argocd --server-side -f install.yaml succeeds (a plain apply is refused for one CRD, as by Kubernetes)', async () => {
    // upstream's ApplicationSet CRD is larger than the 256 KiB last-applied annotation a client-side
    // apply writes: Kubernetes refuses it the same way, which is why upstream installs server-side
    const plain = await kubectl(['apply', '-n', NS, '-f', MANIFEST], { timeoutMs: 300_000 });
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /applicationsets\.argoproj\.io" is invalid: metadata\.annotations: Too long: may not be more than 262144 bytes/);
    const r = await kubectl(['apply', '-n', NS, '--server-side', '--force-conflicts', '-f', MANIFEST], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment\.apps\/argocd-repo-server serverside-applied/);
    assert.ok(readFileSync(MANIFEST, 'utf8').includes('quay.io/argoproj/argocd'), 'the file runs Argo CD’s own image');
  });

  it('argocd-redis: secret-init (argocd admin redis-initial-password) made the Secret; redis-server requires it', async () => {
    await eventually('argocd-redis ready', async () => workloadReady(await json(['get', 'deployment', 'argocd-redis', '-n', NS])), 300_000);
    const pw = Buffer.from((await json(['get', 'secret', 'argocd-redis', '-n', NS])).data.auth, 'base64').toString();
    assert.match(pw, /^[A-Za-z0-9]{16}$/);
    const pod = await podOf('argocd-redis');
    assert.match(await output(pod.metadata.name, 'secret-init'), /Argo CD Redis secret (created|state confirmed)/);
    const noAuth = await kubectl(['exec', '-n', NS, pod.metadata.name, '-c', 'redis', '--', 'redis-cli', 'PING']);
    assert.match(noAuth.stdout + noAuth.stderr, /NOAUTH/);
  });

  it('argocd-repo-server: copyutil ran, the server is Ready (without a token: no Secrets, as upstream mounts none) and renders', async () => {
    await eventually('argocd-repo-server ready', async () => workloadReady(await json(['get', 'deployment', 'argocd-repo-server', '-n', NS])), 300_000);
    const pod = await podOf('argocd-repo-server');
    const init = pod.status.initContainerStatuses.find((s: any) => s.name === 'copyutil');
    assert.equal(init.state.terminated?.exitCode, 0, JSON.stringify(init));
    const logs = await ok(['logs', '-n', NS, pod.metadata.name, '-c', 'argocd-repo-server']);
    assert.match(logs, /argocd-repo-server is listening on 0\.0\.0\.0:8081/);
    assert.match(logs, /no Kubernetes API access/);
    assert.match(logs, /redis argocd-redis:6379: connected/);
    const pf = await portForward(dir, up, NS, 'svc/argocd-repo-server', 8081);
    try {
      const r = await new RepoClient(`http://127.0.0.1:${pf.port}`).generateManifests({ source: { repoURL: git.podURL('apps'), path: 'app' } });
      assert.equal(r.manifests[0]!.metadata?.name, 'upstream-rendered');
    } finally {
      pf.stop();
    }
  });

  it('the application controller and the API server run as Flotilla’s entry points', async () => {
    for (const [name, kind, stub] of [
      ['argocd-application-controller', 'statefulset', STUBS.controller],
      ['argocd-server', 'deployment', STUBS.server],
    ] as const) {
      if (stub) {
        const text = await eventually(`${name} ran`, async () => {
          const p = await podOf(name);
          const t = p ? await output(p.metadata.name, name) : '';
          return /not built yet/.test(t) ? t : undefined;
        }, 240_000);
        assert.match(text, new RegExp(`${name}: not built yet`));
      } else {
        await eventually(`${name} ready`, async () => workloadReady(await json(['get', kind, name, '-n', NS])), 300_000);
      }
    }
  });

  it('argocd-notifications-controller runs Flotilla’s notifications controller (upstream RBAC, argocd-notifications-cm)', async () => {
    const text = await eventually('argocd-notifications-controller started', async () => {
      const p = await podOf('argocd-notifications-controller');
      const t = p ? await output(p.metadata.name, 'argocd-notifications-controller') : '';
      return /argocd-notifications-controller started/.test(t) ? t : undefined;
    }, 240_000);
    assert.match(text, /ConfigMap argocd-notifications-cm, Secret argocd-notifications-secret/);
  });

  it('the ApplicationSet controller runs as Flotilla’s entry point', async () => {
    const text = await eventually('argocd-applicationset-controller started', async () => {
      const p = await podOf('argocd-applicationset-controller');
      const t = p ? await output(p.metadata.name, 'argocd-applicationset-controller') : '';
      return /applicationset controller started/.test(t) ? t : undefined;
    }, 240_000);
    assert.match(text, /applicationset controller started \(namespace argocd/);
  });

  it('Dex waits for dex.config (argocd-cm has no url and dex.config)', async () => {
    for (const [label, container, re] of [
      ['argocd-dex-server', 'dex', /dex is not configured \(argocd-cm needs url and dex.config\)/],
    ] as const) {
      const text = await eventually(`${label} says why`, async () => {
        const p = await podOf(label);
        const t = p ? await output(p.metadata.name, container) : '';
        return re.test(t) ? t : undefined;
      }, 240_000);
      assert.match(text, re);
    }
  });
});
