/** `argocd relogin`: a new session for the current context — its password again, or SSO when it was an SSO login. */
import { Command } from '@flotilla/cli-kit/command';
import { println } from '@flotilla/cli-kit/io';
import { jwtClaims, resolveContext, upsertUser, usernameOf, writeConfig } from '../config.js';
import { CliError, configPath, connection, loadConfig } from '../session.js';
import { passwordLogin, promptCredentials } from './session.js';

export function reloginCommand(): Command {
  return new Command({
    use: 'relogin',
    short: 'Refresh an expired authenticate token',
    long: 'Refresh an expired authenticate token',
    example: `# Reinitiates the login with previous contexts
argocd relogin

# Reinitiates the login with password
argocd relogin --password YOUR_PASSWORD`,
    args: { max: 0 },
    flags: [
      { name: 'password', type: 'string', usage: 'The password of an account to authenticate' },
      { name: 'sso-launch-browser', type: 'bool', usage: 'Automatically launch the system default browser when performing SSO login', default: true },
      { name: 'sso-port', type: 'int', usage: 'Port to run local OAuth2 login application', default: 8085 },
    ],
    run: async ({ opts, changed }) => {
      const cfg = loadConfig(opts);
      if (!cfg || !cfg['current-context']) throw new CliError("no context to log in again to: run 'argocd login SERVER' first");
      const ctx = resolveContext(cfg, opts.argocdContext || undefined);
      if (ctx.server.core) throw new CliError(`context '${ctx.name}' uses --core: there is no session to renew`);
      const c = connection({ ...opts, argocdContext: ctx.name }, changed);
      const { ApiClient } = await import('../client.js');
      const client = new ApiClient({ server: c.server, insecure: c.insecure, plaintext: c.plaintext, grpcWeb: c.grpcWeb, grpcWebRootPath: c.grpcWebRootPath, headers: opts.header });
      try {
        const old = jwtClaims(ctx.user['auth-token']);
        let token: string;
        let refreshToken: string | undefined;
        if (old.iss && old.iss !== 'argocd') {
          const t = await (await import('../sso.js')).ssoLogin(client, { port: Number(opts.ssoPort), insecure: c.insecure, launchBrowser: !!opts.ssoLaunchBrowser });
          token = t.idToken;
          refreshToken = t.refreshToken;
          println('Authentication successful');
        } else {
          const user = usernameOf(old.sub);
          if (!user) throw new CliError(`context '${ctx.name}' has no previous login to renew: run 'argocd login ${ctx.server.server}'`);
          const [u, p] = await promptCredentials(user, opts.password);
          token = await passwordLogin(client, u, p);
        }
        upsertUser(cfg, { name: ctx.user.name, 'auth-token': token, ...(refreshToken ? { 'refresh-token': refreshToken } : {}) });
        writeConfig(configPath(opts), cfg);
        println(`Context '${ctx.name}' updated`);
      } finally {
        client.close();
      }
    },
  });
}
