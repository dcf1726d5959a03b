/**
 * Reading commands: `get rollout|experiment`, `list rollouts|experiments`, `status`.
 */
import { Command } from '@flotilla/cli-kit/command';
import { io } from '@flotilla/cli-kit/io';
import { resourcePath, R } from '@flotilla/kube-runtime';
import { experimentInfo, rolloutInfo, type Obj, type RolloutInfo } from '../info.js';
import { experimentTable, formatExperiment, formatRollout, rolloutRow, rolloutTable, statusLine, type FormatOpts } from '../format.js';
import { apiMessage, CliError, getRollout, related, RO, session, watchChanges, type GlobalOpts, type Session } from '../kube.js';

const fmtOpts = (opts: Record<string, any>): FormatOpts => ({ color: !opts.noColor, now: Date.now() });

/** Ends on Ctrl-C / SIGTERM or after `timeoutMs` (0: never). */
export function untilStopped(timeoutMs = 0): { signal: AbortSignal; done: Promise<void>; stop: () => void; timedOut: () => boolean } {
  const ac = new AbortController();
  let expired = false;
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const t =
    timeoutMs > 0
      ? setTimeout(() => {
          expired = true;
          stop();
        }, timeoutMs)
      : undefined;
  const done = new Promise<void>((r) =>
    ac.signal.addEventListener('abort', () => {
      if (t) clearTimeout(t);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      r();
    }),
  );
  return { signal: ac.signal, done, stop, timedOut: () => expired };
}

/**
 * Prints `render()` now and, with watch, again at each change: on a terminal the screen is redrawn
 * (and refreshed each second for the ages), on a pipe the new text is appended when it differs.
 */
async function showAndWatch(s: Session, ns: string, watch: boolean, timeoutMs: number, render: (now: number) => Promise<string | undefined>, watchPaths: string[]): Promise<void> {
  const tty = !!process.stdout.isTTY;
  const first = await render(Date.now());
  if (!watch) {
    if (first !== undefined) io.out(first);
    return;
  }
  const { signal, done } = untilStopped(timeoutMs);
  let last = '';
  const draw = async () => {
    let text: string | undefined;
    try {
      text = await render(Date.now());
    } catch (e) {
      text = `Error: ${apiMessage(e)}\n`;
    }
    if (text === undefined || signal.aborted) return;
    const key = tty ? text : ((await render(0)) ?? '');
    if (tty) io.out(`\x1b[H\x1b[2J${text}`);
    else if (key !== last) io.out(last ? `\n${text}` : text);
    last = key;
  };
  await draw();
  const tick = tty ? setInterval(draw, 1000) : undefined;
  void ns;
  await Promise.race([watchChanges(s, watchPaths, () => void draw(), signal), done]);
  if (tick) clearInterval(tick);
}

/**
 * The rollout first (an unknown one fails before anything else is read), then the lists at once:
 * their connections resume the first one's TLS session instead of each making a full handshake.
 */
export async function loadRolloutInfo(s: Session, name: string, ns: string): Promise<RolloutInfo> {
  const ro = await getRollout(s, name, ns);
  return rolloutInfo(ro, await related(s, ns));
}

const nsPaths = (ns: string | undefined, extra: string[] = []) => [resourcePath(R.replicasets, ns), resourcePath(R.pods, ns), resourcePath(RO.analysisruns, ns), resourcePath(RO.experiments, ns), ...extra];

