/**
 * The `argocd` command as a process against argocd-server in-process on a real API server
 * (argocd-server's test environment): login, accounts, applications, errors and exit codes,
 * `--core`, and the offline `admin` commands. Commands whose server API is not there yet are
 * skipped with the reason.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argocdProcess, type Run } from './cli-process.js';

const TESTENV = new URL('../../argocd-server/dist/testenv.js', import.meta.url).href;

let dir: string;
let env: any;
let host = '';
let password = '';

const { argocd, ok } = argocdProcess(() => join(dir, 'home'), () => ({ KUBECONFIG: env?.cluster.kubeconfig ?? join(dir, 'none') }));

describe('argocd against argocd-server', { timeout: 600_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argocd-cli-'));
    const { startEnv } = await import(TESTENV);
    env = await startEnv();
    host = new URL(env.server.url).host;
  });
  after(async () => {
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without a login: exit 20 and a message to run argocd login', async () => {
    const r = await argocd(['app', 'list']);
    assert.equal(r.code, 20);
    assert.match(r.stderr, /level=fatal msg=".*run 'argocd login SERVER' first/);
    assert.equal(r.stdout, '');
  });

  it('admin initial-password -n argocd reads the Secret through the kubeconfig', async () => {
    const out = await ok(['admin', 'initial-password', '-n', 'argocd']);
    const lines = out.split('\n');
    password = lines[0];
    assert.equal(password, await env.adminPassword());
    assert.deepEqual(lines.slice(1), ['', ' This password must be only used for first time login. We strongly recommend you update the password using `argocd account update-password`.', '']);
    const missing = await argocd(['admin', 'initial-password', '-n', 'nowhere']);
    assert.equal(missing.code, 20);
    assert.match(missing.stderr, /secrets \\"argocd-initial-admin-secret\\" not found/);
  });

  it('login: a wrong password is refused (exit 20, Unauthenticated); the right one writes the config', async () => {
    const bad = await argocd(['login', host, '--username', 'admin', '--password', 'wrong', '--insecure']);
    assert.equal(bad.code, 20);
    assert.match(bad.stderr, /rpc error: code = Unauthenticated desc = /);
    const out = await ok(['login', host, '--username', 'admin', '--password', password, '--insecure']);
    assert.equal(out, `'admin:login' logged in successfully\nContext '${host}' updated\n`);
    const cfg = readFileSync(join(dir, 'home', '.config', 'argocd', 'config'), 'utf8');
    assert.match(cfg, new RegExp(`^contexts:\\n- name: ${host.replace(/\./g, '\\.')}\\n  server: `));
    assert.match(cfg, new RegExp(`current-context: ${host.replace(/\./g, '\\.')}\\n`));
    assert.match(cfg, /\n  insecure: true\n/);
    assert.match(cfg, /\n  auth-token: ey/);
  });

  it('login prompts for the username and password when they are not given', async () => {
    const out = await ok(['login', host, '--insecure', '--name', 'prompted'], { input: `admin\n${password}\n` });
    assert.equal(out, `Username: Password: 'admin:login' logged in successfully\nContext 'prompted' updated\n`);
    assert.equal(await ok(['context', host]), `Switched to context '${host}'\n`);
  });

  it('context lists the contexts with the current one starred', async () => {
    const out = await ok(['context']);
    const hostPad = host.padEnd(Math.max(host.length, 'prompted'.length));
    assert.equal(out, `CURRENT  NAME${' '.repeat(hostPad.length - 4)}  SERVER\n*        ${hostPad}  ${host}\n         ${'prompted'.padEnd(hostPad.length)}  ${host}\n`);
  });

  it('account get-user-info, can-i, list, get', async () => {
    assert.equal(await ok(['account', 'get-user-info']), 'Logged In: true\nUsername: admin\nIssuer: argocd\nGroups: \n');
    assert.equal(await ok(['account', 'can-i', 'sync', 'applications', 'default/guestbook']), 'yes\n');
    assert.equal(await ok(['account', 'can-i', 'update', 'accounts', 'admin']), 'yes\n');
    assert.match(await ok(['account', 'list']), /^NAME   ENABLED  CAPABILITIES\nadmin  true     login\n/);
    assert.match(await ok(['account', 'get']), /^Name:               admin\nEnabled:            true\nCapabilities:       login\n\nTokens:\nNONE\n$/);
  });

  it('version prints the client and the server', async () => {
    const out = await ok(['version']);
    assert.match(out, /^argocd: v\S+\n  BuildDate: /);
    assert.match(out, /\nargocd-server: v\S+\n/);
    assert.equal(await ok(['version', '--client', '--short']), (await ok(['version', '--client'])).split('\n')[0] + '\n');
    const j = JSON.parse(await ok(['version', '-o', 'json']));
    assert.ok(j.client.Version && j.server.Version);
  });

  it('app create / get / list / set / patch / delete', async () => {
    const create = ['app', 'create', 'guestbook', '--repo', 'https://example.com/apps.git', '--path', 'guestbook', '--dest-server', 'https://kubernetes.default.svc', '--dest-namespace', 'default'];
    assert.equal(await ok(create), "application 'guestbook' created\n");
    assert.equal(await ok(create), "application 'guestbook' unchanged\n");
    const changed = await argocd([...create.slice(0, -1), 'other']);
    assert.equal(changed.code, 20);
    assert.match(changed.stderr, /existing application spec is different, use upsert flag to force update/);
    assert.equal(await ok([...create.slice(0, -1), 'other', '--upsert']), "application 'guestbook' updated\n");
    const get = await ok(['app', 'get', 'guestbook']);
    assert.match(get, /^Name:               argocd\/guestbook\nProject:            default\nServer:             https:\/\/kubernetes\.default\.svc\nNamespace:          other\n/);
    assert.match(get, new RegExp(`\\nURL:                https://${host.replace(/\./g, '\\.')}/applications/guestbook\\n`));
    assert.match(get, /\nSource:\n- Repo:             https:\/\/example\.com\/apps\.git\n  Target:           \S*\n  Path:             guestbook\nSyncWindow:         Sync Allowed\nSync Policy:        Manual\n/);
    const list = await ok(['app', 'list']);
    assert.match(list, /^NAME\s+CLUSTER\s+NAMESPACE\s+PROJECT\s+STATUS\s+HEALTH\s+SYNCPOLICY\s+CONDITIONS\s+REPO\s+PATH\s+TARGET\n/);
    assert.match(list, /\nargocd\/guestbook  https:\/\/kubernetes\.default\.svc  other /);
    assert.equal(await ok(['app', 'list', '-o', 'name']), 'argocd/guestbook\n');
    await ok(['app', 'set', 'guestbook', '--sync-policy', 'automated', '--auto-prune', '--revision', 'main', '--helm-set', 'a=b']);
    const y = JSON.parse(await ok(['app', 'get', 'guestbook', '-o', 'json']));
    assert.deepEqual(y.spec.syncPolicy.automated, { prune: true });
    assert.equal(y.spec.source.targetRevision, 'main');
    assert.deepEqual(y.spec.source.helm.parameters, [{ name: 'a', value: 'b' }]);
    const none = await argocd(['app', 'set', 'guestbook']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Please set at least one option to update/);
    const bad = await argocd(['app', 'set', 'guestbook', '--sync-policy', 'sometimes']);
    assert.equal(bad.code, 20);
    assert.match(bad.stderr, /Invalid sync policy: \\"sometimes\\"/);
    assert.match(await ok(['app', 'patch', 'guestbook', '--patch', '{"spec":{"source":{"path":"elsewhere"}}}', '--type', 'merge']), /\n  source:\n(    .*\n)*    path: elsewhere\n/);
    assert.equal(await ok(['app', 'delete', 'guestbook', '--yes', '--cascade=false']), "application 'guestbook' deleted\n");
  });

  it('app get nosuch: exit 20 with the server\'s NotFound', async () => {
    const r = await argocd(['app', 'get', 'nosuch']);
    assert.equal(r.code, 20);
    assert.match(r.stderr, /level=fatal msg="rpc error: code = NotFound desc = .*nosuch.* not found"/);
  });

  it('an app in a project that forbids the destination is refused and not created', async () => {
    writeFileSync(join(dir, 'narrow.json'), JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'narrow', namespace: 'argocd' }, spec: { sourceRepos: ['*'], destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'only-here' }] } }));
    await env.cluster.k(['apply', '-f', join(dir, 'narrow.json')]);
    const r = await argocd(['app', 'create', 'fenced', '--project', 'narrow', '--repo', 'https://example.com/apps.git', '--path', 'x', '--dest-server', 'https://kubernetes.default.svc', '--dest-namespace', 'elsewhere']);
    assert.equal(r.code, 20, r.stdout + r.stderr);
    assert.match(r.stderr, /rpc error: code = InvalidArgument desc = .*(destination|elsewhere)/i);
    assert.equal((await argocd(['app', 'get', 'fenced'])).code, 20);
  });

  it('app sync --async writes the operation; terminate-op answers as upstream', async () => {
    await ok(['app', 'create', 'op', '--repo', 'https://example.com/apps.git', '--path', 'p', '--dest-server', 'https://kubernetes.default.svc', '--dest-namespace', 'default']);
    await ok(['app', 'sync', 'op', '--async', '--prune', '--revision', 'v1']);
    const a = JSON.parse(await env.cluster.k(['get', 'application', 'op', '-n', 'argocd', '-o', 'json']));
    assert.equal(a.operation.sync.prune, true);
    assert.equal(a.operation.sync.revision, 'v1');
    assert.equal(a.operation.initiatedBy.username, 'admin');
  });

  it('account update-password logs in again with the new password', async () => {
    const out = await ok(['account', 'update-password', '--current-password', password, '--new-password', 'a-new-password-9']);
    assert.equal(out, `Password updated\nContext '${host}' updated\n`);
    assert.match(await ok(['account', 'get-user-info']), /^Logged In: true\n/);
  });

  it('logout removes the token; commands then say to log in', async () => {
    assert.equal(await ok(['logout', host]), `Logged out from '${host}'\n`);
    const r = await argocd(['app', 'list']);
    assert.equal(r.code, 20);
    assert.match(r.stderr, /Unauthenticated.*argocd login/);
  });

  it('--core reads Applications straight from the Kubernetes API (no server), in the kubeconfig namespace', async () => {
    const YAML = await import('yaml');
    const kc = YAML.parse(readFileSync(env.cluster.kubeconfig, 'utf8'));
    for (const c of kc.contexts) c.context.namespace = 'argocd';
    writeFileSync(join(dir, 'kc-core'), YAML.stringify(kc));
    const core = { env: { KUBECONFIG: join(dir, 'kc-core') } };
    const out = await ok(['app', 'get', 'op', '--core', '-o', 'json'], core);
    assert.equal(JSON.parse(out).metadata.name, 'op');
    assert.match(await ok(['app', 'list', '--core'], core), /\nargocd\/op\s+https:\/\/kubernetes\.default\.svc\s+default\s+default /);
  });

  it('unknown commands and flags: cobra\'s messages, exit 1', async () => {
    const r = await argocd(['nope']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error: unknown command "nope" for "argocd"\nRun 'argocd --help' for usage.\n`);
    const f = await argocd(['app', 'list', '--nope']);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /^Error: unknown flag: --nope\nUsage:\n  argocd app list \[flags\]\n/);
    const h = await argocd(['app', 'get']);
    assert.equal(h.code, 1);
    assert.match(h.stdout, /^Get application details\n\nUsage:\n  argocd app get APPNAME \[flags\]/);
  });
});

describe('argocd admin settings (offline)', () => {
  let d: string;
  before(() => {
    d = mkdtempSync(join(tmpdir(), 'argocd-admin-'));
    dir = d;
    writeFileSync(join(d, 'policy.csv'), 'p, role:dev, applications, get, dev/*, allow\np, role:dev, applications, sync, dev/*, deny\ng, alice, role:dev\n');
    writeFileSync(join(d, 'rbac-cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-rbac-cm}\ndata:\n  policy.default: role:readonly\n  policy.csv: |\n    p, role:ops, applications, sync, */*, allow\n    g, bob, role:ops\n');
    writeFileSync(join(d, 'bad.csv'), 'p, role:dev, applications, get, dev/*, allow\np, role:x, applications\n');
    writeFileSync(
      join(d, 'argocd-cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\ndata:\n  resource.customizations.health.example.com_Widget: |\n    hs = {}\n    if obj.status ~= nil and obj.status.ready then\n      hs.status = "Healthy"\n      hs.message = "widget ready"\n    else\n      hs.status = "Progressing"\n      hs.message = "waiting for widget"\n    end\n    return hs\n  resource.customizations.ignoreDifferences.apps_Deployment: |\n    jsonPointers:\n    - /spec/replicas\n',
    );
    writeFileSync(join(d, 'widget.yaml'), 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nstatus: {ready: false}\n');
    writeFileSync(join(d, 'deploy.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default, generation: 2}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: c, image: nginx}]\nstatus: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2}\n');
    writeFileSync(join(d, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n');
  });
  after(() => rmSync(d, { recursive: true, force: true }));

  it('rbac can: Yes/exit 0, No/exit 1; deny wins; ConfigMap files with policy.default; aliases; strict names', async () => {
    const can = (...a: string[]) => argocd(['admin', 'settings', 'rbac', 'can', ...a]);
    let r = await can('alice', 'get', 'applications', 'dev/app', '--policy-file', join(d, 'policy.csv'));
    assert.deepEqual([r.code, r.stdout], [0, 'Yes\n']);
    r = await can('alice', 'sync', 'app', 'dev/app', '--policy-file', join(d, 'policy.csv'));
    assert.deepEqual([r.code, r.stdout], [1, 'No\n']);
    r = await can('carol', 'get', 'applications', 'dev/app', '--policy-file', join(d, 'rbac-cm.yaml'));
    assert.deepEqual([r.code, r.stdout], [0, 'Yes\n'], 'policy.default role:readonly');
    r = await can('carol', 'get', 'applications', 'dev/app', '--policy-file', join(d, 'policy.csv'), '--quiet');
    assert.deepEqual([r.code, r.stdout], [1, '']);
    r = await can('bob', 'sync', 'applications', 'x/y', '--policy-file', join(d, 'rbac-cm.yaml'));
    assert.deepEqual([r.code, r.stdout], [0, 'Yes\n']);
    r = await can('bob', 'fly', 'applications', 'x/y', '--policy-file', join(d, 'rbac-cm.yaml'));
    assert.equal(r.code, 20);
    assert.match(r.stderr, /Unknown action: fly/);
  });

  it('rbac validate names the bad line', async () => {
    assert.equal(await ok(['admin', 'settings', 'rbac', 'validate', '--policy-file', join(d, 'policy.csv')]), 'Policy is valid.\n');
    const r = await argocd(['admin', 'settings', 'rbac', 'validate', '--policy-file', join(d, 'bad.csv')]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Policy is invalid: policy\.csv:2: /);
  });

  it('resource-overrides health: built-in and Lua, STATUS/MESSAGE lines', async () => {
    const h = (f: string) => ok(['admin', 'settings', 'resource-overrides', 'health', join(d, f), '--argocd-cm-path', join(d, 'argocd-cm.yaml')]);
    assert.equal(await h('deploy.yaml'), 'STATUS: Healthy\nMESSAGE: \n');
    assert.equal(await h('widget.yaml'), 'STATUS: Progressing\nMESSAGE: waiting for widget\n');
    assert.equal(await h('cm.yaml'), "Health script is not configured for '/ConfigMap'\n");
    const missing = await argocd(['admin', 'settings', 'resource-overrides', 'health', join(d, 'nope.yaml'), '--argocd-cm-path', join(d, 'argocd-cm.yaml')]);
    assert.equal(missing.code, 20);
    assert.match(missing.stderr, /cannot read resource file .*nope\.yaml: no such file/);
  });

  it('resource-overrides ignore-differences, list-actions, run-action', async () => {
    const ro = (...a: string[]) => ok(['admin', 'settings', 'resource-overrides', ...a, '--argocd-cm-path', join(d, 'argocd-cm.yaml')]);
    assert.equal(await ro('ignore-differences', join(d, 'deploy.yaml')), 'Following fields are ignored:\n\n8d7\n<   replicas: 2\n');
    assert.equal(await ro('ignore-differences', join(d, 'widget.yaml')), "Ignore differences are not configured for 'example.com/Widget'\n");
    assert.match(await ro('list-actions', join(d, 'deploy.yaml')), /^NAME\s+DISABLED\n(.*\n)*restart\s+false\n/);
    const run = await ro('run-action', join(d, 'deploy.yaml'), 'restart');
    assert.match(run, /^Following fields have been changed:\n\n\d+a\d+,\d+\n>     metadata:\n>       annotations:\n>         kubectl\.kubernetes\.io\/restartedAt: /);
  });
});
