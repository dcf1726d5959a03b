#!/usr/bin/env node
/** The `flotilla` command. */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '@flotilla/cli-kit/flags';
import { CLIS, runCli, writeLaunchers } from './clis.js';
import { listComponents, manifestsDir, selectComponents, type Component } from './components.js';
import { ENTRY_POINTS } from './entrypoints.js';
import { FLAGS, HELP } from './help.js';
import { acquireLock, LockHeldError, runningUp, snapshotDataDir, type DataDirLock } from './lock.js';
import { detach, down, exportLines, status } from './ops.js';

export const VERSION = '0.1.0';

function defaultDataDir(): string {
  return process.env.FLOTILLA_DATA_DIR || join(homedir(), '.flotilla');
}

function fail(msg: string, code = 1): never {
  process.stderr.write(`flotilla: ${msg}\n`);
  process.exit(code);
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(HELP[rest[0] ?? ''] ?? HELP['']);
    return;
  }
  const io = { stdout: (t: string) => process.stdout.write(t), stderr: (t: string) => process.stderr.write(t), cwd: process.cwd() };
  // each command loads only what it needs (a pod running an entry point does not load the API server)
  if (cmd === 'render') {
    const { renderCommand } = await import('@flotilla/repo-server');
    process.exitCode = await renderCommand(rest, io);
    return;
  }
  if (cmd === 'helm') {
    if (rest[0] !== 'template') fail(`unknown helm command "${rest[0] ?? ''}": only 'flotilla helm template' is available\nRun 'flotilla helm template --help' for usage.`);
    const { helmTemplateCommand } = await import('@flotilla/helm');
    process.exitCode = await helmTemplateCommand(rest.slice(1), io);
    return;
  }
  if (cmd === 'demo') {
    const { demoCommand } = await import('./demo.js');
    process.exitCode = await demoCommand(rest, io, { help: HELP.demo, defaultDataDir: defaultDataDir() });
    return;
  }
  // the Argo command lines (the same table the <data-dir>/bin launchers are written from)
  const cli = CLIS.find((c) => c.name === cmd);
  if (cli) {
    process.exitCode = await runCli(cli, rest, io.stderr);
    return;
  }
  // entry points of Flotilla's image, run by pods
  const entry = ENTRY_POINTS[cmd];
  if (entry) {
    process.exitCode = (await entry.run(rest)) ?? 0;
    return;
  }
  if (!(cmd in FLAGS)) fail(`unknown command "${cmd}"\nRun 'flotilla --help' for usage.`);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: rest, options: FLAGS[cmd as keyof typeof FLAGS], strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
  } catch (e) {
    fail(`${(e as Error).message}\nRun 'flotilla ${cmd} --help' for usage.`);
  }
  if (values.help) {
    process.stdout.write(HELP[cmd]);
    return;
  }
  const dataDir = resolve(String(values['data-dir'] ?? defaultDataDir()));
  switch (cmd) {
    case 'version':
      process.stdout.write(`flotilla ${VERSION}\n`);
      return;
    case 'kubeconfig': {
      const p = join(dataDir, 'kubeconfig');
      if (!existsSync(p)) fail(`no kubeconfig in ${dataDir}: run 'flotilla up${values['data-dir'] ? ` --data-dir ${dataDir}` : ''}' first`);
      process.stdout.write(values.path ? `${p}\n` : readFileSync(p, 'utf8'));
      return;
    }
    case 'down': {
      const t = String(values.timeout ?? '120');
      if (!/^\d+$/.test(t)) fail(`--timeout: "${t}" is not a number of seconds`);
      process.exitCode = await down(dataDir, Number(t) * 1000, io);
      return;
    }
    case 'status':
      process.exitCode = await status(dataDir, io);
      return;
    case 'up': {
      const portStr = String(values.port ?? '6443');
      const port = Number(portStr);
      if (!/^\d+$/.test(portStr) || port > 65535) fail(`--port: "${portStr}" is not a valid port number`);
      const sandbox = String(values.sandbox ?? 'auto');
      if (!['auto', 'bwrap', 'none'].includes(sandbox)) fail(`--sandbox: "${sandbox}" is not one of auto, bwrap, none`);
      const network = String(values.network ?? 'auto');
      if (!['auto', 'netns', 'host'].includes(network)) fail(`--network: "${network}" is not one of auto, netns, host`);
      if (values.components !== undefined && values['no-components']) fail('--components and --no-components cannot be used together');
      // (unset: the API server's default, kube-apiserver's 1 h)
      let eventTtlSeconds: number | undefined;
      if (values['event-ttl'] !== undefined) {
        try {
          eventTtlSeconds = parseDuration(String(values['event-ttl'])) / 1000;
        } catch (e) {
          fail(`--event-ttl: ${(e as Error).message}`);
        }
        if (eventTtlSeconds! < 0) fail(`--event-ttl: "${values['event-ttl']}" is negative`);
      }
      const waitStr = String(values['components-timeout'] ?? '300');
      if (!/^\d+$/.test(waitStr)) fail(`--components-timeout: "${waitStr}" is not a number of seconds`);
      let components: Component[] = [];
      try {
        components = selectComponents(listComponents(manifestsDir(values['manifests-dir'] as string | undefined)), values.components as string | undefined, !!values['no-components']);
      } catch (e) {
        fail((e as Error).message);
      }
      if (values.detach) {
        // the same command without --detach, in the background
        const args = rest.filter((a) => a !== '--detach' && a !== '-d');
        const i = args.findIndex((a) => a === '--data-dir' || a.startsWith('--data-dir='));
        if (i >= 0) args.splice(i, args[i].includes('=') ? 1 : 2);
        if (values['manifests-dir']) {
          const j = args.findIndex((a) => a === '--manifests-dir' || a.startsWith('--manifests-dir='));
          args.splice(j, args[j].includes('=') ? 1 : 2, '--manifests-dir', resolve(String(values['manifests-dir'])));
        }
        process.exitCode = await detach({ dataDir, main: fileURLToPath(import.meta.url), args, timeoutMs: 15 * 60_000 }, io);
        return;
      }
      const { startApiServer } = await import('@flotilla/apiserver');
      const { CONTROLLER_NAMES, startControllers } = await import('@flotilla/controllers');
      const { KubeClient } = await import('@flotilla/kube-runtime');
      const { installComponents } = await import('./components-install.js');
      // one `flotilla up` per data dir, checked before anything in it is opened or made
      const running = runningUp(dataDir);
      if (running) fail(new LockHeldError(dataDir, running).message);
      const made = snapshotDataDir(dataDir);
      let lock: DataDirLock;
      try {
        mkdirSync(dataDir, { recursive: true, mode: 0o700 });
        lock = acquireLock(dataDir, { port, host: String(values.host ?? '127.0.0.1') });
      } catch (e) {
        // another up won the race for a fresh dir: everything in it is its own
        if (!(e instanceof LockHeldError)) made.undo();
        fail((e as Error).message);
      }
      // a failed start leaves no half-made data dir behind (a fresh one is removed again)
      const abort: (msg: string) => never = (msg) => {
        lock.release();
        made.undo();
        fail(msg);
      };
      // Ctrl-C or SIGTERM while starting: the same as a failed start
      const early = (sig: string) => abort(`${sig} received while starting: stopped`);
      const earlyInt = () => early('SIGINT');
      const earlyTerm = () => early('SIGTERM');
      process.on('SIGINT', earlyInt);
      process.on('SIGTERM', earlyTerm);
      process.on('uncaughtException', (e) => {
        if (lock.info.state === 'starting') abort(e.stack ?? String(e));
        fail(e.stack ?? String(e));
      });
      let server;
      try {
        server = await startApiServer({ dataDir, port, host: String(values.host ?? '127.0.0.1'), eventTtlSeconds });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EADDRINUSE') abort(`port ${port} is already in use: is another 'flotilla up' running? Use --port to pick another one.`);
        abort(err.stack ?? String(err));
      }
      const kc = server.writeKubeconfig();
      // the workload controllers and the scheduler, as API clients of the server, each with an
      // identity of its own that RBAC's bootstrap policy grants just what it needs (not admin)
      const log = process.env.FLOTILLA_DEBUG ? (m: string) => process.stderr.write(`controllers: ${m}\n`) : undefined;
      const scheduler = await startControllers({ kubeconfig: server.writeIdentityKubeconfig('system:kube-scheduler'), controllers: ['scheduler'], log });
      const manager = await startControllers({
        kubeconfig: server.writeIdentityKubeconfig('system:kube-controller-manager'),
        controllers: CONTROLLER_NAMES.filter((n) => n !== 'scheduler'),
        caPem: server.caPem,
        // the local-path provisioner's volumes (StorageClass "local-path", the default)
        storageDir: join(dataDir, 'storage'),
        log,
      });
      const controllers = { stop: () => Promise.all([manager.stop(), scheduler.stop()]) };
      // the node: pods bound to flotilla-node run here as local processes. The agent is a process
      // of its own (an API client like a kubelet), so it does not share an event loop with the server.
      let agent: AgentProcess | undefined;
      let stopping = false;
      if (!values['no-node']) {
        try {
          // the node agent runs as system:node:<node> (group system:nodes); the server proxies logs,
          // exec and port-forward to it with a kubelet-client token of its own
          const nodeName = 'flotilla-node';
          const nodeKc = server.writeIdentityKubeconfig(`system:node:${nodeName}`, ['system:nodes']);
          const agentOpts = { kubeconfig: nodeKc, nodeName, dataDir: join(dataDir, 'node'), hidePaths: [dataDir], sandbox, network };
          const token = server.useKubeletClientToken();
          // an agent that exits on its own is started again, as a service manager restarts a kubelet: the new one
          // adopts the pods that kept running (back-off 1 s, doubling to 30 s; reset after 5 min up)
          let backoffMs = 1000;
          const supervise = (since: number) => (how: string) => {
            if (stopping) return;
            if (Date.now() - since > 300_000) backoffMs = 1000;
            process.stderr.write(`flotilla: the node agent exited (${how}); starting it again in ${backoffMs / 1000} s\n`);
            const wait = backoffMs;
            backoffMs = Math.min(backoffMs * 2, 30_000);
            setTimeout(() => {
              if (stopping) return;
              startAgentProcess(agentOpts, token, supervise(Date.now())).then(
                (a) => {
                  agent = a;
                  process.stderr.write(`flotilla: the node agent is running again\n`);
                },
                (e) => supervise(Date.now())(`failed to start: ${(e as Error).message}`),
              );
            }, wait);
          };
          agent = await startAgentProcess(agentOpts, token, supervise(Date.now()));
        } catch (e) {
          await controllers.stop();
          await server.close();
          abort((e as Error).message);
        }
      }
      lock.update({ state: 'up', port: server.port, url: server.url, kubeconfig: kc });
      process.stdout.write(
        `flotilla: embedded cluster is up at ${server.url} (data in ${dataDir})\n` +
          (agent ? `flotilla: node ${agent.nodeName} is ready (sandbox: ${agent.sandbox}, network: ${agent.network})\n` : ''),
      );
      const stop = async (sig: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`flotilla: ${sig} received, stopping…\n`);
        if (agent) await agent.stop();
        await controllers.stop();
        await server.close();
        lock.release();
        process.stdout.write('flotilla: stopped\n');
        process.exit(0);
      };
      process.removeListener('SIGINT', earlyInt);
      process.removeListener('SIGTERM', earlyTerm);
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
      // the Argo command lines this build has, as launchers on the printed PATH
      const bin = writeLaunchers(join(dataDir, 'bin'));
      if (bin.written.length) process.stdout.write(`flotilla: ${join(dataDir, 'bin')}: ${bin.written.join(', ')}\n`);
      // the Argo components, from their install manifests
      // a manifest is tens of objects, applied and then followed: kubectl's default rate (qps 5, burst 10) would
      // hold the installer back and print client-side throttling warnings
      const client = new KubeClient(kc, { fieldManager: 'flotilla', qps: 50, burst: 100 });
      const results = await installComponents({ client, components, wait: !!agent, timeoutMs: Number(waitStr) * 1000, log: (l) => process.stdout.write(`flotilla: ${l}\n`) });
      client.close();
      if (stopping) return;
      lock.update({ state: 'ready', components: results.map((r) => ({ name: r.name, namespace: r.namespace, manifest: r.manifest, deployments: r.deployments, error: r.error })) });
      process.stdout.write(`To use it with kubectl and the Argo command lines:\n\n${exportLines(dataDir, kc)}\nPress Ctrl-C or run 'flotilla down${values['data-dir'] ? ` --data-dir ${dataDir}` : ''}' to stop.\n`);
      return;
    }
  }
}

