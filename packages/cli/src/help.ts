/** Help texts of the `flotilla` commands (each one states what the command does; tests check them against its behaviour). */
import { CLIS } from './clis.js';
import { COMPONENTS } from './components.js';
import { ENTRY_POINTS } from './entrypoints.js';

/** Flags of each command (parsed strictly: a flag of another command is an error). */
const DATA_DIR = { 'data-dir': { type: 'string' } } as const;
const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const;
export const FLAGS = {
  up: {
    ...DATA_DIR,
    ...HELP_FLAG,
    port: { type: 'string' },
    host: { type: 'string' },
    'no-node': { type: 'boolean' },
    sandbox: { type: 'string' },
    network: { type: 'string' },
    components: { type: 'string' },
    'no-components': { type: 'boolean' },
    'manifests-dir': { type: 'string' },
    'components-timeout': { type: 'string' },
    'event-ttl': { type: 'string' },
    detach: { type: 'boolean', short: 'd' },
  },
  down: { ...DATA_DIR, ...HELP_FLAG, timeout: { type: 'string' } },
  status: { ...DATA_DIR, ...HELP_FLAG },
  kubeconfig: { ...DATA_DIR, ...HELP_FLAG, path: { type: 'boolean' } },
  version: { ...HELP_FLAG },
} as const;

const DATA_DIR_FLAG = `      --data-dir string   the data directory (default "~/.flotilla", or $FLOTILLA_DATA_DIR)`;

