/** `argocd app create|get|list|delete|set|unset|patch|edit` (+ the operation commands of app-ops.ts). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from '@flotilla/cli-kit/yaml';
import type { Application } from '@flotilla/argocd-engine/types';
import { Command } from '@flotilla/cli-kit/command';
import { io, println, readLine } from '@flotilla/cli-kit/io';
import { appBackend, parseAppName, type AppBackend } from '../backend.js';
import { RpcError } from '../client.js';
import { printResource, table, toYAML } from '../output.js';
import { CliError } from '../session.js';
import { appsTable, appURL, conditionsTable, operationResult, resourcesTable, summary, type SyncWindowsInfo } from './app-print.js';
import { appSpecFlags, parseLabels, readAppFile, setAppSpecOptions } from './app-spec.js';

const help = ({ cmd }: { cmd: Command }) => {
  io.out(cmd.help());
  return 1;
};

async function syncWindows(b: AppBackend, name: string, ns?: string): Promise<SyncWindowsInfo | undefined> {
  if (!b.api) return undefined;
  try {
    return await b.api.get(`/api/v1/applications/${encodeURIComponent(name)}/syncwindows`, { appNamespace: ns });
  } catch {
    return undefined;
  }
}

function createCmd(): Command {
  return new Command({
    use: 'create APPNAME',
    short: 'Create an application',
    example: `  # Create a directory app
  argocd app create guestbook --repo https://github.com/argoproj/argocd-example-apps.git --path guestbook --dest-namespace default --dest-server https://kubernetes.default.svc --directory-recurse

  # Create a Jsonnet app
  argocd app create jsonnet-guestbook --repo https://github.com/argoproj/argocd-example-apps.git --path jsonnet-guestbook --dest-namespace default --dest-server https://kubernetes.default.svc --jsonnet-ext-str replicas=2

  # Create a Helm app
  argocd app create helm-guestbook --repo https://github.com/argoproj/argocd-example-apps.git --path helm-guestbook --dest-namespace default --dest-server https://kubernetes.default.svc --helm-set replicaCount=2

  # Create a Helm app from a Helm repo
  argocd app create nginx-ingress --repo https://charts.helm.sh/stable --helm-chart nginx-ingress --revision 1.24.3 --dest-namespace default --dest-server https://kubernetes.default.svc

  # Create a Kustomize app
  argocd app create kustomize-guestbook --repo https://github.com/argoproj/argocd-example-apps.git --path kustomize-guestbook --dest-namespace default --dest-server https://kubernetes.default.svc --kustomize-image quay.io/argoprojlabs/argocd-e2e-container:0.1`,
    flags: [
      ...appSpecFlags(),
      { name: 'name', type: 'string', usage: 'A name for the app, ignored if a file is set (DEPRECATED)', hidden: false },
      { name: 'file', short: 'f', type: 'string', usage: 'Filename or URL to Kubernetes manifests for the app' },
      { name: 'label', short: 'l', type: 'stringArray', usage: 'Labels to apply to the app' },
      { name: 'annotations', type: 'stringArray', usage: 'Set metadata annotations (e.g. example=value)' },
      { name: 'upsert', type: 'bool', usage: 'Allows to override application with the same name even if supplied application spec is different from existing spec' },
      { name: 'set-finalizer', type: 'bool', usage: 'Sets deletion finalizer on the application, application resources will be cascaded on deletion' },
      { name: 'app-namespace', short: 'N', type: 'string', usage: 'Namespace where the application will be created in' },
    ],
    args: { max: 1 },
    run: async ({ args, opts, changed }) => {
      let app: Application;
      if (opts.file) {
        app = readAppFile(opts.file);
        if (args[0]) app.metadata!.name = parseAppName(args[0])[0];
      } else {
        const given = args[0] || opts.name;
        if (!given) throw new CliError('app name is needed: argocd app create APPNAME');
        const [name, ns] = parseAppName(given, opts.appNamespace);
        app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name, ...(ns ? { namespace: ns } : {}) }, spec: { project: '', destination: {}, source: { repoURL: '' } } } as Application;
      }
      if (opts.appNamespace) app.metadata!.namespace = opts.appNamespace;
      setAppSpecOptions(app, opts, changed);
      if (!app.spec.project) app.spec.project = 'default';
      if (opts.label.length) app.metadata!.labels = { ...(app.metadata!.labels ?? {}), ...parseLabels(opts.label, '--label') };
      if (opts.annotations.length) app.metadata!.annotations = { ...(app.metadata!.annotations ?? {}), ...parseLabels(opts.annotations, '--annotations') };
      if (opts.setFinalizer) app.metadata!.finalizers = [...new Set([...(app.metadata!.finalizers ?? []), 'resources-finalizer.argocd.argoproj.io'])];
      if (!app.metadata?.name) throw new CliError('app.Name is empty. --name argument can be used to provide app.Name');
      const b = await appBackend(opts, changed);
      let existing: Application | undefined;
      try {
        existing = await b.getApp(app.metadata.name, app.metadata.namespace);
      } catch {
        existing = undefined;
      }
      const created = await b.createApp(app, opts.upsert, opts.validate);
      let action = 'created';
      if (existing) action = JSON.stringify(existing.spec) === JSON.stringify(created.spec) && JSON.stringify(existing.metadata?.labels ?? {}) === JSON.stringify(created.metadata?.labels ?? {}) ? 'unchanged' : 'updated';
      println(`application '${created.metadata?.name ?? app.metadata.name}' ${action}`);
    },
  });
}

function getCmd(): Command {
  return new Command({
    use: 'get APPNAME',
    short: 'Get application details',
    example: `  # Get basic details about the application "my-app" in wide format
  argocd app get my-app -o wide

  # Get detailed information about the application "my-app" in YAML format
  argocd app get my-app -o yaml

  # Get details of the application "my-app" in JSON format
  argocd get my-app -o json

  # Get application details and include information about the current operation
  argocd app get my-app --show-operation

  # Show application parameters and overrides
  argocd app get my-app --show-params

  # Refresh application data when retrieving
  argocd app get my-app --refresh

  # Perform a hard refresh, including refreshing application data and target manifests cache
  argocd app get my-app --hard-refresh`,
    flags: [
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|tree', default: 'wide' },
      { name: 'timeout', type: 'uint', usage: 'Time out after this many seconds', default: 60 },
      { name: 'show-params', type: 'bool', usage: 'Show application parameters and overrides' },
      { name: 'show-operation', type: 'bool', usage: 'Show application operation' },
      { name: 'refresh', type: 'bool', usage: 'Refresh application data when retrieving' },
      { name: 'hard-refresh', type: 'bool', usage: 'Refresh application data as well as target manifests cache' },
      { name: 'app-namespace', short: 'N', type: 'string', usage: 'Only get application from namespace' },
      { name: 'source-position', type: 'int', usage: 'Position of the source from the list of sources of the app. Counting starts at 1.', default: -1 },
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      const app = await b.getApp(name, ns, opts.hardRefresh ? 'hard' : opts.refresh ? 'normal' : undefined);
      switch (opts.output) {
        case 'json':
        case 'yaml':
          return printResource(app, opts.output);
        case 'name':
          return println(app.metadata?.name);
        case 'wide':
        case '':
        case 'tree':
        case 'tree=detailed': {
          const windows = await syncWindows(b, name, ns);
          io.out(summary(app, appURL(await b.settingsURL(), b.serverAddr, b.plaintext, name), windows));
          if ((app.status?.conditions ?? []).length) {
            println();
            io.out(conditionsTable(app));
            println();
          }
          if (opts.showOperation && app.status?.operationState) {
            println();
            io.out(operationResult(app.status.operationState));
          }
          if (opts.showParams) await printParams(b, app, opts.sourcePosition);
          if (opts.output.startsWith('tree')) {
            const { printTree } = await import('./app-ops.js');
            await printTree(b, name, ns, opts.output === 'tree=detailed');
          } else if ((app.status?.resources ?? []).length) {
            println();
            io.out(resourcesTable(app));
          }
          return;
        }
        default:
          throw new CliError(`unknown output format: ${opts.output}`);
      }
    },
  });
}

/**
 * `--show-params`: the parameters the app renders with and where each comes from — the Application,
 * or an override file committed next to the source (`.argocd-source.yaml`, `.argocd-source-<app>.yaml`,
 * merged over the Application's source in that order). The effective settings come from the repo
 * server (appdetails); with --core, or when the repo server cannot answer, the Application's own.
 */
