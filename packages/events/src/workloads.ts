/**
 * EventSource / Sensor → its Deployment (and the EventSource's Service), pure. The pods run the
 * argo-events image (`ARGO_EVENTS_IMAGE`) with `args: [eventsource-service]` / `[sensor-service]`
 * and the environment of the runtime contract (docs/events.md): EVENTSOURCE_OBJECT / SENSOR_OBJECT
 * (base64 JSON), EVENTBUS_CONFIG (base64 JSON of the bus's status.config), EVENT_BUS_SUBJECT,
 * POD_NAME, EVENTSOURCE_NAMESPACE / SENSOR_NAMESPACE; the bus access Secret mounted at
 * /volumes/events-bus-auth/<secret>/<key>. A spec change changes the template's hash annotation,
 * which rolls the Deployment.
 */
import type { AnyObj } from './util.js';
import { b64, hashOf, ownerRef, runtimeObject } from './util.js';
import type { BusConfig } from './eventbus.js';

export const HASH_ANNOTATION = 'events.argoproj.io/spec-hash';
export const BUS_AUTH_DIR = '/volumes/events-bus-auth';
/** The runtime's metrics and health port (upstream's :7777). */
export const METRICS_PORT = 7777;

export type Kind = 'EventSource' | 'Sensor';

const K = {
  EventSource: { controller: 'eventsource-controller', label: 'eventsource-name', suffix: 'eventsource', objEnv: 'EVENTSOURCE_OBJECT', nsEnv: 'EVENTSOURCE_NAMESPACE', cmd: 'eventsource-service' },
  Sensor: { controller: 'sensor-controller', label: 'sensor-name', suffix: 'sensor', objEnv: 'SENSOR_OBJECT', nsEnv: 'SENSOR_NAMESPACE', cmd: 'sensor-service' },
} as const;

export function deploymentName(kind: Kind, name: string): string {
  return `${name}-${K[kind].suffix}`;
}

export function serviceName(eventSource: string): string {
  return `${eventSource}-eventsource-svc`;
}

export function selectorLabels(kind: Kind, name: string): Record<string, string> {
  return { controller: K[kind].controller, [K[kind].label]: name, 'owner-name': name };
}

/** The bus access secret of a bus config, if any. */
export function accessSecret(cfg: BusConfig): { name: string; key: string } | undefined {
  return cfg.nats?.accessSecret ?? cfg.jetstream?.accessSecret ?? (cfg.kafka?.sasl?.password as { name: string; key: string } | undefined);
}

/** The names of the event sources of an EventSource's spec (`<type>: {<eventName>: …}`). */
export const SOURCE_TYPES = [
  'minio', 'calendar', 'file', 'resource', 'webhook', 'amqp', 'kafka', 'mqtt', 'nats', 'sns', 'sqs', 'pubSub', 'github', 'gitlab',
  'hdfs', 'slack', 'storageGrid', 'azureEventsHub', 'stripe', 'emitter', 'redis', 'nsq', 'pulsar', 'generic', 'bitbucketserver',
  'bitbucket', 'redisStream', 'azureServiceBus', 'azureQueueStorage', 'sftp', 'gerrit',
] as const;

/** Ports the EventSource's pod listens on: the Service's target ports and the webhook-like sources' ports. */
function containerPorts(es: AnyObj): AnyObj[] {
  const ports = new Set<number>();
  for (const p of es.spec?.service?.ports ?? []) {
    const t = Number(p.targetPort ?? p.port);
    if (Number.isInteger(t) && t > 0) ports.add(t);
  }
  return [...ports].map((containerPort) => ({ containerPort }));
}

/** where an EventSource finds a native bus's limits.json */
export const BUS_LIMITS_DIR = '/volumes/events-bus-limits';

export interface WorkloadInput {
  obj: AnyObj;
  kind: Kind;
  bus: BusConfig;
  image: string;
}

