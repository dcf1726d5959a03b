import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ResourceInfo } from '@flotilla/apimachinery';
import {
  applyBuiltinDefaults,
  defaultImagePullPolicy,
  generationRelevantChange,
  kindTracksGeneration,
  podQosClass,
} from './defaults.js';

function ri(group: string, version: string, kind: string, namespaced = true): ResourceInfo {
  const plural = kind.toLowerCase() + 's';
  return { group, version, kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), namespaced, verbs: [] };
}

type Any = Record<string, any>;

function podSpec(extra: Any = {}): Any {
  return { containers: [{ name: 'app', image: 'nginx:1.25' }], ...extra };
}

test('pod: spec and container defaults like a real cluster', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: podSpec({
      containers: [
        {
          name: 'app',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          livenessProbe: { httpGet: { port: 80 } },
          readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        },
      ],
    }),
  };
  applyBuiltinDefaults(ri('', 'v1', 'Pod'), pod);
  const spec = pod.spec as Any;
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.deepEqual(spec.securityContext, {});
  assert.equal(spec.enableServiceLinks, true);
  const c = spec.containers[0];
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.equal(c.imagePullPolicy, 'Always');
  assert.deepEqual(c.resources, {});
  assert.equal(c.ports[0].protocol, 'TCP');
  assert.deepEqual(c.livenessProbe, {
    httpGet: { port: 80, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.equal(c.readinessProbe.periodSeconds, 5);
  assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.deepEqual(pod.status, { phase: 'Pending', qosClass: 'BestEffort' });
});

test('pod: user-provided values are kept', () => {
  const pod: KubeObject = {
    metadata: { name: 'p' },
    spec: podSpec({ restartPolicy: 'Never', dnsPolicy: 'Default', terminationGracePeriodSeconds: 5, enableServiceLinks: false }),
  };
  applyBuiltinDefaults(ri('', 'v1', 'Pod'), pod);
  const spec = pod.spec as Any;
  assert.equal(spec.restartPolicy, 'Never');
  assert.equal(spec.dnsPolicy, 'Default');
  assert.equal(spec.terminationGracePeriodSeconds, 5);
  assert.equal(spec.enableServiceLinks, false);
});

test('imagePullPolicy follows the tag', () => {
  assert.equal(defaultImagePullPolicy('nginx'), 'Always');
  assert.equal(defaultImagePullPolicy('nginx:latest'), 'Always');
  assert.equal(defaultImagePullPolicy('nginx:1.25'), 'IfNotPresent');
  assert.equal(defaultImagePullPolicy('registry:5000/team/app'), 'Always');
  assert.equal(defaultImagePullPolicy('registry:5000/team/app:v1'), 'IfNotPresent');
  assert.equal(defaultImagePullPolicy('nginx@sha256:abcdef'), 'IfNotPresent');
});

test('pod: volumes get defaultMode 420 and emptyDir when no source', () => {
  const pod: KubeObject = {
    metadata: { name: 'p' },
    spec: podSpec({
      volumes: [
        { name: 'cfg', configMap: { name: 'c' } },
        { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
        { name: 'scratch' },
        { name: 'host', hostPath: { path: '/tmp' } },
        { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
      ],
    }),
  };
  applyBuiltinDefaults(ri('', 'v1', 'Pod'), pod);
  const v = (pod.spec as Any).volumes;
  assert.equal(v[0].configMap.defaultMode, 420);
  assert.equal(v[1].secret.defaultMode, 256);
  assert.deepEqual(v[2].emptyDir, {});
  assert.equal(v[3].hostPath.type, '');
  assert.equal(v[4].projected.defaultMode, 420);
  assert.equal(v[4].projected.sources[0].serviceAccountToken.expirationSeconds, 3600);
});

test('pod: requests default from limits and QoS is computed', () => {
  const pod: KubeObject = {
    metadata: { name: 'p' },
    spec: podSpec({ containers: [{ name: 'a', image: 'x:1', resources: { limits: { cpu: '500m', memory: '128Mi' } } }] }),
  };
  applyBuiltinDefaults(ri('', 'v1', 'Pod'), pod);
  const c = (pod.spec as Any).containers[0];
  assert.deepEqual(c.resources.requests, { cpu: '500m', memory: '128Mi' });
  assert.equal((pod.status as Any).qosClass, 'Guaranteed');
  assert.equal(podQosClass({ containers: [{ resources: { requests: { cpu: '100m' } } }] }), 'Burstable');
});

test('pod: hostNetwork copies containerPort into hostPort', () => {
  const pod: KubeObject = { metadata: { name: 'p' }, spec: podSpec({ hostNetwork: true, containers: [{ name: 'a', image: 'x:1', ports: [{ containerPort: 8080 }] }] }) };
  applyBuiltinDefaults(ri('', 'v1', 'Pod'), pod);
  assert.equal((pod.spec as Any).containers[0].ports[0].hostPort, 8080);
});

test('deployment defaults including template without enableServiceLinks', () => {
  const d: KubeObject = {
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec() } },
  };
  applyBuiltinDefaults(ri('apps', 'v1', 'Deployment'), d);
  const spec = d.spec as Any;
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  const t = spec.template.spec;
  assert.equal(t.restartPolicy, 'Always');
  assert.equal(t.schedulerName, 'default-scheduler');
  assert.equal(t.enableServiceLinks, undefined);
  assert.equal(t.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.equal(d.status, undefined);
});

test('deployment with Recreate strategy gets no rollingUpdate', () => {
  const d: KubeObject = { metadata: { name: 'x' }, spec: { strategy: { type: 'Recreate' }, template: { spec: podSpec() } } };
  applyBuiltinDefaults(ri('apps', 'v1', 'Deployment'), d);
  assert.deepEqual((d.spec as Any).strategy, { type: 'Recreate' });
});

test('statefulset defaults', () => {
  const s: KubeObject = {
    metadata: { name: 'db' },
    spec: {
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: podSpec() },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
  applyBuiltinDefaults(ri('apps', 'v1', 'StatefulSet'), s);
  const spec = s.spec as Any;
  assert.equal(spec.replicas, 1);
  assert.equal(spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  const vct = spec.volumeClaimTemplates[0];
  assert.equal(vct.apiVersion, 'v1');
  assert.equal(vct.kind, 'PersistentVolumeClaim');
  assert.equal(vct.spec.volumeMode, 'Filesystem');
  assert.deepEqual(vct.status, { phase: 'Pending' });
});

test('daemonset and replicaset defaults', () => {
  const ds: KubeObject = { metadata: { name: 'ds' }, spec: { template: { spec: podSpec() } } };
  applyBuiltinDefaults(ri('apps', 'v1', 'DaemonSet'), ds);
  assert.deepEqual((ds.spec as Any).updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal((ds.spec as Any).revisionHistoryLimit, 10);
  const rs: KubeObject = { metadata: { name: 'rs' }, spec: { template: { spec: podSpec() } } };
  applyBuiltinDefaults(ri('apps', 'v1', 'ReplicaSet'), rs);
  assert.equal((rs.spec as Any).replicas, 1);
  assert.equal((rs.spec as Any).template.spec.dnsPolicy, 'ClusterFirst');
});

test('replicationcontroller copies template labels into selector and labels', () => {
  const rc: KubeObject = { metadata: { name: 'rc' }, spec: { template: { metadata: { labels: { app: 'x' } }, spec: podSpec() } } };
  applyBuiltinDefaults(ri('', 'v1', 'ReplicationController'), rc);
  assert.deepEqual((rc.spec as Any).selector, { app: 'x' });
  assert.deepEqual(rc.metadata?.labels, { app: 'x' });
  assert.equal((rc.spec as Any).replicas, 1);
});

test('job defaults and generated selector from uid', () => {
  const job: KubeObject = {
    metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
    spec: { template: { spec: podSpec({ restartPolicy: 'Never' }) } },
  };
  applyBuiltinDefaults(ri('batch', 'v1', 'Job'), job);
  const spec = job.spec as Any;
  assert.equal(spec.parallelism, 1);
  assert.equal(spec.completions, 1);
  assert.equal(spec.backoffLimit, 6);
  assert.equal(spec.completionMode, 'NonIndexed');
  assert.equal(spec.suspend, false);
  assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
  assert.equal(spec.manualSelector, undefined);
  assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  assert.deepEqual(spec.template.metadata.labels, {
    'batch.kubernetes.io/controller-uid': 'u-1',
    'batch.kubernetes.io/job-name': 'pi',
    'controller-uid': 'u-1',
    'job-name': 'pi',
  });
});

test('job: no restartPolicy default, no selector without uid, work-queue completions stay unset', () => {
  const job: KubeObject = { metadata: { name: 'q' }, spec: { parallelism: 3, template: { spec: podSpec() } } };
  applyBuiltinDefaults(ri('batch', 'v1', 'Job'), job);
  const spec = job.spec as Any;
  assert.equal(spec.template.spec.restartPolicy, undefined);
  assert.equal(spec.completions, undefined);
  assert.equal(spec.parallelism, 3);
  assert.equal(spec.selector, undefined);
});

test('job with podFailurePolicy uses Failed replacement policy; backoffLimitPerIndex raises backoffLimit', () => {
  const job: KubeObject = {
    metadata: { name: 'q' },
    spec: { completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1, podFailurePolicy: { rules: [] }, template: { spec: podSpec() } },
  };
  applyBuiltinDefaults(ri('batch', 'v1', 'Job'), job);
  assert.equal((job.spec as Any).podReplacementPolicy, 'Failed');
  assert.equal((job.spec as Any).backoffLimit, 2147483647);
});

test('cronjob defaults; job template gets pod defaults but no job defaults', () => {
  const cj: KubeObject = {
    metadata: { name: 'c' },
    spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: podSpec({ restartPolicy: 'OnFailure' }) } } } },
  };
  applyBuiltinDefaults(ri('batch', 'v1', 'CronJob'), cj);
  const spec = cj.spec as Any;
  assert.equal(spec.concurrencyPolicy, 'Allow');
  assert.equal(spec.suspend, false);
  assert.equal(spec.successfulJobsHistoryLimit, 3);
  assert.equal(spec.failedJobsHistoryLimit, 1);
  assert.equal(spec.jobTemplate.spec.backoffLimit, undefined);
  assert.equal(spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.jobTemplate.spec.template.spec.restartPolicy, 'OnFailure');
});

test('service defaults for ClusterIP', () => {
  const svc: KubeObject = {
    metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { port: 443, targetPort: 'https', name: 'https' }] },
  };
  applyBuiltinDefaults(ri('', 'v1', 'Service'), svc);
  const spec = svc.spec as Any;
  assert.equal(spec.type, 'ClusterIP');
  assert.equal(spec.sessionAffinity, 'None');
  assert.equal(spec.ports[0].protocol, 'TCP');
  assert.equal(spec.ports[0].targetPort, 80);
  assert.equal(spec.ports[1].targetPort, 'https');
  assert.equal(spec.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual(spec.ipFamilies, ['IPv4']);
  assert.equal(spec.internalTrafficPolicy, 'Cluster');
  assert.equal(spec.externalTrafficPolicy, undefined);
  assert.equal(spec.clusterIP, undefined);
  assert.deepEqual(svc.status, { loadBalancer: {} });
});

