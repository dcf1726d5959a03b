/**
 * Test helper process for the crash test: starts an API server on <dir>/data and hammers it with
 * creates over HTTPS from 4 concurrent clients, printing "ACK <name> <rv>" for every 201 answer.
 * The test kills this whole process (server included) with SIGKILL.
 */
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { startApiServer } from './server.js';

const dir = process.argv[2];
const server = await startApiServer({ dataDir: join(dir, 'data') });
const agent = new Agent({ keepAlive: true, ca: server.caPem });
let n = 0;

function create(name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: name } });
    const r = request(
      new URL('/api/v1/namespaces/default/configmaps', server.url),
      { method: 'POST', agent, headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' } },
      (res) => {
        let t = '';
        res.on('data', (d) => (t += d));
        res.on('end', () => (res.statusCode === 201 ? resolve(Number(JSON.parse(t).metadata.resourceVersion)) : reject(new Error(t))));
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

async function worker(): Promise<void> {
  for (;;) {
    const name = `crash-${n++}`;
    const rv = await create(name);
    process.stdout.write(`ACK ${name} ${rv}\n`);
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
