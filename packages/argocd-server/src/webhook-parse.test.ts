/** Webhook payloads in the providers' real formats (testdata/webhooks), signatures, and which apps they concern. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { appAffected, authenticate, parsePush, providerOf } from './webhook-parse.js';

const data = (f: string) => readFileSync(fileURLToPath(new URL(`../testdata/webhooks/${f}`, import.meta.url)));
const sig = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');
const app = (repoURL: string, targetRevision: string, extra: Record<string, string> = {}, path = 'guestbook') => ({ metadata: { name: 'a', annotations: extra }, spec: { source: { repoURL, targetRevision, path } } });

test('GitHub push: signature checked against webhook.github.secret, repo URLs and branch', () => {
  const body = data('github-push.json');
  const hs = { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sig('s3cret', body)}` };
  assert.equal(providerOf(hs), 'github');
  authenticate('github', hs, body, { 'webhook.github.secret': 's3cret' });
  assert.throws(() => authenticate('github', { ...hs, 'x-hub-signature-256': `sha256=${sig('wrong', body)}` }, body, { 'webhook.github.secret': 's3cret' }), /HMAC verification failed/);
  assert.throws(() => authenticate('github', { 'x-github-event': 'push' }, body, { 'webhook.github.secret': 's3cret' }), /HMAC verification failed/);
  // no secret configured: accepted as upstream does
  authenticate('github', { 'x-github-event': 'push' }, body, {});
  const push = parsePush('github', hs, JSON.parse(body.toString()))!;
  assert.equal(push.revision, 'master');
  assert.equal(push.touchedHead, true);
  assert.deepEqual(push.changedFiles, ['guestbook/guestbook-ui-deployment.yaml']);
  assert.equal(parsePush('github', { 'x-github-event': 'ping' }, {}), undefined);
  const rows: [ReturnType<typeof app>, boolean][] = [
    [app('https://github.com/argoproj/argocd-example-apps.git', 'HEAD'), true],
    [app('https://github.com/argoproj/argocd-example-apps', 'master'), true],
    [app('git@github.com:argoproj/argocd-example-apps.git', ''), true],
    [app('https://GitHub.com/argoproj/argocd-example-apps/', 'master'), true],
    [app('https://github.com/argoproj/argocd-example-apps', 'dev'), false],
    [app('https://github.com/argoproj/other', 'master'), false],
    [app('https://github.com/argoproj/argocd-example-apps', 'master', { 'argocd.argoproj.io/manifest-generate-paths': '.' }), true],
    [app('https://github.com/argoproj/argocd-example-apps', 'master', { 'argocd.argoproj.io/manifest-generate-paths': '/helm-guestbook' }), false],
  ];
  for (const [a, want] of rows) assert.equal(appAffected(a, push), want, `${a.spec.source.repoURL}@${a.spec.source.targetRevision} ${JSON.stringify(a.metadata.annotations)}`);
});

test('GitLab push and tag push: X-Gitlab-Token', () => {
  const body = data('gitlab-push.json');
  const hs = { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'tok' };
  assert.equal(providerOf(hs), 'gitlab');
  authenticate('gitlab', hs, body, { 'webhook.gitlab.secret': 'tok' });
  assert.throws(() => authenticate('gitlab', { ...hs, 'x-gitlab-token': 'nope' }, body, { 'webhook.gitlab.secret': 'tok' }), /invalid gitlab token/);
  const push = parsePush('gitlab', hs, JSON.parse(body.toString()))!;
  assert.equal(push.revision, 'main');
  assert.equal(appAffected(app('git@gitlab.example.test:group/apps.git', 'HEAD'), push), true);
  assert.equal(appAffected(app('https://gitlab.example.test/group/apps.git', 'main', {}, 'web'), push), true);
  const tag = parsePush('gitlab', { 'x-gitlab-event': 'Tag Push Hook' }, JSON.parse(data('gitlab-tag.json').toString()))!;
  assert.equal(tag.revision, 'v1.0.0');
  assert.equal(tag.touchedHead, false);
  assert.equal(appAffected(app('https://gitlab.example.test/group/apps', 'v1.0.0'), tag), true);
  assert.equal(appAffected(app('https://gitlab.example.test/group/apps', 'HEAD'), tag), false);
});

test('Bitbucket Cloud (uuid), Bitbucket Server (HMAC), Gogs (HMAC)', () => {
  const bb = data('bitbucket-push.json');
  const bbh = { 'x-event-key': 'repo:push', 'x-hook-uuid': 'u-1' };
  assert.equal(providerOf(bbh), 'bitbucket');
  assert.throws(() => authenticate('bitbucket', bbh, bb, { 'webhook.bitbucket.uuid': 'u-2' }), /Hook UUID is not valid/);
  const p1 = parsePush('bitbucket', bbh, JSON.parse(bb.toString()))!;
  assert.equal(appAffected(app('https://bitbucket.org/team/apps.git', 'HEAD'), p1), true);
  const bs = data('bitbucketserver-push.json');
  const bsh = { 'x-event-key': 'repo:refs_changed', 'x-hub-signature': `sha256=${sig('k', bs)}` };
  assert.equal(providerOf(bsh), 'bitbucketserver');
  authenticate('bitbucketserver', bsh, bs, { 'webhook.bitbucketserver.secret': 'k' });
  assert.throws(() => authenticate('bitbucketserver', bsh, bs, { 'webhook.bitbucketserver.secret': 'other' }), /HMAC/);
  const p2 = parsePush('bitbucketserver', bsh, JSON.parse(bs.toString()))!;
  assert.equal(appAffected(app('https://bitbucket.example.test/scm/prj/apps.git', 'release'), p2), true);
  assert.equal(appAffected(app('ssh://git@bitbucket.example.test:7999/prj/apps.git', 'release'), p2), true);
  const gg = data('gogs-push.json');
  const ggh = { 'x-gogs-event': 'push', 'x-gogs-signature': sig('g', gg) };
  assert.equal(providerOf(ggh), 'gogs');
  authenticate('gogs', ggh, gg, { 'webhook.gogs.secret': 'g' });
  assert.throws(() => authenticate('gogs', { ...ggh, 'x-gogs-signature': 'beef' }, gg, { 'webhook.gogs.secret': 'g' }), /HMAC/);
  assert.equal(appAffected(app('https://gogs.example.test/org/apps', 'master'), parsePush('gogs', ggh, JSON.parse(gg.toString()))!), true);
});
