/**
 * cmd/fdout.ts: the CLI's output written straight to a descriptor, and handed to the stream when a
 * non-blocking pipe is full (EAGAIN), without losing or reordering a byte. A real FIFO opened
 * non-blocking, more text than a pipe holds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fdWriter } from './cmd/fdout.js';

describe('fdWriter', () => {
  it('writes to the descriptor while it takes the text, then to the stream, in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-fdout-'));
    const fifo = join(dir, 'out');
    execFileSync('mkfifo', [fifo]);
    const r = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const w = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      const streamed: Buffer[] = [];
      let made = 0;
      const stream = () => {
        made++;
        return new Writable({ write: (c, _e, cb) => (streamed.push(Buffer.from(c)), cb()) }) as unknown as NodeJS.WriteStream;
      };
      const out = fdWriter(w, stream);
      const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'é'.repeat(20)}\n`);
      for (const l of lines) out(l);
      assert.equal(made, 1, 'the stream is made once, when the pipe is full');
      const direct: Buffer[] = [];
      const b = Buffer.alloc(65536);
      for (;;) {
        let n: number;
        try {
          n = readSync(r, b);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break; // all that the pipe holds was read
          throw e;
        }
        if (n === 0) break;
        direct.push(Buffer.from(b.subarray(0, n)));
      }
      assert.ok(direct.length > 0 && streamed.length > 0);
      assert.equal(Buffer.concat([...direct, ...streamed]).toString('utf8'), lines.join(''));
    } finally {
      closeSync(w);
      closeSync(r);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not make the stream when the descriptor takes everything', () => {
    let made = 0;
    const out = fdWriter(openSync('/dev/null', 'w'), () => {
      made++;
      return process.stdout;
    });
    out('x'.repeat(1 << 20));
    assert.equal(made, 0);
  });
});
