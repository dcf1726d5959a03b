#!/usr/bin/env node
/**
 * The built-in controllers as a process of their own (a kube-controller-manager):
 *
 *   node dist/manager.js [--kubeconfig PATH] [--namespace NS] [--controllers a,b] [--storage-dir DIR]
 *                        [--bind-address 127.0.0.1:10257] [--leader-elect [--leader-elect-lease-duration 15s …]]
 *
 * Credentials come from --kubeconfig, $KUBECONFIG or the in-cluster service account. `/healthz`,
 * `/readyz` and `/metrics` are served on --bind-address (port 0: any; the address is printed).
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { KubeConfigError, enableMetrics, leaderElectionFromArgs, serveHealth } from '@flotilla/kube-runtime';
import { CONTROLLER_NAMES, startControllers, type ControllerName } from './index.js';

export async function controllerManager(argv: string[], log: (m: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      controllers: { type: 'string' },
      'storage-dir': { type: 'string' },
      'bind-address': { type: 'string', default: '127.0.0.1:10257' },
    },
  });
  const names = values.controllers ? String(values.controllers).split(',').map((s) => s.trim()) : undefined;
  for (const n of names ?? []) if (!(CONTROLLER_NAMES as readonly string[]).includes(n)) throw new Error(`--controllers: unknown controller "${n}" (known: ${CONTROLLER_NAMES.join(', ')})`);
  const bind = String(values['bind-address']);
  const m = /^(.*):(\d+)$/.exec(bind);
  if (!m) throw new Error(`--bind-address: "${bind}" is not host:port`);
  const le = leaderElectionFromArgs(argv);
  enableMetrics(); // before the work it measures
  const running = await startControllers({
    kubeconfig: values.kubeconfig as string | undefined,
    namespace: values.namespace as string | undefined,
    controllers: names as ControllerName[] | undefined,
    storageDir: values['storage-dir'] as string | undefined,
    leaderElection: le ?? false,
    log,
  });
  const health = await serveHealth({
    host: m[1],
    port: Number(m[2]),
    healthz: { ping: () => true },
    readyz: { controllers: () => !running.isLeader() || running.controllers.length > 0 || 'starting the controllers' },
  });
  log(`serving /healthz /readyz /metrics on ${health.url}${le ? ' (leader election on)' : ''}`);
  return {
    url: health.url,
    async stop() {
      await running.stop();
      await health.close();
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const log = (m: string) => process.stderr.write(`controller-manager: ${m}\n`);
  controllerManager(process.argv.slice(2), log).then(
    (cm) => {
      const stop = () => void cm.stop().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (e) => {
      log(e instanceof KubeConfigError ? e.message : `cannot start: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
