/**
 * Running a container's process: with bubblewrap (host root read-only, volumes bind-mounted at
 * their mountPath, a private /tmp and /run, its own PID/UTS/IPC namespaces, `--die-with-parent`),
 * or — without bubblewrap — as a plain process in a per-pod directory where mount paths are
 * rewritten (see docs/node-agent.md).
 *
 * Every container process is started through a tiny `sh` shim, detached in its own session, that
 * stays its parent: it keeps the read ends of the log FIFOs open (so the container never gets
 * SIGPIPE while the agent is away), records the exit code in the run directory, and lets the node
 * agent restart without taking the containers down (they are re-adopted).
 */
import { spawnSync } from 'node:child_process';
import { runToEnd } from './spawner.js';
import { Batches } from './batches.js';
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, renameSync, writeFileSync, mkdirSync, chmodSync, statSync, accessSync, constants as fsc } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { PROGRAMS_DIR } from './images.js';

/** This installation (the workspace root: packages/node-agent/dist → ../../..). */
const INSTALL_ROOT = join(PROGRAMS_DIR, '..', '..', '..', '..');

export type SandboxMode = 'bwrap' | 'none';

export interface Mount {
  /** path on the host */
  host: string;
  /** path in the container */
  path: string;
  readOnly?: boolean;
}

export interface SandboxSpec {
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  mounts: Mount[];
  hostname: string;
  /** host directory that becomes the container's /tmp */
  tmpDir: string;
  /** host directory standing in for the container's root in plain mode (mount paths live under it) */
  fsRoot: string;
  /** files placed at paths in the container (e.g. /etc/hosts, /dev/termination-log) */
  files: Mount[];
}