export function getCommand(): Command {
  const get = new Command({
    use: 'get <rollout|experiment> RESOURCE_NAME',
    short: 'Get details about rollouts and experiments',
    long: 'This command consists of multiple subcommands which can be used to get extended information about a rollout or experiment.',
    example: '  # Get a rollout\n  kubectl argo rollouts get rollout guestbook\n\n  # Watch a rollouts progress\n  kubectl argo rollouts get rollout guestbook -w\n\n  # Get an experiment\n  kubectl argo rollouts get experiment my-experiment',
  });
  const watchFlags = [
    { name: 'watch', short: 'w', type: 'bool' as const, usage: 'Watch live updates to the rollout' },
    { name: 'no-color', type: 'bool' as const, usage: 'Do not colorize output' },
    { name: 'timeout-seconds', type: 'int' as const, usage: 'Timeout after specified seconds' },
  ];
  get.add(
    new Command({
      use: 'rollout ROLLOUT_NAME',
      short: 'Get details about a rollout',
      long: 'Get details about and visual representation of a rollout. It returns a bunch of metadata on a resource and a tree view of the child resources created by the parent.\n\nTree column definitions\n    STATUS: The status of the resource\n    AGE: The age of the resource\n    INFO: Additional information about the resource',
      aliases: ['ro', 'rollouts'],
      example: '  # Get a rollout\n  kubectl argo rollouts get rollout guestbook\n\n  # Watch progress of a rollout\n  kubectl argo rollouts get rollout guestbook -w',
      flags: watchFlags,
      args: { min: 1, max: 1 },
      run: async ({ args, opts }) => {
        const s = await session(opts as GlobalOpts);
        const ns = s.namespace;
        const name = args[0];
        const render = async (now: number) => formatRollout(await loadRolloutInfo(s, name, ns), { ...fmtOpts(opts), now });
        await showAndWatch(s, ns, !!opts.watch, (opts.timeoutSeconds ?? 0) * 1000, render, [`${resourcePath(RO.rollouts, ns)}?fieldSelector=metadata.name%3D${encodeURIComponent(name)}`, ...nsPaths(ns)]);
        s.client.close();
      },
    }),
    new Command({
      use: 'experiment EXPERIMENT_NAME',
      short: 'Get details about an Experiment',
      aliases: ['exp', 'experiments'],
      example: '  # Get an experiment\n  kubectl argo rollouts get experiment my-experiment\n\n  # Watch experiment progress\n  kubectl argo rollouts get experiment my-experiment -w',
      flags: watchFlags,
      args: { min: 1, max: 1 },
      run: async ({ args, opts }) => {
        const s = await session(opts as GlobalOpts);
        const ns = s.namespace;
        const render = async (now: number) => {
          let ex: Obj;
          try {
            ex = (await s.client.get(RO.experiments, ns, args[0])) as unknown as Obj;
          } catch (e) {
            throw new CliError(apiMessage(e));
          }
          return formatExperiment(experimentInfo(ex, await related(s, ns)), { ...fmtOpts(opts), now });
        };
        await showAndWatch(s, ns, !!opts.watch, (opts.timeoutSeconds ?? 0) * 1000, render, nsPaths(ns));
        s.client.close();
      },
    }),
  );
  return get;
}

export function listCommand(): Command {
  const list = new Command({
    use: 'list <rollout|experiment>',
    short: 'List rollouts or experiments',
    long: 'This command consists of multiple subcommands which can be used to lists all of the rollouts or experiments for a specified namespace (uses current namespace context if namespace not specified).',
    aliases: ['ls'],
    example: '  # List rollouts\n  kubectl argo rollouts list rollouts\n\n  # List experiments\n  kubectl argo rollouts list experiments',
  });
  const flags = [
    { name: 'all-namespaces', short: 'A', type: 'bool' as const, usage: 'Include all namespaces' },
    { name: 'watch', short: 'w', type: 'bool' as const, usage: 'Watch for changes' },
    { name: 'timestamps', type: 'bool' as const, usage: 'Print timestamps on updates' },
  ];
  list.add(
    new Command({
      use: 'rollouts',
      short: 'List rollouts',
      long: 'This command lists all of the rollouts for a specified namespace (uses current namespace context if namespace not specified).',
      aliases: ['ro', 'rollout'],
      example: '  # List rollouts\n  kubectl argo rollouts list rollouts\n\n  # List rollouts from all namespaces\n  kubectl argo rollouts list rollouts --all-namespaces\n\n  # List rollouts and watch for changes\n  kubectl argo rollouts list rollouts --watch',
      flags: [...flags, { name: 'name', type: 'string', usage: 'Only show rollout with specified name' }],
      args: { max: 0 },
      run: async ({ opts }) => {
        const s = await session(opts as GlobalOpts);
        const ns = opts.allNamespaces ? undefined : s.namespace;
        const load = async () => {
          const [ros, rel] = await Promise.all([s.client.list(RO.rollouts, ns).catch((e) => Promise.reject(new CliError(apiMessage(e)))), related(s, ns)]);
          return (ros.items as unknown as Obj[]).filter((r) => !opts.name || r.metadata.name === opts.name).map((r) => rolloutInfo(r, rel)).sort((a, b) => `${a.objectMeta.namespace}/${a.objectMeta.name}` < `${b.objectMeta.namespace}/${b.objectMeta.name}` ? -1 : 1);
        };
        const infos = await load();
        if (!infos.length && !opts.watch) {
          io.err(ns ? `No resources found in ${ns} namespace.\n` : 'No resources found.\n');
          return;
        }
        io.out(rolloutTable(infos, !!opts.allNamespaces));
        if (!opts.watch) return;
        // later changes: one row per rollout whose row changed
        const seen = new Map(infos.map((i) => [`${i.objectMeta.namespace}/${i.objectMeta.name}`, rolloutRow(i, !!opts.allNamespaces).join('\t')]));
        const { signal, done } = untilStopped();
        await Promise.race([
          watchChanges(s, [resourcePath(RO.rollouts, ns), resourcePath(R.replicasets, ns)], async () => {
            const changed = (await load().catch(() => [])).filter((i) => seen.get(`${i.objectMeta.namespace}/${i.objectMeta.name}`) !== rolloutRow(i, !!opts.allNamespaces).join('\t'));
            for (const i of changed) seen.set(`${i.objectMeta.namespace}/${i.objectMeta.name}`, rolloutRow(i, !!opts.allNamespaces).join('\t'));
            if (changed.length) {
              const t = rolloutTable(changed, !!opts.allNamespaces, false);
              io.out(opts.timestamps ? t.replace(/^/gm, `${new Date().toISOString()}  `).replace(/ {2}$/, '') : t);
            }
          }, signal),
          done,
        ]);
        s.client.close();
      },
    }),
    new Command({
      use: 'experiments',
      short: 'List experiments',
      aliases: ['exp', 'experiment'],
      example: '  # List experiments\n  kubectl argo rollouts list experiments',
      flags,
      args: { max: 0 },
      run: async ({ opts }) => {
        const s = await session(opts as GlobalOpts);
        const ns = opts.allNamespaces ? undefined : s.namespace;
        const render = async () => {
          const [exs, rel] = await Promise.all([s.client.list(RO.experiments, ns).catch((e) => Promise.reject(new CliError(apiMessage(e)))), related(s, ns)]);
          return experimentTable((exs.items as unknown as Obj[]).map((e) => experimentInfo(e, rel)), !!opts.allNamespaces, fmtOpts(opts));
        };
        await showAndWatch(s, ns ?? '', !!opts.watch, 0, render, [resourcePath(RO.experiments, ns)]);
        s.client.close();
      },
    }),
  );
  return list;
}

