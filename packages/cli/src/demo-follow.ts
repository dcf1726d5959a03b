/**
 * `flotilla demo pipeline --push <color>`: a commit to the demo's `app` repository as a developer
 * makes it (git over the git server's NodePort), then the chain followed through the Kubernetes
 * API: the Workflow the Sensor submitted for the commit, its steps, the commit it pushed to
 * `deploy`, Argo CD's sync of it, the Rollout's canary steps — with the time of each stage.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeClient } from '@flotilla/kube-runtime';
import { APP_NAME, APP_NS, DEMO_NS, ROLLOUT, rolloutView, Stages, stepOutput, workflowLine } from './demo-logic.js';
import type { Io } from './demo.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function git(args: string[], cwd?: string): Promise<string> {
  try {
    const r = await run('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    return r.stdout.trim();
  } catch (e: any) {
    throw new Error(`git ${args.join(' ')} failed: ${String(e.stderr || e.message).trim()}`);
  }
}

/** The host's URL of the demo's git server: the API server's host and the Service's NodePort. */
export async function gitHostURL(client: KubeClient): Promise<string> {
  let svc: any;
  try {
    svc = await client.request('GET', `/api/v1/namespaces/${DEMO_NS}/services/git-server`);
  } catch {
    throw new Error(`no git server in namespace ${DEMO_NS}: run 'flotilla demo pipeline' first`);
  }
  const port = svc.spec?.ports?.find((p: any) => p.name === 'git')?.nodePort;
  if (!port) throw new Error(`Service ${DEMO_NS}/git-server has no NodePort`);
  return `git://${client.server.hostname}:${port}`;
}

