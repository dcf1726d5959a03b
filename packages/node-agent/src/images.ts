/**
 * Images → local programs. The embedded cluster pulls no images: the host's userland stands in
 * for base images (busybox, alpine, debian…: commands run with the host's /bin/sh, coreutils,
 * python3…), and a table maps other images to programs on the host or to small programs shipped
 * with this package. An image with no entry fails its container with ErrImagePull.
 */
import { accessSync, chmodSync, constants as fsc, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, posix } from 'node:path';
import type { Mount } from './sandbox.js';
import { DEFAULT_PATH, shellQuote } from './pod-types.js';
import { ADAPTERS, INFRA_IMAGES } from './image-infra.js';

/**
 * How an image is run on this host. Strings may hold placeholders: `{tag}` (the image tag),
 * `{node}` (this Node.js executable), `{flotilla}` (this installation's flotilla command),
 * `{programs}` (the built-in programs shipped with the node
 * agent), `{podIP}` (the pod's address), `{listenIP}` (0.0.0.0 with a network of its own, else the pod IP).
 */
export interface ImageMapping {
  /** The image's ENTRYPOINT: program (a name on PATH or an absolute path) and leading arguments. */
  entrypoint?: string[];
  /** The image's CMD: the default arguments when the pod gives neither `command` nor `args`. */
  cmd?: string[];
  /** Arguments added after everything else (e.g. a listen address: `["--addr", "{podIP}"]`). */
  appendArgs?: string[];
  /** The image's ENV (the pod's env wins). */
  env?: Record<string, string>;
  /** The image's WORKDIR. */
  workingDir?: string;
  /**
   * Programs inside the image that the host does not have under that name, e.g.
   * `{ "cowsay": ["{node}", "{programs}/whalesay.js"] }` or `{ "/nats-server": "nats-server" }`.
   */
  commands?: Record<string, string | string[]>;
  /** A note shown in errors and `flotilla` listings. */
  description?: string;
  /** The image is a base image the host's userland stands in for (commands are the host's). */
  hostUserland?: boolean;
  /**
   * The image's VOLUMEs and the directories it writes to: each gets a writable directory of its
   * own per container (kept across restarts, removed with the pod) unless a volume of the pod is
   * mounted there.
   */
  volumes?: string[];
  /**
   * Files the image has: container path → text (placeholders filled; bound read-only), or
   * `{ symlink: target }` (made inside one of `volumes`). A volume of the pod mounted over the
   * path, or over a directory above it, wins.
   */
  files?: Record<string, string | { symlink: string }>;
  /**
   * Host programs the image needs and the Debian package that installs each: a name on PATH or
   * an absolute path (`*` matches one path segment). A missing one is ErrImagePull naming the package.
   */
  requires?: { program: string; package: string }[];
  /** A built-in translation of the image's entrypoint behaviour (args, env): see image-infra.ts. */
  adapter?: string;
  /**
   * `busybox`: the image's `sh` (and `ash`) is BusyBox's ash, as in BusyBox and Alpine images, when the host has
   * busybox (`$RANDOM`, `>& file`, `[[ … ]]` work as there); without it, the host's sh.
   */
  shell?: 'busybox';
}

const here = dirname(fileURLToPath(import.meta.url));
/** Directory of the built-in programs (compiled from src/programs). */
export const PROGRAMS_DIR = join(here, 'programs');
/** The `flotilla` command of this installation (packages/cli beside this package). */
export const FLOTILLA_MAIN = join(here, '..', '..', 'cli', 'dist', 'main.js');

const HOST_SH: ImageMapping = { cmd: ['sh'], hostUserland: true, description: 'the host userland (/bin/sh, coreutils…)' };
/** alpine and busybox: the host's userland, with busybox's `nc` (the host may have none, or one without -e/-k) */
const HOST_BUSYBOX: ImageMapping = { ...HOST_SH, shell: 'busybox', commands: { nc: ['{node}', '{programs}/nc.js'] }, description: "the host userland (coreutils…), BusyBox's sh when the host has busybox, and a built-in nc" };
const HOST_BASH: ImageMapping = { cmd: ['bash'], hostUserland: true, description: 'the host userland (bash, coreutils…)' };
const argosay: ImageMapping = {
  entrypoint: ['{node}', '{programs}/argosay.js'],
  commands: { '/argosay': ['{node}', '{programs}/argosay.js'], argosay: ['{node}', '{programs}/argosay.js'], cowsay: ['{node}', '{programs}/whalesay.js'] },
  description: 'built-in argosay (echo, cat, sleep, exit, assert_eq, assert_contains)',
};

