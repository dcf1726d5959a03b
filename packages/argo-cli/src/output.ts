/**
 * Output helpers shared by the commands: `-o json|yaml` as upstream prints objects (JSON indented by two
 * spaces; YAML as sigs.k8s.io/yaml writes it: sorted keys), terminal detection, reading manifests.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { io } from '@flotilla/cli-kit/io';
import { CliError } from './session.js';
import { coerceArgoStrings } from './coerce.js';
import YAML from './yaml.js';
import { sortKeys, toYAML } from '@flotilla/cli-kit/output';

const req = createRequire(import.meta.url);

export { sortKeys, toYAML };

export function toJSON(v: unknown): string {
  return JSON.stringify(v, null, 4) + '\n';
}

/** `-o json|yaml` of one object */
export function printObject(v: unknown, format: string): void {
  if (format === 'json') io.out(toJSON(v));
  else if (format === 'yaml') io.out(toYAML(v));
  else throw new CliError(`unknown output format: ${format}`);
}

export function stdoutIsTTY(): boolean {
  return !!process.stdout.isTTY || process.env.FORCE_COLOR === '1';
}

export interface Manifest {
  file: string;
  obj: any;
}

async function readSource(src: string): Promise<string> {
  if (src === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  if (/^https?:\/\//.test(src)) {
    const r = await fetch(src).catch((e) => {
      throw new CliError(`${src}: ${(e as Error).message}`);
    });
    if (!r.ok) throw new CliError(`${src}: HTTP ${r.status}`);
    return r.text();
  }
  try {
    return readFileSync(src, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CliError(err.code === 'ENOENT' ? `open ${src}: no such file or directory` : `${src}: ${err.message}`);
  }
}

/** The files of the arguments: a directory gives its *.yaml, *.yml, *.json files, recursively. */
export function listFiles(sources: string[]): string[] {
  const files: string[] = [];
  const addDir = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) addDir(p);
      else if (/\.(ya?ml|json)$/.test(e)) files.push(p);
    }
  };
  for (const s of sources) {
    let dir = false;
    try {
      dir = s !== '-' && !/^https?:/.test(s) && statSync(s).isDirectory();
    } catch {
      dir = false;
    }
    if (dir) addDir(s);
    else files.push(s);
  }
  return files;
}

/** The objects of YAML/JSON files, URLs or `-` (stdin); a directory gives its *.yaml, *.yml, *.json files (recursively when asked). */
export async function readManifests(sources: string[], o: { recursive?: boolean; dirs?: boolean } = {}): Promise<Manifest[]> {
  const out: Manifest[] = [];
  const files: string[] = [];
  const addDir = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const st = statSync(p);
      if (st.isDirectory()) {
        if (o.recursive) addDir(p);
      } else if (/\.(ya?ml|json)$/.test(e)) files.push(p);
    }
  };
  for (const s of sources) {
    let dir = false;
    try {
      dir = o.dirs !== false && s !== '-' && !/^https?:/.test(s) && statSync(s).isDirectory();
    } catch {
      dir = false;
    }
    if (dir) addDir(s);
    else files.push(s);
  }
  for (const f of files) {
    const text = await readSource(f);
    for (const obj of parseDocs(text, f)) out.push({ file: f, obj: coerceArgoStrings(obj) });
  }
  return out;
}

export function parseDocs(text: string, file: string): any[] {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      const v = JSON.parse(t);
      return Array.isArray(v) ? v : [v];
    } catch {
      /* YAML after all */
    }
  }
  const docs = YAML.parseAllDocuments(text) as any[];
  const out: any[] = [];
  for (const [i, d] of docs.entries()) {
    if (d.errors?.length) return jsYaml(text, file, d.errors[0].message, i);
    const v = d.toJS();
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

/** go-yaml accepts some documents the 'yaml' package refuses (multi-line quoted scalars in flow sequences): js-yaml reads those. */
function jsYaml(text: string, file: string, first: string, index: number): any[] {
  try {
    return (req('js-yaml') as typeof import('js-yaml')).loadAll(text).filter((v) => v !== null && v !== undefined);
  } catch {
    throw new YamlError(file, index, first.split('\n')[0]);
  }
}

/** A document of a manifest file that is not YAML: `<file>: <reason>`; `submit` words it as upstream's splitter does. */
export class YamlError extends CliError {
  constructor(
    readonly file: string,
    readonly index: number,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}
