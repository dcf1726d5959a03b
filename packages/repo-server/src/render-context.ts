import type { BuildEnv } from './envsubst.js';
import type { Sandbox } from './sandbox.js';
import type { GenerateOptions } from './types.js';

/** Everything a renderer needs about one render request. */
export interface RenderContext {
  /** Absolute root of the checked-out repository (or of a fetched chart). */
  root: string;
  /** Application path inside the repository ("" for the root), forward slashes. */
  appPath: string;
  /** Absolute application directory. */
  appDir: string;
  env: BuildEnv;
  gen: GenerateOptions;
  maxFileBytes: number;
  maxObjects: number;
  maxOutputBytes: number;
  timeoutMs: number;
  sandbox: Sandbox;
  /** Scratch directory for this render, created on first use and removed after the render. */
  scratch: () => Promise<string>;
  /** Cache of charts downloaded from Helm repositories (dependencies, chart sources). */
  chartsDir: string;
}

/** Repository-relative path of a file under the app dir. */
export function repoPath(ctx: RenderContext, relToApp: string): string {
  return ctx.appPath ? `${ctx.appPath}/${relToApp}` : relToApp;
}

/** Rewrites absolute paths under `dir` in tool output to repository-relative ones. */
export function relativizePaths(text: string, dir: string, prefix = ''): string {
  const d = dir.endsWith('/') ? dir : `${dir}/`;
  return text.split(d).join(prefix).split(dir).join(prefix === '' ? '.' : prefix.replace(/\/$/, ''));
}
