/**
 * Kubeconfig loading with kubectl's semantics for the common cases — current-context, cluster
 * server / certificate-authority(-data) / insecure-skip-tls-verify / tls-server-name, user token /
 * tokenFile / client-certificate(-data) / client-key(-data) / username+password — without loading
 * @kubernetes/client-node (whose import costs ~80 MB and a second). Kubeconfigs with exec or
 * auth-provider credentials, or YAML this small reader does not understand, are handed to
 * client-node's KubeConfig.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

export interface ResolvedKubeconfig {
  server: string;
  ca?: string;
  insecure?: boolean;
  servername?: string;
  token?: string;
  tokenFile?: string;
  cert?: string;
  key?: string;
  basicAuth?: string;
  /** headers/options produced by client-node (exec plugins…); refreshed periodically */
  dynamic?: () => Promise<{ headers: Record<string, string>; ca?: string; cert?: string; key?: string; insecure?: boolean }>;
}

// ------------------------------------------------------------------------------ a small YAML reader

type Y = string | number | boolean | null | Y[] | { [k: string]: Y };

class Unsupported extends Error {}

function scalar(raw: string): Y {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Unsupported('unterminated string');
    return JSON.parse(s);
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Unsupported('unterminated string');
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('{') || s.startsWith('[')) {
    if (s === '{}') return {};
    if (s === '[]') return [];
    throw new Unsupported('flow collections');
  }
  if (s.startsWith('|') || s.startsWith('>') || s.startsWith('&') || s.startsWith('*') || s.startsWith('!')) throw new Unsupported(`YAML feature "${s[0]}"`);
  if (s === 'true') return true;
  if (s === 'false') return false;
  return s;
}

function stripComment(line: string): string {
  let q: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === q) q = undefined;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** Block mappings and sequences of scalars — what kubeconfig files are made of. */
export function parseSimpleYaml(text: string): Y {
  const lines = text
    .split(/\r?\n/)
    .map((l) => stripComment(l).replace(/\s+$/, ''))
    .filter((l) => l.trim() !== '' && l.trim() !== '---');
  let i = 0;
  const indentOf = (l: string) => l.length - l.trimStart().length;

  function splitKey(s: string): [string, string] | undefined {
    let q: string | undefined;
    for (let j = 0; j < s.length; j++) {
      const c = s[j];
      if (q) {
        if (c === q) q = undefined;
      } else if (c === '"' || c === "'") q = c;
      else if (c === ':' && (j === s.length - 1 || s[j + 1] === ' ')) {
        const k = scalar(s.slice(0, j));
        return [String(k), s.slice(j + 1)];
      }
    }
    return undefined;
  }

  function block(indent: number): Y {
    if (i >= lines.length) return null;
    const first = lines[i];
    if (first.trimStart().startsWith('- ') || first.trim() === '-') return seq(indentOf(first));
    return map(indent);
  }

  function map(indent: number): Y {
    const out: Record<string, Y> = {};
    while (i < lines.length) {
      const l = lines[i];
      const ind = indentOf(l);
      if (ind < indent) break;
      if (ind > indent) throw new Unsupported(`unexpected indentation at "${l.trim()}"`);
      const kv = splitKey(l.trim());
      if (!kv) throw new Unsupported(`not a mapping entry: "${l.trim()}"`);
      i++;
      const [k, rest] = kv;
      if (rest.trim() === '') {
        if (i < lines.length && (indentOf(lines[i]) > ind || (indentOf(lines[i]) === ind && lines[i].trimStart().startsWith('- ')))) out[k] = block(indentOf(lines[i]));
        else out[k] = null;
      } else out[k] = scalar(rest);
    }
    return out;
  }

  function seq(indent: number): Y {
    const out: Y[] = [];
    while (i < lines.length) {
      const l = lines[i];
      const ind = indentOf(l);
      if (ind !== indent || !(l.trimStart().startsWith('- ') || l.trim() === '-')) break;
      const body = l.trimStart().slice(1);
      const inner = body.replace(/^\s+/, '');
      if (inner === '') {
        i++;
        out.push(i < lines.length && indentOf(lines[i]) > ind ? block(indentOf(lines[i])) : null);
        continue;
      }
      if (splitKey(inner)) {
        // "- key: value" starts a mapping whose indentation is the column of "key"
        const col = ind + 1 + (body.length - inner.length);
        lines[i] = ' '.repeat(col) + inner;
        out.push(map(col));
      } else {
        out.push(scalar(inner));
        i++;
      }
    }
    return out;
  }

  return block(0);
}

// ------------------------------------------------------------------------------ resolution

function named(list: any, name: string, what: string): any {
  const e = (Array.isArray(list) ? list : []).find((x: any) => x?.name === name);
  if (!e) throw new Error(`kubeconfig: ${what} "${name}" not found`);
  return e;
}

function fileOrData(base: string, file: unknown, data: unknown): string | undefined {
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8');
  if (typeof file === 'string' && file) return readFileSync(isAbsolute(file) ? file : join(base, file), 'utf8');
  return undefined;
}

export async function loadKubeconfig(path: string): Promise<ResolvedKubeconfig> {
  const text = readFileSync(path, 'utf8');
  let doc: any;
  try {
    doc = text.trimStart().startsWith('{') ? JSON.parse(text) : parseSimpleYaml(text);
  } catch (e) {
    if (e instanceof Unsupported) return viaClientNode(path);
    throw e;
  }
  const ctxName = doc?.['current-context'];
  if (!ctxName) throw new Error(`kubeconfig ${path}: no current-context`);
  const ctx = named(doc.contexts, ctxName, 'context').context ?? {};
  const cluster = named(doc.clusters, ctx.cluster, 'cluster').cluster ?? {};
  const user = ctx.user ? named(doc.users, ctx.user, 'user').user ?? {} : {};
  if (user.exec || user['auth-provider']) return viaClientNode(path);
  const base = dirname(path);
  const r: ResolvedKubeconfig = { server: String(cluster.server ?? '') };
  if (!r.server) throw new Error(`kubeconfig ${path}: cluster "${ctx.cluster}" has no server`);
  r.ca = fileOrData(base, cluster['certificate-authority'], cluster['certificate-authority-data']);
  if (cluster['insecure-skip-tls-verify'] === true) r.insecure = true;
  if (cluster['tls-server-name']) r.servername = String(cluster['tls-server-name']);
  if (user.token) r.token = String(user.token);
  else if (user.tokenFile) r.tokenFile = isAbsolute(user.tokenFile) ? user.tokenFile : join(base, user.tokenFile);
  r.cert = fileOrData(base, user['client-certificate'], user['client-certificate-data']);
  r.key = fileOrData(base, user['client-key'], user['client-key-data']);
  if (user.username && user.password) r.basicAuth = `${user.username}:${user.password}`;
  return r;
}

/** Exec plugins, auth providers, exotic YAML: @kubernetes/client-node does the work. */
async function viaClientNode(path: string): Promise<ResolvedKubeconfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig ${path}: no current cluster`);
  const dynamic = async () => {
    const o: any = {};
    await kc.applyToHTTPSOptions(o);
    const toStr = (v: unknown) => (v === undefined || v === null ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
    return { headers: (o.headers ?? {}) as Record<string, string>, ca: toStr(o.ca), cert: toStr(o.cert), key: toStr(o.key), insecure: o.rejectUnauthorized === false ? true : undefined };
  };
  return { server: cluster.server, dynamic };
}
