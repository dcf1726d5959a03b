/** `argocd app sync|wait|diff|history|rollback|manifests|resources|logs|terminate-op|actions`. */
import type { Application } from '@flotilla/argocd-engine/types';
import { Command, Exit } from '@flotilla/cli-kit/command';
import { io, println } from '@flotilla/cli-kit/io';
import { appBackend, coreUnsupported, parseAppName, type AppBackend, type SyncRequest } from '../backend.js';
import { RpcError } from '../client.js';
import { printDiff } from '../diff.js';
import { printResource, table, toYAML } from '../output.js';
import { CliError } from '../session.js';
import { historyTable, resourceStates } from './app-print.js';
import { waitOnApplicationStatus, type WatchOpts } from './app-wait.js';

const enc = encodeURIComponent;
const appNsFlag = (usage = 'Namespace of the application') => ({ name: 'app-namespace', short: 'N', type: 'string' as const, usage });

/** "GROUP:KIND:NAME" or "GROUP:KIND:NAMESPACE/NAME", "!" to exclude, "*" wildcards (upstream's --resource). */
export function parseResourceFilter(s: string): { exclude: boolean; group: string; kind: string; namespace: string; name: string } {
  const exclude = s.startsWith('!');
  const parts = (exclude ? s.slice(1) : s).split(':');
  if (parts.length !== 3) throw new CliError(`resource should have GROUP:KIND:NAME, but instead got: ${s}`);
  let [group, kind, name] = parts;
  let namespace = '';
  if (name.includes('/')) [namespace, name] = name.split('/', 2);
  return { exclude, group, kind, namespace, name };
}

const glob = (p: string, v: string) => p === '' || p === '*' || new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(v);

export function selectResources(app: Application, filters: string[]): SyncRequest['resources'] {
  if (!filters.length) return undefined;
  const fs = filters.map(parseResourceFilter);
  const inc = fs.filter((f) => !f.exclude);
  const exc = fs.filter((f) => f.exclude);
  const plain = inc.length && !exc.length && inc.every((f) => !f.kind.includes('*') && !f.name.includes('*') && !f.group.includes('*') && f.kind && f.name);
  if (plain) return inc.map((f) => ({ group: f.group, kind: f.kind, name: f.name, ...(f.namespace ? { namespace: f.namespace } : {}) }));
  const out = (app.status?.resources ?? []).filter((r) => {
    const m = (f: (typeof fs)[0]) => glob(f.group, r.group ?? '') && glob(f.kind, r.kind) && glob(f.name, r.name) && (!f.namespace || glob(f.namespace, r.namespace ?? ''));
    return (!inc.length || inc.some(m)) && !exc.some(m);
  });
  if (!out.length) throw new CliError(`No matching resources found for the filters ${filters.join(', ')}`);
  return out.map((r) => ({ group: r.group ?? '', kind: r.kind, name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) }));
}

