/** Client configuration: kubeconfig files as kubectl reads them, in-cluster config, and clear errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, inClusterConfig, kubeconfigFromFile, KubeConfigError, resolveConfig } from './kubeconfig.js';

const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const kc = (user: string, cluster: string) =>
  ['apiVersion: v1', 'kind: Config', 'current-context: b', 'contexts:', '- name: a', '  context: {cluster: x, user: y}', '- name: b', '  context:', '    cluster: c', '    user: u', 'clusters:', '- name: c', '  cluster:', cluster, 'users:', '- name: u', '  user:', user].join('\n');

describe('kubeconfig', () => {
  it('resolves the current context: server, CA data, token; files relative to the kubeconfig; JSON; basic auth', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), ca);
      writeFileSync(join(dir, 'tok'), 'from-file\n');
      writeFileSync(join(dir, 'k1'), kc(`    token: "t1"  # a comment`, `    server: https://h:1\n    certificate-authority-data: ${b64(ca)}`));
      const r1 = kubeconfigFromFile(join(dir, 'k1'));
      assert.equal(r1.server, 'https://h:1');
      assert.equal(r1.ca, ca);
      assert.equal(r1.token, 't1');
      writeFileSync(join(dir, 'k2'), kc(`    tokenFile: tok`, `    server: https://h:2\n    certificate-authority: ca.pem`));
      const r2 = kubeconfigFromFile(join(dir, 'k2'));
      assert.equal(r2.ca, ca);
      assert.equal(r2.tokenFile, join(dir, 'tok'));
      writeFileSync(join(dir, 'k3.json'), JSON.stringify({ 'current-context': 'j', contexts: [{ name: 'j', context: { cluster: 'c', user: 'u' } }], clusters: [{ name: 'c', cluster: { server: 'https://j:3' } }], users: [{ name: 'u', user: { username: 'a', password: 'b' } }] }));
      const r3 = kubeconfigFromFile(join(dir, 'k3.json'));
      assert.equal(r3.server, 'https://j:3');
      assert.equal(r3.basicAuth, 'a:b');
      // exec credentials: handed to @kubernetes/client-node, on first use
      writeFileSync(join(dir, 'k4'), kc(`    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: echo`, `    server: https://h:4`));
      const r4 = kubeconfigFromFile(join(dir, 'k4'));
      assert.equal(r4.server, 'https://h:4');
      assert.equal(typeof r4.dynamic, 'function');
      // text, and a server handle
      assert.equal(resolveConfig(kc('    token: t', '    server: https://h:5')).server, 'https://h:5');
      assert.deepEqual(resolveConfig({ url: 'https://h:6', token: 'x' }), { server: 'https://h:6', ca: undefined, token: 'x', insecure: undefined, source: 'https://h:6' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad input: one clear error naming the file and what is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    try {
      const p = (name: string, text: string) => {
        writeFileSync(join(dir, name), text);
        return join(dir, name);
      };
      const fails = (path: string, re: RegExp) =>
        assert.throws(
          () => kubeconfigFromFile(path),
          (e: Error) => e instanceof KubeConfigError && e.message.includes(path) && re.test(e.message),
        );
      fails(join(dir, 'missing'), /no such file/);
      fails(p('bad-yaml', 'clusters: [\n  - oops: {'), /not valid YAML/);
      fails(p('list', '- a\n- b\n'), /not a kubeconfig/);
      fails(p('no-ctx', 'apiVersion: v1\nclusters: []\n'), /no current-context/);
      fails(p('dangling', 'current-context: x\ncontexts: []\n'), /context "x" not found/);
      fails(p('no-server', kc('    token: t', '    insecure-skip-tls-verify: true')), /cluster "c" has no server/);
      fails(p('bad-url', kc('    token: t', '    server: "not a url"')), /invalid server URL "not a url"/);
      fails(p('bad-ca', kc('    token: t', '    server: https://h:1\n    certificate-authority: nope.pem')), /certificate-authority .*nope\.pem/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults: $KUBECONFIG, ~/.kube/config, then the in-cluster service account', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    try {
      const sa = join(dir, 'sa');
      mkdirSync(sa);
      writeFileSync(join(sa, 'token'), 'sa-token\n');
      writeFileSync(join(sa, 'ca.crt'), ca);
      const ic = inClusterConfig(sa, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' });
      assert.deepEqual(ic, { server: 'https://10.0.0.1:443', tokenFile: join(sa, 'token'), ca, source: 'in-cluster config' });
      assert.equal(inClusterConfig(sa, {}), undefined);
      writeFileSync(join(dir, 'k'), kc('    token: t', '    server: https://h:7'));
      assert.equal(defaultConfig({ KUBECONFIG: `${join(dir, 'nope')}:${join(dir, 'k')}`, HOME: dir }).server, 'https://h:7');
      assert.throws(() => defaultConfig({ KUBECONFIG: join(dir, 'nope'), HOME: dir }), /KUBECONFIG=.*nope: no such file/);
      assert.throws(() => defaultConfig({ HOME: dir }), /no kubeconfig: KUBECONFIG is not set/);
      // a pod without the sandbox: the service account volume is under its FLOTILLA_POD_ROOT
      const root = join(dir, 'podroot');
      const rooted = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
      mkdirSync(rooted, { recursive: true });
      writeFileSync(join(rooted, 'token'), 'pod-token\n');
      if (!existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
        const pc = defaultConfig({ HOME: dir, FLOTILLA_POD_ROOT: root, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' });
        assert.deepEqual([pc.server, pc.tokenFile], ['https://10.96.0.1:443', join(rooted, 'token')]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the small YAML reader', () => {
  it('parses block YAML: maps, lists of maps, quoted scalars, comments; gives up on the rest', async () => {
    const { parseSimpleYaml, Unsupported } = await import('./yaml-lite.js');
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
    assert.throws(() => parseSimpleYaml('a: {b: c}'), Unsupported);
    assert.throws(() => parseSimpleYaml('a: |\n  text'), Unsupported);
  });
});