test('service defaults for LoadBalancer, ClientIP affinity and headless', () => {
  const lb: KubeObject = { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] } };
  applyBuiltinDefaults(ri('', 'v1', 'Service'), lb);
  const spec = lb.spec as Any;
  assert.equal(spec.externalTrafficPolicy, 'Cluster');
  assert.equal(spec.allocateLoadBalancerNodePorts, true);
  assert.equal(spec.sessionAffinityConfig.clientIP.timeoutSeconds, 10800);
  const headless: KubeObject = { metadata: { name: 'h' }, spec: { clusterIP: 'None', selector: { app: 'x' }, ports: [{ port: 80 }] } };
  applyBuiltinDefaults(ri('', 'v1', 'Service'), headless);
  assert.deepEqual((headless.spec as Any).clusterIPs, ['None']);
  assert.equal((headless.spec as Any).ipFamilyPolicy, 'SingleStack');
  const ext: KubeObject = { metadata: { name: 'e' }, spec: { type: 'ExternalName', externalName: 'example.com' } };
  applyBuiltinDefaults(ri('', 'v1', 'Service'), ext);
  assert.equal((ext.spec as Any).ipFamilyPolicy, undefined);
  assert.equal((ext.spec as Any).internalTrafficPolicy, undefined);
});

test('namespace, secret, pvc, endpoints, endpointslice defaults', () => {
  const ns: KubeObject = { metadata: { name: 'team-a' } };
  applyBuiltinDefaults(ri('', 'v1', 'Namespace', false), ns);
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
  assert.equal(ns.metadata?.labels?.['kubernetes.io/metadata.name'], 'team-a');
  const sec: KubeObject = { metadata: { name: 's' }, data: {} };
  applyBuiltinDefaults(ri('', 'v1', 'Secret'), sec);
  assert.equal(sec.type, 'Opaque');
  const pvc: KubeObject = { metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'] } };
  applyBuiltinDefaults(ri('', 'v1', 'PersistentVolumeClaim'), pvc);
  assert.equal((pvc.spec as Any).volumeMode, 'Filesystem');
  assert.equal((pvc.status as Any).phase, 'Pending');
  const ep: KubeObject = { metadata: { name: 'e' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] };
  applyBuiltinDefaults(ri('', 'v1', 'Endpoints'), ep);
  assert.equal((ep.subsets as Any)[0].ports[0].protocol, 'TCP');
  const es: KubeObject = { metadata: { name: 'e' }, addressType: 'IPv4', ports: [{ port: 80 }] };
  applyBuiltinDefaults(ri('discovery.k8s.io', 'v1', 'EndpointSlice'), es);
  assert.deepEqual((es.ports as Any)[0], { port: 80, protocol: 'TCP', name: '' });
  const cm: KubeObject = { metadata: { name: 'c' }, data: { a: 'b' } };
  applyBuiltinDefaults(ri('', 'v1', 'ConfigMap'), cm);
  assert.deepEqual(cm, { metadata: { name: 'c' }, data: { a: 'b' } });
});

test('webhook configuration, rolebinding, networkpolicy, hpa, storageclass defaults', () => {
  const wh: KubeObject = {
    metadata: { name: 'w' },
    webhooks: [{ name: 'a.b.c', clientConfig: { service: { name: 's', namespace: 'n' } }, rules: [{ operations: ['CREATE'] }] }],
  };
  applyBuiltinDefaults(ri('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', false), wh);
  const w = (wh.webhooks as Any)[0];
  assert.equal(w.failurePolicy, 'Fail');
  assert.equal(w.matchPolicy, 'Equivalent');
  assert.equal(w.timeoutSeconds, 10);
  assert.equal(w.reinvocationPolicy, 'Never');
  assert.deepEqual(w.namespaceSelector, {});
  assert.equal(w.rules[0].scope, '*');
  assert.equal(w.clientConfig.service.port, 443);
  const rb: KubeObject = { metadata: { name: 'r' }, subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'x' }] };
  applyBuiltinDefaults(ri('rbac.authorization.k8s.io', 'v1', 'RoleBinding'), rb);
  assert.equal((rb.subjects as Any)[0].apiGroup, 'rbac.authorization.k8s.io');
  assert.equal((rb.subjects as Any)[1].apiGroup, '');
  const np: KubeObject = { metadata: { name: 'n' }, spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } };
  applyBuiltinDefaults(ri('networking.k8s.io', 'v1', 'NetworkPolicy'), np);
  assert.deepEqual((np.spec as Any).policyTypes, ['Ingress', 'Egress']);
  assert.equal((np.spec as Any).egress[0].ports[0].protocol, 'TCP');
  const hpa: KubeObject = { metadata: { name: 'h' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 5 } };
  applyBuiltinDefaults(ri('autoscaling', 'v2', 'HorizontalPodAutoscaler'), hpa);
  assert.equal((hpa.spec as Any).minReplicas, 1);
  assert.equal((hpa.spec as Any).metrics[0].resource.target.averageUtilization, 80);
  const sc: KubeObject = { metadata: { name: 'std' }, provisioner: 'x.io/p' };
  applyBuiltinDefaults(ri('storage.k8s.io', 'v1', 'StorageClass', false), sc);
  assert.equal(sc.reclaimPolicy, 'Delete');
  assert.equal(sc.volumeBindingMode, 'Immediate');
});

