/** The upstream examples (read at test time) and the ones refused, with upstream's reason. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UPSTREAM } from './testenv.js';

export const EXAMPLES = join(UPSTREAM, 'argo-events-examples');

/** Examples refused, and why (the legacy HTTP-trigger tutorial names the URL `serverURL`, a field upstream does not have). */
export const REFUSED: Record<string, RegExp> = {
  'tutorials/09-http-trigger/sensor-01.yaml': /trigger "http-trigger": server URL can't be empty/,
  'tutorials/09-http-trigger/sensor-02.yaml': /trigger "http-trigger": server URL can't be empty/,
};

export function exampleFiles(dir = EXAMPLES): string[] {
  const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  return walk(dir).filter((f) => /\.ya?ml$/.test(f));
}