const argocdProgram = (name: string) => ['{node}', '{flotilla}', 'argocd-multicall', name];
const ARGOCD_PROGRAMS = [
  'argocd',
  'argocd-application-controller',
  'argocd-repo-server',
  'argocd-server',
  'argocd-applicationset-controller',
  'argocd-notifications',
  'argocd-dex',
  'argocd-cmp-server',
  'argocd-commit-server',
  'argocd-k8s-auth',
  'argocd-git-ask-pass',
  'argocd-helm-registry-auth-helper',
];
/** Argo CD's image (quay.io/argoproj/argocd): its programs, by name and by path, run Flotilla's. */
const ARGOCD_IMAGE: ImageMapping = {
  cmd: argocdProgram('argocd'),
  commands: Object.fromEntries(ARGOCD_PROGRAMS.flatMap((p) => [[p, argocdProgram(p)], [`/usr/local/bin/${p}`, argocdProgram(p)]])),
  // the binary itself, for the init containers that copy it (`/bin/cp /usr/local/bin/argocd …`)
  files: { '/usr/local/bin/argocd': '#!/bin/sh\n# Flotilla stands in for Argo CD\'s multi-call binary\nexec "{node}" "{flotilla}" argocd-multicall "$(basename "$0")" "$@"\n' },
  description: "Argo CD's programs (argocd-repo-server, argocd-application-controller, argocd-server, argocd) as Flotilla's entry points",
};

/**
 * The names Flotilla's image has on its PATH besides `flotilla` (each runs `flotilla <name>`), so a
 * manifest may say `command: [argo]`, `args: [server, …]` as upstream's images do — and a patch of
 * `args` alone keeps working.
 */
export const FLOTILLA_IMAGE_PROGRAMS = [
  'argocd', 'argo', 'kubectl-argo-rollouts',
  'argocd-application-controller', 'argocd-server', 'argocd-repo-server',
  'workflow-controller', 'argoexec', 'rollouts-controller', 'argo-events', 'ingress-nginx-controller',
];
/**
 * The executor in workflow pods: `argoexec.sh` beside the executor's dist (packages/workflows-executor),
 * which runs its bin with this Node.js, except the `init` of a plain container, done in sh.
 */
export const ARGOEXEC_PROGRAM = ['/bin/sh', join(here, '..', '..', 'workflows-executor', 'argoexec.sh'), '{node}'];
const FLOTILLA_IMAGE: ImageMapping = {
  entrypoint: ['{node}', '{flotilla}'],
  commands: Object.fromEntries(
    ['flotilla', ...FLOTILLA_IMAGE_PROGRAMS].flatMap((n) => {
      const prog = n === 'flotilla' ? ['{node}', '{flotilla}'] : n === 'argoexec' ? ARGOEXEC_PROGRAM : ['{node}', '{flotilla}', n];
      return [[n, prog], [`/usr/local/bin/${n}`, prog]];
    }),
  ),
  description: "Flotilla's own entry points (the flotilla command)",
};

/**
 * An upstream image whose program is one of Flotilla's entry points: its entrypoint runs
 * `flotilla <entry>`, and the program's names inside the image (`/bin/<entry>`, `<entry>`, or the
 * given ones) do the same.
 */
function flotillaProgram(entry: string, what: string, names: string[] = [entry, `/bin/${entry}`, `/usr/local/bin/${entry}`], prog = ['{node}', '{flotilla}', entry]): ImageMapping {
  return { entrypoint: prog, commands: Object.fromEntries(names.map((n) => [n, prog])), description: `${what} as Flotilla's \`${entry}\` entry point` };
}

