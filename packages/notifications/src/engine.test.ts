import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, ConfigError } from './config.js';
import { subscriptionsOf, matchSelector } from './subscriptions.js';
import { evaluateTrigger } from './triggers.js';
import { renderTemplate } from './templates.js';
import { processObject, type Delivery } from './engine.js';
import { parseState, serializeState } from './state.js';
import { argocdVars, repoURLToHTTPS, fullNameByRepoURL } from './argocd-vars.js';

const CM: Record<string, string> = {
  'trigger.on-sync-succeeded': `- description: Application syncing has succeeded
  send: [app-sync-succeeded]
  when: app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']
`,
  'trigger.on-sync-failed': `- send: [app-sync-failed]
  when: app.status.operationState != nil and app.status.operationState.phase in ['Error', 'Failed']
`,
  'trigger.on-deployed': `- send: [app-sync-succeeded]
  oncePer: app.status.operationState.syncResult.revision
  when: app.status.operationState != nil and app.status.operationState.phase in ['Succeeded'] and app.status.health.status == 'Healthy'
`,
  'template.app-sync-succeeded': `message: |
  Application {{.app.metadata.name}} has been successfully synced at {{.app.status.operationState.finishedAt}}.
  Sync operation details are available at: {{.context.argocdUrl}}/applications/{{.app.metadata.name}}?operation=true .
email:
  subject: Application {{.app.metadata.name}} has been successfully synced.
webhook:
  receiver:
    method: POST
    path: /apps/{{.app.metadata.name}}
    body: '{"app": "{{.app.metadata.name}}", "type": "{{.notificationType}}"}'
`,
  'template.app-sync-failed': `message: 'sync of {{.app.metadata.name}} failed: {{.app.status.operationState.message}}'
email:
  subject: 'Failed: {{.app.metadata.name}}'
`,
  'service.webhook.receiver': 'url: $receiver-url\nheaders:\n- name: X-Token\n  value: $token\n',
  'service.email': 'host: localhost\nport: 2525\nfrom: argocd@example.com\n',
  defaultTriggers: '- on-sync-failed\n',
  subscriptions: `- recipients: [email:team@example.com]
  triggers: [on-sync-succeeded]
  selector: team=platform,env in (prod,stage)
`,
  context: 'argocdUrl: https://argocd.example.com\n',
};
const SECRET = { 'receiver-url': 'http://127.0.0.1:9/hook', token: 's3cr3t' };

function app(phase: string | undefined, extra: Record<string, unknown> = {}) {
  return {
    metadata: { name: 'guestbook', namespace: 'argocd', annotations: { 'notifications.argoproj.io/subscribe.on-sync-succeeded.receiver': '', 'notifications.argoproj.io/subscribe.email': 'a@example.com;b@example.com' }, labels: { team: 'platform', env: 'prod' } },
    spec: { source: { repoURL: 'https://github.com/argoproj/argocd-example-apps.git' } },
    status: { health: { status: 'Healthy' }, ...(phase ? { operationState: { phase, message: 'one or more objects failed to apply', finishedAt: '2026-12-05T10:00:00Z', syncResult: { revision: 'abc123' } } } : {}) },
    ...extra,
  };
}

test('config: triggers, templates, services with $secret references, defaults, context', () => {
  const cfg = parseConfig(CM, SECRET);
  assert.equal(cfg.triggers.get('on-sync-succeeded')![0]!.send[0], 'app-sync-succeeded');
  assert.equal(cfg.triggers.get('on-deployed')![0]!.oncePer, 'app.status.operationState.syncResult.revision');
  assert.deepEqual(cfg.services.get('receiver'), { name: 'receiver', type: 'webhook', config: { url: 'http://127.0.0.1:9/hook', headers: [{ name: 'X-Token', value: 's3cr3t' }] } });
  assert.equal(cfg.services.get('email')!.type, 'email');
  assert.deepEqual(cfg.defaultTriggers, ['on-sync-failed']);
  assert.equal(cfg.context.argocdUrl, 'https://argocd.example.com');
});

