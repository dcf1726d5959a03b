/**
 * Which copy of an object a page keeps when copies arrive out of order: a GET or an action's answer can
 * arrive after the watch stream has already delivered a newer copy (the controller acted on the change in
 * between), and showing the older one would leave the page stale until the object next changes, which for a
 * finished workflow is never.
 */
export interface Versioned {
  metadata?: { uid?: string; resourceVersion?: string };
}

const DECIMAL = /^\d+$/;

/**
 * True when `incoming` is not older than `current`: another object (uid), no current copy, or
 * resourceVersions that are not both decimal (Kubernetes calls them opaque; every API server in use
 * counts them, and when one does not the newest arrival wins as before).
 */
export function isFresher(current: Versioned | undefined, incoming: Versioned | undefined): boolean {
  if (!incoming) return false;
  if (!current) return true;
  const a = current.metadata, b = incoming.metadata;
  if (!a?.uid || !b?.uid || a.uid !== b.uid) return true;
  const ra = a.resourceVersion ?? '', rb = b.resourceVersion ?? '';
  if (!DECIMAL.test(ra) || !DECIMAL.test(rb)) return true;
  const x = ra.replace(/^0+(?=\d)/, ''), y = rb.replace(/^0+(?=\d)/, '');
  return y.length !== x.length ? y.length > x.length : y >= x;
}

/** The copy to keep: `incoming` unless it is older than `current`. */
export const fresher = <T extends Versioned>(current: T | undefined, incoming: T): T => (current && !isFresher(current, incoming) ? current : incoming);
