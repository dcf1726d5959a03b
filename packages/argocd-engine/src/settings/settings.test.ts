// Table tests of argocd-cm / argocd-cmd-params-cm parsing (testdata: src/settings/testdata/*.yaml, and
// the argocd-cm of upstream's install.yaml from ../shared/upstream when present).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { CORE_EXCLUSIONS, globMatch, isExcluded, overrideFor, parseDurationSeconds, parseSettings, splitKeyToOverrideKey } from './index.js';

const testdata = (f: string) => fileURLToPath(new URL(`../../src/settings/testdata/${f}`, import.meta.url));
const cmData = (f: string) => (parse(readFileSync(testdata(f), 'utf8')) as { data: Record<string, string> }).data;

describe('parseSettings defaults', () => {
  test('no argocd-cm at all', () => {
    const s = parseSettings(undefined);
    assert.equal(s.trackingMethod, 'label');
    assert.equal(s.appInstanceLabelKey, 'app.kubernetes.io/instance');
    assert.equal(s.reconciliationTimeoutSeconds, 180);
    assert.equal(s.reconciliationJitterSeconds, 60);
    assert.equal(s.hardReconciliationTimeoutSeconds, 0);
    assert.equal(s.adminEnabled, true);
    assert.equal(s.execEnabled, false);
    assert.equal(s.statusBadgeEnabled, false);
    assert.equal(s.usersSessionDurationSeconds, 86400);
    assert.deepEqual(s.helmValuesFileSchemes, ['https', 'http']);
    assert.deepEqual(s.compareOptions, { ignoreAggregatedRoles: false, ignoreResourceStatusField: 'all', ignoreDifferencesOnResourceUpdates: true });
    assert.deepEqual(s.exclusions, [...CORE_EXCLUSIONS]);
    assert.deepEqual(s.inclusions, []);
    assert.equal(s.resourceOverrides.size, 0);
    assert.deepEqual(s.errors, []);
    assert.equal(s.cmdParams.serverSideDiff, false);
    assert.equal(s.cmdParams.jqTimeoutMs, 1000);
    assert.equal(s.anonymousEnabled, false);
    assert.equal(s.passwordPattern, '^.{8,32}$');
    assert.equal(s.syncImpersonationEnabled, false);
    assert.deepEqual(s.raw, {});
  });
  test('server-side keys', () => {
    const s = parseSettings({ 'users.anonymous.enabled': 'true', passwordPattern: '^.{12,}$', 'oidc.config': 'name: SSO\nissuer: https://sso.example.com\n', 'application.sync.impersonation.enabled': 'true', 'ui.bannercontent': 'hello' });
    assert.deepEqual(s.errors, []);
    assert.equal(s.anonymousEnabled, true);
    assert.equal(s.passwordPattern, '^.{12,}$');
    assert.match(s.oidcConfig!, /issuer/);
    assert.equal(s.syncImpersonationEnabled, true);
    assert.equal(s.raw['ui.bannercontent'], 'hello');
  });
});

