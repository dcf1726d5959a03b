/** The rollouts-demo stand-in's /metrics (read by the pipeline demo's canary analysis): its /color answers by status code and color. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROGRAMS_DIR } from './images.js';

const freePort = () => new Promise<number>((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as any).port; s.close(() => r(p)); }); });

it('bad-red answers /color with errors, and /metrics counts them with color="bad-red"', async () => {
  const port = await freePort();
  const p = spawn(process.execPath, [join(PROGRAMS_DIR, 'rollouts-demo.js')], { env: { ...process.env, COLOR: 'bad-red', PORT: String(port), LISTEN_ADDR: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((r) => p.stdout!.once('data', () => r()));
    const codes: Record<number, number> = {};
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/color`);
      assert.equal(await res.json(), 'red');
      codes[res.status] = (codes[res.status] ?? 0) + 1;
    }
    assert.ok(codes[500] > 0 && codes[200] > 0, JSON.stringify(codes));
    const m = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(m, /^# TYPE rollouts_demo_requests_total counter$/m);
    assert.match(m, new RegExp(`^rollouts_demo_requests_total\\{color="bad-red",code="500"\\} ${codes[500]}$`, 'm'));
    assert.match(m, new RegExp(`^rollouts_demo_requests_total\\{color="bad-red",code="200"\\} ${codes[200]}$`, 'm'));
  } finally {
    p.kill('SIGTERM');
  }
});