test('config: bad input names the key and the problem', () => {
  assert.throws(() => parseConfig({ 'trigger.x': '- send: [a]\n' }), (e: Error) => e instanceof ConfigError && /trigger\.x\[0\]\.when: required/.test(e.message));
  assert.throws(() => parseConfig({ 'trigger.x': 'when: true' }), /trigger\.x: expected a list of conditions/);
  assert.throws(() => parseConfig({ 'service.pagerduty2': 'x: 1' }), /service\.pagerduty2: unknown service type "pagerduty2"/);
  assert.throws(() => parseConfig({ 'template.t': 'message: [unclosed' }), /template\.t: invalid YAML/);
});

test('subscriptions: trigger.service annotations, service annotations with default triggers, project, ConfigMap defaults with a selector', () => {
  const cfg = parseConfig(CM, SECRET);
  const a = app('Succeeded');
  const project = { metadata: { annotations: { 'notifications.argoproj.io/subscribe.on-sync-failed.slack': 'ops' } } };
  const subs = subscriptionsOf(cfg, a, project);
  assert.deepEqual(subs.get('on-sync-succeeded'), [{ service: 'receiver', recipient: '' }, { service: 'email', recipient: 'team@example.com' }]);
  assert.deepEqual(subs.get('on-sync-failed'), [{ service: 'email', recipient: 'a@example.com' }, { service: 'email', recipient: 'b@example.com' }, { service: 'slack', recipient: 'ops' }]);
  const other = { metadata: { labels: { team: 'platform', env: 'dev' } } };
  assert.equal(subscriptionsOf(cfg, other).size, 0);
  assert.equal(matchSelector('a,!b,c!=d', { a: '1', c: 'x' }), true);
  assert.equal(matchSelector('a notin (1,2)', { a: '1' }), false);
});

test('triggers: expr conditions; an evaluation error is reported and counts as not triggered', () => {
  const cfg = parseConfig(CM, SECRET);
  assert.equal(evaluateTrigger(cfg.triggers.get('on-sync-succeeded')!, { app: app('Succeeded') })[0]!.triggered, true);
  assert.equal(evaluateTrigger(cfg.triggers.get('on-sync-succeeded')!, { app: app('Failed') })[0]!.triggered, false);
  assert.equal(evaluateTrigger(cfg.triggers.get('on-sync-succeeded')!, { app: app(undefined) })[0]!.triggered, false);
  const [r] = evaluateTrigger([{ when: 'app.status.nothing.here == 1', send: ['x'] }], { app: app('Failed') });
  assert.equal(r!.triggered, false);
  assert.match(r!.error!, /cannot fetch here from nil/);
  const [t] = evaluateTrigger([{ when: "time.Now().Sub(time.Parse(app.status.operationState.finishedAt)).Minutes() >= 5", send: ['x'] }], { app: app('Failed') });
  assert.equal(t!.error, undefined);
  assert.equal(t!.triggered, true);
});

test('templates: .app, .context, .notificationType, only the service section rendered; errors name the field', () => {
  const cfg = parseConfig(CM, SECRET);
  const n = renderTemplate('app-sync-succeeded', cfg.templates.get('app-sync-succeeded')!, { app: app('Succeeded') }, cfg.context, 'webhook');
  assert.match(n.message!, /^Application guestbook has been successfully synced at 2026-12-05T10:00:00Z\.\nSync operation details are available at: https:\/\/argocd\.example\.com\/applications\/guestbook\?operation=true \.\n$/);
  assert.deepEqual(n.webhook, { receiver: { method: 'POST', path: '/apps/guestbook', body: '{"app": "guestbook", "type": "webhook"}' } });
  assert.equal(n.email, undefined);
  assert.throws(() => renderTemplate('bad', { message: '{{ .app.metadata.name ' }, { app: {} }, {}, 'email'), /template\.bad\.message/);
});

