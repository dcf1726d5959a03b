/** `argocd account …` */
import { Command } from '@flotilla/cli-kit/command';
import { io, println, readLine } from '@flotilla/cli-kit/io';
import { parseDuration } from '@flotilla/cli-kit/flags';
import { jwtClaims, resolveContext, upsertUser, usernameOf, writeConfig } from '../config.js';
import { printResource, rfc3339, table } from '../output.js';
import { apiClient, CliError, configPath, explainAuth, loadConfig } from '../session.js';
import { passwordLogin } from './session.js';

const outputFlag = (def = 'wide', what = 'json|yaml|wide') => ({ name: 'output', short: 'o', type: 'string' as const, usage: `Output format. One of: ${what}`, default: def });

async function newPassword(user: string): Promise<string> {
  for (;;) {
    const a = await readLine(`*** Enter new password for user ${user}: `, true);
    const b = await readLine(`*** Confirm new password for user ${user}: `, true);
    if (a === b) return a;
    println('Passwords do not match');
  }
}

function updatePassword(): Command {
  return new Command({
    use: 'update-password',
    short: 'Update an account\'s password',
    long: `
This command can be used to update the password of the currently logged on
user, or an arbitrary local user account when the currently logged on user
has appropriate RBAC permissions to change other accounts.
`,
    example: `	# Update the current user's password
	argocd account update-password

	# Update the password for user foobar
	argocd account update-password --account foobar`,
    flags: [
      { name: 'account', type: 'string', usage: 'An account name that should be updated. Defaults to current user account' },
      { name: 'current-password', type: 'string', usage: 'Password of the currently logged on user' },
      { name: 'new-password', type: 'string', usage: 'New password you want to update to' },
    ],
    args: { max: 0 },
    run: async ({ opts, changed }) => {
      const client = await apiClient(opts, changed);
      let info: any;
      try {
        info = await client.get('/api/v1/session/userinfo');
      } catch (e) {
        explainAuth(e, client);
      }
      if (!info.loggedIn) throw new CliError("not logged in: run 'argocd login SERVER' first");
      const account: string = opts.account || '';
      let current: string = opts.currentPassword;
      let next: string = opts.newPassword;
      try {
        if (!current) current = await readLine(`*** Enter password of currently logged in user (${info.username}): `, true);
        if (!next) next = await newPassword(account || info.username);
      } catch {
        throw new CliError('--current-password and --new-password are needed when there is no terminal to prompt on');
      }
      await client.put('/api/v1/account/password', { currentPassword: current, newPassword: next, name: account });
      println('Password updated');
      if (!account || account === info.username) {
        // the old session is revoked by the password change: log in again with the new password
        const cfg = loadConfig(opts);
        if (cfg && cfg['current-context']) {
          const ctx = resolveContext(cfg, opts.argocdContext || undefined);
          const claims = jwtClaims(ctx.user['auth-token']);
          const token = await passwordLogin(client, usernameOf(claims.sub) || info.username, next);
          upsertUser(cfg, { ...ctx.user, 'auth-token': token });
          writeConfig(configPath(opts), cfg);
          println(`Context '${ctx.name}' updated`);
        }
      }
    },
  });
}

function getUserInfo(): Command {
  return new Command({
    use: 'get-user-info',
    short: 'Get user info',
    example: `  # Get User Info
  argocd account get-user-info`,
    flags: [outputFlag('', 'yaml, json')],
    run: async ({ opts, changed }) => {
      const client = await apiClient(opts, changed);
      const r = await client.get('/api/v1/session/userinfo').catch((e) => explainAuth(e, client));
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(r, opts.output);
      if (opts.output) throw new CliError(`unknown output format: ${opts.output}`);
      println(`Logged In: ${!!r.loggedIn}`);
      if (r.loggedIn) {
        println(`Username: ${r.username ?? ''}`);
        println(`Issuer: ${r.iss ?? ''}`);
        println(`Groups: ${(r.groups ?? []).join(',')}`);
      }
    },
  });
}

function canI(): Command {
  return new Command({
    use: 'can-i ACTION RESOURCE SUBRESOURCE',
    short: 'Can I',
    example: `# Can I sync any app?
argocd account can-i sync applications '*'

# Can I update a project?
argocd account can-i update projects 'default'

# Can I create a cluster?
argocd account can-i create clusters '*'

Actions: [get create update delete sync override action invoke]
Resources: [clusters projects applications applicationsets repositories certificates accounts gpgkeys logs exec extensions]
`,
    args: { min: 3, max: 3 },
    run: async ({ args, opts, changed }) => {
      const client = await apiClient(opts, changed);
      const [action, resource, sub] = args;
      const r = await client.get(`/api/v1/account/can-i/${encodeURIComponent(resource)}/${encodeURIComponent(action)}/${encodeURIComponent(sub)}`).catch((e) => explainAuth(e, client));
      println(r.value);
    },
  });
}

