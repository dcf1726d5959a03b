/**
 * Parameters: the path parameters of the git generators, cluster parameters, flattening for
 * fasttemplate mode, name sanitising (`normalize`) and `slugify` as upstream defines them.
 */
import type { Params } from './types.js';

/** Upstream's SanitizeName: lower case, characters outside `[-a-z0-9.]` become `-`, 253 at most, trimmed of `-` and `.`. */
export function sanitizeName(name: string): string {
  let n = name.toLowerCase().replace(/[^-a-z0-9.]/g, '-');
  if (n.length > 253) n = n.slice(0, 253);
  return n.replace(/^[-.]+|[-.]+$/g, '');
}

/** Upstream's slugify(maxSize, smartTruncate, text): lower case, `[^a-z0-9-]` runs → `-`, truncated (at a word boundary when smart). */
export function slugify(maxSize: number, smartTruncate: boolean, text: string): string {
  let s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (maxSize > 0 && s.length > maxSize) {
    if (smartTruncate) {
      const words = s.split('-');
      let out = '';
      for (const w of words) {
        const next = out ? `${out}-${w}` : w;
        if (next.length > maxSize) break;
        out = next;
      }
      s = out || s.slice(0, maxSize);
    } else s = s.slice(0, maxSize);
  }
  return s;
}

/** Go's fmt %v of a JSON value (fasttemplate mode turns every value into a string). */
export function goString(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  return `map[${Object.keys(v as object)
    .sort()
    .map((k) => `${k}:${goString((v as Record<string, unknown>)[k])}`)
    .join(' ')}]`;
}

/** Nested values → flat `a.b.c` / `a.0` keys with string values (fasttemplate mode). */
export function flatten(v: Record<string, unknown>, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const [k, val] of Object.entries(v)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (val && typeof val === 'object' && !Array.isArray(val)) flatten(val as Record<string, unknown>, key, out);
    else if (Array.isArray(val)) {
      val.forEach((x, i) => {
        if (x && typeof x === 'object') flatten(Array.isArray(x) ? Object.fromEntries(x.map((y, j) => [String(j), y])) : (x as Record<string, unknown>), `${key}.${i}`, out);
        else out[`${key}.${i}`] = goString(x);
      });
    } else out[key] = goString(val);
  }
  return out;
}

/** Path parameters of a directory or file found by the git generator. */
export function pathParams(p: string, goTemplate: boolean, opts: { file?: boolean; prefix?: string } = {}): Params {
  const segs = p.split('/').filter(Boolean);
  // a file's path parameter is its directory; basename and segments too
  const dir = opts.file ? segs.slice(0, -1) : segs;
  const path = dir.join('/');
  const basename = dir.length ? dir[dir.length - 1]! : '.';
  const filename = opts.file ? segs[segs.length - 1] ?? '' : undefined;
  const pre = opts.prefix ? `${opts.prefix}.` : '';
  if (goTemplate) {
    const pathObj: Record<string, unknown> = { path, basename, basenameNormalized: sanitizeName(basename), segments: dir };
    if (filename !== undefined) Object.assign(pathObj, { filename, filenameNormalized: sanitizeName(filename) });
    return opts.prefix ? { [opts.prefix]: { path: pathObj } } : { path: pathObj };
  }
  const out: Record<string, string> = { [`${pre}path`]: path, [`${pre}path.basename`]: basename, [`${pre}path.basenameNormalized`]: sanitizeName(basename) };
  if (filename !== undefined) Object.assign(out, { [`${pre}path.filename`]: filename, [`${pre}path.filenameNormalized`]: sanitizeName(filename) });
  dir.forEach((s, i) => (out[`${pre}path[${i}]`] = s));
  return out;
}

/** Shell-like glob (`*` and `?` stay within a segment, `**` crosses them, `[…]` classes) → RegExp. */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) re += '\\' + pattern[++i];
    else re += c.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function globMatches(pattern: string, path: string): boolean {
  return globRegExp(pattern).test(path);
}

/** Directories a git directories generator yields: matched by an include pattern and no exclude pattern; hidden ones never. */
export function selectDirectories(all: string[], entries: { path: string; exclude?: boolean }[]): string[] {
  const inc = entries.filter((e) => !e.exclude).map((e) => globRegExp(e.path));
  const exc = entries.filter((e) => e.exclude).map((e) => globRegExp(e.path));
  return all
    .filter((d) => !d.split('/').some((s) => s.startsWith('.')))
    .filter((d) => inc.some((r) => r.test(d)) && !exc.some((r) => r.test(d)))
    .sort();
}

/** Files a git files generator reads: matched by an include pattern and no exclude pattern. */
export function selectFiles(all: string[], entries: { path: string; exclude?: boolean }[]): string[] {
  return selectDirectories(all, entries);
}