export interface Launch {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Capabilities a container gets by default (those of Docker / containerd). */
const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Top-level host directories that the sandbox replaces. */
const SPECIAL_TOP = new Set(['proc', 'dev', 'tmp', 'run', 'sys']);
/** Top-level directories that are empty in images: each container gets a private, writable one. */
const PRIVATE_TOP = new Set(['mnt', 'srv', 'media']);

export const SHIM = `#!/bin/sh
# flotilla container shim: shim.sh RUN_PREFIX OUT_FIFO ERR_FIFO MODE[:in] AGENT_PID AGENT_TOKEN -- COMMAND...
p=$1; o=$2; e=$3; m=$4; a=$5; t=$6; shift 7
trap 'true' TERM INT HUP
exec 4<"$o" 5<"$e" </dev/null
case "$m" in
*:in)
  # stdin (spec.stdin): the FIFO beside OUT_FIFO, which kubectl attach writes to. fd 3 keeps a
  # writer open so the container sees no EOF between attaches; SIGUSR1 closes it (stdinOnce).
  m=\${m%:in}; i="\${o%.out}.in"
  exec 3<>"$i"
  trap 'exec 3>&-' USR1
  if [ "$m" = bwrap ]; then
    "$@" 3>&- 4<&- 5<&- 6>"$p.info" >"$o" 2>"$e" <"$i" &
  else
    "$@" 3>&- 4<&- 5<&- >"$o" 2>"$e" <"$i" &
  fi
  c=$!
  while :; do wait $c; rc=$?; kill -0 $c 2>/dev/null || break; done
  ;;
*)
  if [ "$m" = bwrap ]; then
    "$@" 4<&- 5<&- 6>"$p.info" >"$o" 2>"$e"
  else
    "$@" 4<&- 5<&- >"$o" 2>"$e"
  fi
  rc=$?
  ;;
esac
# output still in the pipes: the agent that started this reads it through its own descriptors of
# the FIFOs while it runs (its process lives and its token file exists); when it is gone or
# stopped, the output is kept in files for the next agent (two processes fewer per container)
if ! { kill -0 "$a" 2>/dev/null && [ -e "$t" ]; }; then
  dd if=/dev/fd/4 iflag=nonblock of="$p.stdout.rest" 2>/dev/null
  dd if=/dev/fd/5 iflag=nonblock of="$p.stderr.rest" 2>/dev/null
fi
echo "$rc" >"$p.exit"
`;

export function installShim(binDir: string): string {
  mkdirSync(binDir, { recursive: true });
  const p = join(binDir, 'shim.sh');
  // replaced, not rewritten in place: shims of a previous agent may still be reading the old one
  const tmp = `${p}.${process.pid}`;
  writeFileSync(tmp, SHIM);
  chmodSync(tmp, 0o755);
  renameSync(tmp, p);
  return p;
}

/** Finds bubblewrap and checks that it can create the namespaces the sandbox uses. */
export function detectBwrap(): { path?: string; reason?: string } {
  const candidates = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'bwrap'));
  const path = candidates.find((p) => {
    try {
      accessSync(p, fsc.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!path) return { reason: 'bubblewrap (bwrap) is not installed' };
  const r = spawnSync(path, ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--unshare-pid', '--as-pid-1', '--unshare-uts', '--unshare-ipc', '--die-with-parent', '--', '/bin/sh', '-c', 'exit 0'], {
    timeout: 10_000,
    encoding: 'utf8',
  });
  if (r.status !== 0) return { path, reason: `bubblewrap cannot create namespaces here: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}` };
  return { path };
}

/** Splits a container path into a canonical host-side path (symlinks of existing parts resolved). */
function canonical(p: string): string {
  const norm = posix.normalize(p);
  const parts = norm.split('/').filter(Boolean);
  for (let i = parts.length; i > 0; i--) {
    const prefix = '/' + parts.slice(0, i).join('/');
    if (SPECIAL_TOP.has(parts[0])) return norm;
    try {
      lstatSync(prefix);
    } catch {
      continue;
    }
    let real: string;
    try {
      real = realpathSync(prefix);
    } catch {
      return norm;
    }
    return posix.join(real, ...parts.slice(i));
  }
  return norm;
}

function deepestExisting(p: string): string {
  let cur = p;
  while (cur !== '/' && !existsSync(cur)) cur = dirname(cur);
  return cur;
}

function under(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** Mirrors the entries of a host directory into a tmpfs mounted over it. */
function mirrorDir(dir: string, out: string[]): void {
  out.push('--tmpfs', dir);
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const full = join(dir, e);
    let st;
    try {
      st = lstatSync(full);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) out.push('--symlink', readlinkSync(full), full);
    else if (st.isDirectory() || st.isFile()) out.push('--ro-bind', full, full);
  }
}

export interface BwrapContext {
  bwrap: string;
  /** the host's top-level entries (read once) */
  rootEntries: { name: string; link?: string; dir: boolean }[];
  /** host paths hidden from containers (tmpfs over directories, /dev/null over files) */
  hide: string[];
  isRoot: boolean;
  /** this installation's directory (the built-in programs run from it); INSTALL_ROOT when absent */
  install?: string;
}

export function bwrapContext(bwrap: string, hide: string[]): BwrapContext {
  const rootEntries: BwrapContext['rootEntries'] = [];
  for (const name of readdirSync('/')) {
    if (SPECIAL_TOP.has(name)) continue;
    try {
      const st = lstatSync(`/${name}`);
      if (st.isSymbolicLink()) rootEntries.push({ name, link: readlinkSync(`/${name}`), dir: false });
      else if (st.isDirectory()) rootEntries.push({ name, dir: true });
      else if (st.isFile()) rootEntries.push({ name, dir: false });
    } catch {
      /* raced */
    }
  }
  // paths under the directories the sandbox replaces are invisible anyway
  const visible = (h: string) => {
    const top = canonical(h).split('/')[1] ?? '';
    return !SPECIAL_TOP.has(top) && !PRIVATE_TOP.has(top);
  };
  return { bwrap, rootEntries, hide: hide.filter((h) => existsSync(h) && visible(h)).map((h) => canonical(h)), isRoot: process.getuid?.() === 0, install: canonical(INSTALL_ROOT) };
}

/** bubblewrap arguments (everything before the command). */
export function bwrapArgs(ctx: BwrapContext, spec: SandboxSpec, opts: { infoFd?: number; dieWithParent?: boolean } = {}): string[] {
  const a: string[] = [];
  if (opts.dieWithParent !== false) a.push('--die-with-parent');
  a.push('--unshare-pid', '--as-pid-1', '--unshare-uts', '--unshare-ipc', '--unshare-cgroup-try', '--hostname', spec.hostname.slice(0, 63));
  for (const e of ctx.rootEntries) {
    if (e.link !== undefined) a.push('--symlink', e.link, `/${e.name}`);
    // directories images keep empty (/mnt, /srv, /media) are the container's own, writable
    else if (e.dir && PRIVATE_TOP.has(e.name)) a.push('--tmpfs', `/${e.name}`);
    else a.push('--ro-bind', `/${e.name}`, `/${e.name}`);
  }
  a.push('--proc', '/proc', '--dev', '/dev', '--bind', spec.tmpDir, '/tmp', '--tmpfs', '/run');
  if (existsSync('/sys')) a.push('--ro-bind', '/sys', '/sys');
  // the built-in programs and the flotilla command ship in this installation: when it lives under
  // /tmp or /run (e.g. a clone in /tmp), the private /tmp and /run above would hide it, so it is
  // bound back in read-only (the hidden paths below still apply inside it)
  const install = ctx.install ?? canonical(INSTALL_ROOT);
  const installTop = install.split('/')[1] ?? '';
  if ((installTop === 'tmp' || installTop === 'run' || PRIVATE_TOP.has(installTop)) && existsSync(install)) a.push('--ro-bind', install, install);
  const hideAll = (only?: string) => {
    for (const h of ctx.hide) {
      if (only !== undefined && !under(h, only)) continue;
      try {
        if (statSync(h).isDirectory()) a.push('--tmpfs', h);
        else a.push('--ro-bind', '/dev/null', h);
      } catch {
        /* gone */
      }
    }
  };
  hideAll();

  // Mount points (and the working directory) that do not exist on the host and sit in a
  // read-only directory need that directory shadowed: a tmpfs of the container's own holding the
  // host's entries (each bound read-only). The shadow stays writable, as a container runtime makes
  // a mount point's directories in the container's writable layer: a script may write beside its
  // input artifact (/work/in.txt, /work/out.txt) even where the host happens to have a /work.
  const targets = [...spec.mounts, ...spec.files].map((m) => ({ ...m, dest: canonical(m.path) }));
  const wd = spec.workingDir ? canonical(spec.workingDir) : undefined;
  const writable = (p: string): boolean => {
    const top = p.split('/')[1] ?? '';
    if (top === 'tmp' || top === 'run' || top === 'dev' || PRIVATE_TOP.has(top)) return true;
    return targets.some((t) => !t.readOnly && under(p, t.dest) && p !== t.dest);
  };
  const shadows = new Set<string>();
  for (const p of [...targets.map((t) => t.dest), ...(wd ? [wd] : [])]) {
    if (writable(p) || existsSync(p)) continue;
    const anc = deepestExisting(p);
    if (anc === '/') continue; // the sandbox root is a tmpfs: bwrap creates the path
    if (writable(anc)) continue;
    shadows.add(anc);
  }
  const shadowList = [...shadows].sort((x, y) => x.split('/').length - y.split('/').length);
  for (const s of shadowList) mirrorDir(s, a);
  // parents before children
  targets.sort((x, y) => x.dest.split('/').length - y.dest.split('/').length);
  // a volume mounted over a directory holding this installation (an emptyDir at /tmp, with the
  // installation in /tmp/<clone>) would hide the programs the container runs: the installation is
  // bound back right after the deepest such volume, before the volumes inside it
  const coverIdx = existsSync(install) ? targets.map((t) => under(install, t.dest)).lastIndexOf(true) : -1;
  targets.forEach((t, i) => {
    a.push(t.readOnly ? '--ro-bind' : '--bind', t.host, t.dest);
    if (i === coverIdx) {
      a.push('--ro-bind', install, install);
      hideAll(install);
    }
  });
  if (wd) a.push('--dir', wd, '--chdir', wd);
  else a.push('--chdir', '/');
  // the root itself stays a writable tmpfs of the container's own (a writable layer, as a
  // container runtime gives): `mkdir /outputs` works; the host's directories bound in stay read-only
  if (ctx.isRoot) {
    a.push('--cap-drop', 'ALL');
    for (const c of DEFAULT_CAPS) a.push('--cap-add', c);
  }
  if (opts.infoFd !== undefined) a.push('--info-fd', String(opts.infoFd));
  a.push('--');
  return a;
}

// ------------------------------------------------------------------------------------ plain mode

/** Plain mode: absolute paths under a mount path (or the working dir) are rewritten into fsRoot. */
export function plainRewriter(spec: Pick<SandboxSpec, 'mounts' | 'files' | 'fsRoot' | 'workingDir'>): (s: string) => string {
  const paths = [...spec.mounts, ...spec.files].map((m) => posix.normalize(m.path)).filter((p) => p !== '/');
  if (spec.workingDir && !existsSync(spec.workingDir)) paths.push(posix.normalize(spec.workingDir));
  const uniq = [...new Set(paths)].sort((a, b) => b.length - a.length);
  if (!uniq.length) return (s) => s;
  const esc = uniq.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const re = new RegExp(`(^|[\\s='":,;(\\[])(${esc})(?=$|[/\\s'":,;)\\]])`, 'g');
  return (s) => s.replace(re, (_m, pre: string, p: string) => `${pre}${spec.fsRoot}${p}`);
}

/** The command the shim runs and where: bubblewrap around the argv, or the argv rewritten. */
export function launchSpec(mode: SandboxMode, ctx: BwrapContext | undefined, spec: SandboxSpec): Launch {
  if (mode === 'bwrap' && ctx) {
    return { file: ctx.bwrap, args: [...bwrapArgs(ctx, spec, { infoFd: 6 }), ...spec.argv], cwd: '/', env: spec.env };
  }
  const rw = plainRewriter(spec);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env)) env[k] = rw(v);
  env.FLOTILLA_POD_ROOT = spec.fsRoot;
  env.TMPDIR ??= spec.tmpDir;
  let cwd = spec.fsRoot;
  if (spec.workingDir) {
    const w = rw(spec.workingDir);
    cwd = w;
    try {
      mkdirSync(w, { recursive: true });
    } catch {
      cwd = spec.fsRoot;
    }
  }
  return { file: rw(spec.argv[0]), args: spec.argv.slice(1).map(rw), cwd, env };
}

