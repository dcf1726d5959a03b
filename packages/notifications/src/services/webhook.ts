/** Generic webhook (`service.webhook.<name>`): url, headers, basicAuth, insecureSkipVerify, retries; template `webhook.<name>: {method, path, body}`. */
import type { Delivery } from '../engine.js';
import { DeliveryError, durationMs, httpSend, str } from './http.js';

export async function sendWebhook(cfg: Record<string, unknown>, d: Delivery): Promise<void> {
  const name = d.destination.service;
  const all = (d.notification.webhook ?? {}) as Record<string, Record<string, unknown>>;
  const t = all[name];
  // upstream: a template without a section for this webhook sends nothing to it
  if (!t) return;
  if (typeof cfg.url !== 'string' || !cfg.url) throw new DeliveryError(`service.webhook.${name}: url is required`);
  const headers: Record<string, string> = {};
  const hs = cfg.headers ?? [];
  if (!Array.isArray(hs)) throw new DeliveryError(`service.webhook.${name}.headers: expected a list of {name, value}`);
  for (const h of hs as Array<Record<string, unknown>>) headers[str(h.name)] = str(h.value);
  const ba = cfg.basicAuth as Record<string, unknown> | undefined;
  if (ba) headers.Authorization = 'Basic ' + Buffer.from(`${str(ba.username)}:${str(ba.password)}`).toString('base64');
  const method = str(t.method).toUpperCase() || 'GET';
  await httpSend(cfg.url.replace(/\/$/, '') + str(t.path), {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : str(t.body),
    insecureSkipVerify: cfg.insecureSkipVerify === true,
    retryMax: cfg.retryMax === undefined ? 3 : Number(cfg.retryMax),
    retryWaitMinMs: durationMs(cfg.retryWaitMin, 1000, `service.webhook.${name}.retryWaitMin`),
    retryWaitMaxMs: durationMs(cfg.retryWaitMax, 5000, `service.webhook.${name}.retryWaitMax`),
  });
}
