/**
 * The servers' REST APIs from the browser: JSON calls (errors carry the server's message; a 401
 * sends to the login page with a return URL) and newline-delimited JSON streams that reconnect.
 */
import { basePath, currentRoute, navigate } from './router';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: number) {
    super(message);
  }
}

function loginRedirect(): void {
  const r = currentRoute();
  if (r.path === 'login') return;
  const ret = r.path + (r.query.toString() ? `?${r.query}` : '');
  navigate(`login?return_url=${encodeURIComponent(ret)}`, { replace: true });
}

export async function api<T = any>(method: string, path: string, body?: unknown, o: { noRedirect?: boolean } = {}): Promise<T> {
  const res = await fetch(basePath + path.replace(/^\//, ''), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && !o.noRedirect) loginRedirect();
    const msg = json?.message ?? json?.error ?? (text.trim() || res.statusText);
    throw new ApiError(res.status, res.status === 403 ? `permission denied: ${msg}` : msg, json?.code);
  }
  return json as T;
}

export type StreamState = 'connecting' | 'open' | 'reconnecting';

/**
 * Reads a server stream (`{"result": …}` per line) and calls `onItem` for each result; reconnects
 * with back-off after the stream ends or fails, telling `onState`. Returns a function that stops it.
 */
export function stream(path: string, onItem: (r: any) => void, onState: (s: StreamState, err?: string) => void = () => {}, o: { reconnect?: boolean } = {}): () => void {
  let stopped = false;
  let ctl: AbortController | undefined;
  let delay = 500;
  const run = async () => {
    while (!stopped) {
      ctl = new AbortController();
      let err: string | undefined;
      try {
        const res = await fetch(basePath + path.replace(/^\//, ''), { signal: ctl.signal, credentials: 'same-origin' });
        if (res.status === 401) {
          loginRedirect();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`${res.status} ${(await res.text()).slice(0, 300)}`);
        onState('open');
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              const msg = JSON.parse(line);
              if (msg.error) err = msg.error.message ?? JSON.stringify(msg.error);
              else onItem(msg.result ?? msg);
            } catch {
              /* a partial line from a cut stream */
            }
          }
        }
      } catch (e) {
        if (stopped) return;
        err = (e as Error).message;
      }
      if (stopped || o.reconnect === false) return;
      onState('reconnecting', err);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  onState('connecting');
  void run();
  return () => {
    stopped = true;
    ctl?.abort();
  };
}

/** The section this server opens on (written into index.html by the server). */
export const homeSection = (document.querySelector('meta[name="flotilla-section"]')?.getAttribute('content') ?? 'applications') as 'applications' | 'workflows' | 'rollouts' | 'events';
