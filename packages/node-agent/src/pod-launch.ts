/**
 * What a container runs and how (pure but for the filesystem of subPath mounts): its argv from the
 * pod spec and the image mapping, its mounts, and the command line of a process beside a running
 * container (probes, hooks, `kubectl exec`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fillPlaceholders } from './images.js';
import { expandVars } from './expand.js';
import { ConfigError } from './env.js';
import { bwrapArgs, launchSpec, type BwrapContext, type Mount, type SandboxMode, type SandboxSpec } from './sandbox.js';
import { signal } from './procs.js';
import { AUTO_SA_VOLUME, SA_MOUNT } from './pod-types.js';

export interface CommandLine {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** A container's argv: command/args ($(VAR) expanded) over the image's entrypoint/cmd, aliases, appended args. */
export function resolveArgv(spec: any, env: Record<string, string>, mapping: any, vars: { tag: string; podIP: string; listenIP: string }): { argv: string[]; fromImage: boolean } {
  const fill = (s: string) => fillPlaceholders(String(s), vars);
  const exp = (s: string) => expandVars(String(s), (k) => env[k]);
  const cmd: string[] | undefined = spec.command?.length ? spec.command.map(exp) : undefined;
  const args: string[] | undefined = spec.args?.length ? spec.args.map(exp) : undefined;
  const entry: string[] = (mapping.entrypoint ?? []).map(fill);
  const imgCmd: string[] = (mapping.cmd ?? []).map(fill);
  let argv: string[];
  let fromImage = false;
  if (cmd) argv = [...cmd, ...(args ?? [])];
  else if (args) {
    argv = [...entry, ...args];
    fromImage = entry.length > 0;
  } else {
    argv = [...entry, ...imgCmd];
    fromImage = true;
  }
  if (argv.length && mapping.commands) {
    const alias = mapping.commands[argv[0]];
    if (alias !== undefined) {
      argv = [...(Array.isArray(alias) ? alias : [alias]).map(fill), ...argv.slice(1)];
      fromImage = true;
    }
  }
  argv.push(...(mapping.appendArgs ?? []).map(fill));
  return { argv, fromImage };
}

/** The container's volume mounts (subPath/subPathExpr resolved) and the automatic service account token. */
export function containerMounts(c: { name: string; spec: any }, env: Record<string, string>, volumeHosts: ReadonlyMap<string, string>, autoSA: boolean): Mount[] {
  const mounts: Mount[] = [];
  for (const m of c.spec.volumeMounts ?? []) {
    const host = volumeHosts.get(m.name);
    if (!host) throw new ConfigError(`cannot find volume "${m.name}" to mount into container "${c.name}"`);
    let src = host;
    const sub: string | undefined = m.subPathExpr ? expandVars(m.subPathExpr, (k) => env[k]) : m.subPath;
    if (sub) {
      if (sub.startsWith('/') || sub.split('/').includes('..')) throw new ConfigError(`invalid subPath "${sub}" for volume "${m.name}"`);
      src = join(host, sub);
      if (!existsSync(src)) mkdirSync(src, { recursive: true, mode: 0o777 });
      src = realpathSync(src);
    }
    mounts.push({ host: src, path: posix.normalize(m.mountPath), readOnly: !!m.readOnly });
  }
  if (autoSA && volumeHosts.has(AUTO_SA_VOLUME)) mounts.push({ host: volumeHosts.get(AUTO_SA_VOLUME)!, path: SA_MOUNT, readOnly: true });
  return mounts;
}

/** The command line that runs `cmd` with a run's filesystem view and environment, in its network (`wrap`). */
export function commandForRun(sandbox: SandboxSpec, cmd: string[], mode: SandboxMode, bwrap: BwrapContext | undefined, wrap: string[]): CommandLine {
  const spec: SandboxSpec = { ...sandbox, argv: cmd };
  let file: string;
  let args: string[];
  let cwd = '/';
  let env = spec.env;
  if (mode === 'bwrap' && bwrap) {
    file = bwrap.bwrap;
    args = [...bwrapArgs(bwrap, spec), ...cmd];
  } else {
    const l = launchSpec('none', undefined, spec);
    file = l.file;
    args = l.args;
    cwd = l.cwd;
    env = l.env;
  }
  if (wrap.length) {
    args = [...wrap.slice(1), file, ...args];
    file = wrap[0];
  }
  return { file, args, cwd, env };
}

/** Runs a command line in its own process group: its exit code and first 10 KiB of output (-1 on timeout). */
export function execCommand({ file, args, cwd, env }: CommandLine, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    let out = '';
    let done = false;
    const p = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const add = (d: Buffer) => {
      if (out.length < 10_240) out += d.toString('utf8');
    };
    p.stdout!.on('data', add);
    p.stderr!.on('data', add);
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      if (p.pid) signal(-p.pid, 'SIGKILL');
      resolve({ code: -1, output: out });
    }, timeoutMs);
    p.on('error', (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ code: 127, output: e.message });
    });
    p.on('close', (code, sig) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ code: code ?? (sig ? 128 : 1), output: out });
    });
  });
}
