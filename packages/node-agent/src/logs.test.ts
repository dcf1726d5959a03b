/** ContainerLog over real FIFOs: lines, streams, partial lines, rotation, follow, drain at exit. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, writeSync, constants as fsc } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerLog, formatRecord, type LogRecord } from './logs.js';

const tick = () => new Promise((r) => setTimeout(r, 30));
/** Waits (5 s at most) until `cond` holds: the log reads its FIFOs on the event loop, later on a loaded machine. */
async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

describe('container logs', () => {
  it('writes CRI records per run, rotates at the size limit, follows and drains', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logs-'));
    const out = join(dir, 'c.out');
    const err = join(dir, 'c.err');
    assert.equal(spawnSync('mkfifo', [out, err]).status, 0);
    const log = new ContainerLog(join(dir, 'uid-c'), 200, 3);
    log.openFifos(out, err);
    log.beginRun(0);
    let w = openSync(out, fsc.O_WRONLY | fsc.O_NONBLOCK);
    let we = openSync(err, fsc.O_WRONLY | fsc.O_NONBLOCK);
    try {
      const followed: LogRecord[] = [];
      let ended = false;
      log.follow(0, { onRecord: (r) => followed.push(r), onEnd: () => (ended = true) });
      writeSync(w, 'one\ntw');
      await until('the first line', () => log.read(0).length === 1);
      writeSync(we, 'oops\n');
      await until('the line on stderr', () => log.read(0).length === 2);
      writeSync(w, 'o\n');
      await until('the partial line completed', () => log.read(0).length === 3 && followed.length === 3);
      assert.deepEqual(
        log.read(0).map((r) => `${r.stream}:${r.text}`),
        ['stdout:one', 'stderr:oops', 'stdout:two'],
      );
      assert.equal(followed.length, 3);
      // written just before the process exits, never seen by the event loop: drained at endRun
      writeSync(w, 'last words');
      const opened = (p: string) => readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) === p; } catch { return false; } }).length;
      assert.deepEqual([opened(out), opened(err)], [2, 2], 'the log reads each FIFO (and the test writes it)');
      await log.endRun();
      assert.ok(ended);
      assert.equal(log.read(0).map((r) => formatRecord(r, false)).join(''), 'one\noops\ntwo\nlast words\n');
      assert.deepEqual([opened(out), opened(err)], [1, 1], 'an ended run keeps no FIFO open (a finished pod costs the agent no descriptor)');

      // run 1 (opened again, as the agent does before every start): enough output to rotate twice; the oldest
      // rotated file goes
      closeSync(w);
      closeSync(we);
      log.openFifos(out, err);
      w = openSync(out, fsc.O_WRONLY | fsc.O_NONBLOCK);
      we = openSync(err, fsc.O_WRONLY | fsc.O_NONBLOCK);
      log.beginRun(1);
      for (let i = 0; i < 30; i++) writeSync(w, `line ${String(i).padStart(2, '0')}\n`);
      await tick();
      await log.endRun();
      assert.ok(existsSync(join(dir, 'uid-c.1.log.1')));
      assert.ok(existsSync(join(dir, 'uid-c.1.log.2')));
      assert.ok(!existsSync(join(dir, 'uid-c.1.log.3')));
      const lines = log.read(1).map((r) => r.text);
      assert.equal(lines.at(-1), 'line 29');
      assert.ok(lines.length < 30 && lines.length > 5, `${lines.length} lines kept`);
      assert.deepEqual(lines, [...lines].sort(), 'oldest first across the rotated files');
      assert.equal(log.read(0).length, 4, 'the previous run is untouched');
    } finally {
      closeSync(w);
      closeSync(we);
      log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
