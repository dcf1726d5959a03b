/** Errors shared by every patch flavour. */

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
