/** JSON Merge Patch, RFC 7386. */
import { deepClone, hasOwn, isObject, setOwn, type JsonObject } from './json.js';

/**
 * Applies an RFC 7386 merge patch: objects merge recursively, `null` deletes a member, any other
 * value (arrays included) replaces the target. Neither argument is mutated.
 */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return deepClone(patch);
  const out: JsonObject = isObject(target) ? deepClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    setOwn(out, k, jsonMergePatch(hasOwn(out, k) ? out[k] : undefined, v));
  }
  return out;
}
