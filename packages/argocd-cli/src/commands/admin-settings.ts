/**
 * `argocd admin settings rbac can|validate` and `argocd admin settings resource-overrides
 * health|ignore-differences|list-actions|run-action`: offline, from files (or the cluster's
 * ConfigMaps), with the engine's health/actions/settings/diff modules and the server's RBAC.
 */
import { readFileSync } from 'node:fs';
import YAML from '@flotilla/cli-kit/yaml';
import { Command, Exit } from '@flotilla/cli-kit/command';
import { io, log, println } from '@flotilla/cli-kit/io';
import { printDiff } from '../diff.js';
import { table, toYAML } from '../output.js';
import { CliError, kubeClient, kubeFlags, kubeNamespace, RES as R } from '../session.js';

type Group = (use: string, short: string, ...children: Command[]) => Command;

function readYAMLFile(path: string, what: string): any {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    return YAML.parse(text);
  } catch (e) {
    throw new CliError(`${what} ${path} is not valid YAML: ${(e as Error).message}`);
  }
}

/** argocd-cm's data: from --argocd-cm-path, else the cluster's ConfigMap. */
async function argocdCM(opts: Record<string, any>): Promise<Record<string, string>> {
  if (opts.argocdCmPath) {
    const cm = readYAMLFile(opts.argocdCmPath, 'argocd-cm');
    if (!cm || typeof cm !== 'object') throw new CliError(`${opts.argocdCmPath} is not a ConfigMap`);
    return (cm.data ?? {}) as Record<string, string>;
  }
  if (opts.loadClusterSettings) {
    const k = await kubeClient(opts);
    const cm: any = await k.get(R.configmaps, kubeNamespace(opts), 'argocd-cm').catch((e) => {
      throw new CliError((e as Error).message);
    });
    return cm.data ?? {};
  }
  throw new CliError('either --argocd-cm-path must be provided or --load-cluster-settings must be set to true');
}

async function engineSettings(): Promise<any> {
  const m: any = await import('@flotilla/argocd-engine/settings');
  if (typeof m.parseSettings !== 'function') throw new CliError('argocd-cm parsing (engine settings) is not part of this build yet');
  return m;
}

function resourceFile(path: string): any {
  const obj = readYAMLFile(path, 'resource file');
  if (!obj || typeof obj !== 'object' || !obj.kind || !obj.apiVersion) throw new CliError(`${path} is not a Kubernetes object (it needs apiVersion and kind)`);
  return obj;
}

function groupKind(o: any): [string, string] {
  const av = String(o.apiVersion);
  return [av.includes('/') ? av.split('/')[0] : '', String(o.kind)];
}

const overrideFlags = () => [
  { name: 'argocd-cm-path', type: 'string' as const, usage: 'Path to local argocd-cm.yaml file' },
  { name: 'load-cluster-settings', type: 'bool' as const, usage: 'Indicates that config map and secret should be loaded from cluster unless local file path is provided' },
  ...kubeFlags(),
];

function overridesOf(settings: any): any {
  return settings?.resourceOverrides ?? new Map();
}

function healthCmd(): Command {
  return new Command({
    use: 'health RESOURCE_YAML_PATH',
    short: 'Assess resource health',
    long: 'Assess resource health using the lua script configured in the argocd-cm ConfigMap',
    example: `
  argocd admin settings resource-overrides health ./deploy.yaml --argocd-cm-path ./argocd-cm.yaml`,
    flags: overrideFlags(),
    args: { min: 1, max: 1 },
    run: async ({ args, opts }) => {
      const res = resourceFile(args[0]);
      const settings = (await engineSettings()).parseSettings(await argocdCM(opts));
      const { getHealth } = await import('@flotilla/argocd-engine/health');
      const h = await getHealth(res, { overrides: overridesOf(settings) });
      const [g, k] = groupKind(res);
      if (!h) {
        println(`Health script is not configured for '${g}/${k}'`);
        return;
      }
      println(`STATUS: ${h.status}`);
      println(`MESSAGE: ${h.message ?? ''}`);
    },
  });
}

