/** `argocd login`, `logout`, `context`, `version`. */
import { Command } from '@flotilla/cli-kit/command';
import { io, println, readLine } from '@flotilla/cli-kit/io';
import type { ApiClient } from '../client.js';
import { CertError, RpcError } from '../rpc-error.js';
import { emptyConfig, jwtClaims, removeContext, upsertContext, upsertServer, upsertUser, writeConfig } from '../config.js';
import { apiClient, CliError, configPath, connection, loadConfig } from '../session.js';
import { CLIENT_VERSION, clientVersion } from '../version.js';
import { reloginCommand } from './relogin.js';

/** y/n question on stdin, as upstream's cli.AskToProceed. */
export async function askToProceed(message: string): Promise<boolean> {
  for (;;) {
    let a: string;
    try {
      a = (await readLine(message)).trim().toLowerCase();
    } catch {
      return false;
    }
    if (a === 'y' || a === 'yes') return true;
    if (a === 'n' || a === 'no') return false;
  }
}

export async function promptCredentials(username: string, password: string): Promise<[string, string]> {
  try {
    while (!username) username = (await readLine('Username: ')).trim();
    while (!password) password = await readLine('Password: ', true);
  } catch {
    throw new CliError('username and password are needed: pass --username and --password, or answer the prompts on a terminal');
  }
  return [username, password];
}

export async function passwordLogin(client: ApiClient, username: string, password: string): Promise<string> {
  const r = await client.post<{ token: string }>('/api/v1/session', { username, password });
  if (!r.token) throw new CliError('the server answered the login without a token');
  return r.token;
}

function displayName(claims: Record<string, any>): string {
  return claims.email || claims.sub || '';
}

function loginCommand(): Command {
  return new Command({
    use: 'login SERVER',
    short: 'Log in to Argo CD',
    long: 'Log in to Argo CD',
    example: `# Login to Argo CD using a username and password
argocd login cd.argoproj.io

# Login to Argo CD using SSO
argocd login cd.argoproj.io --sso

# Configure direct access using Kubernetes API server
argocd login cd.argoproj.io --core`,
    args: { max: 1 },
    flags: [
      { name: 'callback', type: 'string', usage: 'Scheme, Host and Port for the callback URL' },
      { name: 'name', type: 'string', usage: 'Name to use for the context' },
      { name: 'password', type: 'string', usage: 'The password of an account to authenticate' },
      { name: 'skip-test-tls', type: 'bool', usage: 'Skip testing whether the server is configured with TLS (this can help when the command hangs for no apparent reason)' },
      { name: 'sso', type: 'bool', usage: 'Perform SSO login' },
      { name: 'sso-launch-browser', type: 'bool', usage: 'Automatically launch the system default browser when performing SSO login', default: true },
      { name: 'sso-port', type: 'int', usage: 'Port to run local OAuth2 login application', default: 8085 },
      { name: 'username', type: 'string', usage: 'The username of an account to authenticate' },
    ],
    run: async ({ cmd, args, opts }) => {
      const cfgPath = configPath(opts);
      const cfg = loadConfig(opts) ?? emptyConfig();
      if (opts.core) {
        const name = opts.name || 'kubernetes';
        upsertServer(cfg, { server: 'kubernetes', core: true });
        upsertUser(cfg, { name });
        upsertContext(cfg, { name, server: 'kubernetes', user: name });
        cfg['current-context'] = name;
        writeConfig(cfgPath, cfg);
        println(`Context '${name}' updated`);
        return;
      }
      if (args.length !== 1) {
        io.out(cmd.help());
        return 1;
      }
      const server = args[0];
      let insecure = !!opts.insecure;
      let plaintext = !!opts.plaintext;
      const { ApiClient } = await import('../client.js');
      const make = () => new ApiClient({ server, insecure, plaintext, grpcWeb: opts.grpcWeb, grpcWebRootPath: opts.grpcWebRootPath, headers: opts.header });
      let client = make();
      if (!plaintext && !opts.skipTestTls) {
        // test the server: TLS? a certificate we trust?
        try {
          await client.get('/api/version');
        } catch (e) {
          if (e instanceof CertError && !insecure) {
            client.close();
            if (!(await askToProceed(`WARNING: server certificate had error: ${e.desc}. Proceed insecurely (y/n)? `))) throw e;
            insecure = true;
            client = make();
          } else if (e instanceof RpcError && /does not look like a TLS handshake/.test(e.desc)) {
            client.close();
            if (!(await askToProceed('WARNING: server is not configured with TLS. Proceed (y/n)? '))) throw e;
            plaintext = true;
            client = make();
          } else if (!(e instanceof RpcError) || e.code === 14) {
            client.close();
            throw e;
          }
        }
      }
      try {
        let token: string;
        let refreshToken: string | undefined;
        let username = '';
        if (opts.sso) {
          const t = await (await import('../sso.js')).ssoLogin(client, { port: Number(opts.ssoPort), callback: opts.callback || undefined, insecure, launchBrowser: !!opts.ssoLaunchBrowser });
          token = t.idToken;
          refreshToken = t.refreshToken;
          println('Authentication successful');
        } else {
          let password: string;
          [username, password] = await promptCredentials(opts.username, opts.password);
          token = await passwordLogin(client, username, password);
        }
        const claims = jwtClaims(token);
        println(`'${displayName(claims) || username}' logged in successfully`);
        const ctxName = opts.name || server;
        upsertServer(cfg, {
          server,
          ...(insecure ? { insecure: true } : {}),
          ...(plaintext ? { 'plain-text': true } : {}),
          ...(opts.grpcWeb ? { 'grpc-web': true } : {}),
          'grpc-web-root-path': opts.grpcWebRootPath || '',
        });
        upsertUser(cfg, { name: ctxName, 'auth-token': token, ...(refreshToken ? { 'refresh-token': refreshToken } : {}) });
        upsertContext(cfg, { name: ctxName, server, user: ctxName });
        cfg['current-context'] = ctxName;
        writeConfig(cfgPath, cfg);
        println(`Context '${ctxName}' updated`);
      } finally {
        client.close();
      }
    },
  });
}

