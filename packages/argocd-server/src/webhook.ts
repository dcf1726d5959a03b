/** `/api/webhook`: Git push notifications refresh (and so auto-sync) the apps they concern at once. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ANNOTATIONS, type Application } from '@flotilla/argocd-engine/types';
import type { Ctx } from './context.js';
import { CM, SECRET, APPS } from './store.js';
import { authenticate, appAffected, parsePush, providerOf, WebhookError } from './webhook-parse.js';
import { observeWebhook } from './metrics.js';

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text + (text ? '\n' : ''));
}

export async function handleWebhook(ctx: Ctx, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return reply(res, 405, 'Method Not Allowed');
  const mb = Number(ctx.store.cm(CM.argocd)['webhook.maxPayloadSizeMB'] ?? ctx.opts.maxPayloadMB) || ctx.opts.maxPayloadMB;
  const max = mb * 1024 * 1024;
  const body = await new Promise<Buffer | undefined>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(n > max ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
  const remote = req.socket.remoteAddress;
  if (!body) {
    ctx.log.warn('webhook payload too large', { limitMB: mb, remote });
    return reply(res, 400, `Webhook processing failed: The payload is either too large or corrupted. Please check the payload size (must be under ${mb} MB) and ensure it is valid JSON`);
  }
  const provider = providerOf(req.headers);
  if (!provider) {
    ctx.log.warn('webhook from an unknown source', { remote });
    return reply(res, 400, 'Unknown webhook event');
  }
  try {
    authenticate(provider, req.headers, body, ctx.store.secret(SECRET.argocd));
  } catch (e) {
    observeWebhook(provider, 'refused');
    ctx.log.warn('webhook refused', { provider, remote, error: (e as Error).message });
    return reply(res, (e as WebhookError).status ?? 400, `Webhook processing failed: ${(e as Error).message}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    // form-encoded GitHub deliveries carry the JSON in `payload=`
    const form = new URLSearchParams(body.toString('utf8')).get('payload');
    try {
      payload = form ? JSON.parse(form) : undefined;
    } catch {
      payload = undefined;
    }
    if (payload === undefined) return reply(res, 400, 'Webhook processing failed: The payload is either too large or corrupted. Please check the payload size (must be under ' + mb + ' MB) and ensure it is valid JSON');
  }
  const push = parsePush(provider, req.headers, payload);
  observeWebhook(provider, push ? 'push' : 'ignored');
  if (!push) return reply(res, 200, '');
  const apps = ctx.store.apps.list().filter((a) => appAffected(a, push));
  ctx.log.info('webhook received', { provider, urls: push.urls, revision: push.revision, apps: apps.map((a) => a.metadata?.name) });
  await Promise.all(apps.map((a) => refresh(ctx, a)));
  reply(res, 200, '');
}

async function refresh(ctx: Ctx, a: Application): Promise<void> {
  try {
    await ctx.client.patch(APPS, a.metadata!.namespace, a.metadata!.name!, { metadata: { annotations: { [ANNOTATIONS.refresh]: 'normal' } } }, 'merge');
    ctx.log.info('refreshing app from webhook', { app: a.metadata?.name });
  } catch (e) {
    ctx.log.warn('webhook refresh failed', { app: a.metadata?.name, error: (e as Error).message });
  }
}