function syncCmd(): Command {
  return new Command({
    use: 'sync [APPNAME... | -l selector | --project project-name]',
    short: 'Sync an application to its target state',
    example: `  # Sync an app
  argocd app sync my-app

  # Sync multiples apps
  argocd app sync my-app other-app

  # Sync apps by label, in this example we sync apps that are children of another app (aka app-of-apps)
  argocd app sync -l app.kubernetes.io/instance=my-app

  # Sync a specific resource
  # Resource should be formatted as GROUP:KIND:NAME. If no GROUP is specified then :KIND:NAME
  argocd app sync my-app --resource :Service:my-service
  argocd app sync my-app --resource argoproj.io:Rollout:my-rollout
  argocd app sync my-app --resource '!apps:Deployment:my-service'

  # Specify namespace if the application has resources with the same name in different namespaces
  argocd app sync my-app --resource argoproj.io:Rollout:my-namespace/my-rollout`,
    flags: [
      { name: 'revision', type: 'string', usage: 'Sync to a specific revision. Preserves parameter overrides' },
      { name: 'resource', type: 'stringArray', usage: "Sync only specific resources as GROUP:KIND:NAME or !GROUP:KIND:NAME. Fields may be blank and '*' can be used. This option may be specified repeatedly" },
      { name: 'selector', short: 'l', type: 'string', usage: "Sync apps that match this label. Supports '=', '==', '!=', in, notin, exists & not exists. Matching apps must satisfy all of the specified label constraints." },
      { name: 'project', type: 'stringArray', usage: 'Sync apps that belong to the specified projects. This option may be specified repeatedly.' },
      { name: 'prune', type: 'bool', usage: 'Allow deleting unexpected resources' },
      { name: 'dry-run', type: 'bool', usage: 'Preview apply without affecting cluster' },
      { name: 'strategy', type: 'string', usage: 'Sync strategy (one of: apply|hook)' },
      { name: 'force', type: 'bool', usage: 'Use a force apply' },
      { name: 'replace', type: 'bool', usage: 'Use a kubectl create/replace instead apply' },
      { name: 'server-side', type: 'bool', usage: 'Use server-side apply while syncing the application' },
      { name: 'apply-out-of-sync-only', type: 'bool', usage: 'Sync only out-of-sync resources' },
      { name: 'async', type: 'bool', usage: 'Do not wait for application to sync before continuing' },
      { name: 'timeout', type: 'uint', usage: 'Time out after this many seconds' },
      { name: 'retry-limit', type: 'int64', usage: 'Max number of allowed sync retries' },
      { name: 'retry-backoff-duration', type: 'duration', usage: 'Retry backoff base duration. Input needs to be a duration (e.g. 2m, 1h)', default: 5000 },
      { name: 'retry-backoff-factor', type: 'int64', usage: 'Factor multiplies the base duration after each failed retry', default: 2 },
      { name: 'retry-backoff-max-duration', type: 'duration', usage: 'Max retry backoff duration. Input needs to be a duration (e.g. 2m, 1h)', default: 180000 },
      { name: 'info', type: 'stringArray', usage: 'A list of key-value pairs during sync process. These infos will be persisted in app.' },
      { name: 'label', type: 'stringArray', usage: 'Sync only specific resources with a label. This option may be specified repeatedly.' },
      { name: 'local', type: 'string', usage: 'Path to a local directory. When this flag is present no git queries will be made' },
      { name: 'assumeYes', type: 'bool', usage: 'Assume yes as answer for all user queries or prompts' },
      { name: 'preview-changes', type: 'bool', usage: 'Preview difference against the target and live state before syncing app and wait for user confirmation' },
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|tree|tree=detailed', default: 'wide' },
      appNsFlag('Only sync an application in namespace'),
    ],
    run: async ({ cmd, args, opts, changed }) => {
      if (!args.length && !opts.selector && !opts.project.length) {
        io.out(cmd.help());
        return 1;
      }
      if (opts.label.length) throw new CliError('--label is not supported by Flotilla yet: select resources with --resource GROUP:KIND:NAME');
      if (opts.local) throw new CliError('--local is not supported by Flotilla yet');
      if (opts.previewChanges) throw new CliError('--preview-changes is not supported by Flotilla yet: run argocd app diff first');
      if (opts.strategy && !['apply', 'hook'].includes(opts.strategy)) throw new CliError(`Unknown sync strategy: '${opts.strategy}'`);
      const b = await appBackend(opts, changed);
      let names = [...args];
      if (opts.selector || opts.project.length) {
        const apps = await b.listApps({ selector: opts.selector, projects: opts.project, appNamespace: opts.appNamespace });
        if (!apps.length) throw new CliError(`No apps found${opts.selector ? ` for selector ${opts.selector}` : ''}`);
        names.push(...apps.map((a) => (a.metadata?.namespace ? `${a.metadata.namespace}/${a.metadata.name}` : a.metadata!.name!)));
      }
      names = [...new Set(names)];
      for (const full of names) {
        const [name, ns] = parseAppName(full, opts.appNamespace);
        const items: string[] = [];
        if (opts.applyOutOfSyncOnly) items.push('ApplyOutOfSyncOnly=true');
        if (opts.replace) items.push('Replace=true');
        if (opts.serverSide) items.push('ServerSideApply=true');
        let resources: SyncRequest['resources'];
        if (opts.resource.length) resources = selectResources(await b.getApp(name, ns), opts.resource);
        const req: SyncRequest = {
          name,
          ...(ns ? { appNamespace: ns } : {}),
          revision: opts.revision || undefined,
          dryRun: opts.dryRun,
          prune: opts.prune,
          resources,
          ...(items.length ? { syncOptions: { items } } : {}),
          ...(opts.info.length ? { infos: (opts.info as string[]).map((i) => ({ name: i.split('=')[0], value: i.split('=').slice(1).join('=') })) } : {}),
        };
        if (opts.strategy === 'apply') req.strategy = { apply: { force: opts.force } };
        else if (opts.strategy === 'hook' || opts.force) req.strategy = { hook: { force: opts.force } };
        if (opts.retryLimit !== 0) {
          req.retryStrategy = { limit: opts.retryLimit, backoff: { duration: `${opts.retryBackoffDuration / 1000}s`, maxDuration: `${opts.retryBackoffMaxDuration / 1000}s`, factor: opts.retryBackoffFactor } };
        }
        const since = new Date().toISOString();
        await b.sync(req);
        if (opts.async) continue;
        const { op } = await waitOnApplicationStatus(b, name, ns, opts.timeout, { operation: true }, resources, opts.output, since);
        if (op && op.phase !== 'Succeeded') throw new CliError(`operation has completed with phase: ${op.phase}`);
      }
    },
  });
}

