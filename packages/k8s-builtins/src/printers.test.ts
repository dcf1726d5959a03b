import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ResourceInfo } from '@flotilla/apimachinery';
import { builtinTablePrinter } from './printers.js';

type Any = Record<string, any>;

function ri(group: string, version: string, kind: string, namespaced = true): ResourceInfo {
  return { group, version, kind, listKind: `${kind}List`, plural: kind.toLowerCase() + 's', singular: kind.toLowerCase(), namespaced, verbs: [] };
}

const NOW = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

function columns(r: ResourceInfo): string[] {
  return builtinTablePrinter(r).columns.map((c) => c.name);
}

/** cells keyed by column name */
function row(r: ResourceInfo, obj: KubeObject): Record<string, unknown> {
  const p = builtinTablePrinter(r);
  const cells = p.cells(obj, NOW);
  assert.equal(cells.length, p.columns.length);
  return Object.fromEntries(p.columns.map((c, i) => [c.name, cells[i]]));
}

const POD = ri('', 'v1', 'Pod');

function pod(spec: Any, status: Any, meta: Any = {}): KubeObject {
  return { metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(600), ...meta }, spec, status };
}
const oneContainer = { containers: [{ name: 'app', image: 'nginx' }] };

test('pod columns: names, types, priorities, name format, descriptions', () => {
  const p = builtinTablePrinter(POD);
  assert.deepEqual(
    p.columns.map((c) => [c.name, c.priority]),
    [
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ],
  );
  assert.equal(p.columns[0].format, 'name');
  assert.equal(p.columns[0].type, 'string');
  assert.ok(p.columns.every((c) => c.description.length > 0));
  assert.ok(p.columns.slice(1).every((c) => c.format === ''));
});

test('pod: running and ready', () => {
  const r = row(
    POD,
    pod(
      { ...oneContainer, nodeName: 'node-1' },
      {
        phase: 'Running',
        podIP: '10.244.0.5',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: { startedAt: ago(500) } } }],
      },
    ),
  );
  assert.deepEqual(r, {
    Name: 'p',
    Ready: '1/1',
    Status: 'Running',
    Restarts: '0',
    Age: '10m',
    IP: '10.244.0.5',
    Node: 'node-1',
    'Nominated Node': '<none>',
    'Readiness Gates': '<none>',
  });
});

test('pod: pending without statuses', () => {
  const r = row(POD, pod(oneContainer, { phase: 'Pending' }));
  assert.equal(r.Ready, '0/1');
  assert.equal(r.Status, 'Pending');
  assert.equal(r.IP, '<none>');
  assert.equal(r.Node, '<none>');
});

test('pod: ContainerCreating and CrashLoopBackOff with last restart age', () => {
  const creating = row(POD, pod(oneContainer, { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }));
  assert.equal(creating.Status, 'ContainerCreating');
  const crash = row(
    POD,
    pod(oneContainer, {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300) } },
        },
      ],
    }),
  );
  assert.equal(crash.Status, 'CrashLoopBackOff');
  assert.equal(crash.Restarts, '3 (5m ago)');
  assert.equal(crash.Ready, '0/1');
});

test('pod: Completed, Error, ExitCode and Signal', () => {
  const done = row(POD, pod(oneContainer, { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }));
  assert.equal(done.Status, 'Completed');
  assert.equal(done.Ready, '0/1');
  const err = row(POD, pod(oneContainer, { phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }] }));
  assert.equal(err.Status, 'Error');
  const code = row(POD, pod(oneContainer, { phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 137 } } }] }));
  assert.equal(code.Status, 'ExitCode:137');
  const sig = row(POD, pod(oneContainer, { phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 0, signal: 9 } } }] }));
  assert.equal(sig.Status, 'Signal:9');
});

test('pod: Completed container with another running shows Running or NotReady', () => {
  const spec = { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] };
  const statuses = [
    { name: 'a', ready: true, restartCount: 0, state: { running: {} } },
    { name: 'b', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
  ];
  const ready = row(POD, pod(spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses }));
  assert.equal(ready.Status, 'Running');
  assert.equal(ready.Ready, '1/2');
  const notReady = row(POD, pod(spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: statuses }));
  assert.equal(notReady.Status, 'NotReady');
});