async function printParams(b: AppBackend, app: Application, position: number): Promise<void> {
  const src: any = app.spec.source ?? app.spec.sources?.[position > 0 ? position - 1 : 0];
  if (!src) return;
  let eff: any = src;
  let origins: Record<string, string> = {};
  if (b.api && src.repoURL && !src.chart) {
    try {
      const d: any = await b.api.post(`/api/v1/repositories/${encodeURIComponent(src.repoURL)}/appdetails`, {
        source: src,
        appName: app.metadata?.name,
        appProject: app.spec.project,
      });
      if (d?.overrides) {
        eff = { ...src, ...d.overrides.source };
        origins = d.overrides.origins ?? {};
      }
    } catch (e) {
      io.err(`WARNING: cannot read the override files of the source (${e instanceof Error ? e.message : String(e)}): showing the Application's own parameters\n`);
    }
  }
  const from = (path: string) => origins[path] ?? 'Application';
  const params = eff?.helm?.parameters ?? [];
  if (params.length) {
    println();
    const w = table().row('NAME', 'VALUE', 'SOURCE');
    for (const p of params) w.row(p.name, p.value, from('helm.parameters'));
    io.out(w.flush());
  }
  const valueFiles = eff?.helm?.valueFiles ?? [];
  if (valueFiles.length) {
    println();
    const w = table().row('VALUE FILE', 'SOURCE');
    for (const f of valueFiles) w.row(f, from('helm.valueFiles'));
    io.out(w.flush());
  }
  const images = eff?.kustomize?.images ?? [];
  if (images.length) {
    println();
    const w = table().row('IMAGE', 'SOURCE');
    for (const i of images) w.row(i, from('kustomize.images'));
    io.out(w.flush());
  }
}