export const HELP: Record<string, string> = {
  '': `flotilla — the Argo suite with an embedded Kubernetes-compatible cluster

Usage:
  flotilla <command> [flags]

Commands:
  up             Start the embedded cluster and the Argo components, write a kubeconfig and <data-dir>/bin
  down           Stop the cluster of a data directory and wait until it has exited
  status         Show whether the cluster of a data directory runs: pid, API server, node, components
  kubeconfig     Print the kubeconfig of the embedded cluster
  render         Render an application's manifests from Git like Argo CD's repo server
  helm template  Render a Helm chart locally, like 'helm template'
  demo pipeline  Create the push-to-production demo (Git server, Events, Workflows, Argo CD, Rollouts); --push <color>
  version        Print the version

Argo command lines (also on PATH as <data-dir>/bin/<name> after 'flotilla up', when this build has them):
${CLIS.map((c) => `  ${c.name.padEnd(22)} ${c.what}`).join('\n')}

Entry points of Flotilla's image (flotilla/flotilla), run by pods:
${Object.entries(ENTRY_POINTS)
  .map(([n, e]) => `  ${n.padEnd(22)} ${e.what}`)
  .join('\n')}

Run 'flotilla <command> --help' for a command's flags.
`,
  up: `Start the embedded cluster and install the Argo components.

Starts the Kubernetes-compatible API server (HTTPS, bearer-token auth, durable storage under the
data directory), the workload controllers with the scheduler (Deployment, ReplicaSet,
StatefulSet, DaemonSet, Job, CronJob, Endpoints, namespace defaults, local-path volumes) and the
node agent, which registers the Node "flotilla-node" and runs its pods as sandboxed local
processes (bubblewrap when installed; a network namespace per pod when run as root).

Then installs the Argo components this build has (${COMPONENTS.map((c) => c.name).join(', ')}), each
from its install manifest <manifests-dir>/<component>/install.yaml, applied server-side with the
field manager "flotilla" at every start (idempotent), and waits until their Deployments are
available, printing progress. A component without a manifest is reported as not part of this
build yet. Writes <data-dir>/kubeconfig and <data-dir>/bin (launchers of the Argo command lines
this build has) and prints the two lines to use them:

  export KUBECONFIG=<data-dir>/kubeconfig
  export PATH=<data-dir>/bin:$PATH

Only one 'flotilla up' runs per data directory: a second one is refused, naming the running
one's pid and port (<data-dir>/up.lock; a lock left by a killed process is taken over). A first
start that fails (e.g. the port is busy) leaves no data directory behind.

Stops cleanly on Ctrl-C (SIGINT), SIGTERM or 'flotilla down': the pods' processes are stopped
too, and started again (per restartPolicy) by the next 'flotilla up'. State survives restarts.
If the process is killed (SIGKILL), the pods keep running and the next 'flotilla up' re-adopts them.

Usage:
  flotilla up [flags]

Flags:
${DATA_DIR_FLAG.replace('the data directory', 'where state, certificates and the kubeconfig live')}
      --port int          API server port (default 6443; 0 picks a free port)
      --host string       address to listen on (default "127.0.0.1")
      --no-node           start no node agent (pods stay Pending until a node joins; components are applied, not waited for)
      --sandbox string    pod sandbox: auto, bwrap or none (default "auto": bubblewrap when it works)
      --network string    pod network: auto, netns or host (default "auto": a network namespace per pod when possible)
      --components list   install only these components, comma-separated (default: all with a manifest)
      --no-components     install no component
      --components-timeout int  seconds to wait for a component's Deployments to be available (default 300); the cluster stays up after
      --manifests-dir string  where <component>/install.yaml are read (default: this installation's manifests/, or $FLOTILLA_MANIFESTS_DIR)
      --event-ttl duration  how long an Event is kept after its last write, as kube-apiserver's flag (default 1h0m0s; 0 keeps them)
  -d, --detach            start in the background, log to <data-dir>/up.log, return once the cluster and the components answer
  -h, --help              help for up
`,
  down: `Stop the cluster of a data directory ('flotilla up' running in the foreground or with --detach):
sends it SIGTERM and waits until it has exited (its pods are stopped too). Says so and succeeds
when nothing runs.

Usage:
  flotilla down [flags]

Flags:
${DATA_DIR_FLAG}
      --timeout int       seconds to wait for it to exit (default 120); exits 1 when it has not
  -h, --help              help for down
`,
  status: `Show the cluster of a data directory: the pid of its 'flotilla up', the API server's address,
the kubeconfig, the node and the health of the components' Deployments.
Exits 0 when it runs, 3 when no cluster runs for the data directory.

Usage:
  flotilla status [flags]

Flags:
${DATA_DIR_FLAG}
  -h, --help              help for status
`,
  kubeconfig: `Print the kubeconfig of the embedded cluster (written by 'flotilla up').

Usage:
  flotilla kubeconfig [flags]

Flags:
${DATA_DIR_FLAG}
      --path              print only the kubeconfig file's path
  -h, --help              help for kubeconfig
`,
  demo: `Create the push-to-production demo on a running cluster ('flotilla up' with all its
components), from the manifests in examples/pipeline/, through the cluster's Kubernetes API
(server-side apply, field manager flotilla-demo; running it again changes nothing):
a Git server (git daemon, namespace flotilla-demo) with the repositories app (a color) and
deploy (a Rollout with canary steps 20 % → pause 15 s → 50 % → pause 15 s → 100 %, a Service,
an Ingress of class nginx for host rollouts-demo.localhost);
a webhook EventSource the server's post-receive hook calls on every push to app; a Sensor that
submits the WorkflowTemplate ci (test, build the image tag argoproj/rollouts-demo:<color>,
commit it to deploy); the Argo CD Application pipeline-demo (namespace argocd) syncing deploy
automatically. Waits until the Rollout is healthy, then prints the Ingress's address and the
git URLs.

  --push <color>  commits the color to app (git push to the git server's NodePort) and follows
                  the chain: event → workflow steps → commit to deploy → Argo CD sync → canary
                  steps and weights → Healthy or aborted, printing the time of each stage.
                  Exits 0 when the color is fully rolled out, 1 when the workflow failed or
                  the rollout was aborted.
  --delete        removes the Application and the namespace flotilla-demo with everything in it.

Usage:
  flotilla demo pipeline [--data-dir D] [--push <color> | --delete]

Flags:
${DATA_DIR_FLAG}
      --kubeconfig string     the cluster's kubeconfig (default <data-dir>/kubeconfig)
      --push string           a color to push to app, then follow it to production
      --delete                remove the demo
      --pause-seconds int     the canary's pauses when the deploy repository is first created (default 15)
      --timeout int           seconds to wait for the demo to be ready, or for a push to finish (default 300)
  -h, --help                  help for demo
`,
  version: `Print the version of flotilla.

Usage:
  flotilla version

Flags:
  -h, --help              help for version
`,
};
