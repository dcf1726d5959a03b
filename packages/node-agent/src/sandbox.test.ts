import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bwrapArgs, bwrapContext, detectBwrap, type SandboxSpec } from './sandbox.js';

const bw = detectBwrap();

describe('bubblewrap sandbox: an installation under /tmp', { skip: bw.reason ? `skipped: ${bw.reason}` : false }, () => {
  // A clone in /tmp (CI's fresh-clone check) runs its pods from /tmp/<clone>. Argo CD's
  // applicationset controller mounts an emptyDir at /tmp: that volume hid the installation and the
  // pod crashed with "Cannot find module /tmp/<clone>/packages/cli/dist/main.js".
  it('a volume mounted at /tmp does not hide the installation the container runs from; the volume is still writable', () => {
    const base = mkdtempSync(join(tmpdir(), 'fl-sandbox-'));
    try {
      const install = join(base, 'clone');
      mkdirSync(join(install, 'packages'), { recursive: true });
      writeFileSync(join(install, 'packages', 'main.js'), 'ok\n');
      const secret = join(install, 'data');
      mkdirSync(secret);
      writeFileSync(join(secret, 'token'), 'hidden\n');
      const emptyDir = join(base, 'emptydir');
      const podTmp = join(base, 'podtmp');
      mkdirSync(emptyDir);
      mkdirSync(podTmp);
      const ctx = { ...bwrapContext(bw.path!, []), install, hide: [secret] };
      const spec: SandboxSpec = {
        argv: [],
        env: {},
        mounts: [{ host: emptyDir, path: '/tmp' }],
        hostname: 'pod',
        tmpDir: podTmp,
        fsRoot: join(base, 'root'),
        files: [],
      };
      const script = `cat ${install}/packages/main.js && echo written > /tmp/mark && ls ${secret} | wc -l`;
      const r = spawnSync(bw.path!, [...bwrapArgs(ctx, spec, { dieWithParent: false }), '/bin/sh', '-c', script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'ok\n0\n', 'the installation is visible and its hidden paths stay hidden');
      assert.equal(spawnSync('cat', [join(emptyDir, 'mark')], { encoding: 'utf8' }).stdout, 'written\n', 'the emptyDir at /tmp is the container\'s /tmp');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  // upstream's variables-showcase: an input artifact at /work/in.txt and an output written to /work/echoed.txt,
  // on a host that has a /work of its own (read-only in the container)
  it('a file mounted into a directory the host has leaves that directory writable for new files; the host\'s own stay read-only', () => {
    const base = mkdtempSync(join(tmpdir(), 'fl-sandbox-'));
    const hostDir = '/var/lib';
    try {
      const input = join(base, 'in.txt');
      writeFileSync(input, 'artifact\n');
      const podTmp = join(base, 'podtmp');
      mkdirSync(podTmp);
      const ctx = { ...bwrapContext(bw.path!, []), hide: [] };
      const spec: SandboxSpec = { argv: [], env: {}, mounts: [{ host: input, path: `${hostDir}/flotilla-art/in.txt`, readOnly: true }], hostname: 'pod', tmpDir: podTmp, fsRoot: join(base, 'root'), files: [] };
      const script = `cat ${hostDir}/flotilla-art/in.txt && echo out > ${hostDir}/flotilla-art/out.txt && cat ${hostDir}/flotilla-art/out.txt && echo new > ${hostDir}/flotilla-new && ls ${hostDir}/dpkg >/dev/null && (echo x >> ${hostDir}/dpkg/status 2>/dev/null && echo wrote-host || echo host-ro)`;
      const r = spawnSync(bw.path!, [...bwrapArgs(ctx, spec, { dieWithParent: false }), '/bin/sh', '-c', script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'artifact\nout\nhost-ro\n');
      assert.equal(spawnSync('ls', [`${hostDir}/flotilla-new`, `${hostDir}/flotilla-art`]).status, 2, 'nothing written on the host');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
