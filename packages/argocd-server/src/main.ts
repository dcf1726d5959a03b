/** `argocd-server` entry point. */
import { readFileSync } from 'node:fs';
import { KubeClient } from '@flotilla/kube-runtime';
import { parseArgs, USAGE, UsageError } from './options.js';
import { startServer } from './server.js';
import { newLogger } from './log.js';
import { repoClient } from './repo.js';

/** The namespace of the pod we run in (service account mount), else undefined. */
function podNamespace(): string | undefined {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return process.env.POD_NAMESPACE || undefined;
  }
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`Error: ${e.message}\n${USAGE}`);
      return 1;
    }
    throw e;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = newLogger(parsed.opts.loglevel ?? 'info', undefined, parsed.opts.logformat ?? 'text');
  // one failed background task must not take the server down: it is logged, the rest keeps serving
  process.on('unhandledRejection', (e) => log.error('unhandled error in a background task', { error: (e as Error)?.stack ?? String(e) }));
  if (parsed.ignored.length) log.info('flags accepted for compatibility and not used', { flags: parsed.ignored });
  const namespace = parsed.opts.namespace ?? podNamespace() ?? 'argocd';
  let client: KubeClient;
  try {
    client = new KubeClient(parsed.kubeconfig, { fieldManager: 'argocd-server', qps: 50, burst: 100 });
  } catch (e) {
    process.stderr.write(`argocd-server: ${(e as Error).message}\n`);
    return 1;
  }
  const repoServer = parsed.opts.repoServer ?? 'argocd-repo-server:8081';
  const srv = await startServer(client, { ...parsed.opts, namespace, log, repo: await repoClient(repoServer) });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await srv.close();
  return 0;
}
