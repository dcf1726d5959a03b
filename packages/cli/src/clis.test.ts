/** The CLI table and its launchers, the entry points of Flotilla's image, and help that matches behaviour. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIS, resolveCli, runCli, writeLaunchers, type CliEntry } from './clis.js';
import { FLAGS, HELP } from './help.js';
import { ENTRY_POINTS, fromModule } from './entrypoints.js';
import { flotilla } from './testkit.js';

describe('Argo command lines: one table for flotilla <cli> and the <data-dir>/bin launchers', () => {
  it('writes an executable launcher for each CLI the build has, which runs it with its arguments and exit code; removes its stale ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-clis-'));
    try {
      const mod = join(dir, 'fake cli.mjs');
      writeFileSync(mod, `export async function main(argv) { process.stdout.write(JSON.stringify(argv)); return argv.includes('fail') ? 3 : 0; }\n`);
      const table: CliEntry[] = [
        { name: 'fake-cli', module: mod, what: 'a CLI made by the test' },
        { name: 'absent', module: '@flotilla/no-such-package/cli', what: 'not built' },
      ];
      const bin = join(dir, 'bin');
      writeFileSync(join(dir, 'placeholder'), '');
      const r = writeLaunchers(bin, table);
      assert.deepEqual(r, { written: ['fake-cli'], missing: ['absent'] });
      assert.equal(existsSync(join(bin, 'absent')), false);
      assert.ok(statSync(join(bin, 'fake-cli')).mode & 0o111, 'executable');
      // run by name from PATH, as a user does after `export PATH=<data-dir>/bin:$PATH`
      const env = { PATH: `${bin}:${process.env.PATH}` };
      const ok = spawnSync('fake-cli', ['app', 'get', "it's quoted"], { encoding: 'utf8', env });
      assert.equal(ok.status, 0, ok.stderr);
      assert.deepEqual(JSON.parse(ok.stdout), ['app', 'get', "it's quoted"]);
      assert.equal(spawnSync('fake-cli', ['fail'], { encoding: 'utf8', env }).status, 3);
      // a launcher of ours whose CLI left the table goes; a file of the user's stays
      writeFileSync(join(bin, 'mine'), '#!/bin/sh\necho mine\n');
      const r2 = writeLaunchers(bin, [table[1]]);
      assert.deepEqual(r2, { written: [], missing: ['absent'] });
      assert.equal(existsSync(join(bin, 'fake-cli')), false);
      assert.equal(readFileSync(join(bin, 'mine'), 'utf8'), '#!/bin/sh\necho mine\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runCli runs a CLI of the table and says clearly when one is not part of this build', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-clis-'));
    try {
      const mod = join(dir, 'cli.mjs');
      writeFileSync(mod, 'export function main(argv) { globalThis.__got = argv; return 7; }\n');
      assert.equal(await runCli({ name: 'x', module: mod, what: 'x' }, ['a'], () => {}), 7);
      assert.deepEqual((globalThis as any).__got, ['a']);
      let err = '';
      assert.equal(await runCli({ name: 'absent', module: '@flotilla/no-such-package/cli', what: 'nothing' }, [], (t) => (err += t)), 1);
      assert.match(err, /'absent' \(nothing\) is not part of this build yet/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flotilla argocd / argo / kubectl-argo-rollouts dispatch through the table', async () => {
    for (const c of CLIS) {
      const r = await flotilla([c.name, 'version']);
      if (resolveCli(c)) continue; // landed: its own tests cover it
      assert.equal(r.code, 1, `${c.name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`'${c.name}' \\(.*\\) is not part of this build yet`));
    }
  });

  it('the pause entry point of Flotilla\'s image runs until SIGTERM and then returns 0 (its pod in components.test.ts runs it through the image)', async () => {
    let code: number | void | undefined;
    const running = ENTRY_POINTS.pause.run([]).then((c) => (code = c));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(code, undefined, 'still running');
    process.kill(process.pid, 'SIGTERM');
    await running;
    assert.equal(code, 0);
    const help = await flotilla(['pause', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Hold the process open until SIGTERM/);
    const extra = await flotilla(['pause', 'now']);
    assert.equal(extra.code, 1);
    assert.match(extra.stderr, /takes no arguments/);
  });

  it('an entry point from a module is imported when it runs, with its arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-entry-'));
    try {
      const mod = join(dir, 'entry.mjs');
      writeFileSync(mod, 'export async function main(argv) { return argv.length; }\n');
      assert.equal(await fromModule('x', mod).run(['a', 'b']), 2);
      await assert.rejects(fromModule('x', mod, 'serve').run([]), /exports no serve\(argv\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('help matches behaviour', () => {
  it('every command\'s --help prints its text, lists exactly the flags it accepts, and the top-level help lists every command', async () => {
    for (const [cmd, flags] of Object.entries(FLAGS)) {
      const r = await flotilla([cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, HELP[cmd]);
      const documented = new Set([...HELP[cmd].matchAll(/^\s+(?:-\w, )?--([a-z-]+)/gm)].map((m) => m[1]));
      assert.deepEqual([...documented].sort(), Object.keys(flags).sort(), `flotilla ${cmd} --help`);
      for (const f of Object.keys(flags)) {
        if (f === 'help') continue;
        // an accepted flag is not refused as unknown
        const probe = await flotilla([cmd, `--${f}${(flags as Record<string, { type: string }>)[f].type === 'string' ? '=x' : ''}`, '--help']);
        assert.doesNotMatch(probe.stderr, /Unknown option/, `${cmd} --${f}`);
      }
      const bogus = await flotilla([cmd, '--bogus']);
      assert.equal(bogus.code, 1);
      assert.match(bogus.stderr, /Unknown option '--bogus'/);
    }
    const top = (await flotilla(['--help'])).stdout;
    for (const cmd of [...Object.keys(FLAGS), 'render', 'helm template', ...CLIS.map((c) => c.name), ...Object.keys(ENTRY_POINTS)]) assert.match(top, new RegExp(`\\n  ${cmd}\\s`), cmd);
    // flags of one command are not accepted by another
    const wrong = await flotilla(['status', '--detach']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Unknown option '--detach'/);
  });
});
