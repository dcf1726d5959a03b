/**
 * Every `kubectl create` sub-command, with the real kubectl against a fresh API server. kubectl's
 * typed clients send these as protobuf (application/vnd.kubernetes.protobuf); each test checks the
 * stored object (kubectl get -o json) has what the command set, and — where the command can print
 * its object — that it equals the object stored from the JSON form of the same command
 * (`--dry-run=client -o json | kubectl create -f -`), i.e. protobuf and JSON clients get the same.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster, writeTemp, type TestCluster } from './testutil.js';

let c: TestCluster;
const NS = 'cr';

/** `kubectl create <args>` (must succeed), then the stored object. */
async function create(args: string[], ns: string | undefined = NS): Promise<any> {
  const nsArgs = ns ? ['-n', ns] : [];
  const name = (await c.k(['create', ...nsArgs, '-o', 'name', ...args])).trim();
  return JSON.parse(await c.k(['get', ...nsArgs, name, '-o', 'json']));
}

/**
 * Server-assigned fields and the object's own name removed, so two objects can be compared. Null
 * fields are dropped: Go's JSON writes a nil list without omitempty as null (`rules: null` of an
 * aggregated ClusterRole), protobuf does not write it at all, and Kubernetes reads both as unset.
 */
function normalize(o: any, name: string): any {
  const text = JSON.stringify(o, (_k, v) => (v === null ? undefined : v)).replaceAll(name, 'NAME');
  const x = JSON.parse(text);
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation']) delete x.metadata[k];
  if (x.spec?.clusterIP) delete x.spec.clusterIP;
  if (x.spec?.clusterIPs) delete x.spec.clusterIPs;
  for (const p of x.spec?.ports ?? []) delete p.nodePort;
  const uid = o.metadata?.uid;
  return uid ? JSON.parse(JSON.stringify(x).replaceAll(uid, 'UID')) : x;
}

/**
 * `kubectl create <args with NAME>` through protobuf, and the same through JSON; asserts both
 * stored the same object and returns the one created through protobuf.
 */
async function createBoth(args: string[], base: string, ns: string | undefined = NS): Promise<any> {
  const nsArgs = ns ? ['-n', ns] : [];
  const withName = (n: string) => args.map((a) => a.replaceAll('NAME', n));
  const viaProto = await create(withName(`${base}-pb`), ns);
  const dry = await c.k(['create', ...nsArgs, '--dry-run=client', '-o', 'json', ...withName(`${base}-js`)]);
  const jsName = (await c.k(['create', ...nsArgs, '-o', 'name', '-f', '-'], { input: dry })).trim();
  const viaJson = JSON.parse(await c.k(['get', ...nsArgs, jsName, '-o', 'json']));
  assert.deepEqual(normalize(viaProto, `${base}-pb`), normalize(viaJson, `${base}-js`), 'protobuf and JSON creates store the same object');
  return viaProto;
}

const jwtClaims = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());

