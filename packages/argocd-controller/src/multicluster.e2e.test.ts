/**
 * End to end, two clusters: an app deploys into a second `flotilla up` through a cluster Secret
 * (bearer token + CA), by server URL and by name; a cluster Secret with a bad token shows as the
 * app's ComparisonError while the other apps keep working; an ApplicationSet whose matrix crosses a
 * list with the clusters generator creates the product — one app per (element, cluster) — deployed
 * into both clusters.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kubectlFor, startUp, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';
import { parseAppSetArgs } from '@flotilla/applicationset/flags';
import { startAppSetController } from '@flotilla/applicationset/main';
import { EXAMPLE_APPS, healthy, skipReason, startEnv, synced, type Env } from './testenv.js';
import { existsSync } from 'node:fs';

const skip = skipReason() ?? (existsSync(EXAMPLE_APPS) ? undefined : `argocd-example-apps not found at ${EXAMPLE_APPS}`);
if (skip) process.stdout.write(`# skipped: ${skip}\n`);

describe('multi-cluster end to end', { skip, timeout: 1_200_000 }, () => {
  let env: Env;
  let second: Up;
  let dir: string;
  let server: string;
  let k2: ReturnType<typeof kubectlFor>;
  before(async () => {
    env = await startEnv({ repos: { examples: EXAMPLE_APPS } });
    dir = mkdtempSync(join(tmpdir(), 'flotilla-cd-second-'));
    second = await startUp(join(dir, 'up'), 180_000, {});
    k2 = kubectlFor(join(dir, 'home'), second.kubeconfig);
    await waitFor('second API server', async () => (await k2.kubectl(['get', 'ns', 'default'])).code === 0, 120_000, 500);
    const kc = parse(readFileSync(second.kubeconfig, 'utf8'));
    server = kc.clusters[0].cluster.server;
    const config = { bearerToken: kc.users[0].user.token, tlsClientConfig: { insecure: false, caData: kc.clusters[0].cluster['certificate-authority-data'] } };
    const secret = (name: string, cfg: unknown, srv: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
      stringData: { name, server: srv, config: JSON.stringify(cfg) },
    });
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [secret('second', config, server), secret('broken', { ...config, bearerToken: 'not-a-token' }, server.replace('127.0.0.1', 'localhost'))] }));
    await env.k(['apply', '-f', join(dir, 'secrets.json')]);
  });
  after(async () => {
    await env?.stop();
    if (second) await stopUp(second, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('deploys into the second cluster by server URL and by name', async () => {
    for (const [name, destination] of [
      ['remote-by-server', { server, namespace: 'remote-a' }],
      ['remote-by-name', { name: 'second', namespace: 'remote-b' }],
    ] as const) {
      await env.applyApp({
        metadata: { name, namespace: 'argocd' },
        spec: { project: 'default', source: { repoURL: env.git.url('examples'), targetRevision: 'HEAD', path: 'guestbook' }, destination, syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] } },
      });
    }
    for (const [name, ns] of [
      ['remote-by-server', 'remote-a'],
      ['remote-by-name', 'remote-b'],
    ]) {
      await env.waitApp(name, (a) => synced(a) && healthy(a), 'Synced + Healthy in the second cluster', 400_000);
      await k2.k(['get', 'deployment', 'guestbook-ui', '-n', ns]);
      assert.notEqual((await env.kubectl(['get', 'namespace', ns])).code, 0, 'not in the first cluster');
    }
  });

  it('a cluster Secret with a bad token is an app condition; other apps are unaffected', async () => {
    await env.applyApp({
      metadata: { name: 'remote-broken', namespace: 'argocd' },
      spec: { project: 'default', source: { repoURL: env.git.url('examples'), targetRevision: 'HEAD', path: 'guestbook' }, destination: { name: 'broken', namespace: 'x' } },
    });
    const a = await env.waitApp('remote-broken', (x) => !!x.status?.conditions?.some((c) => c.type === 'ComparisonError'), 'ComparisonError', 180_000);
    assert.match(a.status!.conditions!.find((c) => c.type === 'ComparisonError')!.message, /failed to sync cluster .*(401|Unauthorized)/i);
    // the healthy remote app still reacts
    await k2.k(['scale', 'deployment', 'guestbook-ui', '-n', 'remote-a', '--replicas', '2']);
    await env.waitApp('remote-by-server', (x) => x.status?.sync?.status === 'OutOfSync', 'drift seen in the second cluster', 120_000);
  });

  it('an ApplicationSet matrix of a list × the clusters generator: one app per (element, cluster), deployed into both clusters', async () => {
    // the first cluster as a cluster Secret too (its real address, as a second Argo CD would see it)
    const kc1 = parse(readFileSync(env.kubeconfig, 'utf8'));
    const first = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'first', namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': 'cluster', fleet: 'demo' } },
      stringData: { name: 'first', server: kc1.clusters[0].cluster.server, config: JSON.stringify({ bearerToken: kc1.users[0].user.token, tlsClientConfig: { insecure: false, caData: kc1.clusters[0].cluster['certificate-authority-data'] } }) },
    };
    await env.k(['apply', '-f', '-'], { input: JSON.stringify(first) });
    await env.k(['label', 'secret', 'second', '-n', 'argocd', 'fleet=demo']);
    const ctl = await startAppSetController(parseAppSetArgs(['--namespace', 'argocd', '--kubeconfig', env.kubeconfig, '--requeue-after', '5'], {}), { log: () => {}, health: false, webhook: false });
    try {
      await env.k(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'ApplicationSet',
          metadata: { name: 'fleet', namespace: 'argocd' },
          spec: {
            generators: [{ matrix: { generators: [{ list: { elements: [{ ns: 'mx-a' }, { ns: 'mx-b' }] } }, { clusters: { selector: { matchLabels: { fleet: 'demo' } } } }] } }],
            template: {
              metadata: { name: '{{name}}-{{ns}}' },
              spec: { project: 'default', source: { repoURL: env.git.url('examples'), targetRevision: 'HEAD', path: 'guestbook' }, destination: { server: '{{server}}', namespace: '{{ns}}' }, syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] } },
            },
          },
        }),
      });
      const names = ['first-mx-a', 'first-mx-b', 'second-mx-a', 'second-mx-b'];
      await waitFor('the four apps of the product', async () => {
        const items = JSON.parse(await env.k(['get', 'applications', '-n', 'argocd', '-o', 'json'])).items as { metadata: { name: string } }[];
        return names.every((n) => items.some((i) => i.metadata.name === n));
      }, 60_000, 500);
      for (const n of names) await env.waitApp(n, (a) => synced(a) && healthy(a), `${n} Synced + Healthy`, 400_000);
      for (const ns of ['mx-a', 'mx-b']) {
        await env.k(['get', 'deployment', 'guestbook-ui', '-n', ns]);
        await k2.k(['get', 'deployment', 'guestbook-ui', '-n', ns]);
      }
      const set = JSON.parse(await env.k(['get', 'applicationset', 'fleet', '-n', 'argocd', '-o', 'json']));
      assert.deepEqual((set.status?.resources ?? []).map((r: { name: string }) => r.name).sort(), names);
    } finally {
      await ctl.stop();
    }
  });
});
