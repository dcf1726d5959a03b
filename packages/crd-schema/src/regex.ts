/** Compiles OpenAPI `pattern`s (Go RE2 syntax) into JavaScript RegExps, with a small cache. */

const cache = new Map<string, RegExp | Error>();

const posix: Record<string, string> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: ' \\t',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: 'A-Za-z0-9_',
  xdigit: '0-9A-Fa-f',
};

function translate(pattern: string): { source: string; flags: string } {
  let src = pattern;
  let flags = '';
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    if (m[1].includes('i')) flags += 'i';
    if (m[1].includes('m')) flags += 'm';
    if (m[1].includes('s')) flags += 's';
  }
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])')
    .replace(/\[:(\^?)([a-z]+):\]/g, (all, neg: string, name: string) => {
      const cls = posix[name];
      if (!cls) return all;
      return neg ? `^${cls}` : cls; // only valid inside an enclosing [...]
    });
  return { source: src, flags };
}

/** Returns the compiled pattern or an Error describing why it does not compile. */
export function compilePattern(pattern: string): RegExp | Error {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let out: RegExp | Error;
  const { source, flags } = translate(pattern);
  try {
    out = new RegExp(source, flags);
  } catch (e) {
    try {
      out = new RegExp(source, flags + 'u');
    } catch {
      out = e instanceof Error ? e : new Error(String(e));
    }
  }
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, out);
  return out;
}
