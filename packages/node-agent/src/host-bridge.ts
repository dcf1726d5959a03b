/**
 * host.sock: how netd (in the node network namespace) reaches host loopback — the API server
 * behind the `kubernetes` Service. A connection writes `IP PORT\n` (IP in 127.0.0.0/8 only), reads
 * `OK\n` (or `ERR …\n`) and then talks to IP:PORT on the host.
 *
 * It runs in a process of its own (host-bridge-main.ts), not in the agent: every pod's API traffic
 * (watches, status writes, Lease renewals) flows through it, and the agent's event loop is busy
 * with pod lifecycles — a stall there of a few seconds held a controller's Lease renewal past its
 * renew deadline. `serveHostBridge` is also the fallback inside the agent.
 */
import { createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import { dialTcp, readLine, splice } from './sockets.js';

export async function serveHostBridge(path: string): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer({ allowHalfOpen: true }, (c) => {
    c.on('error', () => {});
    void readLine(c, 256).then(
      (line) => {
        const [ip, portS] = line.split(' ');
        // only host loopback, never anything else on the host's networks
        if (!/^127\.\d+\.\d+\.\d+$/.test(ip ?? '')) {
          c.end(`ERR ${ip} is not a host loopback address\n`);
          return;
        }
        dialTcp(ip, Number(portS)).then(
          (s) => {
            c.write('OK\n');
            splice(c, s);
          },
          (e: NodeJS.ErrnoException) => c.end(`ERR ${e.code ?? e.message}\n`),
        );
      },
      () => c.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return server;
}