export function statusCommand(): Command {
  return new Command({
    use: 'status ROLLOUT_NAME',
    short: 'Show the status of a rollout',
    long: 'Watch rollout until it finishes or the timeout is exceeded. Returns success if the rollout is healthy upon completion and an error otherwise.',
    example: '  # Watch the rollout until it succeeds\n  kubectl argo rollouts status guestbook\n\n  # Show the rollout status\n  kubectl argo rollouts status guestbook --watch false\n\n  # Watch the rollout until it succeeds, fail if it takes more than 60 seconds\n  kubectl argo rollouts status --timeout 60s guestbook',
    flags: [
      { name: 'watch', short: 'w', type: 'bool', default: true, usage: "Watch the status of the rollout until it's done" },
      { name: 'timeout', short: 't', type: 'duration', default: '0s', usage: 'The length of time to watch before giving up. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). Zero means wait forever' },
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts }) => {
      const s = await session(opts as GlobalOpts);
      const name = args[0];
      const read = async () => loadRolloutInfo(s, name, s.namespace);
      let info = await read();
      if (!opts.watch) {
        io.out(statusLine(info) + '\n');
        s.client.close();
        return;
      }
      const timeout = typeof opts.timeout === 'number' ? opts.timeout : 0;
      const { signal, done, stop, timedOut } = untilStopped(timeout);
      let printed = '';
      const report = () => {
        const line = statusLine(info);
        if (line !== printed) io.out(line + '\n');
        printed = line;
        return info.status === 'Healthy' || info.status === 'Degraded';
      };
      if (!report()) {
        await new Promise<void>((resolve) => {
          void done.then(resolve);
          void watchChanges(
            s,
            [`${resourcePath(RO.rollouts, s.namespace)}?fieldSelector=metadata.name%3D${encodeURIComponent(name)}`],
            async () => {
              try {
                info = await read();
              } catch {
                return;
              }
              if (report()) resolve();
            },
            signal,
            20,
          );
        });
      }
      stop();
      s.client.close();
      if (info.status === 'Degraded') throw new CliError(`The rollout is in a degraded state with message: ${info.message}`);
      if (timedOut() && info.status !== 'Healthy') throw new CliError('Timed out (' + (timeout / 1000).toFixed(0) + 's) waiting for rollout to become healthy');
      return 0;
    },
  });
}
