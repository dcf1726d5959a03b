#!/usr/bin/env node
/** The `flotilla` command. */
import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startApiServer } from '@flotilla/apiserver';
import { renderCommand } from '@flotilla/repo-server';
import { helmTemplateCommand } from '@flotilla/helm';
import { CONTROLLER_NAMES, startControllers } from '@flotilla/controllers';

export const VERSION = '0.1.0';

const HELP: Record<string, string> = {
  '': `flotilla — the Argo suite with an embedded Kubernetes-compatible cluster

Usage:
  flotilla <command> [flags]

Commands:
  up             Start the embedded cluster in the foreground and write a kubeconfig
  kubeconfig     Print the kubeconfig of the embedded cluster
  render         Render an application's manifests from Git like Argo CD's repo server
  helm template  Render a Helm chart locally, like 'helm template'
  version        Print the version

Run 'flotilla <command> --help' for a command's flags.
`,
  up: `Start the embedded cluster in the foreground.

Starts the Kubernetes-compatible API server (HTTPS, bearer-token auth, durable storage under the
data directory), the workload controllers with the scheduler (Deployment, ReplicaSet,
StatefulSet, DaemonSet, Job, CronJob, Endpoints, namespace defaults, local-path volumes) and the
node agent, which registers the Node "flotilla-node" and runs its pods as sandboxed local
processes (bubblewrap when installed; a network namespace per pod when run as root). Writes
<data-dir>/kubeconfig and prints the 'export KUBECONFIG=…' line to use it with kubectl.

Stops cleanly on Ctrl-C (SIGINT) or SIGTERM: the pods' processes are stopped too, and started
again (per restartPolicy) by the next 'flotilla up'. State survives restarts. If the process is
killed (SIGKILL), the pods keep running and the next 'flotilla up' re-adopts them.

Usage:
  flotilla up [flags]

Flags:
      --data-dir string   where state, certificates and the kubeconfig live (default "~/.flotilla", or $FLOTILLA_DATA_DIR)
      --port int          API server port (default 6443; 0 picks a free port)
      --host string       address to listen on (default "127.0.0.1")
      --no-node           start no node agent (pods stay Pending until a node joins)
      --sandbox string    pod sandbox: auto, bwrap or none (default "auto": bubblewrap when it works)
      --network string    pod network: auto, netns or host (default "auto": a network namespace per pod when possible)
  -h, --help              help for up
`,
  kubeconfig: `Print the kubeconfig of the embedded cluster (written by 'flotilla up').

Usage:
  flotilla kubeconfig [flags]

Flags:
      --data-dir string   the data directory (default "~/.flotilla", or $FLOTILLA_DATA_DIR)
      --path              print only the kubeconfig file's path
  -h, --help              help for kubeconfig
`,
  version: `Print the version of flotilla.

Usage:
  flotilla version
`,
};

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
  if (cmd === 'render') {
    process.exitCode = await renderCommand(rest, io);
    return;
  }
  if (cmd === 'helm') {
    if (rest[0] !== 'template') fail(`unknown helm command "${rest[0] ?? ''}": only 'flotilla helm template' is available\nRun 'flotilla helm template --help' for usage.`);
    process.exitCode = await helmTemplateCommand(rest.slice(1), io);
    return;
  }
  if (!(cmd in HELP)) fail(`unknown command "${cmd}"\nRun 'flotilla --help' for usage.`);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        path: { type: 'boolean' },
        'no-node': { type: 'boolean' },
        sandbox: { type: 'string' },
        network: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
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
    case 'up': {
      const portStr = String(values.port ?? '6443');
      const port = Number(portStr);
      if (!/^\d+$/.test(portStr) || port > 65535) fail(`--port: "${portStr}" is not a valid port number`);
      const sandbox = String(values.sandbox ?? 'auto');
      if (!['auto', 'bwrap', 'none'].includes(sandbox)) fail(`--sandbox: "${sandbox}" is not one of auto, bwrap, none`);
      const network = String(values.network ?? 'auto');
      if (!['auto', 'netns', 'host'].includes(network)) fail(`--network: "${network}" is not one of auto, netns, host`);
      let server;
      try {
        server = await startApiServer({ dataDir, port, host: String(values.host ?? '127.0.0.1') });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EADDRINUSE') fail(`port ${port} is already in use: is another 'flotilla up' running? Use --port to pick another one.`);
        throw e;
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
      if (!values['no-node']) {
        try {
          // the node agent runs as system:node:<node> (group system:nodes); the server proxies logs,
          // exec and port-forward to it with a kubelet-client token of its own
          const nodeName = 'flotilla-node';
          const nodeKc = server.writeIdentityKubeconfig(`system:node:${nodeName}`, ['system:nodes']);
          agent = await startAgentProcess({ kubeconfig: nodeKc, nodeName, dataDir: join(dataDir, 'node'), hidePaths: [dataDir], sandbox, network }, server.useKubeletClientToken());
        } catch (e) {
          await controllers.stop();
          await server.close();
          fail((e as Error).message);
        }
      }
      process.stdout.write(
        `flotilla: embedded cluster is up at ${server.url} (data in ${dataDir})\n` +
          (agent ? `flotilla: node ${agent.nodeName} is ready (sandbox: ${agent.sandbox}, network: ${agent.network})\n` : '') +
          `To use it with kubectl:\n\n  export KUBECONFIG=${kc}\n\nPress Ctrl-C to stop.\n`,
      );
      let stopping = false;
      const stop = async (sig: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`flotilla: ${sig} received, stopping…\n`);
        if (agent) await agent.stop();
        await controllers.stop();
        await server.close();
        process.stdout.write('flotilla: stopped\n');
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
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
function startAgentProcess(o: { kubeconfig: string; nodeName: string; dataDir: string; hidePaths: string[]; sandbox: string; network: string }, kubeletToken: string): Promise<AgentProcess> {
  return new Promise((resolve, reject) => {
    // a small entry point of its own: the agent's process loads only the node agent
    const child = fork(fileURLToPath(new URL('./agent-child.js', import.meta.url)), [JSON.stringify(o)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // in the environment, not argv: other users can read a process's argv
      env: { ...process.env, FLOTILLA_KUBELET_TOKEN: kubeletToken },
    });
    let ready = false;
    child.on('message', (m: any) => {
      if (m?.t === 'ready') {
        ready = true;
        resolve({
          nodeName: m.nodeName,
          sandbox: m.sandbox,
          network: m.network,
          stop: () =>
            new Promise<void>((res) => {
              if (child.exitCode !== null) return res();
              child.once('exit', () => res());
              child.send({ t: 'stop' });
            }),
        });
      } else if (m?.t === 'error') reject(new Error(m.message));
    });
    child.on('exit', (code) => {
      if (!ready) reject(new Error(`the node agent exited (${code}) before its node was ready`));
      else if (code !== 0) process.stderr.write(`flotilla: the node agent exited with ${code}\n`);
    });
  });
}

main(process.argv.slice(2)).catch((e) => fail((e as Error).stack ?? String(e)));
