/**
 * Test helpers shared by the UI's browser tests: an accessibility check with axe-core and a
 * `kubectl port-forward` to a server of the cluster.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const AXE = fileURLToPath(new URL('../../../node_modules/axe-core/axe.min.js', import.meta.url));

/** axe-core on the page as it is: no serious or critical violation (WCAG 2 A/AA rules). */
export async function axeCheck(page: Page, what: string): Promise<void> {
  if (!existsSync(AXE)) return void console.log(`# axe-core not installed at ${AXE}: accessibility check of ${what} skipped`);
  await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => {
    const g = globalThis as any;
    const r = await g.axe.run(g.document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')) }));
  });
  const bad = res.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical');
  console.log(`# axe ${what}: ${res.length} violation(s), ${bad.length} serious or critical${res.length ? `: ${res.map((v: { id: string; impact: string }) => `${v.id} (${v.impact})`).join(', ')}` : ''}`);
  assert.deepEqual(bad, [], `accessibility (${what})`);
}

/** `kubectl port-forward -n ns target :port`; resolves with the local port (the process goes to `set`). */
export function kubectlPortForward(o: { kubeconfig: string; home: string; ns: string; target: string; port: number }, set: (p: ChildProcess) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', ['port-forward', '-n', o.ns, o.target, `:${o.port}`], { env: { ...process.env, KUBECONFIG: o.kubeconfig, HOME: o.home } });
    set(p);
    let buf = '';
    const t = setTimeout(() => reject(new Error(`port-forward did not start: ${buf}`)), 60_000);
    const on = (d: Buffer) => {
      buf += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    };
    p.stdout!.on('data', on);
    p.stderr!.on('data', on);
    p.on('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`port-forward ${o.target} exited ${c}: ${buf}`));
    });
  });
}
