/** `argocd repo add|list|get|rm` and `argocd repocreds add|list|rm`. */
import { readFileSync } from 'node:fs';
import { Command } from '@flotilla/cli-kit/command';
import { io, println, readLine } from '@flotilla/cli-kit/io';
import { printResource, table } from '../output.js';
import { apiClient, CliError, explainAuth } from '../session.js';

const enc = encodeURIComponent;
const help = ({ cmd }: { cmd: Command }) => {
  io.out(cmd.help());
  return 1;
};

function readFileFlag(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

function credFlags() {
  return [
    { name: 'username', type: 'string' as const, usage: 'username to the repository' },
    { name: 'password', type: 'string' as const, usage: 'password to the repository' },
    { name: 'ssh-private-key-path', type: 'string' as const, usage: 'path to the private ssh key (e.g. ~/.ssh/id_rsa)' },
    { name: 'tls-client-cert-path', type: 'string' as const, usage: 'path to the TLS client cert (must be PEM format)' },
    { name: 'tls-client-cert-key-path', type: 'string' as const, usage: 'path to the TLS client cert\'s key path (must be PEM format)' },
    { name: 'github-app-id', type: 'int64' as const, usage: 'id of the GitHub Application' },
    { name: 'github-app-installation-id', type: 'int64' as const, usage: 'installation id of the GitHub Application' },
    { name: 'github-app-private-key-path', type: 'string' as const, usage: 'private key of the GitHub Application' },
    { name: 'github-app-enterprise-base-url', type: 'string' as const, usage: 'base url to use when using GitHub Enterprise (e.g. https://ghe.example.com/api/v3)' },
    { name: 'gcp-service-account-key-path', type: 'string' as const, usage: 'service account key for the Google Cloud Platform' },
    { name: 'enable-oci', type: 'bool' as const, usage: 'Specifies whether helm-oci support should be enabled for this repo' },
    { name: 'type', type: 'string' as const, usage: 'type of the repository, "git", "oci" or "helm"', default: 'git' },
    { name: 'proxy', type: 'string' as const, usage: 'use proxy to access repository' },
    { name: 'no-proxy', type: 'string' as const, usage: 'don\'t access these targets via proxy' },
    { name: 'upsert', type: 'bool' as const, usage: 'Override an existing repository with the same name even if the spec differs' },
  ];
}

/** Fills the credential fields of a repository / repo-creds body from the flags. */
async function creds(opts: Record<string, any>, body: Record<string, unknown>): Promise<void> {
  if (opts.sshPrivateKeyPath) body.sshPrivateKey = readFileFlag(opts.sshPrivateKeyPath, 'SSH private key');
  if (opts.tlsClientCertPath) {
    body.tlsClientCertData = readFileFlag(opts.tlsClientCertPath, 'TLS client certificate');
    if (!opts.tlsClientCertKeyPath) throw new CliError('--tls-client-cert-key-path needs to be given with --tls-client-cert-path');
    body.tlsClientCertKey = readFileFlag(opts.tlsClientCertKeyPath, 'TLS client key');
  } else if (opts.tlsClientCertKeyPath) throw new CliError('--tls-client-cert-path needs to be given with --tls-client-cert-key-path');
  if (opts.githubAppPrivateKeyPath) {
    body.githubAppPrivateKey = readFileFlag(opts.githubAppPrivateKeyPath, 'GitHub App private key');
    body.githubAppID = opts.githubAppId;
    body.githubAppInstallationID = opts.githubAppInstallationId;
    if (opts.githubAppEnterpriseBaseUrl) body.githubAppEnterpriseBaseUrl = opts.githubAppEnterpriseBaseUrl;
  }
  if (opts.gcpServiceAccountKeyPath) body.gcpServiceAccountKey = readFileFlag(opts.gcpServiceAccountKeyPath, 'GCP service account key');
  if (opts.username) {
    body.username = opts.username;
    let password = opts.password || process.env.ARGOCD_REPO_PASSWORD || '';
    if (!password) {
      try {
        password = await readLine('Password: ', true);
      } catch {
        throw new CliError('--password is needed with --username when there is no terminal to prompt on');
      }
    }
    body.password = password;
  } else if (opts.password) body.password = opts.password;
  if (opts.enableOci) body.enableOCI = true;
  if (opts.type && opts.type !== 'git') body.type = opts.type;
  if (opts.proxy) body.proxy = opts.proxy;
  if (opts.noProxy) body.noProxy = opts.noProxy;
}

function repoAdd(): Command {
  return new Command({
    use: 'add REPOURL',
    short: 'Add git, oci or helm repository connection parameters',
    example: `  # Add a Git repository via SSH using a private key for authentication, ignoring the server's host key:
  argocd repo add git@git.example.com:repos/repo --insecure-ignore-host-key --ssh-private-key-path ~/id_rsa

  # Add a Git repository via SSH on a non-default port - need to use ssh:// style URLs here
  argocd repo add ssh://git@git.example.com:2222/repos/repo --ssh-private-key-path ~/id_rsa

  # Add a private Git repository via HTTPS using username/password and TLS client certificates:
  argocd repo add https://git.example.com/repos/repo --username git --password secret --tls-client-cert-path ~/mycert.crt --tls-client-cert-key-path ~/mycert.key

  # Add a private Git repository via HTTPS using username/password without verifying the server's TLS certificate
  argocd repo add https://git.example.com/repos/repo --username git --password secret --insecure-skip-server-verification

  # Add a public Helm repository named 'stable' via HTTPS
  argocd repo add https://charts.helm.sh/stable --type helm --name stable`,
    flags: [
      ...credFlags(),
      { name: 'name', type: 'string', usage: 'name of the repository, mandatory for repositories of type helm' },
      { name: 'project', type: 'string', usage: 'project of the repository' },
      { name: 'insecure-skip-server-verification', type: 'bool', usage: 'disables server certificate and host key checks' },
      { name: 'insecure-ignore-host-key', type: 'bool', usage: 'disables SSH strict host key checking (deprecated, use --insecure-skip-server-verification instead)' },
      { name: 'enable-lfs', type: 'bool', usage: 'enable git-lfs (Large File Support) on this repository' },
      { name: 'force-http-basic-auth', type: 'bool', usage: 'whether to force use of basic auth when connecting repository via HTTP' },
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const repo: Record<string, unknown> = { repo: args[0] };
      await creds(opts, repo);
      if (opts.name) repo.name = opts.name;
      if (opts.project) repo.project = opts.project;
      if (opts.insecureSkipServerVerification) repo.insecure = true;
      if (opts.insecureIgnoreHostKey) repo.insecureIgnoreHostKey = true;
      if (opts.enableLfs) repo.enableLfs = true;
      if (opts.forceHttpBasicAuth) repo.forceHttpBasicAuth = true;
      if (opts.type === 'helm' && !opts.name) throw new CliError('Must specify --name for repos of type \'helm\'');
      const c = await apiClient(opts, changed);
      const created = await c.post('/api/v1/repositories', repo, { upsert: opts.upsert }).catch((e) => explainAuth(e, c));
      println(`Repository '${created.repo ?? args[0]}' added`);
    },
  });
}

function repoRow(r: any): unknown[] {
  const hasCreds = r.inheritedCreds ? 'inherited' : String(!!(r.username || r.sshPrivateKey || r.tlsClientCertData || r.githubAppID));
  return [r.type ?? 'git', r.name ?? '', r.repo, String(!!(r.insecure || r.insecureIgnoreHostKey)), String(!!r.enableOCI), String(!!r.enableLfs), hasCreds, r.connectionState?.status ?? '', r.connectionState?.message ?? '', r.project ?? ''];
}
const REPO_HEADER = ['TYPE', 'NAME', 'REPO', 'INSECURE', 'OCI', 'LFS', 'CREDS', 'STATUS', 'MESSAGE', 'PROJECT'];

function repoList(): Command {
  return new Command({
    use: 'list',
    short: 'List configured repositories',
    example: `  # List all repositories
  argocd repo list

  # List repositories in wide format
  argocd repo list -o wide

  # List repositories in YAML format
  argocd repo list -o yaml

  # List repositories in JSON format
  argocd repo list -o json

  # List urls of repositories
  argocd repo list -o url

  # Force refresh of cached repository connection status
  argocd repo list --refresh hard`,
    flags: [
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|url', default: 'wide' },
      { name: 'refresh', type: 'string', usage: 'Force a cache refresh on connection status , must be one of: \'hard\'' },
    ],
    run: async ({ opts, changed }) => {
      const c = await apiClient(opts, changed);
      const r = await c.get('/api/v1/repositories', { forceRefresh: opts.refresh === 'hard' || undefined }).catch((e) => explainAuth(e, c));
      const items: any[] = r.items ?? [];
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(items, opts.output);
      if (opts.output === 'url') {
        for (const x of items) println(x.repo);
        return;
      }
      const w = table().row(...REPO_HEADER);
      for (const x of items) w.row(...repoRow(x));
      io.out(w.flush());
    },
  });
}

function repoGet(): Command {
  return new Command({
    use: 'get REPO',
    short: 'Get a configured repository by URL',
    example: `  # Get Git or Helm repository details in wide format (default, '<tmp-dir>/argocd-example-apps' is an example of a repository URL)
  argocd repo get https://github.com/argoproj/argocd-example-apps.git`,
    flags: [
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|url', default: 'wide' },
      { name: 'refresh', type: 'string', usage: 'Force a cache refresh on connection status , must be one of: \'hard\'' },
      { name: 'project', type: 'string', usage: 'project of the repository' },
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const c = await apiClient(opts, changed);
      const r = await c.get(`/api/v1/repositories/${enc(args[0])}`, { forceRefresh: opts.refresh === 'hard' || undefined, appProject: opts.project }).catch((e) => explainAuth(e, c));
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(r, opts.output);
      if (opts.output === 'url') return println(r.repo);
      io.out(table().row(...REPO_HEADER).row(...repoRow(r)).flush());
    },
  });
}

function repoRm(): Command {
  return new Command({
    use: 'rm REPO ...',
    aliases: ['remove'],
    short: 'Remove configured repositories',
    example: `  # Remove a single repository
  argocd repo rm https://github.com/yourusername/your-repo.git`,
    flags: [{ name: 'project', type: 'string', usage: 'project of the repository' }],
    args: { min: 1 },
    run: async ({ args, opts, changed }) => {
      const c = await apiClient(opts, changed);
      for (const r of args) {
        await c.delete(`/api/v1/repositories/${enc(r)}`, { appProject: opts.project }).catch((e) => explainAuth(e, c));
        println(`Repository '${r}' removed`);
      }
    },
  });
}

export function repoCommand(): Command {
  return new Command({
    use: 'repo',
    short: 'Manage repository connection parameters',
    example: `  # Add git repository connection parameters
  argocd repo add git@git.example.com:repos/repo

  # Get a Configured Repository by URL
  argocd repo get https://github.com/yourusername/your-repo.git

  # List Configured Repositories
  argocd repo list

  # Remove Repository Credentials
  argocd repo rm https://github.com/yourusername/your-repo.git`,
    run: help,
  }).add(repoAdd(), repoList(), repoGet(), repoRm());
}

export function repocredsCommand(): Command {
  const add = new Command({
    use: 'add REPOURL',
    short: 'Add git repository connection parameters',
    example: `  # Add credentials with user/pass authentication to use for all repositories under https://git.example.com/repos
  argocd repocreds add https://git.example.com/repos/ --username git --password secret

  # Add credentials with SSH private key authentication to use for all repositories under ssh://git@git.example.com/repos
  argocd repocreds add ssh://git@git.example.com/repos/ --ssh-private-key-path ~/.ssh/id_rsa`,
    flags: credFlags(),
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const body: Record<string, unknown> = { url: args[0] };
      await creds(opts, body);
      const c = await apiClient(opts, changed);
      await c.post('/api/v1/repocreds', body, { upsert: opts.upsert }).catch((e) => explainAuth(e, c));
      println(`Repository credentials for '${args[0]}' added`);
    },
  });
  const list = new Command({
    use: 'list',
    short: 'List configured repository credentials',
    example: `  # List all repo urls
  argocd repocreds list

  # List all repo urls in json format
  argocd repocreds list -o json`,
    flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|url', default: 'wide' }],
    run: async ({ opts, changed }) => {
      const c = await apiClient(opts, changed);
      const r = await c.get('/api/v1/repocreds').catch((e) => explainAuth(e, c));
      const items: any[] = r.items ?? [];
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(items, opts.output);
      if (opts.output === 'url') {
        for (const x of items) println(x.url);
        return;
      }
      const w = table().row('URL PATTERN', 'USERNAME', 'SSH_CREDS', 'TLS_CREDS');
      for (const x of items) w.row(x.url, x.username || '-', String(!!x.sshPrivateKey), String(!!x.tlsClientCertData));
      io.out(w.flush());
    },
  });
  const rm = new Command({
    use: 'rm CREDSURL',
    aliases: ['remove'],
    short: 'Remove repository credentials',
    example: `  # Remove credentials for the repositories with URL https://git.example.com/repos
  argocd repocreds rm https://git.example.com/repos/`,
    args: { min: 1 },
    run: async ({ args, opts, changed }) => {
      const c = await apiClient(opts, changed);
      for (const u of args) {
        await c.delete(`/api/v1/repocreds/${enc(u)}`).catch((e) => explainAuth(e, c));
        println(`Repository credentials for '${u}' removed`);
      }
    },
  });
  return new Command({
    use: 'repocreds',
    short: 'Manage credential templates for repositories',
    example: `  # Add credentials with user/pass authentication to use for all repositories under the specified URL
  argocd repocreds add URL --username USERNAME --password PASSWORD

  # List all the configured repository credentials
  argocd repocreds list

  # Remove credentials for the repositories with specified URL
  argocd repocreds rm URL`,
    run: help,
  }).add(add, list, rm);
}
