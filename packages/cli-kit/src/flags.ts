/**
 * Flags with pflag's semantics (the Go library cobra uses): `--name value`, `--name=value`, `-n value`,
 * `-nvalue`, `-abc` for boolean shorthands, `--` ends the flags, flags and arguments may interleave.
 * Usage lines are rendered exactly as pflag's FlagUsages renders them.
 */

export type FlagType = 'bool' | 'string' | 'int' | 'uint' | 'int64' | 'duration' | 'stringArray' | 'stringSlice' | 'stringToString' | 'float';

export interface FlagDef {
  name: string;
  short?: string;
  type: FlagType;
  usage: string;
  /** default as a value (string for string/duration, number for int, boolean, string[] for arrays) */
  default?: unknown;
  /** value used when the flag is given without `=value` (pflag NoOptDefVal), only for non-bool flags */
  noOptDefault?: string;
  hidden?: boolean;
  /** where the value lives in the parsed options (default: camel-cased name) */
  key?: string;
}

export class FlagError extends Error {}

export function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const TYPE_NAME: Record<FlagType, string> = {
  bool: '',
  string: 'string',
  int: 'int',
  uint: 'uint',
  int64: 'int',
  duration: 'duration',
  stringArray: 'stringArray',
  stringSlice: 'strings',
  stringToString: 'stringToString',
  float: 'float',
};

/** Go's duration syntax: "300ms", "1.5h", "2h45m", "0s"; returns milliseconds. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let sign = 1;
  let i = 0;
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? -1 : 1;
    i = 1;
  }
  if (i >= s.length) throw new Error(`time: invalid duration "${s}"`);
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  re.lastIndex = i;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m) throw new Error(`time: invalid duration "${s}"`);
    total += parseFloat(m[1]) * unit[m[2]];
  }
  return sign * total;
}

/** Go's time.Duration String(): 1h2m3s, 1.5s, 300ms, 0s. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  let out = '';
  if (rest < 1000) {
    out = `${+rest.toFixed(6)}ms`;
  } else {
    const h = Math.floor(rest / 3_600_000);
    rest -= h * 3_600_000;
    const m = Math.floor(rest / 60_000);
    rest -= m * 60_000;
    const s = +(rest / 1000).toFixed(9);
    if (h) out += `${h}h`;
    if (h || m) out += `${m}m`;
    out += `${s}s`;
  }
  return neg ? `-${out}` : out;
}

function defaultString(f: FlagDef): string {
  const d = f.default;
  switch (f.type) {
    case 'bool':
      return d ? 'true' : 'false';
    case 'stringArray':
    case 'stringSlice':
      return `[${((d as string[] | undefined) ?? []).join(',')}]`;
    case 'stringToString':
      return `[${Object.entries((d as Record<string, string>) ?? {}).map(([k, v]) => `${k}=${v}`).join(',')}]`;
    case 'int':
    case 'uint':
    case 'int64':
    case 'float':
      return String(d ?? 0);
    case 'duration':
      return d === undefined ? '0s' : typeof d === 'number' ? formatDuration(d) : String(d);
    default:
      return d === undefined ? '' : String(d);
  }
}

function isZeroDefault(f: FlagDef): boolean {
  const s = defaultString(f);
  switch (f.type) {
    case 'bool':
      return s === 'false';
    case 'string':
      return s === '';
    case 'int':
    case 'uint':
    case 'int64':
    case 'float':
      return s === '0';
    case 'duration':
      return s === '0s';
    default:
      return s === '[]';
  }
}

/** pflag's UnquoteUsage: a `backquoted` word of the usage names the value, else the type does. */
function unquoteUsage(f: FlagDef): [string, string] {
  const a = f.usage.indexOf('`');
  if (a >= 0) {
    const b = f.usage.indexOf('`', a + 1);
    if (b > a) return [f.usage.slice(a + 1, b), f.usage.slice(0, a) + f.usage.slice(a + 1, b) + f.usage.slice(b + 1)];
  }
  return [TYPE_NAME[f.type], f.usage];
}

