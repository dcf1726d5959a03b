/**
 * The node agent's process helper (see ./spawner.ts): starts the processes the agent asks for over
 * its IPC channel and reports their pids and exits. It exits when the agent goes away; the
 * processes it started are detached and live on (the agent re-adopts them).
 *
 * Usage (by the agent only): node spawner-main.js [--nice=N]   (N: the CPU priority it runs at, for the processes it starts)
 */
import { setOwnNice, spawnHere, type FromSpawner, type ToSpawner } from './spawner.js';

// the helper of a CPU priority runs at it: the processes it starts inherit it (no `nice` program in front)
const niceArg = process.argv.find((a) => a.startsWith('--nice='));
if (niceArg) {
  try {
    setOwnNice(Number(niceArg.slice('--nice='.length)));
  } catch (e) {
    // its spawns then put `nice` in front (spawnHere compares the asked priority with its own)
    process.stderr.write(`process helper: cannot lower its CPU priority: ${(e as Error).message}\n`);
  }
}

function send(m: FromSpawner): void {
  if (process.connected) process.send!(m);
}

process.on('message', (m: ToSpawner) => {
  if (m.t !== 'spawn') return;
  const { id, req } = m;
  let s: ReturnType<typeof spawnHere>;
  try {
    s = spawnHere(req, (e) => send({ t: 'exit', id, ...e }));
  } catch (e) {
    send({ t: 'error', id, message: (e as Error).message, code: (e as NodeJS.ErrnoException).code });
    return;
  }
  s.started.then(
    () => send({ t: 'pid', id, pid: s.child.pid! }),
    (e: NodeJS.ErrnoException) => send({ t: 'error', id, message: e.message, code: e.code }),
  );
});
process.on('disconnect', () => process.exit(0));
