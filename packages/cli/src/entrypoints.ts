/**
 * Entry points of Flotilla's own image (`flotilla/flotilla`): a pod runs `flotilla <entry> …`
 * (the node agent maps the image to this installation's flotilla command; a real cluster runs the
 * image built by the Dockerfile). A component adds one line here, e.g.
 *   'argocd-server': fromModule("Argo CD's API server", '@flotilla/argo-cd/server'),
 * Its module is loaded only when its entry point runs (a pod does not load the API server), and
 * handles its own flags, --help included.
 */
export interface EntryPoint {
  /** one line for `flotilla --help` */
  what: string;
  /** runs with the arguments after the entry point's name; resolves with the exit code */
  run(argv: string[]): Promise<number | void>;
}

/** An entry point implemented by a module exporting `main(argv)`, imported when it runs. */
export function fromModule(what: string, specifier: string, exportName = 'main'): EntryPoint {
  return {
    what,
    async run(argv) {
      const m = (await import(specifier)) as Record<string, (argv: string[]) => Promise<number | void>>;
      if (typeof m[exportName] !== 'function') throw new Error(`${specifier} exports no ${exportName}(argv)`);
      return m[exportName](argv);
    },
  };
}

const PAUSE_HELP = `Hold the process open until SIGTERM or SIGINT, then exit 0 (like Kubernetes' pause
container). Flotilla's image runs it as a placeholder workload.

Usage:
  flotilla pause
`;

/** Holds the process until SIGTERM/SIGINT. */
async function pause(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(PAUSE_HELP);
    return 0;
  }
  if (argv.length) {
    process.stderr.write(`flotilla pause: takes no arguments (got ${argv.join(' ')})\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const t = setInterval(() => {}, 1 << 30);
    const done = () => {
      clearInterval(t);
      resolve(0);
    };
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
}

export const ENTRY_POINTS: Record<string, EntryPoint> = {
  pause: { what: 'hold a pod open until it is stopped (like the pause container)', run: pause },
  // Argo CD (manifests/argo-cd/install.yaml); `argocd`, the CLI, is in clis.ts
  'argocd-application-controller': fromModule("Argo CD's application controller", '@flotilla/argocd-controller/main'),
  'argocd-server': fromModule("Argo CD's API server", '@flotilla/argocd-server/main'),
  'argocd-repo-server': fromModule("Argo CD's repository server (renders manifests from Git)", '@flotilla/repo-server/main'),
  'argocd-dex': fromModule("Argo CD's identity broker (Dex's job: `argocd-dex rundex`)", '@flotilla/identity/main'),
  'argocd-applicationset-controller': fromModule("Argo CD's ApplicationSet controller", '@flotilla/applicationset/main'),
  'argocd-notifications': fromModule("Argo CD's notifications controller", '@flotilla/notifications/main'),
  'argocd-multicall': fromModule("a program of Argo CD's own image by name (runs upstream's install.yaml)", './argocd-image.js'),
  // Argo Workflows (manifests/argo-workflows/install.yaml); argo-server runs as `argo server` (clis.ts)
  'workflow-controller': fromModule("Argo Workflows' controller", '@flotilla/workflows-controller/main'),
  argoexec: fromModule("Argo Workflows' executor (init, wait, emissary… in each workflow pod)", '@flotilla/workflows-executor/main'),
  // Argo Rollouts (manifests/argo-rollouts/install.yaml); the plugin is in clis.ts
  'rollouts-controller': fromModule("Argo Rollouts' controller", '@flotilla/rollouts/main'),
  // the Ingress controller (IngressClass nginx)
  'ingress-nginx-controller': fromModule('an Ingress controller for IngressClass nginx (renders nginx config)', '@flotilla/ingress-nginx/main'),
  // Argo Events (manifests/argo-events/install.yaml): controller | eventsource-service | sensor-service | webhook-service
  'argo-events': fromModule("Argo Events' programs: controller, eventsource-service, sensor-service, webhook-service", '@flotilla/events/main'),
};
