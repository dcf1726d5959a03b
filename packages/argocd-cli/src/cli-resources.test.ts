/**
 * `argocd proj|repo|repocreds|cert|cluster` as processes against argocd-server in-process on a real
 * API server, and `cluster add` against a second real API server (its kubeconfig context).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startTestCluster, type TestCluster } from '@flotilla/kube-runtime/testkit';
import { argocdProcess } from './cli-process.js';

const TESTENV = new URL('../../argocd-server/dist/testenv.js', import.meta.url).href;
const GITHUB_ED25519 = 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

let dir: string;
let env: any;
let second: TestCluster;
let host = '';

const { argocd, ok } = argocdProcess(() => join(dir, 'home'), () => ({ KUBECONFIG: env.cluster.kubeconfig }));

describe('argocd proj, repo, repocreds, cert, cluster', { timeout: 600_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argocd-cli-res-'));
    const { startEnv } = await import(TESTENV);
    env = await startEnv();
    host = new URL(env.server.url).host;
    second = await startTestCluster({ prefix: 'argocd-second-' });
    await ok(['login', host, '--username', 'admin', '--password', await env.adminPassword(), '--insecure']);
  });
  after(async () => {
    await env?.close();
    await second?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('proj create / get / list / destinations / sources / delete', async () => {
    await ok(['proj', 'create', 'team', '-d', 'https://kubernetes.default.svc,team-ns', '-s', 'https://example.com/team.git', '--description', 'the team']);
    const get = await ok(['proj', 'get', 'team']);
    assert.equal(
      get,
      [
        'Name:                        team',
        'Description:                 the team',
        'Destinations:                https://kubernetes.default.svc,team-ns',
        'Repositories:                https://example.com/team.git',
        'Scoped Repositories:         <none>',
        'Allowed Cluster Resources:   <none>',
        'Scoped Clusters:             <none>',
        'Denied Namespaced Resources: <none>',
        'Signature keys:              <none>',
        'Orphaned Resources:          disabled',
        '',
      ].join('\n'),
    );
    await ok(['proj', 'add-destination', 'team', 'https://kubernetes.default.svc', 'other-ns']);
    const dup = await argocd(['proj', 'add-destination', 'team', 'https://kubernetes.default.svc', 'other-ns']);
    assert.equal(dup.code, 20);
    assert.match(dup.stderr, /Specified destination is already defined in project/);
    await ok(['proj', 'add-source', 'team', 'https://example.com/more.git']);
    assert.match(await ok(['proj', 'get', 'team']), /\nDestinations:                https:\/\/kubernetes\.default\.svc,team-ns\n                             https:\/\/kubernetes\.default\.svc,other-ns\nRepositories:                https:\/\/example\.com\/team\.git\n                             https:\/\/example\.com\/more\.git\n/);
    await ok(['proj', 'remove-destination', 'team', 'https://kubernetes.default.svc', 'other-ns']);
    await ok(['proj', 'remove-source', 'team', 'https://example.com/more.git']);
    const list = await ok(['proj', 'list']);
    assert.match(list, /^NAME\s+DESCRIPTION\s+DESTINATIONS\s+SOURCES\s+CLUSTER-RESOURCE-WHITELIST\s+NAMESPACE-RESOURCE-BLACKLIST\s+SIGNATURE-KEYS\s+ORPHANED-RESOURCES\s+DESTINATION-SERVICE-ACCOUNTS\n/);
    assert.match(list, /\nteam +the team +https:\/\/kubernetes\.default\.svc,team-ns +https:\/\/example\.com\/team\.git +<none> +<none> +<none> +disabled +<none>\n/);
    assert.match(await ok(['proj', 'list', '-o', 'name']), /^default\nteam\n$|^team\ndefault\n$/);
  });

  it('proj role create / add-policy / get / create-token (a working token) / delete-token; windows add / list', async () => {
    assert.equal(await ok(['proj', 'role', 'create', 'team', 'ci', '--description', 'CI']), "Role 'ci' created\n");
    await ok(['proj', 'role', 'add-policy', 'team', 'ci', '-a', 'get', '-o', '*', '-p', 'allow']);
    assert.match(await ok(['proj', 'role', 'list', 'team']), /^ROLE-NAME  DESCRIPTION\nci         CI\n$/);
    assert.match(await ok(['proj', 'role', 'get', 'team', 'ci']), /\nPolicies:\np, proj:team:ci, applications, get, team\/\*, allow\n/);
    const token = (await ok(['proj', 'role', 'create-token', 'team', 'ci', '-t'])).trim();
    assert.match(token, /^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    // the token is usable (and limited to its project)
    const apps = await argocd(['app', 'list', '--auth-token', token]);
    assert.equal(apps.code, 0, apps.stderr);
    const iat = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).iat;
    await ok(['proj', 'role', 'delete-token', 'team', 'ci', String(iat)]);
    await ok(['proj', 'windows', 'add', 'team', '--kind', 'deny', '--schedule', '0 22 * * *', '--duration', '1h', '--applications', '*', '--manual-sync']);
    const w = await ok(['proj', 'windows', 'list', 'team']);
    assert.match(w, /^ID\s+STATUS\s+KIND\s+SCHEDULE\s+DURATION\s+APPLICATIONS\s+NAMESPACES\s+CLUSTERS\s+MANUALSYNC\s+TIMEZONE\s+USEANDOPERATOR\n0\s+(Active|Inactive)\s+deny\s+0 22 \* \* \*\s+1h\s+\*\s+-\s+-\s+Enabled\s+UTC\s+Disabled\n$/);
    const bad = await argocd(['proj', 'windows', 'add', 'team', '--kind', 'sometimes', '--schedule', '0 22 * * *', '--duration', '1h']);
    assert.equal(bad.code, 20);
    assert.match(bad.stderr, /kind must be either allow or deny/);
    await ok(['proj', 'delete', 'team']);
    assert.equal((await argocd(['proj', 'get', 'team'])).code, 20);
  });

  it('repocreds add / list / rm', async () => {
    assert.equal(await ok(['repocreds', 'add', 'https://git.example.com/org/', '--username', 'bot', '--password', 's3cret']), "Repository credentials for 'https://git.example.com/org/' added\n");
    assert.match(await ok(['repocreds', 'list']), /^URL PATTERN\s+USERNAME\s+SSH_CREDS\s+TLS_CREDS\nhttps:\/\/git\.example\.com\/org\/\s+bot\s+false\s+false\n$/);
    const missing = await argocd(['repocreds', 'add', 'https://git.example.com/x/', '--ssh-private-key-path', join(dir, 'nope')]);
    assert.equal(missing.code, 20);
    assert.match(missing.stderr, /cannot read SSH private key .*nope: no such file/);
    assert.equal(await ok(['repocreds', 'rm', 'https://git.example.com/org/']), "Repository credentials for 'https://git.example.com/org/' removed\n");
  });

  it('cert add-tls / add-ssh / list / rm', async () => {
    const pem = Buffer.from(await env.cluster.k(['get', 'secret', 'argocd-secret', '-n', 'argocd', '-o', 'jsonpath={.data.tls\\.crt}']), 'base64').toString();
    assert.match(pem, /BEGIN CERTIFICATE/);
    assert.match(await ok(['cert', 'add-tls', 'git.example.com'], { input: pem }), /^Created entry with 1 PEM certificates for repository server git\.example\.com\n$/);
    writeFileSync(join(dir, 'known_hosts'), `# github\n${GITHUB_ED25519}\n`);
    assert.equal(await ok(['cert', 'add-ssh', '--batch', '--from', join(dir, 'known_hosts')]), 'Successfully created 1 SSH known host entries\n');
    const list = await ok(['cert', 'list', '--sort', 'hostname']);
    assert.match(list, /^HOSTNAME\s+TYPE\s+SUBTYPE\s+INFO\n/);
    assert.match(list, /\ngit\.example\.com\s+https\s+/);
    assert.match(list, /\ngithub\.com\s+ssh\s+ssh-ed25519\s+/);
    assert.match(await ok(['cert', 'rm', 'git.example.com', '--cert-type', 'https']), /^Removed 1 certificates\n$/);
    const bad = await argocd(['cert', 'add-tls', 'x.example.com'], { input: 'not a certificate' });
    assert.equal(bad.code, 20);
    assert.match(bad.stderr, /not PEM/);
  });

  it('cluster add CONTEXT: argocd-manager in the target cluster, then registered; list / get / rm', async () => {
    const kc = YAML.parse(readFileSync(second.kubeconfig, 'utf8'));
    const ctx = kc['current-context'];
    const out = await argocd(['cluster', 'add', ctx, '--kubeconfig', second.kubeconfig, '--name', 'second', '-y']);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    const server = kc.clusters[0].cluster.server;
    assert.equal(out.stdout, `Cluster '${server}' added\n`);
    assert.match(out.stderr, /ServiceAccount \\"argocd-manager\\" created in namespace \\"kube-system\\"/);
    assert.match(out.stderr, /ClusterRole \\"argocd-manager-role\\" created/);
    assert.match(out.stderr, /ClusterRoleBinding \\"argocd-manager-role-binding\\" created/);
    // in the target cluster
    const sa = JSON.parse(await second.k(['get', 'serviceaccount', 'argocd-manager', '-n', 'kube-system', '-o', 'json']));
    assert.equal(sa.metadata.name, 'argocd-manager');
    const crb = JSON.parse(await second.k(['get', 'clusterrolebinding', 'argocd-manager-role-binding', '-o', 'json']));
    assert.deepEqual(crb.subjects.map((x: any) => [x.kind, x.name, x.namespace]), [['ServiceAccount', 'argocd-manager', 'kube-system']]);
    assert.equal(crb.roleRef.name, 'argocd-manager-role');
    // registered: a cluster Secret in argocd with a token that the second API server accepts
    const list = await ok(['cluster', 'list']);
    assert.match(list, /^SERVER\s+NAME\s+VERSION\s+STATUS\s+MESSAGE\s+PROJECT\n/);
    assert.ok(list.includes(server) && /\bsecond\b/.test(list), list);
    const secrets = JSON.parse(await env.cluster.k(['get', 'secrets', '-n', 'argocd', '-l', 'argocd.argoproj.io/secret-type=cluster', '-o', 'json']));
    const s = secrets.items.find((x: any) => Buffer.from(x.data.server, 'base64').toString() === server);
    assert.ok(s, 'cluster Secret');
    const token = JSON.parse(Buffer.from(s.data.config, 'base64').toString()).bearerToken;
    const r = await second.req('GET', '/api/v1/namespaces', undefined, { authorization: `Bearer ${token}` });
    assert.equal(r.status, 200, `the token works against the target cluster: ${r.status}`);
    assert.equal(JSON.parse(await ok(['cluster', 'get', 'second', '-o', 'json'])).server, server);
    assert.equal(await ok(['cluster', 'rm', 'second', '-y']), "Cluster 'second' removed\n");
    assert.ok(!(await ok(['cluster', 'list'])).includes(server));
  });
});
