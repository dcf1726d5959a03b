/** `argocd proj …`: projects, their roles and tokens, sync windows. */
import type { AppProject } from '@flotilla/argocd-engine/types';
import { Command } from '@flotilla/cli-kit/command';
import { io, println } from '@flotilla/cli-kit/io';
import { parseDuration } from '@flotilla/cli-kit/flags';
import { ApiClient } from '../client.js';
import { printResource, rfc3339, table } from '../output.js';
import { apiClient, CliError, explainAuth } from '../session.js';
import { readFileSync } from 'node:fs';
import YAML from '@flotilla/cli-kit/yaml';

const enc = encodeURIComponent;
const help = ({ cmd }: { cmd: Command }) => {
  io.out(cmd.help());
  return 1;
};

async function client(opts: Record<string, any>, changed: Set<string>): Promise<ApiClient> {
  return apiClient(opts, changed);
}

async function getProj(c: ApiClient, name: string): Promise<AppProject> {
  return c.get<AppProject>(`/api/v1/projects/${enc(name)}`).catch((e) => explainAuth(e, c));
}

async function updateProj(c: ApiClient, p: AppProject): Promise<AppProject> {
  return c.put<AppProject>(`/api/v1/projects/${enc(p.metadata!.name!)}`, { project: p }).catch((e) => explainAuth(e, c));
}

/** load-modify-update a project */
async function modify(opts: Record<string, any>, changed: Set<string>, name: string, fn: (p: AppProject) => boolean | void): Promise<void> {
  const c = await client(opts, changed);
  const p = await getProj(c, name);
  p.spec ??= {};
  if (fn(p) === false) return;
  await updateProj(c, p);
}

function projFlags() {
  return [
    { name: 'description', type: 'string' as const, usage: 'Project description' },
    { name: 'dest', short: 'd', type: 'stringArray' as const, usage: 'Permitted destination server and namespace (e.g. https://192.168.99.100:8443,default)' },
    { name: 'src', short: 's', type: 'stringArray' as const, usage: 'Permitted source repository URL' },
    { name: 'signature-keys', type: 'stringArray' as const, usage: 'GnuPG public key IDs for commit signature verification' },
    { name: 'orphaned-resources', type: 'bool' as const, usage: 'Enables orphaned resources monitoring' },
    { name: 'orphaned-resources-warn', type: 'bool' as const, usage: 'Specifies if applications should have a warning condition when orphaned resources detected' },
    { name: 'source-namespaces', type: 'stringSlice' as const, usage: 'List of source namespaces for applications' },
    { name: 'allow-cluster-resource', type: 'stringArray' as const, usage: 'List of allowed cluster level resources' },
    { name: 'deny-namespaced-resource', type: 'stringArray' as const, usage: 'List of denied namespaced resources' },
  ];
}

function parseDest(d: string): { server?: string; name?: string; namespace: string } {
  const i = d.lastIndexOf(',');
  if (i < 0) throw new CliError(`Expected destination of the form: server,namespace. Received: ${d}`);
  const server = d.slice(0, i);
  const namespace = d.slice(i + 1);
  return /^https?:\/\//.test(server) || server === '*' ? { server, namespace } : { name: server, namespace };
}

function parseGK(s: string): { group: string; kind: string } {
  const i = s.indexOf('/');
  return i < 0 ? { group: '', kind: s } : { group: s.slice(0, i), kind: s.slice(i + 1) };
}

