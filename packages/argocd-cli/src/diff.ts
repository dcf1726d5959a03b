/**
 * Upstream's diff printing: both objects as YAML (sorted keys) in a temp directory, then `diff
 * <live> <target>` (or `$KUBECTL_EXTERNAL_DIFF`, split like a shell line) with its output as is.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from '@flotilla/cli-kit/io';
import { toYAML } from './output.js';
import { CliError } from './session.js';

/** Splits a command line like a POSIX shell (quotes, backslashes), for KUBECTL_EXTERNAL_DIFF. */
export function shellSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === q) q = undefined;
      else if (c === '\\' && q === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

/** Runs the diff of live → target; resolves with diff's exit code (0 same, 1 different). */
export async function printDiff(name: string, live: unknown, target: unknown): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'argocd-diff'));
  const safe = name.replace(/[/\\]/g, '_') || 'resource';
  const targetFile = join(dir, safe);
  const liveFile = join(dir, `${safe}-live.yaml`);
  writeFileSync(targetFile, target ? toYAML(target) : '');
  writeFileSync(liveFile, live ? toYAML(live) : '');
  let bin = 'diff';
  let args: string[] = [];
  const ext = process.env.KUBECTL_EXTERNAL_DIFF;
  if (ext?.trim()) {
    [bin, ...args] = shellSplit(ext);
  }
  try {
    return await new Promise<number>((resolve, reject) => {
      const p = spawn(bin, [...args, liveFile, targetFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout.on('data', (d: Buffer) => io.out(d.toString()));
      p.stderr.on('data', (d: Buffer) => io.err(d.toString()));
      p.on('error', (e) => reject(new CliError(`cannot run ${bin}: ${e.message}`)));
      p.on('close', (code) => resolve(code ?? 2));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
