/**
 * The Argo command lines Flotilla ships (`argocd`, `argo`, `kubectl-argo-rollouts`): one table,
 * name → the module that implements it. `flotilla <name> …` runs it, and `flotilla up` writes a
 * launcher `<data-dir>/bin/<name>` for each one this build has, so that the Argo docs' commands
 * (`argocd …`, `argo …`, `kubectl argo rollouts …`) work verbatim with `<data-dir>/bin` on PATH.
 *
 * A CLI module exports `main(argv: string[]): Promise<number | void>` (the exit code).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface CliEntry {
  /** the command name on PATH */
  name: string;
  /** the implementing module: a package export (`@flotilla/x/cli`), or an absolute path / file URL */
  module: string;
  /** one line for help */
  what: string;
}

/** A later component adds its CLI here (and nothing else). */
export const CLIS: readonly CliEntry[] = [
  { name: 'argocd', module: '@flotilla/argocd-cli/cli', what: "Argo CD's command line" },
  { name: 'argo', module: '@flotilla/argo-cli/cli', what: "Argo Workflows' command line" },
  { name: 'kubectl-argo-rollouts', module: '@flotilla/rollouts-cli/cli', what: "Argo Rollouts' kubectl plugin (kubectl argo rollouts …)" },
];

/** The file URL of a CLI's module when this build has it, else undefined. */
export function resolveCli(e: CliEntry): string | undefined {
  let url: string;
  try {
    url = e.module.startsWith('/') ? pathToFileURL(e.module).href : import.meta.resolve(e.module);
  } catch {
    return undefined;
  }
  try {
    return url.startsWith('file:') && existsSync(fileURLToPath(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

export function notInBuild(e: CliEntry): string {
  return `'${e.name}' (${e.what}) is not part of this build yet: it comes with its component (see the README's status)`;
}

/** Runs a CLI module's main with argv; resolves with its exit code. */
export async function runCliModule(url: string, argv: string[]): Promise<number> {
  const m = (await import(url)) as { main?: (argv: string[]) => Promise<number | void> | number | void };
  if (typeof m.main !== 'function') throw new Error(`${url} exports no main(argv)`);
  const code = await m.main(argv);
  return typeof code === 'number' ? code : 0;
}

/** `flotilla <cli> …`: the same table as the launchers; a clear message when the CLI is not in this build. */
export async function runCli(e: CliEntry, argv: string[], stderr: (t: string) => void): Promise<number> {
  const url = resolveCli(e);
  if (!url) {
    stderr(`flotilla: ${notInBuild(e)}\n`);
    return 1;
  }
  return runCliModule(url, argv);
}

const MARKER = '# written by flotilla up';

/** The launcher script of a CLI: runs its module through this installation's runner with node. */
export function launcherScript(e: CliEntry, url: string, node = process.execPath, runner = fileURLToPath(new URL('./cli-runner.js', import.meta.url))): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh\n${MARKER}: ${e.what}\nexec ${q(node)} ${q(runner)} ${q(url)} "$@"\n`;
}

/**
 * Writes `<binDir>/<name>` for each CLI of the table this build has (executable, atomically) and
 * removes launchers it wrote earlier for CLIs that are gone. Returns the names written.
 */
export function writeLaunchers(binDir: string, table: readonly CliEntry[] = CLIS): { written: string[]; missing: string[] } {
  mkdirSync(binDir, { recursive: true });
  const written: string[] = [];
  const missing: string[] = [];
  for (const e of table) {
    const url = resolveCli(e);
    const file = join(binDir, e.name);
    if (!url) {
      missing.push(e.name);
      continue;
    }
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, launcherScript(e, url));
    chmodSync(tmp, 0o755);
    renameSync(tmp, file);
    written.push(e.name);
  }
  // launchers of ours whose CLI is no longer in the table or the build
  for (const f of readdirSync(binDir)) {
    if (written.includes(f)) continue;
    const p = join(binDir, f);
    try {
      if (readFileSync(p, 'utf8').split('\n')[1]?.startsWith(MARKER)) rmSync(p, { force: true });
    } catch {
      /* a directory or unreadable: not ours */
    }
  }
  return { written, missing };
}
