/**
 * @flotilla/k8s-patch — pure functions for Kubernetes patch semantics.
 * CONTRACT (implemented by the k8s-patch work; the API server codes against these signatures):
 *
 * - jsonMergePatch: RFC 7386 merge patch
 * - jsonPatch: RFC 6902 JSON patch
 * - strategicMergePatch: Kubernetes strategic merge patch (with directives)
 * - serverSideApply / updateManagedFields: field management (metadata.managedFields, FieldsV1)
 *
 * Nothing here mutates its inputs or performs I/O.
 */
import type { KubeObject, ManagedFieldsEntry, TypeSchema } from '@flotilla/apimachinery';
import { computeServerSideApply, computeUpdateManagedFields } from './managed.js';

export { PatchError, ApplyConflictError, type ApplyConflict } from './errors.js';
export { jsonMergePatch } from './merge-patch.js';
export { jsonPatch } from './json-patch.js';
export { strategicMergePatch } from './strategic.js';
export { threeWayPatch } from './three-way.js';
export { FieldSet, pathString } from './fieldset.js';
export { deepEqual } from './json.js';
export { rootSchema, propSchema, itemSchema, smpListKind, type SmpList } from './schema.js';

export interface ApplyArgs {
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  schema: TypeSchema | undefined;
  apiVersion: string;
  now: string;
  subresource?: string;
}

/**
 * Server-side apply: merges `applied` into `live` (undefined for a create), removes fields this
 * manager applied before but no longer applies (unless another manager owns them), and returns
 * the new object with updated `metadata.managedFields`. Throws ApplyConflictError listing every
 * conflict unless `force`; PatchError for malformed configurations.
 */
export function serverSideApply(args: ApplyArgs): KubeObject {
  return computeServerSideApply(args);
}

export interface UpdateArgs {
  old: KubeObject | undefined;
  updated: KubeObject;
  manager: string;
  schema: TypeSchema | undefined;
  apiVersion: string;
  now: string;
  subresource?: string;
}

/**
 * The managedFields for `updated` after a non-apply write by `manager` (operation "Update");
 * `old` is undefined for a create.
 */
export function updateManagedFields(args: UpdateArgs): ManagedFieldsEntry[] {
  return computeUpdateManagedFields(args);
}