interface AgentProcess {
  nodeName: string;
  sandbox: string;
  network: string;
  stop(): Promise<void>;
}

/** Runs the node agent in a child process (agent-child.ts); resolves once its node is ready. */
function startAgentProcess(o: { kubeconfig: string; nodeName: string; dataDir: string; hidePaths: string[]; sandbox: string; network: string }, kubeletToken: string, onExit: (how: string) => void): Promise<AgentProcess> {
  return new Promise((resolve, reject) => {
    // a small entry point of its own: the agent's process loads only the node agent
    const child = fork(fileURLToPath(new URL('./agent-child.js', import.meta.url)), [JSON.stringify(o)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // in the environment, not argv: other users can read a process's argv
      env: { ...process.env, FLOTILLA_KUBELET_TOKEN: kubeletToken },
    });
    let ready = false;
    let stopped = false;
    child.on('message', (m: any) => {
      if (m?.t === 'ready') {
        ready = true;
        resolve({
          nodeName: m.nodeName,
          sandbox: m.sandbox,
          network: m.network,
          stop: () =>
            new Promise<void>((res) => {
              stopped = true;
              if (child.exitCode !== null || child.signalCode !== null) return res();
              child.once('exit', () => res());
              child.send({ t: 'stop' });
            }),
        });
      } else if (m?.t === 'error') reject(new Error(m.message));
    });
    child.on('exit', (code, signal) => {
      if (!ready) reject(new Error(`the node agent exited (${code ?? signal}) before its node was ready`));
      else if (!stopped) onExit(code !== null ? `code ${code}` : `signal ${signal}`);
    });
  });
}

main(process.argv.slice(2)).catch((e) => fail((e as Error).stack ?? String(e)));
