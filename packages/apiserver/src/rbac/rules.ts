/**
 * RBAC policy rules as Kubernetes evaluates them (pure): does a rule allow a request's attributes,
 * does a set of rules cover another (escalation prevention), and the compact text Kubernetes
 * prints for rules in its messages.
 */

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** What a request asks for (authorizer.Attributes). */
export interface Attributes {
  verb: string;
  resourceRequest: boolean;
  /** non-resource requests: the URL path */
  path?: string;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  namespace?: string;
}

const has = (list: readonly string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

export function verbMatches(r: PolicyRule, verb: string): boolean {
  return has(r.verbs, verb);
}

export function apiGroupMatches(r: PolicyRule, group: string): boolean {
  return has(r.apiGroups, group);
}

/** `*`, the exact "resource/subresource", or `*\/subresource`. */
export function resourceMatches(r: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const rr of r.resources ?? []) {
    if (rr === '*' || rr === combined) return true;
    if (subresource && rr === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(r: PolicyRule, name: string | undefined): boolean {
  if (!r.resourceNames || r.resourceNames.length === 0) return true;
  return !!name && r.resourceNames.includes(name);
}

/** `*`, the exact path, or a prefix ending in `*`. */
export function nonResourceURLMatches(r: PolicyRule, path: string): boolean {
  for (const u of r.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: Attributes, r: PolicyRule): boolean {
  if (a.resourceRequest) {
    return verbMatches(r, a.verb) && apiGroupMatches(r, a.apiGroup ?? '') && resourceMatches(r, a.resource ?? '', a.subresource) && resourceNameMatches(r, a.name);
  }
  return verbMatches(r, a.verb) && nonResourceURLMatches(r, a.path ?? '');
}

export function rulesAllow(a: Attributes, rules: readonly PolicyRule[]): boolean {
  for (const r of rules) if (ruleAllows(a, r)) return true;
  return false;
}

/** A rule broken down to one verb × group × resource × name (or nonResourceURL) each. */
export function breakdownRule(r: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const g of r.apiGroups ?? [])
    for (const res of r.resources ?? [])
      for (const v of r.verbs ?? []) {
        if (r.resourceNames?.length) for (const n of r.resourceNames) out.push({ apiGroups: [g], resources: [res], verbs: [v], resourceNames: [n] });
        else out.push({ apiGroups: [g], resources: [res], verbs: [v] });
      }
  for (const u of r.nonResourceURLs ?? []) for (const v of r.verbs ?? []) out.push({ nonResourceURLs: [u], verbs: [v] });
  return out;
}

/** Does `owner` cover one broken-down rule? Wildcards in the servant only match wildcards. */
function coversOne(owner: PolicyRule, s: PolicyRule): boolean {
  if (!has(owner.verbs, s.verbs[0])) return false;
  if (s.nonResourceURLs?.length) {
    const u = s.nonResourceURLs[0];
    return (owner.nonResourceURLs ?? []).some((o) => o === '*' || o === u || (o.endsWith('*') && u.startsWith(o.slice(0, -1))));
  }
  if (!has(owner.apiGroups, s.apiGroups![0])) return false;
  const res = s.resources![0];
  const slash = res.indexOf('/');
  const sub = slash >= 0 ? res.slice(slash + 1) : undefined;
  const base = slash >= 0 ? res.slice(0, slash) : res;
  if (!resourceMatches(owner, base, sub)) return false;
  if (!owner.resourceNames?.length) return true;
  return !!s.resourceNames?.length && owner.resourceNames.includes(s.resourceNames[0]);
}

/** The parts of `servant` no rule of `owner` covers (empty: covered). */
export function uncovered(owner: readonly PolicyRule[], servant: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const r of servant) for (const piece of breakdownRule(r)) if (!owner.some((o) => coversOne(o, piece))) missing.push(piece);
  return compactRules(missing);
}

/** Merges broken-down rules that differ only in their verbs (as Kubernetes' CompactRules). */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const byKey = new Map<string, PolicyRule>();
  for (const r of rules) {
    const single = (r.apiGroups?.length ?? 0) <= 1 && (r.resources?.length ?? 0) <= 1 && !r.nonResourceURLs?.length;
    if (!single) {
      out.push(r);
      continue;
    }
    const k = JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? []]);
    const prev = byKey.get(k);
    if (prev) {
      for (const v of r.verbs) if (!prev.verbs.includes(v)) prev.verbs.push(v);
    } else {
      const c = { ...r, verbs: [...r.verbs] };
      byKey.set(k, c);
      out.push(c);
    }
  }
  return out;
}

/** Go's %q of a []string: ["a" "b"]. */
export const goQuoteList = (l: readonly string[] | undefined) => `[${(l ?? []).map((s) => JSON.stringify(s)).join(' ')}]`;

/** PolicyRule.CompactString: {APIGroups:[""], Resources:["pods"], Verbs:["get"]}. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQuoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQuoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQuoteList(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${goQuoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Reads `rules` of a Role/ClusterRole object leniently (bad entries are skipped). */
export function rulesOf(obj: object | undefined): PolicyRule[] {
  const rs = (obj as { rules?: unknown } | undefined)?.rules;
  if (!Array.isArray(rs)) return [];
  const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
  const out: PolicyRule[] = [];
  for (const r of rs) {
    if (!r || typeof r !== 'object') continue;
    const o = r as Record<string, unknown>;
    out.push({ verbs: strs(o.verbs) ?? [], apiGroups: strs(o.apiGroups), resources: strs(o.resources), resourceNames: strs(o.resourceNames), nonResourceURLs: strs(o.nonResourceURLs) });
  }
  return out;
}
