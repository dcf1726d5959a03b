/**
 * Attach with `stdinOnce`: the client's input and then its end reach the container in that order. The
 * container reads a FIFO whose other writer (the shim's, which keeps it open between attaches) is closed at
 * the first attach's end; if that happened before the attach's own writer had opened the FIFO, the container
 * read EOF and lost the input (`kubectl run -i … -- sh -c 'read line; echo "got $line"'` printed "got ").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAttach } from './streaming.js';
import type { PodWorker } from './pod.js';
import type { StreamIO } from './stream-channels.js';

test('attach: input sent and ended in one go reaches a stdinOnce container before its EOF', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'attach-stdin-'));
  try {
    for (let round = 0; round < 5; round++) {
      const fifo = join(dir, `in-${round}`);
      execFileSync('mkfifo', [fifo]);
      // the container: reads one line from the FIFO
      const reader = spawn('sh', ['-c', `read line < '${fifo}'; echo "got $line"`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      reader.stdout.on('data', (d) => (out += d));
      const exited = new Promise((r) => reader.on('close', r));
      // the shim's writer, held open (opening for writing waits for the reader, so open it non-blocking once the reader is there)
      let shim = -1;
      for (let i = 0; shim < 0 && i < 200; i++) {
        try {
          shim = openSync(fifo, 'w', 0o600);
        } catch {
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      const worker = {
        containerLog: () => ({ currentRun: 0, follow: () => () => {} }),
        containerInfo: () => ({ restartCount: 0, runs: 1, running: true }),
        stdinOf: () => ({ path: fifo, once: true }),
        closeStdin: () => {
          if (shim >= 0) closeSync(shim);
          shim = -1;
        },
      } as unknown as PodWorker;
      let feed: (d: Buffer | null) => void = () => {};
      const io: StreamIO = { onStdin: (f) => (feed = f), onResize: () => {}, resizable: false, onClose: () => {}, finish: () => {}, stdout: () => {} };
      runAttach(worker, 'c', { stdin: true, stdout: true, stderr: false, tty: false }, io);
      // kubectl's input and its end arrive together
      feed(Buffer.from('hello\n'));
      feed(null);
      await exited;
      // (a writer's open still pending, as when the input was lost, waits for a reader: give it one, so a failure ends)
      closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
      assert.equal(out, 'got hello\n', `round ${round}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
