// AST of the expr language.

export type Node =
  | { k: 'nil'; pos: number }
  | { k: 'bool'; v: boolean; pos: number }
  | { k: 'int'; v: bigint; pos: number }
  | { k: 'float'; v: number; pos: number }
  | { k: 'str'; v: string; pos: number }
  | { k: 'ident'; name: string; pos: number }
  /** `#`, `#index`, `#acc`, … inside a closure */
  | { k: 'ptr'; name: string; pos: number }
  | { k: 'unary'; op: string; x: Node; pos: number }
  | { k: 'binary'; op: string; l: Node; r: Node; pos: number }
  /** obj.prop / obj[prop] / obj?.prop; `optional` short-circuits on nil */
  | { k: 'member'; obj: Node; prop: Node; optional: boolean; method?: boolean; pos: number }
  | { k: 'slice'; obj: Node; from?: Node; to?: Node; pos: number }
  /** call of a builtin (resolved at compile time when the name is a builtin and the env does not define it) or of a value */
  | { k: 'call'; callee: Node; args: Node[]; pos: number }
  | { k: 'closure'; body: Node; pos: number }
  | { k: 'cond'; test: Node; then: Node; else: Node; pos: number }
  | { k: 'array'; items: Node[]; pos: number }
  | { k: 'map'; entries: [Node, Node][]; pos: number }
  | { k: 'let'; name: string; value: Node; body: Node; pos: number };

/** Builtins whose argument at index 1 is a closure (predicate). */
export const PREDICATE_BUILTINS = new Set([
  'all', 'any', 'none', 'one', 'filter', 'map', 'count', 'find', 'findIndex', 'findLast', 'findLastIndex',
  'groupBy', 'sortBy', 'reduce', 'sum',
]);