test('pod: init containers Init:0/2, Init:CrashLoopBackOff, Init:Error, Init:ExitCode', () => {
  const spec = { initContainers: [{ name: 'i1', image: 'x' }, { name: 'i2', image: 'x' }], ...oneContainer };
  const waiting = row(
    POD,
    pod(spec, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'i1', restartCount: 0, state: { running: {} } },
        { name: 'i2', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
      ],
      containerStatuses: [{ name: 'app', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    }),
  );
  assert.equal(waiting.Status, 'Init:0/2');
  const second = row(
    POD,
    pod(spec, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'i2', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(30) } } },
      ],
    }),
  );
  assert.equal(second.Status, 'Init:CrashLoopBackOff');
  assert.equal(second.Restarts, '2 (30s ago)');
  const failed = row(POD, pod(spec, { phase: 'Failed', initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }));
  assert.equal(failed.Status, 'Init:Error');
  const code = row(POD, pod(spec, { phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { terminated: { exitCode: 3 } } }] }));
  assert.equal(code.Status, 'Init:ExitCode:3');
  const oneDone = row(
    POD,
    pod(spec, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'i2', restartCount: 0, state: { running: {} } },
      ],
    }),
  );
  assert.equal(oneDone.Status, 'Init:1/2');
});

test('pod: sidecar init containers count towards READY', () => {
  const spec = { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }], ...oneContainer };
  const r = row(
    POD,
    pod(spec, {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
      initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: ago(3600) } } }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }],
    }),
  );
  assert.equal(r.Ready, '2/2');
  assert.equal(r.Status, 'Running');
  assert.equal(r.Restarts, '1 (60m ago)');
});

test('pod: Terminating, Unknown (NodeLost), SchedulingGated, status.reason Evicted', () => {
  const running = { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }] };
  assert.equal(row(POD, pod(oneContainer, running, { deletionTimestamp: ago(5) })).Status, 'Terminating');
  assert.equal(row(POD, pod(oneContainer, { ...running, reason: 'NodeLost' }, { deletionTimestamp: ago(5) })).Status, 'Unknown');
  const succeeded = { phase: 'Succeeded', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] };
  assert.equal(row(POD, pod(oneContainer, succeeded, { deletionTimestamp: ago(5) })).Status, 'Completed');
  assert.equal(row(POD, pod(oneContainer, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] })).Status, 'SchedulingGated');
  assert.equal(row(POD, pod(oneContainer, { phase: 'Failed', reason: 'Evicted' })).Status, 'Evicted');
});

test('pod: readiness gates and nominated node', () => {
  const r = row(
    POD,
    pod(
      { ...oneContainer, readinessGates: [{ conditionType: 'example.com/a' }, { conditionType: 'example.com/b' }] },
      { phase: 'Pending', nominatedNodeName: 'node-2', conditions: [{ type: 'example.com/a', status: 'True' }] },
    ),
  );
  assert.equal(r['Readiness Gates'], '1/2');
  assert.equal(r['Nominated Node'], 'node-2');
});

const tpl = (containers: Any[]) => ({ metadata: { labels: { app: 'web' } }, spec: { containers } });

test('deployments', () => {
  const D = ri('apps', 'v1', 'Deployment');
  assert.deepEqual(columns(D), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
  const r = row(D, {
    metadata: { name: 'web', creationTimestamp: ago(3 * 86400) },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web', tier: 'fe' } }, template: tpl([{ name: 'nginx', image: 'nginx:1.25' }, { name: 'side', image: 'busybox' }]) },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  });
  assert.deepEqual(r, { Name: 'web', Ready: '2/3', 'Up-to-date': 3, Available: 2, Age: '3d', Containers: 'nginx,side', Images: 'nginx:1.25,busybox', Selector: 'app=web,tier=fe' });
  const empty = row(D, { metadata: { name: 'x', creationTimestamp: ago(10) }, spec: { replicas: 1 }, status: {} });
  assert.equal(empty.Ready, '0/1');
  assert.equal(empty['Up-to-date'], 0);
});

test('selector with matchExpressions', () => {
  const D = ri('apps', 'v1', 'Deployment');
  const r = row(D, {
    metadata: { name: 'x' },
    spec: {
      selector: {
        matchLabels: { z: '1' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'dev'] },
          { key: 'a', operator: 'Exists' },
          { key: 'b', operator: 'DoesNotExist' },
          { key: 'c', operator: 'NotIn', values: ['x'] },
        ],
      },
    },
  });
  assert.equal(r.Selector, 'a,!b,c notin (x),env in (dev,prod),z=1');
});

test('replicasets, statefulsets, daemonsets, replicationcontrollers', () => {
  const RS = ri('apps', 'v1', 'ReplicaSet');
  assert.deepEqual(columns(RS), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector']);
  const rs = row(RS, { metadata: { name: 'web-abc' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: tpl([{ name: 'n', image: 'i' }]) }, status: { replicas: 3, readyReplicas: 1 } });
  assert.equal(rs.Desired, 3);
  assert.equal(rs.Current, 3);
  assert.equal(rs.Ready, 1);
  const STS = ri('apps', 'v1', 'StatefulSet');
  assert.deepEqual(columns(STS), ['Name', 'Ready', 'Age', 'Containers', 'Images']);
  assert.equal(row(STS, { metadata: { name: 'db' }, spec: { replicas: 3 }, status: { readyReplicas: 3 } }).Ready, '3/3');
  const DS = ri('apps', 'v1', 'DaemonSet');
  assert.deepEqual(columns(DS), ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers', 'Images', 'Selector']);
  const ds = row(DS, {
    metadata: { name: 'agent' },
    spec: { template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [] } } },
    status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 },
  });
  assert.equal(ds['Node Selector'], 'kubernetes.io/os=linux');
  assert.equal(ds.Ready, 1);
  const RC = ri('', 'v1', 'ReplicationController');
  assert.equal(row(RC, { metadata: { name: 'rc' }, spec: { replicas: 2, selector: { app: 'x' } }, status: {} }).Selector, 'app=x');
});

