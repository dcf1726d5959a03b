/**
 * node:fs for the modules every `argocd` command loads, through require rather than `import`: Node's
 * ESM facade of a built-in reads all of its exports, and fs.ReadStream's getter then loads the whole
 * stream stack (~20 internal modules) that `argocd version --client` never uses.
 */
import { createRequire } from 'node:module';

export const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
