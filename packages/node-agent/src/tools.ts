/** Finding system programs (iproute2, nsenter, slirp4netns…) in the usual places and on PATH. */
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
