/**
 * The artifact server:
 * - `/artifact-files/{ns}/{workflows|archived-workflows}/{name|uid}/{nodeId}/{outputs|inputs}/{artifactName}[/{path…}]`:
 *   a file artifact's bytes; a directory artifact (S3 objects under `key/`, saved with `archive: none`) answers a
 *   redirect to its path with `/`, where an HTML listing of its entries (`<a href="./entry">entry</a>`, `…/` for a
 *   sub-directory) is served; a path inside names a file or sub-directory of it;
 * - the older `/artifacts/{ns}/{name}/{nodeId}/{artifactName}`, `/input-artifacts/…`, and
 *   `/artifacts-by-uid/{uid}/{nodeId}/{artifactName}`, `/input-artifacts-by-uid/…` (the archived workflow of that
 *   uid, else a live one).
 * Every answer carries `Content-Security-Policy` (a sandbox: an HTML artifact's scripts do not run with the UI's
 * origin) and `X-Frame-Options: SAMEORIGIN` (the UI shows artifacts in a frame).
 *
 * The artifact's location (S3 key, HTTP or Artifactory URL, raw data) comes from the node's status, completed by the
 * workflow's artifact repository (status.artifactRepositoryRef, else the `artifact-repositories` ConfigMap's default,
 * else the controller ConfigMap's `artifactRepository`); credentials (S3 keys; HTTP `auth` — basic, bearer, oauth2,
 * clientCert — and `headers`; Artifactory's user and password) from the Secrets it names, in the workflow's namespace.
 * An artifact name the node does not have is a 500 (as upstream); a workflow or node not found, no object at the
 * key, or an artifact garbage-collected (`deleted: true`), a 404.
 */
import { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { S3Client, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { R } from '@flotilla/kube-runtime';
import type { Workflow } from '@flotilla/workflows-controller';
import { ApiErr, Code, invalid, notFound, STREAMED, type Req, type Router } from '../http.js';
import { listNamespace, type Caller, type Ctx } from '../context.js';
import { parseControllerConfig } from '../archive/config.js';
import { AR } from '../resources.js';
import { kcall } from './common.js';

export const ARTIFACT_CSP = "sandbox; base-uri 'none'; default-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'";

interface S3Loc {
  endpoint?: string;
  bucket?: string;
  key?: string;
  region?: string;
  insecure?: boolean;
  accessKeySecret?: { name: string; key: string };
  secretKeySecret?: { name: string; key: string };
  keyFormat?: string;
}

async function repository(ctx: Ctx, wf: Workflow): Promise<Record<string, any> | undefined> {
  const ref = (wf.status as any)?.artifactRepositoryRef;
  if (ref?.artifactRepository) return ref.artifactRepository;
  const ns = wf.metadata.namespace!;
  const cmName = ref?.configMap ?? 'artifact-repositories';
  try {
    const cm = await ctx.kube.get<any>(R.configmaps, ref?.namespace ?? ns, cmName);
    const key = ref?.key ?? cm.metadata?.annotations?.['workflows.argoproj.io/default-artifact-repository'];
    if (key && cm.data?.[key]) return parseControllerConfig({ repo: cm.data[key] }).repo;
  } catch (e) {
    if ((e as { code?: number }).code !== 404) throw e;
  }
  return ctx.config().artifactRepository;
}

async function secretValue(ctx: Ctx, ns: string, ref: { name: string; key: string } | undefined): Promise<string | undefined> {
  if (!ref) return undefined;
  const s = await kcall(ctx.kube.get<any>(R.secrets, ns, ref.name));
  const v = s.data?.[ref.key];
  if (v === undefined) throw new ApiErr(Code.FailedPrecondition, `Secret ${ns}/${ref.name} has no key ${ref.key}`);
  return Buffer.from(v, 'base64').toString('utf8');
}

const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8', htm: 'text/html; charset=utf-8', txt: 'text/plain; charset=utf-8', log: 'text/plain; charset=utf-8',
  json: 'application/json', yaml: 'text/yaml; charset=utf-8', yml: 'text/yaml; charset=utf-8', csv: 'text/csv; charset=utf-8',
  xml: 'text/xml; charset=utf-8', css: 'text/css; charset=utf-8', md: 'text/markdown; charset=utf-8', svg: 'image/svg+xml',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', pdf: 'application/pdf',
  tgz: 'application/gzip', gz: 'application/gzip', tar: 'application/x-tar', zip: 'application/zip',
};

/** The Content-Type of a file: by its extension, else text/plain when its first bytes are text, else octet-stream. */
export function contentTypeOf(name: string, head: Buffer): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  if (ext && MIME[ext]) return MIME[ext]!;
  const sample = head.subarray(0, 512);
  if (sample.includes(0)) return 'application/octet-stream';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.length === 512 ? sample.subarray(0, 508) : sample);
    return 'text/plain; charset=utf-8';
  } catch {
    return 'application/octet-stream';
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The HTML listing of a directory: each entry a relative link (`./name`, `./dir/`), names escaped. */
export function directoryListing(title: string, entries: string[], withParent: boolean): string {
  const items = entries.map((e) => {
    const dir = e.endsWith('/');
    const name = dir ? e.slice(0, -1) : e;
    return `<li><a href="./${encodeURIComponent(name)}${dir ? '/' : ''}">${escapeHtml(name)}${dir ? '/' : ''}</a></li>`;
  });
  if (withParent) items.unshift('<li><a href="../">../</a></li>');
  return `<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n<ul>\n${items.join('\n')}\n</ul>\n</body>\n</html>\n`;
}

/** A path inside a directory artifact: no empty, `.` or `..` segment. */
function checkSubPath(sub: string): void {
  if (!sub) return;
  for (const seg of sub.split('/')) if (seg === '.' || seg === '..' || seg === '' || seg.includes('\\')) throw invalid(`invalid path inside the artifact: "${sub}"`);
}

interface Target {
  /** the path inside the artifact ('' for the artifact itself) */
  sub: string;
  /** the request path ended with `/` (a directory listing is asked for) */
  dir: boolean;
  /** the request path, for the redirect of a directory to its path with `/` */
  path: string;
}

async function sendS3(ctx: Ctx, ns: string, loc: S3Loc, res: ServerResponse, t: Target): Promise<void> {
  if (!loc.bucket || !loc.key || !loc.endpoint) throw new ApiErr(Code.FailedPrecondition, `the artifact's S3 location is incomplete (endpoint ${loc.endpoint ?? '?'}, bucket ${loc.bucket ?? '?'}, key ${loc.key ?? '?'})`);
  const accessKeyId = await secretValue(ctx, ns, loc.accessKeySecret);
  const secretAccessKey = await secretValue(ctx, ns, loc.secretKeySecret);
  const endpoint = /^https?:\/\//.test(loc.endpoint) ? loc.endpoint : `${loc.insecure ? 'http' : 'https'}://${loc.endpoint}`;
  const s3 = new S3Client({ endpoint, region: loc.region || 'us-east-1', forcePathStyle: true, credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined });
  const base = loc.key.replace(/\/+$/, '');
  const key = t.sub ? `${base}/${t.sub}` : base;
  const where = `s3://${loc.bucket}/${key}`;
  const failed = (e: unknown): never => {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) throw notFound(`artifact not found in ${where} at ${endpoint}`);
    throw new ApiErr(Code.Unavailable, `reading ${where} from ${endpoint}: ${err.message ?? err.name}`);
  };
  /** The entries right under `key/` (sub-directories with a trailing `/`), up to `max`. */
  const entries = async (max = 10_000): Promise<string[]> => {
    const prefix = `${key}/`;
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token })).catch(failed);
      for (const p of r.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix.slice(prefix.length));
      for (const o of r.Contents ?? []) if (o.Key && o.Key !== prefix) out.push(o.Key.slice(prefix.length));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token && out.length < max);
    return out;
  };
  try {
    if (t.dir) {
      const list = (await entries()).sort((a, b) => Number(b.endsWith('/')) - Number(a.endsWith('/')) || a.localeCompare(b));
      if (!list.length) throw notFound(`no directory at ${where}/ (${endpoint})`);
      const html = directoryListing(`${key}/`, list, !!t.sub);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
      return void res.end(html);
    }
    let out;
    try {
      out = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      // no object at the key: a directory when there are objects under key/ (its listing is at the path with /)
      if ((err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) && (await entries(1)).length) {
        res.writeHead(307, { location: `${t.path.split('/').pop()}/`, 'content-length': 0 });
        return void res.end();
      }
      return failed(e);
    }
    const body = out.Body as Readable;
    const it = body[Symbol.asyncIterator]();
    const first = await it.next();
    const head: Buffer = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Uint8Array);
    const filename = key.split('/').pop()!;
    res.writeHead(200, {
      'content-type': contentTypeOf(filename, head),
      'content-disposition': `filename="${filename.replace(/["\\\r\n]/g, '')}"`,
      ...(out.ContentLength !== undefined ? { 'content-length': String(out.ContentLength) } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      const rest = Readable.from((async function* () {
        if (head.length) yield head;
        for (let n = await it.next(); !n.done; n = await it.next()) yield n.value as Uint8Array;
      })());
      rest.on('error', reject);
      res.on('close', resolve);
      rest.pipe(res);
    });
  } catch (e) {
    if (res.headersSent) return void res.destroy();
    if (e instanceof ApiErr) throw e;
    failed(e);
  } finally {
    s3.destroy();
  }
}

