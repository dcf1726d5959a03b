// .helmignore: one pattern per line; blank lines and `#` comments are skipped. Patterns use shell
// glob syntax (`*`, `?`, `[...]`; no `**`). A pattern without a '/' matches the base name of a file
// or directory at any depth; a pattern with a '/' (a leading '/' is dropped) matches the path
// relative to the chart root. A trailing '/' matches directories only. A leading '!' negates:
// a path matched by it is kept even if an earlier pattern ignored it (the last matching pattern
// decides). An ignored directory is skipped with everything under it. Hidden files directly under
// templates/ are always ignored.
import { globMatch } from './glob.js';

interface Rule {
  raw: string;
  pattern: string;
  negate: boolean;
  dirOnly: boolean;
  fullPath: boolean;
}

export class IgnoreRules {
  private rules: Rule[] = [];

  static parse(text: string): IgnoreRules {
    const r = new IgnoreRules();
    for (const line of text.split(/\r?\n/)) r.add(line);
    return r;
  }

  static withDefaults(text = ''): IgnoreRules {
    const r = new IgnoreRules();
    r.add('templates/.?*');
    for (const line of text.split(/\r?\n/)) r.add(line);
    return r;
  }

  add(line: string): void {
    let p = line.trim();
    if (p === '' || p.startsWith('#')) return;
    const raw = p;
    let negate = false;
    if (p.startsWith('!')) {
      negate = true;
      p = p.slice(1);
    }
    let dirOnly = false;
    if (p.endsWith('/')) {
      dirOnly = true;
      p = p.replace(/\/+$/, '');
    }
    let fullPath = false;
    if (p.startsWith('/')) {
      fullPath = true;
      p = p.replace(/^\/+/, '');
    }
    if (p.includes('/')) fullPath = true;
    if (p === '') return;
    this.rules.push({ raw, pattern: p, negate, dirOnly, fullPath });
  }

  /** Is `path` (relative to the chart root, '/'-separated) ignored? */
  ignored(path: string, isDir: boolean): boolean {
    if (path === '' || path === '.') return false;
    const base = path.slice(path.lastIndexOf('/') + 1);
    let ignored = false;
    for (const r of this.rules) {
      if (r.dirOnly && !isDir) continue;
      if (globMatch(r.pattern, r.fullPath ? path : base)) ignored = !r.negate;
    }
    return ignored;
  }
}
