/**
 * @flotilla/k8s-patch — pure functions for Kubernetes patch semantics.
 * CONTRACT (implemented by the k8s-patch work; the API server codes against these signatures):
 */
import type { KubeObject, ManagedFieldsEntry, TypeSchema } from '@flotilla/apimachinery';

/** Thrown for a malformed patch or one that cannot apply (→ HTTP 422 / 400 by the server). */
export class PatchError extends Error {
  constructor(message: string, readonly code: 400 | 422 | 409 = 422) {
    super(message);
  }
}

/** One field owned by another manager that an apply would change. */
export interface ApplyConflict {
  manager: string;
  /** Kubernetes-style field path, e.g. ".spec.replicas" or ".spec.template.spec.containers[name=\"nginx\"].image" */
  field: string;
}

export class ApplyConflictError extends Error {
  constructor(readonly conflicts: ApplyConflict[]) {
    super(`Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ` +
      conflicts.map((c) => `conflict with "${c.manager}": ${c.field}`).join('\n'));
  }
}

export declare function jsonMergePatch(target: unknown, patch: unknown): unknown;
export declare function jsonPatch(target: unknown, ops: unknown): unknown;
export declare function strategicMergePatch(original: KubeObject, patch: unknown, schema: TypeSchema | undefined): KubeObject;

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
export declare function serverSideApply(args: ApplyArgs): KubeObject;

export interface UpdateArgs {
  old: KubeObject | undefined;
  updated: KubeObject;
  manager: string;
  schema: TypeSchema | undefined;
  apiVersion: string;
  now: string;
  subresource?: string;
}
export declare function updateManagedFields(args: UpdateArgs): ManagedFieldsEntry[];