/** What `app list`'s table (appsTable), `-o name` and the --repo/--cluster filters read of an Application. */
const LIST_FIELDS = ['metadata.name', 'metadata.namespace', 'spec.project', 'spec.destination', 'spec.source', 'spec.sources', 'spec.syncPolicy', 'status.sync.status', 'status.health.status', 'status.conditions'].map((f) => `items.${f}`);

function listCmd(): Command {
  return new Command({
    use: 'list',
    short: 'List applications',
    example: `  # List all apps
  argocd app list

  # List apps by label, in this example we listing apps that are children of another app (aka app-of-apps)
  argocd app list -l app.kubernetes.io/instance=my-app
  argocd app list -l app.kubernetes.io/instance!=my-app
  argocd app list -l app.kubernetes.io/instance
  argocd app list -l '!app.kubernetes.io/instance'
  argocd app list -l 'app.kubernetes.io/instance notin (my-app,other-app)'`,
    flags: [
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: wide|name|json|yaml', default: 'wide' },
      { name: 'selector', short: 'l', type: 'string', usage: 'List apps by label. Supports \'=\', \'==\', \'!=\', in, notin, exists & not exists. Matching apps must satisfy all of the specified label constraints.' },
      { name: 'project', short: 'p', type: 'stringArray', usage: 'Filter by project name' },
      { name: 'repo', short: 'r', type: 'string', usage: 'List apps by source repo URL' },
      { name: 'app-namespace', short: 'N', type: 'string', usage: 'Only list applications in namespace' },
      { name: 'cluster', short: 'c', type: 'string', usage: 'List apps by cluster name or url' },
    ],
    args: { max: 0 },
    run: async ({ opts, changed }) => {
      const b = await appBackend(opts, changed);
      // the table and names need a few fields of each app: ask the server for only those (json/yaml print everything)
      const fields = opts.output === 'json' || opts.output === 'yaml' ? undefined : LIST_FIELDS;
      let apps = await b.listApps({ selector: opts.selector, projects: opts.project, repo: opts.repo, appNamespace: opts.appNamespace, fields });
      if (opts.repo) apps = apps.filter((a) => (a.spec.source?.repoURL ?? a.spec.sources?.[0]?.repoURL) === opts.repo);
      if (opts.cluster) apps = apps.filter((a) => a.spec.destination.server === opts.cluster || a.spec.destination.name === opts.cluster);
      switch (opts.output) {
        case 'json':
        case 'yaml':
          return printResource(apps, opts.output);
        case 'name':
          for (const a of apps) println(a.metadata?.namespace ? `${a.metadata.namespace}/${a.metadata.name}` : a.metadata?.name);
          return;
        case 'wide':
        case '':
          return io.out(appsTable(apps, 'wide'));
        default:
          throw new CliError(`unknown output format: ${opts.output}`);
      }
    },
  });
}

