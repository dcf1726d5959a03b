/** `argocd admin …`: commands that talk to the Kubernetes API directly (no argocd-server). */
import { randomBytes } from 'node:crypto';
import { Command } from '@flotilla/cli-kit/command';
import { io, println } from '@flotilla/cli-kit/io';
import { CliError, isApiError, kubeClient, kubeFlags, kubeNamespace, RES as R } from '../session.js';
import { settingsCommand } from './admin-settings.js';
import { notificationsCommand } from './admin-notifications.js';

const group = (use: string, short: string, ...children: Command[]) =>
  new Command({
    use,
    short,
    run: ({ cmd }) => {
      io.out(cmd.help());
      return 1;
    },
  }).add(...children);

function initialPassword(): Command {
  return new Command({
    use: 'initial-password',
    short: 'Prints initial password to log in to Argo CD, if still exists',
    long: 'Prints initial password to log in to Argo CD, if still exists',
    flags: kubeFlags(),
    args: { max: 0 },
    run: async ({ opts }) => {
      const ns = kubeNamespace(opts);
      const k = await kubeClient(opts);
      let secret: any;
      try {
        secret = await k.get(R.secrets, ns, 'argocd-initial-admin-secret');
      } catch (e) {
        if (isApiError(e)) throw new CliError(e.code === 404 ? `secrets "argocd-initial-admin-secret" not found` : e.message);
        throw new CliError((e as Error).message);
      }
      const b64 = secret.data?.password;
      if (!b64) throw new CliError('secret argocd-initial-admin-secret has no key password');
      println(Buffer.from(b64, 'base64').toString('utf8'));
      println();
      println(' This password must be only used for first time login. We strongly recommend you update the password using `argocd account update-password`.');
    },
  });
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function randomPassword(n: number): string {
  const b = randomBytes(n * 2);
  let s = '';
  for (let i = 0; s.length < n && i < b.length; i++) if (b[i] < 248) s += ALNUM[b[i] % 62];
  return s.length === n ? s : randomPassword(n);
}

function redisInitialPassword(): Command {
  return new Command({
    use: 'redis-initial-password',
    short: 'Ensure the Redis password exists, creating a new one if necessary.',
    long: 'Ensure the Redis password exists, creating a new one if necessary.',
    flags: kubeFlags(),
    args: { max: 0 },
    run: async ({ opts }) => {
      const ns = kubeNamespace(opts);
      const k = await kubeClient(opts);
      const name = 'argocd-redis';
      try {
        await k.create(R.secrets, ns, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace: ns },
          type: 'Opaque',
          data: { auth: Buffer.from(randomPassword(16)).toString('base64') },
        } as any);
      } catch (e) {
        if (!isApiError(e, 409)) throw new CliError((e as Error).message);
      }
      println(`Argo CD Redis secret state confirmed: secret name ${name}.`);
      const s: any = await k.get(R.secrets, ns, name).catch((e) => {
        throw new CliError((e as Error).message);
      });
      if (s.data?.auth !== undefined) println('Password secret is configured properly.');
      else throw new CliError(`key auth doesn't exist in secret ${name}.`);
    },
  });
}

export function adminCommand(): Command {
  return new Command({
    use: 'admin',
    short: 'Contains a set of commands useful for Argo CD administrators and requires direct Kubernetes access',
    example: `# Access the Argo CD web UI
$ argocd admin dashboard

# Reset the initial admin password
$ argocd admin initial-password reset
`,
    run: ({ cmd }) => {
      io.out(cmd.help());
      return 1;
    },
  }).add(initialPassword(), redisInitialPassword(), settingsCommand(group), notificationsCommand(group));
}