/** The Deployment of an EventSource or Sensor. */
export function buildDeployment({ obj, kind, bus, image }: WorkloadInput): AnyObj {
  const name = obj.metadata.name;
  const ns = obj.metadata.namespace;
  const k = K[kind];
  const tpl: AnyObj = obj.spec?.template ?? {};
  const ctr: AnyObj = tpl.container ?? {};
  const sel = selectorLabels(kind, name);
  const secret = accessSecret(bus);
  const env: AnyObj[] = [
    ...(ctr.env ?? []),
    { name: k.objEnv, value: b64(JSON.stringify(runtimeObject(obj))) },
    { name: 'EVENTBUS_CONFIG', value: b64(JSON.stringify(bus)) },
    { name: 'EVENT_BUS_SUBJECT', value: `eventbus-${ns}` },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: k.nsEnv, value: ns },
  ];
  const volumeMounts: AnyObj[] = [...(ctr.volumeMounts ?? [])];
  const volumes: AnyObj[] = [...(tpl.volumes ?? [])];
  // a native bus's limits (the ConfigMap's limits.json, mounted so a change reaches running pods without a roll)
  const limitsCm = (bus as { nats?: { limitsConfigMap?: string } }).nats?.limitsConfigMap;
  if (kind === 'EventSource' && limitsCm) {
    volumes.push({ name: 'bus-limits-volume', configMap: { name: limitsCm, optional: true, items: [{ key: 'limits.json', path: 'limits.json' }] } });
    volumeMounts.push({ name: 'bus-limits-volume', mountPath: BUS_LIMITS_DIR, readOnly: true });
  }
  if (secret) {
    volumes.push({ name: 'auth-volume', secret: { secretName: secret.name, items: [{ key: secret.key, path: secret.key }] } });
    volumeMounts.push({ name: 'auth-volume', mountPath: `${BUS_AUTH_DIR}/${secret.name}`, readOnly: true });
  }
  const container: AnyObj = {
    name: 'main',
    image,
    imagePullPolicy: ctr.imagePullPolicy ?? 'IfNotPresent',
    command: ['argo-events'],
    args: [k.cmd],
    env,
    ...(ctr.envFrom ? { envFrom: ctr.envFrom } : {}),
    ...(ctr.resources ? { resources: ctr.resources } : {}),
    ...(ctr.securityContext ? { securityContext: ctr.securityContext } : {}),
    ...(kind === 'EventSource' ? { ports: containerPorts(obj) } : {}),
    volumeMounts,
    // the runtime answers /readyz on its metrics port once it is connected to the bus
    readinessProbe: { httpGet: { path: '/readyz', port: METRICS_PORT }, initialDelaySeconds: 1, periodSeconds: 2 },
  };
  const podSpec: AnyObj = {
    containers: [container],
    volumes,
    ...(tpl.serviceAccountName ? { serviceAccountName: tpl.serviceAccountName } : {}),
    ...(tpl.securityContext ? { securityContext: tpl.securityContext } : {}),
    ...(tpl.nodeSelector ? { nodeSelector: tpl.nodeSelector } : {}),
    ...(tpl.tolerations ? { tolerations: tpl.tolerations } : {}),
    ...(tpl.affinity ? { affinity: tpl.affinity } : {}),
    ...(tpl.imagePullSecrets ? { imagePullSecrets: tpl.imagePullSecrets } : {}),
    ...(tpl.priorityClassName ? { priorityClassName: tpl.priorityClassName } : {}),
    ...(tpl.priority !== undefined ? { priority: tpl.priority } : {}),
    ...(tpl.dnsPolicy ? { dnsPolicy: tpl.dnsPolicy } : {}),
    ...(tpl.dnsConfig ? { dnsConfig: tpl.dnsConfig } : {}),
    ...(tpl.schedulerName ? { schedulerName: tpl.schedulerName } : {}),
  };
  const hash = hashOf({ podSpec, meta: tpl.metadata ?? {} });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: deploymentName(kind, name), namespace: ns, labels: { ...sel }, ownerReferences: [ownerRef(obj)] },
    spec: {
      replicas: Number(obj.spec?.replicas ?? 1),
      revisionHistoryLimit: obj.spec?.revisionHistoryLimit ?? 5,
      selector: { matchLabels: sel },
      template: {
        metadata: { labels: { ...(tpl.metadata?.labels ?? {}), ...sel }, annotations: { ...(tpl.metadata?.annotations ?? {}), [HASH_ANNOTATION]: hash } },
        spec: podSpec,
      },
    },
  };
}

/** The Service `<name>-eventsource-svc` of an EventSource with `spec.service`, else undefined. */
export function buildService(es: AnyObj): AnyObj | undefined {
  const svc = es.spec?.service;
  if (!svc) return undefined;
  const name = es.metadata.name;
  const sel = selectorLabels('EventSource', name);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: serviceName(name),
      namespace: es.metadata.namespace,
      labels: { ...(svc.metadata?.labels ?? {}), ...sel },
      ...(svc.metadata?.annotations ? { annotations: svc.metadata.annotations } : {}),
      ownerReferences: [ownerRef(es)],
    },
    spec: {
      ...(svc.clusterIP ? { clusterIP: svc.clusterIP } : {}),
      ...(svc.type ? { type: svc.type } : {}),
      selector: sel,
      ports: (svc.ports ?? []).map((p: AnyObj, i: number) => ({ ...p, name: p.name ?? `port-${i}`, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port })),
    },
  };
}
