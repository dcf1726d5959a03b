/**
 * Chat services with their documented payloads: Slack (chat.postMessage), Mattermost (/api/v4/posts),
 * Microsoft Teams (incoming webhook MessageCard), Telegram (Bot API sendMessage).
 */
import type { Delivery } from '../engine.js';
import { DeliveryError, httpSend, jsonField, str } from './http.js';

export async function sendSlack(cfg: Record<string, unknown>, d: Delivery): Promise<void> {
  const s = (d.notification.slack ?? {}) as Record<string, unknown>;
  const api = (str(cfg.apiURL) || 'https://slack.com/api/').replace(/\/?$/, '/');
  const icon = str(cfg.icon);
  const body: Record<string, unknown> = { channel: d.destination.recipient, text: str(d.notification.message) };
  const att = jsonField(s.attachments, 'slack.attachments');
  const blocks = jsonField(s.blocks, 'slack.blocks');
  if (att) body.attachments = att;
  if (blocks) body.blocks = blocks;
  if (cfg.username) body.username = str(cfg.username);
  if (icon) body[/^https?:\/\//.test(icon) ? 'icon_url' : 'icon_emoji'] = icon;
  if (s.notifyBroadcast === true || s.notifyBroadcast === 'true') body.reply_broadcast = true;
  const r = await httpSend(api + 'chat.postMessage', {
    headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${str(cfg.token)}` },
    body: JSON.stringify(body),
    insecureSkipVerify: cfg.insecureSkipVerify === true,
    retryMax: 2,
    retryWaitMinMs: 500,
  });
  let ok = false;
  let err = '';
  try {
    const v = JSON.parse(r.text) as { ok?: boolean; error?: string };
    ok = v.ok === true;
    err = v.error ?? '';
  } catch {
    err = 'the response is not JSON';
  }
  if (!ok) throw new DeliveryError(`slack chat.postMessage to ${d.destination.recipient}: ${err || 'not ok'}`);
}

export async function sendMattermost(cfg: Record<string, unknown>, d: Delivery): Promise<void> {
  const m = (d.notification.mattermost ?? {}) as Record<string, unknown>;
  if (!cfg.apiURL) throw new DeliveryError('service.mattermost: apiURL is required');
  const props: Record<string, unknown> = {};
  const att = jsonField(m.attachments, 'mattermost.attachments');
  if (att) props.attachments = att;
  await httpSend(str(cfg.apiURL).replace(/\/$/, '') + '/api/v4/posts', {
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${str(cfg.token)}` },
    body: JSON.stringify({ channel_id: d.destination.recipient, message: str(d.notification.message), props }),
    insecureSkipVerify: cfg.insecureSkipVerify === true,
    retryMax: 2,
    retryWaitMinMs: 500,
  });
}

export async function sendTeams(cfg: Record<string, unknown>, d: Delivery): Promise<void> {
  const urls = (cfg.recipientUrls ?? {}) as Record<string, string>;
  const url = urls[d.destination.recipient];
  if (!url) throw new DeliveryError(`service.teams.recipientUrls: no URL for recipient "${d.destination.recipient}"`);
  const t = (d.notification.teams ?? {}) as Record<string, unknown>;
  let card: Record<string, unknown>;
  if (t.template) {
    card = jsonField(t.template, 'teams.template') as Record<string, unknown>;
  } else {
    card = { '@type': 'MessageCard', '@context': 'https://schema.org/extensions', text: str(t.text) || str(d.notification.message) };
    if (t.title) card.title = str(t.title);
    if (t.summary) card.summary = str(t.summary);
    if (t.themeColor) card.themeColor = str(t.themeColor);
    const sections = (jsonField(t.sections, 'teams.sections') as Array<Record<string, unknown>> | undefined) ?? [];
    const facts = jsonField(t.facts, 'teams.facts');
    if (facts) sections.push({ facts });
    if (sections.length) card.sections = sections;
    const actions = jsonField(t.potentialAction, 'teams.potentialAction');
    if (actions) card.potentialAction = actions;
  }
  await httpSend(url, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(card), retryMax: 2, retryWaitMinMs: 500 });
}

export async function sendTelegram(cfg: Record<string, unknown>, d: Delivery): Promise<void> {
  if (!cfg.token) throw new DeliveryError('service.telegram: token is required');
  const api = (str(cfg.apiURL) || 'https://api.telegram.org').replace(/\/$/, '');
  const r = d.destination.recipient;
  const chat = /^-?\d+$/.test(r) ? Number(r) : r.startsWith('@') ? r : '@' + r;
  const res = await httpSend(`${api}/bot${str(cfg.token)}/sendMessage`, {
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ chat_id: chat, text: str(d.notification.message), parse_mode: 'Markdown' }),
    retryMax: 2,
    retryWaitMinMs: 500,
  });
  const v = JSON.parse(res.text || '{}') as { ok?: boolean; description?: string };
  if (v.ok !== true) throw new DeliveryError(`telegram sendMessage to ${r}: ${v.description ?? 'not ok'}`);
}