function createCmd(): Command {
  return new Command({
    use: 'create PROJECT',
    short: 'Create a project',
    example: `  # Create a new project with name PROJECT
  argocd proj create PROJECT

  # Create a new project with name PROJECT from a file or URL to a Kubernetes manifest
  argocd proj create PROJECT -f FILE|URL`,
    flags: [...projFlags(), { name: 'file', short: 'f', type: 'string', usage: 'Filename or URL to Kubernetes manifests for the project' }, { name: 'upsert', type: 'bool', usage: 'Allows to override a project with the same name even if supplied project spec is different from existing spec' }],
    args: { max: 1 },
    run: async ({ cmd, args, opts, changed }) => {
      let p: AppProject;
      if (opts.file) {
        try {
          p = YAML.parse(readFileSync(opts.file, 'utf8'));
        } catch (e) {
          throw new CliError(`cannot read ${opts.file}: ${(e as Error).message}`);
        }
        if (args[0]) p.metadata = { ...(p.metadata ?? {}), name: args[0] };
      } else {
        if (!args[0]) return help({ cmd });
        p = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: args[0] }, spec: {} } as AppProject;
      }
      p.spec ??= {};
      if (changed.has('description')) p.spec.description = opts.description;
      if (changed.has('dest')) p.spec.destinations = (opts.dest as string[]).map(parseDest);
      if (changed.has('src')) p.spec.sourceRepos = opts.src;
      if (changed.has('signatureKeys')) p.spec.signatureKeys = (opts.signatureKeys as string[]).map((keyID) => ({ keyID }));
      if (changed.has('orphanedResources') || changed.has('orphanedResourcesWarn')) p.spec.orphanedResources = opts.orphanedResources || opts.orphanedResourcesWarn ? { warn: opts.orphanedResourcesWarn } : undefined;
      if (changed.has('sourceNamespaces')) p.spec.sourceNamespaces = opts.sourceNamespaces;
      if (changed.has('allowClusterResource')) p.spec.clusterResourceWhitelist = (opts.allowClusterResource as string[]).map(parseGK);
      if (changed.has('denyNamespacedResource')) p.spec.namespaceResourceBlacklist = (opts.denyNamespacedResource as string[]).map(parseGK);
      const c = await client(opts, changed);
      await c.post('/api/v1/projects', { project: p, upsert: opts.upsert }).catch((e) => explainAuth(e, c));
    },
  });
}

const list1 = <T>(xs: T[] | undefined, one: (x: T) => string, many: string): string => (!xs?.length ? '<none>' : xs.length === 1 ? one(xs[0]) : many.replace('%d', String(xs.length)));

function orphaned(p: AppProject): string {
  const o = p.spec.orphanedResources;
  if (!o) return 'disabled';
  let details = `warn=${!!o.warn}`;
  if (o.ignore?.length) details += `, ignored ${o.ignore.length}`;
  return `enabled (${details})`;
}

function listCmd(): Command {
  return new Command({
    use: 'list',
    short: 'List projects',
    example: `  # List all available projects
  argocd proj list

  # List all available projects in yaml format
  argocd proj list -o yaml`,
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|name', default: 'wide' }],
    run: async ({ opts, changed }) => {
      const c = await client(opts, changed);
      const r = await c.get<{ items?: AppProject[] }>('/api/v1/projects').catch((e) => explainAuth(e, c));
      const items = r.items ?? [];
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(items, opts.output);
      if (opts.output === 'name') {
        for (const p of items) println(p.metadata?.name);
        return;
      }
      const w = table().row('NAME', 'DESCRIPTION', 'DESTINATIONS', 'SOURCES', 'CLUSTER-RESOURCE-WHITELIST', 'NAMESPACE-RESOURCE-BLACKLIST', 'SIGNATURE-KEYS', 'ORPHANED-RESOURCES', 'DESTINATION-SERVICE-ACCOUNTS');
      for (const p of items) {
        const s = p.spec ?? {};
        w.row(
          p.metadata?.name,
          s.description ?? '',
          list1(s.destinations, (d) => `${d.server || d.name},${d.namespace}`, '%d destinations'),
          list1(s.sourceRepos, (x) => x, '%d repos'),
          list1(s.clusterResourceWhitelist, (g) => `${g.group}/${g.kind}`, '%d resources'),
          list1(s.namespaceResourceBlacklist, (g) => `${g.group}/${g.kind}`, '%d resources'),
          list1(s.signatureKeys, (k) => k.keyID, '%d key(s)'),
          orphaned(p),
          list1((s as any).destinationServiceAccounts, (d: any) => `${d.server},${d.namespace},${d.defaultServiceAccount}`, '%d destinationServiceAccounts'),
        );
      }
      io.out(w.flush());
    },
  });
}