describe('kubectl create: every sub-command', { timeout: 600_000 }, () => {
  before(async () => {
    c = await startTestCluster();
    await c.k(['create', 'namespace', NS]);
    await c.k(['create', 'serviceaccount', 'robot', '-n', NS]);
  });
  after(async () => {
    await c?.close();
  });

  it('clusterrole', async () => {
    const cr = await createBoth(['clusterrole', 'NAME', '--verb=get,list,watch', '--resource=pods,deployments.apps', '--resource-name=a'], 'reader', undefined);
    assert.deepEqual(cr.rules, [
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] },
      { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['a'] },
    ]);
    const nr = await create(['clusterrole', 'health', '--verb=get', '--non-resource-url=/healthz', '--non-resource-url=/livez'], undefined);
    assert.deepEqual(nr.rules, [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez'] }]);
    const agg = await createBoth(['clusterrole', 'NAME', '--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true'], 'monitoring', undefined);
    assert.deepEqual(agg.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } }] });
  });

  it('clusterrolebinding', async () => {
    const b = await createBoth(['clusterrolebinding', 'NAME', '--clusterrole=view', '--user=alice', '--group=devs', `--serviceaccount=${NS}:robot`], 'viewers', undefined);
    assert.deepEqual(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    assert.deepEqual(
      b.subjects.map((s: any) => [s.kind, s.name, s.namespace ?? '']),
      [['User', 'alice', ''], ['Group', 'devs', ''], ['ServiceAccount', 'robot', NS]],
    );
  });

  it('configmap --from-literal, --from-file (text, binary, directory) and --from-env-file', async () => {
    const lit = await createBoth(['configmap', 'NAME', '--from-literal=a=1', '--from-literal=b=two words'], 'lit');
    assert.deepEqual(lit.data, { a: '1', b: 'two words' });
    const text = writeTemp(c.dir, 'app.properties', 'color=blue\nsize=3\n');
    const bin = join(c.dir, 'blob.bin');
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x01]);
    writeFileSync(bin, bytes);
    const f = await createBoth(['configmap', 'NAME', `--from-file=${text}`, `--from-file=blob=${bin}`], 'files');
    assert.deepEqual(f.data, { 'app.properties': 'color=blue\nsize=3\n' });
    assert.deepEqual(f.binaryData, { blob: bytes.toString('base64') });
    const dir = join(c.dir, 'conf.d');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.conf'), 'a=1\n');
    writeFileSync(join(dir, 'b.conf'), 'b=2\n');
    const d = await createBoth(['configmap', 'NAME', `--from-file=${dir}`], 'dir');
    assert.deepEqual(d.data, { 'a.conf': 'a=1\n', 'b.conf': 'b=2\n' });
    const env = writeTemp(c.dir, 'app.env', 'A=1\nB=hello\n');
    const e = await createBoth(['configmap', 'NAME', `--from-env-file=${env}`], 'env');
    assert.deepEqual(e.data, { A: '1', B: 'hello' });
  });

  it('cronjob', async () => {
    const cj = await createBoth(['cronjob', 'NAME', '--image=busybox:1.36', '--schedule=*/5 * * * *', '--restart=Never', '--', 'sh', '-c', 'date'], 'tick');
    assert.equal(cj.spec.schedule, '*/5 * * * *');
    const pod = cj.spec.jobTemplate.spec.template.spec;
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(pod.containers[0].image, 'busybox:1.36');
    assert.deepEqual(pod.containers[0].command, ['sh', '-c', 'date']);
    assert.equal(cj.spec.concurrencyPolicy, 'Allow');
  });

  it('deployment (and a sent zero of a pointer field: --replicas=0)', async () => {
    const d = await createBoth(['deployment', 'NAME', '--image=nginx:1.25', '--replicas=3', '--port=8080'], 'web');
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.spec.selector.matchLabels, { app: 'web-pb' });
    assert.deepEqual(d.spec.template.metadata.labels, { app: 'web-pb' });
    const ctr = d.spec.template.spec.containers[0];
    assert.equal(ctr.name, 'nginx');
    assert.equal(ctr.image, 'nginx:1.25');
    assert.deepEqual(ctr.ports, [{ containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(ctr.resources, {});
    assert.equal(ctr.stdin, undefined, 'zero values of value fields are omitted, as JSON omits them');
    assert.equal(d.spec.template.metadata.creationTimestamp, null);
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    const zero = await createBoth(['deployment', 'NAME', '--image=nginx', '--replicas=0'], 'idle');
    assert.equal(zero.spec.replicas, 0, 'replicas: 0 was sent and is not defaulted to 1');
    // server-side dry run through protobuf stores nothing
    assert.match(await c.k(['create', 'deployment', 'dry', '-n', NS, '--image=nginx', '--dry-run=server', '-o', 'name']), /deployment.apps\/dry/);
    assert.equal((await c.req('GET', `/apis/apps/v1/namespaces/${NS}/deployments/dry`)).status, 404);
  });

  it('ingress', async () => {
    const ing = await createBoth(
      ['ingress', 'NAME', '--class=nginx', '--rule=foo.com/bar=svc1:8080,tls=my-cert', '--rule=bar.com/*=svc2:http', '--default-backend=defsvc:80', '--annotation=team=web'],
      'site',
    );
    assert.equal(ing.spec.ingressClassName, 'nginx');
    assert.deepEqual(ing.metadata.annotations, { team: 'web' });
    assert.deepEqual(ing.spec.defaultBackend, { service: { name: 'defsvc', port: { number: 80 } } });
    assert.deepEqual(ing.spec.tls, [{ hosts: ['foo.com'], secretName: 'my-cert' }]);
    assert.deepEqual(ing.spec.rules, [
      { host: 'foo.com', http: { paths: [{ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { number: 8080 } } } }] } },
      { host: 'bar.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'svc2', port: { name: 'http' } } } }] } },
    ]);
  });

  it('job, and job --from=cronjob/NAME', async () => {
    const j = await createBoth(['job', 'NAME', '--image=busybox', '--', 'echo', 'hi'], 'once');
    assert.deepEqual(j.spec.template.spec.containers[0].command, ['echo', 'hi']);
    assert.equal(j.spec.template.spec.restartPolicy, 'Never');
    await c.k(['create', 'cronjob', 'nightly', '-n', NS, '--image=busybox', '--schedule=0 3 * * *', '--', 'echo', 'backup']);
    const cj = JSON.parse(await c.k(['get', 'cronjob', 'nightly', '-n', NS, '-o', 'json']));
    const fromCj = await create(['job', 'manual-run', '--from=cronjob/nightly']);
    assert.equal(fromCj.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.deepEqual(fromCj.metadata.ownerReferences, [
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: cj.metadata.uid, controller: true },
    ]);
    assert.deepEqual(fromCj.spec.template.spec.containers[0].command, ['echo', 'backup']);
    assert.equal(fromCj.spec.template.spec.restartPolicy, 'OnFailure');
  });

  it('namespace', async () => {
    const ns = await createBoth(['namespace', 'NAME'], 'team', undefined);
    assert.equal(ns.status.phase, 'Active');
    assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
    assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'team-pb');
  });

  it('poddisruptionbudget (IntOrString as string and as number)', async () => {
    const pct = await createBoth(['poddisruptionbudget', 'NAME', '--selector=app=web', '--min-available=50%'], 'half');
    assert.equal(pct.spec.minAvailable, '50%');
    assert.deepEqual(pct.spec.selector, { matchLabels: { app: 'web' } });
    const one = await createBoth(['poddisruptionbudget', 'NAME', '--selector=app=web', '--max-unavailable=1'], 'one');
    assert.equal(one.spec.maxUnavailable, 1);
    assert.equal(one.spec.minAvailable, undefined);
  });

  it('priorityclass', async () => {
    const pc = await createBoth(['priorityclass', 'NAME', '--value=1000', '--description=batch work', '--preemption-policy=Never'], 'batch', undefined);
    assert.equal(pc.value, 1000);
    assert.equal(pc.description, 'batch work');
    assert.equal(pc.preemptionPolicy, 'Never');
    assert.equal(pc.globalDefault, undefined);
  });

  it('quota', async () => {
    const q = await createBoth(['quota', 'NAME', '--hard=cpu=1,memory=1Gi,pods=2,count/configmaps=5', '--scopes=BestEffort'], 'small');
    assert.deepEqual(q.spec.hard, { cpu: '1', memory: '1Gi', pods: '2', 'count/configmaps': '5' });
    assert.deepEqual(q.spec.scopes, ['BestEffort']);
  });

  it('role', async () => {
    const r = await createBoth(['role', 'NAME', '--verb=get,list', '--resource=pods,pods/log,deployments.apps/scale', '--resource-name=x'], 'pod-reader');
    assert.deepEqual(r.rules, [
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'], resourceNames: ['x'] },
      { verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['x'] },
    ]);
  });

  it('rolebinding', async () => {
    const rb = await createBoth(['rolebinding', 'NAME', '--role=pod-reader-pb', '--user=bob', `--serviceaccount=${NS}:robot`], 'readers');
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader-pb' });
    assert.deepEqual(rb.subjects.map((s: any) => [s.kind, s.name]), [['User', 'bob'], ['ServiceAccount', 'robot']]);
    const cr = await createBoth(['rolebinding', 'NAME', '--clusterrole=view', '--group=devs'], 'viewers');
    assert.deepEqual(cr.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    assert.deepEqual(cr.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'devs' }]);
  });

  it('secret docker-registry', async () => {
    const s = await createBoth(['secret', 'docker-registry', 'NAME', '--docker-server=registry.example:5000', '--docker-username=u', '--docker-password=p@ss', '--docker-email=u@example.com'], 'pull');
    assert.equal(s.type, 'kubernetes.io/dockerconfigjson');
    const cfg = JSON.parse(Buffer.from(s.data['.dockerconfigjson'], 'base64').toString());
    assert.deepEqual(cfg.auths['registry.example:5000'], { username: 'u', password: 'p@ss', email: 'u@example.com', auth: Buffer.from('u:p@ss').toString('base64') });
  });

  it('secret generic', async () => {
    const file = writeTemp(c.dir, 'id.txt', 'line1\nline2\n');
    const s = await createBoth(['secret', 'generic', 'NAME', '--from-literal=password=s3cret', `--from-file=id=${file}`, '--type=example.com/custom'], 'creds');
    assert.equal(s.type, 'example.com/custom');
    assert.equal(Buffer.from(s.data.password, 'base64').toString(), 's3cret');
    assert.equal(Buffer.from(s.data.id, 'base64').toString(), 'line1\nline2\n');
    const opaque = await create(['secret', 'generic', 'plain', '--from-literal=k=v']);
    assert.equal(opaque.type, 'Opaque');
  });

  it('secret tls', async () => {
    const pki = join(c.dir, 'data', 'pki');
    const s = await createBoth(['secret', 'tls', 'NAME', `--cert=${join(pki, 'server.crt')}`, `--key=${join(pki, 'server.key')}`], 'tls');
    assert.equal(s.type, 'kubernetes.io/tls');
    assert.match(Buffer.from(s.data['tls.crt'], 'base64').toString(), /^-----BEGIN CERTIFICATE-----/);
    assert.match(Buffer.from(s.data['tls.key'], 'base64').toString(), /PRIVATE KEY-----/);
  });

  it('service clusterip (and headless)', async () => {
    const s = await createBoth(['service', 'clusterip', 'NAME', '--tcp=80:8080', '--tcp=443:https'], 'api');
    assert.equal(s.spec.type, 'ClusterIP');
    assert.deepEqual(s.spec.selector, { app: 'api-pb' });
    assert.deepEqual(
      s.spec.ports.map((p: any) => [p.name, p.port, p.targetPort, p.protocol]),
      [['80-8080', 80, 8080, 'TCP'], ['443-https', 443, 'https', 'TCP']],
    );
    assert.match(s.spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
    const headless = await createBoth(['service', 'clusterip', 'NAME', '--clusterip=None'], 'db');
    assert.equal(headless.spec.clusterIP, 'None');
  });

  it('service externalname', async () => {
    const s = await createBoth(['service', 'externalname', 'NAME', '--external-name=db.example.com', '--tcp=5432'], 'ext');
    assert.equal(s.spec.type, 'ExternalName');
    assert.equal(s.spec.externalName, 'db.example.com');
    assert.equal(s.spec.clusterIP, undefined);
    assert.equal(s.spec.ports[0].port, 5432);
  });

  it('service loadbalancer', async () => {
    const s = await createBoth(['service', 'loadbalancer', 'NAME', '--tcp=80:8080'], 'lb');
    assert.equal(s.spec.type, 'LoadBalancer');
    assert.equal(s.spec.ports[0].targetPort, 8080);
    assert.ok(s.spec.ports[0].nodePort >= 30000 && s.spec.ports[0].nodePort <= 32767);
  });

  it('service nodeport (and kubectl expose)', async () => {
    const s = await createBoth(['service', 'nodeport', 'NAME', '--tcp=80:8080'], 'np');
    assert.equal(s.spec.type, 'NodePort');
    assert.equal(s.spec.ports[0].port, 80);
    assert.equal(s.spec.ports[0].targetPort, 8080);
    assert.ok(s.spec.ports[0].nodePort >= 30000 && s.spec.ports[0].nodePort <= 32767);
    const fixed = await create(['service', 'nodeport', 'fixed', '--tcp=80:8080', '--node-port=30999']);
    assert.equal(fixed.spec.ports[0].nodePort, 30999);
    await c.k(['create', 'deployment', 'exposed', '-n', NS, '--image=nginx']);
    assert.match(await c.k(['expose', 'deployment', 'exposed', '-n', NS, '--port=80', '--target-port=8080']), /service\/exposed exposed/);
    const ex = JSON.parse(await c.k(['get', 'svc', 'exposed', '-n', NS, '-o', 'json']));
    assert.deepEqual(ex.spec.selector, { app: 'exposed' });
    assert.equal(ex.spec.ports[0].targetPort, 8080);
  });

  it('serviceaccount', async () => {
    const sa = await createBoth(['serviceaccount', 'NAME'], 'builder');
    assert.equal(sa.metadata.namespace, NS);
    assert.equal(sa.kind, 'ServiceAccount');
    assert.match(await c.k(['get', 'sa', '-n', NS]), /^builder-pb\s+0\s+\d+s/m);
  });

  it('token: audiences, duration, bound objects, and the token authenticates as the account', async () => {
    const t = (await c.k(['create', 'token', 'robot', '-n', NS])).trim();
    const claims = jwtClaims(t);
    assert.equal(claims.sub, `system:serviceaccount:${NS}:robot`);
    assert.equal(claims.exp - claims.iat, 3600);
    const who = JSON.parse(await c.k(['auth', 'whoami', `--token=${t}`, '-o', 'json']));
    assert.equal(who.status.userInfo.username, `system:serviceaccount:${NS}:robot`);

    const custom = jwtClaims((await c.k(['create', 'token', 'robot', '-n', NS, '--duration=20m', '--audience=api-a', '--audience=api-b'])).trim());
    assert.equal(custom.exp - custom.iat, 1200);
    assert.deepEqual(custom.aud, ['api-a', 'api-b']);

    const short = await c.kubectl(['create', 'token', 'robot', '-n', NS, '--duration=5m']);
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /spec\.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/);

    await c.k(['create', 'secret', 'generic', 'anchor', '-n', NS, '--from-literal=a=b']);
    const anchor = JSON.parse(await c.k(['get', 'secret', 'anchor', '-n', NS, '-o', 'json']));
    const out = JSON.parse(await c.k(['create', 'token', 'robot', '-n', NS, '--bound-object-kind=Secret', '--bound-object-name=anchor', '-o', 'json']));
    assert.deepEqual(out.spec.boundObjectRef, { kind: 'Secret', apiVersion: 'v1', name: 'anchor', uid: anchor.metadata.uid });
    assert.deepEqual(jwtClaims(out.status.token)['kubernetes.io'].secret, { name: 'anchor', uid: anchor.metadata.uid });

    const missing = await c.kubectl(['create', 'token', 'robot', '-n', NS, '--bound-object-kind=Pod', '--bound-object-name=nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /pods "nope" not found/);
    const wrongUid = await c.kubectl(['create', 'token', 'robot', '-n', NS, '--bound-object-kind=Secret', '--bound-object-name=anchor', '--bound-object-uid=not-it']);
    assert.notEqual(wrongUid.code, 0);
    assert.match(wrongUid.stderr, /does not match the UID in record/);
    const noSa = await c.kubectl(['create', 'token', 'ghost', '-n', NS]);
    assert.notEqual(noSa.code, 0);
    assert.match(noSa.stderr, /serviceaccounts "ghost" not found/);
  });
});
