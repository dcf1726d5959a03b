/**
 * The ServiceAccount token controller against the real embedded API server, running as the
 * controller manager's own identity (so RBAC's bootstrap policy must let it do its work): token
 * Secrets are filled in, their tokens authenticate as the ServiceAccount (and RBAC applies to them),
 * and deleting the Secret or the ServiceAccount revokes them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '@flotilla/kube-runtime';
import { rawRequest, waitFor } from '@flotilla/kube-runtime/testkit';
import { startControllers, type RunningControllers } from './index.js';
import { SA_UID_ANNOTATION, tokenClaims, tokenFits } from './serviceaccount-token.js';
import { sleep, startCluster, type Cluster } from './testkit.js';
import type { Obj } from './util.js';

let c: Cluster;
let ctl: RunningControllers;
const NS = 'satok';

const tokenSecret = (name: string, sa: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: NS, annotations: { 'kubernetes.io/service-account.name': sa } },
  type: 'kubernetes.io/service-account-token',
  ...extra,
});
const createSa = (name: string) => c.client.create<Obj>(R.serviceaccounts, NS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: NS } });
const getSecret = (name: string) => c.client.get<Obj>(R.secrets, NS, name).catch(() => undefined);
const decoded = (s: Obj | undefined, k: string) => {
  const v = (s?.data as Record<string, string> | undefined)?.[k];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
};
/** The token once the controller has written it. */
const filled = (name: string) => waitFor(`Secret ${name} filled in`, async () => decoded(await getSecret(name), 'token'), 20_000);
const as = (token: string, method: string, path: string, body?: unknown) => rawRequest({ url: c.server.url, caPem: c.server.caPem, token }, method, path, body);
const whoami = (token: string) => as(token, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });

describe('ServiceAccount token Secrets', { timeout: 180_000 }, () => {
  before(async () => {
    c = await startCluster();
    await c.k(['create', 'namespace', NS]);
    ctl = await startControllers({
      kubeconfig: c.server.writeIdentityKubeconfig('system:kube-controller-manager'),
      controllers: ['serviceaccount-token'],
      caPem: c.server.caPem,
      serviceAccountToken: { missingAccountGraceMs: 4_000 },
    });
  });
  after(async () => {
    await ctl?.stop();
    await c?.close();
  });

  it('fills in token, ca.crt, namespace and the uid annotation; the token is the ServiceAccount, under RBAC', async () => {
    const sa = await createSa('robot');
    await c.client.create(R.secrets, NS, tokenSecret('robot-token', 'robot', { data: { extra: Buffer.from('bar').toString('base64') } }));
    const token = await filled('robot-token');
    const s = (await getSecret('robot-token'))!;
    assert.equal(decoded(s, 'ca.crt'), c.server.caPem);
    assert.equal(decoded(s, 'namespace'), NS);
    assert.equal(decoded(s, 'extra'), 'bar', 'keys of its own are kept');
    assert.equal(s.metadata?.annotations?.[SA_UID_ANNOTATION], sa.metadata?.uid);
    assert.equal(s.metadata?.annotations?.['kubernetes.io/service-account.name'], 'robot');
    const claims = tokenClaims(token)!;
    assert.equal(claims.sub, `system:serviceaccount:${NS}:robot`);
    assert.equal(claims['kubernetes.io'].secret.uid, s.metadata?.uid, 'bound to the Secret');
    assert.ok(claims.exp - Date.now() / 1000 > 100 * 365 * 24 * 3600, 'long-lived');

    const who = await whoami(token);
    assert.equal(who.status, 201, who.text);
    assert.equal(who.body.status.userInfo.username, `system:serviceaccount:${NS}:robot`);
    assert.deepEqual(who.body.status.userInfo.groups, ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated']);
    assert.equal(who.body.status.userInfo.uid, sa.metadata?.uid);

    assert.equal((await as(token, 'GET', `/api/v1/namespaces/${NS}/configmaps`)).status, 403, 'no role yet');
    await c.k(['create', 'role', 'cm-reader', '-n', NS, '--verb=get,list', '--resource=configmaps']);
    await c.k(['create', 'rolebinding', 'cm-reader', '-n', NS, '--role=cm-reader', `--serviceaccount=${NS}:robot`]);
    await waitFor('RBAC lets it list configmaps', async () => (await as(token, 'GET', `/api/v1/namespaces/${NS}/configmaps`)).status === 200, 10_000);
    assert.equal((await as(token, 'GET', `/api/v1/namespaces/${NS}/secrets`)).status, 403);

    // a second look changes nothing: the same token stays (no rewrite loop)
    const rv = s.metadata?.resourceVersion;
    await c.client.patch(R.secrets, NS, 'robot-token', { metadata: { labels: { touched: 'yes' } } });
    await sleep(1000);
    const again = (await getSecret('robot-token'))!;
    assert.equal(decoded(again, 'token'), token);
    assert.notEqual(again.metadata?.resourceVersion, rv);
    assert.equal(again.metadata?.labels?.touched, 'yes');
  });

  it('a token that is not this Secret\'s (emptied, garbage, another Secret\'s) is replaced, which revokes the one before; deleting the Secret revokes its token', async () => {
    await createSa('rot');
    await c.client.create(R.secrets, NS, tokenSecret('rot-a', 'rot'));
    await c.client.create(R.secrets, NS, tokenSecret('rot-b', 'rot'));
    const a = await filled('rot-a');
    const b = await filled('rot-b');
    assert.notEqual(a, b);
    // a copy of another Secret's token is not this Secret's
    await c.client.patch(R.secrets, NS, 'rot-b', { data: { token: Buffer.from(a).toString('base64') } });
    const b2 = await waitFor('rot-b gets a token of its own', async () => {
      const t = decoded(await getSecret('rot-b'), 'token');
      return t && t !== a ? t : undefined;
    }, 20_000);
    assert.equal(tokenClaims(b2)!['kubernetes.io'].secret.name, 'rot-b');
    await c.client.patch(R.secrets, NS, 'rot-b', { data: { token: Buffer.from('garbage').toString('base64') } });
    const b3 = await waitFor('garbage replaced', async () => {
      const t = decoded(await getSecret('rot-b'), 'token');
      return t && t !== 'garbage' ? t : undefined;
    }, 20_000);
    assert.equal((await whoami(b3)).status, 201);
    assert.equal((await whoami(b2)).status, 401, 'the token the Secret held before is revoked with its replacement');

    assert.equal((await whoami(a)).status, 201);
    await c.client.delete(R.secrets, NS, 'rot-a');
    assert.equal((await whoami(a)).status, 401, 'the Secret is gone: its token with it');
    assert.equal((await whoami(b3)).status, 201, 'the other Secret\'s token is untouched');
  });

  it('deleting the ServiceAccount deletes its token Secrets and their tokens stop working; a recreated account gets no old Secret back', async () => {
    await createSa('gone');
    await c.client.create(R.secrets, NS, tokenSecret('gone-1', 'gone'));
    await c.client.create(R.secrets, NS, tokenSecret('gone-2', 'gone'));
    await createSa('stays');
    await c.client.create(R.secrets, NS, tokenSecret('stays-1', 'stays'));
    const t1 = await filled('gone-1');
    await filled('gone-2');
    const kept = await filled('stays-1');
    assert.equal((await whoami(t1)).status, 201);
    await c.client.delete(R.serviceaccounts, NS, 'gone');
    assert.equal((await whoami(t1)).status, 401, 'refused as soon as the account is gone');
    await waitFor('the Secrets of the deleted account are deleted', async () => !(await getSecret('gone-1')) && !(await getSecret('gone-2')), 20_000);
    assert.ok(await getSecret('stays-1'));
    assert.equal((await whoami(kept)).status, 201);

    // a Secret that names the uid of an account deleted and recreated under that name
    const old = await createSa('phoenix');
    await c.client.delete(R.serviceaccounts, NS, 'phoenix');
    await createSa('phoenix');
    await c.client.create(R.secrets, NS, tokenSecret('phoenix-old', 'phoenix', { metadata: { name: 'phoenix-old', namespace: NS, annotations: { 'kubernetes.io/service-account.name': 'phoenix', [SA_UID_ANNOTATION]: old.metadata!.uid! } } }));
    await waitFor('a Secret for the old account is deleted', async () => !(await getSecret('phoenix-old')), 20_000);
  });

  it('a Secret created before its ServiceAccount waits for it; one whose account never comes is deleted after the grace period', async () => {
    await c.client.create(R.secrets, NS, tokenSecret('early', 'late'));
    await c.client.create(R.secrets, NS, tokenSecret('orphan', 'never'));
    await sleep(500);
    assert.equal(decoded(await getSecret('early'), 'token'), undefined);
    assert.ok(await getSecret('orphan'), 'still waiting within the grace period');
    await createSa('late');
    const t = await filled('early');
    assert.equal((await whoami(t)).status, 201);
    await waitFor('the orphan Secret is deleted', async () => !(await getSecret('orphan')), 20_000);
    assert.ok(await getSecret('early'));
  });

  it('other Secrets are left alone; tokenFits accepts only a long-lived token bound to this Secret and account', async () => {
    await c.client.create(R.secrets, NS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'plain', namespace: NS, annotations: { 'kubernetes.io/service-account.name': 'robot' } }, type: 'Opaque', stringData: { a: 'b' } });
    await sleep(1000);
    const plain = (await getSecret('plain'))!;
    assert.deepEqual(Object.keys(plain.data ?? {}), ['a']);

    const jwt = (claims: unknown) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
    const secret = { metadata: { name: 's', namespace: 'n', uid: 'u1' } };
    const sa = { metadata: { name: 'a', namespace: 'n', uid: 'u2' } };
    const k = { namespace: 'n', serviceaccount: { name: 'a', uid: 'u2' }, secret: { name: 's', uid: 'u1' } };
    const now = Date.now();
    assert.equal(tokenFits(jwt({ 'kubernetes.io': k, exp: now / 1000 + 2 ** 32 }), secret, sa, now), true);
    assert.equal(tokenFits(jwt({ 'kubernetes.io': k, exp: now / 1000 + 3600 }), secret, sa, now), false, 'short-lived');
    assert.equal(tokenFits(jwt({ 'kubernetes.io': { ...k, secret: { name: 's', uid: 'other' } } }), secret, sa, now), false);
    assert.equal(tokenFits(jwt({ 'kubernetes.io': { ...k, serviceaccount: { name: 'a', uid: 'old' } } }), secret, sa, now), false);
    assert.equal(tokenFits('not-a-jwt', secret, sa, now), false);
    assert.equal(tokenFits(undefined, secret, sa, now), false);
  });
});