function getCmd(): Command {
  return new Command({
    use: 'get PROJECT',
    short: 'Get project details',
    example: `  # Get details from project PROJECT
  argocd proj get PROJECT`,
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide', default: 'wide' }],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const c = await client(opts, changed);
      const p = await getProj(c, args[0]);
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(p, opts.output);
      const s = p.spec ?? {};
      const f = (k: string, v: string) => io.out(`${k.padEnd(29)}${v}\n`);
      const many = (k: string, vs: string[]) => {
        f(k, vs[0] ?? '<none>');
        for (const v of vs.slice(1)) f('', v);
      };
      f('Name:', p.metadata?.name ?? '');
      f('Description:', s.description ?? '');
      many('Destinations:', (s.destinations ?? []).map((d) => `${d.server || d.name},${d.namespace}`));
      many('Repositories:', s.sourceRepos ?? []);
      many('Scoped Repositories:', []);
      many('Allowed Cluster Resources:', (s.clusterResourceWhitelist ?? []).map((g) => `${g.group}/${g.kind}`));
      many('Scoped Clusters:', []);
      many('Denied Namespaced Resources:', (s.namespaceResourceBlacklist ?? []).map((g) => `${g.group}/${g.kind}`));
      many('Signature keys:', (s.signatureKeys ?? []).map((k) => k.keyID));
      f('Orphaned Resources:', orphaned(p));
    },
  });
}

function deleteCmd(): Command {
  return new Command({
    use: 'delete PROJECT',
    short: 'Delete project',
    example: `  # Delete the project with name PROJECT
  argocd proj delete PROJECT`,
    args: { min: 1 },
    run: async ({ args, opts, changed }) => {
      const c = await client(opts, changed);
      for (const n of args) await c.delete(`/api/v1/projects/${enc(n)}`).catch((e) => explainAuth(e, c));
    },
  });
}

function destCmds(): Command[] {
  const nameFlag = { name: 'name', type: 'bool' as const, usage: 'Use name as destination instead server' };
  return [
    new Command({
      use: 'add-destination PROJECT SERVER/NAME NAMESPACE',
      short: 'Add project destination',
      example: `  # Add project destination using a server URL (SERVER) in the specified namespace (NAMESPACE) on the project with name PROJECT
  argocd proj add-destination PROJECT SERVER NAMESPACE

  # Add project destination using a server name (NAME) in the specified namespace (NAMESPACE) on the project with name PROJECT
  argocd proj add-destination PROJECT NAME NAMESPACE --name`,
      flags: [nameFlag],
      args: { min: 3, max: 3 },
      run: ({ args, opts, changed }) =>
        modify(opts, changed, args[0], (p) => {
          const d = opts.name ? { name: args[1], namespace: args[2] } : { server: args[1], namespace: args[2] };
          if ((p.spec.destinations ?? []).some((x) => (opts.name ? x.name === args[1] : x.server === args[1]) && x.namespace === args[2])) throw new CliError('Specified destination is already defined in project');
          p.spec.destinations = [...(p.spec.destinations ?? []), d];
        }),
    }),
    new Command({
      use: 'remove-destination PROJECT SERVER NAMESPACE',
      short: 'Remove project destination',
      example: `  # Remove the destination (SERVER) from the specified namespace (NAMESPACE) on the project with name PROJECT
  argocd proj remove-destination PROJECT SERVER NAMESPACE`,
      args: { min: 3, max: 3 },
      run: ({ args, opts, changed }) =>
        modify(opts, changed, args[0], (p) => {
          const before = p.spec.destinations ?? [];
          const after = before.filter((x) => !((x.server === args[1] || x.name === args[1]) && x.namespace === args[2]));
          if (after.length === before.length) throw new CliError('Specified destination does not exist in project');
          p.spec.destinations = after;
        }),
    }),
    new Command({
      use: 'add-source PROJECT URL',
      short: 'Add project source repository',
      example: `  # Add a source repository (URL) to the project with name PROJECT
  argocd proj add-source PROJECT URL`,
      args: { min: 2, max: 2 },
      run: ({ args, opts, changed }) =>
        modify(opts, changed, args[0], (p) => {
          const repos = p.spec.sourceRepos ?? [];
          if (repos.includes(args[1])) {
            println(`Source repository '${args[1]}' already allowed in project`);
            return false;
          }
          if (repos.includes('*')) {
            println("Source repository '*' already allowed in project");
            return false;
          }
          p.spec.sourceRepos = [...repos, args[1]];
        }),
    }),
    new Command({
      use: 'remove-source PROJECT URL',
      short: 'Remove project source repository',
      example: `  # Remove URL source repository to project PROJECT
  argocd proj remove-source PROJECT URL`,
      args: { min: 2, max: 2 },
      run: ({ args, opts, changed }) =>
        modify(opts, changed, args[0], (p) => {
          const repos = p.spec.sourceRepos ?? [];
          if (!repos.includes(args[1])) {
            println(`Source repository '${args[1]}' does not exist in project`);
            return false;
          }
          p.spec.sourceRepos = repos.filter((r) => r !== args[1]);
        }),
    }),
  ];
}