function waitCmd(): Command {
  return new Command({
    use: 'wait [APPNAME.. | -l selector]',
    short: 'Wait for an application to reach a synced and healthy state',
    example: `  # Wait for an app
  argocd app wait my-app

  # Wait for multiple apps
  argocd app wait my-app other-app

  # Wait for apps by resource
  # Resource should be formatted as GROUP:KIND:NAME. If no GROUP is specified then :KIND:NAME.
  argocd app wait my-app --resource :Service:my-service
  argocd app wait my-app --resource argoproj.io:Rollout:my-rollout
  argocd app wait my-app --resource '!apps:Deployment:my-service'
  argocd app wait my-app --resource apps:Deployment:my-service --resource :Service:my-service
  argocd app wait my-app --resource '!*:Service:*'
  # Specify namespace if the application has resources with the same name in different namespaces
  argocd app wait my-app --resource argoproj.io:Rollout:my-namespace/my-rollout

  # Wait for apps by label, in this example we waiting for apps that are children of another app (aka app-of-apps)
  argocd app wait -l app.kubernetes.io/instance=my-app
  argocd app wait -l app.kubernetes.io/instance!=my-app
  argocd app wait -l app.kubernetes.io/instance
  argocd app wait -l '!app.kubernetes.io/instance'
  argocd app wait -l 'app.kubernetes.io/instance notin (my-app,other-app)'`,
    flags: [
      { name: 'sync', type: 'bool', usage: 'Wait for sync' },
      { name: 'health', type: 'bool', usage: 'Wait for health' },
      { name: 'suspended', type: 'bool', usage: 'Wait for suspended' },
      { name: 'degraded', type: 'bool', usage: 'Wait for degraded' },
      { name: 'delete', type: 'bool', usage: 'Wait for delete' },
      { name: 'operation', type: 'bool', usage: 'Wait for pending operations' },
      { name: 'selector', short: 'l', type: 'string', usage: "Wait for apps by label. Supports '=', '==', '!=', in, notin, exists & not exists. Matching apps must satisfy all of the specified label constraints." },
      { name: 'resource', type: 'stringArray', usage: "Sync only specific resources as GROUP:KIND:NAME or !GROUP:KIND:NAME. Fields may be blank and '*' can be used. This option may be specified repeatedly" },
      { name: 'timeout', type: 'uint', usage: 'Time out after this many seconds' },
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|tree|tree=detailed', default: 'wide' },
      appNsFlag('Only wait for an application in namespace'),
    ],
    run: async ({ cmd, args, opts, changed }) => {
      if (!args.length && !opts.selector) {
        io.out(cmd.help());
        return 1;
      }
      let w: WatchOpts = { sync: opts.sync, health: opts.health, operation: opts.operation, suspended: opts.suspended, degraded: opts.degraded, delete: opts.delete };
      if (!w.sync && !w.health && !w.operation && !w.suspended && !w.degraded && !w.delete) w = { sync: true, health: true, operation: true };
      const b = await appBackend(opts, changed);
      const names = [...args];
      if (opts.selector) names.push(...(await b.listApps({ selector: opts.selector, appNamespace: opts.appNamespace })).map((a) => a.metadata!.name!));
      for (const full of names) {
        const [name, ns] = parseAppName(full, opts.appNamespace);
        let resources: SyncRequest['resources'];
        if (opts.resource.length) resources = selectResources(await b.getApp(name, ns), opts.resource);
        await waitOnApplicationStatus(b, name, ns, opts.timeout, w, resources, opts.output);
      }
    },
  });
}

