// toToml: a TOML encoder in the layout Helm's encoder uses: in each table the plain key/value
// pairs come first (sorted), then sub-tables and arrays of tables (sorted); nested tables and their
// keys are indented two spaces per level; a blank line separates top-level tables.
import { isMap, formatFloat } from '@flotilla/gotemplate';
import { jsonify } from './yaml.js';

function quoteKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
}

function tomlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      default:
        out += c < 0x20 || c === 0x7f ? '\\u' + c.toString(16).toUpperCase().padStart(4, '0') : ch;
    }
  }
  return out + '"';
}

function isTable(v: unknown): v is Record<string, unknown> {
  return isMap(v);
}
function isTableArray(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => isMap(x));
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (v === Infinity) return 'inf';
    if (v === -Infinity) return '-inf';
    const s = formatFloat(v, 'f', -1);
    return s.includes('.') ? s : s + '.0';
  }
  if (Array.isArray(v)) return '[' + v.filter((x) => x !== null).map(scalar).join(', ') + ']';
  if (isMap(v)) {
    const keys = Object.keys(v).sort().filter((k) => v[k] !== null);
    return '{' + keys.map((k) => `${quoteKey(k)} = ${scalar(v[k])}`).join(', ') + '}';
  }
  throw new Error(`toml: cannot encode a value of type ${typeof v}`);
}

class Encoder {
  out = '';
  private newline(): void {
    if (this.out.length) this.out += '\n';
  }
  private indent(depth: number): string {
    return '  '.repeat(Math.max(0, depth));
  }

  table(key: string[], m: Record<string, unknown>): void {
    const keys = Object.keys(m).sort();
    const direct = keys.filter((k) => m[k] !== null && m[k] !== undefined && !isTable(m[k]) && !isTableArray(m[k]));
    const sub = keys.filter((k) => isTable(m[k]) || isTableArray(m[k]));
    for (const k of direct) {
      this.out += `${this.indent(key.length)}${quoteKey(k)} = ${scalar(m[k])}\n`;
    }
    for (const k of sub) {
      const v = m[k];
      const path = [...key, k];
      const header = path.map(quoteKey).join('.');
      if (isTableArray(v)) {
        for (const t of v) {
          this.newline();
          this.out += `${this.indent(path.length - 1)}[[${header}]]\n`;
          this.table(path, t);
        }
      } else {
        if (path.length === 1) this.newline();
        this.out += `${this.indent(path.length - 1)}[${header}]\n`;
        this.table(path, v as Record<string, unknown>);
      }
    }
  }
}

/** Encodes a map as TOML; throws when the value is not a map. */
export function encodeToml(v: unknown): string {
  const j = jsonify(v);
  if (!isMap(j)) throw new Error('toml: top-level values must be Go maps or structs');
  const e = new Encoder();
  e.table([], j);
  return e.out;
}
