/** Objects as the Go CLIs print them with `-o yaml` (sigs.k8s.io/yaml: keys sorted). */
import YAML from './yaml.js';

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function toYAML(v: unknown): string {
  return YAML.stringify(sortKeys(v), { lineWidth: 0, indentSeq: false });
}
