// js-yaml ships no types; the CLI uses loadAll only (for what the 'yaml' package refuses and go-yaml accepts).
declare module 'js-yaml' {
  export function loadAll(text: string): unknown[];
  const _default: { loadAll: typeof loadAll };
  export default _default;
}
