// The test kit's own promises: a test process that ends without stopping its `flotilla up` (a
// cancelled file, a failed hook) leaves no cluster running behind it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('a test process that exits without stopUp stops its flotilla up (SIGTERM on exit)', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'testkit-orphan-'));
  try {
    const script = join(dir, 'child.mjs');
    const kit = new URL('./testkit.js', import.meta.url).href;
    writeFileSync(script, `import { startUp } from '${kit}';\nconst up = await startUp(${JSON.stringify(join(dir, 'data'))}, 120000, { args: ['--no-node'] });\nconsole.log(up.proc.pid);\nprocess.exit(0);\n`);
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 150_000 });
    assert.equal(r.status, 0, r.stderr);
    const pid = Number(r.stdout.trim().split('\n').pop());
    assert.ok(pid > 0, r.stdout);
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((res) => setTimeout(res, 100));
      } catch {
        alive = false;
      }
    }
    if (alive) process.kill(pid, 'SIGKILL');
    assert.equal(alive, false, `flotilla up (pid ${pid}) outlived the test process that started it`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
