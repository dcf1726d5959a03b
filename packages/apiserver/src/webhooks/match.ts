/**
 * Pure matching of admission requests against MutatingWebhookConfiguration and
 * ValidatingWebhookConfiguration webhooks, as Kubernetes' webhook admission plugins do it:
 * rules (operations, apiGroups, apiVersions, resources with subresources and wildcards, scope),
 * matchPolicy Exact/Equivalent, namespaceSelector and objectSelector. No I/O here.
 */
import type { KubeObject, LabelRequirement } from '@flotilla/apimachinery';
import { labelSelectorRequirements, matchLabels } from '@flotilla/apimachinery';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
export type HookType = 'mutating' | 'validating';

export interface Rule {
  operations: string[];
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  scope: '*' | 'Cluster' | 'Namespaced';
}

export interface ClientConfig {
  url?: string;
  service?: { namespace: string; name: string; path?: string; port: number };
  /** PEM text decoded from caBundle; undefined: the system's trust roots */
  ca?: string;
}

/** One webhook of a configuration, normalised and with its selectors compiled. */
export interface Hook {
  type: HookType;
  /** the configuration's name */
  config: string;
  name: string;
  rules: Rule[];
  /** null: the selector is invalid and matches nothing (reported when called) */
  namespaceSelector: LabelRequirement[] | null;
  objectSelector: LabelRequirement[] | null;
  selectorError?: string;
  matchPolicy: 'Exact' | 'Equivalent';
  failurePolicy: 'Fail' | 'Ignore';
  timeoutSeconds: number;
  sideEffects: string;
  reinvocationPolicy: 'Never' | 'IfNeeded';
  admissionReviewVersions: string[];
  clientConfig: ClientConfig;
  /** why the client configuration cannot be used (reported as a call failure) */
  configError?: string;
}

/** The resource a request is about, as the rules see it. */
export interface ResourceRef {
  group: string;
  version: string;
  /** plural resource name */
  resource: string;
  subresource: string;
  kind: string;
  namespaced: boolean;
}

const str = (v: unknown, d: string): string => (typeof v === 'string' && v !== '' ? v : d);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);

function selector(sel: unknown): { reqs: LabelRequirement[] | null; error?: string } {
  if (sel === undefined || sel === null) return { reqs: [] };
  try {
    return { reqs: labelSelectorRequirements(sel as Parameters<typeof labelSelectorRequirements>[0]) };
  } catch (e) {
    return { reqs: null, error: (e as Error).message };
  }
}

