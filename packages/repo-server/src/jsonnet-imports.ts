/**
 * Static check of Jsonnet imports. Jsonnet only imports string literals, so scanning the sources
 * finds every file an evaluation can read; anything that resolves outside the repository
 * (`import '/etc/passwd'`, `importstr '../../x'`, a symlink out) is refused before evaluation.
 */
import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { RepoError } from './errors.js';
import { isWithin } from './paths.js';

export interface JsonnetImport {
  kind: 'import' | 'importstr' | 'importbin';
  path: string;
  line: number;
}

/** Finds `import`, `importstr` and `importbin` string-literal operands in Jsonnet source. */
export function scanImports(src: string): JsonnetImport[] {
  const out: JsonnetImport[] = [];
  let i = 0;
  let line = 1;
  const n = src.length;
  const skipSpaceAndComments = () => {
    for (;;) {
      const c = src[i];
      if (c === '\n') {
        line++;
        i++;
      } else if (c === ' ' || c === '\t' || c === '\r') i++;
      else if (c === '#' || (c === '/' && src[i + 1] === '/')) {
        while (i < n && src[i] !== '\n') i++;
      } else if (c === '/' && src[i + 1] === '*') {
        const end = src.indexOf('*/', i + 2);
        const stop = end < 0 ? n : end + 2;
        for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
        i = stop;
      } else return;
    }
  };
  /** Reads a string literal at i (any Jsonnet form); returns its value or undefined. */
  const readString = (): string | undefined => {
    const c = src[i];
    if (c === '@' && (src[i + 1] === '"' || src[i + 1] === "'")) {
      const q = src[i + 1]!;
      i += 2;
      let s = '';
      while (i < n) {
        if (src[i] === q) {
          if (src[i + 1] === q) {
            s += q;
            i += 2;
            continue;
          }
          i++;
          return s;
        }
        if (src[i] === '\n') line++;
        s += src[i++];
      }
      return s;
    }
    if (c === '"' || c === "'") {
      i++;
      let s = '';
      while (i < n && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < n) {
          const e = src[i + 1]!;
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\', '/': '/' };
          if (e === 'u') {
            s += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
            i += 6;
            continue;
          }
          s += map[e] ?? e;
          i += 2;
          continue;
        }
        if (src[i] === '\n') line++;
        s += src[i++];
      }
      i++;
      return s;
    }
    if (src.startsWith('|||', i)) {
      return readTextBlock();
    }
    return undefined;
  };
  const readTextBlock = (): string => {
    i += 3;
    const chomp = src[i] === '-';
    if (chomp) i++;
    while (i < n && src[i] !== '\n') i++;
    const start = i + 1;
    const end = src.indexOf('|||', start);
    const stop = end < 0 ? n : end + 3;
    const body = src.slice(start, end < 0 ? n : end);
    for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
    i = stop;
    const lines = body.split('\n');
    const indent = /^[ \t]*/.exec(lines[0] ?? '')![0];
    const text = lines
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
      .join('\n')
      .replace(/[ \t]*$/, '');
    return chomp ? text.replace(/\n$/, '') : text;
  };
  while (i < n) {
    skipSpaceAndComments();
    if (i >= n) break;
    const c = src[i]!;
    if (c === '"' || c === "'" || (c === '@' && (src[i + 1] === '"' || src[i + 1] === "'"))) {
      readString();
      continue;
    }
    if (src.startsWith('|||', i)) {
      readTextBlock();
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      const word = src.slice(start, i);
      if ((word === 'import' || word === 'importstr' || word === 'importbin') && (start === 0 || !/[.$A-Za-z0-9_]/.test(src[start - 1]!))) {
        const at = line;
        skipSpaceAndComments();
        const s = readString();
        if (s !== undefined) out.push({ kind: word, path: s, line: at });
      }
      continue;
    }
    i++;
  }
  return out;
}

/**
 * Checks `file` and everything it imports, transitively, against the repository boundary.
 * `jpaths` are absolute library directories (already checked to be inside the repository).
 */
export async function checkJsonnetImports(file: string, repoRoot: string, jpaths: string[]): Promise<void> {
  const realRoot = await realpath(repoRoot);
  const rel = (p: string) => relative(repoRoot, p).split(sep).join('/');
  const seen = new Set<string>();
  const visit = async (f: string): Promise<void> => {
    if (seen.has(f)) return;
    seen.add(f);
    let src: string;
    try {
      src = await readFile(f, 'utf8');
    } catch {
      return; // the evaluator reports missing files itself
    }
    for (const imp of scanImports(src)) {
      const where = `${rel(f)}:${imp.line}`;
      if (isAbsolute(imp.path)) {
        throw new RepoError(`${where}: ${imp.kind} ${JSON.stringify(imp.path)} is an absolute path; imports must stay inside the repository`, {
          code: 'PathEscape',
          file: rel(f),
          line: imp.line,
        });
      }
      const local = resolve(dirname(f), imp.path);
      const candidates = [local, ...jpaths.map((j) => resolve(j, imp.path))];
      if (!isWithin(repoRoot, local) && (existsSync(local) || !candidates.slice(1).some((c) => existsSync(c)))) {
        throw new RepoError(`${where}: ${imp.kind} ${JSON.stringify(imp.path)} points outside the repository`, {
          code: 'PathEscape',
          file: rel(f),
          line: imp.line,
        });
      }
      for (const cand of candidates) {
        if (!existsSync(cand)) continue;
        const real = await realpath(cand);
        if (!isWithin(repoRoot, cand) || !isWithin(realRoot, real)) {
          throw new RepoError(`${where}: ${imp.kind} ${JSON.stringify(imp.path)} resolves to a file outside the repository`, {
            code: 'PathEscape',
            file: rel(f),
            line: imp.line,
          });
        }
        if (imp.kind === 'import') await visit(cand);
      }
    }
  };
  await visit(file);

}
