/**
 * `argoexec agent`: http templates, run in the node's own pod (TEAM.md allows it instead of
 * upstream's agent pod + WorkflowTaskSet). Sends the request (method, headers — values or Secret
 * keys —, body, timeoutSeconds), decides success by `successCondition` (expr over `response`:
 * statusCode, body, headers) or a 2xx status, and reports the body as the node's `result`.
 */
import { evaluateArgo } from '@flotilla/expr';
import type { ExecutorEnv } from './env.js';
import { exitCodeFile, local, stdoutFile } from './paths.js';
import type { SecretReader } from './artifacts/types.js';
import { writeAtomic, writeExitCode } from './fsutil.js';
import { taskResult } from './outputs.js';
import { upsertTaskResult } from './kube.js';
import { log, logError } from './log.js';

export interface HttpSpec {
  url: string;
  method?: string;
  headers?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  body?: string;
  bodyFrom?: { bytes?: string };
  successCondition?: string;
  timeoutSeconds?: number;
  insecureSkipVerify?: boolean;
}

export interface HttpResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string[]>;
}

/** Whether the response is a success (pure): the condition, else a 2xx status. */
export function httpSucceeded(h: Pick<HttpSpec, 'successCondition'>, r: HttpResponse): { ok: boolean; message?: string } {
  if (h.successCondition) {
    const v = evaluateArgo(h.successCondition, { response: r });
    if (typeof v !== 'boolean') throw new Error(`successCondition "${h.successCondition}" gave ${JSON.stringify(v)}, not a boolean`);
    return v ? { ok: true } : { ok: false, message: `successCondition "${h.successCondition}" evaluated false (status code ${r.statusCode})` };
  }
  return r.statusCode >= 200 && r.statusCode < 300 ? { ok: true } : { ok: false, message: `received non-2xx response code: ${r.statusCode}` };
}

export async function doRequest(h: HttpSpec, secret: SecretReader): Promise<HttpResponse> {
  const headers: Record<string, string> = {};
  for (const x of h.headers ?? []) headers[x.name] = x.valueFrom?.secretKeyRef ? await secret(x.valueFrom.secretKeyRef) : x.value ?? '';
  const body = h.body ?? (h.bodyFrom?.bytes ? Buffer.from(h.bodyFrom.bytes, 'base64') : undefined);
  const ctl = new AbortController();
  const timer = h.timeoutSeconds ? setTimeout(() => ctl.abort(), h.timeoutSeconds * 1000) : undefined;
  try {
    const r = await fetch(h.url, { method: h.method || 'GET', headers, body, signal: ctl.signal });
    const out: Record<string, string[]> = {};
    r.headers.forEach((v, k) => (out[k] = [...(out[k] ?? []), v]));
    return { statusCode: r.status, body: await r.text(), headers: out };
  } catch (e) {
    const err = e as Error & { cause?: { message?: string } };
    throw new Error(`${h.method || 'GET'} ${h.url}: ${err.name === 'AbortError' ? `timed out after ${h.timeoutSeconds}s` : err.cause?.message ?? err.message}`);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export async function runAgent(env: ExecutorEnv, secret: () => SecretReader): Promise<number> {
  const h = env.template.http as HttpSpec | undefined;
  if (!h?.url) throw new Error('argoexec agent: the template has no http.url (only http templates run in the node\'s own pod here)');
  let code = 0;
  let message: string | undefined;
  let result: string | undefined;
  try {
    const r = await doRequest(h, secret());
    result = r.body;
    log(`${h.method || 'GET'} ${h.url}: ${r.statusCode}`);
    process.stdout.write(r.body.endsWith('\n') ? r.body : `${r.body}\n`);
    const s = httpSucceeded(h, r);
    if (!s.ok) {
      code = 1;
      message = s.message;
    }
  } catch (e) {
    code = 1;
    message = (e as Error).message;
  }
  if (message) logError(message);
  try {
    if (result !== undefined) writeAtomic(local(stdoutFile(env.containerName)), result);
    writeExitCode(local(exitCodeFile(env.containerName)), code);
  } catch {
    /* no shared volume */
  }
  await upsertTaskResult(taskResult({ nodeId: env.nodeId, namespace: env.namespace, workflowName: env.workflowName, workflowUID: env.workflowUID, outputs: { result }, completed: true, message }));
  return code;
}