function deleteCmd(): Command {
  return new Command({
    use: 'delete APPNAME',
    short: 'Delete an application',
    example: `  # Delete an app
  argocd app delete my-app

  # Delete multiple apps
  argocd app delete my-app other-app

  # Delete apps by label
  argocd app delete -l app.kubernetes.io/instance=my-app
  argocd app delete -l app.kubernetes.io/instance!=my-app
  argocd app delete -l app.kubernetes.io/instance
  argocd app delete -l '!app.kubernetes.io/instance'
  argocd app delete -l 'app.kubernetes.io/instance notin (my-app,other-app)'`,
    flags: [
      { name: 'cascade', type: 'bool', usage: 'Perform a cascaded deletion of all application resources', default: true },
      { name: 'propagation-policy', short: 'p', type: 'string', usage: 'Specify propagation policy for deletion of application\'s resources. One of: foreground|background', default: 'foreground' },
      { name: 'yes', short: 'y', type: 'bool', usage: 'Turn off prompting to confirm cascaded deletion of application resources' },
      { name: 'selector', short: 'l', type: 'string', usage: 'Delete all apps with matching label. Supports \'=\', \'==\', \'!=\', in, notin, exists & not exists. Matching apps must satisfy all of the specified label constraints.' },
      { name: 'wait', type: 'bool', usage: 'Wait until deletion of the application(s) completes. Only supported when --cascade is true.' },
      { name: 'app-namespace', short: 'N', type: 'string', usage: 'Namespace where the application will be deleted from' },
    ],
    run: async ({ cmd, args, opts, changed }) => {
      if (!args.length && !opts.selector) return help({ cmd });
      if (!['foreground', 'background'].includes(opts.propagationPolicy)) throw new CliError(`invalid propagation policy: ${opts.propagationPolicy} (one of: foreground|background)`);
      const b = await appBackend(opts, changed);
      let names = [...args];
      if (opts.selector) names = (await b.listApps({ selector: opts.selector, appNamespace: opts.appNamespace })).map((a) => (a.metadata?.namespace ? `${a.metadata.namespace}/${a.metadata.name}` : a.metadata!.name!));
      const prompt = !!process.stdout.isTTY && !opts.yes;
      let all = false;
      for (const full of names) {
        const [name, ns] = parseAppName(full, opts.appNamespace);
        let answer = 'y';
        if (prompt && !all) {
          const q = names.length === 1 ? `Are you sure you want to delete '${full}' and all its resources? [y/n] ` : `Are you sure you want to delete '${full}' and all its resources? [y/n/A] where 'A' is to delete all specified apps and their resources without prompting `;
          try {
            answer = (await readLine(q)).trim();
          } catch {
            answer = 'n';
          }
          if (answer === 'A') {
            all = true;
            answer = 'y';
          }
          answer = answer.toLowerCase();
        }
        if (answer !== 'y' && answer !== 'yes') {
          println(`The command to delete '${full}' was cancelled.`);
          continue;
        }
        await b.deleteApp(name, ns, changed.has('cascade') ? opts.cascade : undefined, changed.has('propagationPolicy') ? opts.propagationPolicy : undefined);
        println(`application '${full}' deleted`);
        if (opts.wait && opts.cascade) {
          const { waitOnApplicationStatus } = await import('./app-wait.js');
          await waitOnApplicationStatus(b, name, ns, 0, { delete: true }, undefined, 'json');
        }
      }
    },
  });
}

