/**
 * Kubernetes resource quantities (`resource.Quantity`): "500m", "1Gi", "1e3", "0.5", or a number, as a number of
 * base units (cores, bytes …). Binary suffixes Ki…Ei, decimal n u m k M G T P E, and e/E exponents.
 */
const QUANTITY_RE = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** The quantity's value, or undefined when it is not a valid quantity. */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY_RE.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const suf = m[2] ?? '';
  if (suf.startsWith('e') || suf.startsWith('E')) return n * 10 ** Number(suf.slice(1));
  return n * SUFFIX[suf]!;
}