test('jobs: status, completions, duration', () => {
  const J = ri('batch', 'v1', 'Job');
  assert.deepEqual(columns(J), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector']);
  const complete = row(J, {
    metadata: { name: 'pi', creationTimestamp: ago(120) },
    spec: { completions: 1, parallelism: 1, template: tpl([{ name: 'pi', image: 'perl' }]) },
    status: { succeeded: 1, startTime: ago(120), completionTime: ago(80), conditions: [{ type: 'Complete', status: 'True' }] },
  });
  assert.equal(complete.Status, 'Complete');
  assert.equal(complete.Completions, '1/1');
  assert.equal(complete.Duration, '40s');
  const running = row(J, { metadata: { name: 'r' }, spec: { completions: 5 }, status: { succeeded: 2, startTime: ago(65) } });
  assert.equal(running.Status, 'Running');
  assert.equal(running.Completions, '2/5');
  assert.equal(running.Duration, '65s');
  const queue = row(J, { metadata: { name: 'q' }, spec: { parallelism: 3 }, status: {} });
  assert.equal(queue.Completions, '0/1 of 3');
  assert.equal(queue.Duration, '');
  assert.equal(row(J, { metadata: { name: 'f' }, spec: {}, status: { conditions: [{ type: 'Failed', status: 'True' }] } }).Status, 'Failed');
  assert.equal(row(J, { metadata: { name: 's' }, spec: { suspend: true }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } }).Status, 'Suspended');
});