function setCmd(): Command {
  return new Command({
    use: 'set APPNAME',
    short: 'Set application parameters',
    example: `  # Set application parameters for the application "my-app"
  argocd app set my-app --parameter key1=value1 --parameter key2=value2

  # Set and validate application parameters for "my-app"
  argocd app set my-app --parameter key1=value1 --parameter key2=value2 --validate

  # Set and override application parameters for a source at position 1 under spec.sources of app my-app. source-position starts at 1.
  argocd app set my-app --source-position 1 --repo https://github.com/argoproj/argocd-example-apps.git

  # Set application parameters and specify the namespace
  argocd app set my-app --parameter key1=value1 --parameter key2=value2 --namespace my-namespace`,
    flags: [...appSpecFlags(), { name: 'app-namespace', short: 'N', type: 'string', usage: 'Set application parameters in namespace' }],
    args: { min: 1, max: 1 },
    run: async ({ cmd, args, opts, changed }) => {
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      const app = await b.getApp(name, ns);
      const visited = setAppSpecOptions(app, opts, changed);
      if (visited === 0) {
        io.err('Please set at least one option to update\n');
        return help({ cmd });
      }
      await b.updateSpec(name, ns, app.spec, opts.validate);
    },
  });
}

function unsetCmd(): Command {
  return new Command({
    use: 'unset APPNAME parameters',
    short: 'Unset application parameters',
    example: `  # Unset kustomize override kustomize image
  argocd app unset my-app --kustomize-image=alpine

  # Unset kustomize override suffix
  argocd app unset my-app --namesuffix

  # Unset kustomize override suffix for source at position 1 under spec.sources of app my-app. source-position starts at 1.
  argocd app unset my-app --source-position 1 --namesuffix

  # Unset parameter override
  argocd app unset my-app -p COMPONENT=PARAM`,
    flags: [
      { name: 'parameter', short: 'p', type: 'stringArray', usage: 'Unset a parameter override (e.g. -p guestbook=image)' },
      { name: 'values', type: 'stringArray', usage: 'Unset one or more Helm values files' },
      { name: 'values-literal', type: 'bool', usage: 'Unset literal Helm values block' },
      { name: 'ignore-missing-value-files', type: 'bool', usage: 'Unset the helm ignore-missing-value-files option (revert to false)' },
      { name: 'nameprefix', type: 'bool', usage: 'Kustomize nameprefix' },
      { name: 'namesuffix', type: 'bool', usage: 'Kustomize namesuffix' },
      { name: 'kustomize-version', type: 'bool', usage: 'Kustomize version' },
      { name: 'kustomize-namespace', type: 'bool', usage: 'Kustomize namespace' },
      { name: 'kustomize-image', type: 'stringArray', usage: 'Kustomize images name (e.g. --kustomize-image node --kustomize-image mysql)' },
      { name: 'plugin-env', type: 'stringArray', usage: 'Unset plugin env variables (e.g --plugin-env name)' },
      { name: 'pass-credentials', type: 'bool', usage: 'Unset passCredentials' },
      { name: 'source-position', type: 'int', usage: 'Position of the source from the list of sources of the app. Counting starts at 1.', default: -1 },
      { name: 'app-namespace', short: 'N', type: 'string', usage: 'Unset application parameters in namespace' },
    ],
    args: { min: 1, max: 1 },
    run: async ({ cmd, args, opts, changed }) => {
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      const app = await b.getApp(name, ns);
      const src: any = app.spec.sources?.length ? app.spec.sources[(opts.sourcePosition > 0 ? opts.sourcePosition : 1) - 1] : app.spec.source;
      if (!src) throw new CliError('the application has no source');
      let updated = false;
      const h = src.helm;
      const k = src.kustomize;
      for (const p of opts.parameter as string[]) {
        const pname = p.includes('=') ? p.split('=')[1] : p;
        if (h?.parameters) {
          const before = h.parameters.length;
          h.parameters = h.parameters.filter((x: any) => x.name !== pname && x.name !== p);
          updated ||= h.parameters.length !== before;
        }
      }
      for (const v of opts.values as string[]) {
        if (h?.valueFiles?.includes(v)) {
          h.valueFiles = h.valueFiles.filter((x: string) => x !== v);
          updated = true;
        }
      }
      if (opts.valuesLiteral && h && (h.values || h.valuesObject)) {
        delete h.values;
        delete h.valuesObject;
        updated = true;
      }
      if (opts.ignoreMissingValueFiles && h?.ignoreMissingValueFiles) (h.ignoreMissingValueFiles = false), (updated = true);
      if (opts.passCredentials && h?.passCredentials) (h.passCredentials = false), (updated = true);
      if (opts.nameprefix && k?.namePrefix) delete k.namePrefix, (updated = true);
      if (opts.namesuffix && k?.nameSuffix) delete k.nameSuffix, (updated = true);
      if (opts.kustomizeVersion && k?.version) delete k.version, (updated = true);
      if (opts.kustomizeNamespace && k?.namespace) delete k.namespace, (updated = true);
      for (const img of opts.kustomizeImage as string[]) {
        if (k?.images) {
          const before = k.images.length;
          k.images = k.images.filter((x: string) => x.split(/[=@:]/)[0] !== img);
          updated ||= k.images.length !== before;
        }
      }
      for (const e of opts.pluginEnv as string[]) {
        if (src.plugin?.env) {
          const before = src.plugin.env.length;
          src.plugin.env = src.plugin.env.filter((x: any) => x.name !== e);
          updated ||= src.plugin.env.length !== before;
        }
      }
      if (changed.size === 0 || [...changed].every((c) => c === 'sourcePosition' || c === 'appNamespace')) return help({ cmd });
      if (!updated) return;
      await b.updateSpec(name, ns, app.spec, true);
    },
  });
}

