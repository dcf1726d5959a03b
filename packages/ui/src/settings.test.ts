/** Pure logic of the Settings → Projects form (`lib/project.ts`) and the resource actions' parameters (`lib/actions.ts`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRole, emptyWindow, projectForm, projectSpec, parseDestinations, parseGroupKinds, policyText } from './lib/project.js';
import { actionParameters, initialValues } from './lib/actions.js';
import { nextRuns } from './lib/cron.js';

const validSchedule = (s: string) => nextRuns({ schedule: s }, 1).error;

test('project form: a project with every list, roles and sync windows goes into the form and back unchanged', () => {
  const spec = {
    description: 'team a',
    sourceRepos: ['https://git.example.com/a/*', '*'],
    destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-a' }, { name: 'edge', namespace: '*' }],
    clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }, { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }],
    clusterResourceBlacklist: [{ group: '*', kind: '*' }],
    namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }],
    roles: [{ name: 'ci', description: 'pipelines', policies: ['p, proj:team-a:ci, applications, sync, team-a/*, allow'], groups: ['org:ci'], jwtTokens: [{ iat: 1700000000, id: 't1' }] }],
    syncWindows: [{ kind: 'deny', schedule: '0 22 * * *', duration: '8h', applications: ['*'], manualSync: true, timeZone: 'Europe/Paris' }],
    signatureKeys: [{ keyID: 'ABCDEF' }],
  };
  const f = projectForm({ metadata: { name: 'team-a' }, spec });
  assert.equal(f.destinations, 'https://kubernetes.default.svc team-a\nedge *');
  assert.equal(f.clusterAllow, 'Namespace\nrbac.authorization.k8s.io/ClusterRole');
  assert.equal(f.roles[0].policies, 'applications, sync, team-a/*, allow', 'the role subject is left out of the form');
  assert.deepEqual(projectSpec(f, spec, validSchedule), spec, 'round trip, signature keys and role tokens kept');
});

test('project form: short policies get the role subject, lists are parsed, emptied lists are dropped', () => {
  const f = { ...projectForm(), name: 'web', sourceRepos: 'https://a/x.git\n\n# a comment\n', destinations: 'in-cluster web', clusterAllow: '/Namespace', roles: [{ ...emptyRole(), name: 'viewer', policies: 'applications, get, web/*\nlogs, get, web/*, deny', groups: 'a\nb' }], windows: [{ ...emptyWindow(), schedule: '0 6 * * 1-5', duration: '1h30m', applications: 'web-*, api' }] };
  const spec = projectSpec(f, { description: 'old', destinations: [{ server: 'x', namespace: 'y' }] }, validSchedule);
  assert.deepEqual(spec, {
    sourceRepos: ['https://a/x.git'],
    destinations: [{ name: 'in-cluster', namespace: 'web' }],
    clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
    roles: [{ name: 'viewer', policies: ['p, proj:web:viewer, applications, get, web/*, allow', 'p, proj:web:viewer, logs, get, web/*, deny'], groups: ['a', 'b'] }],
    syncWindows: [{ kind: 'allow', schedule: '0 6 * * 1-5', duration: '1h30m', applications: ['web-*', 'api'] }],
  });
  assert.equal(policyText('web', 'viewer', 'p, proj:other:viewer, applications, get, */*, allow'), 'p, proj:other:viewer, applications, get, */*, allow', 'another subject is shown whole');
});

test('project form: bad entries are named with their field and line', () => {
  const f = { ...projectForm(), name: 'web' };
  assert.throws(() => projectSpec({ ...f, name: 'Web!' }), /Name "Web!"/);
  assert.throws(() => parseDestinations('https://kubernetes.default.svc'), /Destinations, line 1 .*want "<cluster URL or name> <namespace>"/);
  assert.throws(() => parseGroupKinds('apps/Deployment\na/b/c', 'Cluster resource allow list'), /Cluster resource allow list, line 2 \("a\/b\/c"\)/);
  assert.throws(() => projectSpec({ ...f, roles: [{ ...emptyRole(), name: 'r', policies: 'applications, get' }] }), /Role r, policy line 1/);
  assert.throws(() => projectSpec({ ...f, roles: [{ ...emptyRole(), name: 'r', policies: 'applications, get, web/*, maybe' }] }), /allow or deny, not "maybe"/);
  assert.throws(() => projectSpec({ ...f, roles: [{ ...emptyRole(), name: 'r', policies: 'p, proj:other:r, applications, get, web/*, allow' }] }), /must be "p, proj:web:r/);
  assert.throws(() => projectSpec({ ...f, roles: [{ ...emptyRole(), name: 'r' }, { ...emptyRole(), name: 'r' }] }), /Role 2: there is already a role "r"/);
  assert.throws(() => projectSpec({ ...f, roles: [{ ...emptyRole(), name: 'bad role' }] }), /Role 1: the name "bad role"/);
  assert.throws(() => projectSpec({ ...f, windows: [{ ...emptyWindow(), schedule: '0 22 * *' }] }, {}, validSchedule), /Sync window 1: the schedule "0 22 \* \*" must be a cron schedule of five fields/);
  assert.throws(() => projectSpec({ ...f, windows: [{ ...emptyWindow(), schedule: '61 22 * * *' }] }, {}, validSchedule), /Sync window 1: the schedule "61 22 \* \* \*": /);
  assert.throws(() => projectSpec({ ...f, windows: [{ ...emptyWindow(), schedule: '0 22 * * *', duration: '2 hours' }] }, {}, validSchedule), /the duration "2 hours" must be like 1h/);
  assert.throws(() => projectSpec({ ...f, windows: [{ ...emptyWindow(), schedule: '0 22 * * *', applications: '' }] }, {}, validSchedule), /name the applications, namespaces or clusters/);
});

test('action parameters: defaults first, numbers checked, every parameter required', () => {
  const scale = { name: 'scale', params: [{ name: 'replicas', type: 'number', default: '2' }] };
  assert.deepEqual(initialValues(scale), { replicas: '2' });
  assert.deepEqual(actionParameters(scale, { replicas: ' 5 ' }), { params: [{ name: 'replicas', value: '5' }] });
  assert.deepEqual(actionParameters(scale, { replicas: 'five' }), { error: 'replicas: "five" is not a number' });
  assert.deepEqual(actionParameters(scale, { replicas: '' }), { error: 'replicas: a value is required' });
  assert.deepEqual(actionParameters({ name: 'set', params: [{ name: 'image' }, { name: 'debug', type: 'boolean' }] }, { image: 'nginx:2', debug: 'yes' }), { error: 'debug: want true or false, not "yes"' });
  assert.deepEqual(actionParameters({ name: 'restart' }, {}), { params: [] });
});

test('certificates, GnuPG keys, repository credential templates: bodies built, bad input named with its field and line', async () => {
  const { tlsCertItem, knownHostsItems, gpgKeyData, repoCredsBody } = await import('./lib/certs.js');
  const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from('a certificate body').toString('base64')}\n-----END CERTIFICATE-----`;
  const c = tlsCertItem(' git.example.com ', `junk before\n${pem}\n`);
  assert.deepEqual(c.value && { ...c.value, certData: Buffer.from(c.value.certData, 'base64').toString() }, { serverName: 'git.example.com', certType: 'https', certData: pem + '\n' });
  assert.match(tlsCertItem('', pem).error ?? '', /^Repository server name: required/);
  assert.match(tlsCertItem('git example', pem).error ?? '', /"git example" is not a host name/);
  assert.match(tlsCertItem('h', 'MIIB…').error ?? '', /^TLS certificate \(PEM format\): no -----BEGIN CERTIFICATE/);
  assert.match(tlsCertItem('h', '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----').error ?? '', /certificate 1 is not base64/);
  const ed = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'; // an ssh-ed25519 key
  const k = knownHostsItems(`# hosts\n\ngithub.com,gh.example ssh-ed25519 ${ed} comment\n`);
  assert.deepEqual(k.value?.map((x) => [x.serverName, x.certSubType, Buffer.from(x.certData, 'base64').toString()]), [['github.com', 'ssh-ed25519', ed], ['gh.example', 'ssh-ed25519', ed]]);
  assert.equal(knownHostsItems(`h ssh-rsa ${ed}`).error, 'SSH known hosts, line 1: the key is a ssh-ed25519 key, not ssh-rsa');
  assert.match(knownHostsItems(`h ssh-ed25519 ${ed}\nh2 ssh-foo ${ed}`).error ?? '', /^SSH known hosts, line 2: unknown key type "ssh-foo"/);
  assert.match(knownHostsItems('h ssh-ed25519 @@@@').error ?? '', /line 1: the key is not base64/);
  assert.match(knownHostsItems('h ssh-ed25519 AAAA').error ?? '', /line 1: the key is no SSH public key/);
  assert.match(knownHostsItems('github.com').error ?? '', /line 1: expected "host key-type key"/);
  assert.match(knownHostsItems(`@cert-authority * ssh-ed25519 ${ed}`).error ?? '', /markers such as @cert-authority/);
  assert.match(knownHostsItems('# nothing').error ?? '', /no entry/);
  const pub = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----';
  assert.equal(gpgKeyData(`\n${pub}\n`).value, pub + '\n');
  assert.match(gpgKeyData('-----BEGIN PGP PRIVATE KEY BLOCK-----\nx\n-----END PGP PRIVATE KEY BLOCK-----').error ?? '', /this is a private key/);
  assert.match(gpgKeyData('ABCDEF').error ?? '', /expected an ASCII-armored public key/);
  const f = { via: 'https' as const, url: 'https://git.example.com/org', username: 'bot', password: 's3cret', sshPrivateKey: '' };
  assert.deepEqual(repoCredsBody(f).value, { url: 'https://git.example.com/org', username: 'bot', password: 's3cret' });
  assert.match(repoCredsBody({ ...f, url: '' }).error ?? '', /^URL: required/);
  assert.match(repoCredsBody({ ...f, url: 'git.example.com/org' }).error ?? '', /is not an http\(s\):\/\/ URL/);
  assert.match(repoCredsBody({ ...f, password: '' }).error ?? '', /^Username and password: both are required/);
  const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----';
  assert.deepEqual(repoCredsBody({ ...f, via: 'ssh', url: 'git@git.example.com:org', sshPrivateKey: key }).value, { url: 'git@git.example.com:org', sshPrivateKey: key + '\n' });
  assert.match(repoCredsBody({ ...f, via: 'ssh', url: 'https://x/org', sshPrivateKey: key }).error ?? '', /is not an SSH URL/);
  assert.match(repoCredsBody({ ...f, via: 'ssh', url: 'ssh://git.example.com/org', sshPrivateKey: 'ssh-ed25519 AAAA' }).error ?? '', /^SSH private key: expected a PEM private key/);
});

test('a cluster from a kubeconfig: contexts (current first), credentials per context, what cannot be used named', async () => {
  const { kubeconfigContexts, clusterFromKubeconfig } = await import('./lib/kubeconfig.js');
  const kc = {
    apiVersion: 'v1', kind: 'Config', 'current-context': 'prod',
    clusters: [{ name: 'c1', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': 'Q0E=' } }, { name: 'c2', cluster: { server: 'https://c2.example:443', 'insecure-skip-tls-verify': true } }, { name: 'c3', cluster: { server: 'https://c3', 'certificate-authority': '/home/me/ca.crt' } }],
    users: [{ name: 'tok', user: { token: 'abc' } }, { name: 'cert', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' } }, { name: 'exec', user: { exec: { command: 'aws' } } }, { name: 'file', user: { 'client-certificate': '/x.crt', 'client-key': '/x.key' } }, { name: 'none', user: {} }],
    contexts: [{ name: 'dev', context: { cluster: 'c2', user: 'cert' } }, { name: 'prod', context: { cluster: 'c1', user: 'tok', namespace: 'web' } }, { name: 'eks', context: { cluster: 'c1', user: 'exec' } }, { name: 'files', context: { cluster: 'c1', user: 'file' } }, { name: 'ca-file', context: { cluster: 'c3', user: 'tok' } }, { name: 'ghost', context: { cluster: 'nope', user: 'tok' } }, { name: 'bare', context: { cluster: 'c1', user: 'none' } }],
  };
  assert.deepEqual(kubeconfigContexts(kc).value, ['prod', 'dev', 'eks', 'files', 'ca-file', 'ghost', 'bare']);
  assert.deepEqual(clusterFromKubeconfig(kc, 'prod').value, { server: 'https://10.0.0.1:6443', name: 'prod', config: { bearerToken: 'abc', tlsClientConfig: { insecure: false, caData: 'Q0E=' } }, namespace: 'web' });
  assert.deepEqual(clusterFromKubeconfig(kc, 'dev').value, { server: 'https://c2.example:443', name: 'dev', config: { tlsClientConfig: { insecure: true, certData: 'Q0VSVA==', keyData: 'S0VZ' } } });
  assert.match(clusterFromKubeconfig(kc, 'eks').error ?? '', /^Kubeconfig: user "exec": an exec credential plugin \(aws\)/);
  assert.match(clusterFromKubeconfig(kc, 'files').error ?? '', /^Kubeconfig: user "file": client-certificate is a file \(\/x\.crt\).*--flatten/);
  assert.match(clusterFromKubeconfig(kc, 'ca-file').error ?? '', /^Kubeconfig: cluster "c3": certificate-authority is a file/);
  assert.equal(clusterFromKubeconfig(kc, 'ghost').error, 'Kubeconfig: context "ghost" names cluster "nope", which is not in clusters');
  assert.match(clusterFromKubeconfig(kc, 'bare').error ?? '', /user "none": no credentials/);
  assert.equal(clusterFromKubeconfig(kc, 'nope').error, 'Kubeconfig: no context "nope"');
  assert.match(kubeconfigContexts({ kind: 'Pod' }).error ?? '', /kind is "Pod", not Config/);
  assert.match(kubeconfigContexts({ apiVersion: 'v1', clusters: [] }).error ?? '', /no contexts/);
  assert.match(kubeconfigContexts('text').error ?? '', /not a YAML mapping/);
});
