/**
 * Long-lived ServiceAccount tokens on `flotilla up`, as Argo's docs use them (argo-server access
 * tokens) and with the real kubectl: `kubectl apply` a `kubernetes.io/service-account-token` Secret,
 * read its token with `-o=jsonpath='{.data.token}'`, use it with `kubectl --token`; RBAC applies to
 * it; deleting the ServiceAccount deletes the Secret and the token is refused. `kubectl create token`
 * keeps working beside it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlFor, startUp, stopUp, waitFor, type KubectlResult, type Up } from '@flotilla/kube-runtime/testkit';

let dir: string;
let up: Up;
let run: (args: string[], o?: { input?: string }) => Promise<KubectlResult>;
let k: (args: string[], o?: { input?: string }) => Promise<string>;
const NS = 'tokens-e2e';

const secretYaml = (name: string, sa: string) => `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
  annotations:
    kubernetes.io/service-account.name: ${sa}
type: kubernetes.io/service-account-token
`;

/** What Argo's docs run: the Secret's token, base64-decoded (empty until the controller filled it). */
const readToken = async (secret: string) => Buffer.from(await k(['get', 'secret', secret, '-n', NS, "-o=jsonpath={.data.token}"]), 'base64').toString('utf8');

describe('ServiceAccount token Secrets on flotilla up (real kubectl)', { timeout: 300_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-satoken-'));
    up = await startUp(join(dir, 'data'), 180_000);
    ({ kubectl: run, k } = kubectlFor(join(dir, 'home'), up.kubeconfig));
    await k(['create', 'namespace', NS]);
  });
  after(async () => {
    if (up) await stopUp(up, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a Secret applied for a ServiceAccount gets a token that is that account, under RBAC; deleting the account deletes the Secret and refuses the token', async () => {
    await k(['create', 'serviceaccount', 'jenkins', '-n', NS]);
    await k(['apply', '-n', NS, '-f', '-'], { input: secretYaml('jenkins.service-account-token', 'jenkins') });
    const token = await waitFor('the token Secret filled in', () => readToken('jenkins.service-account-token'), 30_000, 250);
    const ca = Buffer.from(await k(['get', 'secret', 'jenkins.service-account-token', '-n', NS, '-o=jsonpath={.data.ca\\.crt}']), 'base64').toString('utf8');
    assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
    assert.equal(Buffer.from(await k(['get', 'secret', 'jenkins.service-account-token', '-n', NS, '-o=jsonpath={.data.namespace}']), 'base64').toString('utf8'), NS);
    const saUid = await k(['get', 'serviceaccount', 'jenkins', '-n', NS, '-o=jsonpath={.metadata.uid}']);
    assert.equal(await k(['get', 'secret', 'jenkins.service-account-token', '-n', NS, '-o=jsonpath={.metadata.annotations.kubernetes\\.io/service-account\\.uid}']), saUid);

    const who = JSON.parse(await k(['--token', token, 'auth', 'whoami', '-o', 'json']));
    assert.equal(who.status.userInfo.username, `system:serviceaccount:${NS}:jenkins`);
    assert.deepEqual(who.status.userInfo.groups, ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']);

    const denied = await run(['--token', token, 'get', 'pods', '-n', NS]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, new RegExp(`Forbidden.*system:serviceaccount:${NS}:jenkins.*cannot list resource "pods"`));
    await k(['create', 'role', 'pod-reader', '-n', NS, '--verb=get,list', '--resource=pods']);
    await k(['create', 'rolebinding', 'jenkins-pods', '-n', NS, '--role=pod-reader', `--serviceaccount=${NS}:jenkins`]);
    await waitFor('RBAC allows listing pods', async () => (await run(['--token', token, 'get', 'pods', '-n', NS])).code === 0, 15_000, 250);
    assert.equal((await k(['--token', token, 'auth', 'can-i', 'list', 'pods', '-n', NS])).trim(), 'yes');
    assert.equal((await run(['--token', token, 'auth', 'can-i', 'list', 'secrets', '-n', NS])).stdout.trim(), 'no');

    // kubectl create token keeps working beside it
    const short = (await k(['create', 'token', 'jenkins', '-n', NS, '--duration=15m'])).trim();
    assert.notEqual(short, token);
    assert.equal(JSON.parse(await k(['--token', short, 'auth', 'whoami', '-o', 'json'])).status.userInfo.username, `system:serviceaccount:${NS}:jenkins`);

    // the token works over plain HTTPS too (curl -H "Authorization: Bearer $TOKEN"), as argo-server's clients send it
    const server = (await k(['config', 'view', '--minify', '-o=jsonpath={.clusters[0].cluster.server}'])).trim();
    const res = await fetchWithCa(`${server}/api/v1/namespaces/${NS}/pods`, token, ca);
    assert.equal(res, 200);

    await k(['delete', 'serviceaccount', 'jenkins', '-n', NS]);
    await waitFor('the Secret deleted with its ServiceAccount', async () => {
      const r = await run(['get', 'secret', 'jenkins.service-account-token', '-n', NS]);
      return r.code !== 0 && /NotFound/.test(r.stderr);
    }, 30_000, 250);
    for (const t of [token, short]) {
      const refused = await run(['--token', t, 'auth', 'whoami']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /Unauthorized|must be logged in/);
    }
  });

  it('deleting the Secret alone revokes its token; the account keeps working with kubectl create token', async () => {
    await k(['create', 'serviceaccount', 'ci', '-n', NS]);
    await k(['apply', '-n', NS, '-f', '-'], { input: secretYaml('ci-token', 'ci') });
    const token = await waitFor('filled in', () => readToken('ci-token'), 30_000, 250);
    assert.equal((await run(['--token', token, 'auth', 'whoami'])).code, 0);
    await k(['delete', 'secret', 'ci-token', '-n', NS]);
    const refused = await run(['--token', token, 'auth', 'whoami']);
    assert.notEqual(refused.code, 0);
    const fresh = (await k(['create', 'token', 'ci', '-n', NS])).trim();
    assert.equal((await run(['--token', fresh, 'auth', 'whoami'])).code, 0);
  });
});

/** GET with a bearer token over HTTPS trusting `ca`; the status code. */
async function fetchWithCa(url: string, token: string, ca: string): Promise<number> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const r = request(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end();
  });
}
