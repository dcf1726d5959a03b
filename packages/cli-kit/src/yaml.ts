/**
 * The `yaml` package, loaded on first use (synchronously, through require), so that commands that
 * never read or write YAML (`argocd version --client`, `argo version`) start faster.
 */
import { createRequire } from 'node:module';
import type * as Y from 'yaml';

const req = createRequire(import.meta.url);
let mod: typeof Y | undefined;
const load = (): typeof Y => (mod ??= req('yaml') as typeof Y);

const YAML = {
  parse: ((...a: unknown[]) => (load().parse as (...x: unknown[]) => any)(...a)) as typeof Y.parse,
  stringify: ((...a: unknown[]) => (load().stringify as (...x: unknown[]) => string)(...a)) as typeof Y.stringify,
  parseAllDocuments: ((...a: unknown[]) => (load().parseAllDocuments as (...x: unknown[]) => any)(...a)) as typeof Y.parseAllDocuments,
};
export default YAML;
