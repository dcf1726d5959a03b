/**
 * Artifact downloads: `/artifact-files/{ns}/{workflows|archived-workflows}/{name|uid}/{nodeId}/{outputs|inputs}/{artifactName}`
 * and the older `/artifacts/{ns}/{name}/{nodeId}/{artifactName}`. The artifact's location (S3 key, HTTP URL, raw
 * data) comes from the node's status, completed by the workflow's artifact repository (status.artifactRepositoryRef,
 * else the controller ConfigMap's `artifactRepository`, else the `artifact-repositories` ConfigMap's default);
 * S3 credentials from the Secrets it names, in the workflow's namespace.
 */
import { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
import { R } from '@flotilla/kube-runtime';
import type { Workflow } from '@flotilla/workflows-controller';
import { ApiErr, Code, invalid, notFound, STREAMED, type Router } from '../http.js';
import type { Caller, Ctx } from '../context.js';
import { parseControllerConfig } from '../archive/config.js';
import { AR } from '../resources.js';
import { kcall } from './common.js';

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

async function sendS3(ctx: Ctx, ns: string, loc: S3Loc, res: ServerResponse, filename: string): Promise<void> {
  if (!loc.bucket || !loc.key || !loc.endpoint) throw new ApiErr(Code.FailedPrecondition, `the artifact's S3 location is incomplete (endpoint ${loc.endpoint ?? '?'}, bucket ${loc.bucket ?? '?'}, key ${loc.key ?? '?'})`);
  const accessKeyId = await secretValue(ctx, ns, loc.accessKeySecret);
  const secretAccessKey = await secretValue(ctx, ns, loc.secretKeySecret);
  const endpoint = /^https?:\/\//.test(loc.endpoint) ? loc.endpoint : `${loc.insecure ? 'http' : 'https'}://${loc.endpoint}`;
  const s3 = new S3Client({ endpoint, region: loc.region || 'us-east-1', forcePathStyle: true, credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined });
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': `filename="${filename.replace(/"/g, '')}"`, ...(out.ContentLength !== undefined ? { 'content-length': String(out.ContentLength) } : {}) });
    await new Promise<void>((resolve, reject) => {
      const body = out.Body as Readable;
      body.on('error', reject);
      res.on('close', resolve);
      body.pipe(res);
    });
  } catch (e) {
    if (res.headersSent) return void res.destroy();
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) throw notFound(`artifact not found in s3://${loc.bucket}/${loc.key} at ${endpoint}`);
    throw new ApiErr(Code.Unavailable, `reading s3://${loc.bucket}/${loc.key} from ${endpoint}: ${err.message ?? err.name}`);
  } finally {
    s3.destroy();
  }
}

export function registerArtifacts(router: Router<Caller>, ctx: Ctx): void {
  const serve = async (c: Caller, res: ServerResponse, ns: string, kind: string, id: string, nodeId: string, direction: string, name: string) => {
    let wf: Workflow | undefined;
    if (kind === 'workflows') wf = await kcall(c.kube.get<any>(AR.workflows, ns, id));
    else if (kind === 'archived-workflows') {
      if (!ctx.archive) throw new ApiErr(Code.Unimplemented, 'the workflow archive is not enabled');
      wf = (await ctx.archive.get(id)) as Workflow | undefined;
      if (!wf || wf.metadata.namespace !== ns) throw notFound(`archived workflow ${id} not found`);
      if (c.mode !== 'server') await kcall(c.kube.list(AR.workflows, ns, { limit: 1 }));
    } else throw invalid(`"${kind}": want workflows or archived-workflows`);
    if (direction !== 'outputs' && direction !== 'inputs') throw invalid(`"${direction}": want outputs or inputs`);
    const node = wf!.status?.nodes?.[nodeId] ?? Object.values(wf!.status?.nodes ?? {}).find((n) => n.name === nodeId);
    if (!node) throw notFound(`node ${nodeId} not found in workflow ${wf!.metadata.name}`);
    const art = ((node as any)[direction]?.artifacts ?? []).find((a: any) => a.name === name);
    if (!art) throw notFound(`artifact "${name}" not found in the ${direction} of node ${node.displayName ?? nodeId}`);
    if (art.raw?.data !== undefined) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': `filename="${name}"` });
      return void res.end(String(art.raw.data));
    }
    if (art.http?.url) {
      const r = await fetch(art.http.url).catch((e) => {
        throw new ApiErr(Code.Unavailable, `fetching ${art.http.url}: ${(e as Error).message}`);
      });
      if (!r.ok || !r.body) throw new ApiErr(r.status === 404 ? Code.NotFound : Code.Unavailable, `fetching ${art.http.url}: HTTP ${r.status}`);
      res.writeHead(200, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream', 'content-disposition': `filename="${name}"` });
      Readable.fromWeb(r.body as any).pipe(res);
      return;
    }
    const repo = await repository(ctx, wf!);
    const loc: S3Loc = { ...(repo?.s3 ?? {}), ...(art.s3 ?? {}) };
    if (!art.s3 && !art.key) throw new ApiErr(Code.Unimplemented, `artifact "${name}" has no S3, HTTP or raw location this server can read`);
    if (art.key && !art.s3?.key) loc.key = art.key;
    const base = (loc.key ?? name).split('/').pop()!;
    await sendS3(ctx, wf!.metadata.namespace!, loc, res, base);
  };
  router.add('GET', '/artifact-files/{namespace}/{kind}/{id}/{nodeId}/{direction}/{name}', async (r) => {
    await serve(r.ctx, r.res, r.params.namespace!, r.params.kind!, r.params.id!, r.params.nodeId!, r.params.direction!, r.params.name!);
    return STREAMED;
  });
  router.add('GET', '/artifacts/{namespace}/{name}/{nodeId}/{artifactName}', async (r) => {
    await serve(r.ctx, r.res, r.params.namespace!, 'workflows', r.params.name!, r.params.nodeId!, 'outputs', r.params.artifactName!);
    return STREAMED;
  });
  router.add('GET', '/input-artifacts/{namespace}/{name}/{nodeId}/{artifactName}', async (r) => {
    await serve(r.ctx, r.res, r.params.namespace!, 'workflows', r.params.name!, r.params.nodeId!, 'inputs', r.params.artifactName!);
    return STREAMED;
  });
}