/** The flag lines as pflag prints them (sorted by name, aligned, defaults appended). */
export function flagUsages(flags: FlagDef[]): string {
  const lines: string[] = [];
  let maxlen = 0;
  for (const f of [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (f.hidden) continue;
    let line = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    const [varname, usage] = unquoteUsage(f);
    if (varname) line += ' ' + varname;
    if (f.noOptDefault !== undefined && f.type !== 'bool') line += f.type === 'string' ? `[="${f.noOptDefault}"]` : `[=${f.noOptDefault}]`;
    line += '\x00';
    if (line.length > maxlen) maxlen = line.length;
    line += usage;
    if (!isZeroDefault(f)) line += f.type === 'string' ? ` (default ${JSON.stringify(defaultString(f))})` : ` (default ${defaultString(f)})`;
    lines.push(line);
  }
  return lines
    .map((l) => {
      const i = l.indexOf('\x00');
      return `${l.slice(0, i)} ${' '.repeat(maxlen - i)} ${l.slice(i + 1)}`;
    })
    .join('\n');
}

export function initialValues(flags: FlagDef[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const k = f.key ?? camel(f.name);
    switch (f.type) {
      case 'bool':
        out[k] = Boolean(f.default);
        break;
      case 'stringArray':
      case 'stringSlice':
        out[k] = [...((f.default as string[]) ?? [])];
        break;
      case 'stringToString':
        out[k] = { ...((f.default as Record<string, string>) ?? {}) };
        break;
      case 'int':
      case 'uint':
      case 'int64':
      case 'float':
        out[k] = (f.default as number) ?? 0;
        break;
      case 'duration':
        out[k] = typeof f.default === 'string' ? parseDuration(f.default) : ((f.default as number) ?? 0);
        break;
      default:
        out[k] = (f.default as string) ?? '';
    }
  }
  return out;
}

function setValue(f: FlagDef, into: Record<string, unknown>, raw: string, changed: Set<string>, flagText: string): void {
  const k = f.key ?? camel(f.name);
  const bad = (why: string) => new FlagError(`invalid argument "${raw}" for "${flagText}" flag: ${why}`);
  switch (f.type) {
    case 'bool': {
      const v = { true: true, '1': true, t: true, T: true, TRUE: true, True: true, false: false, '0': false, f: false, F: false, FALSE: false, False: false }[raw];
      if (v === undefined) throw bad(`strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
      into[k] = v;
      break;
    }
    case 'int':
    case 'int64':
    case 'uint': {
      if (!/^[+-]?\d+$/.test(raw) || (f.type === 'uint' && raw.startsWith('-'))) throw bad(`strconv.Parse${f.type === 'uint' ? 'Uint' : 'Int'}: parsing ${JSON.stringify(raw)}: invalid syntax`);
      into[k] = parseInt(raw, 10);
      break;
    }
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) throw bad(`strconv.ParseFloat: parsing ${JSON.stringify(raw)}: invalid syntax`);
      into[k] = n;
      break;
    }
    case 'duration':
      try {
        into[k] = parseDuration(raw);
      } catch (e) {
        throw bad((e as Error).message);
      }
      break;
    case 'stringArray': {
      const arr = changed.has(k) ? (into[k] as string[]) : [];
      arr.push(raw);
      into[k] = arr;
      break;
    }
    case 'stringSlice': {
      const arr = changed.has(k) ? (into[k] as string[]) : [];
      arr.push(...(raw === '' ? [] : raw.split(',')));
      into[k] = arr;
      break;
    }
    case 'stringToString': {
      const m = changed.has(k) ? (into[k] as Record<string, string>) : {};
      for (const kv of raw.split(',')) {
        const i = kv.indexOf('=');
        if (i < 0) throw bad(`${kv} must be formatted as key=value`);
        m[kv.slice(0, i)] = kv.slice(i + 1);
      }
      into[k] = m;
      break;
    }
    default:
      into[k] = raw;
  }
  changed.add(k);
}

export interface ParseResult {
  args: string[];
  values: Record<string, unknown>;
  /** keys of flags given on the command line */
  changed: Set<string>;
  help: boolean;
}

/** Parses argv against the flags (local + inherited), pflag style. */
export function parseFlags(argv: string[], flags: FlagDef[]): ParseResult {
  const byName = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const values = initialValues(flags);
  const changed = new Set<string>();
  const args: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const f = byName.get(name);
      if (!f) {
        if (name === 'help') {
          help = true;
          continue;
        }
        throw new FlagError(`unknown flag: --${name}`);
      }
      if (eq >= 0) setValue(f, values, a.slice(eq + 1), changed, name);
      else if (f.type === 'bool') setValue(f, values, 'true', changed, name);
      else if (f.noOptDefault !== undefined) setValue(f, values, f.noOptDefault, changed, name);
      else if (i + 1 < argv.length) setValue(f, values, argv[++i], changed, name);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      let j = 1;
      while (j < a.length) {
        const c = a[j];
        const f = byShort.get(c);
        if (!f) {
          if (c === 'h') {
            help = true;
            j++;
            continue;
          }
          throw new FlagError(`unknown shorthand flag: '${c}' in ${a}`);
        }
        const rest = a.slice(j + 1);
        if (f.type === 'bool') {
          if (rest.startsWith('=')) {
            setValue(f, values, rest.slice(1), changed, f.name);
            break;
          }
          setValue(f, values, 'true', changed, f.name);
          j++;
          continue;
        }
        if (rest.length > 0) setValue(f, values, rest.startsWith('=') ? rest.slice(1) : rest, changed, f.name);
        else if (f.noOptDefault !== undefined) setValue(f, values, f.noOptDefault, changed, f.name);
        else if (i + 1 < argv.length) setValue(f, values, argv[++i], changed, f.name);
        else throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
        break;
      }
      continue;
    }
    args.push(a);
  }
  return { args, values, changed, help };
}