function patchCmd(): Command {
  return new Command({
    use: 'patch APPNAME',
    short: 'Patch application',
    example: `  # Update an application's source path using json patch
  argocd app patch myapplication --patch='[{"op": "replace", "path": "/spec/source/path", "value": "newPath"}]'

  # Update an application's repository target revision using merge patch
  argocd app patch myapplication --patch '{"spec": { "source": { "targetRevision": "master" } }}' --type merge`,
    flags: [
      { name: 'patch', type: 'string', usage: 'Patch body' },
      { name: 'type', type: 'string', usage: 'The type of patch being provided; one of [json merge]', default: 'json' },
      { name: 'app-namespace', short: 'N', type: 'string', usage: 'Namespace of the application to patch' },
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      if (!['json', 'merge'].includes(opts.type)) throw new CliError(`unknown patch type ${JSON.stringify(opts.type)}: one of json, merge`);
      if (!opts.patch) throw new CliError('--patch is needed');
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      const patched = await b.patchApp(name, ns, opts.patch, opts.type);
      println(toYAML(patched));
    },
  });
}

function editCmd(): Command {
  return new Command({
    use: 'edit APPNAME',
    short: 'Edit application',
    example: `  # Edit an application
  argocd app edit my-app`,
    flags: [{ name: 'app-namespace', short: 'N', type: 'string', usage: 'Only edit application in namespace' }],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      const app = await b.getApp(name, ns);
      const dir = mkdtempSync(join(tmpdir(), 'argocd-edit'));
      const file = join(dir, `${name}-edit.yaml`);
      try {
        const original = toYAML(app.spec);
        writeFileSync(file, original);
        const editor = process.env.KUBE_EDITOR || process.env.EDITOR || 'vi';
        // node:child_process only here (its ESM facade loads internal/child_process: ~10 ms of every app command)
        const { spawnSync } = await import('node:child_process');
        const r = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: 'inherit' });
        if (r.status !== 0) throw new CliError(`editor ${editor} exited with ${r.status ?? r.signal}`);
        const text = readFileSync(file, 'utf8');
        if (text === original) return;
        let spec: Application['spec'];
        try {
          spec = YAML.parse(text);
        } catch (e) {
          throw new CliError(`the edited spec is not valid YAML: ${(e as Error).message}`);
        }
        try {
          await b.updateSpec(name, ns, spec, true);
        } catch (e) {
          if (e instanceof RpcError) throw new CliError(`failed to update application spec:\n${e.message}`);
          throw e;
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  });
}

/** The sub-commands defined here; the others (sync, wait, diff, history, …) come from app-ops.ts. */
export const APP_BASE_COMMANDS = ['create', 'get', 'list', 'delete', 'set', 'unset', 'patch', 'edit'];

/** `argocd app`; `ops` = app-ops.ts' appOpsCommands(), which the caller loads only when the command line may need them. */
export function appCommand(ops: Command[]): Command {
  return new Command({
    use: 'app',
    aliases: ['apps', 'application', 'applications'],
    short: 'Manage applications',
    example: `  # List all the applications.
  argocd app list

  # Get the details of a application
  argocd app get my-app

  # Set an override parameter
  argocd app set my-app -p image.tag=v1.0.1`,
    run: help,
  }).add(createCmd(), getCmd(), listCmd(), deleteCmd(), setCmd(), unsetCmd(), patchCmd(), editCmd(), ...ops);
}