test('cronjobs', () => {
  const CJ = ri('batch', 'v1', 'CronJob');
  assert.deepEqual(columns(CJ), ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers', 'Images', 'Selector']);
  const r = row(CJ, {
    metadata: { name: 'hello', creationTimestamp: ago(7200) },
    spec: { schedule: '*/1 * * * *', suspend: false, jobTemplate: { spec: { template: tpl([{ name: 'hello', image: 'busybox' }]) } } },
    status: { active: [{ name: 'hello-1' }], lastScheduleTime: ago(42) },
  });
  assert.deepEqual(r, {
    Name: 'hello',
    Schedule: '*/1 * * * *',
    Timezone: '<none>',
    Suspend: 'False',
    Active: 1,
    'Last Schedule': '42s',
    Age: '120m',
    Containers: 'hello',
    Images: 'busybox',
    Selector: '<none>',
  });
  const never = row(CJ, { metadata: { name: 'x' }, spec: { schedule: '@daily', timeZone: 'Etc/UTC', suspend: true }, status: {} });
  assert.equal(never['Last Schedule'], '<none>');
  assert.equal(never.Timezone, 'Etc/UTC');
  assert.equal(never.Suspend, 'True');
});

test('services: types, external IPs, ports', () => {
  const S = ri('', 'v1', 'Service');
  assert.deepEqual(columns(S), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
  const c = row(S, { metadata: { name: 'web' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { app: 'web' } } });
  assert.equal(c['External-IP'], '<none>');
  assert.equal(c['Port(s)'], '80/TCP,53/UDP');
  assert.equal(c.Selector, 'app=web');
  const np = row(S, { metadata: { name: 'np' }, spec: { type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } });
  assert.equal(np['Port(s)'], '80:30080/TCP');
  assert.equal(np.Selector, '<none>');
  const lbPending = row(S, { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.12', ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] }, status: { loadBalancer: {} } });
  assert.equal(lbPending['External-IP'], '<pending>');
  const lb = row(S, { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { hostname: 'lb.example.com' }] } } });
  assert.equal(lb['External-IP'], '1.2.3.4,lb.example.com');
  assert.equal(lb['Port(s)'], '<none>');
  const ext = row(S, { metadata: { name: 'e' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } });
  assert.equal(ext['External-IP'], 'db.example.com');
  assert.equal(ext['Cluster-IP'], '<none>');
  const headless = row(S, { metadata: { name: 'h' }, spec: { clusterIP: 'None', externalIPs: ['5.6.7.8'], ports: [{ port: 80, protocol: 'TCP' }] } });
  assert.equal(headless['Cluster-IP'], 'None');
  assert.equal(headless['External-IP'], '5.6.7.8');
});

test('endpoints and endpointslices', () => {
  const E = ri('', 'v1', 'Endpoints');
  const r = row(E, {
    metadata: { name: 'web' },
    subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }],
  });
  assert.equal(r.Endpoints, '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...');
  assert.equal(row(E, { metadata: { name: 'x' } }).Endpoints, '<none>');
  assert.equal(row(E, { metadata: { name: 'y' }, subsets: [{ addresses: [{ ip: '10.0.0.9' }] }] }).Endpoints, '10.0.0.9');
  const ES = ri('discovery.k8s.io', 'v1', 'EndpointSlice');
  assert.deepEqual(columns(ES), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
  const es = row(ES, { metadata: { name: 'web-abc' }, addressType: 'IPv4', ports: [{ port: 80 }], endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }] });
  assert.equal(es.Ports, '80');
  assert.equal(es.Endpoints, '10.0.0.1,10.0.0.2');
  assert.equal(row(ES, { metadata: { name: 'e' }, addressType: 'IPv4' }).Endpoints, '<unset>');
});

test('configmaps, secrets, serviceaccounts, namespaces', () => {
  const cm = row(ri('', 'v1', 'ConfigMap'), { metadata: { name: 'c', creationTimestamp: ago(45) }, data: { a: '1', b: '2' }, binaryData: { c: 'eA==' } });
  assert.deepEqual(cm, { Name: 'c', Data: 3, Age: '45s' });
  const sec = row(ri('', 'v1', 'Secret'), { metadata: { name: 's' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } });
  assert.equal(sec.Type, 'kubernetes.io/tls');
  assert.equal(sec.Data, 2);
  assert.deepEqual(columns(ri('', 'v1', 'ServiceAccount')), ['Name', 'Secrets', 'Age']);
  assert.equal(row(ri('', 'v1', 'ServiceAccount'), { metadata: { name: 'default' } }).Secrets, 0);
  const ns = row(ri('', 'v1', 'Namespace', false), { metadata: { name: 'kube-system', creationTimestamp: ago(400 * 86400) }, status: { phase: 'Active' } });
  assert.deepEqual(ns, { Name: 'kube-system', Status: 'Active', Age: '400d' });
});

