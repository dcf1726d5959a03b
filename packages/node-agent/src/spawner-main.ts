/**
 * The node agent's process helper (see ./spawner.ts): starts the processes the agent asks for over
 * its IPC channel and reports their pids and exits. It exits when the agent goes away; the
 * processes it started are detached and live on (the agent re-adopts them).
 *
 * Usage (by the agent only): node spawner-main.js
 */
import { spawnHere, type FromSpawner, type ToSpawner } from './spawner.js';

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
