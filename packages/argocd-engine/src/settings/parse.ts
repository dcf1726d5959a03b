/**
 * argocd-cm / argocd-cmd-params-cm → ArgoSettings, as Argo CD's documentation describes the keys.
 * A key that cannot be parsed is reported in `errors` (naming the key) and left at its default;
 * every other key is still parsed.
 */
import { parse as parseYaml } from 'yaml';
import { LABELS } from '../types.js';
import { parseBool, parseDurationSeconds, parseList, splitKeyToOverrideKey } from './parse-util.js';
import type { ArgoSettings, CmdParams, FilteredResource, IgnoreRule, KnownTypeField, ResourceOverride, SettingsError, TrackingMethod } from './types.js';

/**
 * Exclusions Argo CD applies whatever argocd-cm says: high-volume, high-churn objects nobody
 * manages through an Application.
 */
export const CORE_EXCLUSIONS: readonly FilteredResource[] = Object.freeze([
  { apiGroups: ['events.k8s.io', 'metrics.k8s.io'] },
  { apiGroups: [''], kinds: ['Event'] },
  { apiGroups: ['coordination.k8s.io'], kinds: ['Lease'] },
]);

export const DEFAULT_RECONCILIATION_TIMEOUT_SECONDS = 180;
export const DEFAULT_RECONCILIATION_JITTER_SECONDS = 60;
export const DEFAULT_SESSION_DURATION_SECONDS = 24 * 3600;

function defaultCmdParams(raw: Record<string, string>): CmdParams {
  return {
    statusProcessors: 20,
    operationProcessors: 10,
    selfHealTimeoutSeconds: 5,
    repoServerTimeoutSeconds: 60,
    syncTimeoutSeconds: 0,
    syncWaveDelaySeconds: 2,
    serverSideDiff: false,
    jqTimeoutMs: 1000,
    applicationNamespaces: [],
    resourceHealthPersist: true,
    raw,
  };
}

/** The settings of an empty argocd-cm. */
export function defaultSettings(): ArgoSettings {
  return {
    resourceOverrides: new Map(),
    exclusions: [...CORE_EXCLUSIONS],
    inclusions: [],
    compareOptions: { ignoreAggregatedRoles: false, ignoreResourceStatusField: 'all', ignoreDifferencesOnResourceUpdates: true },
    trackingMethod: 'label',
    appInstanceLabelKey: LABELS.instance,
    reconciliationTimeoutSeconds: DEFAULT_RECONCILIATION_TIMEOUT_SECONDS,
    reconciliationJitterSeconds: DEFAULT_RECONCILIATION_JITTER_SECONDS,
    hardReconciliationTimeoutSeconds: 0,
    adminEnabled: true,
    accounts: new Map(),
    usersSessionDurationSeconds: DEFAULT_SESSION_DURATION_SECONDS,
    execEnabled: false,
    kustomizeVersionBuildOptions: {},
    helmValuesFileSchemes: ['https', 'http'],
    statusBadgeEnabled: false,
    anonymousEnabled: false,
    passwordPattern: '^.{8,32}$',
    syncImpersonationEnabled: false,
    cmdParams: defaultCmdParams({}),
    raw: {},
    errors: [],
  };
}

