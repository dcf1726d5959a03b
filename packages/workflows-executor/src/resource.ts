/**
 * `argoexec resource ACTION`: resource templates, as upstream runs them — the host kubectl (with
 * the pod's service account) does get|create|apply|delete|replace|patch of the manifest
 * (/tmp/manifest.yaml, init's copy, the template, or the `manifestFrom` artifact), with
 * `setOwnerReference`, `flags`, `mergeStrategy`; then the object is polled until
 * `failureCondition` or `successCondition` holds; output parameters from `jsonPath` (kubectl's
 * JSONPath) or `jqFilter` (jq) are recorded in the task result.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Document, isMap, isScalar, parseAllDocuments } from 'yaml';
import type { KubeClient } from '@flotilla/kube-runtime';
import type { ExecutorEnv } from './env.js';
import { MANIFEST, exitCodeFile, inputArtifactFile, local, outputParamFile, stagedManifest } from './paths.js';
import { evaluateConditions, parseCondition } from './conditions.js';
import { writeAtomic, writeExitCode } from './fsutil.js';
import { taskResult } from './outputs.js';
import { upsertTaskResult } from './kube.js';
import { log, logError } from './log.js';

const ACTIONS = ['get', 'create', 'apply', 'delete', 'replace', 'patch'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: string[], input?: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', (e) => resolve({ code: 127, stdout, stderr: `${cmd}: ${e.message}` }));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    p.stdin.on('error', () => {}); // EPIPE when kubectl exits early: its exit code and stderr are reported
    p.stdin.end(input ?? '');
  });
}

/** The manifest text: manifestFrom's artifact, /tmp/manifest.yaml, init's copy, or the template's. */
function manifestText(env: ExecutorEnv): string {
  const r = env.template.resource!;
  const fromArt = r.manifestFrom?.artifact?.name;
  if (fromArt) {
    const art = env.template.inputs?.artifacts?.find((a) => a.name === fromArt);
    for (const p of [local(inputArtifactFile(fromArt)), art?.path].filter(Boolean) as string[]) if (existsSync(p)) return readFileSync(p, 'utf8');
    throw new Error(`manifestFrom: input artifact ${fromArt} was not loaded`);
  }
  for (const p of [MANIFEST, local(stagedManifest)]) if (existsSync(p)) return readFileSync(p, 'utf8');
  if (r.manifest !== undefined) return r.manifest;
  throw new Error('resource template has neither manifest nor manifestFrom');
}

/**
 * The values of the object's own `metadata.labels` and `metadata.annotations` as strings, as they were written: an
 * unquoted `test: true` or `version: 1.10` is the label `"true"` / `"1.10"` (a null one is `""`). Kubernetes takes only
 * strings there (kubectl refuses the object: `cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels`),
 * and upstream's resource template creates such a manifest (its e2e functional/resource-template.yaml).
 */
function stringMetaValues(doc: Document): void {
  for (const field of ['labels', 'annotations']) {
    const m = doc.getIn(['metadata', field], true);
    if (!isMap(m)) continue;
    for (const pair of m.items) {
      const v = pair.value;
      if (!isScalar(v) || typeof v.value === 'string') continue;
      v.value = v.value === null || v.value === undefined ? '' : (v.source ?? String(v.value));
    }
  }
}

/** The manifest with the Workflow as owner (setOwnerReference), as JSON (pure). */
export function prepareManifest(text: string, owner?: { name: string; uid: string }): Record<string, any> {
  const docs = parseAllDocuments(text)
    .map((d) => {
      if (!(d instanceof Document)) return undefined;
      stringMetaValues(d);
      return d.toJS();
    })
    .filter((d) => d && typeof d === 'object');
  if (docs.length !== 1) throw new Error(`the manifest must hold one object (found ${docs.length})`);
  const obj = docs[0] as Record<string, any>;
  if (owner?.uid) {
    obj.metadata ??= {};
    obj.metadata.ownerReferences = [...(obj.metadata.ownerReferences ?? []), { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: owner.name, uid: owner.uid, blockOwnerDeletion: true, controller: false }];
  }
  return obj;
}

/** kubectl's arguments for an action (pure). */
export function kubectlArgs(action: string, file: string, o: { mergeStrategy?: string; flags?: string[]; namespace: string; patch?: string }): string[] {
  const ns = ['-n', o.namespace];
  const flags = o.flags ?? [];
  switch (action) {
    case 'get':
      return ['get', '-f', file, ...ns, '-o', 'json', ...flags];
    case 'create':
      return ['create', '-f', file, ...ns, '-o', 'json', ...flags];
    case 'apply':
      return ['apply', '-f', file, ...ns, '-o', 'json', ...flags];
    case 'replace':
      return ['replace', '-f', file, ...ns, '-o', 'json', ...flags];
    case 'delete':
      return ['delete', '-f', file, ...ns, '--ignore-not-found', ...flags];
    case 'patch':
      // a JSON patch names its target in the flags (`[pod, NAME]`), as upstream runs it; so may a merge or
      // strategic one (then the manifest is only the patch, and no file names the target)
      if (o.mergeStrategy === 'json') return ['patch', ...ns, '--type', 'json', '-p', o.patch ?? '[]', '-o', 'json', ...flags];
      if (flags.length) return ['patch', ...ns, '--type', o.mergeStrategy || 'strategic', '-p', o.patch ?? '{}', '-o', 'json', ...flags];
      return ['patch', '-f', file, ...ns, '--type', o.mergeStrategy || 'strategic', '-p', o.patch ?? '{}', '-o', 'json', ...flags];
    default:
      throw new Error(`unknown resource action "${action}" (${ACTIONS.join(', ')})`);
  }
}

