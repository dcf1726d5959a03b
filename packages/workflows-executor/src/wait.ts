/**
 * `argoexec wait`: the pod's sidecar. Waits for the main container(s) to write their exit code
 * (signalling them at the pod's deadline or when the pod is stopped), collects the outputs —
 * parameters from the files main's emissary copied, `result` (capped), the exit code — uploads the
 * output artifacts (and main's log with archiveLogs), and creates or updates the
 * WorkflowTaskResult named after the node.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorEnv } from './env.js';
import { mainContainers } from './env.js';
import { exitCodeFile, local, outputArtifactFile, outputParamFile, signalFile, stderrFile, stdoutFile } from './paths.js';
import { captureResult, collectParameters, outputArtifacts, parseProgress, taskResult, type TaskOutputs } from './outputs.js';
import type { Artifact, SecretReader } from './artifacts/types.js';
// the artifact drivers (zlib, streams, SDKs) load only when a template has artifacts
import { templateRepository, withLocation } from './artifacts/repository.js';
const saveArtifact: typeof import('./artifacts/index.js').saveArtifact = async (...a) => (await import('./artifacts/index.js')).saveArtifact(...a);
import { log, logError } from './log.js';
import { ARGO_VERSION } from '@flotilla/workflows-controller/version';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readOpt = (p: string) => (existsSync(p) ? readFileSync(p) : undefined);

export interface WaitDeps {
  secret: () => SecretReader;
  writeResult: (obj: Record<string, any>) => Promise<void>;
  /** grace between SIGTERM and SIGKILL of main at the deadline or on stop */
  graceMs?: number;
  pollMs?: number;
  progressEveryMs?: number;
}

/** Waits until every container wrote its exit code; signals them at the deadline or on SIGTERM. */
export async function waitForContainers(env: ExecutorEnv, names: string[], o: { graceMs: number; pollMs: number; stopped: () => boolean; tick?: () => Promise<void> }): Promise<{ codes: Record<string, number>; reason?: string }> {
  let reason: string | undefined;
  let termAt = 0;
  let killed = false;
  const pending = () => names.filter((n) => !existsSync(local(exitCodeFile(n))));
  const signal = (n: number) => {
    for (const c of pending()) writeFileSync(local(signalFile(c)), String(n));
  };
  while (pending().length) {
    if (!termAt) {
      if (env.deadline !== undefined && Date.now() >= env.deadline) reason = 'Pod was active on the node longer than the specified deadline';
      else if (o.stopped()) reason = 'terminated';
      if (reason) {
        log(`${reason}: signalling ${pending().join(', ')} (SIGTERM)`);
        signal(15);
        termAt = Date.now();
      }
    } else if (!killed && Date.now() - termAt > o.graceMs) {
      log(`signalling ${pending().join(', ')} (SIGKILL)`);
      signal(9);
      killed = true;
    } else if (killed && Date.now() - termAt > o.graceMs + 10_000) break; // the emissary itself is gone
    if (o.tick) await o.tick();
    await sleep(o.pollMs);
  }
  const codes: Record<string, number> = {};
  for (const n of names) {
    const f = readOpt(local(exitCodeFile(n)));
    if (f !== undefined) codes[n] = Number(f.toString().trim());
  }
  return { codes, reason };
}

/** Asks the sidecars' emissaries for SIGTERM, then SIGKILL after the grace period. */
export async function stopSidecars(names: string[], graceMs: number, pollMs: number): Promise<void> {
  const pending = () => names.filter((n) => !existsSync(local(exitCodeFile(n))));
  const signal = (n: number) => {
    for (const c of pending()) {
      try {
        mkdirSync(local(`/var/run/argo/ctr/${c}`), { recursive: true });
        writeFileSync(local(signalFile(c)), String(n));
      } catch {
        /* not there */
      }
    }
  };
  if (!pending().length) return;
  log(`stopping sidecars ${pending().join(', ')} (SIGTERM)`);
  signal(15);
  const start = Date.now();
  while (pending().length && Date.now() - start < graceMs) await sleep(pollMs);
  if (!pending().length) return;
  log(`killing sidecars ${pending().join(', ')} (SIGKILL)`);
  signal(9);
  const k = Date.now();
  while (pending().length && Date.now() - k < 5000) await sleep(pollMs);
}

