/**
 * Reading one connector's `config:` map as Dex does (camelCase keys, YAML scalars), with errors that
 * name the connector and the field. Values are never echoed for fields that may hold secrets.
 */
import { readFileSync } from 'node:fs';

export class ConfigReader {
  constructor(
    private readonly type: string,
    private readonly id: string,
    private readonly config: Record<string, unknown>,
    private readonly prefix = '',
  ) {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      throw this.error(prefix.replace(/\.$/, '') || 'config', 'must be a map');
    }
  }

  error(field: string, what: string): Error {
    return new Error(`connector "${this.id}" (type ${this.type}): ${this.prefix}${field}: ${what}`);
  }

  has(field: string): boolean {
    const v = this.config[field];
    return v !== undefined && v !== null && v !== '';
  }

  str(field: string, def?: string): string | undefined {
    const v = this.config[field];
    if (v === undefined || v === null || v === '') return def;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw this.error(field, `must be a string (got ${Array.isArray(v) ? 'a list' : typeof v})`);
  }

  required(field: string, hint = ''): string {
    const v = this.str(field);
    if (v === undefined) throw this.error(field, `required${hint ? ` (${hint})` : ''}`);
    return v;
  }

  bool(field: string, def = false): boolean {
    const v = this.config[field];
    if (v === undefined || v === null || v === '') return def;
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw this.error(field, `must be true or false (got ${JSON.stringify(v)})`);
  }

  strList(field: string): string[] {
    const v = this.config[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw this.error(field, 'must be a list of strings');
    return v.map((x, i) => {
      if (typeof x !== 'string') throw this.error(`${field}[${i}]`, 'must be a string');
      return x;
    });
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], def: T): T {
    const v = this.str(field, def)!;
    if (!(allowed as readonly string[]).includes(v)) throw this.error(field, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
    return v as T;
  }

  /** a nested map (e.g. `userSearch`) read with the same error naming */
  sub(field: string): ConfigReader {
    const v = this.config[field];
    return new ConfigReader(this.type, this.id, (v ?? {}) as Record<string, unknown>, `${this.prefix}${field}.`);
  }

  list(field: string): ConfigReader[] {
    const v = this.config[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw this.error(field, 'must be a list');
    return v.map((x, i) => new ConfigReader(this.type, this.id, x as Record<string, unknown>, `${this.prefix}${field}[${i}].`));
  }

  /** PEM from a file path (`field`) and/or base64 data (`dataField`), as Dex's rootCA / rootCAData */
  pem(field: string, dataField?: string): string | undefined {
    const path = this.str(field);
    const data = dataField ? this.str(dataField) : undefined;
    let pem = '';
    if (path) {
      try {
        pem += readFileSync(path, 'utf8');
      } catch (e) {
        throw this.error(field, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    if (data) {
      const text = data.includes('-----BEGIN') ? data : Buffer.from(data, 'base64').toString('utf8');
      if (!text.includes('-----BEGIN')) throw this.error(dataField!, 'is not base64-encoded PEM');
      pem += (pem ? '\n' : '') + text;
    }
    if (pem && !pem.includes('-----BEGIN')) throw this.error(field, 'is not a PEM file');
    return pem || undefined;
  }
}

export function reader(type: string, id: string, config: Record<string, unknown>): ConfigReader {
  return new ConfigReader(type, id, config ?? {});
}
