// Helpers shared by the tests (compiled to dist/, reading fixtures from src/testdata/).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { c as tarCreate } from 'tar';
import YAML from 'yaml';

/** src/testdata (fixtures are not compiled; tests run from dist/). */
export const TESTDATA = fileURLToPath(new URL('../src/testdata/', import.meta.url));
export const CHARTS = join(TESTDATA, 'charts');
export const EXPECTED = join(TESTDATA, 'expected');
/** /work/shared/upstream, relative to the repository root. */
export const UPSTREAM = fileURLToPath(new URL('../../../../shared/upstream/', import.meta.url));

export function upstreamAvailable(): boolean {
  return existsSync(UPSTREAM);
}

export function chart(name: string): string {
  return join(CHARTS, name);
}

export function expectedText(name: string): string {
  return readFileSync(join(EXPECTED, name), 'utf8');
}

export function tempDir(prefix = 'flotilla-helm-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Packs a directory of `parent` (named `name`) into `file` as a gzipped tar. */
export function packChart(parent: string, name: string, file: string): void {
  tarCreate({ gzip: true, file, cwd: parent, sync: true, portable: true }, [name]);
}

/** Copies the umbrella fixture to a temporary directory and adds charts/packed-0.3.0.tgz. */
export function umbrellaWithArchive(): { dir: string; cleanup: () => void } {
  const tmp = tempDir();
  cpSync(chart('umbrella'), join(tmp, 'umbrella'), { recursive: true });
  packChart(CHARTS, 'packed', join(tmp, 'umbrella', 'charts', 'packed-0.3.0.tgz'));
  return { dir: join(tmp, 'umbrella'), cleanup: () => removeDir(tmp) };
}

export interface SourcedObject {
  source: string;
  object: unknown;
}

/** Parses `helm template` output into (source, object) pairs, one per document. */
export function parseTemplateOutput(text: string): SourcedObject[] {
  const out: SourcedObject[] = [];
  const blocks = text.split(/^---\n/m);
  blocks.forEach((block, i) => {
    if (block.trim() === '') return;
    // a leading block of comments describes an expectation file
    if (i === 0 && block.split('\n').every((l) => l === '' || l.startsWith('#'))) return;
    const m = /^# Source: (.+)\n?/.exec(block);
    if (!m) throw new Error(`document without a # Source line: ${block.slice(0, 80)}`);
    const body = block.slice(m[0].length);
    const verbatim = /^# verbatim: (.+)$/m.exec(body);
    out.push(verbatim ? { source: m[1]!, object: { verbatim: verbatim[1]! } } : { source: m[1]!, object: YAML.parse(body, { version: '1.1' }) ?? null });
  });
  return out;
}