describe('parseSettings of a full argocd-cm', () => {
  const s = parseSettings(cmData('argocd-cm-full.yaml'), {
    'controller.status.processors': '50',
    'controller.operation.processors': '25',
    'controller.self.heal.timeout.seconds': '2',
    'controller.diff.server.side': 'true',
    'controller.ignore.normalizer.jq.timeout': '2s',
    'controller.sync.wave.delay.seconds': '0',
    'application.namespaces': 'team-*, apps',
    'controller.repo.server.timeout.seconds': 'soon',
  });
  test('scalars', () => {
    assert.equal(s.url, 'https://argocd.example.com');
    assert.equal(s.adminEnabled, false);
    assert.equal(s.execEnabled, true);
    assert.equal(s.statusBadgeEnabled, true);
    assert.equal(s.usersSessionDurationSeconds, 12 * 3600);
    assert.equal(s.reconciliationTimeoutSeconds, 180);
    assert.equal(s.reconciliationJitterSeconds, 30);
    assert.equal(s.hardReconciliationTimeoutSeconds, 5400);
    assert.equal(s.trackingMethod, 'annotation+label');
    assert.equal(s.appInstanceLabelKey, 'argocd.argoproj.io/instance');
    assert.equal(s.kustomizeBuildOptions, '--enable-helm --load-restrictor LoadRestrictionsNone');
    assert.deepEqual(s.kustomizeVersionBuildOptions, { 'v5.4.0': '--enable-helm' });
    assert.deepEqual(s.helmValuesFileSchemes, ['https', 's3']);
    assert.deepEqual(s.compareOptions, { ignoreAggregatedRoles: true, ignoreResourceStatusField: 'crd', ignoreDifferencesOnResourceUpdates: true });
  });
  test('accounts', () => {
    assert.deepEqual(s.accounts.get('alice'), { name: 'alice', capabilities: ['apiKey', 'login'], enabled: false });
    assert.deepEqual(s.accounts.get('ci'), { name: 'ci', capabilities: ['apiKey'], enabled: true });
    assert.equal(s.accounts.size, 2);
  });
  test('exclusions keep the core ones; inclusions as written', () => {
    assert.deepEqual(s.exclusions.slice(0, CORE_EXCLUSIONS.length), [...CORE_EXCLUSIONS]);
    assert.deepEqual(s.exclusions.slice(CORE_EXCLUSIONS.length), [{ apiGroups: ['*.example.com'], kinds: ['*'], clusters: ['https://prod*'] }]);
    assert.deepEqual(s.inclusions, [{ apiGroups: ['*'], kinds: ['*'] }]);
  });
  test('the resource.customizations blob', () => {
    const r = s.resourceOverrides.get('argoproj.io/Rollout')!;
    assert.match(r.health!.lua, /hs = \{status = "Healthy"\}/);
    assert.equal(r.health!.useOpenLibs, true);
    assert.match(r.actions!, /discovery\.lua/);
    assert.deepEqual(r.ignoreDifferences, { jsonPointers: ['/spec/replicas'] });
    assert.deepEqual(r.knownTypeFields, [{ field: 'spec.template.spec', type: 'core/v1/PodSpec' }]);
    assert.deepEqual(s.resourceOverrides.get('admissionregistration.k8s.io/MutatingWebhookConfiguration')!.ignoreDifferences, { jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] });
  });
  test('the split keys', () => {
    const cert = s.resourceOverrides.get('cert-manager.io/Certificate')!;
    assert.match(cert.health!.lua, /Progressing/);
    assert.equal(cert.health!.useOpenLibs, true);
    assert.match(s.resourceOverrides.get('apps/Deployment')!.actions!, /discovery\.lua/);
    assert.deepEqual(s.resourceOverrides.get('apps/Deployment')!.ignoreDifferences, { managedFieldsManagers: ['kube-controller-manager'] });
    assert.deepEqual(s.resourceOverrides.get('Service')!.ignoreDifferences, { jsonPointers: ['/spec/clusterIP'] });
    assert.deepEqual(s.resourceOverrides.get('*/*')!.ignoreDifferences, { managedFieldsManagers: ['rollouts-controller'] });
    assert.deepEqual(s.resourceOverrides.get('*/*')!.ignoreResourceUpdates, { jsonPointers: ['/status'] });
    assert.deepEqual(s.resourceOverrides.get('argoproj.io/Workflow')!.knownTypeFields, [{ field: 'spec.templates', type: 'core/v1/PodSpec' }]);
  });
  test('overrideFor merges exact, glob and all', () => {
    const d = overrideFor(s.resourceOverrides, 'apps', 'Deployment')!;
    assert.deepEqual(d.ignoreDifferences, { managedFieldsManagers: ['kube-controller-manager', 'rollouts-controller'] });
    const x = overrideFor(s.resourceOverrides, 'ec2.aws.crossplane.io', 'Instance')!;
    assert.match(x.health!.lua, /Healthy/);
    assert.equal(overrideFor(s.resourceOverrides, 'batch', 'Job')!.health, undefined);
    assert.deepEqual(overrideFor(s.resourceOverrides, 'batch', 'Job')!.ignoreDifferences, { managedFieldsManagers: ['rollouts-controller'] });
    assert.equal(overrideFor(new Map(), 'apps', 'Deployment'), undefined);
  });
  test('argocd-cmd-params-cm', () => {
    assert.equal(s.cmdParams.statusProcessors, 50);
    assert.equal(s.cmdParams.operationProcessors, 25);
    assert.equal(s.cmdParams.selfHealTimeoutSeconds, 2);
    assert.equal(s.cmdParams.serverSideDiff, true);
    assert.equal(s.cmdParams.jqTimeoutMs, 2000);
    assert.equal(s.cmdParams.syncWaveDelaySeconds, 0);
    assert.deepEqual(s.cmdParams.applicationNamespaces, ['team-*', 'apps']);
    assert.equal(s.cmdParams.repoServerTimeoutSeconds, 60, 'bad value keeps the default');
    assert.deepEqual(s.errors, [{ key: 'argocd-cmd-params-cm controller.repo.server.timeout.seconds', message: 'invalid number "soon"' }]);
  });
});

