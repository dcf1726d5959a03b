/**
 * `argocd cluster add CONTEXT|list|get|rm`. `add` works as upstream: from the kubeconfig context it
 * creates the ServiceAccount `argocd-manager`, a ClusterRole/Binding and a long-lived token Secret in
 * the target cluster, waits for the token, and registers the cluster through the server's API.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import YAML from '@flotilla/cli-kit/yaml';
import type { KubeClient, Resource } from '@flotilla/kube-runtime';
import { Command } from '@flotilla/cli-kit/command';
import { io, log, println, readLine } from '@flotilla/cli-kit/io';
import { printResource, table } from '../output.js';
import { apiClient, CliError, explainAuth, isApiError, RES as R, withContext } from '../session.js';

const enc = encodeURIComponent;
const CLUSTERROLES: Resource = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false };
const CLUSTERROLEBINDINGS: Resource = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false };
const ROLES: Resource = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true };
const ROLEBINDINGS: Resource = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true };

const help = ({ cmd }: { cmd: Command }) => {
  io.out(cmd.help());
  return 1;
};

async function createOrKeep(k: KubeClient, r: Resource, ns: string | undefined, obj: any, what: string, upsert = false): Promise<void> {
  try {
    await k.create(r, ns, obj);
    log('info', `${what} created${ns ? ` in namespace ${JSON.stringify(ns)}` : ''}`);
  } catch (e) {
    if (!isApiError(e, 409)) throw new CliError(`failed to create ${what}: ${(e as Error).message}`);
    if (upsert) {
      const cur: any = await k.get(r, ns, obj.metadata.name);
      await k.update(r, { ...cur, ...obj, metadata: { ...cur.metadata, ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
      log('info', `${what} updated`);
    } else log('info', `${what} already exists${ns ? ` in namespace ${JSON.stringify(ns)}` : ''}`);
  }
}

/** upstream's InstallClusterManagerRBAC: returns the bearer token of argocd-manager. */
export async function installClusterManagerRBAC(k: KubeClient, ns: string, namespaces: string[], serviceAccount = 'argocd-manager', timeoutMs = 30_000): Promise<string> {
  await createOrKeep(k, R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, `Namespace ${JSON.stringify(ns)}`).catch(() => undefined);
  await createOrKeep(k, R.serviceaccounts, ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: serviceAccount, namespace: ns } }, `ServiceAccount ${JSON.stringify(serviceAccount)}`);
  const role = `${serviceAccount}-role`;
  const rules = [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    ...(namespaces.length ? [] : [{ nonResourceURLs: ['*'], verbs: ['*'] }]),
  ];
  if (!namespaces.length) {
    await createOrKeep(k, CLUSTERROLES, undefined, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: role }, rules }, `ClusterRole ${JSON.stringify(role)}`, true);
    await createOrKeep(
      k,
      CLUSTERROLEBINDINGS,
      undefined,
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${role}-binding` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: ns }] },
      `ClusterRoleBinding ${JSON.stringify(`${role}-binding`)}`,
      true,
    );
  } else {
    for (const n of namespaces) {
      await createOrKeep(k, ROLES, n, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: role, namespace: n }, rules }, `Role ${JSON.stringify(role)}`, true);
      await createOrKeep(
        k,
        ROLEBINDINGS,
        n,
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `${role}-binding`, namespace: n }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role }, subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: ns }] },
        `RoleBinding ${JSON.stringify(`${role}-binding`)}`,
        true,
      );
    }
  }
  const secretName = `${serviceAccount}-long-lived-token`;
  try {
    await k.create(R.secrets, ns, { apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace: ns, annotations: { 'kubernetes.io/service-account.name': serviceAccount } }, type: 'kubernetes.io/service-account-token' } as any);
  } catch (e) {
    if (!isApiError(e, 409)) throw new CliError(`failed to create the token Secret of ${serviceAccount}: ${(e as Error).message}`);
  }
  const start = Date.now();
  let triedTokenRequest = false;
  for (;;) {
    const s: any = await k.get(R.secrets, ns, secretName).catch(() => undefined);
    const tok = s?.data?.token;
    if (tok) {
      log('info', `Created bearer token secret for ServiceAccount ${JSON.stringify(serviceAccount)}`);
      return Buffer.from(tok, 'base64').toString('utf8');
    }
    // a cluster whose token controller does not fill the Secret (in time): ask TokenRequest instead
    if (!triedTokenRequest && Date.now() - start > Math.min(5_000, timeoutMs / 2)) {
      triedTokenRequest = true;
      try {
        const tr: any = await k.createSub(R.serviceaccounts, ns, serviceAccount, 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 10 * 365 * 24 * 3600 } });
        const t = tr?.status?.token;
        if (t) {
          log('info', `Issued a bearer token for ServiceAccount ${JSON.stringify(serviceAccount)} through TokenRequest (the Secret ${ns}/${secretName} was not filled in by a token controller)`);
          return t;
        }
      } catch {
        /* keep waiting for the Secret */
      }
    }
    if (Date.now() - start > timeoutMs) throw new CliError(`timed out waiting for the token of ServiceAccount ${JSON.stringify(serviceAccount)} (Secret ${ns}/${secretName} has no token, and TokenRequest gave none)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function kubeconfigPath(opts: Record<string, any>): string {
  return opts.kubeconfig || process.env.KUBECONFIG?.split(':')[0] || join(process.env.HOME || homedir(), '.kube', 'config');
}

function addCmd(): Command {
  return new Command({
    use: 'add CONTEXT',
    short: 'argocd cluster add CONTEXT',
    example: `  # Add a cluster using the context
  argocd cluster add my-context --name my-cluster

  # Add a cluster and skip confirmation
  argocd cluster add my-context -y`,
    flags: [
      { name: 'kubeconfig', type: 'string', usage: 'use a particular kubeconfig file' },
      { name: 'name', type: 'string', usage: 'Overwrite the cluster name' },
      { name: 'namespace', type: 'stringArray', usage: 'List of namespaces which are allowed to manage' },
      { name: 'cluster-resources', type: 'bool', usage: 'Indicates if cluster level resources should be managed. The setting is used only if list of managed namespaces is not empty.' },
      { name: 'system-namespace', type: 'string', usage: 'Use different system namespace', default: 'kube-system' },
      { name: 'service-account', type: 'string', usage: 'System namespace service account to use for kubernetes resource management. If not set then default "argocd-manager" SA will be created' },
      { name: 'in-cluster', type: 'bool', usage: 'Indicates Argo CD resides inside this cluster and should connect using the internal k8s hostname (kubernetes.default.svc)' },
      { name: 'upsert', type: 'bool', usage: 'Override an existing cluster with the same name even if the spec differs' },
      { name: 'yes', short: 'y', type: 'bool', usage: 'Skip explicit confirmation' },
      { name: 'project', type: 'string', usage: 'project of the cluster' },
      { name: 'label', type: 'stringArray', usage: 'Set metadata labels (e.g. --label key=value)' },
      { name: 'annotation', type: 'stringArray', usage: 'Set metadata annotations (e.g. --annotation key=value)' },
      { name: 'cluster-endpoint', type: 'string', usage: 'Cluster endpoint to use. Can be one of the following: \'kubeconfig\', \'kube-public\', or \'internal\'.', default: 'kubeconfig' },
    ],
    args: { max: 1 },
    run: async ({ cmd, args, opts, changed }) => {
      const path = kubeconfigPath(opts);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read kubeconfig ${path}: ${(e as Error).message}`);
      }
      if (!args.length) {
        // upstream lists the contexts when none is given
        const doc = YAML.parse(text) ?? {};
        log('error', 'Choose a context name from:');
        const w = table().row('CURRENT', 'NAME', 'CLUSTER', 'SERVER');
        for (const c of doc.contexts ?? []) {
          const cl = (doc.clusters ?? []).find((x: any) => x.name === c.context?.cluster);
          w.row(c.name === doc['current-context'] ? '*' : '', c.name, c.context?.cluster ?? '', cl?.cluster?.server ?? '');
        }
        io.out(w.flush());
        void cmd;
        return 1;
      }
      const ctx = args[0];
      const cfgText = withContext(text, ctx);
      const { KubeClient, resolveConfig } = await import('@flotilla/kube-runtime');
      const conf = resolveConfig(cfgText);
      if (!opts.yes) {
        const msg = `WARNING: This will create a service account \`argocd-manager\` on the cluster referenced by context \`${ctx}\` with full cluster level privileges. Do you want to continue [y/N]? `;
        let a = '';
        try {
          a = (await readLine(msg)).trim().toLowerCase();
        } catch {
          a = '';
        }
        if (a !== 'y' && a !== 'yes') throw new CliError('cluster add was not confirmed (answer y, or pass --yes)');
      }
      const k = new KubeClient(cfgText, { fieldManager: 'argocd', qps: 50, burst: 100 });
      let token: string;
      try {
        if (opts.serviceAccount) {
          const sa = opts.serviceAccount;
          const s: any = await k.get(R.secrets, opts.systemNamespace, `${sa}-long-lived-token`).catch(() => undefined);
          if (!s?.data?.token) token = await installClusterManagerRBAC(k, opts.systemNamespace, opts.namespace, sa);
          else token = Buffer.from(s.data.token, 'base64').toString('utf8');
        } else token = await installClusterManagerRBAC(k, opts.systemNamespace, opts.namespace);
      } finally {
        k.close();
      }
      const server = opts.inCluster ? 'https://kubernetes.default.svc' : conf.server;
      const tls: Record<string, unknown> = { insecure: !!conf.insecure };
      if (conf.ca && !conf.insecure) tls.caData = Buffer.from(conf.ca).toString('base64');
      if (conf.servername) tls.serverName = conf.servername;
      const kv = (xs: string[]) => Object.fromEntries(xs.map((x) => [x.split('=')[0], x.split('=').slice(1).join('=')]));
      const cluster = {
        server,
        name: opts.name || ctx,
        config: { bearerToken: token, tlsClientConfig: tls },
        ...(opts.namespace.length ? { namespaces: opts.namespace, clusterResources: opts.clusterResources } : {}),
        ...(opts.project ? { project: opts.project } : {}),
        ...(opts.label.length ? { labels: kv(opts.label) } : {}),
        ...(opts.annotation.length ? { annotations: kv(opts.annotation) } : {}),
      };
      const c = await apiClient(opts, changed);
      const created = await c.post('/api/v1/clusters', cluster, { upsert: opts.upsert }).catch((e) => explainAuth(e, c));
      println(`Cluster '${created.server ?? server}' added`);
    },
  });
}

