/** System programs (iproute2, nsenter, slirp4netns…): finding them, running shell scripts. */
import { runToEnd } from './spawner.js';
import { accessSync, constants as fsc } from 'node:fs';
import { join } from 'node:path';

export function findTool(name: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')]) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, fsc.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Runs a shell script (with `input` on its stdin); rejects with its stderr. Through the agent's process helper when it has one. */
export async function sh(script: string, input?: string): Promise<void> {
  const r = await runToEnd({ file: '/bin/sh', args: ['-c', script], input, capture: true });
  if (r.code !== 0) throw new Error(r.stderr.trim() || `exit ${r.code ?? r.signal}`);
}