function roleCmd(): Command {
  const findRole = (p: AppProject, role: string) => {
    const r = (p.spec.roles ?? []).find((x) => x.name === role);
    if (!r) throw new CliError(`rpc error: code = NotFound desc = role '${role}' does not exist in project '${p.metadata?.name}'`);
    return r;
  };
  const policyFlags = [
    { name: 'action', short: 'a', type: 'string' as const, usage: 'Action to grant/deny permission on (e.g. get, create, list, update, delete)' },
    { name: 'permission', short: 'p', type: 'string' as const, usage: 'Whether to allow or deny access to object with the action.  This can only be \'allow\' or \'deny\'', default: 'allow' },
    { name: 'object', short: 'o', type: 'string' as const, usage: 'Object within the project to grant/deny access.  Use \'*\' for a wildcard. Will want access to \'<project>/<object>\'' },
    { name: 'resource', short: 'r', type: 'string' as const, usage: 'Resource e.g. \'applications\', \'applicationsets\', \'logs\', \'exec\', etc.', default: 'applications' },
  ];
  const policyLine = (proj: string, role: string, o: Record<string, any>) => `p, proj:${proj}:${role}, ${o.resource}, ${o.action}, ${proj}/${o.object}, ${o.permission}`;
  const cmds = [
    new Command({
      use: 'create PROJECT ROLE-NAME',
      short: 'Create a project role',
      example: `  # Create a project role in the "my-project" project with the name "my-role".
  argocd proj role create my-project my-role --description "My project role description"`,
      flags: [{ name: 'description', type: 'string', usage: 'Project description' }],
      args: { min: 2, max: 2 },
      run: ({ args, opts, changed }) =>
        modify(opts, changed, args[0], (p) => {
          if ((p.spec.roles ?? []).some((r) => r.name === args[1])) {
            println(`Role '${args[1]}' already exists`);
            return false;
          }
          p.spec.roles = [...(p.spec.roles ?? []), { name: args[1], description: opts.description || undefined }];
          println(`Role '${args[1]}' created`);
        }),
    }),
    new Command({
      use: 'delete PROJECT ROLE-NAME',
      short: 'Delete a project role',
      example: `  # Delete a project role from the \`my-project\` project with the name \`my-role\`.
  argocd proj role delete my-project my-role`,
      args: { min: 2, max: 2 },
      run: ({ args, opts, changed }) =>
        modify(opts, changed, args[0], (p) => {
          if (!(p.spec.roles ?? []).some((r) => r.name === args[1])) {
            println(`Role '${args[1]}' does not exist in project`);
            return false;
          }
          p.spec.roles = (p.spec.roles ?? []).filter((r) => r.name !== args[1]);
          println(`Role '${args[1]}' deleted`);
        }),
    }),
    new Command({
      use: 'list PROJECT',
      short: 'List all the roles in a project',
      example: `  # This command will list all the roles in argocd-project in a default table format.
  argocd proj role list PROJECT

  # List the roles in the project in formats like json, yaml, wide, or name.
  argocd proj role list PROJECT --output json`,
      flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|name', default: 'wide' }],
      args: { min: 1, max: 1 },
      run: async ({ args, opts, changed }) => {
        const p = await getProj(await client(opts, changed), args[0]);
        const roles = p.spec?.roles ?? [];
        if (opts.output === 'json' || opts.output === 'yaml') return printResource(roles, opts.output);
        if (opts.output === 'name') {
          for (const r of roles) println(r.name);
          return;
        }
        const w = table().row('ROLE-NAME', 'DESCRIPTION');
        for (const r of roles) w.row(r.name, r.description ?? '');
        io.out(w.flush());
      },
    }),
    new Command({
      use: 'get PROJECT ROLE-NAME',
      short: 'Get the details of a specific role',
      args: { min: 2, max: 2 },
      flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide', default: 'wide' }],
      run: async ({ args, opts, changed }) => {
        const p = await getProj(await client(opts, changed), args[0]);
        const r = findRole(p, args[1]);
        if (opts.output === 'json' || opts.output === 'yaml') return printResource(r, opts.output);
        const f = (k: string, v: string) => io.out(`${k.padEnd(20)}${v}\n`);
        f('Role Name:', r.name);
        f('Description:', r.description ?? '');
        println('Policies:');
        println((r.policies ?? []).map((x) => `${x}\n`).join('').trimEnd() || '');
        f('Groups:', (r.groups ?? []).join(','));
        println('JWT Tokens:');
        const w = table().row('ID', 'ISSUED-AT', 'EXPIRES-AT');
        for (const t of r.jwtTokens ?? []) w.row(t.iat, rfc3339(t.iat * 1000), t.exp ? rfc3339(t.exp * 1000) : '<none>');
        io.out(w.flush());
      },
    }),
    new Command({
      use: 'add-policy PROJECT ROLE-NAME',
      short: 'Add a policy to a project role',
      example: `  # Before adding new policy
  $ argocd proj role get test-project test-role
  Role Name:     test-role
  Description:
  Policies:
  p, proj:test-project:test-role, projects, get, test-project, allow
  JWT Tokens:
  ID          ISSUED-AT                                EXPIRES-AT
  1696759698  2023-10-08T11:28:18+01:00 (3 hours ago)  <none>

  # Add a new policy to allow update to the project
  $ argocd proj role add-policy test-project test-role -a update -p allow -o project`,
      flags: policyFlags,
      args: { min: 2, max: 2 },
      run: ({ args, opts, changed }) =>
        modify(opts, changed, args[0], (p) => {
          const r = findRole(p, args[1]);
          r.policies = [...(r.policies ?? []), policyLine(args[0], args[1], opts)];
        }),
    }),
    new Command({
      use: 'remove-policy PROJECT ROLE-NAME',
      short: 'Remove a policy from a role within a project',
      flags: policyFlags,
      args: { min: 2, max: 2 },
      run: ({ args, opts, changed }) =>
        modify(opts, changed, args[0], (p) => {
          const r = findRole(p, args[1]);
          const line = policyLine(args[0], args[1], opts);
          const before = r.policies ?? [];
          r.policies = before.filter((x) => x.replace(/\s+/g, ' ') !== line);
          if (r.policies.length === before.length) throw new CliError(`policy ${JSON.stringify(line)} does not exist in role ${args[1]}`);
        }),
    }),
    new Command({
      use: 'create-token PROJECT ROLE-NAME',
      aliases: ['token-create'],
      short: 'Create a project token',
      example: `  # Create token succeeded
  $ argocd proj role create-token PROJECT ROLE-NAME`,
      flags: [
        { name: 'expires-in', short: 'e', type: 'string', usage: 'Duration before the token will expire, eg "12h", "7d". (Default: No expiration)' },
        { name: 'token-only', short: 't', type: 'bool', usage: 'Output token only - for use in scripts.' },
        { name: 'id', short: 'i', type: 'string', usage: 'Token unique identifier. (Default: Random UUID)' },
      ],
      args: { min: 2, max: 2 },
      run: async ({ args, opts, changed }) => {
        let secs = 0;
        if (opts.expiresIn) {
          try {
            secs = Math.floor(parseDuration(opts.expiresIn.replace(/^(\d+)d$/, (_: string, n: string) => `${Number(n) * 24}h`)) / 1000);
          } catch (e) {
            throw new CliError(`--expires-in: ${(e as Error).message}`);
          }
        }
        const c = await client(opts, changed);
        const r = await c.post(`/api/v1/projects/${enc(args[0])}/roles/${enc(args[1])}/token`, { project: args[0], role: args[1], expiresIn: secs, ...(opts.id ? { id: opts.id } : {}) }).catch((e) => explainAuth(e, c));
        if (opts.tokenOnly) return println(r.token);
        const claims = JSON.parse(Buffer.from(String(r.token).split('.')[1] ?? '', 'base64url').toString() || '{}');
        const f = (k: string, v: string) => io.out(`${k.padEnd(20)}${v}\n`);
        f('Create token succeeded for proj:', `${args[0]}:${args[1]}.`);
        f('  ID:', claims.jti ?? '');
        f('  Issued At:', claims.iat ? rfc3339(claims.iat * 1000) : '');
        f('  Expires At:', claims.exp ? rfc3339(claims.exp * 1000) : 'Never');
        f('  Token:', r.token);
      },
    }),
    new Command({
      use: 'delete-token PROJECT ROLE-NAME ISSUED-AT',
      aliases: ['token-delete', 'remove-token'],
      short: 'Delete a project token',
      example: `  # Delete a token from a project role
  argocd proj role delete-token PROJECT ROLE-NAME ISSUED-AT`,
      args: { min: 3, max: 3 },
      run: async ({ args, opts, changed }) => {
        const c = await client(opts, changed);
        await c.delete(`/api/v1/projects/${enc(args[0])}/roles/${enc(args[1])}/token/${enc(args[2])}`).catch((e) => explainAuth(e, c));
      },
    }),
  ];
  return new Command({ use: 'role', short: 'Manage a project\'s roles', run: help }).add(...cmds);
}

