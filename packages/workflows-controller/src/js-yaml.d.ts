// js-yaml ships no types; the examples test uses loadAll only.
declare module 'js-yaml' {
  export function loadAll(src: string): unknown[];
  const jsyaml: { loadAll: typeof loadAll };
  export default jsyaml;
}
