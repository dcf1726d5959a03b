/**
 * Kubernetes resource.Quantity in canonical form, as the API server stores it: `0.5` → `500m`,
 * `1024Mi` → `1Gi`, `1000m` → `1`, `1e3` stays in exponent form. Values are handled in nano units
 * (the smallest the API keeps); the form follows the suffix family of the input (binary, decimal
 * SI, decimal exponent), binary falling back to decimal SI for fractions.
 */
const BIN: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DEC: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DEC_SUFFIX = Object.fromEntries(Object.entries(DEC).map(([k, v]) => [v, k])) as Record<number, string>;
const RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** Canonical string of a quantity; undefined when `v` is not one. */
export function canonicalQuantity(v: unknown): string | undefined {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : typeof v === 'string' ? v.trim() : '';
  const m = RE.exec(s.replace(/e\+?(\d+)$/, 'e$1'));
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const neg = m[1] === '-';
  const intPart = m[2] || '0';
  const frac = (m[3] ?? '').slice(0, 30);
  // value in nano units, rounded up as Kubernetes does for precision below 1n
  let scaled = BigInt(intPart + frac.padEnd(9, '0').slice(0, 9));
  const rest = frac.slice(9);
  if (/[1-9]/.test(rest)) scaled += 1n;
  let format: 'bin' | 'dec' | 'exp' = 'dec';
  if (m[4] && BIN[m[4]]) {
    scaled *= BIN[m[4]];
    format = 'bin';
  } else if (m[4] !== undefined) {
    const e = DEC[m[4]];
    scaled = e >= 0 ? scaled * 10n ** BigInt(e) : ceilDiv(scaled, 10n ** BigInt(-e));
  } else if (m[5] !== undefined) {
    const e = Number(m[5]);
    if (Math.abs(e) > 40) return undefined;
    scaled = e >= 0 ? scaled * 10n ** BigInt(e) : ceilDiv(scaled, 10n ** BigInt(-e));
    format = 'exp';
  }
  if (scaled === 0n) return '0';
  const sign = neg ? '-' : '';
  const NANO = 1_000_000_000n;
  if (format === 'bin' && scaled % NANO === 0n) {
    const whole = scaled / NANO;
    let best = '';
    let val = whole;
    for (const [suf, mul] of Object.entries(BIN)) if (whole % mul === 0n) {
      best = suf;
      val = whole / mul;
    }
    // below 1Ki the binary form is the plain number (Kubernetes prints 512, not 0.5Ki)
    return sign + String(val) + best;
  }
  let exp = -9;
  let mant = scaled;
  while (mant % 1000n === 0n && exp < 18) {
    mant /= 1000n;
    exp += 3;
  }
  if (format === 'exp') return sign + String(mant) + (exp === 0 ? '' : `e${exp}`);
  return sign + String(mant) + DEC_SUFFIX[exp];
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