function ignoreDifferencesCmd(): Command {
  return new Command({
    use: 'ignore-differences RESOURCE_YAML_PATH',
    short: 'Renders fields excluded from diffing',
    long: 'Renders ignored fields using the \'ignoreDifferences\' setting specified in the \'resource.customizations\' field of \'argocd-cm\' ConfigMap',
    example: `
  argocd admin settings resource-overrides ignore-differences ./deploy.yaml --argocd-cm-path ./argocd-cm.yaml`,
    flags: overrideFlags(),
    args: { min: 1, max: 1 },
    run: async ({ args, opts }) => {
      const res = resourceFile(args[0]);
      const settingsMod = await engineSettings();
      const settings = settingsMod.parseSettings(await argocdCM(opts));
      const [g, k] = groupKind(res);
      const diffMod: any = await import('@flotilla/argocd-engine/diff');
      if (typeof diffMod.rulesFor !== 'function') throw new CliError('ignoreDifferences normalisation (engine diff) is not part of this build yet');
      const rule = diffMod.rulesFor(res, undefined, settings);
      if (!rule.jsonPointers.length && !rule.jqPathExpressions.length) {
        println(`Ignore differences are not configured for '${g}/${k}'`);
        return;
      }
      const normalized = structuredClone(res);
      try {
        diffMod.applyIgnoreRule(normalized, rule);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      if (JSON.stringify(normalized) === JSON.stringify(res)) {
        println(`No fields are ignored by ignoreDifferences settings: \n${toYAML({ jsonPointers: rule.jsonPointers, jqPathExpressions: rule.jqPathExpressions }).trimEnd()}`);
        return;
      }
      println('Following fields are ignored:\n');
      await printDiff(res.metadata?.name ?? 'resource', res, normalized);
    },
  });
}

function listActionsCmd(): Command {
  return new Command({
    use: 'list-actions RESOURCE_YAML_PATH',
    short: 'List available resource actions',
    long: 'List actions available for given resource action using the lua scripts configured in the \'resource.customizations\' field of \'argocd-cm\' ConfigMap and outputs updated fields',
    example: `
  argocd admin settings resource-overrides action list /tmp/deploy.yaml --argocd-cm-path ./argocd-cm.yaml`,
    flags: overrideFlags(),
    args: { min: 1, max: 1 },
    run: async ({ args, opts }) => {
      const res = resourceFile(args[0]);
      const settings = (await engineSettings()).parseSettings(await argocdCM(opts));
      let actions;
      try {
        const { listActions } = await import('@flotilla/argocd-engine/actions');
        actions = await listActions(res, overridesOf(settings));
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      const w = table().row('NAME', 'DISABLED');
      for (const a of [...actions].sort((x, y) => (x.name < y.name ? -1 : 1))) w.row(a.name, String(!!a.disabled));
      io.out(w.flush());
    },
  });
}

function runActionCmd(): Command {
  return new Command({
    use: 'run-action RESOURCE_YAML_PATH ACTION',
    aliases: ['action'],
    short: 'Executes resource action',
    long: 'Executes resource action using the lua script configured in the \'resource.customizations\' field of \'argocd-cm\' ConfigMap and outputs updated fields',
    example: `
  argocd admin settings resource-overrides action /tmp/deploy.yaml restart --argocd-cm-path ./argocd-cm.yaml`,
    flags: overrideFlags(),
    args: { min: 2, max: 2 },
    run: async ({ args, opts }) => {
      const res = resourceFile(args[0]);
      const settings = (await engineSettings()).parseSettings(await argocdCM(opts));
      let result;
      try {
        const { runAction } = await import('@flotilla/argocd-engine/actions');
        result = await runAction(structuredClone(res), args[1], overridesOf(settings));
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      for (const { obj, operation } of result.impacted) {
        if (operation === 'create') {
          println('Following resource was created:');
          println(toYAML(obj));
        } else {
          if (JSON.stringify(obj) === JSON.stringify(res)) {
            println(`No fields had been changed by action: \n${args[1]}`);
            continue;
          }
          println('Following fields have been changed:\n');
          await printDiff(res.metadata?.name ?? 'resource', res, obj);
        }
      }
    },
  });
}

// ---------------------------------------------------------------- rbac

async function rbacModule(): Promise<any> {
  const m: any = await import('@flotilla/argocd-server');
  if (typeof m.rbacConfig !== 'function' || typeof m.Rbac?.build !== 'function') throw new CliError("RBAC evaluation (argocd-server's RBAC module) is not part of this build");
  return m;
}

/** argocd-rbac-cm's data from --policy-file (a CSV, or a ConfigMap YAML) or the cluster. */
async function loadPolicyData(opts: Record<string, any>): Promise<Record<string, string>> {
  if (opts.policyFile) {
    let text: string;
    try {
      text = readFileSync(opts.policyFile, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read policy file ${opts.policyFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    let doc: any;
    try {
      doc = YAML.parse(text);
    } catch {
      doc = undefined;
    }
    if (doc && typeof doc === 'object' && !Array.isArray(doc) && doc.kind === 'ConfigMap') return { ...(doc.data ?? {}) };
    return { 'policy.csv': text };
  }
  const k = await kubeClient(opts);
  const cm: any = await k.get(R.configmaps, kubeNamespace(opts), 'argocd-rbac-cm').catch((e) => {
    throw new CliError((e as Error).message);
  });
  return { ...(cm.data ?? {}) };
}

const RESOURCE_ALIASES: Record<string, string> = {
  app: 'applications', apps: 'applications', application: 'applications',
  appset: 'applicationsets', appsets: 'applicationsets', applicationset: 'applicationsets',
  cluster: 'clusters', proj: 'projects', project: 'projects',
  repo: 'repositories', repos: 'repositories', repository: 'repositories',
  cert: 'certificates', certs: 'certificates', certificate: 'certificates',
  gpgkey: 'gpgkeys', gpg: 'gpgkeys', account: 'accounts', log: 'logs', extension: 'extensions',
};

function rbacCan(): Command {
  return new Command({
    use: 'can ROLE/SUBJECT ACTION RESOURCE [SUB-RESOURCE]',
    short: 'Check RBAC permissions for a role or subject',
    long: `
Check whether a given role or subject has appropriate RBAC permissions to do
something.
`,
    example: `
# Check whether role some:role has permissions to create an application in the
# 'default' project, using a local policy.csv file
argocd admin settings rbac can some:role create application 'default/app' --policy-file policy.csv

# Policy file can also be K8s config map with data keys like argocd-rbac-cm,
# i.e. 'policy.csv' and (optionally) 'policy.default'
argocd admin settings rbac can some:role create application 'default/app' --policy-file argocd-rbac-cm.yaml

# If --policy-file is not given, the ConfigMap 'argocd-rbac-cm' from K8s is
# used. You need to specify the argocd namespace, and make sure that your
# current Kubernetes context is pointing to the cluster Argo CD is running in
argocd admin settings rbac can some:role create application 'default/app' --namespace argocd

# You can override a possibly configured default role
argocd admin settings rbac can someuser create application 'default/app' --default-role role:readonly
`,
    flags: [
      { name: 'default-role', type: 'string', usage: 'name of the default role to use' },
      { name: 'policy-file', type: 'string', usage: 'path to the policy file to use' },
      { name: 'quiet', short: 'q', type: 'bool', usage: 'quiet mode - do not print results to stdout' },
      { name: 'strict', type: 'bool', usage: 'whether to perform strict check on action and resource names', default: true },
      { name: 'use-builtin-policy', type: 'bool', usage: 'whether to also use builtin-policy', default: true },
      ...kubeFlags(),
    ],
    args: { min: 3, max: 4 },
    run: async ({ args, opts }) => {
      const m = await rbacModule();
      const data = await loadPolicyData(opts);
      if (opts.defaultRole) data['policy.default'] = opts.defaultRole;
      const [subject, action, res, sub = ''] = args;
      const resource = RESOURCE_ALIASES[res] ?? res;
      if (opts.strict) {
        const resources = ['applications', 'applicationsets', 'clusters', 'projects', 'repositories', 'write-repositories', 'accounts', 'certificates', 'gpgkeys', 'logs', 'exec', 'extensions'];
        const actions = ['get', 'create', 'update', 'delete', 'sync', 'override', 'action', 'invoke'];
        if (!resources.includes(resource)) throw new CliError(`Unknown resource: ${res}`);
        if (!actions.includes(action.split('/')[0])) throw new CliError(`Unknown action: ${action}`);
      }
      const cfg = m.rbacConfig(data);
      if (cfg.errors.length) throw new CliError(`policy is invalid: ${cfg.errors.join('; ')}`);
      const rbac = await m.Rbac.build(cfg, cfg.lines);
      const allowed: boolean = rbac.enforce(subject, [], resource, action, sub);
      if (!opts.quiet) println(allowed ? 'Yes' : 'No');
      throw new Exit(allowed ? 0 : 1);
    },
  });
}

function rbacValidate(): Command {
  return new Command({
    use: 'validate [--policy-file POLICYFILE] [--namespace NAMESPACE]',
    short: 'Validate RBAC policy',
    long: `
Validates an RBAC policy for being syntactically correct. The policy must be
a local file or a K8s ConfigMap in the provided namespace, and in either CSV or K8s ConfigMap format.
`,
    example: `
# Check whether a given policy file is valid using a local policy.csv file.
argocd admin settings rbac validate --policy-file policy.csv

# Policy file can also be K8s config map with data keys like argocd-rbac-cm,
# i.e. 'policy.csv' and (optionally) 'policy.default'
argocd admin settings rbac validate --policy-file argocd-rbac-cm.yaml

# If --policy-file is not given, and instead --namespace is giventhe ConfigMap 'argocd-rbac-cm'
# from K8s is used.
argocd admin settings rbac validate --namespace argocd
`,
    flags: [{ name: 'policy-file', type: 'string', usage: 'path to the policy file to use' }, ...kubeFlags()],
    args: { max: 0 },
    run: async ({ opts }) => {
      const m = await rbacModule();
      const cfg = m.rbacConfig(await loadPolicyData(opts));
      let errors: string[] = cfg.errors;
      if (!errors.length) {
        try {
          await m.Rbac.build(cfg, cfg.lines);
        } catch (e) {
          errors = [(e as Error).message];
        }
      }
      if (errors.length) {
        println(`Policy is invalid: ${errors.join('; ')}`);
        throw new Exit(1);
      }
      println('Policy is valid.');
    },
  });
}

export function settingsCommand(group: Group): Command {
  void log;
  return group(
    'settings',
    'Provides set of commands for settings validation and troubleshooting',
    group('rbac', 'Validate and test RBAC configuration', rbacCan(), rbacValidate()),
    group('resource-overrides', 'Troubleshoot resource overrides', healthCmd(), ignoreDifferencesCmd(), listActionsCmd(), runActionCmd()),
  );
}
