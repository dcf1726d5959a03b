/**
 * `argocd appset create|get|list|generate|delete` as processes against argocd-server in-process on
 * a real API server (its /api/v1/applicationsets API, generation by @flotilla/applicationset), a
 * real Git server for the git generator. The controller is not running: Applications come only
 * from `generate` (nothing written).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

const setYaml = (repo: string, name = 'dirs') => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: ${name}
spec:
  goTemplate: true
  generators:
  - git:
      repoURL: ${repo}
      revision: HEAD
      directories:
      - path: '*'
      - path: skip
        exclude: true
  template:
    metadata:
      name: '{{.path.basename}}'
    spec:
      project: default
      source: {repoURL: '${repo}', targetRevision: HEAD, path: '{{.path.path}}'}
      destination: {server: 'https://kubernetes.default.svc', namespace: '{{.path.basename | upper | lower}}'}
`;

describe('argocd appset', { timeout: 600_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argocd-appset-'));
    const te = await import(TESTENV);
    skip = te.argoCrds().reason;
    if (skip) return console.log(`# skipped: ${skip}`);
    env = await te.startEnv();
    git = await startGitServer({ repos: { apps: null } });
    git.commit('apps', { 'guestbook/a.yaml': 'a: 1\n', 'helm-guestbook/b.yaml': 'b: 1\n', 'skip/c.yaml': 'c: 1\n' });
    await ok(['login', new URL(env.server.url).host, '--username', 'admin', '--password', await env.adminPassword(), '--insecure']);
  });
  after(async () => {
    await env?.close();
    await git?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generate shows the Applications a git-directories set would create; bad sets are refused with the reason', async (t) => {
    if (skip) return t.skip(skip);
    writeFileSync(join(dir, 'set.yaml'), setYaml(git.url('apps')));
    const out = await ok(['appset', 'generate', join(dir, 'set.yaml')]);
    assert.match(out, /^NAME\s+CLUSTER\s+NAMESPACE\s+PROJECT\s+REPO\s+PATH\s+TARGET/);
    assert.match(out, /\nguestbook\s+https:\/\/kubernetes.default.svc\s+guestbook\s+default\s+\S+\s+guestbook\s+HEAD/);
    assert.match(out, /\nhelm-guestbook\s/);
    assert.doesNotMatch(out, /\nskip\s/);
    const json = JSON.parse(await ok(['appset', 'generate', join(dir, 'set.yaml'), '-o', 'json']));
    assert.deepEqual(json.map((a: any) => a.metadata.name), ['guestbook', 'helm-guestbook']);
    writeFileSync(join(dir, 'bad.yaml'), setYaml(git.url('apps'), 'bad').replace("'{{.path.basename}}'", "'{{.path.nope | upper}}'").replace('goTemplate: true', 'goTemplate: true\n  goTemplateOptions: ["missingkey=error"]'));
    const bad = await argocd(['appset', 'generate', join(dir, 'bad.yaml')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /error generating applications: .*nope/);
    writeFileSync(join(dir, 'notset.yaml'), 'kind: ConfigMap\nmetadata: {name: x}\n');
    const notset = await argocd(['appset', 'create', join(dir, 'notset.yaml')]);
    assert.notEqual(notset.code, 0);
    assert.match(notset.stderr, /document 1 is a ConfigMap, not an ApplicationSet/);
  });

  it('create, get, list, delete', async (t) => {
    if (skip) return t.skip(skip);
    const created = await ok(['appset', 'create', join(dir, 'set.yaml')]);
    assert.match(created, /ApplicationSet 'dirs' created/);
    assert.match(created, /Project:\s+default/);
    assert.match(await ok(['appset', 'create', join(dir, 'set.yaml')]), /ApplicationSet 'dirs' unchanged/);
    const get = await ok(['appset', 'get', 'dirs']);
    assert.match(get, /Name:\s+argocd\/dirs/);
    assert.match(get, /Path:\s+\{\{\.path\.path\}\}/);
    const list = await ok(['appset', 'list']);
    assert.match(list, /^NAME\s+PROJECT\s+SYNCPOLICY\s+CONDITIONS\s+REPO\s+PATH\s+TARGET\n/);
    assert.match(list, /\ndirs\s+default\s+nil\s+<none>\s+\S+\s+\{\{\.path\.path\}\}\s+HEAD/);
    const got = JSON.parse(await ok(['appset', 'get', 'dirs', '-o', 'json']));
    assert.deepEqual(got.spec.generators.length, 1);
    // the resource tree lists the Applications the set owns (here one made by hand, as the controller would)
    const token = await env.login();
    await env.client.create({ group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true }, 'argocd', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'guestbook', namespace: 'argocd', ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: 'dirs', uid: got.metadata.uid, controller: true }] },
      spec: { project: 'default', source: { repoURL: git.url('apps'), path: 'guestbook' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' } },
    });
    const tree = await env.call('GET', '/api/v1/applicationsets/dirs/resource-tree', { token });
    assert.equal(tree.status, 200, tree.text);
    assert.deepEqual(tree.body.nodes.map((n: any) => [n.kind, n.name, n.parentRefs[0].name]), [['Application', 'guestbook', 'dirs']]);
    assert.equal((await env.call('GET', '/api/v1/applicationsets/nope/resource-tree', { token })).status, 404);
    assert.equal((await env.call('POST', '/api/v1/applicationsets/generate', { body: { applicationSet: { metadata: { name: 'x' } } } })).status, 401);
    assert.match(await ok(['appset', 'delete', 'dirs', '--yes']), /applicationset 'dirs' deleted/);
    const gone = await argocd(['appset', 'get', 'dirs']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /not found/);
  });
});