export async function runResource(env: ExecutorEnv, args: string[], _kube: () => KubeClient): Promise<number> {
  const action = args[0] ?? env.template.resource?.action;
  const r = env.template.resource;
  if (!r) throw new Error('ARGO_TEMPLATE has no resource template');
  const name = env.containerName || 'main';
  const dir = mkdtempSync(join(tmpdir(), 'argo-resource-'));
  const kenv = { ...process.env, HOME: dir };
  const kubectl = (a: string[], input?: string) => run('kubectl', a, input, kenv);
  let code = 0;
  let message: string | undefined;
  const params: { name: string; value: string; [k: string]: unknown }[] = [];
  try {
    if (r.successCondition) parseCondition(r.successCondition);
    if (r.failureCondition) parseCondition(r.failureCondition);
    const jsonPatch = action === 'patch' && r.mergeStrategy === 'json';
    const text = manifestText(env);
    const obj = jsonPatch ? { metadata: {} as Record<string, any>, patch: parseAllDocuments(text)[0]?.toJS() } : prepareManifest(text, r.setOwnerReference ? { name: env.workflowName, uid: env.workflowUID } : undefined);
    if (jsonPatch && !Array.isArray(obj.patch)) throw new Error('a json patch manifest must be a list of operations');
    const file = join(dir, 'manifest.json');
    writeFileSync(file, JSON.stringify(jsonPatch ? obj.patch : obj));
    const res = await kubectl(kubectlArgs(action, file, { mergeStrategy: r.mergeStrategy, flags: r.flags, namespace: obj.metadata?.namespace ?? env.namespace, patch: JSON.stringify(jsonPatch ? obj.patch : obj) }));
    if (res.code !== 0) throw new Error(`kubectl ${action} failed: ${res.stderr.trim() || res.stdout.trim()}`);
    if (action === 'delete') log(res.stdout.trim() || 'deleted');
    else {
      let live = JSON.parse(res.stdout);
      log(`${live.kind}/${live.metadata?.name} ${action === 'get' ? 'found' : `${action}d`}`);
      const ref = `${live.kind.toLowerCase()}${live.apiVersion?.includes('/') ? `.${live.apiVersion.split('/')[1]}.${live.apiVersion.split('/')[0]}` : ''}/${live.metadata.name}`;
      const ns = live.metadata.namespace ?? env.namespace;
      if (r.successCondition || r.failureCondition) {
        for (;;) {
          const st = evaluateConditions(live, r.successCondition, r.failureCondition);
          if (st === 'failed') throw new Error(`failed condition: ${r.failureCondition}`);
          if (st === 'succeeded') break;
          await sleep(Number(process.env.ARGO_RESOURCE_POLL_MS) || 2000);
          const g = await kubectl(['get', ref, '-n', ns, '-o', 'json']);
          if (g.code !== 0) throw new Error(`kubectl get ${ref} failed: ${g.stderr.trim()}`);
          live = JSON.parse(g.stdout);
        }
        log(`success condition met: ${r.successCondition ?? '(none)'}`);
      }
      for (const p of env.template.outputs?.parameters ?? []) {
        const vf = p.valueFrom;
        let value: string | undefined;
        if (vf?.jsonPath) {
          const g = await kubectl(['get', ref, '-n', ns, '-o', `jsonpath=${vf.jsonPath}`]);
          if (g.code !== 0) throw new Error(`output parameter ${p.name}: jsonPath ${vf.jsonPath}: ${g.stderr.trim()}`);
          value = g.stdout;
        } else if (vf?.jqFilter) {
          const j = await run('jq', ['-r', vf.jqFilter], JSON.stringify(live));
          if (j.code !== 0) throw new Error(`output parameter ${p.name}: jqFilter ${vf.jqFilter}: ${j.stderr.trim()}`);
          value = j.stdout.replace(/\n$/, '');
        }
        if (value === undefined) continue;
        params.push({ ...p, value });
        writeAtomic(local(outputParamFile(p.name)), value);
      }
    }
  } catch (e) {
    code = 1;
    message = (e as Error).message;
    logError(message);
  }
  // this container's record for a `wait` beside it; and the task result, for pods without one
  try {
    writeExitCode(local(exitCodeFile(name)), code);
  } catch {
    /* no shared volume */
  }
  try {
    await upsertTaskResult(taskResult({ nodeId: env.nodeId, namespace: env.namespace, workflowName: env.workflowName, workflowUID: env.workflowUID, outputs: { parameters: params.length ? params : undefined, exitCode: String(code) }, completed: true, message }));
  } catch (e) {
    logError(`failed to write the task result: ${(e as Error).message}`);
    code = code || 1;
  }
  if (message) {
    try {
      writeFileSync('/dev/termination-log', message);
    } catch {
      /* none */
    }
  }
  return code;
}
