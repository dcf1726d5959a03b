/**
 * The glob dialect of Argo CD's `directory.include` / `directory.exclude`: matched against the
 * file's path relative to the application directory; `*` matches any run of characters
 * including `/` (so `*.yaml` also matches `env/x.yaml`), `?` one character, `[abc]` / `[a-z]` /
 * `[!a]` a class, `{a,b}` alternatives (nestable), `\` escapes.
 */
const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let i = 0;
  const parse = (inBrace: boolean): string => {
    let out = '';
    while (i < pattern.length) {
      const c = pattern[i]!;
      if (inBrace && (c === ',' || c === '}')) return out;
      i++;
      if (c === '\\' && i < pattern.length) {
        out += escapeRe(pattern[i++]!);
      } else if (c === '*') {
        while (pattern[i] === '*') i++;
        out += '.*';
      } else if (c === '?') {
        out += '.';
      } else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) {
          out += '\\[';
          continue;
        }
        let body = pattern.slice(i, end);
        i = end + 1;
        let neg = false;
        if (body.startsWith('!') || body.startsWith('^')) {
          neg = true;
          body = body.slice(1);
        }
        out += `[${neg ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      } else if (c === '{') {
        const alts: string[] = [];
        for (;;) {
          alts.push(parse(true));
          if (i >= pattern.length) break;
          const d = pattern[i++];
          if (d === '}') break;
        }
        out += `(?:${alts.join('|')})`;
      } else {
        out += escapeRe(c);
      }
    }
    return out;
  };
  const re = new RegExp(`^${parse(false)}$`, 's');
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

export function globMatch(pattern: string, path: string): boolean {
  return globToRegExp(pattern).test(path);
}
