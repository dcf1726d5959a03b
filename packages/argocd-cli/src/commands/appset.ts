/** `argocd appset …`: ApplicationSets through the API server (create, get, list, delete, generate). */
import { readFileSync } from 'node:fs';
import { Command } from '@flotilla/cli-kit/command';
import { io, println, readLine } from '@flotilla/cli-kit/io';
import type { ApiClient } from '../client.js';
import { printResource, table } from '../output.js';
import { apiClient, CliError, explainAuth } from '../session.js';
import YAML from '@flotilla/cli-kit/yaml';

const enc = encodeURIComponent;
type Obj = Record<string, any>;

/** ApplicationSets from YAML/JSON files (several documents per file allowed). */
export function readAppSets(files: string[]): Obj[] {
  const out: Obj[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${f}: ${(e as Error).message}`);
    }
    let docs: unknown[];
    try {
      docs = YAML.parseAllDocuments(text).map((d: { toJS(): unknown; errors?: { message: string }[] }) => {
        if (d.errors?.length) throw new Error(d.errors[0]!.message);
        return d.toJS();
      });
    } catch (e) {
      throw new CliError(`${f}: not YAML: ${(e as Error).message}`);
    }
    for (const [i, d] of docs.entries()) {
      if (d === null || d === undefined) continue;
      const o = d as Obj;
      if (o.kind !== 'ApplicationSet') throw new CliError(`${f}: document ${i + 1} is a ${o.kind ?? 'object without kind'}, not an ApplicationSet`);
      if (!o.metadata?.name) throw new CliError(`${f}: document ${i + 1}: metadata.name is required`);
      out.push(o);
    }
  }
  if (!out.length) throw new CliError(`no ApplicationSet in ${files.join(', ')}`);
  return out;
}

/** `namespace/name` or `name` → [name, namespace]. */
function parseName(s: string, ns?: string): [string, string | undefined] {
  const i = s.indexOf('/');
  return i < 0 ? [s, ns || undefined] : [s.slice(i + 1), s.slice(0, i)];
}

const condSummary = (s: Obj) => {
  const cs = (s.status?.conditions ?? []) as Obj[];
  return cs.length ? `[${cs.map((c) => `${c.type}`).join(' ')}]` : '<none>';
};
const src = (t: Obj | undefined) => t?.spec?.source ?? t?.spec?.sources?.[0] ?? {};
const syncPolicy = (s: Obj) => s.spec?.syncPolicy?.applicationsSync ?? (s.spec?.template?.spec?.syncPolicy?.automated ? 'Automated' : 'nil');

function printSet(s: Obj): void {
  const t = s.spec?.template ?? {};
  const f = (k: string, v: string) => io.out(`${(k + ':').padEnd(20)}${v}\n`);
  f('Name', s.metadata?.namespace ? `${s.metadata.namespace}/${s.metadata.name}` : s.metadata?.name);
  f('Project', t.spec?.project ?? '');
  f('Server', t.spec?.destination?.server ?? t.spec?.destination?.name ?? '');
  f('Namespace', t.spec?.destination?.namespace ?? '');
  f('Source', '');
  f('- Repo', src(t).repoURL ?? '');
  f('  Target', src(t).targetRevision ?? '');
  f('  Path', src(t).path ?? '');
  f('SyncPolicy', s.spec?.syncPolicy?.applicationsSync ?? '<none>');
  const cs = (s.status?.conditions ?? []) as Obj[];
  if (cs.length) {
    io.out('\n');
    const w = table().row('CONDITION', 'STATUS', 'MESSAGE', 'LAST TRANSITION');
    for (const c of cs) w.row(c.type, c.status, c.message, c.lastTransitionTime ?? '');
    io.out(w.flush());
  }
  const rs = (s.status?.resources ?? []) as Obj[];
  if (rs.length) {
    io.out('\n');
    const w = table().row('APPLICATION', 'STATUS', 'HEALTH');
    for (const r of rs) w.row(r.name, r.status ?? '', r.health?.status ?? '');
    io.out(w.flush());
  }
}

function createCmd(): Command {
  return new Command({
    use: 'create FILENAME...',
    short: 'Create one or more ApplicationSets',
    example: `  # Create ApplicationSets
  argocd appset create <filename or URL> (<filename or URL>...)

  # Dry-run AppSet creation to see what applications would be managed
  argocd appset create --dry-run <filename or URL> -o json | jq -r '.status.resources[].name'`,
    flags: [
      { name: 'upsert', type: 'bool', usage: 'Allows to override ApplicationSet with the same name even if supplied ApplicationSet spec is different from existing spec' },
      { name: 'dry-run', type: 'bool', usage: 'Allows to evaluate the ApplicationSet template on the server to get a preview of the applications that would be created' },
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide', default: 'wide' },
    ],
    args: { min: 1 },
    run: async ({ args, opts, changed }) => {
      const sets = readAppSets(args);
      const c = await apiClient(opts, changed);
      for (const s of sets) {
        const existing = await c.get<Obj>(`/api/v1/applicationsets/${enc(s.metadata.name)}`, s.metadata.namespace ? { appsetNamespace: s.metadata.namespace } : undefined).catch(() => undefined);
        const out = await c.post<Obj>('/api/v1/applicationsets', s, { upsert: opts.upsert || undefined, dryRun: opts.dryRun || undefined }).catch((e) => explainAuth(e, c));
        if (opts.dryRun) {
          const apps = await c.post<{ applications?: Obj[] }>('/api/v1/applicationsets/generate', { applicationSet: s }).catch((e) => explainAuth(e, c));
          out.status = { ...(out.status ?? {}), resources: (apps.applications ?? []).map((a) => ({ group: 'argoproj.io', version: 'v1alpha1', kind: 'Application', name: a.metadata?.name, namespace: a.metadata?.namespace })) };
        }
        if (opts.output === 'json' || opts.output === 'yaml') {
          printResource(out, opts.output);
          continue;
        }
        const action = !existing ? 'created' : JSON.stringify(existing.spec) === JSON.stringify(s.spec) ? 'unchanged' : 'updated';
        println(`ApplicationSet '${out.metadata?.name}' ${action}${opts.dryRun ? ' (dry run)' : ''}`);
        printSet(out);
      }
    },
  });
}

function getCmd(): Command {
  return new Command({
    use: 'get APPSETNAME',
    short: 'Get ApplicationSet details',
    example: `  # Get ApplicationSets
  argocd appset get APPSETNAME`,
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide', default: 'wide' }],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const [name, ns] = parseName(args[0]!);
      const c = await apiClient(opts, changed);
      const s = await c.get<Obj>(`/api/v1/applicationsets/${enc(name)}`, ns ? { appsetNamespace: ns } : undefined).catch((e) => explainAuth(e, c));
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(s, opts.output);
      printSet(s);
    },
  });
}

function listCmd(): Command {
  return new Command({
    use: 'list',
    short: 'List ApplicationSets',
    example: `  # List all ApplicationSets
  argocd appset list`,
    flags: [
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: wide|name|json|yaml', default: 'wide' },
      { name: 'selector', short: 'l', type: 'string', usage: 'List applicationsets by label' },
      { name: 'projects', short: 'p', type: 'stringArray', usage: 'Filter by project name' },
      { name: 'appset-namespace', short: 'N', type: 'string', usage: 'Only list applicationsets in namespace' },
    ],
    run: async ({ opts, changed }) => {
      const c = await apiClient(opts, changed);
      const q: Record<string, unknown> = {};
      if (opts.selector) q.selector = opts.selector;
      if (opts.projects?.length) q.projects = opts.projects;
      if (opts.appsetNamespace) q.appsetNamespace = opts.appsetNamespace;
      const r = await c.get<{ items?: Obj[] }>('/api/v1/applicationsets', q).catch((e) => explainAuth(e, c));
      const items = r.items ?? [];
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(items, opts.output);
      if (opts.output === 'name') {
        for (const s of items) println(s.metadata?.name);
        return;
      }
      const w = table().row('NAME', 'PROJECT', 'SYNCPOLICY', 'CONDITIONS', 'REPO', 'PATH', 'TARGET');
      for (const s of items) {
        const t = s.spec?.template;
        w.row(s.metadata?.namespace && s.metadata.namespace !== 'argocd' ? `${s.metadata.namespace}/${s.metadata.name}` : s.metadata?.name, t?.spec?.project ?? '', syncPolicy(s), condSummary(s), src(t).repoURL ?? '', src(t).path ?? '', src(t).targetRevision ?? '');
      }
      io.out(w.flush());
    },
  });
}

function deleteCmd(): Command {
  return new Command({
    use: 'delete APPSETNAME...',
    short: 'Delete one or more ApplicationSets',
    example: `  # Delete an applicationset
  argocd appset delete APPSETNAME (APPSETNAME...)`,
    flags: [{ name: 'yes', short: 'y', type: 'bool', usage: 'Turn off prompting to confirm cascaded deletion of Application resources' }],
    args: { min: 1 },
    run: async ({ args, opts, changed }) => {
      const c: ApiClient = await apiClient(opts, changed);
      const prompt = !!process.stdout.isTTY && !opts.yes;
      for (const full of args) {
        const [name, ns] = parseName(full);
        if (prompt) {
          const a = (await readLine(`Are you sure you want to delete '${full}' and all its Applications? [y/n] `).catch(() => 'n')).trim().toLowerCase();
          if (a !== 'y' && a !== 'yes') {
            println(`The command to delete '${full}' was cancelled`);
            continue;
          }
        }
        await c.delete(`/api/v1/applicationsets/${enc(name)}`, ns ? { appsetNamespace: ns } : undefined).catch((e) => explainAuth(e, c));
        println(`applicationset '${full}' deleted`);
      }
    },
  });
}

function generateCmd(): Command {
  return new Command({
    use: 'generate FILENAME',
    short: 'Generate apps of ApplicationSet rendered templates',
    example: `  # Generate apps of ApplicationSet rendered templates
  argocd appset generate <filename or URL> (<filename or URL>...)`,
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide', default: 'wide' }],
    args: { min: 1 },
    run: async ({ args, opts, changed }) => {
      const sets = readAppSets(args);
      if (sets.length > 1) throw new CliError('generate takes one ApplicationSet at a time');
      const c = await apiClient(opts, changed);
      const r = await c.post<{ applications?: Obj[] }>('/api/v1/applicationsets/generate', { applicationSet: sets[0] }).catch((e) => explainAuth(e, c));
      const apps = r.applications ?? [];
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(apps, opts.output);
      const w = table().row('NAME', 'CLUSTER', 'NAMESPACE', 'PROJECT', 'REPO', 'PATH', 'TARGET');
      for (const a of apps) {
        const s = a.spec ?? {};
        w.row(a.metadata?.name, s.destination?.server ?? s.destination?.name ?? '', s.destination?.namespace ?? '', s.project ?? '', src(a).repoURL ?? '', src(a).path ?? '', src(a).targetRevision ?? '');
      }
      io.out(w.flush());
    },
  });
}

export function appsetCommand(): Command {
  const root = new Command({
    use: 'appset',
    aliases: ['appsets', 'applicationset', 'applicationsets'],
    short: 'Manage ApplicationSets',
    example: `  # Get an ApplicationSet.
  argocd appset get APPSETNAME

  # List all the ApplicationSets
  argocd appset list

  # Create an ApplicationSet from a YAML stored in a file or at given URL
  argocd appset create <filename or URL> (<filename or URL>...)

  # Delete an ApplicationSet
  argocd appset delete APPSETNAME (APPSETNAME...)`,
    run: ({ cmd }) => {
      io.out(cmd.help());
      return 1;
    },
  });
  root.add(createCmd(), getCmd(), listCmd(), deleteCmd(), generateCmd());
  return root;
}
