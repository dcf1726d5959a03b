import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quickContext } from './kube.js';

const FLOTILLA = 'apiVersion: v1\nkind: Config\nclusters:\n- name: flotilla\n  cluster:\n    server: https://127.0.0.1:6443\nusers:\n- name: admin\n  user:\n    token: t\ncontexts:\n- name: flotilla\n  context:\n    cluster: flotilla\n    user: admin\n    namespace: default\n- context:\n    cluster: flotilla\n    namespace: "team-a"\n    user: admin\n  name: team\n- name: bare\n  context: {cluster: flotilla}\ncurrent-context: flotilla\n';

test('quickContext reads the current (or chosen) context namespace of block-style kubeconfigs', () => {
  assert.deepEqual(quickContext(FLOTILLA), { name: 'flotilla', namespace: 'default' });
  assert.deepEqual(quickContext(FLOTILLA, 'team'), { name: 'team', namespace: 'team-a' });
  assert.equal(quickContext(FLOTILLA, 'bare'), undefined, 'flow style: the caller parses fully');
  assert.equal(quickContext(FLOTILLA, 'nope'), undefined);
  assert.deepEqual(quickContext('contexts:\n  - name: x\n    context:\n      cluster: c\ncurrent-context: x\n'), { name: 'x', namespace: undefined });
  assert.equal(quickContext('{"contexts": []}'), undefined);
});
