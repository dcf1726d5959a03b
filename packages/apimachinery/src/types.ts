/**
 * Shared vocabulary of Flotilla's Kubernetes packages: object shapes, resource descriptions,
 * the schema shape used by patching/validation, and Status causes.
 */

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** How the scale subresource maps onto an object (CRD `subresources.scale` semantics). */
export interface ScaleSubresource {
  specReplicasPath: string; // e.g. ".spec.replicas"
  statusReplicasPath: string; // e.g. ".status.replicas"
  labelSelectorPath?: string; // e.g. ".status.selector"
}

/** One served resource: what discovery lists and what the server routes. */
export interface ResourceInfo {
  group: string; // "" for the core group
  version: string;
  kind: string;
  listKind: string;
  plural: string; // the resource name in URLs, e.g. "deployments"
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[]; // e.g. ["create","delete","deletecollection","get","list","patch","update","watch"]
  subresources?: {
    status?: boolean;
    scale?: ScaleSubresource;
  };
  /** true when this version is the storage version (CRDs); built-ins: always true. */
  storage?: boolean;
}

/**
 * The schema shape used by patching, validation, defaulting and pruning: an OpenAPI v3 schema
 * subset with Kubernetes' extensions. `$ref` (e.g. "#/components/schemas/io.k8s.api.core.v1.Pod")
 * is resolved through TypeSchema.resolve, so recursive types are possible.
 */
export interface StructSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, StructSchema>;
  additionalProperties?: StructSchema | boolean;
  items?: StructSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  $ref?: string;
  allOf?: StructSchema[];
  anyOf?: StructSchema[];
  oneOf?: StructSchema[];
  not?: StructSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  multipleOf?: number;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string; // "merge" | "replace" | "retainKeys" | "merge,retainKeys"
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  [key: string]: unknown;
}

/** A root schema plus a resolver for `$ref`s inside it. */
export interface TypeSchema {
  root: StructSchema;
  resolve(ref: string): StructSchema | undefined;
}

/** A reason for an Invalid (422) error, as in metav1.StatusCause. */
export interface Cause {
  /** e.g. "FieldValueRequired", "FieldValueInvalid", "FieldValueNotSupported", "FieldValueTypeInvalid", "FieldValueDuplicate", "FieldValueTooLong", "FieldValueForbidden" */
  reason: string;
  message: string;
  /** JSON-ish path: "spec.template.spec.containers[0].image", "metadata.name" */
  field: string;
}

/** A column of a Table response (meta.k8s.io/v1 TableColumnDefinition). */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string; // "name" for the NAME column, "" otherwise
  description: string;
  priority: number; // 0 = always shown, 1 = only with -o wide
}

/** How to print one kind as a table: column definitions and a function giving a row's cells. */
export interface TablePrinter {
  columns: TableColumn[];
  /** cells, one per column, in column order; `now` is used for ages. */
  cells(obj: KubeObject, now: Date): unknown[];
}
