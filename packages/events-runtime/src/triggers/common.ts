/** What trigger executors get, and the trigger source artifact loader (resource / inline / configmap / file / url / git). */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { R, type KubeClient, type KubeObject } from '@flotilla/kube-runtime';
import { field, type CloudEvent, type Logger } from '../config.js';

export interface TriggerContext {
  namespace: string;
  sensorName: string;
  triggerName: string;
  log: Logger;
  kube(): KubeClient;
  /** dependency name → its event */
  events: Record<string, CloudEvent>;
}

export interface TriggerResult {
  /** the object a k8s / argoWorkflow trigger created or changed */
  object?: KubeObject;
  /** an http trigger's response status */
  status?: number;
  message: string;
}

/** A failure that retrying cannot fix (bad spec): no retries. */
export class PermanentError extends Error {}

const run = promisify(execFile);

function parseDoc(text: string, where: string): Record<string, any> {
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (e) {
    throw new PermanentError(`${where}: not YAML or JSON: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new PermanentError(`${where}: not an object`);
  return v as Record<string, any>;
}

/** Loads the object of a k8s / argoWorkflow trigger from its source artifact. */
export async function loadSource(source: any, ctx: TriggerContext): Promise<Record<string, any>> {
  if (!source || typeof source !== 'object') throw new PermanentError('the trigger has no source');
  const resource = field(source, 'resource');
  if (resource) return structuredClone(resource);
  const inline = field(source, 'inline');
  if (typeof inline === 'string') return parseDoc(inline, 'source.inline');
  const configmap = field(source, 'configmap');
  if (configmap) {
    const { name, key } = configmap;
    const cm = (await ctx.kube().get(R.configmaps, ctx.namespace, name)) as { data?: Record<string, string> };
    const text = cm.data?.[key];
    if (text === undefined) throw new PermanentError(`source.configmap: configmap ${name} has no key ${key}`);
    return parseDoc(text, `source.configmap ${name}/${key}`);
  }
  if (source.file?.path) return parseDoc(readFileSync(source.file.path, 'utf8'), `source.file ${source.file.path}`);
  if (source.url?.path) {
    const r = await fetch(source.url.path);
    if (!r.ok) throw new Error(`source.url ${source.url.path}: HTTP ${r.status}`);
    return parseDoc(await r.text(), `source.url ${source.url.path}`);
  }
  if (source.git) {
    const g = source.git;
    const dir = mkdtempSync(join(tmpdir(), 'sensor-git-'));
    try {
      const args = ['clone', '--depth', '1'];
      if (g.branch || g.tag) args.push('--branch', g.branch || g.tag);
      await run('git', [...args, g.url, dir], { timeout: 60_000 });
      if (g.ref) await run('git', ['-C', dir, 'checkout', g.ref], { timeout: 30_000 }).catch(async () => {
        await run('git', ['-C', dir, 'fetch', '--depth', '1', 'origin', g.ref], { timeout: 60_000 });
        await run('git', ['-C', dir, 'checkout', 'FETCH_HEAD'], { timeout: 30_000 });
      });
      return parseDoc(readFileSync(join(dir, g.filePath), 'utf8'), `source.git ${g.url} ${g.filePath}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (source.s3) throw new PermanentError('source.s3 is not available in this installation');
  throw new PermanentError('the trigger source names no resource, inline, configmap, file, url or git');
}

export async function resourceOfObject(kube: KubeClient, obj: KubeObject) {
  if (!obj.apiVersion || !obj.kind) throw new PermanentError('the trigger resource has no apiVersion/kind');
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  try {
    return await kube.resourceFor({ group: group!, version: version!, kind: obj.kind });
  } catch (e) {
    throw new Error(`no resource for ${obj.apiVersion} ${obj.kind}: ${(e as Error).message}`);
  }
}