/** Collects and saves the outputs of main; errors are collected, not thrown. */
export async function collectOutputs(env: ExecutorEnv, exitCode: number | undefined, secret: () => SecretReader): Promise<{ outputs: TaskOutputs; errors: string[] }> {
  const t = env.template;
  const errors: string[] = [];
  const outputs: TaskOutputs = {};
  if (exitCode !== undefined) outputs.exitCode = String(exitCode);
  const failed = exitCode !== 0;
  const params = collectParameters(t.outputs?.parameters, (name) => readOpt(local(outputParamFile(name)))?.toString('utf8'));
  if (params.parameters.length) outputs.parameters = params.parameters;
  // a failed main may leave no outputs: upstream reports what it has and fails only on its own errors
  if (!failed) errors.push(...params.errors);
  if (env.includeScriptOutput) {
    const out = readOpt(local(stdoutFile('main')));
    if (out !== undefined) {
      const r = captureResult(out);
      if (r.truncated) logError('the output is larger than 256 KiB: only its last 256 KiB are in the result');
      outputs.result = r.result;
    }
  }
  const vars = { workflowName: env.workflowName, workflowUID: env.workflowUID, namespace: env.namespace, podName: env.podName };
  const saved: Artifact[] = [];
  // the template's archiveLocation over the workflow's repository (pure, light: no SDK)
  const tr = templateRepository(t.archiveLocation as Record<string, any> | undefined, env.artifactRepository);
  const repo = tr.repo;
  const record = (r: Artifact) => (tr.own ? withLocation(r, repo) : r);
  for (const a of outputArtifacts(t)) {
    const staged = local(outputArtifactFile(a.name));
    const errFile = readOpt(`${staged}.error`);
    if (errFile) {
      errors.push(`failed to save artifact ${a.name}: ${errFile.toString()}`);
      continue;
    }
    if (!existsSync(staged)) {
      if (a.optional || failed) {
        if (a.optional) log(`optional output artifact ${a.name} (${a.path}) does not exist: skipped`);
        continue;
      }
      errors.push(`failed to save outputs: artifact ${a.name}: ${a.path} does not exist`);
      continue;
    }
    try {
      log(`saving output artifact ${a.name} from ${a.path}`);
      saved.push(record(await saveArtifact(a, repo, staged, vars, secret())));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const archiveLogs = (t.archiveLocation as { archiveLogs?: boolean } | undefined)?.archiveLogs ?? env.artifactRepository?.archiveLogs;
  if (archiveLogs && repo?.s3) {
    // each main container's log: `main-logs` (main.log), or per container of a containerSet `<name>-logs` (<name>.log)
    const dir = mkdtempSync(join(tmpdir(), 'argo-logs-'));
    try {
      for (const c of mainContainers(t)) {
        try {
          const file = join(dir, `${c}.log`);
          writeFileSync(file, Buffer.concat([readOpt(local(stdoutFile(c))) ?? Buffer.alloc(0), readOpt(local(stderrFile(c))) ?? Buffer.alloc(0)]));
          const a: Artifact = { name: `${c}-logs`, path: file, archive: { none: {} } };
          const rec = record(await saveArtifact(a, repo, file, vars, secret()));
          const { path: _p, archive: _a, ...logArt } = rec;
          saved.push(logArt as Artifact);
        } catch (e) {
          errors.push(`failed to archive logs: ${(e as Error).message}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (saved.length) outputs.artifacts = saved;
  return { outputs, errors };
}

/** wait's first log line, as upstream's (`argo logs … -c wait` shows it); argoexec.sh's sh wait writes its own. */
export function logStart(): void {
  // argoexec.sh's sh wait already wrote it when it hands over to this one (main wrote its progress)
  if (process.env.FLOTILLA_WAIT_STARTED === 'true') return;
  log('Starting Workflow Executor', { version: ARGO_VERSION });
}

export async function runWait(env: ExecutorEnv, deps: WaitDeps): Promise<number> {
  logStart();
  let stopped = false;
  const onTerm = () => {
    stopped = true;
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  // as upstream: a result marked not-completed at once, so the controller waits for the outputs
  try {
    await deps.writeResult(taskResult({ nodeId: env.nodeId, namespace: env.namespace, workflowName: env.workflowName, workflowUID: env.workflowUID, outputs: {}, completed: false }));
  } catch (e) {
    logError(`failed to create the task result ${env.namespace}/${env.nodeId}: ${(e as Error).message}`);
  }
  const names = mainContainers(env.template);
  // progress (ARGO_PROGRESS_FILE) is reported while main runs, at most every few seconds
  let lastProgress: string | undefined;
  let lastCheck = 0;
  const tick = async () => {
    if (Date.now() - lastCheck < (deps.progressEveryMs ?? 3000)) return;
    lastCheck = Date.now();
    const progress = parseProgress(readOpt(local(env.progressFile))?.toString());
    if (!progress || progress === lastProgress) return;
    lastProgress = progress;
    try {
      await deps.writeResult(taskResult({ nodeId: env.nodeId, namespace: env.namespace, workflowName: env.workflowName, workflowUID: env.workflowUID, outputs: {}, progress, completed: false }));
    } catch (e) {
      logError(`failed to report progress: ${(e as Error).message}`);
    }
  };
  const { codes, reason } = await waitForContainers(env, names, { graceMs: deps.graceMs ?? 10_000, pollMs: deps.pollMs ?? 250, stopped: () => stopped, tick });
  const mainCode = codes.main ?? codes[names[names.length - 1]];
  // sidecars end with main (upstream: wait kills them), so the pod completes
  const sidecars = ((env.template.sidecars as { name?: string }[] | undefined) ?? []).map((c, i) => c.name ?? `sidecar-${i}`);
  const stopping = sidecars.length ? stopSidecars(sidecars, deps.graceMs ?? 10_000, deps.pollMs ?? 250) : Promise.resolve();
  log(`main container(s) finished: ${names.map((n) => `${n}=${codes[n] ?? '?'}`).join(' ')}`);
  const { outputs, errors } = await collectOutputs(env, mainCode, deps.secret);
  const progress = parseProgress(readOpt(local(env.progressFile))?.toString());
  const message = [reason, ...errors].filter(Boolean).join('; ') || undefined;
  try {
    await deps.writeResult(taskResult({ nodeId: env.nodeId, namespace: env.namespace, workflowName: env.workflowName, workflowUID: env.workflowUID, outputs, progress, completed: true, message }));
    log(`task result ${env.namespace}/${env.nodeId} written`);
  } catch (e) {
    errors.push(`failed to write the task result ${env.namespace}/${env.nodeId}: ${(e as Error).message}`);
  }
  await stopping;
  if (errors.length) {
    for (const e of errors) logError(e);
    try {
      writeFileSync('/dev/termination-log', errors.join('; '));
    } catch {
      /* no termination log */
    }
    return 1;
  }
  return 0;
}

