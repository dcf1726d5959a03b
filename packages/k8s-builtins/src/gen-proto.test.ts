/** The committed protobuf definitions are what scripts/gen-proto.mjs makes from this machine's kubectl. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GEN_PROTO_SOURCE } from './gen-proto-data.js';

test('gen-proto-data.ts is up to date (gen-proto.mjs --check)', (t) => {
  let version = '';
  try {
    version = JSON.parse(execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' })).clientVersion.gitVersion.replace(/-.*$/, '');
  } catch {
    return t.skip('kubectl is not installed');
  }
  if (!GEN_PROTO_SOURCE.startsWith(`kubectl ${version} `)) return t.skip(`the data was made from ${GEN_PROTO_SOURCE}, this machine has kubectl ${version}`);
  const script = fileURLToPath(new URL('../scripts/gen-proto.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /is up to date/);
});