/** The default table; keys are image repositories (any tag) or `repo:tag` (that tag only). */
export const DEFAULT_IMAGES: Record<string, ImageMapping> = {
  busybox: HOST_BUSYBOX,
  alpine: HOST_BUSYBOX,
  debian: HOST_BASH,
  ubuntu: HOST_BASH,
  bash: { cmd: ['bash'], hostUserland: true, description: 'the host bash' },
  centos: HOST_BASH,
  fedora: HOST_BASH,
  'alpine/git': { entrypoint: ['git'], description: 'the host git' },
  'bitnami/kubectl': { entrypoint: ['kubectl'], description: 'the host kubectl' },
  'curlimages/curl': { entrypoint: ['curl'], shell: 'busybox', description: "the host curl (BusyBox's sh, as the Alpine image has, when the host has busybox)" },
  'stedolan/jq': { entrypoint: ['jq'], description: 'the host jq' },
  python: { cmd: ['python3'], commands: { python: 'python3' }, hostUserland: true, description: 'the host userland with its python3' },
  node: { cmd: ['node'], commands: { node: '{node}' }, hostUserland: true, description: 'the host userland with this Node.js' },
  nats: {
    entrypoint: ['nats-server'],
    appendArgs: ['--addr', '{listenIP}'],
    commands: { '/nats-server': 'nats-server', 'nats-server': 'nats-server' },
    description: 'the host nats-server',
  },
  ...INFRA_IMAGES,
  'argoproj/rollouts-demo': {
    entrypoint: ['{node}', '{programs}/rollouts-demo.js'],
    env: { COLOR: '{tag}' },
    description: 'built-in rollouts-demo (HTTP on :8080 answering its color; /metrics counts the answers by status code)',
  },
  'argoproj/argosay': argosay,
  'docker/whalesay': { cmd: ['/bin/bash'], commands: { cowsay: ['{node}', '{programs}/whalesay.js'] }, description: 'built-in cowsay' },
  // Flotilla's own image: its entry point is the flotilla command of this installation
  flotilla: FLOTILLA_IMAGE,
  'flotilla/flotilla': FLOTILLA_IMAGE,
  // Argo CD's own image (upstream's install.yaml): one multi-call binary acting by the name it is
  // called as; each program runs the flotilla entry point of that name (argocd-multicall)
  'quay.io/argoproj/argocd': ARGOCD_IMAGE,
  'argoproj/argocd': ARGOCD_IMAGE,
  // Dex runs as Argo CD's `argocd-dex rundex` wrapper: Flotilla's identity broker (@flotilla/identity)
  'ghcr.io/dexidp/dex': {
    entrypoint: ['{node}', '{flotilla}', 'argocd-multicall', 'dex'],
    commands: { '/shared/argocd-dex': ['{node}', '{flotilla}', 'argocd-multicall', 'argocd-dex'], dex: ['{node}', '{flotilla}', 'argocd-multicall', 'argocd-dex'] },
    description: "Dex (SSO): Flotilla's identity broker, run as Argo CD's `/shared/argocd-dex rundex`",
  },
  // Argo Workflows' images (upstream's quick-start and install.yaml): each runs Flotilla's entry point
  'quay.io/argoproj/workflow-controller': flotillaProgram('workflow-controller', "Argo Workflows' controller"),
  'quay.io/argoproj/argocli': flotillaProgram('argo', "Argo Workflows' CLI (`argo server` is argo-server)"),
  // (the same images by their Docker Hub names, as upstream's tests and older manifests write them)
  'argoproj/argocli': flotillaProgram('argo', "Argo Workflows' CLI (`argo server` is argo-server)"),
  'argoproj/workflow-controller': flotillaProgram('workflow-controller', "Argo Workflows' controller"),
  'quay.io/argoproj/argoexec': flotillaProgram('argoexec', "Argo Workflows' executor (packages/workflows-executor/argoexec.sh)", undefined, ARGOEXEC_PROGRAM),
  // Argo Rollouts' images (upstream's install.yaml and dashboard-install.yaml)
  'quay.io/argoproj/argo-rollouts': flotillaProgram('rollouts-controller', "Argo Rollouts' controller", ['/bin/rollouts-controller', 'rollouts-controller']),
  // the plugin's image: ENTRYPOINT kubectl-argo-rollouts, CMD dashboard (dashboard-install.yaml gives neither)
  'quay.io/argoproj/kubectl-argo-rollouts': { ...flotillaProgram('kubectl-argo-rollouts', "Argo Rollouts' kubectl plugin (dashboard)"), cmd: ['dashboard'] },
  // Argo Events' image: one binary, `argo-events controller|eventsource-service|sensor-service|webhook-service`
  'quay.io/argoproj/argo-events': flotillaProgram('argo-events', "Argo Events' programs", ['/bin/argo-events', 'argo-events']),
  // ingress-nginx's controller image (the usual ingress-nginx install)
  'registry.k8s.io/ingress-nginx/controller': flotillaProgram('ingress-nginx-controller', 'the nginx Ingress controller', ['/nginx-ingress-controller', 'nginx-ingress-controller']),
  'hashicorp/http-echo': { entrypoint: ['{node}', '{programs}/http-echo.js'], description: 'built-in http-echo (-text, -listen)' },
};

