// Glob patterns over '/'-separated paths.
//
// `*` matches any run of characters except '/', `?` one character except '/', `[abc]`, `[a-z]`,
// `[!abc]` / `[^abc]` character classes, `\x` a literal x. With `doubleStar`, `**` also crosses
// '/' (and `**/` matches zero or more directories); with `braces`, `{a,b}` is an alternation.
// `.Files.Glob` uses both extensions; `.helmignore` and `--show-only` use the plain form
// (Go's filepath.Match).

export interface GlobOptions {
  doubleStar?: boolean;
  braces?: boolean;
}

const cache = new Map<string, RegExp>();

function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? '\\' + ch : ch;
}

function compile(p: string, i: number, opts: GlobOptions, stopAt: string): [string, number] {
  let re = '';
  while (i < p.length) {
    const ch = p[i]!;
    if (stopAt.includes(ch)) break;
    if (ch === '\\' && i + 1 < p.length) {
      re += escapeRe(p[i + 1]!);
      i += 2;
    } else if (ch === '*') {
      if (opts.doubleStar && p[i + 1] === '*') {
        i += 2;
        if (p[i] === '/') {
          re += '(?:.*/)?';
          i++;
        } else re += '.*';
      } else {
        re += '[^/]*';
        i++;
      }
    } else if (ch === '?') {
      re += '[^/]';
      i++;
    } else if (ch === '[') {
      const end = p.indexOf(']', i + 2);
      if (end < 0) throw new Error(`syntax error in pattern ${JSON.stringify(p)}`);
      let body = p.slice(i + 1, end);
      let neg = false;
      if (body[0] === '!' || body[0] === '^') {
        neg = true;
        body = body.slice(1);
      }
      body = body.replace(/\\(.)/g, '$1').replace(/[\\\]^]/g, '\\$&');
      re += neg ? `[^/${body}]` : `[${body}]`;
      i = end + 1;
    } else if (ch === '{' && opts.braces) {
      const alts: string[] = [];
      i++;
      for (;;) {
        const [r, j] = compile(p, i, opts, ',}');
        alts.push(r);
        i = j;
        if (p[i] === ',') {
          i++;
          continue;
        }
        if (p[i] === '}') {
          i++;
          break;
        }
        throw new Error(`syntax error in pattern ${JSON.stringify(p)}`);
      }
      re += '(?:' + alts.join('|') + ')';
    } else {
      re += escapeRe(ch);
      i++;
    }
  }
  return [re, i];
}

export function globRegExp(pattern: string, opts: GlobOptions = {}): RegExp {
  const key = `${opts.doubleStar ? 1 : 0}${opts.braces ? 1 : 0}${pattern}`;
  let re = cache.get(key);
  if (!re) {
    const [src] = compile(pattern, 0, opts, '');
    re = new RegExp('^' + src + '$', 's');
    if (cache.size > 2000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

export function globMatch(pattern: string, path: string, opts: GlobOptions = {}): boolean {
  return globRegExp(pattern, opts).test(path);
}

export function hasGlobMeta(s: string): boolean {
  return /[*?[{]/.test(s);
}
