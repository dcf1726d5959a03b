/**
 * A small hand-written schema (Deployment / Pod shaped) used by the tests. It exercises `$ref`s,
 * `allOf` wrappers, patch strategies, merge keys and list/map types.
 */
import { typeSchemaFrom, type StructSchema, type TypeSchema } from '@flotilla/apimachinery';

const ref = (name: string): StructSchema => ({ $ref: `#/components/schemas/${name}` });
const str: StructSchema = { type: 'string' };
const int: StructSchema = { type: 'integer' };
const strMap: StructSchema = { type: 'object', additionalProperties: str };
const mergeList = (item: StructSchema, key: string, mapKeys: string[] = [key], extra: StructSchema = {}): StructSchema => ({
  type: 'array',
  items: item,
  'x-kubernetes-patch-strategy': 'merge',
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': mapKeys,
  ...extra,
});

const schemas: Record<string, StructSchema> = {
  ObjectMeta: {
    type: 'object',
    properties: {
      name: str,
      namespace: str,
      uid: str,
      resourceVersion: str,
      generation: int,
      creationTimestamp: str,
      labels: strMap,
      annotations: strMap,
      finalizers: { type: 'array', items: str, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' },
      ownerReferences: mergeList(ref('OwnerReference'), 'uid'),
      managedFields: { type: 'array', items: { type: 'object' } },
    },
  },
  OwnerReference: {
    type: 'object',
    properties: { apiVersion: str, kind: str, name: str, uid: str, controller: { type: 'boolean' } },
  },
  LabelSelector: {
    type: 'object',
    properties: { matchLabels: strMap, matchExpressions: { type: 'array', items: { type: 'object' } } },
    'x-kubernetes-map-type': 'atomic',
  },
  Deployment: {
    type: 'object',
    properties: {
      apiVersion: str,
      kind: str,
      metadata: { allOf: [ref('ObjectMeta')], default: {} },
      spec: { allOf: [ref('DeploymentSpec')], default: {} },
      status: { type: 'object', properties: { replicas: int, readyReplicas: int } },
    },
  },
  DeploymentSpec: {
    type: 'object',
    properties: {
      replicas: int,
      selector: ref('LabelSelector'),
      template: ref('PodTemplateSpec'),
      strategy: { allOf: [ref('DeploymentStrategy')], 'x-kubernetes-patch-strategy': 'retainKeys' },
      minReadySeconds: int,
    },
  },
  DeploymentStrategy: {
    type: 'object',
    properties: {
      type: str,
      rollingUpdate: { type: 'object', properties: { maxSurge: str, maxUnavailable: str } },
    },
  },
  PodTemplateSpec: {
    type: 'object',
    properties: { metadata: ref('ObjectMeta'), spec: ref('PodSpec') },
  },
  Pod: {
    type: 'object',
    properties: { apiVersion: str, kind: str, metadata: ref('ObjectMeta'), spec: ref('PodSpec') },
  },
  PodSpec: {
    type: 'object',
    properties: {
      containers: mergeList(ref('Container'), 'name'),
      initContainers: mergeList(ref('Container'), 'name'),
      volumes: mergeList(ref('Volume'), 'name', ['name'], { 'x-kubernetes-patch-strategy': 'merge,retainKeys' }),
      tolerations: { type: 'array', items: { type: 'object', properties: { key: str, operator: str, effect: str } } },
      topologySpreadConstraints: mergeList(ref('TopologySpreadConstraint'), 'topologyKey', ['topologyKey', 'whenUnsatisfiable']),
      nodeSelector: { ...strMap, 'x-kubernetes-map-type': 'atomic' },
      restartPolicy: str,
    },
  },
  Container: {
    type: 'object',
    properties: {
      name: str,
      image: str,
      imagePullPolicy: str,
      command: { type: 'array', items: str },
      args: { type: 'array', items: str, 'x-kubernetes-list-type': 'atomic' },
      env: mergeList(ref('EnvVar'), 'name'),
      ports: mergeList(ref('ContainerPort'), 'containerPort', ['containerPort', 'protocol']),
      volumeMounts: mergeList(ref('VolumeMount'), 'mountPath'),
      resources: {
        type: 'object',
        properties: { limits: strMap, requests: strMap },
      },
    },
  },
  EnvVar: { type: 'object', properties: { name: str, value: str } },
  ContainerPort: {
    type: 'object',
    properties: { containerPort: int, protocol: { type: 'string', default: 'TCP' }, name: str, hostPort: int },
  },
  VolumeMount: { type: 'object', properties: { name: str, mountPath: str, readOnly: { type: 'boolean' } } },
  Volume: {
    type: 'object',
    properties: {
      name: str,
      emptyDir: { type: 'object', properties: { medium: str } },
      configMap: { type: 'object', properties: { name: str } },
      secret: { type: 'object', properties: { secretName: str } },
    },
  },
  TopologySpreadConstraint: {
    type: 'object',
    properties: { topologyKey: str, whenUnsatisfiable: str, maxSkew: int },
  },
};

export const deploymentSchema: TypeSchema = typeSchemaFrom(ref('Deployment'), schemas);
export const podSchema: TypeSchema = typeSchemaFrom(ref('Pod'), schemas);

/** A typical Deployment used throughout the tests. */
export function nginxDeployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', labels: { app: 'nginx' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.14.2',
              ports: [{ containerPort: 80 }],
            },
          ],
        },
      },
    },
  };
}