function yamlOf(key: string, text: string): unknown {
  try {
    return parseYaml(text);
  } catch (e) {
    throw new Error(`invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

function stringList(v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${what} must be a list of strings`);
  return v as string[];
}

/** An ignoreDifferences / ignoreResourceUpdates document (YAML text or an already-parsed object). */
export function parseIgnoreRule(v: unknown): IgnoreRule {
  const doc = typeof v === 'string' ? yamlOf('', v) : v;
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('must be a mapping with jsonPointers / jqPathExpressions / managedFieldsManagers');
  const d = doc as Record<string, unknown>;
  const rule: IgnoreRule = {};
  const jp = stringList(d.jsonPointers, 'jsonPointers');
  const jq = stringList(d.jqPathExpressions, 'jqPathExpressions');
  const mf = stringList(d.managedFieldsManagers, 'managedFieldsManagers');
  if (jp) rule.jsonPointers = jp;
  if (jq) rule.jqPathExpressions = jq;
  if (mf) rule.managedFieldsManagers = mf;
  return rule;
}

function parseKnownTypeFields(v: unknown): KnownTypeField[] {
  const doc = typeof v === 'string' ? yamlOf('', v) : v;
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new Error('must be a list of {field, type}');
  return doc.map((e, i) => {
    if (!e || typeof e !== 'object' || typeof (e as KnownTypeField).field !== 'string' || typeof (e as KnownTypeField).type !== 'string') {
      throw new Error(`entry ${i} must have string field and type`);
    }
    return { field: (e as KnownTypeField).field, type: (e as KnownTypeField).type };
  });
}

function parseFiltered(text: string): FilteredResource[] {
  const doc = yamlOf('', text);
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new Error('must be a list of {apiGroups, kinds, clusters}');
  return doc.map((e, i) => {
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw new Error(`entry ${i} must be a mapping`);
    const r = e as Record<string, unknown>;
    const out: FilteredResource = {};
    const g = stringList(r.apiGroups, `entry ${i} apiGroups`);
    const k = stringList(r.kinds, `entry ${i} kinds`);
    const c = stringList(r.clusters, `entry ${i} clusters`);
    if (g) out.apiGroups = g;
    if (k) out.kinds = k;
    if (c) out.clusters = c;
    return out;
  });
}

function override(map: Map<string, ResourceOverride>, key: string): ResourceOverride {
  let o = map.get(key);
  if (!o) map.set(key, (o = {}));
  return o;
}

/** The `resource.customizations` blob: YAML keyed `group/Kind`. */
function parseCustomizationsBlob(text: string, into: Map<string, ResourceOverride>, errors: SettingsError[], key: string): void {
  const doc = yamlOf(key, text);
  if (doc === null || doc === undefined) return;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('must be a mapping keyed group/Kind');
  for (const [gk, raw] of Object.entries(doc as Record<string, unknown>)) {
    const where = `${key} ${gk}`;
    if (!raw || typeof raw !== 'object') {
      errors.push({ key: where, message: 'must be a mapping (health.lua, actions, ignoreDifferences, …)' });
      continue;
    }
    const r = raw as Record<string, unknown>;
    // a core-group kind may be written `Service` or `/Service`
    const o = override(into, gk.startsWith('/') ? gk.slice(1) : gk);
    try {
      if (typeof r['health.lua'] === 'string') o.health = { lua: r['health.lua'] as string };
      const useOpen = r['health.lua.useOpenLibs'];
      if (useOpen !== undefined && o.health) o.health.useOpenLibs = typeof useOpen === 'boolean' ? useOpen : parseBool(String(useOpen));
      if (typeof r.actions === 'string') o.actions = r.actions;
      if (r.ignoreDifferences !== undefined) o.ignoreDifferences = parseIgnoreRule(r.ignoreDifferences);
      if (r.ignoreResourceUpdates !== undefined) o.ignoreResourceUpdates = parseIgnoreRule(r.ignoreResourceUpdates);
      if (r.knownTypeFields !== undefined) o.knownTypeFields = parseKnownTypeFields(r.knownTypeFields);
    } catch (e) {
      errors.push({ key: where, message: (e as Error).message });
    }
  }
}

const SPLIT_PREFIX = 'resource.customizations.';
const SPLIT_FIELDS = ['health', 'useOpenLibs', 'actions', 'ignoreDifferences', 'ignoreResourceUpdates', 'knownTypeFields'] as const;

function applySplitKey(key: string, value: string, into: Map<string, ResourceOverride>): boolean {
  if (!key.startsWith(SPLIT_PREFIX)) return false;
  const rest = key.slice(SPLIT_PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot < 0) return false;
  const field = rest.slice(0, dot) as (typeof SPLIT_FIELDS)[number];
  if (!SPLIT_FIELDS.includes(field)) return false;
  const gk = splitKeyToOverrideKey(rest.slice(dot + 1));
  if (gk === '*/*' && field !== 'ignoreDifferences' && field !== 'ignoreResourceUpdates') {
    throw new Error(`"all" is only valid for ignoreDifferences and ignoreResourceUpdates`);
  }
  const o = override(into, gk);
  switch (field) {
    case 'health':
      o.health = { lua: value, ...(o.health?.useOpenLibs !== undefined ? { useOpenLibs: o.health.useOpenLibs } : {}) };
      break;
    case 'useOpenLibs':
      o.health = { lua: o.health?.lua ?? '', useOpenLibs: parseBool(value) };
      break;
    case 'actions':
      yamlOf(key, value); // report bad YAML here, where the key is known
      o.actions = value;
      break;
    case 'ignoreDifferences':
      o.ignoreDifferences = parseIgnoreRule(value);
      break;
    case 'ignoreResourceUpdates':
      o.ignoreResourceUpdates = parseIgnoreRule(value);
      break;
    case 'knownTypeFields':
      o.knownTypeFields = parseKnownTypeFields(value);
      break;
  }
  return true;
}

function parseCmdParams(p: Record<string, string>, errors: SettingsError[]): CmdParams {
  const c = defaultCmdParams({ ...p });
  const num = (k: string, set: (n: number) => void, duration = false) => {
    const v = p[k];
    if (v === undefined || v.trim() === '') return;
    try {
      const n = duration ? parseDurationSeconds(v) : Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`invalid number ${JSON.stringify(v)}`);
      set(n);
    } catch (e) {
      errors.push({ key: `argocd-cmd-params-cm ${k}`, message: (e as Error).message });
    }
  };
  const bool = (k: string, set: (b: boolean) => void) => {
    const v = p[k];
    if (v === undefined || v.trim() === '') return;
    try {
      set(parseBool(v));
    } catch (e) {
      errors.push({ key: `argocd-cmd-params-cm ${k}`, message: (e as Error).message });
    }
  };
  num('controller.status.processors', (n) => (c.statusProcessors = n));
  num('controller.operation.processors', (n) => (c.operationProcessors = n));
  num('controller.self.heal.timeout.seconds', (n) => (c.selfHealTimeoutSeconds = n));
  num('controller.repo.server.timeout.seconds', (n) => (c.repoServerTimeoutSeconds = n));
  num('controller.sync.timeout.seconds', (n) => (c.syncTimeoutSeconds = n));
  num('controller.sync.wave.delay.seconds', (n) => (c.syncWaveDelaySeconds = n));
  num('controller.ignore.normalizer.jq.timeout', (n) => (c.jqTimeoutMs = n * 1000), true);
  bool('controller.diff.server.side', (b) => (c.serverSideDiff = b));
  bool('controller.resource.health.persist', (b) => (c.resourceHealthPersist = b));
  if (p['application.namespaces']) c.applicationNamespaces = parseList(p['application.namespaces']);
  if (p['repo.server']) c.repoServer = p['repo.server'].trim();
  return c;
}