function list(): Command {
  return new Command({
    use: 'list',
    short: 'List accounts',
    example: `argocd account list`,
    flags: [outputFlag('wide', 'json|yaml|wide')],
    run: async ({ opts, changed }) => {
      const client = await apiClient(opts, changed);
      const r = await client.get('/api/v1/account').catch((e) => explainAuth(e, client));
      const items: any[] = r.items ?? [];
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(items, opts.output);
      const w = table().row('NAME', 'ENABLED', 'CAPABILITIES');
      for (const a of items) w.row(a.name, !!a.enabled, (a.capabilities ?? []).join(', '));
      io.out(w.flush());
    },
  });
}

async function currentAccount(client: Awaited<ReturnType<typeof apiClient>>): Promise<string> {
  const info = await client.get('/api/v1/session/userinfo').catch((e) => explainAuth(e, client));
  if (!info.loggedIn) throw new CliError("not logged in: run 'argocd login SERVER' first");
  return info.username;
}

function get(): Command {
  return new Command({
    use: 'get',
    short: 'Get account details',
    example: `# Get the currently logged in account details
argocd account get

# Get details for an account by name
argocd account get --account <account-name>`,
    flags: [{ name: 'account', short: 'a', type: 'string', usage: 'Account name. Defaults to the current account.' }, outputFlag('wide', 'json|yaml|wide')],
    run: async ({ opts, changed }) => {
      const client = await apiClient(opts, changed);
      const name = opts.account || (await currentAccount(client));
      const acc = await client.get(`/api/v1/account/${encodeURIComponent(name)}`).catch((e) => explainAuth(e, client));
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(acc, opts.output);
      const f = (k: string, v: string) => io.out(`${k.padEnd(20)}${v}\n`);
      f('Name:', acc.name);
      f('Enabled:', String(!!acc.enabled));
      f('Capabilities:', (acc.capabilities ?? []).join(', '));
      println('\nTokens:');
      const tokens: any[] = acc.tokens ?? [];
      if (!tokens.length) {
        println('NONE');
        return;
      }
      const w = table().row('ID', 'ISSUED AT', 'EXPIRING AT');
      for (const t of tokens) {
        let exp = 'never';
        if (Number(t.expiresAt) > 0) {
          exp = rfc3339(Number(t.expiresAt) * 1000);
          if (Number(t.expiresAt) * 1000 < Date.now()) exp += ' (expired)';
        }
        w.row(t.id, rfc3339(Number(t.issuedAt) * 1000), exp);
      }
      io.out(w.flush());
    },
  });
}

function generateToken(): Command {
  return new Command({
    use: 'generate-token',
    short: 'Generate account token',
    example: `# Generate token for the currently logged in account
argocd account generate-token

# Generate token for the account with the specified name
argocd account generate-token --account <account-name>`,
    flags: [
      { name: 'account', short: 'a', type: 'string', usage: 'Account name. Defaults to the current account.' },
      { name: 'expires-in', short: 'e', type: 'string', usage: 'Duration before the token will expire. (Default: No expiration)', default: '0s' },
      { name: 'id', type: 'string', usage: 'Optional token id. Fall back to uuid if not value specified.' },
    ],
    run: async ({ opts, changed }) => {
      const client = await apiClient(opts, changed);
      const name = opts.account || (await currentAccount(client));
      let secs: number;
      try {
        secs = Math.floor(parseDuration(opts.expiresIn) / 1000);
      } catch (e) {
        throw new CliError(`--expires-in: ${(e as Error).message}`);
      }
      const r = await client.post(`/api/v1/account/${encodeURIComponent(name)}/token`, { name, expiresIn: secs, ...(opts.id ? { id: opts.id } : {}) }).catch((e) => explainAuth(e, client));
      println(r.token);
    },
  });
}

function deleteToken(): Command {
  return new Command({
    use: 'delete-token',
    short: 'Deletes account token',
    example: `# Delete token of the currently logged in account
argocd account delete-token ID

# Delete token of the account with the specified name
argocd account delete-token --account <account-name> ID`,
    flags: [{ name: 'account', short: 'a', type: 'string', usage: 'Account name. Defaults to the current account.' }],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const client = await apiClient(opts, changed);
      const name = opts.account || (await currentAccount(client));
      await client.delete(`/api/v1/account/${encodeURIComponent(name)}/token/${encodeURIComponent(args[0])}`).catch((e) => explainAuth(e, client));
    },
  });
}

export function accountCommand(): Command {
  return new Command({
    use: 'account',
    short: 'Manage account settings',
    example: `  # List accounts
  argocd account list

  # Update the current user's password
  argocd account update-password

  # Can I sync any app?
  argocd account can-i sync applications '*'

  # Get User information
  argocd account get-user-info`,
    run: ({ cmd }) => {
      io.out(cmd.help());
      return 1;
    },
  }).add(updatePassword(), getUserInfo(), canI(), list(), get(), generateToken(), deleteToken());
}