interface ManagedResource {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
  targetState?: string;
  liveState?: string;
  normalizedLiveState?: string;
  predictedLiveState?: string;
  hook?: boolean;
  modified?: boolean;
}

const parseState = (s: string | undefined): any => {
  if (!s || s === 'null') return null;
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
};

async function managedResources(b: AppBackend, name: string, ns?: string): Promise<ManagedResource[]> {
  coreUnsupported(b, 'this command');
  const r = await b.api!.get<{ items?: ManagedResource[] }>(`/api/v1/applications/${enc(name)}/managed-resources`, { appNamespace: ns });
  return r.items ?? [];
}

function diffCmd(): Command {
  return new Command({
    use: 'diff APPNAME',
    short: 'Perform a diff against the target and live state.',
    long: 'Perform a diff against the target and live state.\nUses \'diff\' to render the difference. KUBECTL_EXTERNAL_DIFF environment variable can be used to select your own diff tool.\nReturns the following exit codes: 2 on general errors, 1 when a diff is found, and 0 when no diff is found\nKubernetes Secrets are ignored from this diff.',
    example: `  # Compare the live state of an application with its target state in Git
  argocd app diff my-app

  # Compare the live state of an application against a specific revision
  argocd app diff my-app --revision 0.0.1`,
    flags: [
      { name: 'refresh', type: 'bool', usage: 'Refresh application data when retrieving' },
      { name: 'hard-refresh', type: 'bool', usage: 'Refresh application data as well as target manifests cache' },
      { name: 'exit-code', type: 'bool', usage: 'Return non-zero exit code when there is a diff. May also return non-zero exit code if there is an error.', default: true },
      { name: 'diff-exit-code', type: 'int', usage: 'Return specified exit code when there is a diff. Typical error code is 20 but use another exit code if you want to differentiate from the generic exit code (20) returned by all CLI commands.', default: 1 },
      { name: 'local', type: 'string', usage: 'Compare live app to a local manifests' },
      { name: 'revision', type: 'string', usage: 'Compare live app to a particular revision' },
      { name: 'server-side-generate', type: 'bool', usage: 'Used with --local, this will send your manifests to the server for diffing' },
      appNsFlag('Only render the difference in namespace'),
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      if (opts.local) throw new CliError('--local is not supported by Flotilla yet: diff against the repository (without --local) or use --revision');
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      coreUnsupported(b, 'app diff');
      if (opts.refresh || opts.hardRefresh) await b.getApp(name, ns, opts.hardRefresh ? 'hard' : 'normal');
      let items: { key: [string, string, string, string]; live: any; target: any; modified: boolean }[];
      if (opts.revision) {
        const m = await b.api!.get<{ manifests?: string[] }>(`/api/v1/applications/${enc(name)}/manifests`, { revision: opts.revision, appNamespace: ns });
        const live = await managedResources(b, name, ns);
        const targets = (m.manifests ?? []).map((s) => parseState(s)).filter(Boolean);
        const app = await b.getApp(name, ns);
        const destNs = app.spec.destination.namespace ?? '';
        const keyOf = (o: any): [string, string, string, string] => [String(o.apiVersion ?? '').includes('/') ? String(o.apiVersion).split('/')[0] : '', o.kind, o.metadata?.namespace ?? '', o.metadata?.name];
        const byKey = new Map<string, { key: [string, string, string, string]; live: any; target: any; modified: boolean }>();
        for (const r of live) if (!r.hook) byKey.set(`${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`, { key: [r.group ?? '', r.kind, r.namespace ?? '', r.name], live: parseState(r.normalizedLiveState ?? r.liveState), target: null, modified: true });
        for (const t of targets) {
          const k = keyOf(t);
          let e = byKey.get(k.join('/')) ?? (k[2] === '' ? byKey.get([k[0], k[1], destNs, k[3]].join('/')) : undefined);
          if (!e) byKey.set(k.join('/'), (e = { key: k, live: null, target: t, modified: true }));
          e.target = t;
        }
        items = [...byKey.values()].map((e) => ({ ...e, modified: JSON.stringify(stripStatus(e.live)) !== JSON.stringify(stripStatus(e.target)) }));
      } else {
        items = (await managedResources(b, name, ns))
          .filter((r) => !r.hook)
          .map((r) => {
            const live = parseState(r.normalizedLiveState) ?? parseState(r.liveState);
            const target = parseState(r.predictedLiveState) ?? parseState(r.targetState);
            const modified = typeof r.modified === 'boolean' ? r.modified : JSON.stringify(live) !== JSON.stringify(target);
            return { key: [r.group ?? '', r.kind, r.namespace ?? '', r.name] as [string, string, string, string], live, target, modified };
          });
      }
      items.sort((a, b2) => (a.key.join('/') < b2.key.join('/') ? -1 : 1));
      let found = false;
      for (const it of items) {
        if (!it.live && !it.target) continue;
        if (!(it.modified || !it.live || !it.target)) continue;
        if (it.key[1] === 'Secret' && it.key[0] === '') continue;
        found = true;
        io.out(`\n===== ${it.key[0]}/${it.key[1]} ${it.key[2]}/${it.key[3]} ======\n`);
        await printDiff(it.key[3], it.live, it.target);
      }
      if (found && opts.exitCode) throw new Exit(opts.diffExitCode);
    },
  });
}

