// Flotilla's catalog of triggers and templates (manifests/argo-cd/notifications-catalog.yaml), read
// through the engine's config parser: each trigger fires on the Application state its description
// names and on no other, oncePer triggers notify once per value, and every template renders for every
// service type against the states that fire it and against a bare Application. Plus the documented
// offline check `argocd admin notifications trigger run … --config-map <catalog>` (the built CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { parseConfig } from './config.js';
import { evaluateTrigger } from './triggers.js';
import { renderTemplate } from './templates.js';
import { processObject, type Delivery } from './engine.js';
import { argocdVars } from './argocd-vars.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CATALOG = join(ROOT, 'manifests/argo-cd/notifications-catalog.yaml');

function catalog(): Record<string, any> {
  const docs = parseAllDocuments(readFileSync(CATALOG, 'utf8')).map((d) => d.toJS() as Record<string, any>);
  assert.equal(docs.length, 1);
  return docs[0]!;
}

const NAMES = ['created', 'deleted', 'deployed', 'health-degraded', 'sync-failed', 'sync-running', 'sync-status-unknown', 'sync-succeeded'];
const TRIGGERS = NAMES.map((n) => `on-${n}`);
const TEMPLATES = NAMES.map((n) => `app-${n}`);

type App = Record<string, any>;
function app(status?: Record<string, unknown>, meta: Record<string, unknown> = {}): App {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'guestbook', namespace: 'argocd', ...meta },
    spec: { project: 'default', source: { repoURL: 'https://github.com/argoproj/argocd-example-apps.git', path: 'guestbook' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } },
    ...(status ? { status } : {}),
  };
}
const op = (phase: string, revision = 'aaaa1111') => ({ phase, message: phase === 'Succeeded' ? 'successfully synced (all tasks run)' : phase === 'Running' ? 'waiting for completion' : 'one or more objects failed to apply: "x" is invalid', startedAt: '2026-12-05T10:00:00Z', ...(phase !== 'Running' ? { finishedAt: '2026-12-05T10:00:05Z' } : {}), syncResult: { revision }, operation: { initiatedBy: { username: 'admin' } } });

// Application states and the catalog triggers each must fire (on-created fires for every
// Application: it is "true" once per name)
const STATES: Array<[string, App, string[]]> = [
  ['a new Application without status', app(), ['on-created']],
  ['a sync running', app({ operationState: op('Running'), sync: { status: 'OutOfSync' }, health: { status: 'Missing' } }), ['on-created', 'on-sync-running']],
  ['a sync succeeded, Synced and Healthy', app({ operationState: op('Succeeded'), sync: { status: 'Synced', revision: 'aaaa1111' }, health: { status: 'Healthy' } }), ['on-created', 'on-deployed', 'on-sync-succeeded']],
  ['a sync succeeded, still Progressing', app({ operationState: op('Succeeded'), sync: { status: 'Synced', revision: 'aaaa1111' }, health: { status: 'Progressing' } }), ['on-created', 'on-sync-succeeded']],
  ['a sync failed', app({ operationState: op('Failed'), sync: { status: 'OutOfSync' }, health: { status: 'Missing' } }), ['on-created', 'on-sync-failed']],
  ['a sync errored', app({ operationState: op('Error'), sync: { status: 'OutOfSync' } }), ['on-created', 'on-sync-failed']],
  ['Degraded (no operation)', app({ sync: { status: 'Synced', revision: 'aaaa1111' }, health: { status: 'Degraded', message: 'Deployment "web" exceeded its progress deadline' }, resources: [{ kind: 'Deployment', namespace: 'default', name: 'web', health: { status: 'Degraded', message: 'exceeded its progress deadline' } }, { kind: 'Service', name: 'web' }] }), ['on-created', 'on-health-degraded']],
  ['sync status Unknown', app({ sync: { status: 'Unknown' }, health: { status: 'Healthy' }, conditions: [{ type: 'ComparisonError', message: 'rpc error: repository not accessible' }] }), ['on-created', 'on-sync-status-unknown']],
  ['being deleted', app({ sync: { status: 'Synced' }, health: { status: 'Healthy' } }, { deletionTimestamp: '2026-12-05T11:00:00Z', finalizers: ['resources-finalizer.argocd.argoproj.io'] }), ['on-created', 'on-deleted']],
  ['Synced and Healthy, no operation ever', app({ sync: { status: 'Synced', revision: 'aaaa1111' }, health: { status: 'Healthy' } }), ['on-created']],
];

test('catalog: an argocd-notifications-cm with the eight documented triggers, each sending its same-named template', () => {
  const cm = catalog();
  assert.equal(cm.kind, 'ConfigMap');
  assert.equal(cm.metadata.name, 'argocd-notifications-cm');
  const cfg = parseConfig(cm.data);
  assert.deepEqual([...cfg.triggers.keys()].sort(), [...TRIGGERS].sort());
  assert.deepEqual([...cfg.templates.keys()].sort(), [...TEMPLATES].sort());
  for (const [i, t] of TRIGGERS.entries()) {
    const conds = cfg.triggers.get(t)!;
    assert.equal(conds.length, 1, t);
    assert.deepEqual(conds[0]!.send, [TEMPLATES[i]], t);
    assert.ok(conds[0]!.description, `${t} has a description`);
  }
  assert.ok(cfg.triggers.get('on-deployed')![0]!.oncePer, 'on-deployed is once per revision');
});