function logoutCommand(): Command {
  return new Command({
    use: 'logout CONTEXT',
    short: 'Log out from Argo CD',
    long: 'Log out from Argo CD',
    example: `# Logout from the active Argo CD context
# This can be helpful for security reasons or when you want to switch between different Argo CD contexts or accounts.
argocd logout CONTEXT

# Logout from a specific context named 'cd.argoproj.io'
argocd logout cd.argoproj.io
`,
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const cfg = loadConfig(opts);
      const name = args[0];
      const ctx = cfg?.contexts.find((c) => c.name === name);
      if (!cfg || !ctx) throw new CliError(`Context ${name} does not exist`);
      const user = cfg.users.find((u) => u.name === ctx.user);
      if (user?.['auth-token']) {
        // revoke on the server too (best effort)
        try {
          const c = await apiClient({ ...opts, argocdContext: name }, changed);
          await c.delete('/api/v1/session');
        } catch {
          /* the local token is removed regardless */
        }
      }
      if (user) {
        delete user['auth-token'];
        delete user['refresh-token'];
      }
      writeConfig(configPath(opts), cfg);
      println(`Logged out from '${name}'`);
    },
  });
}

function contextCommand(): Command {
  return new Command({
    use: 'context [CONTEXT]',
    aliases: ['ctx'],
    short: 'Switch between contexts',
    example: `# List Argo CD Contexts
argocd context

# Switch Argo CD context
argocd context cd.argoproj.io

# Delete Argo CD context
argocd context cd.argoproj.io --delete`,
    args: { max: 1 },
    flags: [{ name: 'delete', type: 'bool', usage: 'Delete the context instead of switching to it' }],
    run: async ({ args, opts }) => {
      const cfgPath = configPath(opts);
      const cfg = loadConfig(opts) ?? emptyConfig();
      if (opts.delete) {
        if (args.length !== 1) throw new CliError('a context name is needed to delete it');
        if (!removeContext(cfg, args[0])) throw new CliError(`Context '${args[0]}' undefined`);
        writeConfig(cfgPath, cfg);
        println(`Context '${args[0]}' deleted`);
        return;
      }
      if (args.length === 0) {
        const { table } = await import('../output.js');
        const w = table().row('CURRENT', 'NAME', 'SERVER');
        for (const c of cfg.contexts) w.row(c.name === cfg['current-context'] ? '*' : '', c.name, c.server);
        io.out(w.flush());
        return;
      }
      const name = args[0];
      if (cfg['current-context'] === name) {
        println(`Already at context '${name}'`);
        return;
      }
      if (!cfg.contexts.some((c) => c.name === name)) throw new CliError(`Context '${name}' undefined`);
      cfg['current-context'] = name;
      writeConfig(cfgPath, cfg);
      println(`Switched to context '${name}'`);
    },
  });
}