test('nodes', () => {
  const N = ri('', 'v1', 'Node', false);
  assert.deepEqual(columns(N), ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
  const r = row(N, {
    metadata: { name: 'cp', labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/etcd': '' } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '172.18.0.2' }, { type: 'Hostname', address: 'cp' }],
      nodeInfo: { kubeletVersion: 'v1.31.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.18' },
    },
  });
  assert.equal(r.Status, 'Ready,SchedulingDisabled');
  assert.equal(r.Roles, 'control-plane,etcd');
  assert.equal(r.Version, 'v1.31.0');
  assert.equal(r['Internal-IP'], '172.18.0.2');
  assert.equal(r['External-IP'], '<none>');
  assert.equal(r['Container-Runtime'], 'containerd://1.7.18');
  const nr = row(N, { metadata: { name: 'w' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } });
  assert.equal(nr.Status, 'NotReady');
  assert.equal(nr.Roles, '<none>');
  assert.equal(row(N, { metadata: { name: 'u' }, status: {} }).Status, 'Unknown');
});

test('events (core and events.k8s.io)', () => {
  const EV = ri('', 'v1', 'Event');
  const p = builtinTablePrinter(EV);
  assert.deepEqual(
    p.columns.filter((c) => c.priority === 0).map((c) => c.name),
    ['Last Seen', 'Type', 'Reason', 'Object', 'Message'],
  );
  const nameCol = p.columns.find((c) => c.name === 'Name')!;
  assert.equal(nameCol.format, 'name');
  assert.equal(nameCol.priority, 1);
  const r = row(EV, {
    metadata: { name: 'web.17a' },
    type: 'Warning',
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' },
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(30),
    count: 7,
  });
  assert.equal(r['Last Seen'], '30s');
  assert.equal(r.Object, 'pod/web-1');
  assert.equal(r.Subobject, 'spec.containers{app}');
  assert.equal(r.Source, 'kubelet, node-1');
  assert.equal(r['First Seen'], '10m');
  assert.equal(r.Count, '7');
  assert.equal(r.Name, 'web.17a');
  const v1 = row(ri('events.k8s.io', 'v1', 'Event'), {
    metadata: { name: 'e' },
    type: 'Normal',
    reason: 'Scheduled',
    note: 'Successfully assigned default/p to node-1',
    regarding: { kind: 'Pod', name: 'p' },
    eventTime: ago(90),
    reportingController: 'default-scheduler',
  });
  assert.equal(v1['Last Seen'], '90s');
  assert.equal(v1.Message, 'Successfully assigned default/p to node-1');
  assert.equal(v1.Count, '1');
});

test('persistentvolumeclaims and persistentvolumes', () => {
  const PVC = ri('', 'v1', 'PersistentVolumeClaim');
  assert.deepEqual(columns(PVC), ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode']);
  const bound = row(PVC, {
    metadata: { name: 'data' },
    spec: { storageClassName: 'standard', volumeName: 'pvc-123', volumeMode: 'Filesystem', accessModes: ['ReadWriteOnce'] },
    status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] },
  });
  assert.equal(bound.Status, 'Bound');
  assert.equal(bound.Capacity, '1Gi');
  assert.equal(bound['Access Modes'], 'RWO,ROX');
  assert.equal(bound.StorageClass, 'standard');
  assert.equal(bound.VolumeAttributesClass, '<unset>');
  const pending = row(PVC, { metadata: { name: 'p' }, spec: { accessModes: ['ReadWriteOnce'] }, status: { phase: 'Pending' } });
  assert.equal(pending.Capacity, '');
  assert.equal(pending['Access Modes'], '');
  const PV = ri('', 'v1', 'PersistentVolume', false);
  const pv = row(PV, {
    metadata: { name: 'pv-1' },
    spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteMany'], persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'nfs' },
    status: { phase: 'Bound' },
  });
  assert.equal(pv.Claim, 'default/data');
  assert.equal(pv['Access Modes'], 'RWX');
  assert.equal(pv['Reclaim Policy'], 'Retain');
});

test('ingresses, networkpolicies, leases', () => {
  const ING = ri('networking.k8s.io', 'v1', 'Ingress');
  assert.deepEqual(columns(ING), ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
  const r = row(ING, {
    metadata: { name: 'web' },
    spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }, { host: 'c.example.com' }, { host: 'd.example.com' }], tls: [{ hosts: ['a.example.com'] }] },
    status: { loadBalancer: { ingress: [{ ip: '192.168.49.2' }] } },
  });
  assert.equal(r.Hosts, 'a.example.com,b.example.com,c.example.com + 1 more...');
  assert.equal(r.Ports, '80, 443');
  assert.equal(r.Address, '192.168.49.2');
  const plain = row(ING, { metadata: { name: 'x' }, spec: { rules: [{ http: { paths: [] } }] } });
  assert.equal(plain.Class, '<none>');
  assert.equal(plain.Hosts, '*');
  assert.equal(plain.Ports, '80');
  const NP = ri('networking.k8s.io', 'v1', 'NetworkPolicy');
  assert.equal(row(NP, { metadata: { name: 'deny' }, spec: { podSelector: {} } })['Pod-Selector'], '<none>');
  assert.equal(row(NP, { metadata: { name: 'db' }, spec: { podSelector: { matchLabels: { role: 'db' } } } })['Pod-Selector'], 'role=db');
  const L = ri('coordination.k8s.io', 'v1', 'Lease');
  assert.deepEqual(row(L, { metadata: { name: 'kube-scheduler', creationTimestamp: ago(90) }, spec: { holderIdentity: 'cp_1234' } }), { Name: 'kube-scheduler', Holder: 'cp_1234', Age: '90s' });
});