test('processObject: sends once per trigger/destination, forgets when false, notifies again on the next sync; failures retried', async () => {
  const cfg = parseConfig(CM, SECRET);
  const state = parseState(undefined);
  const sent: Delivery[] = [];
  let fail = false;
  const send = async (d: Delivery) => {
    if (fail) throw new Error('connection refused');
    sent.push(d);
  };
  let r = await processObject({ cfg, obj: app('Succeeded'), vars: { app: app('Succeeded') }, state, send });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(sent.map((d) => `${d.trigger}>${d.destination.service}:${d.destination.recipient}`).sort(), ['on-sync-succeeded>email:team@example.com', 'on-sync-succeeded>receiver:']);
  assert.equal(r.changed, true);
  sent.length = 0;
  r = await processObject({ cfg, obj: app('Succeeded'), vars: { app: app('Succeeded') }, state, send });
  assert.equal(sent.length, 0, 'already notified');
  assert.equal(r.changed, false);
  // a sync runs: condition false → keys forgotten; a failure notifies the failed-sync subscribers
  r = await processObject({ cfg, obj: app('Running'), vars: { app: app('Running') }, state, send });
  assert.equal(r.changed, true);
  assert.equal(Object.keys(state).length, 0);
  fail = true;
  r = await processObject({ cfg, obj: app('Failed'), vars: { app: app('Failed') }, state, send });
  assert.equal(r.errors.length, 2);
  assert.match(r.errors[0]!, /sending on-sync-failed to email:a@example.com: connection refused/);
  fail = false;
  r = await processObject({ cfg, obj: app('Failed'), vars: { app: app('Failed') }, state, send });
  assert.deepEqual(sent.map((d) => `${d.trigger}>${d.destination.recipient}>${String(d.notification.message)}`), ['on-sync-failed>a@example.com>sync of guestbook failed: one or more objects failed to apply', 'on-sync-failed>b@example.com>sync of guestbook failed: one or more objects failed to apply']);
  const round = parseState(serializeState(state));
  assert.deepEqual(round, state);
});

test('oncePer: one notification per revision even when the condition flips', async () => {
  const cfg = parseConfig({ ...CM, subscriptions: '' }, SECRET);
  const state = parseState(undefined);
  const sent: string[] = [];
  const obj = { metadata: { annotations: { 'notifications.argoproj.io/subscribe.on-deployed.receiver': '' } } };
  const run = (a: ReturnType<typeof app>) => processObject({ cfg, obj, vars: { app: a }, state, send: async (d) => void sent.push(d.trigger) });
  await run(app('Succeeded'));
  await run(app('Running'));
  await run(app('Succeeded'));
  assert.equal(sent.length, 1, 'same revision: once');
  const next = app('Succeeded');
  (next.status.operationState as { syncResult: { revision: string } }).syncResult.revision = 'def456';
  await run(next);
  assert.equal(sent.length, 2, 'new revision: again');
  assert.ok(Object.keys(state).some((k) => k.startsWith('abc123:')));
});

test('unknown trigger, service and template are reported by name', async () => {
  const cfg = parseConfig({ 'trigger.t': '- when: "true"\n  send: [missing]\n', 'service.webhook.w': 'url: http://x' }, {});
  const obj = { metadata: { annotations: { 'notifications.argoproj.io/subscribe.nope.w': '', 'notifications.argoproj.io/subscribe.t.ghost': '', 'notifications.argoproj.io/subscribe.t.w': '' } } };
  const r = await processObject({ cfg, obj, vars: { app: obj }, state: {}, send: async () => {} });
  assert.deepEqual(r.errors.sort(), ['service "ghost" is not configured (no service.ghost or service.<type>.ghost in the ConfigMap)', 'trigger "nope" is not defined (no trigger.nope in the ConfigMap)', 'trigger.t: template "missing" is not defined (no template.missing in the ConfigMap)']);
});

