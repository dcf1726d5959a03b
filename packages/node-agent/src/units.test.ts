/** Pure pieces: $(VAR) expansion, quantities, service links, image references, log selection. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandVars, parseQuantity, resourceValue, serviceEnv } from './expand.js';
import { ARGOEXEC_PROGRAM, ImageTable, parseImage } from './images.js';
import { parseRecord, selectRecords, formatRecord, type LogRecord } from './logs.js';
import { plainRewriter, findExecutable } from './sandbox.js';
import { Ipam } from './ipam.js';
import { fieldRefValue, formatMap } from './volumes.js';
import { dnsRecords, resolvConf, serviceTable } from './services.js';

describe('$(VAR) expansion', () => {
  const env: Record<string, string> = { A: 'a', B: 'b-$(A)', EMPTY: '' };
  const look = (k: string) => env[k];
  it('replaces defined variables and keeps undefined ones', () => {
    assert.equal(expandVars('x-$(A)-y', look), 'x-a-y');
    assert.equal(expandVars('$(NOPE)/$(A)', look), '$(NOPE)/a');
    assert.equal(expandVars('[$(EMPTY)]', look), '[]');
  });
  it('$$ escapes, lone $ and unterminated references are kept', () => {
    assert.equal(expandVars('$$(A)', look), '$(A)');
    assert.equal(expandVars('$$$(A)', look), '$a');
    assert.equal(expandVars('cost: $5 $', look), 'cost: $5 $');
    assert.equal(expandVars('$(A', look), '$(A');
    assert.equal(expandVars('$HOME and ${A}', look), '$HOME and ${A}');
  });
  it('does not expand recursively', () => {
    assert.equal(expandVars('$(B)', look), 'b-$(A)');
  });
});

describe('quantities', () => {
  it('parses Kubernetes quantities', () => {
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('2'), 2);
    assert.equal(parseQuantity('128Mi'), 128 * 1024 * 1024);
    assert.equal(parseQuantity('1G'), 1e9);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.ok(Number.isNaN(parseQuantity('12XB')));
  });
  it('resourceFieldRef values are rounded up to the divisor', () => {
    assert.equal(resourceValue(0.5, undefined), '1');
    assert.equal(resourceValue(0.5, '1m'), '500');
    assert.equal(resourceValue(128 * 1024 * 1024, '1Mi'), '128');
    assert.equal(resourceValue(1000, '1Ki'), '1');
  });
});

describe('service links', () => {
  it('sets the Docker-link style variables', () => {
    const e = serviceEnv('my-svc', '10.96.0.7', [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'metrics', port: 9090 },
    ]);
    assert.equal(e.MY_SVC_SERVICE_HOST, '10.96.0.7');
    assert.equal(e.MY_SVC_SERVICE_PORT, '80');
    assert.equal(e.MY_SVC_SERVICE_PORT_METRICS, '9090');
    assert.equal(e.MY_SVC_PORT, 'tcp://10.96.0.7:80');
    assert.equal(e.MY_SVC_PORT_9090_TCP_ADDR, '10.96.0.7');
    assert.equal(e.MY_SVC_PORT_80_TCP_PROTO, 'tcp');
  });
});

describe('images', () => {
  it('parses references', () => {
    assert.deepEqual(parseImage('busybox'), { image: 'busybox', repo: 'busybox', tag: 'latest', digest: undefined });
    assert.equal(parseImage('docker.io/library/alpine:3.19').repo, 'alpine');
    assert.equal(parseImage('argoproj/rollouts-demo:blue').tag, 'blue');
    assert.equal(parseImage('localhost:5000/x/y:1').repo, 'localhost:5000/x/y');
    assert.equal(parseImage('quay.io/argoproj/argocd@sha256:abc').digest, 'sha256:abc');
  });
  it('resolves the table: defaults, options, repo:tag before repo', () => {
    const t = new ImageTable({ 'my/app:2': { entrypoint: ['/bin/two'] }, 'my/app': { entrypoint: ['/bin/any'] } }, '/nonexistent/images.json');
    const r = t.resolve('docker.io/library/busybox:1.36');
    assert.ok(!('error' in r) && r.key === 'busybox');
    const two = t.resolve('my/app:2');
    assert.ok(!('error' in two) && two.mapping.entrypoint![0] === '/bin/two');
    const any = t.resolve('my/app:3');
    assert.ok(!('error' in any) && any.mapping.entrypoint![0] === '/bin/any');
    const none = t.resolve('example.com/web:1.25');
    assert.ok('error' in none);
    assert.match(none.error, /image "example\.com\/web:1\.25" has no local program/);
    assert.match(none.error, /\/nonexistent\/images\.json/);
  });
  it("Flotilla's image and the upstream Argo images run Flotilla's entry points by their program names", () => {
    const t = new ImageTable({}, '/nonexistent/images.json');
    const own = t.resolve('flotilla/flotilla:0.1.0');
    assert.ok(!('error' in own));
    assert.deepEqual(own.mapping.commands!.argo, ['{node}', '{flotilla}', 'argo']);
    assert.deepEqual(own.mapping.commands!['/usr/local/bin/argoexec'], ARGOEXEC_PROGRAM);
    assert.match(ARGOEXEC_PROGRAM[1]!, /workflows-executor\/argoexec\.sh$/);
    const ex = t.resolve('quay.io/argoproj/argoexec:v3.6.2');
    assert.deepEqual('error' in ex ? ex.error : ex.mapping.commands?.argoexec, ARGOEXEC_PROGRAM);
    const wc = t.resolve('quay.io/argoproj/workflow-controller:v3.6.2');
    assert.ok(!('error' in wc));
    assert.deepEqual(wc.mapping.commands!['workflow-controller'], ['{node}', '{flotilla}', 'workflow-controller']);
    const ev = t.resolve('quay.io/argoproj/argo-events:v1.9.2');
    assert.ok(!('error' in ev));
    assert.deepEqual(ev.mapping.entrypoint, ['{node}', '{flotilla}', 'argo-events']);
    // the Docker Hub name upstream's tests use for the CLI image (argo_server_test's archived-stopped workflow)
    const cli = t.resolve('argoproj/argocli:latest');
    assert.ok(!('error' in cli), JSON.stringify(cli));
    assert.deepEqual(cli.mapping.commands!.argo, ['{node}', '{flotilla}', 'argo']);
  });
});

describe('logs', () => {
  const recs: LogRecord[] = [
    { ts: '2024-01-01T00:00:01.000000000Z', stream: 'stdout', partial: false, text: 'one' },
    { ts: '2024-01-01T00:00:02.000000000Z', stream: 'stderr', partial: false, text: 'two' },
    { ts: '2024-01-01T00:00:03.000000000Z', stream: 'stdout', partial: true, text: 'thr' },
    { ts: '2024-01-01T00:00:03.500000000Z', stream: 'stdout', partial: false, text: 'ee' },
  ];
  it('parses CRI records', () => {
    assert.deepEqual(parseRecord('2024-01-01T00:00:01.5Z stdout F hello world'), { ts: '2024-01-01T00:00:01.5Z', stream: 'stdout', partial: false, text: 'hello world' });
    assert.equal(parseRecord('2024-01-01T00:00:01.5Z stdout F ')?.text, '');
    assert.equal(parseRecord('garbage'), undefined);
  });
  it('tailLines counts full lines, partial records join the line they end', () => {
    assert.equal(selectRecords(recs, { tailLines: 1 }).map((r) => formatRecord(r, false)).join(''), 'three\n');
    assert.equal(selectRecords(recs, { tailLines: 2 }).length, 3);
    assert.equal(selectRecords(recs, { tailLines: 0 }).length, 0);
    assert.equal(selectRecords(recs, { sinceMs: Date.parse('2024-01-01T00:00:02Z') }).length, 3);
    assert.equal(formatRecord(recs[0], true), '2024-01-01T00:00:01.000000000Z one\n');
  });
});

describe('plain mode', () => {
  it('rewrites absolute paths under mount paths into the pod directory', () => {
    const rw = plainRewriter({ mounts: [{ host: '/h/cfg', path: '/etc/config' }, { host: '/h/data', path: '/data' }], files: [], fsRoot: '/pod/fs', workingDir: undefined });
    assert.equal(rw('cat /etc/config/key'), 'cat /pod/fs/etc/config/key');
    assert.equal(rw('/data'), '/pod/fs/data');
    assert.equal(rw('--dir=/data/x'), '--dir=/pod/fs/data/x');
    assert.equal(rw('/database /etc/configs'), '/database /etc/configs');
  });
  it('finds programs on PATH and through mounts', () => {
    assert.equal(findExecutable('sh', '/usr/bin:/bin', [], undefined), '/usr/bin/sh');
    assert.equal(findExecutable('definitely-not-a-program', '/usr/bin:/bin', [], undefined), undefined);
    assert.equal(findExecutable('/scripts/sh', '', [{ host: '/usr/bin', path: '/scripts' }], undefined), '/scripts/sh');
  });
});

describe('pod addresses and downward API', () => {
  it('gives distinct loopback addresses and reuses released ones later', () => {
    const ipam = new Ipam();
    const a = ipam.allocate();
    const b = ipam.allocate();
    assert.notEqual(a, b);
    assert.match(a, /^127\.1\.0\.\d+$/);
    ipam.reserve('127.1.0.4');
    assert.notEqual(ipam.allocate(), '127.1.0.4');
  });
  it('formats labels and resolves field paths', () => {
    const pod = { metadata: { name: 'p', namespace: 'n', uid: 'u', labels: { b: '2', a: 'x"y' }, annotations: {} }, spec: { nodeName: 'node', serviceAccountName: 'sa' }, status: { podIP: '127.1.0.9' } };
    assert.equal(formatMap(pod.metadata.labels), 'a="x\\"y"\nb="2"');
    assert.equal(fieldRefValue(pod, "metadata.labels['b']"), '2');
    assert.equal(fieldRefValue(pod, 'status.podIP'), '127.1.0.9');
    assert.equal(fieldRefValue(pod, 'spec.serviceAccountName'), 'sa');
    assert.equal(fieldRefValue(pod, 'spec.nope'), undefined);
  });
});

describe('services (pure)', () => {
  const svc = (name: string, spec: any, status: any = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns', uid: `u-${name}` }, spec, status });
  const ep = (name: string, subsets: any[]) => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: 'ns' }, subsets });
  it('serviceTable: ready endpoints by port name, NodePorts, LoadBalancers; UDP only on the ClusterIP', () => {
    const services = [
      svc('web', { type: 'NodePort', clusterIP: '10.96.0.5', ports: [{ name: 'http', port: 80, nodePort: 30001 }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
      svc('lb', { type: 'LoadBalancer', clusterIP: '10.96.0.6', ports: [{ port: 81, nodePort: 30002 }] }, { loadBalancer: { ingress: [{ ip: '127.0.1.4' }] } }),
      svc('none', { clusterIP: 'None', ports: [{ port: 1 }] }),
    ];
    const eps = new Map([
      ['ns/web', ep('web', [{ addresses: [{ ip: '10.244.0.3' }, { ip: '10.244.0.2' }], notReadyAddresses: [{ ip: '10.244.0.9' }], ports: [{ name: 'http', port: 8080 }, { name: 'other', port: 9 }] }])],
      ['ns/lb', ep('lb', [{ addresses: [{ ip: '10.244.0.4' }], ports: [{ port: 8081 }] }])],
    ]);
    const t = serviceTable(services, eps);
    assert.deepEqual(t.entries, [
      { ip: '10.96.0.5', port: 80, backends: [{ ip: '10.244.0.2', port: 8080 }, { ip: '10.244.0.3', port: 8080 }], name: 'ns/web:http' },
      { ip: '10.96.0.5', port: 53, backends: [], name: 'ns/web:dns', protocol: 'UDP' },
      { ip: '10.96.0.6', port: 81, backends: [{ ip: '10.244.0.4', port: 8081 }], name: 'ns/lb:81' },
    ]);
    assert.deepEqual(t.nodePorts.map((n) => n.port), [30001, 30002]);
    assert.deepEqual(t.loadBalancers.map((l) => [l.key, l.ingress, l.ports[0].port]), [['lb:ns/lb', '127.0.1.4', 81]]);
  });
  it('dnsRecords: ClusterIP, headless endpoints, hostnames, ExternalName', () => {
    const services = [
      svc('web', { clusterIP: '10.96.0.5', ports: [{ port: 80 }] }),
      svc('db', { clusterIP: 'None', ports: [{ port: 5432 }] }),
      svc('ext', { type: 'ExternalName', externalName: 'example.org.' }),
    ];
    const eps = new Map([['ns/db', ep('db', [{ addresses: [{ ip: '10.244.0.7', hostname: 'db-0' }], ports: [{ port: 5432 }] }])]]);
    assert.deepEqual(dnsRecords(services, eps), {
      'web.ns.svc.cluster.local': ['10.96.0.5'],
      'db.ns.svc.cluster.local': ['10.244.0.7'],
      'db-0.db.ns.svc.cluster.local': ['10.244.0.7'],
      'ext.ns.svc.cluster.local': ['cname:example.org'],
    });
  });
  it('resolvConf: ClusterFirst search path and ndots, dnsConfig, dnsPolicy None', () => {
    assert.equal(resolvConf('ns', '10.244.0.1', { spec: {} }), 'nameserver 10.244.0.1\nsearch ns.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
    assert.equal(
      resolvConf('ns', '10.244.0.1', { spec: { dnsConfig: { searches: ['corp'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } } }),
      'nameserver 10.244.0.1\nsearch ns.svc.cluster.local svc.cluster.local cluster.local corp\noptions ndots:2 edns0\n',
    );
    assert.equal(resolvConf('ns', '10.244.0.1', { spec: { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['a'] } } }), 'nameserver 1.2.3.4\nsearch a\noptions ndots:5\n');
  });
});