function clusterRow(c: any): unknown[] {
  const info = c.info ?? {};
  return [c.server, c.name ?? '', info.serverVersion ?? c.serverVersion ?? '', info.connectionState?.status ?? c.connectionState?.status ?? '', info.connectionState?.message ?? c.connectionState?.message ?? '', c.project ?? ''];
}
const CLUSTER_HEADER = ['SERVER', 'NAME', 'VERSION', 'STATUS', 'MESSAGE', 'PROJECT'];

/** the cluster query of upstream: a URL is a server, anything else a name */
function clusterQuery(s: string): [string, Record<string, string>] {
  if (/^https?:\/\//.test(s)) return [`/api/v1/clusters/${enc(s)}`, {}];
  return [`/api/v1/clusters/${enc(s)}`, { 'id.type': 'name', 'id.value': s }];
}

function listCmd(): Command {
  return new Command({
    use: 'list',
    short: 'List configured clusters',
    example: `  # List Clusters in Default "Wide" Format
  argocd cluster list

  # List Cluster via specifying the server
  argocd cluster list --server <ARGOCD_SERVER_ADDRESS>

  # List Clusters in JSON Format
  argocd cluster list -o json --server <ARGOCD_SERVER_ADDRESS>

  # List Clusters in YAML Format
  argocd cluster list -o yaml --server <ARGOCD_SERVER_ADDRESS>

  # List Clusters that have been added to your Argo CD
  argocd cluster list -o server <ARGOCD_SERVER_ADDRESS>`,
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|server', default: 'wide' }],
    run: async ({ opts, changed }) => {
      const c = await apiClient(opts, changed);
      const r = await c.get('/api/v1/clusters').catch((e) => explainAuth(e, c));
      const items: any[] = r.items ?? [];
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(items, opts.output);
      if (opts.output === 'server') {
        for (const x of items) println(x.server);
        return;
      }
      const w = table().row(...CLUSTER_HEADER);
      for (const x of items) w.row(...clusterRow(x));
      io.out(w.flush());
    },
  });
}

function getCmd(): Command {
  return new Command({
    use: 'get SERVER/NAME',
    short: 'Get cluster information',
    example: `argocd cluster get https://12.34.567.89
argocd cluster get in-cluster`,
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|server', default: 'yaml' }],
    args: { min: 1 },
    run: async ({ args, opts, changed }) => {
      const c = await apiClient(opts, changed);
      const items: any[] = [];
      for (const a of args) {
        const [path, q] = clusterQuery(a);
        items.push(await c.get(path, q).catch((e) => explainAuth(e, c)));
      }
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(items.length === 1 ? items[0] : items, opts.output);
      if (opts.output === 'server') {
        for (const x of items) println(x.server);
        return;
      }
      const w = table().row(...CLUSTER_HEADER);
      for (const x of items) w.row(...clusterRow(x));
      io.out(w.flush());
    },
  });
}

function rmCmd(): Command {
  return new Command({
    use: 'rm SERVER/NAME',
    aliases: ['remove'],
    short: 'Remove cluster credentials',
    example: `argocd cluster rm https://12.34.567.89
argocd cluster rm cluster-name`,
    flags: [{ name: 'yes', short: 'y', type: 'bool', usage: 'Turn off prompting to confirm remove of cluster resources' }],
    args: { min: 1 },
    run: async ({ args, opts, changed }) => {
      const c = await apiClient(opts, changed);
      for (const a of args) {
        if (!opts.yes && io.stdinIsTTY()) {
          const ans = (await readLine(`Are you sure you want to remove '${a}'? Any Apps deploying to this cluster will go to health status Unknown.[y/n] `)).trim().toLowerCase();
          if (ans !== 'y') {
            println(`The command to remove '${a}' was cancelled.`);
            continue;
          }
        }
        const [path, q] = clusterQuery(a);
        await c.delete(path, q).catch((e) => explainAuth(e, c));
        println(`Cluster '${a}' removed`);
      }
    },
  });
}

export function clusterCommand(): Command {
  return new Command({
    use: 'cluster',
    aliases: ['clusters', 'cls'],
    short: 'Manage cluster credentials',
    example: `  # List all known clusters in JSON format:
  argocd cluster list -o json

  # Add a target cluster configuration to ArgoCD. The context must exist in your kubectl config:
  argocd cluster add example-cluster

  # Get specific details about a cluster in plain text (wide) format:
  argocd cluster get example-cluster -o wide

  # Remove a target cluster context from ArgoCD
  argocd cluster rm example-cluster`,
    run: help,
  }).add(addCmd(), listCmd(), getCmd(), rmCmd());
}