test('defaulting is idempotent', () => {
  const d: KubeObject = { metadata: { name: 'web' }, spec: { template: { spec: podSpec() } } };
  applyBuiltinDefaults(ri('apps', 'v1', 'Deployment'), d);
  const once = JSON.stringify(d);
  applyBuiltinDefaults(ri('apps', 'v1', 'Deployment'), d);
  assert.equal(JSON.stringify(d), once);
});

test('generationRelevantChange: spec changes for workloads, never for ConfigMap', () => {
  const dep = ri('apps', 'v1', 'Deployment');
  const a: KubeObject = { metadata: { name: 'x', labels: { a: '1' } }, spec: { replicas: 1 }, status: { replicas: 1 } };
  const b: KubeObject = { metadata: { name: 'x', labels: { a: '2' } }, spec: { replicas: 1 }, status: { replicas: 0 } };
  assert.equal(generationRelevantChange(dep, a, b), false);
  assert.equal(generationRelevantChange(dep, a, { ...a, spec: { replicas: 2 } }), true);
  const cm = ri('', 'v1', 'ConfigMap');
  assert.equal(generationRelevantChange(cm, { data: { a: '1' } }, { data: { a: '2' } }), false);
  assert.equal(kindTracksGeneration(cm), false);
  assert.equal(kindTracksGeneration(dep), true);
  const wh = ri('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', false);
  assert.equal(generationRelevantChange(wh, { webhooks: [] }, { webhooks: [{ name: 'a.b.c' }] }), true);
});

test('generationRelevantChange: custom resources count anything outside metadata/status', () => {
  const cr = ri('argoproj.io', 'v1alpha1', 'Application');
  const base: KubeObject = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a' }, spec: { x: 1 } };
  assert.equal(generationRelevantChange(cr, base, { ...base, metadata: { name: 'a', annotations: { z: '1' } } }), false);
  assert.equal(generationRelevantChange(cr, base, { ...base, status: { health: 'ok' } }), false);
  assert.equal(generationRelevantChange(cr, base, { ...base, operation: { sync: {} } }), true);
  assert.equal(generationRelevantChange(cr, base, { ...base, spec: { x: 2 } }), true);
  // Key order does not matter.
  assert.equal(generationRelevantChange(cr, { spec: { a: 1, b: 2 } }, { spec: { b: 2, a: 1 } }), false);
  assert.equal(kindTracksGeneration(cr), true);
});
