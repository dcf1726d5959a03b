/**
 * What the CLI loads at start: `argocd version --client` (issue 10's < 150 ms process-time target)
 * and `argocd app list` must not pull in the code of commands they do not run. The real CLI as a
 * process, with a module-resolution hook that reports every module it loads.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../../cli/dist/cli-runner.js', import.meta.url));
const CLI = new URL('./cli.js', import.meta.url).href;
const HOOK = `export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('LOADED ' + r.url + '\\n'); return r; }`;
// and, at exit, whether Node's stream stack (internal modules, not seen by the hook) was loaded
const REGISTER = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)})); process.on('exit', () => { const s = process.moduleLoadList.includes('NativeModule internal/fs/streams'); process.stderr.write('STREAMS ' + s + '\\n'); });`;
const home = mkdtempSync(join(tmpdir(), 'flotilla-argocd-startup-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** The modules `argocd <args>` loads (URLs), and its stdout. */
function loaded(args: string[]): { modules: string[]; stdout: string; streams: boolean } {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, RUNNER, CLI, ...args], {
    env: { PATH: process.env.PATH, HOME: home, ARGOCD_SERVER: '127.0.0.1:1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const modules = [...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]);
  assert.ok(modules.length > 0, `no module reported:\n${r.stderr}`);
  return { modules, stdout: r.stdout, streams: /^STREAMS true$/m.test(r.stderr) };
}

const offending = (modules: string[], patterns: RegExp[]): string[] => modules.filter((u) => patterns.some((p) => p.test(u)));

describe('argocd start-up', () => {
  it('version --client loads no SSO/OIDC code, no HTTP(S), no YAML, no Kubernetes client and no other command group', () => {
    const { modules, stdout, streams } = loaded(['version', '--client']);
    assert.match(stdout, /^argocd: v/);
    assert.equal(streams, false, "Node's stream modules are loaded (an ESM import of node:fs, or process.stdout/stdin made)");
    const bad = offending(modules, [/openid-client/, /oauth4webapi/, /\/jose\//, /\/sso\.js$/, /^node:https?$/, /node_modules\/yaml\//, /kube-runtime/, /argocd-engine/, /\/commands\/(?!session\.js|relogin\.js)[^/]+\.js$/]);
    assert.deepEqual(bad, [], 'modules version --client should not load');
  });

  it('app list loads neither the SSO code nor the app operations (sync, wait, diff) nor node:child_process', () => {
    const { modules } = loaded(['app', 'list']);
    assert.ok(modules.some((u) => u.endsWith('/commands/app.js')), 'app.js is loaded');
    const bad = offending(modules, [/openid-client/, /oauth4webapi/, /\/jose\//, /\/sso\.js$/, /\/commands\/app-ops\.js$/, /\/commands\/app-wait\.js$/, /\/diff\.js$/, /kube-runtime/, /^node:child_process$/]);
    assert.deepEqual(bad, [], 'modules app list should not load');
  });
});