/**
 * An HTTP or Artifactory artifact, fetched with its authentication (the executor's client: headers, basic auth,
 * bearer token, OAuth2 client credentials, client certificate; Artifactory's user and password, the repository's
 * when the artifact names none), Secrets read in the workflow's namespace; the answer streamed.
 */
async function sendHttp(ctx: Ctx, ns: string, art: Record<string, any>, repo: Record<string, any> | undefined, res: ServerResponse): Promise<void> {
  const { httpAuth, httpSend } = (await import('@flotilla/workflows-executor')).artifacts;
  const a = art.artifactory
    ? { artifactory: { usernameSecret: repo?.artifactory?.usernameSecret, passwordSecret: repo?.artifactory?.passwordSecret, ...art.artifactory } }
    : { http: art.http };
  const url: string = a.artifactory?.url ?? a.http.url;
  const secret = async (sel: { name: string; key: string }) => (await secretValue(ctx, ns, sel)) ?? '';
  let auth;
  try {
    auth = await httpAuth(a, secret);
  } catch (e) {
    if (e instanceof ApiErr) throw e;
    throw new ApiErr(Code.Unavailable, `authenticating to ${url}: ${(e as Error).message}`);
  }
  const resp = await httpSend({ method: 'GET', url, ...auth }).catch((e: Error) => {
    throw new ApiErr(Code.Unavailable, `fetching ${url}: ${e.message}`);
  });
  const st = resp.statusCode ?? 0;
  if (st < 200 || st >= 300) {
    resp.resume();
    throw new ApiErr(st === 404 ? Code.NotFound : st === 401 || st === 403 ? Code.PermissionDenied : Code.Unavailable, `fetching ${url}: HTTP ${st}`);
  }
  const filename = decodeURIComponent(new URL(url).pathname.split('/').pop() || art.name);
  res.writeHead(200, {
    'content-type': String(resp.headers['content-type'] ?? 'application/octet-stream'),
    'content-disposition': `filename="${filename.replace(/["\\\r\n]/g, '')}"`,
    ...(resp.headers['content-length'] ? { 'content-length': String(resp.headers['content-length']) } : {}),
  });
  await new Promise<void>((resolve) => {
    resp.on('error', () => res.destroy());
    res.on('close', resolve);
    resp.pipe(res);
  });
}

/** The workflow's node status, put back from the database when it was offloaded (persistence.nodeStatusOffLoad). */
async function nodesOf(ctx: Ctx, wf: Workflow): Promise<Record<string, any>> {
  const st = wf.status as any;
  if (st?.nodes) return st.nodes;
  const ver = st?.offloadNodeStatusVersion;
  if (ver && ctx.archive) return (await ctx.archive.offloadedNodes(wf.metadata.uid!, ver)) ?? {};
  return {};
}

