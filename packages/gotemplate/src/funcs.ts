// Function signatures: Go checks argument counts and converts/validates argument types
// before calling a template function. JS functions carry an optional `goSig` describing them.

/**
 * Parameter types understood by the executor:
 * - 'any'     interface{}: nil and missing values arrive as null
 * - 'value'   reflect.Value (builtins): the raw value, undefined = missing, null = nil
 * - 'string'  string; 'bool' bool
 * - 'int'     Go int (arrives as a JS number); 'int64' / 'uint32' Go int64 / uint32 (JS number)
 * - 'float64' float64 (JS number)
 * - 'map'     map[string]interface{} (plain object; nil arrives as null)
 * - 'list'    []interface{} (array; nil arrives as null)
 * - 'time'    time.Time (GoTime)
 */
export type ParamType = 'any' | 'value' | 'string' | 'int' | 'int64' | 'uint32' | 'float64' | 'bool' | 'map' | 'list' | 'time';

export interface GoSignature {
  params: ParamType[];
  variadic?: ParamType;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GoFunction = ((...args: any[]) => unknown) & { goSig?: GoSignature };

/** A map of template functions. Plain JS functions (without goSig) accept any arguments as interface{}. */
export type FuncMap = Record<string, GoFunction>;

/** Attaches a Go signature to a JS function. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function goFunc<F extends (...args: any[]) => unknown>(params: ParamType[], variadic: ParamType | null, fn: F): F & { goSig: GoSignature } {
  const f = fn as F & { goSig: GoSignature };
  f.goSig = variadic ? { params, variadic } : { params };
  return f;
}

export function paramTypeName(p: ParamType): string {
  switch (p) {
    case 'any':
      return 'interface {}';
    case 'value':
      return 'reflect.Value';
    case 'map':
      return 'map[string]interface {}';
    case 'list':
      return '[]interface {}';
    case 'time':
      return 'time.Time';
    default:
      return p;
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
