/**
 * `argocd app get --show-params` as a process against argocd-server in-process with the real
 * argocd-repo-server and a real Git server: the parameters an app renders with — the Application's
 * own, or those of the override files committed next to its source (`.argocd-source.yaml`, then
 * `.argocd-source-<app>.yaml`) — each with where it comes from.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '@flotilla/repo-server/testkit';
import { argocdProcess } from './cli-process.js';

const TESTENV = new URL('../../argocd-server/dist/testenv.js', import.meta.url).href;

let dir: string;
let env: any;
let git: GitServer;
let skip: string | undefined;

const { argocd, ok } = argocdProcess(() => join(dir, 'home'));

/** The rows of the table that starts with `header` (columns split on 2+ spaces). */
function rows(out: string, header: RegExp): string[][] {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => header.test(l));
  assert.ok(i >= 0, `no ${header} table in:\n${out}`);
  const body: string[][] = [];
  for (const l of lines.slice(i + 1)) {
    if (!l.trim()) break;
    body.push(l.trim().split(/\s{2,}/));
  }
  return body;
}

const CHART = {
  'chart/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\n',
  'chart/values.yaml': 'replicaCount: 1\nimage:\n  tag: v1\n',
  'chart/values-prod.yaml': 'replicaCount: 7\n',
  'chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  replicas: "{{ .Values.replicaCount }}"\n  tag: "{{ .Values.image.tag }}"\n',
  // shared by every app of this path: a parameter list and a values file
  'chart/.argocd-source.yaml': 'helm:\n  parameters:\n  - name: replicaCount\n    value: "3"\n  valueFiles:\n  - values-prod.yaml\n',
  // the app "show"'s own file, merged last: its parameter list replaces the shared one
  'chart/.argocd-source-show.yaml': 'helm:\n  parameters:\n  - name: replicaCount\n    value: "2"\n  - name: image.tag\n    value: v9\n',
  'plain/Chart.yaml': 'apiVersion: v2\nname: plain\nversion: 0.1.0\n',
  'plain/values.yaml': 'replicaCount: 1\n',
  'plain/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n',
  'kust/kustomization.yaml': 'resources:\n- cm.yaml\n',
  'kust/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: k\n',
  'kust/.argocd-source-kshow.yaml': 'kustomize:\n  images:\n  - nginx:1.27\n',
};

describe('argocd app get --show-params', { timeout: 600_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argocd-params-'));
    const te = await import(TESTENV);
    skip = te.argoCrds().reason;
    if (skip) return console.log(`# skipped: ${skip}`);
    env = await te.startEnv({ realRepoServer: true });
    git = await startGitServer({ repos: { charts: null } });
    git.commit('charts', CHART);
    await ok(['login', new URL(env.server.url).host, '--username', 'admin', '--password', await env.adminPassword(), '--insecure']);
    const create = (name: string, path: string, ...extra: string[]) =>
      ok(['app', 'create', name, '--repo', git.url('charts'), '--path', path, '--dest-server', 'https://kubernetes.default.svc', '--dest-namespace', 'default', '--validate=false', ...extra]);
    await create('show', 'chart', '-p', 'replicaCount=5');
    await create('other', 'chart', '-p', 'replicaCount=5');
    await create('plain', 'plain', '-p', 'replicaCount=5', '-p', 'image.tag=v2');
    await create('kshow', 'kust', '--kustomize-image', 'nginx:1.25');
  });
  after(async () => {
    await env?.close();
    await git?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the app's own override file wins over the shared one and the Application: each parameter names its file", async (t) => {
    if (skip) return t.skip(skip);
    const out = await ok(['app', 'get', 'show', '--show-params']);
    assert.deepEqual(rows(out, /^NAME\s+VALUE\s+SOURCE$/), [
      ['replicaCount', '2', '.argocd-source-show.yaml'],
      ['image.tag', 'v9', '.argocd-source-show.yaml'],
    ]);
    // the shared file's valueFiles are not overridden by the app's file: they stay, from the shared file
    assert.deepEqual(rows(out, /^VALUE FILE\s+SOURCE$/), [['values-prod.yaml', '.argocd-source.yaml']]);
  });

  it('an app without its own file gets the shared file; an app on a path without files keeps its own parameters', async (t) => {
    if (skip) return t.skip(skip);
    assert.deepEqual(rows(await ok(['app', 'get', 'other', '--show-params']), /^NAME\s+VALUE\s+SOURCE$/), [['replicaCount', '3', '.argocd-source.yaml']]);
    assert.deepEqual(rows(await ok(['app', 'get', 'plain', '--show-params']), /^NAME\s+VALUE\s+SOURCE$/), [
      ['replicaCount', '5', 'Application'],
      ['image.tag', 'v2', 'Application'],
    ]);
  });

  it('Kustomize images from the override file; `app unset -p` removes an Application parameter', async (t) => {
    if (skip) return t.skip(skip);
    assert.deepEqual(rows(await ok(['app', 'get', 'kshow', '--show-params']), /^IMAGE\s+SOURCE$/), [['nginx:1.27', '.argocd-source-kshow.yaml']]);
    await ok(['app', 'unset', 'plain', '-p', 'image.tag']);
    assert.deepEqual(rows(await ok(['app', 'get', 'plain', '--show-params']), /^NAME\s+VALUE\s+SOURCE$/), [['replicaCount', '5', 'Application']]);
  });

  it('a broken override file: a warning naming the file, and the Application\'s own parameters', async (t) => {
    if (skip) return t.skip(skip);
    git.commit('charts', { 'plain/.argocd-source.yaml': 'helm: [unclosed\n' });
    const r = await argocd(['app', 'get', 'plain', '--show-params']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARNING: cannot read the override files of the source \(.*plain\/\.argocd-source\.yaml: invalid YAML/);
    assert.deepEqual(rows(r.stdout, /^NAME\s+VALUE\s+SOURCE$/), [['replicaCount', '5', 'Application']]);
  });
});
