/** `argo server [flags]` (the argo CLI hands its arguments after `server` here; so does the argocli image). */
import { readFileSync } from 'node:fs';
import { KubeClient } from '@flotilla/kube-runtime';
import { parseArgs, USAGE, UsageError } from './options.js';
import { startServer } from './server.js';
import { newLogger } from './log.js';

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
  process.on('unhandledRejection', (e) => log.error('unhandled error in a background task', { error: (e as Error)?.stack ?? String(e) }));
  if (parsed.ignored.length) log.info('flags accepted for compatibility and not used', { flags: parsed.ignored });
  let kube: KubeClient;
  try {
    kube = new KubeClient(parsed.kubeconfig, { fieldManager: 'argo-server', qps: 50, burst: 100 });
  } catch (e) {
    process.stderr.write(`argo server: ${(e as Error).message}\n`);
    return 1;
  }
  const namespace = parsed.opts.namespace ?? podNamespace() ?? 'argo';
  let srv;
  try {
    srv = await startServer(kube, { ...parsed.opts, namespace, log });
  } catch (e) {
    process.stderr.write(`argo server: ${(e as Error).message}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await srv.close();
  return 0;
}
