// Trigger source artifacts: resource, inline YAML, file, url (a local HTTP server), git (a local repository).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSource, PermanentError, type TriggerContext } from './common.js';
import { has } from '../testutil.js';

const ctx: TriggerContext = { namespace: 'ns', sensorName: 's', triggerName: 't', log: () => {}, kube: () => { throw new Error('no API'); }, events: {} };
const WF = 'apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: from-\nspec:\n  entrypoint: main\n';

test('resource, inline, file and url sources', async () => {
  const r = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
  const got = await loadSource({ resource: r }, ctx);
  assert.deepEqual(got, r);
  assert.notEqual(got, r, 'a copy: parameters must not change the spec');
  assert.equal((await loadSource({ inline: WF }, ctx)).kind, 'Workflow');
  const dir = mkdtempSync(join(tmpdir(), 'src-'));
  writeFileSync(join(dir, 'wf.yaml'), WF);
  assert.equal((await loadSource({ file: { path: join(dir, 'wf.yaml') } }, ctx)).metadata.generateName, 'from-');
  const srv = createServer((req, res) => (req.url === '/wf.yaml' ? res.end(WF) : res.writeHead(404).end()));
  await new Promise<void>((r2) => srv.listen(0, '127.0.0.1', () => r2()));
  const port = (srv.address() as { port: number }).port;
  try {
    assert.equal((await loadSource({ url: { path: `http://127.0.0.1:${port}/wf.yaml` } }, ctx)).spec.entrypoint, 'main');
    await assert.rejects(loadSource({ url: { path: `http://127.0.0.1:${port}/missing` } }, ctx), /HTTP 404/);
  } finally {
    srv.close();
  }
  await assert.rejects(loadSource({ inline: '- a list' }, ctx), PermanentError);
  await assert.rejects(loadSource({ s3: { bucket: { name: 'b' } } }, ctx), /not available in this installation/);
  await assert.rejects(loadSource({}, ctx), /names no resource/);
});

test('git source: a branch of a repository', { skip: has('git') ? false : 'git is not installed' }, async () => {
  const repo = mkdtempSync(join(tmpdir(), 'repo-'));
  const git = (...a: string[]) => execFileSync('git', ['-C', repo, ...a], { env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'wf.yaml'), WF);
  git('add', '.');
  git('commit', '-qm', 'wf');
  git('checkout', '-qb', 'other');
  writeFileSync(join(repo, 'wf.yaml'), WF.replace('from-', 'other-'));
  git('commit', '-qam', 'other');
  assert.equal((await loadSource({ git: { url: `file://${repo}`, filePath: 'wf.yaml', branch: 'main' } }, ctx)).metadata.generateName, 'from-');
  assert.equal((await loadSource({ git: { url: `file://${repo}`, filePath: 'wf.yaml', branch: 'other' } }, ctx)).metadata.generateName, 'other-');
});