function windowsCmd(): Command {
  const windowFlags = [
    { name: 'kind', short: 'k', type: 'string' as const, usage: 'Sync window kind, either allow or deny' },
    { name: 'schedule', type: 'string' as const, usage: 'Sync window schedule in cron format. (e.g. --schedule "0 22 * * *")' },
    { name: 'duration', type: 'string' as const, usage: 'Sync window duration. (e.g. --duration 1h)' },
    { name: 'applications', type: 'stringSlice' as const, usage: 'Applications that the schedule will be applied to. Comma separated, wildcards supported (e.g. --applications prod-\\*,website)' },
    { name: 'namespaces', type: 'stringSlice' as const, usage: 'Namespaces that the schedule will be applied to. Comma separated, wildcards supported (e.g. --namespaces default,\\*-prod)' },
    { name: 'clusters', type: 'stringSlice' as const, usage: 'Clusters that the schedule will be applied to. Comma separated, wildcards supported (e.g. --clusters prod,staging)' },
    { name: 'manual-sync', type: 'bool' as const, usage: 'Allow manual syncs for both deny and allow windows' },
    { name: 'time-zone', type: 'string' as const, usage: 'Time zone of the sync window', default: 'UTC' },
  ];
  const add = new Command({
    use: 'add PROJECT',
    short: 'Add a sync window to a project',
    example: `  # Add a 1 hour allow sync window
  argocd proj windows add PROJECT \\
      --kind allow \\
      --schedule "0 22 * * *" \\
      --duration 1h \\
      --applications "*"

  # Add a deny sync window with the ability to manually sync.
  argocd proj windows add PROJECT \\
      --kind deny \\
      --schedule "30 10 * * *" \\
      --duration 30m \\
      --applications "prod-\\*,website" \\
      --namespaces "default,\\*-prod" \\
      --clusters "prod,staging" \\
      --manual-sync`,
    flags: windowFlags,
    args: { min: 1, max: 1 },
    run: ({ args, opts, changed }) =>
      modify(opts, changed, args[0], (p) => {
        if (opts.kind !== 'allow' && opts.kind !== 'deny') throw new CliError(`kind must be either allow or deny, not ${JSON.stringify(opts.kind)}`);
        if (opts.schedule.trim().split(/\s+/).length !== 5) throw new CliError(`cannot parse schedule ${JSON.stringify(opts.schedule)}: a cron expression has 5 fields`);
        try {
          parseDuration(opts.duration);
        } catch {
          throw new CliError(`cannot parse duration ${JSON.stringify(opts.duration)}`);
        }
        p.spec.syncWindows = [
          ...(p.spec.syncWindows ?? []),
          { kind: opts.kind, schedule: opts.schedule, duration: opts.duration, applications: opts.applications.length ? opts.applications : undefined, namespaces: opts.namespaces.length ? opts.namespaces : undefined, clusters: opts.clusters.length ? opts.clusters : undefined, manualSync: opts.manualSync || undefined, timeZone: opts.timeZone },
        ];
      }),
  });
  const list = new Command({
    use: 'list PROJECT',
    short: 'List project sync windows',
    example: `  # List project windows
  argocd proj windows list PROJECT`,
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide', default: 'wide' }],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const c = await client(opts, changed);
      const p = await getProj(c, args[0]);
      const ws = p.spec?.syncWindows ?? [];
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(ws, opts.output);
      let active: any[] = [];
      try {
        active = ((await c.get(`/api/v1/projects/${enc(args[0])}/syncwindows`)) as any).windows ?? [];
      } catch {
        active = [];
      }
      const isActive = (w: any) => active.some((a) => a.kind === w.kind && a.schedule === w.schedule && a.duration === w.duration);
      const w = table().row('ID', 'STATUS', 'KIND', 'SCHEDULE', 'DURATION', 'APPLICATIONS', 'NAMESPACES', 'CLUSTERS', 'MANUALSYNC', 'TIMEZONE', 'USEANDOPERATOR');
      const fmt = (xs?: string[]) => (xs?.length ? xs.join(',') : '-');
      ws.forEach((x, i) => w.row(i, isActive(x) ? 'Active' : 'Inactive', x.kind, x.schedule, x.duration, fmt(x.applications), fmt(x.namespaces), fmt(x.clusters), x.manualSync ? 'Enabled' : 'Disabled', x.timeZone ?? '', (x as any).andOperator ? 'Enabled' : 'Disabled'));
      io.out(w.flush());
    },
  });
  const del = new Command({
    use: 'delete PROJECT ID',
    aliases: ['remove'],
    short: 'Delete a sync window from a project. Requires ID which can be found by running "argocd proj windows list PROJECT"',
    args: { min: 2, max: 2 },
    run: ({ args, opts, changed }) =>
      modify(opts, changed, args[0], (p) => {
        const i = Number(args[1]);
        if (!Number.isInteger(i) || i < 0 || i >= (p.spec.syncWindows ?? []).length) throw new CliError(`window with id '${args[1]}' not found`);
        p.spec.syncWindows!.splice(i, 1);
      }),
  });
  return new Command({ use: 'windows', short: "Manage a project's sync windows", run: help }).add(add, list, del);
}

export function projCommand(): Command {
  return new Command({
    use: 'proj',
    aliases: ['project'],
    short: 'Manage projects',
    example: `  # List all available projects
  argocd proj list

  # Create a new project with name PROJECT
  argocd proj create PROJECT

  # Delete the project with name PROJECT
  argocd proj delete PROJECT

  # Edit the information on project with name PROJECT
  argocd proj edit PROJECT`,
    run: help,
  }).add(createCmd(), listCmd(), getCmd(), deleteCmd(), ...destCmds(), roleCmd(), windowsCmd());
}
