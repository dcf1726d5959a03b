/**
 * JSON-like JS values → one Lua table constructor (source text). Lua's own parser then builds
 * the tables inside the VM, which is far cheaper than pushing every field through the wasm
 * boundary. Conventions (Argo CD's): objects → tables with string keys, arrays → tables indexed
 * 1..n (wrapped in `A{}` so they come back as arrays even when emptied), null/undefined → nil
 * (the field is absent), numbers → Lua integers when whole, floats otherwise.
 */
const KEYWORDS = new Set(
  'and break do else elseif end false for function goto if in local nil not or repeat return then true until while'.split(' '),
);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPE = /[\x00-\x1f"\\\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function luaString(s: string): string {
  return (
    '"' +
    s.replace(ESCAPE, (c) => {
      if (c === '"') return '\\"';
      if (c === '\\') return '\\\\';
      const code = c.charCodeAt(0);
      if (code >= 0xd800) return '\\u{FFFD}';
      return '\\' + String(code).padStart(3, '0');
    }) +
    '"'
  );
}

function luaKey(k: string): string {
  return IDENT.test(k) && !KEYWORDS.has(k) ? k : `[${luaString(k)}]`;
}

/** The Lua constructor for `value`; `path` names where a value that cannot be passed sits. */
export function toLuaLiteral(value: unknown, path = '$', depth = 0): string {
  if (depth > 150) throw new Error(`cannot pass ${path} to Lua: nested deeper than 150 levels`);
  switch (typeof value) {
    case 'undefined':
      return 'nil';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) return 'nil';
      return String(value);
    case 'bigint':
      return String(value);
    case 'string':
      return luaString(value);
    case 'object': {
      if (value === null) return 'nil';
      if (Array.isArray(value)) {
        const parts = new Array<string>(value.length);
        for (let i = 0; i < value.length; i++) parts[i] = toLuaLiteral(value[i], `${path}[${i}]`, depth + 1);
        return `A{${parts.join(',')}}`;
      }
      const parts: string[] = [];
      for (const k of Object.keys(value)) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined || v === null) continue;
        parts.push(`${luaKey(k)}=${toLuaLiteral(v, `${path}.${k}`, depth + 1)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new Error(`cannot pass ${path} to Lua: a ${typeof value} is not a JSON-like value`);
  }
}