test('catalog: each trigger fires on the state its description names and on no other, without evaluation errors', () => {
  const cfg = parseConfig(catalog().data);
  for (const [what, a, expected] of STATES) {
    const fired: string[] = [];
    for (const t of TRIGGERS) {
      const [r] = evaluateTrigger(cfg.triggers.get(t)!, argocdVars(a));
      assert.equal(r!.error, undefined, `${t} on "${what}": ${r!.error}`);
      if (r!.triggered) fired.push(t);
    }
    assert.deepEqual(fired, [...expected].sort(), what);
  }
});

test('catalog: on-deployed once per revision (multi-source: per set of revisions), on-created once per Application, on-sync-succeeded on every new success', async () => {
  const cm = catalog();
  const cfg = parseConfig({ ...cm.data, 'service.webhook.hook': 'url: http://127.0.0.1:9\n' });
  const sent: string[] = [];
  const send = async (d: Delivery) => void sent.push(`${d.trigger}>${d.template}`);
  const state = {};
  const subscribe = { annotations: Object.fromEntries(['on-created', 'on-deployed', 'on-sync-succeeded'].map((t) => [`notifications.argoproj.io/subscribe.${t}.hook`, ''])) };
  const pass = async (status?: Record<string, unknown>) => {
    sent.length = 0;
    const a = app(status, subscribe);
    const r = await processObject({ cfg, obj: a, vars: argocdVars(a), state, send });
    assert.deepEqual(r.errors, []);
    return [...sent].sort();
  };
  const deployed = (rev: string, extra: Record<string, unknown> = {}) => ({ operationState: op('Succeeded', rev), sync: { status: 'Synced', revision: rev }, health: { status: 'Healthy' }, ...extra });

  assert.deepEqual(await pass(), ['on-created>app-created']);
  assert.deepEqual(await pass({ operationState: op('Running'), health: { status: 'Missing' } }), []);
  assert.deepEqual(await pass(deployed('aaaa1111')), ['on-deployed>app-deployed', 'on-sync-succeeded>app-sync-succeeded']);
  assert.deepEqual(await pass(deployed('aaaa1111')), [], 'same state: nothing new');
  // a second sync of the same revision: sync-succeeded again, deployed not
  assert.deepEqual(await pass({ operationState: op('Running'), health: { status: 'Healthy' } }), []);
  assert.deepEqual(await pass(deployed('aaaa1111')), ['on-sync-succeeded>app-sync-succeeded']);
  // a new revision: both
  assert.deepEqual(await pass({ operationState: op('Running'), health: { status: 'Progressing' } }), []);
  assert.deepEqual(await pass(deployed('bbbb2222')), ['on-deployed>app-deployed', 'on-sync-succeeded>app-sync-succeeded']);
  // synced but not yet healthy: deployed waits for Healthy
  assert.deepEqual(await pass({ operationState: op('Running') }), []);
  assert.deepEqual(await pass({ ...deployed('cccc3333'), health: { status: 'Progressing' } }), ['on-sync-succeeded>app-sync-succeeded']);
  assert.deepEqual(await pass(deployed('cccc3333')), ['on-deployed>app-deployed']);
  // multi-source: keyed by the set of revisions
  const multi = (revs: string[]) => ({ operationState: { ...op('Succeeded'), syncResult: { revisions: revs } }, sync: { status: 'Synced', revisions: revs }, health: { status: 'Healthy' } });
  assert.deepEqual(await pass({ operationState: op('Running') }), []);
  assert.deepEqual(await pass(multi(['r1', 'r2'])), ['on-deployed>app-deployed', 'on-sync-succeeded>app-sync-succeeded']);
  assert.deepEqual(await pass({ operationState: op('Running') }), []);
  assert.deepEqual(await pass(multi(['r1', 'r2'])), ['on-sync-succeeded>app-sync-succeeded']);
  assert.deepEqual(await pass({ operationState: op('Running') }), []);
  assert.deepEqual(await pass(multi(['r1', 'r3'])), ['on-deployed>app-deployed', 'on-sync-succeeded>app-sync-succeeded']);
  // on-created never again for this Application
  assert.ok(!sent.includes('on-created>app-created'));
});

