/**
 * The host bridge process (see ./host-bridge.ts), started by the agent with an IPC channel: it
 * says `ready` once it listens and exits when the agent goes away.
 *
 * Usage (by the agent only): node host-bridge-main.js SOCKET_PATH
 */
import { serveHostBridge } from './host-bridge.js';

const [path] = process.argv.slice(2);
process.on('disconnect', () => process.exit(0));
serveHostBridge(path).then(
  () => process.send?.({ t: 'ready' }),
  (e: Error) => {
    process.stderr.write(`host bridge: cannot listen on ${path}: ${e.message}\n`);
    process.exit(1);
  },
);