describe('bad input: a clear error naming the key, the rest still parsed', () => {
  const table: [string, Record<string, string>, RegExp][] = [
    ['bad YAML in the blob', { 'resource.customizations': 'apps/Deployment:\n  health.lua: [unclosed\n' }, /invalid YAML/],
    ['bad YAML in a split ignoreDifferences key', { 'resource.customizations.ignoreDifferences.apps_Deployment': 'jsonPointers: [/a\n' }, /invalid YAML/],
    ['ignoreDifferences not a mapping', { 'resource.customizations.ignoreDifferences.Service': '- /spec' }, /must be a mapping/],
    ['jsonPointers not strings', { 'resource.customizations.ignoreDifferences.Service': 'jsonPointers: [{a: 1}]' }, /jsonPointers must be a list of strings/],
    ['bad YAML in actions', { 'resource.customizations.actions.apps_Deployment': 'discovery.lua: "unterminated\n' }, /invalid YAML/],
    ['unknown customization field', { 'resource.customizations.colour.apps_Deployment': 'x' }, /unknown resource customization key/],
    ['health.all is not a thing', { 'resource.customizations.health.all': 'x' }, /"all" is only valid/],
    ['exclusions not a list', { 'resource.exclusions': 'apiGroups: [x]' }, /must be a list/],
    ['bad tracking method', { 'application.resourceTrackingMethod': 'labels' }, /must be label, annotation or annotation\+label/],
    ['bad duration', { 'timeout.reconciliation': '3 minutes' }, /invalid duration "3 minutes"/],
    ['negative duration', { 'timeout.reconciliation': '-5s' }, /must not be negative/],
    ['bad boolean', { 'admin.enabled': 'yes' }, /invalid boolean "yes"/],
    ['bad url', { url: 'not a url' }, /invalid URL/],
    ['bad account capability', { 'accounts.bob': 'login, write' }, /unknown capability "write"/],
    ['bad compare option', { 'resource.compareoptions': 'ignoreResourceStatusField: some' }, /must be crd, all, none or off/],
    ['bad password pattern', { passwordPattern: '([' }, /invalid regular expression/],
    ['bad oidc.config YAML', { 'oidc.config': 'name: [x\n' }, /invalid YAML/],
    ['useOpenLibs without a script', { 'resource.customizations.useOpenLibs.apps_Deployment': 'true' }, /without a health script/],
  ];
  for (const [name, data, re] of table) {
    test(name, () => {
      const s = parseSettings({ ...data, 'timeout.reconciliation.jitter': '5s', 'exec.enabled': 'true' });
      assert.equal(s.errors.length, 1, JSON.stringify(s.errors));
      const key = Object.keys(data)[0];
      assert.ok(s.errors[0].key.startsWith(key), `${s.errors[0].key} names ${key}`);
      assert.match(s.errors[0].message, re);
      // the rest is still parsed
      assert.equal(s.reconciliationJitterSeconds, 5);
      assert.equal(s.execEnabled, true);
    });
  }
  test('one bad entry in the blob leaves the others', () => {
    const s = parseSettings({ 'resource.customizations': 'apps/Deployment: 5\nbatch/Job:\n  health.lua: return {}\n' });
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0].key, 'resource.customizations apps/Deployment');
    assert.ok(s.resourceOverrides.get('batch/Job')!.health);
  });
});

describe('value parsers', () => {
  const durations: [string, number][] = [['180s', 180], ['3m', 180], ['1h30m', 5400], ['1.5h', 5400], ['500ms', 0.5], ['0', 0], ['90', 90]];
  for (const [v, want] of durations) test(`duration ${v}`, () => assert.equal(parseDurationSeconds(v), want));
  test('bad durations', () => {
    for (const v of ['', 'm', '3 m', '3d', '1h 2m']) assert.throws(() => parseDurationSeconds(v), /invalid duration/);
  });
  const keys: [string, string][] = [['apps_Deployment', 'apps/Deployment'], ['ConfigMap', 'ConfigMap'], ['argoproj.io_Rollout', 'argoproj.io/Rollout'], ['all', '*/*'], ['*.crossplane.io_*', '*.crossplane.io/*']];
  for (const [k, want] of keys) test(`split key ${k}`, () => assert.equal(splitKeyToOverrideKey(k), want));
  test('globs', () => {
    assert.ok(globMatch('*.example.com', 'a.example.com'));
    assert.ok(!globMatch('*.example.com', 'example.com'));
    assert.ok(globMatch('https://prod-?', 'https://prod-1'));
    assert.ok(globMatch('[ab]pps', 'apps'));
    assert.ok(!globMatch('apps', 'Apps'));
  });
});

describe("upstream install.yaml's argocd-cm", () => {
  const file = fileURLToPath(new URL('../../../../../shared/upstream/install-manifests/argo-cd/install.yaml', import.meta.url));
  const present = existsSync(file);
  if (!present) console.log(`# skipped: ${file} is absent`);
  test('parses without errors; its exclusions apply', { skip: present ? false : `${file} is absent` }, () => {
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> });
    const cm = docs.find((d) => d?.kind === 'ConfigMap' && d.metadata?.name === 'argocd-cm');
    assert.ok(cm, 'install.yaml has argocd-cm');
    const s = parseSettings(cm!.data ?? {});
    assert.deepEqual(s.errors, []);
    assert.ok(isExcluded({ kind: 'Endpoints' }, s));
    assert.ok(isExcluded({ group: 'discovery.k8s.io', kind: 'EndpointSlice' }, s));
    assert.ok(!isExcluded({ group: 'apps', kind: 'Deployment' }, s));
    assert.deepEqual(overrideFor(s.resourceOverrides, 'apps', 'ReplicaSet')!.ignoreResourceUpdates!.jqPathExpressions!.length > 0, true);
    assert.deepEqual(s.resourceOverrides.get('*/*')!.ignoreResourceUpdates, { jsonPointers: ['/status'] });
  });
});