/** Normalises the webhooks of one configuration object (defaults as Kubernetes' v1 API has them). */
export function compileConfig(type: HookType, cfg: KubeObject): Hook[] {
  const out: Hook[] = [];
  const config = cfg.metadata?.name ?? '';
  for (const w of ((cfg as any).webhooks ?? []) as any[]) {
    if (!w || typeof w !== 'object') continue;
    const ns = selector(w.namespaceSelector);
    const os = selector(w.objectSelector);
    const cc = w.clientConfig ?? {};
    let ca: string | undefined;
    let configError: string | undefined;
    if (typeof cc.caBundle === 'string' && cc.caBundle !== '') {
      ca = Buffer.from(cc.caBundle, 'base64').toString('utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) configError = 'clientConfig.caBundle holds no PEM certificate';
    }
    const clientConfig: ClientConfig = { ca };
    if (typeof cc.url === 'string' && cc.url) clientConfig.url = cc.url;
    else if (cc.service && typeof cc.service === 'object')
      clientConfig.service = {
        namespace: str(cc.service.namespace, 'default'),
        name: str(cc.service.name, ''),
        path: typeof cc.service.path === 'string' ? cc.service.path : undefined,
        port: Number(cc.service.port ?? 443) || 443,
      };
    else configError = 'clientConfig: exactly one of url or service is required';
    const timeout = Number(w.timeoutSeconds ?? 10);
    out.push({
      type,
      config,
      name: str(w.name, ''),
      rules: ((w.rules ?? []) as any[]).map((r) => ({
        operations: strs(r?.operations),
        apiGroups: strs(r?.apiGroups),
        apiVersions: strs(r?.apiVersions),
        resources: strs(r?.resources),
        scope: r?.scope === 'Cluster' || r?.scope === 'Namespaced' ? r.scope : '*',
      })),
      namespaceSelector: ns.reqs,
      objectSelector: os.reqs,
      selectorError: ns.error ?? os.error,
      matchPolicy: w.matchPolicy === 'Exact' ? 'Exact' : 'Equivalent',
      failurePolicy: w.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail',
      timeoutSeconds: Number.isFinite(timeout) && timeout >= 1 ? Math.min(timeout, 30) : 10,
      sideEffects: str(w.sideEffects, 'Unknown'),
      reinvocationPolicy: w.reinvocationPolicy === 'IfNeeded' ? 'IfNeeded' : 'Never',
      admissionReviewVersions: strs(w.admissionReviewVersions).length ? strs(w.admissionReviewVersions) : ['v1beta1'],
      clientConfig,
      configError,
    });
  }
  return out;
}

const has = (list: string[], v: string) => list.includes('*') || list.includes(v);

/** `resources` of a rule against resource + subresource ("pods", "pods/status", "*", "*\/status", "pods/*", "*\/*"). */
export function resourceMatches(resources: string[], resource: string, sub: string): boolean {
  for (const r of resources) {
    const [rr, rs] = r.split('/', 2) as [string, string | undefined];
    if (rs === undefined) {
      if (sub === '' && (rr === '*' || rr === resource)) return true;
    } else if ((rr === '*' || rr === resource) && (rs === '*' || rs === sub)) return true;
  }
  return false;
}

/** One rule against an operation on a resource. */
export function ruleMatches(rule: Rule, op: Operation, r: ResourceRef): boolean {
  if (!has(rule.operations, op)) return false;
  if (!has(rule.apiGroups, r.group)) return false;
  if (!has(rule.apiVersions, r.version)) return false;
  if (!resourceMatches(rule.resources, r.resource, r.subresource)) return false;
  if (rule.scope === 'Cluster' && r.namespaced) return false;
  if (rule.scope === 'Namespaced' && !r.namespaced) return false;
  return true;
}

/**
 * Which resource (version) the webhook is called for: the request's own when a rule names it;
 * with matchPolicy Equivalent, else another served version of the same group/resource (or an
 * equivalent resource given by `equivalents`) that a rule names. undefined: not matched.
 */
export function matchRules(h: Hook, op: Operation, r: ResourceRef, equivalents: () => ResourceRef[]): ResourceRef | undefined {
  if (h.rules.some((rule) => ruleMatches(rule, op, r))) return r;
  if (h.matchPolicy !== 'Equivalent') return undefined;
  for (const e of equivalents()) if (h.rules.some((rule) => ruleMatches(rule, op, e))) return e;
  return undefined;
}

/** Could a rule of the hook match this operation on this group/resource in some version? (the fast path's filter) */
export function mayMatch(h: Hook, op: Operation, group: string, resource: string, sub: string): boolean {
  return h.rules.some((rule) => has(rule.operations, op) && has(rule.apiGroups, group) && resourceMatches(rule.resources, resource, sub));
}

/**
 * namespaceSelector: for a namespaced resource the labels of its namespace; for a Namespace
 * the namespace object's own labels; other cluster-scoped resources always match.
 */
export function namespaceMatches(h: Hook, r: ResourceRef, nsLabels: () => Record<string, string> | undefined, obj: KubeObject | undefined, old: KubeObject | undefined): boolean {
  if (h.namespaceSelector === null) return false;
  if (h.namespaceSelector.length === 0) return true;
  if (r.group === '' && r.resource === 'namespaces') {
    const o = obj ?? old;
    return matchLabels(h.namespaceSelector, o?.metadata?.labels ?? {});
  }
  if (!r.namespaced) return true;
  return matchLabels(h.namespaceSelector, nsLabels() ?? {});
}

/** objectSelector: the new object's labels or the old object's (either matching is enough). */
export function objectMatches(h: Hook, obj: KubeObject | undefined, old: KubeObject | undefined): boolean {
  if (h.objectSelector === null) return false;
  if (h.objectSelector.length === 0) return true;
  const labelsOf = (o: KubeObject | undefined) => (o && (o as any).metadata && typeof (o as any).metadata === 'object' ? (o.metadata!.labels ?? {}) : undefined);
  const a = labelsOf(obj);
  const b = labelsOf(old);
  return (a !== undefined && matchLabels(h.objectSelector, a)) || (b !== undefined && matchLabels(h.objectSelector, b));
}

/** Kubernetes never calls webhooks for the webhook configurations themselves (so a bad one can be fixed). */
export function exempt(r: ResourceRef): boolean {
  return r.group === 'admissionregistration.k8s.io' && (r.resource === 'mutatingwebhookconfigurations' || r.resource === 'validatingwebhookconfigurations');
}

/** A dryRun request to a webhook that may have side effects is refused (400), as Kubernetes does. */
export function refusesDryRun(h: Hook): boolean {
  return h.sideEffects !== 'None' && h.sideEffects !== 'NoneOnDryRun';
}

/** The AdmissionReview version to use: the first listed one this server speaks. */
export function reviewVersion(h: Hook): 'v1' | 'v1beta1' | undefined {
  for (const v of h.admissionReviewVersions) if (v === 'v1' || v === 'v1beta1') return v;
  return undefined;
}
