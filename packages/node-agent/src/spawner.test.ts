import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runProcess, runToEnd, releaseSpawner, Spawner, SpawnerLost, useSpawner } from './spawner.js';

/** The parent pid of a live process. */
function ppid(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
}

test('the helper starts processes: their parent is the helper, and pids, exits, signals, input and output come back', async () => {
  const s = new Spawner();
  try {
    const sleeper = await s.run({ file: '/bin/sleep', args: ['30'], detached: true });
    const parent = ppid(sleeper.pid);
    assert.notEqual(parent, process.pid, 'not forked by this process');
    assert.match(readFileSync(`/proc/${parent}/cmdline`, 'utf8'), /spawner-main\.js/);
    process.kill(-sleeper.pid, 'SIGTERM'); // detached: its own process group
    assert.deepEqual(await sleeper.exited, { code: null, signal: 'SIGTERM', stdout: '', stderr: '' });

    const r = await (await s.run({ file: '/bin/sh', args: ['-c', 'read x; echo "got $x"; echo oops >&2; exit 3'], input: 'hello\n', capture: true })).exited;
    assert.deepEqual(r, { code: 3, signal: null, stdout: 'got hello\n', stderr: 'oops\n' });

    const env = await (await s.run({ file: '/bin/sh', args: ['-c', 'echo "$A" && pwd'], env: { A: 'a b\nc' }, cwd: '/usr', capture: true })).exited;
    assert.equal(env.stdout, 'a b\nc\n/usr\n');

    await assert.rejects(s.run({ file: '/nonexistent/program', args: [] }), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && /nonexistent/.test(e.message));
  } finally {
    s.stop();
  }
});

test('a helper that dies fails what it was watching, and the next request starts another', async () => {
  const s = new Spawner();
  try {
    const sleeper = await s.run({ file: '/bin/sleep', args: ['30'], detached: true });
    const helper = ppid(sleeper.pid);
    process.kill(helper, 'SIGKILL');
    await assert.rejects(sleeper.exited, SpawnerLost);
    // the process itself lives on (detached), as containers do when the agent restarts
    assert.doesNotThrow(() => process.kill(sleeper.pid, 0));
    process.kill(-sleeper.pid, 'SIGKILL');
    const again = await (await s.run({ file: '/bin/echo', args: ['back'], capture: true })).exited;
    assert.equal(again.stdout, 'back\n');
  } finally {
    s.stop();
  }
});

test('runProcess goes through the helper once one is set, and starts here otherwise', async () => {
  const here = await runProcess({ file: '/bin/sleep', args: ['30'], detached: true });
  assert.equal(ppid(here.pid), process.pid);
  process.kill(-here.pid, 'SIGKILL');
  assert.equal((await here.exited).signal, 'SIGKILL');

  const s = new Spawner();
  useSpawner(s);
  try {
    const there = await runProcess({ file: '/bin/sleep', args: ['30'], detached: true });
    assert.notEqual(ppid(there.pid), process.pid);
    process.kill(-there.pid, 'SIGKILL');
    await there.exited;
    assert.equal((await runToEnd({ file: '/bin/sh', args: ['-c', 'exit 7'] })).code, 7);
  } finally {
    releaseSpawner(s);
    s.stop();
  }
});

/** A live process's nice value. */
function niceOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
}

test('a CPU priority asked for: the helper of that priority starts the process (no `nice` in front); without a helper, `nice` is', async () => {
  const s = new Spawner();
  try {
    const low = await s.run({ file: '/bin/sleep', args: ['30'], detached: true, nice: 7 });
    const plain = await s.run({ file: '/bin/sleep', args: ['30'], detached: true });
    assert.equal(niceOf(low.pid), 7);
    assert.equal(niceOf(plain.pid), niceOf(process.pid));
    const lowHelper = ppid(low.pid);
    assert.notEqual(lowHelper, ppid(plain.pid), 'a helper per priority');
    assert.match(readFileSync(`/proc/${lowHelper}/cmdline`, 'utf8'), /spawner-main\.js\0--nice=7/);
    assert.equal(readFileSync(`/proc/${low.pid}/cmdline`, 'utf8'), '/bin/sleep\x0030\x00', 'the program itself, not `nice`');
    // the exit of what the priority's helper started comes back as any other
    const r = await (await s.run({ file: '/bin/sh', args: ['-c', 'exit 4'], nice: 7 })).exited;
    assert.equal(r.code, 4);
    for (const p of [low, plain]) process.kill(-p.pid, 'SIGKILL');
    await Promise.all([low.exited, plain.exited]);
  } finally {
    s.stop();
  }
  // started here (no helper set): `nice -n N` in front, the priority the same
  const here = await runToEnd({ file: '/bin/sh', args: ['-c', 'cut -d" " -f19 /proc/self/stat'], nice: 5, capture: true });
  assert.equal(Number(here.stdout.trim()), niceOf(process.pid) + 5);
});
