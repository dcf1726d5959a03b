/** Kubeconfig reading: the YAML kubeconfigs are written in, JSON, relative files, fallbacks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig, parseSimpleYaml } from './kubeconfig.js';

const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('kubeconfig', () => {
  it('parses block YAML: maps, lists of maps, quoted scalars, comments', () => {
    const y = parseSimpleYaml(
      [
        'apiVersion: v1',
        '# a comment',
        'clusters:',
        '- cluster:',
        '    server: "https://127.0.0.1:6443"  # trailing',
        '    insecure-skip-tls-verify: true',
        '  name: c1',
        'contexts:',
        '  - name: ctx',
        '    context:',
        "      cluster: 'c1'",
        '      user: u1',
        'current-context: ctx',
        'preferences: {}',
        'users:',
        '- name: u1',
        '  user:',
        '    token: abc#notacomment',
      ].join('\n'),
    ) as any;
    assert.equal(y.clusters[0].cluster.server, 'https://127.0.0.1:6443');
    assert.equal(y.clusters[0].cluster['insecure-skip-tls-verify'], true);
    assert.equal(y.clusters[0].name, 'c1');
    assert.equal(y.contexts[0].context.cluster, 'c1');
    assert.equal(y['current-context'], 'ctx');
    assert.deepEqual(y.preferences, {});
    assert.equal(y.users[0].user.token, 'abc#notacomment');
  });

  it('resolves the current context: server, CA data, token; files relative to the kubeconfig', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), ca);
      writeFileSync(join(dir, 'tok'), 'from-file\n');
      const kc = (user: string, cluster: string) =>
        ['apiVersion: v1', 'kind: Config', 'current-context: b', 'contexts:', '- name: a', '  context: {cluster: x, user: y}', '- name: b', '  context:', '    cluster: c', '    user: u', 'clusters:', '- name: c', '  cluster:', cluster, 'users:', '- name: u', '  user:', user].join('\n');
      // the first context uses a flow mapping this reader does not parse: not the current one, but the file as a whole goes to client-node
      writeFileSync(join(dir, 'k1'), kc(`    token: t1`, `    server: https://h:1\n    certificate-authority-data: ${b64(ca)}`).replace('  context: {cluster: x, user: y}', '  context:\n    cluster: x\n    user: y'));
      const r1 = await loadKubeconfig(join(dir, 'k1'));
      assert.equal(r1.server, 'https://h:1');
      assert.equal(r1.ca, ca);
      assert.equal(r1.token, 't1');
      writeFileSync(join(dir, 'k2'), kc(`    tokenFile: tok`, `    server: https://h:2\n    certificate-authority: ca.pem`).replace('  context: {cluster: x, user: y}', '  context:\n    cluster: x\n    user: y'));
      const r2 = await loadKubeconfig(join(dir, 'k2'));
      assert.equal(r2.ca, ca);
      assert.equal(r2.tokenFile, join(dir, 'tok'));
      writeFileSync(join(dir, 'k3.json'), JSON.stringify({ 'current-context': 'j', contexts: [{ name: 'j', context: { cluster: 'c', user: 'u' } }], clusters: [{ name: 'c', cluster: { server: 'https://j:3' } }], users: [{ name: 'u', user: { username: 'a', password: 'b' } }] }));
      const r3 = await loadKubeconfig(join(dir, 'k3.json'));
      assert.equal(r3.server, 'https://j:3');
      assert.equal(r3.basicAuth, 'a:b');
      // exec credentials: handed to @kubernetes/client-node
      writeFileSync(join(dir, 'k4'), kc(`    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: echo`, `    server: https://h:4`).replace('  context: {cluster: x, user: y}', '  context:\n    cluster: x\n    user: y'));
      const r4 = await loadKubeconfig(join(dir, 'k4'));
      assert.equal(r4.server, 'https://h:4');
      assert.equal(typeof r4.dynamic, 'function');
      await assert.rejects(loadKubeconfig(join(dir, 'nope')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