/** Whether `url` answers as the demo's `app` repository (a branch main). */
async function answersAsApp(url: string): Promise<boolean> {
  try {
    const r = await run('git', ['ls-remote', '--heads', `${url}/app`], { timeout: 5000, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    return /\srefs\/heads\/main$/m.test(r.stdout);
  } catch {
    return false;
  }
}

/** A port of the NodePort range nothing on this host listens on. */
function freeNodePort(): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
  return (async () => {
    for (let i = 0; i < 50; i++) {
      const port = 30000 + Math.floor(Math.random() * 2768);
      if (await tryPort(port)) return port;
    }
    throw new Error('no free port in 30000-32767 on this host');
  })();
}

/**
 * The host's git URL, checked to answer as the demo's repository. When the Service's NodePort is
 * taken on this host by something else (another cluster on the same machine), the Service is given
 * a free one (through the API, as `kubectl edit svc` would).
 */
export async function ensureGitReachable(client: KubeClient, io: Io, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let url = await gitHostURL(client);
  let since = Date.now();
  for (;;) {
    if (await answersAsApp(url)) return url;
    if (Date.now() > deadline) throw new Error(`the git server does not answer at ${url}`);
    if (Date.now() - since > 5000) {
      const port = await freeNodePort();
      io.stdout(`  ${url} answers as something else (a port taken on this host): moving the NodePort to ${port}\n`);
      await client.request('PATCH', `/api/v1/namespaces/${DEMO_NS}/services/git-server`, { body: [{ op: 'replace', path: '/spec/ports/0/nodePort', value: port }], contentType: 'application/json-patch+json' });
      url = await gitHostURL(client);
      since = Date.now();
    }
    await sleep(500);
  }
}

/** Commits `color` to `app` and pushes it; returns the commit. */
export async function pushColor(client: KubeClient, color: string, io: Io): Promise<{ commit: string; output: string }> {
  const url = `${await ensureGitReachable(client, io)}/app`;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-demo-app-'));
  try {
    await git(['clone', '-q', url, dir]);
    writeFileSync(join(dir, 'color'), `${color}\n`);
    await git(['-c', 'user.name=flotilla demo', '-c', 'user.email=developer@flotilla.invalid', 'commit', '-q', '--allow-empty', '-am', `color: ${color}`], dir);
    const commit = await git(['rev-parse', 'HEAD'], dir);
    const r = await run('git', ['push', 'origin', 'HEAD:main'], { cwd: dir }).catch((e: any) => {
      throw new Error(`git push to ${url} failed: ${String(e.stderr || e.message).trim()}`);
    });
    return { commit, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface FollowResult {
  outcome: 'healthy' | 'aborted' | 'failed';
  stages: Stages;
}

export async function pushAndFollow(client: KubeClient, io: Io, color: string, timeoutMs: number): Promise<number> {
  const r = await followPush(client, io, color, timeoutMs);
  return r.outcome === 'healthy' ? 0 : 1;
}

/** Pushes and follows; prints as it goes; throws on a timeout. */
export async function followPush(client: KubeClient, io: Io, color: string, timeoutMs: number): Promise<FollowResult> {
  const stages = new Stages();
  const deadline = stages.start + timeoutMs;
  const say = (t: string) => io.stdout(`[${((Date.now() - stages.start) / 1000).toFixed(1).padStart(5)} s] ${t}\n`);
  const get = (path: string) => client.request('GET', path) as Promise<any>;
  const wait = async <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(300);
    }
  };

  const { commit, output } = await pushColor(client, color, io);
  for (const l of output.split('\n').filter((x) => /flotilla-demo:/.test(x))) say(`git: ${l.replace(/^remote:\s*/, '').trim()}`);
  say(`pushed ${commit.slice(0, 8)} "color: ${color}" to app`);
  stages.done('git push');

  // event → Workflow: the Sensor's Workflow is the one with this commit as its parameter
  const wfPath = `/apis/argoproj.io/v1alpha1/namespaces/${DEMO_NS}/workflows`;
  let wf = await wait('the Sensor to submit a Workflow for the commit', async () => {
    const l = await get(wfPath);
    return (l.items as any[]).find((w) => w.spec?.arguments?.parameters?.some((p: any) => p.name === 'commit' && p.value === commit));
  });
  const wfName = wf.metadata.name;
  say(`event received → Workflow ${DEMO_NS}/${wfName} submitted by Sensor ci`);
  stages.done('event → workflow submitted');

  let line = '';
  wf = await wait(`Workflow ${wfName} to finish`, async () => {
    const w = await get(`${wfPath}/${wfName}`);
    const l = workflowLine(w);
    if (l !== line) say(`workflow ${wfName}: ${(line = l)}`);
    return ['Succeeded', 'Failed', 'Error'].includes(w.status?.phase) ? w : undefined;
  });
  stages.done('workflow (test, build, deploy)');
  if (wf.status.phase !== 'Succeeded') {
    say(`workflow ${wfName} ${wf.status.phase}: ${wf.status.message ?? ''} — nothing deployed`);
    return { outcome: 'failed', stages: summary(io, stages, 'the workflow failed') };
  }
  const image = stepOutput(wf, 'build', 'image') ?? `argoproj/rollouts-demo:${color}`;
  const revision = stepOutput(wf, 'deploy', 'revision');
  say(`commit to deploy: ${revision?.slice(0, 8) ?? '?'} (image ${image})`);

  const appPath = `/apis/argoproj.io/v1alpha1/namespaces/${APP_NS}/applications/${APP_NAME}`;
  await wait(`Argo CD to sync ${revision}`, async () => {
    const a = await get(appPath);
    const synced = a.status?.sync?.status === 'Synced' && (!revision || a.status?.sync?.revision === revision);
    const op = a.status?.operationState;
    return synced && (!op || op.phase === 'Succeeded') ? a : undefined;
  });
  say(`Argo CD synced Application ${APP_NS}/${APP_NAME} to ${revision?.slice(0, 8) ?? 'the new revision'}`);
  stages.done('Argo CD sync');

  const roPath = `/apis/argoproj.io/v1alpha1/namespaces/${DEMO_NS}/rollouts/${ROLLOUT}`;
  let last = '';
  const ro = await wait(`Rollout ${ROLLOUT} to finish`, async () => {
    const v = rolloutView(await get(roPath));
    if (v.image !== image) return undefined;
    const l = `${v.phase}, step ${v.step}, canary weight ${v.weight} %${v.aborted ? ', aborted' : ''}${v.message ? ` (${v.message})` : ''}`;
    if (l !== last) say(`rollout ${ROLLOUT}: ${(last = l)}`);
    return v.done || v.aborted ? v : undefined;
  });
  stages.done('canary rollout');
  if (ro.aborted) {
    say(`rollout aborted: the stable version keeps serving`);
    return { outcome: 'aborted', stages: summary(io, stages, 'aborted') };
  }
  say(`rollout ${ROLLOUT}: Healthy, all replicas run ${image}`);
  return { outcome: 'healthy', stages: summary(io, stages, `${color} fully rolled out`) };
}

function summary(io: Io, s: Stages, outcome: string): Stages {
  io.stdout(`\nTime per stage:\n${s.table()}\n  ${'total'.padEnd(5)} ${(s.total() / 1000).toFixed(1)} s — ${outcome}\n`);
  io.stdout(
    `\nIn the web UI (kubectl port-forward -n ${APP_NS} svc/argocd-server 8080:443): https://localhost:8080/${UI_APP_PATH};\n` +
      `the whole chain as one picture: https://localhost:8080/${UI_PIPELINE_PATH} (its event and workflow boxes come from argo-server: docs/ui.md, "Pipeline");\n` +
      `the Workflows and Rollouts sections (argo-server, kubectl argo rollouts dashboard) list the workflow and the rollout of namespace ${DEMO_NS}.\n`,
  );
  return s;
}

/** The demo namespace's delivery pipeline as one picture in the UI. */
export const UI_PIPELINE_PATH = `pipeline?ns=${DEMO_NS}`;
/** The Application's page in Argo CD's UI. */
export const UI_APP_PATH = `applications/${APP_NS}/${APP_NAME}`;
