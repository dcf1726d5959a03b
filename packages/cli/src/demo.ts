/**
 * `flotilla demo pipeline`: creates (idempotently, server-side apply) the push-to-production demo
 * of examples/pipeline/ on a running cluster through its Kubernetes API, removes it (`--delete`),
 * or pushes a color to its `app` repository and follows the chain (`--push`, demo-follow.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KubeObject } from '@flotilla/apimachinery';
import { isNotFound, KubeClient } from '@flotilla/kube-runtime';
import { applyObject, Discovery } from './components-install.js';
import { APP_NAME, APP_NS, DEMO_NS, examplesDir, FIELD_MANAGER, loadDemo, NEEDED_KINDS, ROLLOUT, rolloutView, validColor } from './demo-logic.js';
import { ensureGitReachable, pushAndFollow } from './demo-follow.js';
import { configureExtension, EXT_NAME, removeExtension, waitArgocdServer } from './demo-extension.js';

export const DEMO_FLAGS = {
  'data-dir': { type: 'string' },
  kubeconfig: { type: 'string' },
  delete: { type: 'boolean' },
  push: { type: 'string' },
  'pause-seconds': { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface Io {
  stdout(t: string): void;
  stderr(t: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `flotilla demo …`; returns the exit code. */
export async function demoCommand(argv: string[], io: Io, o: { help: string; defaultDataDir: string }): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: DEMO_FLAGS, strict: true, allowPositionals: true }) as any);
  } catch (e) {
    io.stderr(`flotilla demo: ${(e as Error).message}\nRun 'flotilla demo --help' for usage.\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(o.help);
    return 0;
  }
  if (positionals[0] !== 'pipeline' || positionals.length > 1) {
    io.stderr(`flotilla demo: ${positionals.length ? `unknown demo "${positionals.join(' ')}"` : 'which demo?'}: the only one is 'flotilla demo pipeline'\nRun 'flotilla demo --help' for usage.\n`);
    return 2;
  }
  const bad = (msg: string) => (io.stderr(`flotilla demo pipeline: ${msg}\n`), 2);
  if (values.delete && values.push !== undefined) return bad('--delete and --push cannot be used together');
  const timeoutStr = String(values.timeout ?? '300');
  if (!/^\d+$/.test(timeoutStr)) return bad(`--timeout: "${timeoutStr}" is not a number of seconds`);
  const pauseStr = values['pause-seconds'] as string | undefined;
  if (pauseStr !== undefined && !/^\d+$/.test(pauseStr)) return bad(`--pause-seconds: "${pauseStr}" is not a number of seconds`);
  if (typeof values.push === 'string' && !validColor(values.push)) return bad(`--push: "${values.push}" is not a color name (lower-case words joined by '-', e.g. yellow or bad-red)`);

  const kubeconfig = String(values.kubeconfig ?? join(String(values['data-dir'] ?? o.defaultDataDir), 'kubeconfig'));
  if (!existsSync(kubeconfig)) return (io.stderr(`flotilla demo pipeline: no kubeconfig at ${kubeconfig}: start the cluster with 'flotilla up' first (or give --data-dir/--kubeconfig)\n`), 1);
  const client = new KubeClient(kubeconfig, { fieldManager: FIELD_MANAGER, qps: 50, burst: 100 });
  const timeoutMs = Number(timeoutStr) * 1000;
  try {
    if (values.delete) return await remove(client, io, timeoutMs);
    if (typeof values.push === 'string') return await pushAndFollow(client, io, values.push, timeoutMs);
    return await create(client, io, timeoutMs, pauseStr === undefined ? undefined : Number(pauseStr));
  } catch (e) {
    io.stderr(`flotilla demo pipeline: ${(e as Error).message}\n`);
    return 1;
  }
}

async function missingComponents(client: KubeClient): Promise<string[]> {
  const out: string[] = [];
  for (const k of NEEDED_KINDS) {
    try {
      await client.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${k.crd}`);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      out.push(`${k.component} (no CRD ${k.crd})`);
    }
  }
  // the deploy repository's Ingress is served by the nginx IngressClass (Argo CD waits for its address)
  try {
    await client.request('GET', '/apis/networking.k8s.io/v1/ingressclasses/nginx');
  } catch (e) {
    if (!isNotFound(e)) throw e;
    out.push('ingress-nginx (no IngressClass nginx)');
  }
  return out;
}