function stripStatus(o: any): any {
  if (!o) return o;
  const { status: _s, ...rest } = o;
  const md = { ...(rest.metadata ?? {}) };
  for (const k of ['creationTimestamp', 'resourceVersion', 'uid', 'generation', 'managedFields', 'selfLink']) delete md[k];
  return { ...rest, metadata: md };
}

function historyCmd(): Command {
  return new Command({
    use: 'history APPNAME',
    short: 'Show application deployment history',
    example: `  # Show application deployment history
  argocd app history my-app`,
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: wide|id', default: 'wide' }, appNsFlag('Only show application deployment history in namespace')],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      const app = await b.getApp(name, ns);
      if (opts.output === 'id') {
        for (const h of app.status?.history ?? []) println(String(h.id));
        return;
      }
      if (opts.output !== 'wide' && opts.output !== '') throw new CliError(`unknown output format: ${opts.output}`);
      io.out(historyTable(app));
    },
  });
}

function rollbackCmd(): Command {
  return new Command({
    use: 'rollback APPNAME [ID]',
    short: 'Rollback application to a previous deployed version by History ID, omitted will Rollback to the previous version',
    example: `  # Rollback application to a previous deployed version by History ID, omitted will Rollback to the previous version
  argocd app rollback my-app 1`,
    flags: [
      { name: 'prune', type: 'bool', usage: 'Allow deleting unexpected resources' },
      { name: 'timeout', type: 'uint', usage: 'Time out after this many seconds' },
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|tree|tree=detailed', default: 'wide' },
      { name: 'dry-run', type: 'bool', usage: 'Preview rollback without affecting cluster' },
      appNsFlag('Rollback application in namespace'),
    ],
    args: { min: 1, max: 2 },
    run: async ({ args, opts, changed }) => {
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      const app = await b.getApp(name, ns);
      const hist = app.status?.history ?? [];
      let id: number;
      if (args.length === 2) {
        if (!/^\d+$/.test(args[1])) throw new CliError(`strconv.Atoi: parsing ${JSON.stringify(args[1])}: invalid syntax`);
        id = Number(args[1]);
        if (!hist.some((h) => h.id === id)) throw new CliError(`Application '${name}' does not have deployment id '${id}' in history`);
      } else {
        if (hist.length < 2) throw new CliError(`Application '${name}' should have at least two successful deployments`);
        id = hist[hist.length - 2].id;
      }
      const since = new Date().toISOString();
      await b.rollback(name, ns, id, opts.prune, opts.dryRun);
      await waitOnApplicationStatus(b, name, ns, opts.timeout, { operation: true }, undefined, opts.output, since);
    },
  });
}

