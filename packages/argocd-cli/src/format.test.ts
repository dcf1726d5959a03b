/**
 * Output formatting against Go's and Argo CD's documented output: the tabwriter (Go's documented
 * examples), the resource table, the `app sync` progress table, the summary block, the operation
 * result, flag parsing and cobra/pflag help rendering.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tabwrite } from './cmd/tabwriter.js';
import { flagUsages, formatDuration, parseDuration, parseFlags, type FlagDef } from './cmd/flags.js';
import { Command } from './cmd/command.js';
import { appsTable, conditionsSummary, historyTable, operationResult, resourcesTable, summary, syncWindowStatus } from './commands/app-print.js';
import { checkResourceStatus, waitRow } from './commands/app-wait.js';
import { parseResourceFilter, selectResources } from './commands/app-ops.js';
import { knownHosts, pemCerts } from './commands/cert.js';
import { shellSplit } from './diff.js';
import { errorFromBody, RpcError } from './client.js';
import { formatLog } from './cmd/io.js';
import { goTime, toYAML } from './output.js';

process.env.TZ = 'UTC';

describe('tabwriter (Go text/tabwriter)', () => {
  it("Go's elastic example: columns are blocks of consecutive lines", () => {
    const out = tabwrite('a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n', { minwidth: 0, padding: 1, padchar: '.', alignRight: true, debug: true });
    assert.equal(out, '....a|..b|c\n...aa|.bb|cc\n..aaa|\n.aaaa|.dddd|eeee\n');
  });
  it("Go's right-aligned example with minwidth 5 and padding 1", () => {
    const out = tabwrite('a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n\n', { minwidth: 5, padding: 1, alignRight: true });
    assert.equal(out, '    a     b       c         d.\n  123 12345 1234567 123456789.\n\n');
  });
  it('the text after the last tab is not aligned; a line without tabs ends blocks', () => {
    assert.equal(tabwrite('x\ty\nlonger\tz\nplain\nq\tw\n'), 'x       y\nlonger  z\nplain\nq  w\n');
  });
  it('widths count characters, not bytes', () => {
    assert.equal(tabwrite('ä\tb\nxx\tc\n'), 'ä   b\nxx  c\n');
  });
});

const app: any = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'guestbook', namespace: 'argocd' },
  spec: { project: 'default', source: { repoURL: 'https://github.com/argoproj/argocd-example-apps.git', path: 'guestbook', targetRevision: 'HEAD' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'default' } },
  status: {
    sync: { status: 'OutOfSync', revision: '53e28ff20cc530b9ada2173fbbd64d48338583ba' },
    health: { status: 'Missing' },
    resources: [
      { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'default', name: 'guestbook-ui', status: 'OutOfSync', health: { status: 'Missing' } },
      { version: 'v1', kind: 'Service', namespace: 'default', name: 'guestbook-ui', status: 'OutOfSync', health: { status: 'Missing' } },
    ],
  },
};

describe('argocd app get', () => {
  it('the summary block as upstream prints it (%-20s%s)', () => {
    assert.equal(
      summary(app, 'https://localhost:8080/applications/guestbook'),
      [
        'Name:               argocd/guestbook',
        'Project:            default',
        'Server:             https://kubernetes.default.svc',
        'Namespace:          default',
        'URL:                https://localhost:8080/applications/guestbook',
        'Source:',
        '- Repo:             https://github.com/argoproj/argocd-example-apps.git',
        '  Target:           HEAD',
        '  Path:             guestbook',
        'SyncWindow:         Sync Allowed',
        'Sync Policy:        Manual',
        'Sync Status:        OutOfSync from HEAD (53e28ff)',
        'Health Status:      Missing',
        '',
      ].join('\n'),
    );
  });
  it('an empty target revision prints "from  (sha)"; a SHA target prints no short SHA; automated with prune', () => {
    const a = structuredClone(app);
    a.spec.source.targetRevision = '';
    assert.match(summary(a, 'u'), /\nSync Status:        OutOfSync from  \(53e28ff\)\n/);
    a.spec.source.targetRevision = '53e28ff20cc530b9ada2173fbbd64d48338583ba';
    a.status.sync.status = 'Synced';
    assert.match(summary(a, 'u'), /\nSync Status:        Synced to 53e28ff20cc530b9ada2173fbbd64d48338583ba\n/);
    a.spec.syncPolicy = { automated: { prune: true } };
    assert.match(summary(a, 'u'), /\nSync Policy:        Automated \(Prune\)\n/);
  });
  it('the resource table: sorted by group/kind/namespace/name, aligned with padding 2', () => {
    assert.equal(
      resourcesTable(app),
      'GROUP  KIND        NAMESPACE  NAME          STATUS     HEALTH   HOOK  MESSAGE\n' +
        '       Service     default    guestbook-ui  OutOfSync  Missing        \n' +
        'apps   Deployment  default    guestbook-ui  OutOfSync  Missing        \n',
    );
  });
  it('the last operation\'s results come first, with their messages and hooks', () => {
    const a = structuredClone(app);
    a.status.resources[0].status = 'Synced';
    a.status.resources[0].health = { status: 'Progressing' };
    a.status.operationState = {
      phase: 'Succeeded',
      startedAt: '2024-01-02T03:04:05Z',
      finishedAt: '2024-01-02T03:04:07Z',
      message: 'successfully synced (all tasks run)',
      operation: { sync: {} },
      syncResult: {
        revision: '53e28ff20cc530b9ada2173fbbd64d48338583ba',
        resources: [
          { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'default', name: 'guestbook-ui', status: 'Synced', message: 'deployment.apps/guestbook-ui created' },
          { group: 'batch', version: 'v1', kind: 'Job', namespace: 'default', name: 'before', status: 'Synced', hookType: 'PreSync', hookPhase: 'Succeeded', message: 'job completed' },
        ],
      },
    };
    assert.equal(
      resourcesTable(a),
      'GROUP  KIND        NAMESPACE  NAME          STATUS     HEALTH       HOOK     MESSAGE\n' +
        'apps   Deployment  default    guestbook-ui  Synced     Progressing           deployment.apps/guestbook-ui created\n' +
        'batch  Job         default    before        Succeeded  Synced       PreSync  job completed\n' +
        '       Service     default    guestbook-ui  OutOfSync  Missing               \n',
    );
    assert.equal(
      operationResult(a.status.operationState),
      'Operation:          Sync\nSync Revision:      53e28ff20cc530b9ada2173fbbd64d48338583ba\nPhase:              Succeeded\nStart:              2024-01-02 03:04:05 +0000 UTC\nFinished:           2024-01-02 03:04:07 +0000 UTC\nDuration:           2s\nMessage:            successfully synced (all tasks run)\n',
    );
  });
  it('a running operation prints Finished: <nil> and the duration so far', () => {
    const r = operationResult({ phase: 'Running', startedAt: '2024-01-02T03:04:05Z', operation: {} } as any, Date.parse('2024-01-02T03:06:10Z'));
    assert.match(r, /\nFinished:           <nil>\nDuration:           2m5s\n/);
  });
  it('sync windows: denied, manual allowed, assigned list', () => {
    const deny = { kind: 'deny', schedule: '0 22 * * *', duration: '1h' };
    assert.deepEqual(syncWindowStatus({ assignedWindows: [deny], activeWindows: [deny], canSync: false }), { status: 'Sync Denied', assigned: ['deny:0 22 * * *:1h'] });
    assert.equal(syncWindowStatus({ assignedWindows: [deny], activeWindows: [deny], canSync: true }).status, 'Manual Allowed');
    assert.equal(syncWindowStatus(undefined).status, 'Sync Allowed');
  });
});

describe('argocd app list / history', () => {
  it('the list table (wide) and the conditions summary', () => {
    const a = structuredClone(app);
    a.status.conditions = [{ type: 'SyncError', message: 'x' }, { type: 'SyncError', message: 'y' }, { type: 'ComparisonError', message: 'z' }];
    assert.equal(conditionsSummary(a), 'ComparisonError,SyncError(2)');
    assert.equal(
      appsTable([a], 'wide'),
      'NAME              CLUSTER                         NAMESPACE  PROJECT  STATUS     HEALTH   SYNCPOLICY  CONDITIONS                    REPO                                                 PATH       TARGET\n' +
        'argocd/guestbook  https://kubernetes.default.svc  default    default  OutOfSync  Missing  Manual      ComparisonError,SyncError(2)  https://github.com/argoproj/argocd-example-apps.git  guestbook  HEAD\n',
    );
  });
  it('history: SOURCE line, ID DATE REVISION rows', () => {
    const a = structuredClone(app);
    a.status.history = [
      { id: 0, revision: '53e28ff20cc530b9ada2173fbbd64d48338583ba', deployedAt: '2024-01-02T03:04:05Z', source: a.spec.source },
      { id: 1, revision: '1ff8a6720cc530b9ada2173fbbd64d48338583ba', deployedAt: '2024-01-03T03:04:05Z', source: a.spec.source },
    ];
    assert.equal(
      historyTable(a),
      'SOURCE  https://github.com/argoproj/argocd-example-apps.git\n' +
        'ID      DATE                           REVISION\n' +
        '0       2024-01-02 03:04:05 +0000 UTC  HEAD (53e28ff)\n' +
        '1       2024-01-03 03:04:05 +0000 UTC  HEAD (1ff8a67)\n',
    );
  });
});

describe('argocd app sync / wait', () => {
  it('the progress table header and rows as upstream aligns them (%5s %10s … in a tabwriter)', () => {
    const ts = '2025-12-15T15:18:54+00:00';
    const text =
      waitRow('TIMESTAMP', { group: 'GROUP', kind: 'KIND', namespace: 'NAMESPACE', name: 'NAME', status: 'STATUS', health: 'HEALTH', hook: 'HOOK', message: 'MESSAGE' }) +
      waitRow(ts, { group: '', kind: 'Service', namespace: 'app-foo-prd', name: 'crazy-caracal', status: 'OutOfSync', health: 'Missing', hook: '', message: '' }) +
      waitRow(ts, { group: 'apps', kind: 'Deployment', namespace: 'app-foo-prd', name: 'crazy-caracal', status: 'OutOfSync', health: 'Missing', hook: '', message: '' });
    const out = tabwrite(text, { minwidth: 5, padding: 2 }).split('\n');
    // the header line of a published `argocd app sync` output with these widths
    assert.equal(out[0], 'TIMESTAMP                  GROUP        KIND   NAMESPACE                   NAME    STATUS    HEALTH        HOOK  MESSAGE');
    assert.equal(out[1], '2025-12-15T15:18:54+00:00            Service  app-foo-prd         crazy-caracal  OutOfSync  Missing              ');
    assert.equal(out[2], '2025-12-15T15:18:54+00:00   apps  Deployment  app-foo-prd         crazy-caracal  OutOfSync  Missing              ');
  });
  it('done conditions of app wait', () => {
    assert.equal(checkResourceStatus({ sync: true, health: true, operation: true }, 'Healthy', 'Synced', false), true);
    assert.equal(checkResourceStatus({ sync: true, health: true }, 'Progressing', 'Synced', false), false);
    assert.equal(checkResourceStatus({ health: true, suspended: true }, 'Suspended', 'OutOfSync', false), true);
    assert.equal(checkResourceStatus({ operation: true }, 'Missing', 'OutOfSync', true), false);
    assert.equal(checkResourceStatus({ operation: true }, 'Missing', 'OutOfSync', false), true);
  });
  it('--resource filters: GROUP:KIND:NAME, namespace, negation and wildcards', () => {
    assert.deepEqual(parseResourceFilter(':Service:my-svc'), { exclude: false, group: '', kind: 'Service', namespace: '', name: 'my-svc' });
    assert.deepEqual(parseResourceFilter('!apps:Deployment:ns/d'), { exclude: true, group: 'apps', kind: 'Deployment', namespace: 'ns', name: 'd' });
    assert.throws(() => parseResourceFilter('Service:x'), /resource should have GROUP:KIND:NAME, but instead got: Service:x/);
    assert.deepEqual(selectResources(app, ['!apps:Deployment:*']), [{ group: '', kind: 'Service', name: 'guestbook-ui', namespace: 'default' }]);
    assert.deepEqual(selectResources(app, ['*:*:guestbook-ui'])!.length, 2);
    assert.throws(() => selectResources(app, ['x:Y:*']), /No matching resources found/);
  });
});

describe('flags and help (pflag / cobra)', () => {
  const flags: FlagDef[] = [
    { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide', default: 'wide' },
    { name: 'prune', type: 'bool', usage: 'Allow deleting unexpected resources' },
    { name: 'timeout', type: 'uint', usage: 'Time out after this many seconds' },
    { name: 'resource', type: 'stringArray', usage: 'Sync only specific resources' },
    { name: 'header', short: 'H', type: 'stringSlice', usage: 'Headers' },
    { name: 'expires-in', type: 'duration', usage: 'Duration', default: 180000 },
  ];
  it('parses --f=v, --f v, -o json, -ojson, bool flags, repeated arrays, comma slices and --', () => {
    const r = parseFlags(['app1', '--prune', '-ojson', '--timeout=30', '--resource', 'a', '--resource=b', '-H', 'x:1,y:2', '--', '--not-a-flag'], flags);
    assert.deepEqual(r.args, ['app1', '--not-a-flag']);
    assert.equal(r.values.output, 'json');
    assert.equal(r.values.prune, true);
    assert.equal(r.values.timeout, 30);
    assert.deepEqual(r.values.resource, ['a', 'b']);
    assert.deepEqual(r.values.header, ['x:1', 'y:2']);
    assert.equal(r.values.expiresIn, 180000);
    assert.ok(r.changed.has('prune') && !r.changed.has('expiresIn'));
    assert.equal(parseFlags(['--prune=false'], flags).values.prune, false);
  });
  it('errors as pflag words them', () => {
    assert.throws(() => parseFlags(['--nope'], flags), /^Error: unknown flag: --nope$|unknown flag: --nope/);
    assert.throws(() => parseFlags(['-x'], flags), /unknown shorthand flag: 'x' in -x/);
    assert.throws(() => parseFlags(['--timeout'], flags), /flag needs an argument: --timeout/);
    assert.throws(() => parseFlags(['--timeout', '-1'], flags), /invalid argument "-1" for "timeout" flag: strconv.ParseUint/);
  });
  it('usage lines as pflag renders them: sorted, aligned, typed, with non-zero defaults', () => {
    const col = (left: string, usage: string) => left.padEnd(31) + usage;
    assert.equal(
      flagUsages(flags),
      [
        col('      --expires-in duration', 'Duration (default 3m0s)'),
        col('  -H, --header strings', 'Headers'),
        col('  -o, --output string', 'Output format. One of: json|yaml|wide (default "wide")'),
        col('      --prune', 'Allow deleting unexpected resources'),
        col('      --resource stringArray', 'Sync only specific resources'),
        col('      --timeout uint', 'Time out after this many seconds'),
      ].join('\n'),
    );
  });
  it('Go durations', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(formatDuration(5_000), '5s');
    assert.equal(formatDuration(3_725_000), '1h2m5s');
    assert.throws(() => parseDuration('5 days'), /time: invalid duration "5 days"/);
  });
  it('cobra help: description, Usage, Examples, Flags, Global Flags, sub-commands', async () => {
    const root = new Command({ use: 'argocd', short: 'argocd controls a Argo CD server', persistentFlags: [{ name: 'server', type: 'string', usage: 'Argo CD server address' }] });
    const appCmd = new Command({ use: 'app', short: 'Manage applications' });
    const get = new Command({ use: 'get APPNAME', short: 'Get application details', example: '  argocd app get my-app', flags: [flags[0]], run: () => 0 });
    root.add(appCmd.add(get));
    assert.equal(
      get.help(),
      'Get application details\n\nUsage:\n  argocd app get APPNAME [flags]\n\nExamples:\n  argocd app get my-app\n\nFlags:\n  -h, --help            help for get\n  -o, --output string   Output format. One of: json|yaml|wide (default "wide")\n\nGlobal Flags:\n      --server string   Argo CD server address\n',
    );
    assert.match(appCmd.help(), /\nAvailable Commands:\n  get         Get application details\n/);
    assert.match(appCmd.help(), /\nUse "argocd app \[command\] --help" for more information about a command\.\n$/);
  });
});

describe('errors, logs, helpers', () => {
  it('server errors become rpc errors with grpc code names', () => {
    const e = errorFromBody(404, JSON.stringify({ error: "app 'nosuch' not found", code: 5, message: "app 'nosuch' not found" }));
    assert.equal(e.message, "rpc error: code = NotFound desc = app 'nosuch' not found");
    assert.equal(errorFromBody(401, 'no session').message, 'rpc error: code = Unauthenticated desc = no session');
    assert.equal(errorFromBody(403, '{"message":"permission denied"}').codeName, 'PermissionDenied');
    assert.ok(new RpcError(14, 'x') instanceof Error);
  });
  it('log lines as logrus prints them: FATA[0000] on a terminal, key=value otherwise', () => {
    assert.match(formatLog('fatal', 'rpc error: code = NotFound desc = x', true), /^\x1b\[31mFATA\x1b\[0m\[\d{4}\] rpc error: code = NotFound desc = x +\n$/);
    assert.equal(formatLog('fatal', 'boom "x"', false, new Date('2024-01-02T03:04:05Z')), 'time="2024-01-02T03:04:05Z" level=fatal msg="boom \\"x\\""\n');
  });
  it('KUBECTL_EXTERNAL_DIFF is split like a shell line', () => {
    assert.deepEqual(shellSplit(`diff -u --label "a b" 'c d'`), ['diff', '-u', '--label', 'a b', 'c d']);
  });
  it('certificates: PEM blocks and known_hosts lines', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    assert.equal(pemCerts(pem + pem).length, 2);
    assert.throws(() => pemCerts('garbage'), /not PEM/);
    assert.deepEqual(knownHosts('# c\ngithub.com,gh ssh-ed25519 AAAA\n'), [
      ['github.com', 'ssh-ed25519', 'AAAA'],
      ['gh', 'ssh-ed25519', 'AAAA'],
    ]);
    assert.throws(() => knownHosts('host only\n'), /line 1/);
  });
  it('times and YAML as Go prints them', () => {
    assert.equal(goTime('2024-01-02T03:04:05Z'), '2024-01-02 03:04:05 +0000 UTC');
    assert.equal(goTime(undefined), '<nil>');
    assert.equal(toYAML({ b: [{ y: 1, x: 2 }], a: 1 }), 'a: 1\nb:\n- x: 2\n  y: 1\n');
  });
});