test('since: a new operation (started after the notification) notifies again without an observed Running phase; oncePer keys stay', async () => {
  const cfg = parseConfig({ ...CM, subscriptions: '' }, SECRET);
  const state = parseState(undefined);
  const sent: string[] = [];
  const obj = { metadata: { annotations: { 'notifications.argoproj.io/subscribe.on-sync-succeeded.receiver': '', 'notifications.argoproj.io/subscribe.on-deployed.receiver': '' } } };
  const run = (since: number) => processObject({ cfg, obj, vars: { app: app('Succeeded') }, state, since, send: async (d) => void sent.push(d.trigger) });
  const now = Math.floor(Date.now() / 1000);
  await run(now - 10);
  assert.deepEqual(sent.sort(), ['on-deployed', 'on-sync-succeeded']);
  await run(now - 10);
  assert.equal(sent.length, 2, 'same operation: nothing new');
  const r = await run(now + 5);
  assert.equal(r.changed, true);
  assert.deepEqual(sent.sort(), ['on-deployed', 'on-sync-succeeded', 'on-sync-succeeded'], 'a later operation: on-sync-succeeded again, on-deployed (oncePer revision) not');
  await run(now + 5);
  assert.equal(sent.length, 3, 'an operation stamped ahead of this clock notifies once, not on every pass');
});

test('repo helpers: RepoURLToHTTPS and FullNameByRepoURL from templates; repo-server helpers fail naming themselves', () => {
  assert.equal(repoURLToHTTPS('git@github.com:argoproj/argocd-example-apps.git'), 'https://github.com/argoproj/argocd-example-apps');
  assert.equal(repoURLToHTTPS('ssh://git@gitlab.example.com/group/sub/repo.git'), 'https://gitlab.example.com/group/sub/repo');
  assert.equal(repoURLToHTTPS('https://user@github.com/a/b.git'), 'https://github.com/a/b');
  assert.equal(fullNameByRepoURL('git@github.com:argoproj/argocd-example-apps.git'), 'argoproj/argocd-example-apps');
  const a = app('Succeeded');
  const n = renderTemplate('t', { message: '{{call .repo.RepoURLToHTTPS .app.spec.source.repoURL}}/commit/{{.app.status.operationState.syncResult.revision}} {{call .repo.FullNameByRepoURL .app.spec.source.repoURL}}' }, argocdVars(a), {}, 'email');
  assert.equal(n.message, 'https://github.com/argoproj/argocd-example-apps/commit/abc123 argoproj/argocd-example-apps');
  assert.throws(() => renderTemplate('t', { message: '{{(call .repo.GetCommitMetadata "abc").Author}}' }, argocdVars(a), {}, 'email'), /repo\.GetCommitMetadata needs the repo server/);
});

test('the notifications.argoproj.io/subscriptions annotation (YAML form); a broken one is reported', async () => {
  const cfg = parseConfig(CM, SECRET);
  const obj = { metadata: { annotations: { 'notifications.argoproj.io/subscriptions': '- trigger: [on-sync-succeeded]\n  destinations:\n  - service: email\n    recipients: [x@example.com, y@example.com]\n  - service: receiver\n- destinations:\n  - service: email\n    recipients: [z@example.com]\n' } } };
  const subs = subscriptionsOf(cfg, obj);
  assert.deepEqual(subs.get('on-sync-succeeded'), [{ service: 'email', recipient: 'x@example.com' }, { service: 'email', recipient: 'y@example.com' }, { service: 'receiver', recipient: '' }]);
  assert.deepEqual(subs.get('on-sync-failed'), [{ service: 'email', recipient: 'z@example.com' }], 'no trigger: the default triggers');
  const bad = { metadata: { annotations: { 'notifications.argoproj.io/subscriptions': 'trigger: x' } } };
  const r = await processObject({ cfg, obj: bad, vars: { app: bad }, state: {}, send: async () => {} });
  assert.deepEqual(r.errors, ['annotation notifications.argoproj.io/subscriptions: expected a list of {trigger, destinations}']);
});