/** Plain mode: links each mount path under fsRoot to its host directory or file. */
export function linkMountsPlain(spec: Pick<SandboxSpec, 'mounts' | 'files' | 'fsRoot'>, symlink: (target: string, path: string) => void): void {
  for (const m of [...spec.mounts, ...spec.files]) {
    const p = join(spec.fsRoot, posix.normalize(m.path));
    mkdirSync(dirname(p), { recursive: true });
    symlink(m.host, p);
  }
}

/**
 * Finds a program the way execvp does, seen from inside the container: absolute/relative paths
 * through the mounts, bare names through PATH.
 */
export function findExecutable(cmd: string, pathEnv: string, mounts: Mount[], workingDir: string | undefined): string | undefined {
  const toHost = (p: string): string => {
    const norm = posix.normalize(p);
    let best: Mount | undefined;
    for (const m of mounts) if (under(norm, posix.normalize(m.path)) && (!best || m.path.length > best.path.length)) best = m;
    if (best) return join(best.host, posix.relative(posix.normalize(best.path), norm));
    return norm;
  };
  const ok = (p: string): boolean => {
    try {
      const h = toHost(p);
      const st = statSync(h);
      if (!st.isFile()) return false;
      accessSync(h, fsc.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) {
    const abs = cmd.startsWith('/') ? cmd : posix.join(workingDir ?? '/', cmd);
    return ok(abs) ? cmd : undefined;
  }
  for (const dir of pathEnv.split(':')) {
    if (!dir) continue;
    const p = posix.join(dir, cmd);
    if (ok(p)) return p;
  }
  return undefined;
}

/**
 * Creates FIFOs with mkfifo(1) (Node has no mkfifo): one process at a time, and the requests
 * that arrive meanwhile share the next one — a burst of pods costs a few processes, not one each.
 */
export class FifoMaker {
  private readonly batches = new Batches<{ paths: string[]; resolve: () => void; reject: (e: Error) => void }>(async (batch) => {
    let err: Error | undefined;
    try {
      const r = await runToEnd({ file: 'mkfifo', args: ['-m', '600', ...batch.flatMap((b) => b.paths)], capture: true });
      if (r.code !== 0) err = new Error(`mkfifo: ${r.stderr.trim()}`);
    } catch (e) {
      err = e as Error;
    }
    // a failed batch: each request succeeds if its FIFOs exist
    for (const b of batch) {
      if (!err || b.paths.every((x) => existsSync(x))) b.resolve();
      else b.reject(err);
    }
  });

  make(paths: string[]): Promise<void> {
    if (!paths.length) return Promise.resolve();
    return new Promise((resolve, reject) => this.batches.add({ paths, resolve, reject }));
  }
}
