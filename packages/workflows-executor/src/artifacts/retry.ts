/** Retries of artifact operations on transient errors (as upstream retries its artifact drivers). */

/** Whether an error is worth another try: the network (DNS, refused, reset, timeout) or a 5xx / throttling answer. */
export function transient(e: unknown): boolean {
  const err = e as { code?: string; name?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const code = (typeof err.code === 'string' ? err.code : undefined) ?? err.cause?.code ?? '';
  if (['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return true;
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up/.test(err.message ?? '')) return true;
  // (the Kubernetes client's ApiError: `code` is the HTTP status)
  if (typeof (e as { code?: unknown }).code === 'number') {
    const c = (e as { code: number }).code;
    return c >= 500 || c === 429;
  }
  const st = err.$metadata?.httpStatusCode;
  return (st !== undefined && st >= 500) || err.name === 'SlowDown' || err.name === 'TimeoutError';
}

/** Runs an operation again on transient errors (FLOTILLA_ARTIFACT_ATTEMPTS, default 5; waits 1 s, 2 s, 4 s…). */
export async function withRetries<T>(op: () => Promise<T>, attempts = Number(process.env.FLOTILLA_ARTIFACT_ATTEMPTS) || 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (e) {
      if (i >= attempts || !transient(e)) throw e;
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** (i - 1), 8000)));
    }
  }
}