test('rbac, crds, webhook configurations', () => {
  const created = '2024-04-01T10:00:00Z';
  const CR = ri('rbac.authorization.k8s.io', 'v1', 'ClusterRole', false);
  const p = builtinTablePrinter(CR);
  assert.deepEqual(p.columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Created At', 'date']]);
  assert.deepEqual(p.cells({ metadata: { name: 'admin', creationTimestamp: created } }, NOW), ['admin', created]);
  const RB = ri('rbac.authorization.k8s.io', 'v1', 'RoleBinding');
  assert.deepEqual(columns(RB), ['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts']);
  const rb = row(RB, {
    metadata: { name: 'rb' },
    roleRef: { kind: 'ClusterRole', name: 'view', apiGroup: 'rbac.authorization.k8s.io' },
    subjects: [
      { kind: 'User', name: 'alice' },
      { kind: 'User', name: 'bob' },
      { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'build' },
    ],
  });
  assert.equal(rb.Role, 'ClusterRole/view');
  assert.equal(rb.Users, 'alice, bob');
  assert.equal(rb.Groups, 'devs');
  assert.equal(rb.ServiceAccounts, 'build/ci');
  assert.deepEqual(columns(ri('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', false)), ['Name', 'Created At']);
  const WH = ri('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', false);
  assert.equal(row(WH, { metadata: { name: 'w' }, webhooks: [{ name: 'a' }, { name: 'b' }] }).Webhooks, 2);
});

test('hpa targets (v2 and v1), pdb, priorityclasses, storageclasses, controllerrevisions', () => {
  const HPA = ri('autoscaling', 'v2', 'HorizontalPodAutoscaler');
  assert.deepEqual(columns(HPA), ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age']);
  const h = row(HPA, {
    metadata: { name: 'web' },
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
      ],
    },
    status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 35 } } }] },
  });
  assert.equal(h.Reference, 'Deployment/web');
  assert.equal(h.Targets, 'cpu: 35%/80%, memory: <unknown>/500Mi');
  assert.equal(h.MinPods, '1');
  assert.equal(h.MaxPods, 10);
  assert.equal(h.Replicas, 2);
  const v1 = row(ri('autoscaling', 'v1', 'HorizontalPodAutoscaler'), { metadata: { name: 'x' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 }, status: {} });
  assert.equal(v1.Targets, 'cpu: <unknown>/50%');
  const PDB = ri('policy', 'v1', 'PodDisruptionBudget');
  const pdb = row(PDB, { metadata: { name: 'p' }, spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } });
  assert.equal(pdb['Min Available'], '50%');
  assert.equal(pdb['Max Unavailable'], 'N/A');
  assert.equal(pdb['Allowed Disruptions'], 1);
  const PC = ri('scheduling.k8s.io', 'v1', 'PriorityClass', false);
  const pc = row(PC, { metadata: { name: 'system-cluster-critical' }, value: 2000000000, globalDefault: false });
  assert.equal(pc.Value, 2000000000);
  assert.equal(pc['Global-Default'], false);
  const SC = ri('storage.k8s.io', 'v1', 'StorageClass', false);
  const sc = row(SC, { metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete' });
  assert.equal(sc.Name, 'standard (default)');
  assert.equal(sc.VolumeBindingMode, 'WaitForFirstConsumer');
  assert.equal(sc.AllowVolumeExpansion, 'false');
  const CRV = ri('apps', 'v1', 'ControllerRevision');
  const crv = row(CRV, { metadata: { name: 'web-5d8', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] }, revision: 2 });
  assert.equal(crv.Controller, 'statefulset.apps/web');
  assert.equal(crv.Revision, 2);
});

test('unknown kinds print Name and Age', () => {
  const r = ri('example.com', 'v1', 'Widget');
  assert.deepEqual(columns(r), ['Name', 'Age']);
  assert.deepEqual(builtinTablePrinter(r).cells({ metadata: { name: 'w', creationTimestamp: ago(3 * 3600 + 120) } }, NOW), ['w', '3h2m']);
  assert.deepEqual(builtinTablePrinter(r).cells({ metadata: { name: 'w' } }, NOW), ['w', '<unknown>']);
});
