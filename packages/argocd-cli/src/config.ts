/**
 * The CLI's local config (`~/.config/argocd/config`, `$ARGOCD_CONFIG_DIR/config` or `--config`),
 * YAML with the same keys as upstream's: contexts, current-context, servers, users, prompts-enabled.
 */
import { fs } from './node-fs.js';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import YAML from '@flotilla/cli-kit/yaml';

const { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = fs;

export interface ServerEntry {
  server: string;
  insecure?: boolean;
  'plain-text'?: boolean;
  'grpc-web'?: boolean;
  'grpc-web-root-path'?: string;
  core?: boolean;
  'client-cert-path'?: string;
  'client-cert-key-path'?: string;
}

export interface UserEntry {
  name: string;
  'auth-token'?: string;
  'refresh-token'?: string;
}

export interface ContextEntry {
  name: string;
  server: string;
  user: string;
}

export interface LocalConfig {
  contexts: ContextEntry[];
  'current-context': string;
  'prompts-enabled'?: boolean;
  servers: ServerEntry[];
  users: UserEntry[];
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ARGOCD_CONFIG_DIR) return join(env.ARGOCD_CONFIG_DIR, 'config');
  const home = env.HOME || homedir();
  const legacy = join(home, '.argocd', 'config');
  if (existsSync(legacy)) return legacy;
  const xdg = env.XDG_CONFIG_HOME || join(home, '.config');
  return join(xdg, 'argocd', 'config');
}

export class ConfigError extends Error {}

export function emptyConfig(): LocalConfig {
  return { contexts: [], 'current-context': '', servers: [], users: [] };
}

/** Reads the config; undefined when the file does not exist. */
export function readConfig(path: string): LocalConfig | undefined {
  if (!existsSync(path)) return undefined;
  let doc: any;
  try {
    const text = readFileSync(path, 'utf8');
    doc = cachedParse(path, text);
  } catch (e) {
    throw new ConfigError(`error unmarshaling ${path}: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return emptyConfig();
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`error unmarshaling ${path}: not a mapping`);
  return {
    contexts: Array.isArray(doc.contexts) ? doc.contexts : [],
    'current-context': typeof doc['current-context'] === 'string' ? doc['current-context'] : '',
    ...(doc['prompts-enabled'] !== undefined ? { 'prompts-enabled': !!doc['prompts-enabled'] } : {}),
    servers: Array.isArray(doc.servers) ? doc.servers : [],
    users: Array.isArray(doc.users) ? doc.users : [],
  };
}

/**
 * The parsed config as JSON, kept in the user's cache directory (0700 / 0600: it holds the tokens) with
 * the exact YAML text it came from: a command whose config did not change since the last one skips
 * loading the YAML parser (~70 ms of a short command's start). Any difference in the text parses again.
 */
function cacheFile(path: string): string {
  const base = process.env.XDG_CACHE_HOME || join(process.env.HOME || homedir(), '.cache');
  return join(base, 'flotilla', 'argocd', `${encodeURIComponent(resolve(path))}.json`);
}

function cachedParse(path: string, text: string): unknown {
  const file = cacheFile(path);
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { text?: unknown; doc?: unknown };
    if (c && c.text === text) return c.doc;
  } catch {
    /* no cache yet, or unreadable: parse */
  }
  const doc = YAML.parse(text);
  writeCache(file, text, doc);
  return doc;
}

function writeCache(file: string, text: string, doc: unknown): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ text, doc: doc ?? null }), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    /* a read-only home: no cache */
  }
}

/** Writes the config with mode 0600 (the directory 0700), atomically. */
export function writeConfig(path: string, cfg: LocalConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  const text = YAML.stringify(cfg, { indentSeq: false });
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  // the next command reads it without the YAML parser (already loaded here)
  writeCache(cacheFile(path), text, YAML.parse(text));
}

export function upsertServer(cfg: LocalConfig, s: ServerEntry): void {
  const i = cfg.servers.findIndex((x) => x.server === s.server);
  if (i >= 0) cfg.servers[i] = s;
  else cfg.servers.push(s);
}
export function upsertUser(cfg: LocalConfig, u: UserEntry): void {
  const i = cfg.users.findIndex((x) => x.name === u.name);
  if (i >= 0) cfg.users[i] = u;
  else cfg.users.push(u);
}
export function upsertContext(cfg: LocalConfig, c: ContextEntry): void {
  const i = cfg.contexts.findIndex((x) => x.name === c.name);
  if (i >= 0) cfg.contexts[i] = c;
  else cfg.contexts.push(c);
}

export interface ResolvedContext {
  name: string;
  server: ServerEntry;
  user: UserEntry;
}

export function resolveContext(cfg: LocalConfig, name?: string): ResolvedContext {
  const ctxName = name || cfg['current-context'];
  if (!ctxName) throw new ConfigError('No context specified');
  const c = cfg.contexts.find((x) => x.name === ctxName);
  if (!c) throw new ConfigError(`Context '${ctxName}' undefined`);
  const server = cfg.servers.find((x) => x.server === c.server);
  if (!server) throw new ConfigError(`Server '${c.server}' undefined`);
  const user = cfg.users.find((x) => x.name === c.user);
  if (!user) throw new ConfigError(`User '${c.user}' undefined`);
  return { name: ctxName, server, user };
}

/** Removes a context and, when no other context uses them, its server and user. */
export function removeContext(cfg: LocalConfig, name: string): ContextEntry | undefined {
  const i = cfg.contexts.findIndex((x) => x.name === name);
  if (i < 0) return undefined;
  const [c] = cfg.contexts.splice(i, 1);
  if (!cfg.contexts.some((x) => x.server === c.server)) cfg.servers = cfg.servers.filter((s) => s.server !== c.server);
  if (!cfg.contexts.some((x) => x.user === c.user)) cfg.users = cfg.users.filter((u) => u.name !== c.user);
  if (cfg['current-context'] === name) cfg['current-context'] = cfg.contexts[0]?.name ?? '';
  return c;
}

/** The claims of a JWT, without verifying it (the server does that). */
export function jwtClaims(token: string | undefined): Record<string, any> {
  if (!token) return {};
  const parts = token.split('.');
  if (parts.length < 2) return {};
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return {};
  }
}

/** `admin:login` → `admin` (upstream's subject format for local users). */
export function usernameOf(sub: string | undefined): string {
  if (!sub) return '';
  const i = sub.indexOf(':');
  return i >= 0 ? sub.slice(0, i) : sub;
}