function manifestsCmd(): Command {
  return new Command({
    use: 'manifests APPNAME',
    short: 'Print manifests of an application',
    example: `  # Get manifests for an application
  argocd app manifests my-app

  # Get manifests for an application at a specific revision
  argocd app manifests my-app --revision 0.0.1

  # Get manifests for an application using live state
  argocd app manifests my-app --source live`,
    flags: [
      { name: 'source', type: 'string', usage: 'Source of manifests. One of: live|git', default: 'git' },
      { name: 'revision', type: 'string', usage: 'Show manifests at a specific revision' },
      { name: 'local', type: 'string', usage: 'If set, show locally-generated manifests. Value is the absolute path to app manifests within the manifest repo. Example: \'/home/username/apps/env/app-1\'.' },
      appNsFlag('Only render the manifests of the application in namespace'),
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      if (opts.local) throw new CliError('--local is not supported by Flotilla yet');
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      coreUnsupported(b, 'app manifests');
      let objs: any[];
      if (opts.source === 'git') {
        const r = await b.api!.get<{ manifests?: string[] }>(`/api/v1/applications/${enc(name)}/manifests`, { revision: opts.revision, appNamespace: ns });
        objs = (r.manifests ?? []).map(parseState).filter(Boolean);
      } else if (opts.source === 'live') {
        objs = (await managedResources(b, name, ns)).map((r) => parseState(r.liveState)).filter(Boolean);
      } else throw new CliError(`Unknown source type '${opts.source}'`);
      for (const o of objs) io.out(`---\n${toYAML(o)}\n`);
    },
  });
}

interface TreeNode {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  parentRefs?: { group?: string; kind: string; namespace?: string; name: string; uid?: string }[];
  health?: { status: string; message?: string };
}

async function resourceTree(b: AppBackend, name: string, ns?: string): Promise<{ nodes?: TreeNode[]; orphanedNodes?: TreeNode[] }> {
  coreUnsupported(b, 'the resource tree');
  return b.api!.get(`/api/v1/applications/${enc(name)}/resource-tree`, { appNamespace: ns });
}

/** `-o tree`: the resources with their children (ReplicaSets, Pods, …) indented under them. */
export async function printTree(b: AppBackend, name: string, ns: string | undefined, detailed: boolean): Promise<void> {
  const app = await b.getApp(name, ns);
  const tree = await resourceTree(b, name, ns);
  const nodes = tree.nodes ?? [];
  const children = new Map<string, TreeNode[]>();
  const ref = (n: { group?: string; kind: string; namespace?: string; name: string }) => `${n.group ?? ''}/${n.kind}/${n.namespace ?? ''}/${n.name}`;
  for (const n of nodes) for (const p of n.parentRefs ?? []) children.set(ref(p), [...(children.get(ref(p)) ?? []), n]);
  const w = table();
  w.row('KIND/NAME', 'STATUS', 'HEALTH', 'MESSAGE', ...(detailed ? ['AGE', 'REASON'] : []));
  const walk = (n: TreeNode, prefix: string, last: boolean, depth: number) => {
    const kids = (children.get(ref(n)) ?? []).sort((a, b2) => (ref(a) < ref(b2) ? -1 : 1));
    kids.forEach((k, i) => {
      const isLast = i === kids.length - 1;
      w.row(`${prefix}${isLast ? '└─' : '├─'}${k.kind}/${k.name}`, '', k.health?.status ?? '', k.health?.message ?? '');
      walk(k, prefix + (isLast ? '  ' : '│ '), isLast, depth + 1);
    });
    void last;
  };
  for (const s of resourceStates(app)) {
    w.row(`${s.kind}/${s.name}`, s.status, s.health, s.message);
    walk({ group: s.group, kind: s.kind, namespace: s.namespace, name: s.name }, '', true, 0);
  }
  println();
  io.out(w.flush());
}

function resourcesCmd(): Command {
  return new Command({
    use: 'resources APPNAME',
    short: 'List resource of application',
    example: `  # List first-level resources of application
  argocd app resources my-app --refresh

  # List only the orphaned resources of application
  argocd app resources my-app --orphaned

  # Shows resource hierarchy with name and health of an application
  argocd app resources my-app --output tree`,
    flags: [
      { name: 'orphaned', type: 'bool', usage: 'Lists only orphaned resources' },
      { name: 'output', short: 'o', type: 'string', usage: 'Provides the tree view of the resources' },
      appNsFlag('Only list resources of the application in namespace'),
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      if (opts.output === 'tree' || opts.output === 'tree=detailed') return printTree(b, name, ns, opts.output === 'tree=detailed');
      const tree = await resourceTree(b, name, ns);
      const w = table().row('GROUP', 'KIND', 'NAMESPACE', 'NAME', 'ORPHANED');
      if (!opts.orphaned) for (const r of tree.nodes ?? []) if (!(r.parentRefs ?? []).length) w.row(r.group ?? '', r.kind, r.namespace ?? '', r.name, 'No');
      if (opts.orphaned) for (const r of tree.orphanedNodes ?? []) w.row(r.group ?? '', r.kind, r.namespace ?? '', r.name, 'Yes');
      io.out(w.flush());
    },
  });
}

