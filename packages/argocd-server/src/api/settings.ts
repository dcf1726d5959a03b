/** SettingsService (`GET /api/v1/settings`, public as upstream) and VersionService (`GET /api/version`). */
import { parse as parseYaml } from 'yaml';
import type { Router } from '../http.js';
import type { Ctx } from '../context.js';
import { CM } from '../store.js';
import { publicSsoFields } from '../sso/config.js';

export const VERSION = 'v2.13.0+flotilla';

function dexConnectors(raw: string | undefined): { name?: string; type?: string }[] {
  try {
    const d = parseYaml(raw ?? '') as { connectors?: { name?: string; type?: string }[] };
    return (d?.connectors ?? []).map((c) => ({ name: c.name, type: c.type }));
  } catch {
    return [];
  }
}

export function settingsJson(ctx: Ctx): Record<string, unknown> {
  const cm = ctx.store.cm(CM.argocd);
  const trackingMethod = cm['application.resourceTrackingMethod'] || 'label';
  const out: Record<string, unknown> = {
    url: cm.url ?? '',
    appLabelKey: cm['application.instanceLabelKey'] || 'app.kubernetes.io/instance',
    statusBadgeEnabled: cm['statusbadge.enabled'] === 'true',
    statusBadgeRootUrl: cm['statusbadge.url'] ?? '',
    googleAnalytics: { trackingID: cm['ga.trackingid'] ?? '', anonymizeUsers: cm['ga.anonymizeusers'] !== 'false' },
    kustomizeOptions: { buildOptions: cm['kustomize.buildOptions'] ?? '', binaryPath: '' },
    help: { chatUrl: cm['help.chatUrl'] ?? '', chatText: cm['help.chatText'] ?? '', binaryUrls: {} },
    userLoginsDisabled: cm['admin.enabled'] === 'false' && !Object.keys(cm).some((k) => /^accounts\.[^.]+$/.test(k) && /login/.test(cm[k])),
    kustomizeVersions: Object.keys(cm).filter((k) => k.startsWith('kustomize.version.')).map((k) => k.slice('kustomize.version.'.length)),
    uiCssURL: cm['ui.cssurl'] ?? '',
    uiBannerContent: cm['ui.bannercontent'] ?? '',
    uiBannerURL: cm['ui.bannerurl'] ?? '',
    uiBannerPermanent: cm['ui.bannerpermanent'] === 'true',
    uiBannerPosition: cm['ui.bannerposition'] ?? '',
    execEnabled: cm['exec.enabled'] === 'true',
    controllerNamespace: ctx.store.namespace,
    appsInAnyNamespaceEnabled: false,
    impersonationEnabled: cm['application.sync.impersonation.enabled'] === 'true',
    trackingMethod,
    installationID: cm.installationID ?? '',
    passwordPattern: cm.passwordPattern || '^.{8,32}$',
    resourceOverrides: resourceOverrides(cm),
  };
  Object.assign(out, publicSsoFields(ctx.sso.settings(), () => dexConnectors(cm['dex.config'])));
  return out;
}

/** `resource.customizations*` as the settings API lists them ("group/Kind" → {health.lua, actions, ignoreDifferences}). */
function resourceOverrides(cm: Record<string, string>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const put = (key: string, field: string, value: unknown) => {
    (out[key] ??= {})[field] = value;
  };
  if (cm['resource.customizations']) {
    try {
      const all = parseYaml(cm['resource.customizations']) as Record<string, Record<string, unknown>>;
      for (const [gk, v] of Object.entries(all ?? {})) {
        if (v?.['health.lua']) put(gk, 'healthLua', v['health.lua']);
        if (v?.actions) put(gk, 'actions', v.actions);
        if (v?.ignoreDifferences) put(gk, 'ignoreDifferences', typeof v.ignoreDifferences === 'string' ? v.ignoreDifferences : JSON.stringify(v.ignoreDifferences));
      }
    } catch {
      /* parse errors are the controller's to report */
    }
  }
  for (const [k, v] of Object.entries(cm)) {
    const m = /^resource\.customizations\.(health|actions|ignoreDifferences|knownTypeFields|ignoreResourceUpdates)\.(.+)$/.exec(k);
    if (!m) continue;
    const gk = m[2].replace(/_/g, '/');
    put(gk, m[1] === 'health' ? 'healthLua' : m[1], v);
  }
  return out;
}

export function registerSettings(r: Router, ctx: Ctx): void {
  r.add('GET', '/api/v1/settings', async () => settingsJson(ctx), { auth: false });
  r.add('GET', '/api/v1/settings/plugins', async () => ({ plugins: [] }), { auth: false });
  // GPG keys: api/gpgkeys.ts
  r.add('GET', '/api/version', async () => ({
    Version: ctx.opts.version,
    BuildDate: '',
    GitCommit: '',
    GitTag: '',
    GitTreeState: 'clean',
    GoVersion: `node ${process.version}`,
    Compiler: 'tsc',
    Platform: `${process.platform}/${process.arch}`,
    KustomizeVersion: '',
    HelmVersion: '',
    KubectlVersion: '',
    JsonnetVersion: '',
  }), { auth: false });
}
