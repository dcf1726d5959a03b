/**
 * A start that fails (its port is taken) leaves nothing running that writes to the data dir: once
 * `startApiServer` has thrown, `flotilla up` removes what a fresh start made, and nothing may make
 * it again (the store's checkpoint thread used to open state.db after that and recreate its files —
 * a `flotilla up --detach` on a busy port then left a data dir behind).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiServer } from './server.js';

it('a start on a busy port throws EADDRINUSE and nothing of it writes to the data dir afterwards', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  const root = mkdtempSync(join(tmpdir(), 'apiserver-busy-'));
  const dataDir = join(root, 'data');
  try {
    for (let i = 0; i < 3; i++) {
      const err = await startApiServer({ dataDir, port: (busy.address() as AddressInfo).port }).then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e,
      );
      assert.equal(err?.code, 'EADDRINUSE');
      // what `flotilla up --detach` does on a failed first start: remove everything the start made,
      // keeping the directory (made before, holding the log)
      for (const e of readdirSync(dataDir)) rmSync(join(dataDir, e), { recursive: true, force: true });
      await sleep(400);
      assert.deepEqual(readdirSync(dataDir), [], 'files made again after the failed start');
    }
  } finally {
    busy.close();
    rmSync(root, { recursive: true, force: true });
  }
});