test('catalog: every template renders for every service type, against the states that fire it and a bare Application', () => {
  const cfg = parseConfig(catalog().data);
  const context = { argocdUrl: 'https://argocd.example.com' };
  for (const [i, t] of TEMPLATES.entries()) {
    const spec = cfg.templates.get(t)!;
    assert.equal(typeof spec.message, 'string', `${t}: message`);
    assert.equal(typeof (spec.email as Record<string, unknown>)?.subject, 'string', `${t}: email.subject`);
    const firing = STATES.filter(([, , fired]) => fired.includes(TRIGGERS[i]!));
    assert.ok(firing.length > 0, `${t}: some state fires ${TRIGGERS[i]}`);
    for (const [what, a] of [...firing, ['a bare Application', { metadata: { name: 'guestbook' } }] as const]) {
      for (const type of ['email', 'slack', 'teams', 'webhook', 'mattermost', 'telegram', 'console']) {
        const n = renderTemplate(t, spec, argocdVars(a), context, type);
        const at = `${t} for ${type} on "${what}"`;
        assert.match(String(n.message), /guestbook/, at);
        const text = JSON.stringify(n);
        assert.doesNotMatch(text, /<no value>|<nil>|map\[/, at);
        if (type === 'email') assert.match(String((n.email as Record<string, unknown>).subject), /^\[Argo CD\] guestbook: /, at);
        const slack = n.slack as Record<string, unknown> | undefined;
        if (slack?.attachments) {
          const att = JSON.parse(String(slack.attachments)) as Array<Record<string, unknown>>;
          assert.equal(att[0]!.title, 'guestbook', at);
          assert.match(String(att[0]!.title_link), /^https:\/\/argocd\.example\.com\/applications\/guestbook/, at);
        }
      }
    }
  }
  // what the states put in: the failure message, the Degraded resource, the condition, the revision
  const vars = (k: string) => argocdVars(STATES.find(([w]) => w === k)![1]);
  const render = (t: string, k: string, type: string) => renderTemplate(t, cfg.templates.get(t)!, vars(k), context, type);
  assert.match(String(render('app-sync-failed', 'a sync failed', 'email').message), /could not sync guestbook: one or more objects failed to apply/);
  assert.match(String((render('app-health-degraded', 'Degraded (no operation)', 'email').email as any).body), /- Deployment default\/web: exceeded its progress deadline\n/);
  assert.doesNotMatch(String((render('app-health-degraded', 'Degraded (no operation)', 'email').email as any).body), /Service/);
  assert.match(String(render('app-sync-status-unknown', 'sync status Unknown', 'email').message), /ComparisonError: rpc error: repository not accessible/);
  assert.match(String(render('app-deployed', 'a sync succeeded, Synced and Healthy', 'slack').message), /^:rocket: Argo CD deployed revision aaaa1111 of guestbook/);
  assert.match(String(render('app-deployed', 'a sync succeeded, Synced and Healthy', 'email').message), /^Argo CD deployed revision aaaa1111/);
  assert.equal((render('app-deployed', 'a sync succeeded, Synced and Healthy', 'email').email as any).subject, '[Argo CD] guestbook: revision aaaa1111 deployed');
  assert.match(String((render('app-sync-running', 'a sync running', 'email').email as any).body), /\(by admin\)/);
});

test('catalog: `argocd admin notifications trigger run on-sync-succeeded <app file> --config-map <catalog>` offline', async (t) => {
  const cli = join(ROOT, 'packages/argocd-cli/dist/cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'notif-catalog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      // no cluster: KUBECONFIG points nowhere
      execFile(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(cli)}); process.exitCode = await m.main(process.argv.slice(1));`, ...args], { env: { ...process.env, KUBECONFIG: join(dir, 'none') } }, (e, out, err) =>
        resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
      );
    });
  const file = (name: string, a: App) => {
    writeFileSync(join(dir, name), stringify(a));
    return join(dir, name);
  };
  const ok = file('ok.yaml', STATES[2]![1]);
  const failed = file('failed.yaml', STATES[4]![1]);
  const args = ['--config-map', CATALOG, '--secret', ':empty'];
  const yes = await run(['admin', 'notifications', 'trigger', 'run', 'on-sync-succeeded', ok, ...args]);
  assert.equal(yes.code, 0, yes.err);
  assert.match(yes.out, /^CONDITION\s+RESULT\napp\.status\?\.operationState\?\.phase == 'Succeeded'\s+true\n$/);
  const no = await run(['admin', 'notifications', 'trigger', 'run', 'on-sync-succeeded', failed, ...args]);
  assert.equal(no.code, 0, no.err);
  assert.match(no.out, /'Succeeded'\s+false\n$/);
  assert.equal(no.err, '');
  const list = await run(['admin', 'notifications', 'trigger', 'get', ...args]);
  assert.equal(list.code, 0, list.err);
  assert.deepEqual(list.out.trim().split('\n').slice(1).map((l) => l.split(/\s{2,}/)[0]), [...TRIGGERS].sort());
  const notify = await run(['admin', 'notifications', 'template', 'notify', 'app-sync-failed', failed, ...args]);
  assert.equal(notify.code, 0, notify.err);
  assert.match(notify.out, /subject: "\[Argo CD\] guestbook: sync failed"|subject: '\[Argo CD\] guestbook: sync failed'/);
});