/** Waits for `fn` to give a value; prints `what` once it does. */
async function until<T>(io: Io, what: string, deadline: number, fn: () => Promise<T | undefined>, detail?: () => Promise<string>): Promise<T> {
  const t = Date.now();
  for (;;) {
    let v: T | undefined;
    try {
      v = await fn();
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (v !== undefined) {
      io.stdout(`  ✔ ${what} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
      return v;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `: ${await detail().catch((e: Error) => e.message)}` : ''}`);
    await sleep(500);
  }
}

const deploymentReady = (d: any) => (d?.status?.availableReplicas ?? 0) >= (d?.spec?.replicas ?? 1) && (d?.status?.observedGeneration ?? 0) >= (d?.metadata?.generation ?? 1);

async function create(client: KubeClient, io: Io, timeoutMs: number, pauseSeconds?: number): Promise<number> {
  const missing = await missingComponents(client);
  if (missing.length) throw new Error(`the cluster lacks ${missing.join(', ')}: 'flotilla up' installs them (without --components/--no-components)`);
  const objs = loadDemo(examplesDir(), { pauseSeconds });
  const disc = new Discovery(client);
  io.stdout(`Applying ${objs.length} objects of ${examplesDir()} (server-side, field manager ${FIELD_MANAGER}):\n`);
  for (const obj of objs) {
    await applyObject(client, disc, obj as KubeObject, DEMO_NS, FIELD_MANAGER);
    io.stdout(`  ${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}\n`);
  }
  // the Pipeline page on argocd-server reads argo-server through the proxy extension argo-workflows
  io.stdout(`Argo CD proxy extension ${EXT_NAME}:\n`);
  const restarted = await configureExtension(client, (l) => io.stdout(l));
  const deadline = Date.now() + timeoutMs;
  const get = (path: string) => client.request('GET', path) as Promise<any>;
  const deploy = (name: string) => get(`/apis/apps/v1/namespaces/${DEMO_NS}/deployments/${name}`);
  io.stdout('Waiting for the pipeline:\n');
  await until(io, 'git server ready', deadline, async () => (deploymentReady(await deploy('git-server')) ? true : undefined));
  await until(io, 'Prometheus ready', deadline, async () => (deploymentReady(await deploy('prometheus')) ? true : undefined));
  const gitURL = await ensureGitReachable(client, io);
  io.stdout(`  ✔ git server answers at ${gitURL}\n`);
  const byLabel = async (label: string) => {
    const l = await get(`/apis/apps/v1/namespaces/${DEMO_NS}/deployments?labelSelector=${encodeURIComponent(label)}`);
    return l.items?.[0] && deploymentReady(l.items[0]) ? true : undefined;
  };
  await until(io, 'EventSource git-push ready', deadline, () => byLabel('eventsource-name=git-push'));
  await until(io, 'Sensor ci ready', deadline, () => byLabel('sensor-name=ci'));
  // the Application may have been looked at before the git server answered: ask Argo CD for a
  // refresh (what `argocd app get --refresh` does) every 10 s until it is synced
  const appPath = `/apis/argoproj.io/v1alpha1/namespaces/${APP_NS}/applications/${APP_NAME}`;
  let refreshed = 0;
  await until(
    io,
    `Application ${APP_NAME} synced and healthy`,
    deadline,
    async () => {
      const a = await get(appPath);
      if (a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy') return true;
      if (Date.now() - refreshed > 10_000) {
        refreshed = Date.now();
        await client.request('PATCH', appPath, { body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } }, contentType: 'application/merge-patch+json' });
      }
      return undefined;
    },
    async () => JSON.stringify((await get(appPath)).status ?? {}).slice(0, 1500),
  );
  const ro = await until(io, `Rollout ${ROLLOUT} healthy`, deadline, async () => {
    const v = rolloutView(await get(`/apis/argoproj.io/v1alpha1/namespaces/${DEMO_NS}/rollouts/${ROLLOUT}`));
    return v.done ? v : undefined;
  });
  if (restarted !== undefined) {
    await until(io, 'argocd-server restarted with proxy extensions', deadline, async () => {
      await waitArgocdServer(client, restarted, deadline);
      return true;
    });
  }
  // the Ingress's address (Argo CD counted it Healthy once the controller gave it one)
  const ing = await get(`/apis/networking.k8s.io/v1/namespaces/${DEMO_NS}/ingresses/${ROLLOUT}`).catch(() => undefined);
  const lb = ing?.status?.loadBalancer?.ingress?.[0];
  const addr = lb?.ip ?? lb?.hostname;
  io.stdout(
    `\nThe pipeline runs in namespace ${DEMO_NS}, serving ${ro.image}.\n` +
      (addr ? `  the app:     curl -H 'Host: rollouts-demo.localhost' http://${addr}/color   (or http://rollouts-demo.localhost/color when nginx has the host's port 80)\n` : '') +
      `  the chain:   https://localhost:8080/pipeline?ns=${DEMO_NS}   (argocd-server: kubectl -n argocd port-forward svc/argocd-server 8080:443; argo-server's part comes through /extensions/${EXT_NAME}/)\n` +
      `  git (pods):  git://git-server.${DEMO_NS}.svc.cluster.local/{app,deploy}\n` +
      `  git (host):  git clone ${gitURL}/app\n` +
      `  push a color: flotilla demo pipeline --push yellow   (a bad-<color> is aborted by the canary)\n` +
      `  remove it:    flotilla demo pipeline --delete\n`,
  );
  return 0;
}

async function remove(client: KubeClient, io: Io, timeoutMs: number): Promise<number> {
  const del = async (path: string, what: string) => {
    try {
      await client.request('DELETE', path, { body: { propagationPolicy: 'Foreground' } });
      io.stdout(`  deleted ${what}\n`);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      io.stdout(`  ${what}: not there\n`);
    }
  };
  const restarted = await removeExtension(client, (l) => io.stdout(l));
  await del(`/apis/argoproj.io/v1alpha1/namespaces/${APP_NS}/applications/${APP_NAME}`, `Application ${APP_NS}/${APP_NAME}`);
  await del(`/api/v1/namespaces/${DEMO_NS}`, `Namespace ${DEMO_NS} (and everything in it)`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.request('GET', `/api/v1/namespaces/${DEMO_NS}`);
    } catch (e) {
      if (isNotFound(e)) break;
      throw e;
    }
    if (Date.now() > deadline) throw new Error(`namespace ${DEMO_NS} is still terminating after ${timeoutMs / 1000} s`);
    await sleep(500);
  }
  if (restarted !== undefined) await waitArgocdServer(client, restarted, deadline);
  io.stdout(`The pipeline demo is removed.\n`);
  return 0;
}