export interface ImageRef {
  /** as written in the pod */
  image: string;
  /** repository without docker.io/ and library/ */
  repo: string;
  tag: string;
  digest?: string;
}

/** Parses an image reference; `docker.io/library/busybox:1.36` → repo `busybox`, tag `1.36`. */
export function parseImage(image: string): ImageRef {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag = '';
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  rest = normalizeRepo(rest);
  return { image, repo: rest, tag: tag || (digest ? '' : 'latest'), digest };
}

function normalizeRepo(repo: string): string {
  let r = repo.toLowerCase();
  for (const p of ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/', 'registry.hub.docker.com/']) if (r.startsWith(p)) r = r.slice(p.length);
  if (r.startsWith('library/')) r = r.slice('library/'.length);
  return r;
}

/** Normalises the keys of a user table the same way image references are. */
function normalizeTable(t: Record<string, ImageMapping>): Map<string, ImageMapping> {
  const m = new Map<string, ImageMapping>();
  for (const [k, v] of Object.entries(t)) {
    const p = parseImage(k);
    const hasTag = /:[^/]+$/.test(k.split('@')[0]);
    m.set(hasTag ? `${p.repo}:${p.tag}` : p.repo, v);
  }
  return m;
}

export interface ResolvedImage {
  ref: ImageRef;
  mapping: ImageMapping;
  /** the table key that matched */
  key: string;
}

/**
 * The image table: defaults, then the `images` option, then `<dataDir>/images.json` (re-read
 * when it changes). Later entries win.
 */
export class ImageTable {
  private fileMtime = -1;
  private fileTable = new Map<string, ImageMapping>();
  private fileError?: string;
  private readonly base: Map<string, ImageMapping>;

  constructor(
    options: Record<string, ImageMapping> | undefined,
    readonly file: string,
  ) {
    this.base = normalizeTable({ ...DEFAULT_IMAGES, ...(options ?? {}) });
  }

  private reload(): void {
    let mtime = 0;
    try {
      mtime = existsSync(this.file) ? statSync(this.file).mtimeMs : 0;
    } catch {
      mtime = 0;
    }
    if (mtime === this.fileMtime) return;
    this.fileMtime = mtime;
    this.fileTable = new Map();
    this.fileError = undefined;
    if (!mtime) return;
    try {
      const j = JSON.parse(readFileSync(this.file, 'utf8'));
      if (j && typeof j === 'object' && !Array.isArray(j)) this.fileTable = normalizeTable(j);
      else this.fileError = `${this.file}: expected a JSON object of image → mapping`;
    } catch (e) {
      this.fileError = `${this.file}: ${(e as Error).message}`;
    }
  }

  resolve(image: string): ResolvedImage | { error: string } {
    this.reload();
    const ref = parseImage(image);
    for (const key of [`${ref.repo}:${ref.tag}`, ref.repo]) {
      const m = this.fileTable.get(key) ?? this.base.get(key);
      if (m) return { ref, mapping: m, key };
    }
    return {
      error:
        `image "${image}" has no local program on this node (the embedded cluster runs no container images). ` +
        `Map it to a program in ${this.file}, e.g. {"${ref.repo}": {"entrypoint": ["/path/to/program"]}}, ` +
        `or with the node agent's "images" option` +
        (this.fileError ? ` (note: ${this.fileError})` : '') +
        `. ${describeTable([...this.base.entries(), ...this.fileTable.entries()])}`,
    };
  }
}

/** The images of a table, as the unmapped-image message lists them: host userland first, then the rest. */
export function describeTable(entries: [string, ImageMapping][]): string {
  const table = new Map(entries); // later entries win, as in resolve()
  const keys = (pred: (m: ImageMapping) => boolean) => [...table].filter(([, m]) => pred(m)).map(([k]) => k);
  const userland = keys((m) => !!m.hostUserland);
  const other = keys((m) => !m.hostUserland);
  return `Images that run on the host userland: ${userland.join(', ')}; other mapped images: ${other.join(', ')}`;
}

/** Whether a host program is installed: a name on PATH (or in an sbin directory), or an absolute path with `*` segments. */
export function programInstalled(program: string, pathEnv: string): boolean {
  const exe = (p: string) => {
    try {
      if (!statSync(p).isFile()) return false;
      accessSync(p, fsc.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (!program.startsWith('/')) return [...pathEnv.split(':'), '/usr/sbin', '/sbin'].some((d) => d && exe(join(d, program)));
  const walk = (dir: string, parts: string[]): boolean => {
    if (!parts.length) return exe(dir);
    const [p, ...rest] = parts;
    if (p !== '*') return walk(join(dir, p), rest);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return false;
    }
    return names.some((n) => walk(join(dir, n), rest));
  };
  return walk('/', program.split('/').filter(Boolean));
}

/** The first program a mapping requires that this host lacks. */
export function missingRequirement(m: ImageMapping, pathEnv: string): { program: string; package: string } | undefined {
  return (m.requires ?? []).find((r) => !programInstalled(r.program, pathEnv));
}

/** What the node agent sets up for an image besides the pod's own spec (see planImage). */
export interface ImagePlan {
  argv: string[];
  env: Record<string, string>;
  /** mounts for the image's volumes and files (before the pod's own) */
  mounts: Mount[];
  /** host directories to create */
  dirs: string[];
  /** host files to write (mode 0755 for a program) */
  files: { host: string; content: string; mode?: number }[];
  /** host symlinks to make */
  links: { host: string; target: string }[];
}

const under = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
/** A container path without `.`/`..` segments or a trailing slash. */
const normPath = (p: string) => posix.normalize(p).replace(/(.)\/+$/, '$1');

/**
 * The image's part of a container: its adapter applied to argv/env, its volumes and files
 * (those no volume of the pod covers) placed under `hostDir`. Pure; applyImagePlan does the I/O.
 */
export function planImage(
  m: ImageMapping,
  input: { argv: string[]; env: Record<string, string>; podMounts: string[]; hostDir: string; vars: { tag: string; podIP: string; listenIP?: string } },
): ImagePlan | { error: string } {
  let { argv, env } = input;
  if (m.adapter) {
    const a = ADAPTERS[m.adapter];
    if (!a) return { error: `unknown image adapter "${m.adapter}" (known: ${Object.keys(ADAPTERS).join(', ')})` };
    ({ argv, env } = a(argv, env, { listenIP: input.vars.listenIP ?? input.vars.podIP }));
  }
  const podPaths = input.podMounts.map(normPath);
  const covered = (p: string) => podPaths.some((d) => under(p, d));
  const plan: ImagePlan = { argv, env, mounts: [], dirs: [], files: [], links: [] };
  const volHost = new Map<string, string>();
  for (const v of m.volumes ?? []) {
    const path = normPath(v);
    if (!path.startsWith('/')) return { error: `image volume "${v}" is not an absolute path` };
    if (covered(path)) continue;
    const host = join(input.hostDir, 'volumes', encodeURIComponent(path));
    volHost.set(path, host);
    plan.dirs.push(host);
    plan.mounts.push({ host, path });
  }
  for (const [p, f] of Object.entries(m.files ?? {})) {
    const path = normPath(p);
    if (!path.startsWith('/')) return { error: `image file "${p}" is not an absolute path` };
    if (covered(path)) continue;
    if (typeof f === 'string') {
      const host = join(input.hostDir, 'files', encodeURIComponent(path));
      plan.files.push({ host, content: fillPlaceholders(f, input.vars) });
      plan.mounts.push({ host, path, readOnly: true });
      continue;
    }
    const vol = [...volHost.keys()].find((v) => under(path, v) && path !== v);
    if (!vol) {
      if ((m.volumes ?? []).some((v) => under(path, normPath(v)))) continue; // the pod's volume is there
      return { error: `image file "${p}" is a symlink outside the image's volumes` };
    }
    plan.links.push({ host: join(volHost.get(vol)!, posix.relative(vol, path)), target: f.symlink });
  }
  // a built-in program the image has at an absolute path (argosay's /argosay) is a file there too: a shell in the
  // container runs it (`sh -c "/bin/sleep 1; /argosay"`, as upstream's hook tests do)
  for (const [name, alias] of Object.entries(m.commands ?? {})) {
    if (!name.startsWith('/') || !Array.isArray(alias) || !alias.some((a) => a.includes('{programs}'))) continue;
    const path = normPath(name);
    if (covered(path) || plan.mounts.some((x) => x.path === path)) continue;
    const host = join(input.hostDir, 'files', encodeURIComponent(path));
    const argv = alias.map((a) => shellQuote(fillPlaceholders(a, input.vars)));
    plan.files.push({ host, content: `#!/bin/sh\nexec ${argv.join(' ')} "$@"\n`, mode: 0o755 });
    plan.mounts.push({ host, path, readOnly: true });
  }
  // the image's built-in programs (Flotilla's stand-ins: cowsay, argosay, minio…) are on its PATH by their bare
  // names too, as in the image: a shell in the container finds them (`sh -c "cowsay hello"` in argosay)
  const onPath = Object.entries(m.commands ?? {}).filter(([name, alias]) => !name.includes('/') && Array.isArray(alias) && alias.some((a) => a.includes('{programs}')));
  // a BusyBox/Alpine image's shell: `sh` and `ash` on its PATH are links to the host's busybox (which acts by the
  // name it is called as), so scripts written for ash run as they do in the image
  const busybox = m.shell === 'busybox' ? hostBusybox() : undefined;
  if (onPath.length || busybox) {
    const binHost = join(input.hostDir, 'bin');
    for (const [name, alias] of onPath) {
      const argv = (alias as string[]).map((a) => shellQuote(fillPlaceholders(a, input.vars)));
      plan.files.push({ host: join(binHost, name), content: `#!/bin/sh\nexec ${argv.join(' ')} "$@"\n`, mode: 0o755 });
    }
    if (busybox) for (const name of ['sh', 'ash']) if (!onPath.some(([n]) => n === name)) plan.links.push({ host: join(binHost, name), target: busybox });
    plan.mounts.push({ host: binHost, path: IMAGE_BIN, readOnly: true });
    plan.env = { ...plan.env, PATH: `${IMAGE_BIN}:${plan.env.PATH || DEFAULT_PATH}` };
  }
  return plan;
}

let busyboxPath: string | undefined;
/** The host's busybox (found once; looked for again while missing: it may be installed later), else undefined. */
export function hostBusybox(): string | undefined {
  if (busyboxPath) return busyboxPath;
  for (const d of ['/usr/bin', '/bin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')]) {
    if (!d) continue;
    const p = join(d, 'busybox');
    if (programInstalled(p, '')) return (busyboxPath = p);
  }
  return undefined;
}

/** Where a container finds the image's programs that have a bare name (first on its PATH). */
export const IMAGE_BIN = '/.flotilla-image/bin';

/** Creates what a plan needs on the host (idempotent: a restarted container finds its volumes as they were). */
export function applyImagePlan(p: ImagePlan): void {
  for (const d of p.dirs) mkdirSync(d, { recursive: true, mode: 0o777 });
  for (const f of p.files) {
    mkdirSync(dirname(f.host), { recursive: true });
    writeFileSync(f.host, f.content);
    if (f.mode !== undefined) chmodSync(f.host, f.mode);
  }
  for (const l of p.links) {
    mkdirSync(dirname(l.host), { recursive: true });
    rmSync(l.host, { force: true });
    symlinkSync(l.target, l.host);
  }
}

/**
 * `{tag}`, `{node}`, `{programs}`, `{podIP}` and `{listenIP}` — the address a server in the pod
 * should bind: 0.0.0.0 when the pod has a network of its own, else its pod IP (shared host network).
 */
export function fillPlaceholders(s: string, vars: { tag: string; podIP: string; listenIP?: string }): string {
  return s.replace(/\{(tag|node|programs|flotilla|podIP|listenIP)\}/g, (_, k: string) =>
    k === 'tag'
      ? vars.tag
      : k === 'node'
        ? process.execPath
        : k === 'programs'
          ? PROGRAMS_DIR
          : k === 'flotilla'
            ? FLOTILLA_MAIN
            : k === 'listenIP'
              ? vars.listenIP ?? vars.podIP
              : vars.podIP,
  );
}