function logsCmd(): Command {
  return new Command({
    use: 'logs APPNAME',
    short: 'Get logs of application pods',
    example: `  # Get logs of pods associated with the application "my-app"
  argocd app logs my-app

  # Get logs of pods associated with the application "my-app" in a specific resource group
  argocd app logs my-app --group my-group

  # Get logs of pods associated with the application "my-app" in a specific resource kind
  argocd app logs my-app --kind my-kind

  # Stream logs in real-time for the application "my-app"
  argocd app logs my-app -f

  # Get the last N lines of logs for the application "my-app"
  argocd app logs my-app --tail 100`,
    flags: [
      { name: 'group', type: 'string', usage: 'Resource group' },
      { name: 'kind', type: 'string', usage: 'Resource kind' },
      { name: 'name', type: 'string', usage: 'Resource name' },
      { name: 'namespace', type: 'string', usage: 'Resource namespace' },
      { name: 'container', short: 'c', type: 'string', usage: 'Optional container name' },
      { name: 'follow', short: 'f', type: 'bool', usage: 'Specify if the logs should be streamed' },
      { name: 'tail', type: 'int64', usage: 'The number of lines from the end of the logs to show' },
      { name: 'since-seconds', type: 'int64', usage: 'A relative time in seconds before the current time from which to show logs' },
      { name: 'until-time', type: 'string', usage: 'Show logs until this time' },
      { name: 'filter', type: 'string', usage: 'Show logs contain this string' },
      { name: 'previous', short: 'p', type: 'bool', usage: 'Specify if the previously terminated container logs should be returned' },
      { name: 'match-case', short: 'm', type: 'bool', usage: 'Specify if the filter should be case sensitive' },
      appNsFlag('Only get logs of the application in namespace'),
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      coreUnsupported(b, 'app logs');
      const q = {
        appNamespace: ns,
        namespace: opts.namespace,
        podName: opts.kind === 'Pod' || !opts.kind ? opts.name : undefined,
        resourceName: opts.name,
        kind: opts.kind,
        group: opts.group,
        container: opts.container,
        follow: opts.follow || undefined,
        tailLines: opts.tail || undefined,
        sinceSeconds: opts.sinceSeconds || undefined,
        untilTime: opts.untilTime,
        filter: opts.filter,
        previous: opts.previous || undefined,
        matchCase: opts.matchCase || undefined,
      };
      const ctl = new AbortController();
      const stop = () => ctl.abort();
      process.once('SIGINT', stop);
      try {
        await b.api!.stream<{ content?: string; last?: boolean }>(
          `/api/v1/applications/${enc(name)}/logs`,
          q,
          (e) => {
            if (e.last) return false;
            if (e.content !== undefined) println(e.content);
          },
          ctl.signal,
        );
      } finally {
        process.off('SIGINT', stop);
      }
    },
  });
}

function terminateCmd(): Command {
  return new Command({
    use: 'terminate-op APPNAME',
    short: 'Terminate running operation of an application',
    example: `  # Terminate the running operation of the application "my-app"
  argocd app terminate-op my-app`,
    flags: [appNsFlag('Namespace of the application')],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      await b.terminate(name, ns);
      println(`Application '${args[0]}' operation terminating`);
    },
  });
}

const resourceFilterFlags = () => [
  { name: 'group', type: 'string' as const, usage: 'Group' },
  { name: 'kind', type: 'string' as const, usage: 'Kind' },
  { name: 'namespace', type: 'string' as const, usage: 'Namespace' },
  { name: 'resource-name', type: 'string' as const, usage: 'Name of resource' },
  appNsFlag('Namespace of the application'),
];

