/**
 * `argocd admin redis-initial-password`, as upstream's install manifest runs it in the init
 * container of `argocd-redis`: makes sure the Secret `argocd-redis` (key `auth`) exists in the
 * namespace, creating it with a random password when it does not; an existing password is kept.
 * (Lives here, not in the argocd CLI package, so that upstream's install starts on its own; the
 * image's `argocd` program routes this one sub-command here, see argocd-image.ts.)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const REDIS_SECRET = 'argocd-redis';
const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export const HELP = `Ensure the Redis password exists, creating a new one if necessary.

Usage:
  argocd admin redis-initial-password [flags]

Flags:
  -n, --namespace string    namespace of the Secret (default: the pod's namespace, else argocd)
      --kubeconfig string   path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)
      --password-length int length of a new password (default 16)
  -h, --help                help for redis-initial-password
`;

/** A password of letters and digits (no characters a shell or a URL would mangle). */
export function newPassword(length = 16): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const out: string[] = [];
  while (out.length < length) for (const b of randomBytes(length * 2)) if (b < 248 && out.length < length) out.push(alphabet[b % 62]!);
  return out.join('');
}

export async function main(argv: string[]): Promise<number> {
  let namespace: string | undefined;
  let kubeconfig: string | undefined;
  let length = 16;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`flag ${flag} needs a value`);
      return v;
    };
    try {
      if (flag === '-h' || flag === '--help') {
        process.stdout.write(HELP);
        return 0;
      } else if (flag === '-n' || flag === '--namespace') namespace = value();
      else if (flag === '--kubeconfig') kubeconfig = value();
      else if (flag === '--password-length') {
        length = Number(value());
        if (!Number.isInteger(length) || length < 8 || length > 128) throw new Error('--password-length must be a whole number from 8 to 128');
      } else throw new Error(`unknown flag: ${a}`);
    } catch (e) {
      process.stderr.write(`argocd admin redis-initial-password: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const { KubeClient, R, isNotFound, isAlreadyExists } = await import('@flotilla/kube-runtime');
  let client: InstanceType<typeof KubeClient>;
  try {
    client = new KubeClient(kubeconfig, { fieldManager: 'argocd' });
  } catch (e) {
    process.stderr.write(`argocd admin redis-initial-password: no Kubernetes credentials: ${(e as Error).message}\n`);
    return 1;
  }
  if (!namespace) {
    try {
      namespace = readFileSync(SA_NAMESPACE, 'utf8').trim();
    } catch {
      namespace = 'argocd';
    }
  }
  try {
    try {
      const s = await client.get(R.secrets, namespace, REDIS_SECRET);
      if ((s as { data?: Record<string, string> }).data?.['auth']) {
        process.stdout.write(`Argo CD Redis secret state confirmed: secret name ${REDIS_SECRET}.\n`);
        return 0;
      }
      // there but without a password: add one, keeping the rest
      await client.patch(R.secrets, namespace, REDIS_SECRET, { stringData: { auth: newPassword(length) } }, 'merge');
      process.stdout.write(`Argo CD Redis secret state confirmed: secret name ${REDIS_SECRET}.\n`);
      return 0;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    try {
      await client.create(R.secrets, namespace, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: REDIS_SECRET, namespace, labels: { 'app.kubernetes.io/part-of': 'argocd' } },
        type: 'Opaque',
        stringData: { auth: newPassword(length) },
      } as never);
      process.stdout.write(`Argo CD Redis secret created: secret name ${REDIS_SECRET}.\n`);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e; // another replica made it first: keep theirs
      process.stdout.write(`Argo CD Redis secret state confirmed: secret name ${REDIS_SECRET}.\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`argocd admin redis-initial-password: cannot ensure Secret ${namespace}/${REDIS_SECRET}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    client.close(); // its keep-alive sockets would hold the process (an init container) open
  }
}
