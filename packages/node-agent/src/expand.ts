/**
 * Small pure helpers: Kubernetes' `$(VAR)` expansion, resource quantities, Service link
 * variables.
 */

/**
 * Expands `$(VAR)` references as Kubernetes does for env values, command and args: a defined
 * variable is replaced, an undefined one is left as written, `$$` becomes `$` (so `$$(VAR)` is the
 * literal `$(VAR)`), and any other `$` is kept.
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  if (!input.includes('$')) return input;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        // unterminated: kept as written
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const v = lookup(name);
      out += v !== undefined ? v : `$(${name})`;
      i = close;
      continue;
    }
    out += ch;
  }
  return out;
}

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** A resource quantity ("500m", "128Mi", "1.5", "2e3") as a number; NaN when malformed. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined || q === null) return NaN;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+)(?:[eE]([+-]?[0-9]+))?([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return NaN;
  const base = Number(m[1]);
  const exp = m[2] ? Number(m[2]) : 0;
  const mult = SUFFIX[m[3]];
  if (mult === undefined) return NaN;
  return base * 10 ** exp * mult;
}

/** The value a resourceFieldRef exposes: the quantity divided by the divisor, rounded up. */
export function resourceValue(quantity: number, divisor: string | number | undefined): string {
  const d = parseQuantity(divisor ?? '1') || 1;
  const v = quantity / d;
  // floating point: 0.5/0.001 = 499.99999999999994
  const r = Math.ceil(Math.round(v * 1e6) / 1e6);
  return String(r);
}

/** Docker-link style variables Kubernetes sets for a Service (enableServiceLinks). */
export function serviceEnv(name: string, host: string, ports: { name?: string; port: number; protocol?: string }[]): Record<string, string> {
  const env: Record<string, string> = {};
  if (!ports.length) return env;
  const n = name.toUpperCase().replace(/-/g, '_');
  env[`${n}_SERVICE_HOST`] = host;
  env[`${n}_SERVICE_PORT`] = String(ports[0].port);
  for (const p of ports) if (p.name) env[`${n}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`] = String(p.port);
  const first = ports[0];
  const proto0 = (first.protocol ?? 'TCP').toLowerCase();
  env[`${n}_PORT`] = `${proto0}://${host}:${first.port}`;
  for (const p of ports) {
    const proto = (p.protocol ?? 'TCP').toUpperCase();
    const pre = `${n}_PORT_${p.port}_${proto}`;
    env[pre] = `${proto.toLowerCase()}://${host}:${p.port}`;
    env[`${pre}_PROTO`] = proto.toLowerCase();
    env[`${pre}_PORT`] = String(p.port);
    env[`${pre}_ADDR`] = host;
  }
  return env;
}

/** An env var name Kubernetes accepts from envFrom (C identifiers and a little more). */
export function isValidEnvName(k: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(k);
}