async function filteredNodes(b: AppBackend, name: string, ns: string | undefined, opts: Record<string, any>): Promise<TreeNode[]> {
  const app = await b.getApp(name, ns);
  return (app.status?.resources ?? [])
    .filter((r) => (!opts.group || (r.group ?? '') === opts.group) && (!opts.kind || r.kind === opts.kind) && (!opts.namespace || (r.namespace ?? '') === opts.namespace) && (!opts.resourceName || r.name === opts.resourceName))
    .map((r) => ({ group: r.group, kind: r.kind, namespace: r.namespace, name: r.name, version: r.version }) as any);
}

function actionsCmd(): Command {
  const list = new Command({
    use: 'list APPNAME',
    short: 'Lists available actions on a resource',
    example: `  # List all the available actions for an application
  argocd app actions list APPNAME`,
    flags: [...resourceFilterFlags(), { name: 'out', short: 'o', type: 'string', usage: 'Output format. One of: yaml, json' }],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      coreUnsupported(b, 'app actions');
      const rows: { group: string; kind: string; name: string; action: string; disabled: boolean }[] = [];
      for (const n of await filteredNodes(b, name, ns, opts)) {
        const r = await b.api!.get<{ actions?: { name: string; disabled?: boolean }[] }>(`/api/v1/applications/${enc(name)}/resource/actions`, { appNamespace: ns, namespace: n.namespace, resourceName: n.name, version: (n as any).version, group: n.group, kind: n.kind });
        for (const a of r.actions ?? []) rows.push({ group: n.group ?? '', kind: n.kind, name: n.name, action: a.name, disabled: !!a.disabled });
      }
      if (opts.out === 'json' || opts.out === 'yaml') return printResource(rows, opts.out);
      if (opts.out) throw new CliError(`unknown output format: ${opts.out}`);
      const w = table().row('GROUP', 'KIND', 'NAME', 'ACTION', 'DISABLED');
      for (const r of rows) w.row(r.group, r.kind, r.name, r.action, String(r.disabled));
      io.out(w.flush());
    },
  });
  const run = new Command({
    use: 'run APPNAME ACTION',
    short: 'Runs an available action on resource(s) matching the specified filters.',
    long: 'All filters except --kind are optional. Use --all to run the action on all matching resources if more than one resource matches the filters. Actions may only be run on resources that are represented in git and cannot be run on child resources.',
    example: `  # Run an available action for an application
  argocd app actions run APPNAME ACTION --kind KIND [--resource-name RESOURCE] [--namespace NAMESPACE] [--group GROUP]`,
    flags: [...resourceFilterFlags(), { name: 'all', type: 'bool', usage: 'Indicates whether to run the action on multiple matching resources' }],
    args: { min: 2, max: 2 },
    run: async ({ args, opts, changed }) => {
      if (!opts.kind) throw new CliError('--kind is needed');
      const [name, ns] = parseAppName(args[0], opts.appNamespace);
      const b = await appBackend(opts, changed);
      coreUnsupported(b, 'app actions');
      const nodes = await filteredNodes(b, name, ns, opts);
      if (!nodes.length) throw new CliError('No matching resource found.');
      if (nodes.length > 1 && !opts.all) throw new CliError('More than one resource matches, use --all flag to run the action on all matching resources.');
      for (const n of nodes) {
        const q = { appNamespace: ns, namespace: n.namespace, resourceName: n.name, version: (n as any).version, group: n.group, kind: n.kind };
        try {
          await b.api!.post(`/api/v1/applications/${enc(name)}/resource/actions/v2`, { name, ...q, action: args[1] });
        } catch (e) {
          if (!(e instanceof RpcError && (e.httpStatus === 404 || e.httpStatus === 405 || e.code === 12))) throw e;
          await b.api!.request('POST', `/api/v1/applications/${enc(name)}/resource/actions`, { body: JSON.stringify(args[1]), query: q });
        }
      }
    },
  });
  return new Command({
    use: 'actions',
    short: 'Manage Resource actions',
    example: `  # List all the available actions for an application
  argocd app actions list APPNAME

  # Run an available action for an application
  argocd app actions run APPNAME ACTION --kind KIND [--resource-name RESOURCE] [--namespace NAMESPACE] [--group GROUP]`,
    run: ({ cmd }) => {
      io.out(cmd.help());
      return 1;
    },
  }).add(list, run);
}

export function appOpsCommands(): Command[] {
  return [syncCmd(), waitCmd(), diffCmd(), historyCmd(), rollbackCmd(), manifestsCmd(), resourcesCmd(), logsCmd(), terminateCmd(), actionsCmd()];
}
