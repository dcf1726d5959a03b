/** Pure parts of argo-server: flags, the fields filter, selectors, submit options, resubmit, persistence config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchLabels as k8sMatch, parseLabelSelector as parseK8sLabelSelector } from '@flotilla/apimachinery';
import { parseArgs } from './options.js';
import { filterFields, parseNodeFieldSelector, parseLabelSelector, matchLabels, fromLabelSelector, parseKeyValues } from './fields.js';
import { applySubmitOpts, memoizedResubmit, resubmitOf, workflowFrom } from './submit.js';
import { nodeId } from '@flotilla/workflows-controller';
import { parseControllerConfig, persistenceOf, parseTTL } from './archive/config.js';
import { tablesFor } from './archive/migrate.js';
import { setNodes } from './api/workflows.js';
import { resumeNodes, stopNodes, userInfoMap } from './nodes.js';
import { callerIdentity, jwtClaims } from './identity.js';
import { logEntry } from './api/eventobjects.js';

test('flags: upstream defaults, repeated and comma --auth-mode, --secure=false, -p, --basehref/--base-href, BASE_HREF, bad values refused', () => {
  assert.deepEqual(parseArgs([]).opts, {});
  const p = parseArgs(['server', '--auth-mode', 'server', '--auth-mode=client', '--namespaced', '--managed-namespace', 'team', '--secure=false', '-p', '9000', '--basehref', '/argo/', '--x-frame-options', 'DENY'], {});
  assert.deepEqual(p.opts.authModes, ['server', 'client']);
  assert.equal(p.opts.namespaced, true);
  assert.equal(p.opts.managedNamespace, 'team');
  assert.equal(p.opts.secure, false);
  assert.equal(p.opts.port, 9000);
  assert.equal(p.opts.baseHref, '/argo/');
  assert.deepEqual(p.ignored, []);
  assert.equal(p.opts.xFrameOptions, 'DENY');
  assert.deepEqual(parseArgs(['--hsts=false', '--access-control-allow-origin', '*', '--api-rate-limit', '5']).opts, { hsts: false, accessControlAllowOrigin: '*', apiRateLimit: 5 });
  assert.deepEqual(parseArgs(['--api-rate-limit', '5']).ignored, []);
  assert.throws(() => parseArgs(['--api-rate-limit', 'many']), /api-rate-limit/);
  assert.deepEqual(parseArgs(['--auth-mode=client,sso']).opts.authModes, ['client', 'sso']);
  assert.equal(parseArgs(['--base-href=/x/']).opts.baseHref, '/x/');
  assert.equal(parseArgs([], { BASE_HREF: '/env/' }).opts.baseHref, '/env/');
  assert.equal(parseArgs(['--secure']).opts.secure, true);
  assert.equal(parseArgs(['-e=false']).opts.secure, false);
  assert.equal(parseArgs(['--tls-certificate-secret-name', 'tls']).opts.tlsCertificateSecretName, 'tls');
  assert.equal(parseArgs(['-h']).help, true);
  assert.throws(() => parseArgs(['--auth-mode', 'magic']), /invalid mode "magic"/);
  assert.throws(() => parseArgs(['--secure=maybe']), /ParseBool/);
  assert.throws(() => parseArgs(['--port', 'x']), /integer/);
  assert.throws(() => parseArgs(['--port']), /needs an argument/);
  assert.throws(() => parseArgs(['extra']), /unknown command "extra"/);
});

test('fields filter: keep listed paths through arrays, or drop paths with a leading "-"', () => {
  const list = { metadata: { resourceVersion: '5', continue: 'c' }, items: [{ metadata: { name: 'a', uid: 'u' }, status: { phase: 'Running', nodes: { x: {} } } }] };
  assert.deepEqual(filterFields(list, 'metadata,items.metadata.name,items.status.phase'), { metadata: { resourceVersion: '5', continue: 'c' }, items: [{ metadata: { name: 'a' }, status: { phase: 'Running' } }] });
  assert.deepEqual(filterFields(list, '-items.status.nodes,-metadata.continue'), { metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'a', uid: 'u' }, status: { phase: 'Running' } }] });
  assert.deepEqual(filterFields(list, 'items.metadata,items.metadata.name'), { items: [{ metadata: { name: 'a', uid: 'u' } }] }, 'a shorter path wins');
  assert.equal(filterFields(list, ''), list);
  assert.deepEqual(filterFields(list, 'nothing.here'), {});
});

test('node field selectors: =, !=, several terms, input parameters; unknown fields refused', () => {
  const n = { id: 'w-1', name: 'w[0].approve', displayName: 'approve', templateName: 'wait', phase: 'Running', type: 'Suspend', inputs: { parameters: [{ name: 'tag', value: 'v1' }] } };
  const t = (s: string) => parseNodeFieldSelector(s)!(n);
  assert.equal(t('displayName=approve'), true);
  assert.equal(t('displayName=approve,phase!=Running'), false);
  assert.equal(t('templateName==wait,type=Suspend'), true);
  assert.equal(t('inputs.parameters.tag.value=v1'), true);
  assert.equal(t('inputs.parameters.other.value=v1'), false);
  assert.equal(parseNodeFieldSelector(''), undefined);
  assert.throws(() => parseNodeFieldSelector('colour=red'), /unsupported node field "colour"/);
  assert.throws(() => parseNodeFieldSelector('nonsense'), /invalid node field selector term/);
});

test('label selectors: equality, set-based, existence; metav1.LabelSelector', () => {
  const r = parseLabelSelector('a=1,b!=2,c in (x, y),d notin (z),e,!f');
  assert.deepEqual(r.map((x) => [x.key, x.op, x.values]), [['a', 'in', ['1']], ['b', 'notin', ['2']], ['c', 'in', ['x', 'y']], ['d', 'notin', ['z']], ['e', 'exists', []], ['f', '!exists', []]]);
  assert.equal(matchLabels(r, { a: '1', c: 'y', e: '' }), true);
  assert.equal(matchLabels(r, { a: '1', c: 'y', e: '', f: '1' }), false);
  assert.equal(matchLabels(r, { a: '1', b: '2', c: 'y', e: '' }), false);
  assert.throws(() => parseLabelSelector('a in x'), /unable to parse/);
  // Kubernetes' numeric gt / lt (upstream's TestArchivedWorkflowService sends `foo>1`)
  const n = parseLabelSelector('foo>1,bar<10,c in (x,y)');
  assert.deepEqual(n.map((x) => [x.key, x.op, x.values]).sort(), [['c', 'in', ['x', 'y']], ['foo', 'gt', ['1']], ['bar', 'lt', ['10']]].sort());
  // the API server's own parser (apimachinery) says the same: `kubectl get -l 'foo>1'` works against Flotilla too
  const k8s = parseK8sLabelSelector('foo>1,bar<10');
  assert.deepEqual(k8s, [{ key: 'foo', op: 'gt', value: '1' }, { key: 'bar', op: 'lt', value: '10' }]);
  assert.deepEqual([k8sMatch(k8s, { foo: '2', bar: '9' }), k8sMatch(k8s, { foo: '1', bar: '9' }), k8sMatch(k8s, { foo: 'a', bar: '9' })], [true, false, false]);
  assert.equal(matchLabels(n, { foo: '2', bar: '9', c: 'x' }), true);
  assert.equal(matchLabels(n, { foo: '1', bar: '9', c: 'x' }), false);
  assert.equal(matchLabels(n, { foo: 'a', bar: '9', c: 'x' }), false, 'not an integer');
  assert.equal(matchLabels(n, { bar: '9', c: 'x' }), false, 'absent');
  assert.throws(() => parseLabelSelector('foo>x'), /must be an integer/);
  const s = fromLabelSelector({ matchLabels: { k: 'v' }, matchExpressions: [{ key: 'n', operator: 'DoesNotExist' }] });
  assert.equal(matchLabels(s, { k: 'v' }), true);
  assert.equal(matchLabels(s, { k: 'v', n: '1' }), false);
  assert.equal(matchLabels(fromLabelSelector(undefined), {}), true);
  assert.throws(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Near' }] }), /Near/);
  assert.deepEqual(parseKeyValues(['a=1', 'b=x=y'], 'p'), { a: '1', b: 'x=y' });
  assert.throws(() => parseKeyValues(['oops'], 'parameter'), /parameter "oops": expected name=value/);
});

test('submit from templates and cron workflows, submit options, resubmit', () => {
  const wft = workflowFrom('WorkflowTemplate', { metadata: { name: 't' }, spec: { workflowMetadata: { labels: { a: 'b' } } } }, 'ns1');
  assert.deepEqual(wft.metadata, { generateName: 't-', namespace: 'ns1', labels: { a: 'b', 'workflows.argoproj.io/workflow-template': 't' } });
  assert.deepEqual(wft.spec, { workflowTemplateRef: { name: 't' } });
  const cron = workflowFrom('cronworkflow', { metadata: { name: 'c', uid: 'u1' }, spec: { workflowSpec: { entrypoint: 'e' } } }, 'ns1');
  assert.equal(cron.spec.entrypoint, 'e');
  assert.equal((cron.metadata.ownerReferences as any[])[0].uid, 'u1');
  assert.throws(() => workflowFrom('Pod', {}, 'x'), /not supported/);
  const w = applySubmitOpts({ metadata: { generateName: 't-' }, spec: { arguments: { parameters: [{ name: 'a', valueFrom: { configMapKeyRef: { name: 'x', key: 'y' } } }] } } }, { name: 'fixed', parameters: ['a=1', 'b=2'], labels: 'l=1', annotations: 'n=2', entryPoint: 'e', serviceAccount: 'sa' });
  assert.equal(w.metadata.name, 'fixed');
  assert.equal(w.metadata.generateName, undefined);
  assert.deepEqual(w.spec.arguments!.parameters, [{ name: 'a', value: '1' }, { name: 'b', value: '2' }]);
  assert.deepEqual([w.metadata.labels, w.metadata.annotations, w.spec.entrypoint, w.spec.serviceAccountName], [{ l: '1' }, { n: '2' }, 'e', 'sa']);
  const old = { metadata: { name: 'w-abc', namespace: 'n', uid: 'u', labels: { keep: '1', 'workflows.argoproj.io/completed': 'true', 'workflows.argoproj.io/phase': 'Failed' } }, spec: { entrypoint: 'e', shutdown: 'Stop' }, status: { phase: 'Failed' } } as any;
  const re = resubmitOf(old, { parameters: ['x=1'] });
  assert.deepEqual(re.metadata, { generateName: 'w-abc-', namespace: 'n', labels: { keep: '1', 'workflows.argoproj.io/resubmitted-from-workflow': 'w-abc' } });
  assert.equal(re.spec.shutdown, undefined);
  assert.equal((re as any).status, undefined);
  assert.throws(() => resubmitOf({ ...old, status: { phase: 'Running' } }, { memoized: true }), /Failed\/Error/);
});

test('set: output parameters only on suspend nodes, phases checked', () => {
  const wf = { metadata: { name: 'w' }, spec: { templates: [{ name: 'approve', suspend: {}, outputs: { parameters: [{ name: 'a', valueFrom: { supplied: {} } }] } }] }, status: { nodes: { s: { id: 's', name: 'w.s', displayName: 's', type: 'Suspend', phase: 'Running', templateName: 'approve' }, p: { id: 'p', name: 'w.p', displayName: 'p', type: 'Pod', phase: 'Running' } } } } as any;
  const out = setNodes(wf, { nodeFieldSelector: 'displayName=s', phase: 'Succeeded', message: 'ok', outputParameters: '{"a":"1"}' });
  assert.equal(out.status!.nodes!.s!.phase, 'Succeeded');
  assert.ok(out.status!.nodes!.s!.finishedAt);
  assert.deepEqual(out.status!.nodes!.s!.outputs!.parameters, [{ name: 'a', value: '1' }]);
  assert.equal(wf.status.nodes.s.phase, 'Running', 'the input is not changed');
  assert.throws(() => setNodes(wf, { nodeFieldSelector: 'displayName=p', outputParameters: '{"a":"1"}' }), /not a suspend node/);
  assert.throws(() => setNodes(wf, { nodeFieldSelector: 'displayName=s', phase: 'Great' }), /phase "Great"/);
  assert.throws(() => setNodes(wf, { phase: 'Succeeded' }), /nodeFieldSelector is required/);
  assert.throws(() => setNodes(wf, { nodeFieldSelector: 'displayName=s', outputParameters: '{' }), /not a JSON object/);
});

test('controller ConfigMap: `config` key or one key per field; persistence checked; archiveTTL durations; table names', () => {
  const c = parseControllerConfig({ config: 'persistence:\n  archive: true\n  postgresql:\n    host: db\nparallelism: 3\n', links: '- name: a\n  url: b\n' });
  assert.equal(c.parallelism, 3);
  assert.deepEqual(c.links, [{ name: 'a', url: 'b' }]);
  assert.equal(persistenceOf(c)!.postgresql!.host, 'db');
  assert.equal(persistenceOf({}), undefined);
  assert.throws(() => persistenceOf({ persistence: { mysql: { host: 'm' } } }), /only persistence.postgresql/);
  assert.throws(() => persistenceOf({ persistence: { postgresql: {} } }), /host: is required/);
  assert.throws(() => persistenceOf({ persistence: { postgresql: { host: 'x' }, archiveTTL: 'forever' } }), /archiveTTL: "forever"/);
  assert.equal(parseTTL('7d'), 7 * 86_400_000);
  assert.equal(parseTTL('1d12h'), 36 * 3_600_000);
  assert.equal(parseTTL(''), 0);
  assert.equal(tablesFor().offload, 'argo_workflows');
  assert.throws(() => tablesFor('x; drop table y'), /not a plain SQL identifier/);
});

test('auth mode of a request: none → server, Bearer → client, Bearer v2: → sso, cookie (bare v2: too); modes not enabled → 401', async () => {
  const { Authenticator, DEFAULT_OPTIONS } = await import('./context.js');
  const { KubeClient } = await import('@flotilla/kube-runtime');
  const { httpStatus, fromKube } = await import('./http.js');
  const kube = new KubeClient({ url: 'https://127.0.0.1:1', token: 'server-token' });
  const auth = (modes: ('server' | 'client' | 'sso')[]) => new Authenticator({ opts: { ...DEFAULT_OPTIONS, authModes: modes }, kube, log: { debug() {}, info() {}, warn() {}, error() {} }, config: () => ({}) });
  const req = (headers: Record<string, string>) => ({ headers }) as any;
  const both = auth(['server', 'client']);
  assert.equal((await both.caller(req({}))).mode, 'server');
  const c = await both.caller(req({ authorization: 'Bearer abc' }));
  assert.equal(c.mode, 'client');
  assert.equal(c.kube.token, 'abc');
  assert.equal((await both.caller(req({ authorization: 'Bearer abc' }))).kube, c.kube, 'one client per token');
  assert.equal((await both.caller(req({ cookie: 'x=1; authorization=Bearer%20def' }))).kube.token, 'def');
  assert.equal((await both.caller(req({ cookie: 'authorization=ghi' }))).kube.token, 'ghi', 'a bare cookie value is a bearer token');
  // several authorization cookies (upstream's TestMultiCookieAuth): the well-formed one is used
  assert.equal((await both.caller(req({ cookie: 'authorization=invalid1; authorization=Bearer good; authorization=invalid2' }))).kube.token, 'good');
  assert.equal((await both.caller(req({ cookie: 'authorization=Bearer v2:xyz; authorization=Bearer other' }))).kube.token, 'other', 'an SSO token refused (sso not enabled): the next one');
  assert.equal((await both.caller(req({ authorization: 'Bearer hdr', cookie: 'authorization=Bearer ck' }))).kube.token, 'hdr', 'the header first');
  await assert.rejects(() => auth(['client']).caller(req({})), (e: any) => e.code === 16 && /auth mode "server" is not enabled/.test(e.message));
  assert.equal((await auth(['server']).caller(req({ authorization: 'Bearer abc' }))).mode, 'server', 'server-only ignores tokens');
  await assert.rejects(() => both.caller(req({ authorization: 'Bearer v2:xyz' })), /"sso" is not enabled/);
  await assert.rejects(() => both.caller(req({ cookie: 'authorization=v2:xyz' })), /"sso" is not enabled/);
  await assert.rejects(() => auth(['sso']).caller(req({ authorization: 'Bearer v2:xyz' })), /SSO is not configured/);
  await assert.rejects(() => both.caller(req({ authorization: 'Basic Zm9v' })), /Bearer <token>/);
  both.close();
  kube.close();
  assert.deepEqual([0, 3, 5, 6, 7, 9, 12, 16].map(httpStatus), [200, 400, 404, 409, 403, 400, 501, 401]);
  assert.equal(fromKube({ code: 403, message: 'forbidden' }).code, 7);
  assert.equal(fromKube({ code: 409, message: 'workflows "x" already exists' }).code, 6);
  assert.equal(fromKube({ code: 409, message: 'the object has been modified' }).code, 10);
  assert.equal(fromKube({ code: 422, message: 'invalid' }).code, 3);
});

test('memoized resubmit: successful nodes move to the new name (ids, children, boundaries), failed ones rerun', () => {
  const o = 'old-abcde';
  const id = (n: string) => nodeId(o, n);
  const wf = { metadata: { name: o, namespace: 'n', labels: {} }, spec: { entrypoint: 'main' }, status: { phase: 'Failed', nodes: {
    [o]: { id: o, name: o, displayName: o, type: 'Steps', phase: 'Failed', children: [id(`${o}[0]`)], outboundNodes: [id(`${o}[1].b`)] },
    [id(`${o}[0]`)]: { id: id(`${o}[0]`), name: `${o}[0]`, displayName: '[0]', type: 'StepGroup', phase: 'Succeeded', boundaryID: o, children: [id(`${o}[0].a`)] },
    [id(`${o}[0].a`)]: { id: id(`${o}[0].a`), name: `${o}[0].a`, displayName: 'a', type: 'Pod', phase: 'Succeeded', boundaryID: o, templateName: 'ok', outputs: { result: 'hi' }, children: [id(`${o}[1]`)] },
    [id(`${o}[1]`)]: { id: id(`${o}[1]`), name: `${o}[1]`, displayName: '[1]', type: 'StepGroup', phase: 'Failed', boundaryID: o, children: [id(`${o}[1].b`)] },
    [id(`${o}[1].b`)]: { id: id(`${o}[1].b`), name: `${o}[1].b`, displayName: 'b', type: 'Pod', phase: 'Failed', boundaryID: o, templateName: 'ok' },
  } } } as any;
  const nw = 'old-xyz12';
  const out = memoizedResubmit(wf, nw);
  assert.equal(out.metadata.name, nw);
  assert.equal(out.metadata.generateName, undefined);
  assert.equal(out.metadata.labels!['workflows.argoproj.io/resubmitted-from-workflow'], o);
  assert.equal(out.status!.phase, 'Running');
  const nid = (n: string) => nodeId(nw, n);
  assert.deepEqual(Object.keys(out.status!.nodes!).sort(), [nw, nid(`${nw}[0]`), nid(`${nw}[0].a`), nid(`${nw}[1]`)].sort());
  const a = out.status!.nodes![nid(`${nw}[0].a`)]!;
  assert.deepEqual([a.name, a.phase, a.boundaryID, a.outputs], [`${nw}[0].a`, 'Succeeded', nw, { result: 'hi' }]);
  assert.deepEqual(a.children, [nid(`${nw}[1]`)]);
  assert.equal(out.status!.nodes![nw]!.displayName, nw);
  assert.throws(() => memoizedResubmit({ ...wf, status: { phase: 'Succeeded', nodes: {} } }, 'x'), /Failed\/Error/);
});

test('event source / sensor pod logs as upstream\'s LogEntry: the JSON line\'s fields, else the line as msg', () => {
  assert.deepEqual(logEntry('ev', 'sensorName', 'webhook', JSON.stringify({ level: 'info', ts: '2026-01-01T00:00:00Z', msg: 'trigger done', triggerName: 't1' })), { namespace: 'ev', sensorName: 'webhook', level: 'info', time: '2026-01-01T00:00:00Z', msg: 'trigger done', triggerName: 't1' });
  assert.deepEqual(logEntry('ev', 'eventSourceName', 'w', 'plain text'), { namespace: 'ev', eventSourceName: 'w', msg: 'plain text' });
  assert.deepEqual(logEntry('ev', 'eventSourceName', 'w', '[1,2]'), { namespace: 'ev', eventSourceName: 'w', msg: '[1,2]' });
});

test('node rules (upstream\'s CLISuite TestArgoSetOutputs, TestNodeSuspendResume): set once, only declared supplied outputs; resume needs them; stop fails the selected suspend node; who resumed', () => {
  const wf = {
    metadata: { name: 'w' },
    spec: { templates: [
      { name: 'approve', suspend: {}, outputs: { parameters: [{ name: 'message', valueFrom: { supplied: {} } }] } },
      { name: 'approve-no-vars', suspend: {} },
      { name: 'defaulted', suspend: {}, outputs: { parameters: [{ name: 'x', valueFrom: { supplied: {}, default: 'd' } }] } },
    ] },
    status: { phase: 'Running', nodes: {
      a: { id: 'a', name: 'w[0].approve', displayName: 'approve', type: 'Suspend', phase: 'Running', templateName: 'approve' },
      b: { id: 'b', name: 'w[0].approve-no-vars', displayName: 'approve-no-vars', type: 'Suspend', phase: 'Running', templateName: 'approve-no-vars', message: 'waiting' },
      c: { id: 'c', name: 'w[0].defaulted', displayName: 'defaulted', type: 'Suspend', phase: 'Running', templateName: 'defaulted' },
    } },
  } as any;
  assert.throws(() => resumeNodes(wf), /^Error: output parameter 'message' of node approve has not been set and does not have a default value$/);
  // a selector that leaves the unset node out resumes the others (the defaulted one needs nothing)
  const some = resumeNodes(wf, { nodeFieldSelector: 'displayName!=approve' });
  assert.equal(some.status!.nodes!.a!.phase, 'Running');
  assert.equal(some.status!.nodes!.b!.phase, 'Succeeded');
  assert.equal(some.status!.nodes!.b!.message, 'waiting', 'nobody known: the message stays');
  assert.equal(some.status!.nodes!.c!.phase, 'Succeeded');
  assert.throws(() => setNodes(wf, { nodeFieldSelector: 'displayName=approve-no-vars', outputParameters: '{"message":"x"}' }), /^Error: cannot set output parameters because node is not expecting any raw parameters$/);
  assert.throws(() => setNodes(wf, { nodeFieldSelector: 'displayName=approve', outputParameters: '{"other":"x"}' }), /not expecting output parameter 'other'/);
  const set = setNodes(wf, { nodeFieldSelector: 'displayName=approve', outputParameters: '{"message":"Hello, World!"}' });
  assert.deepEqual(set.status!.nodes!.a!.outputs!.parameters, [{ name: 'message', value: 'Hello, World!' }]);
  assert.throws(() => setNodes(set, { nodeFieldSelector: 'displayName=approve', outputParameters: '{"message":"again"}' }), /^Error: cannot set output parameter 'message' because it was already set$/);
  const msg = setNodes(set, { nodeFieldSelector: 'displayName=approve', message: 'Test message' });
  const who = userInfoMap({ user: 'system:serviceaccount:argo:argo-server' });
  assert.equal(who, 'map[User:system:serviceaccount:argo:argo-server]');
  const all = resumeNodes(msg, { who });
  assert.equal(all.status!.nodes!.a!.phase, 'Succeeded');
  assert.equal(all.status!.nodes!.a!.message, 'Test message; Resumed by: map[User:system:serviceaccount:argo:argo-server]');
  assert.equal(all.status!.nodes!.c!.message, 'Resumed by: map[User:system:serviceaccount:argo:argo-server]');
  assert.equal(userInfoMap({ user: 'u', email: 'my@email', preferredUsername: 'name' }), 'map[Email:my@email PreferredUsername:name User:u]', "Go's map printing: keys sorted");
  assert.equal(userInfoMap({}), undefined);
  // stop with a selector: only the selected running suspend node fails, with the message; the workflow is not shut down
  const stopped = stopNodes(wf, 'displayName=approve', 'because');
  assert.equal(stopped.status!.nodes!.a!.phase, 'Failed');
  assert.equal(stopped.status!.nodes!.a!.message, 'because');
  assert.ok(stopped.status!.nodes!.a!.finishedAt);
  assert.equal(stopped.status!.nodes!.b!.phase, 'Running');
  assert.equal(stopped.spec.shutdown, undefined);
  assert.throws(() => stopNodes(wf, 'displayName=nobody'), /no running suspend node/);
  assert.throws(() => stopNodes({ ...wf, status: { ...wf.status, phase: 'Succeeded' } }, 'displayName=approve'), /completed/);
  // the JWT claims of a token (unverified), none for other tokens
  const jwt = (o: object) => `x.${Buffer.from(JSON.stringify(o)).toString('base64url')}.y`;
  assert.deepEqual(jwtClaims(jwt({ sub: 'system:serviceaccount:argo:reader' })), { sub: 'system:serviceaccount:argo:reader' });
  assert.equal(jwtClaims('opaque-token'), undefined);
  assert.equal(callerIdentity({ mode: 'client', token: jwt({ sub: 's', email: 'e@x' }) } as any), 'map[Email:e@x User:s]');
  assert.equal(callerIdentity({ mode: 'server' } as any), undefined);
});