function printClient(short: boolean): void {
  const v = clientVersion();
  println(`argocd: ${v.Version}`);
  if (short) return;
  println(`  BuildDate: ${v.BuildDate}`);
  println(`  GitCommit: ${v.GitCommit}`);
  println(`  GitTreeState: ${v.GitTreeState}`);
  println(`  GoVersion: ${v.GoVersion}`);
  println(`  Compiler: ${v.Compiler}`);
  println(`  Platform: ${v.Platform}`);
}

function printServer(v: Record<string, string>, short: boolean): void {
  println(`argocd-server: ${v.Version ?? ''}`);
  if (short) return;
  const lines: [string, string][] = [
    ['BuildDate', 'BuildDate'],
    ['GitCommit', 'GitCommit'],
    ['GitTreeState', 'GitTreeState'],
    ['GitTag', 'GitTag'],
    ['GoVersion', 'GoVersion'],
    ['Compiler', 'Compiler'],
    ['Platform', 'Platform'],
    ['ExtraBuildInfo', 'ExtraBuildInfo'],
    ['KustomizeVersion', 'Kustomize Version'],
    ['HelmVersion', 'Helm Version'],
    ['KubectlVersion', 'Kubectl Version'],
    ['JsonnetVersion', 'Jsonnet Version'],
  ];
  for (const [k, label] of lines) if (v[k]) println(`  ${label}: ${v[k]}`);
}

function versionCommand(): Command {
  return new Command({
    use: 'version',
    short: 'Print version information',
    example: `  # Print the full version of client and server to stdout
  argocd version

  # Print only full version of the client - no connection to server will be made
  argocd version --client

  # Print only full version of the server
  argocd version --server <server-address>

  # Print the full version of client and server in JSON format
  argocd version -o json

  # Print only short version of the client - no connection to server will be made
  argocd version --client --short`,
    flags: [
      { name: 'client', type: 'bool', usage: 'client version only (no server required)' },
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide|short', default: 'wide' },
      { name: 'short', type: 'bool', usage: 'print just the version number' },
    ],
    run: async ({ opts, changed }) => {
      const out: string = opts.short ? 'short' : opts.output;
      let server: Record<string, string> | undefined;
      let serverErr: unknown;
      if (!opts.client) {
        try {
          const c = connection(opts, changed);
          if (c.core) server = clientVersion() as any;
          else server = await (await apiClient(opts, changed, { needAuth: false })).get('/api/version');
        } catch (e) {
          serverErr = e;
        }
      }
      switch (out) {
        case 'json':
        case 'yaml':
          (await import('../output.js')).printResource(opts.client ? { client: clientVersion() } : { client: clientVersion(), server: server ?? null }, out);
          break;
        case 'wide':
        case 'short':
          printClient(out === 'short');
          if (!opts.client && server) printServer(server, out === 'short');
          break;
        default:
          throw new CliError(`unknown output format: ${out}`);
      }
      if (serverErr) throw serverErr;
    },
  });
}

export function sessionCommands(): Command[] {
  void CLIENT_VERSION;
  return [loginCommand(), reloginCommand(), logoutCommand(), contextCommand(), versionCommand()];
}
