/**
 * Entry points of Flotilla's own image (`flotilla/flotilla`): a pod runs `flotilla <entry> …`
 * (the node agent maps the image to this installation's flotilla command; a real cluster runs the
 * image built by the Dockerfile). A component adds one line here; the module is loaded only when
 * its entry point runs.
 */
export interface EntryPoint {
  what: string;
  /** usage text for `flotilla <entry> --help` */
  help: string;
  run(argv: string[]): Promise<number | void>;
}

export const ENTRY_POINTS: Record<string, EntryPoint> = {
  pause: {
    what: 'hold a pod open until it is stopped (like the pause container)',
    help: `Hold the process open until SIGTERM or SIGINT, then exit 0 (like Kubernetes' pause
container). Flotilla's image runs it as a placeholder workload.

Usage:
  flotilla pause
`,
    run: () =>
      new Promise<number>((resolve) => {
        const t = setInterval(() => {}, 1 << 30);
        const done = () => {
          clearInterval(t);
          resolve(0);
        };
        process.once('SIGTERM', done);
        process.once('SIGINT', done);
      }),
  },
};
