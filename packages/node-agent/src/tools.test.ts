import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sh } from './tools.js';

describe('sh', () => {
  it('a script that exits before reading its input is reported by its exit code, not an uncaught EPIPE', async () => {
    // 4 MiB does not fit in the pipe: the write is still going when the shell has exited
    for (let i = 0; i < 5; i++) await assert.rejects(sh('exit 3', 'x'.repeat(4 << 20)), /exit 3/);
    await sh('cat > /dev/null', 'x'.repeat(4 << 20));
  });
});