export function registerArtifacts(router: Router<Caller>, ctx: Ctx): void {
  const live = async (c: Caller, ns: string, name: string) => (await kcall(c.kube.get<any>(AR.workflows, ns, name))) as Workflow;
  const archived = async (c: Caller, uid: string, ns?: string) => {
    if (!ctx.archive) throw new ApiErr(Code.Unimplemented, 'the workflow archive is not enabled');
    const wf = (await ctx.archive.get(uid)) as Workflow | undefined;
    if (!wf || (ns !== undefined && wf.metadata.namespace !== ns)) throw notFound(`archived workflow ${uid} not found`);
    // who may see the workflows of its namespace may see its artifacts
    if (c.mode !== 'server') await kcall(c.kube.list(AR.workflows, wf.metadata.namespace, { limit: 1 }));
    return wf;
  };
  /** By uid: the archived workflow, else a live one of that uid (read again with the caller's client). */
  const byUid = async (c: Caller, uid: string) => {
    if (ctx.archive) {
      const wf = await archived(c, uid).catch((e) => {
        if (e instanceof ApiErr && e.code === Code.NotFound) return undefined;
        throw e;
      });
      if (wf) return wf;
    }
    const l = await kcall(ctx.kube.list<any>(AR.workflows, listNamespace(ctx, undefined)));
    const hit = l.items.find((w: any) => w.metadata?.uid === uid);
    if (!hit) throw notFound(`workflow ${uid} not found (neither archived nor live)`);
    return live(c, hit.metadata.namespace, hit.metadata.name);
  };

  const serve = async (r: Req<Caller>, wf: Workflow, nodeId: string, direction: string, name: string, sub: string) => {
    if (direction !== 'outputs' && direction !== 'inputs') throw invalid(`"${direction}": want outputs or inputs`);
    checkSubPath(sub);
    const res = r.res;
    const nodes = await nodesOf(ctx, wf);
    const node = nodes[nodeId] ?? Object.values(nodes).find((n: any) => n.name === nodeId);
    if (!node) throw notFound(`node ${nodeId} not found in workflow ${wf.metadata.name}`);
    const art = ((node as any)[direction]?.artifacts ?? []).find((a: any) => a.name === name);
    // upstream answers 500 for an artifact name the node does not have
    if (!art) throw new ApiErr(Code.Internal, `artifact "${name}" not found in the ${direction} of node ${node.displayName ?? nodeId}`);
    // garbage-collected (artifact GC marks it deleted): nothing to offer
    if (art.deleted) throw notFound(`artifact "${name}" of node ${node.displayName ?? nodeId} has been deleted (artifact GC)`);
    const t: Target = { sub, dir: r.path.endsWith('/'), path: r.path.replace(/\/+$/, '') };
    if ((sub || t.dir) && !art.s3 && !art.key) throw notFound(`artifact "${name}" is a file: it has no path ${sub ? `"${sub}"` : '/'} inside`);
    if (art.raw?.data !== undefined) {
      const data = String(art.raw.data);
      res.writeHead(200, { 'content-type': contentTypeOf(name, Buffer.from(data)), 'content-disposition': `filename="${name}"` });
      return void res.end(data);
    }
    const repo = await repository(ctx, wf);
    if (art.http?.url || art.artifactory?.url) return sendHttp(ctx, wf.metadata.namespace!, art, repo, res);
    const loc: S3Loc = { ...(repo?.s3 ?? {}), ...(art.s3 ?? {}) };
    if (!art.s3 && !art.key) throw new ApiErr(Code.Unimplemented, `artifact "${name}" has no S3, HTTP or raw location this server can read`);
    if (art.key && !art.s3?.key) loc.key = art.key;
    await sendS3(ctx, wf.metadata.namespace!, loc, res, t);
  };

  const files = async (r: Req<Caller>) => {
    const p = r.params;
    const [name, ...rest] = p.path!.split('/');
    let wf: Workflow;
    if (p.kind === 'workflows') wf = await live(r.ctx, p.namespace!, p.id!);
    else if (p.kind === 'archived-workflows') wf = await archived(r.ctx, p.id!, p.namespace!);
    else throw invalid(`"${p.kind}": want workflows or archived-workflows`);
    await serve(r, wf, p.nodeId!, p.direction!, name!, rest.join('/'));
    return STREAMED;
  };
  const secured = (h: (r: Req<Caller>) => Promise<unknown>) => (r: Req<Caller>) => {
    r.res.setHeader('content-security-policy', ARTIFACT_CSP);
    r.res.setHeader('x-frame-options', 'SAMEORIGIN');
    return h(r);
  };
  router.add('GET', '/artifact-files/{namespace}/{kind}/{id}/{nodeId}/{direction}/{path*}', secured(files));
  for (const [prefix, direction] of [['artifacts', 'outputs'], ['input-artifacts', 'inputs']] as const) {
    router.add('GET', `/${prefix}/{namespace}/{name}/{nodeId}/{artifactName}`, secured(async (r) => {
      await serve(r, await live(r.ctx, r.params.namespace!, r.params.name!), r.params.nodeId!, direction, r.params.artifactName!, '');
      return STREAMED;
    }));
    router.add('GET', `/${prefix}-by-uid/{uid}/{nodeId}/{artifactName}`, secured(async (r) => {
      await serve(r, await byUid(r.ctx, r.params.uid!), r.params.nodeId!, direction, r.params.artifactName!, '');
      return STREAMED;
    }));
  }
}