/**
 * Parses argocd-cm (`cmData`, its `data`) and optionally argocd-cmd-params-cm (`cmdParams`) into
 * the engine's settings. Never throws: unusable keys are listed in `errors` and keep their defaults.
 */
export function parseSettings(cmData: Record<string, string> | undefined, cmdParams?: Record<string, string>): ArgoSettings {
  const s = defaultSettings();
  const errors = s.errors;
  const data = cmData ?? {};
  const step = (key: string, fn: (v: string) => void) => {
    const v = data[key];
    if (v === undefined) return;
    if (typeof v !== 'string') {
      errors.push({ key, message: `must be a string, got ${typeof v}` });
      return;
    }
    try {
      fn(v);
    } catch (e) {
      errors.push({ key, message: (e as Error).message });
    }
  };

  // resource.customizations: the blob first, then the split keys (which win, as upstream merges them)
  step('resource.customizations', (v) => parseCustomizationsBlob(v, s.resourceOverrides, errors, 'resource.customizations'));
  for (const key of Object.keys(data).sort()) {
    if (!key.startsWith(SPLIT_PREFIX)) continue;
    step(key, (v) => {
      if (!applySplitKey(key, v, s.resourceOverrides)) throw new Error(`unknown resource customization key (want resource.customizations.{${SPLIT_FIELDS.join(',')}}.<group_kind>)`);
    });
  }
  for (const key of Object.keys(data).sort()) {
    if (!key.startsWith(`${SPLIT_PREFIX}useOpenLibs.`)) continue;
    const o = s.resourceOverrides.get(splitKeyToOverrideKey(key.slice(`${SPLIT_PREFIX}useOpenLibs.`.length)));
    if (o?.health && o.health.lua === '') {
      errors.push({ key, message: 'useOpenLibs given without a health script (resource.customizations.health.<group_kind>)' });
      delete o.health;
    }
  }

  step('resource.exclusions', (v) => (s.exclusions = [...CORE_EXCLUSIONS, ...parseFiltered(v)]));
  step('resource.inclusions', (v) => (s.inclusions = parseFiltered(v)));
  step('resource.compareoptions', (v) => {
    const doc = yamlOf('resource.compareoptions', v);
    if (doc === null || doc === undefined) return;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('must be a mapping');
    const d = doc as Record<string, unknown>;
    if (d.ignoreAggregatedRoles !== undefined) s.compareOptions.ignoreAggregatedRoles = d.ignoreAggregatedRoles === true || d.ignoreAggregatedRoles === 'true';
    if (d.ignoreDifferencesOnResourceUpdates !== undefined) {
      s.compareOptions.ignoreDifferencesOnResourceUpdates = d.ignoreDifferencesOnResourceUpdates === true || d.ignoreDifferencesOnResourceUpdates === 'true';
    }
    if (d.ignoreResourceStatusField !== undefined) {
      const f = String(d.ignoreResourceStatusField);
      if (!['crd', 'all', 'none', 'off'].includes(f)) throw new Error(`ignoreResourceStatusField must be crd, all, none or off, got ${JSON.stringify(f)}`);
      s.compareOptions.ignoreResourceStatusField = f as 'crd' | 'all' | 'none' | 'off';
    }
  });
  step('application.resourceTrackingMethod', (v) => {
    const m = v.trim();
    if (!['label', 'annotation', 'annotation+label'].includes(m)) throw new Error(`must be label, annotation or annotation+label, got ${JSON.stringify(v)}`);
    s.trackingMethod = m as TrackingMethod;
  });
  step('application.instanceLabelKey', (v) => {
    if (v.trim() !== '') s.appInstanceLabelKey = v.trim();
  });
  step('timeout.reconciliation', (v) => (s.reconciliationTimeoutSeconds = nonNegative(parseDurationSeconds(v))));
  step('timeout.reconciliation.jitter', (v) => (s.reconciliationJitterSeconds = nonNegative(parseDurationSeconds(v))));
  step('timeout.hard.reconciliation', (v) => (s.hardReconciliationTimeoutSeconds = nonNegative(parseDurationSeconds(v))));
  step('url', (v) => {
    if (v.trim() === '') return;
    try {
      new URL(v.trim());
    } catch {
      throw new Error(`invalid URL ${JSON.stringify(v)}`);
    }
    s.url = v.trim().replace(/\/+$/, '');
  });
  step('admin.enabled', (v) => (s.adminEnabled = parseBool(v)));
  step('users.session.duration', (v) => (s.usersSessionDurationSeconds = nonNegative(parseDurationSeconds(v))));
  step('exec.enabled', (v) => (s.execEnabled = parseBool(v)));
  step('kustomize.buildOptions', (v) => (s.kustomizeBuildOptions = v));
  step('helm.valuesFileSchemes', (v) => (s.helmValuesFileSchemes = parseList(v)));
  step('statusbadge.enabled', (v) => (s.statusBadgeEnabled = parseBool(v)));
  step('statusbadge.url', (v) => (s.statusBadgeRootUrl = v.trim() || undefined));
  step('installationID', (v) => (s.installationID = v.trim() || undefined));
  step('users.anonymous.enabled', (v) => (s.anonymousEnabled = parseBool(v)));
  step('passwordPattern', (v) => {
    try {
      new RegExp(v);
    } catch (e) {
      throw new Error(`invalid regular expression: ${(e as Error).message}`);
    }
    s.passwordPattern = v;
  });
  step('oidc.config', (v) => {
    yamlOf('oidc.config', v);
    s.oidcConfig = v;
  });
  step('dex.config', (v) => {
    yamlOf('dex.config', v);
    s.dexConfig = v;
  });
  step('application.sync.impersonation.enabled', (v) => (s.syncImpersonationEnabled = parseBool(v)));
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') s.raw[k] = v;

  for (const key of Object.keys(data).sort()) {
    if (key.startsWith('kustomize.buildOptions.')) step(key, (v) => (s.kustomizeVersionBuildOptions[key.slice('kustomize.buildOptions.'.length)] = v));
    if (!key.startsWith('accounts.')) continue;
    step(key, (v) => {
      const rest = key.slice('accounts.'.length);
      if (rest.endsWith('.enabled')) {
        const name = rest.slice(0, -'.enabled'.length);
        const a = s.accounts.get(name) ?? { name, capabilities: [], enabled: true };
        a.enabled = parseBool(v);
        s.accounts.set(name, a);
        return;
      }
      if (rest === '' || rest.includes('.')) throw new Error('want accounts.<name> or accounts.<name>.enabled');
      const caps = parseList(v);
      const bad = caps.filter((c) => c !== 'login' && c !== 'apiKey');
      if (bad.length) throw new Error(`unknown capability ${JSON.stringify(bad[0])} (want login and/or apiKey)`);
      const a = s.accounts.get(rest) ?? { name: rest, capabilities: [], enabled: true };
      a.capabilities = caps;
      s.accounts.set(rest, a);
    });
  }
  // an `accounts.<name>.enabled` without `accounts.<name>` declares nothing
  for (const [name, a] of s.accounts) if (a.capabilities.length === 0 && data[`accounts.${name}`] === undefined) s.accounts.delete(name);

  s.cmdParams = parseCmdParams(cmdParams ?? {}, errors);
  return s;
}

function nonNegative(n: number): number {
  if (n < 0) throw new Error(`must not be negative`);
  return n;
}
