/**
 * Editing a live resource's manifest (the resource panel's EDIT): the edited object checked against the
 * live one, and the JSON merge patch (RFC 7386) that turns one into the other — what the UI sends to
 * argocd-server's `POST /api/v1/applications/{name}/resource?patchType=application/merge-patch+json`.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The merge patch from `before` to `after`: changed or added keys with their new value, removed keys as
 * null, objects compared key by key, anything else (arrays, scalars) replaced whole. `undefined` when
 * nothing changed.
 */
export function mergePatch(before: unknown, after: unknown): Json | undefined {
  if (!isObj(before) || !isObj(after)) return JSON.stringify(before) === JSON.stringify(after) ? undefined : (after as Json);
  const out: Record<string, Json> = {};
  for (const k of Object.keys(before)) if (!(k in after)) out[k] = null;
  for (const [k, v] of Object.entries(after)) {
    if (!(k in before)) out[k] = v;
    else {
      // (a key set to null in `after` reads as removed, as a merge patch has it)
      const p = mergePatch(before[k], v);
      if (p !== undefined) out[k] = p;
    }
  }
  return Object.keys(out).length ? out : undefined;
}

export interface EditResult {
  /** the merge patch to send, or undefined when nothing changed */
  patch?: Json;
  /** why the edited text cannot be sent (named field), if it cannot */
  error?: string;
}

/**
 * The merge patch for an edited manifest (`edited`: the YAML parsed), refusing what the API could not
 * take as an edit of this object: not an object, another apiVersion/kind, another name or namespace.
 */
export function manifestEdit(live: unknown, edited: unknown): EditResult {
  if (!isObj(edited)) return { error: 'the manifest must be a YAML mapping (an object), not ' + (Array.isArray(edited) ? 'a list' : edited === null || edited === undefined ? 'empty' : `a ${typeof edited}`) };
  const l = (isObj(live) ? live : {}) as Record<string, any>;
  const e = edited as Record<string, any>;
  for (const f of ['apiVersion', 'kind'] as const)
    if (e[f] !== l[f]) return { error: `${f}: cannot change from ${JSON.stringify(l[f])} to ${JSON.stringify(e[f])} — edit the resource itself, not another one` };
  if (!isObj(e.metadata)) return { error: 'metadata: missing (the manifest needs its metadata with the name)' };
  for (const f of ['name', 'namespace'] as const)
    if ((e.metadata[f] ?? '') !== (l.metadata?.[f] ?? '')) return { error: `metadata.${f}: cannot change from ${JSON.stringify(l.metadata?.[f] ?? '')} to ${JSON.stringify(e.metadata[f] ?? '')}` };
  // the resourceVersion is kept out of the patch: a merge patch carrying it would fail on any newer write
  const { resourceVersion: _rv, ...liveMeta } = l.metadata ?? {};
  const { resourceVersion: _rv2, ...editedMeta } = e.metadata;
  return { patch: mergePatch({ ...l, metadata: liveMeta }, { ...e, metadata: editedMeta }) };
}
