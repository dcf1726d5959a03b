/**
 * Chat services with their documented payloads: Slack (chat.postMessage), Mattermost (/api/v4/posts),
 * Microsoft Teams (incoming webhook MessageCard), Telegram (Bot API sendMessage).
 */
import type { Delivery } from '../engine.js';
import { DeliveryError, httpSend, jsonField, str } from './http.js';

/** Slack threads by `groupingKey` (channel + key → the first message's ts), kept in memory as upstream does. */
const slackThreads = new Map<string, string>();

export async function sendSlack(cfg: Record<string, unknown>, d: Delivery): Promise<void> {
  const s = (d.notification.slack ?? {}) as Record<string, unknown>;
  const api = (str(cfg.apiURL) || 'https://slack.com/api/').replace(/\/?$/, '/');
  const icon = str(cfg.icon);
  const channel = d.destination.recipient;
  const body: Record<string, unknown> = { channel, text: str(d.notification.message) };
  const att = jsonField(s.attachments, 'slack.attachments');
  const blocks = jsonField(s.blocks, 'slack.blocks');
  if (att) body.attachments = att;
  if (blocks) body.blocks = blocks;
  if (cfg.username) body.username = str(cfg.username);
  if (icon) body[/^https?:\/\//.test(icon) ? 'icon_url' : 'icon_emoji'] = icon;
  const policy = str(s.deliveryPolicy) || 'Post';
  if (!['Post', 'PostAndUpdate', 'Update'].includes(policy)) throw new DeliveryError(`slack.deliveryPolicy: "${policy}" is not one of Post, PostAndUpdate, Update`);
  const key = s.groupingKey ? `${api}|${channel}|${str(s.groupingKey)}` : undefined;
  const ts = key ? slackThreads.get(key) : undefined;
  let method = 'chat.postMessage';
  if (ts && policy !== 'Post') {
    method = 'chat.update';
    body.ts = ts;
  } else if (policy === 'Update') {
    return; // nothing to update yet
  } else if (ts) {
    body.thread_ts = ts;
    if (s.notifyBroadcast === true || s.notifyBroadcast === 'true') body.reply_broadcast = true;
  }
  const r = await httpSend(api + method, {
    headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${str(cfg.token)}` },
    body: JSON.stringify(body),
    insecureSkipVerify: cfg.insecureSkipVerify === true,
    retryMax: 2,
    retryWaitMinMs: 500,
  });
  let v: { ok?: boolean; error?: string; ts?: string } = {};
  try {
    v = JSON.parse(r.text) as typeof v;
  } catch {
    v = { error: 'the response is not JSON' };
  }
  if (v.ok !== true) throw new DeliveryError(`slack ${method} to ${channel}: ${v.error || 'not ok'}`);
  if (key && !ts && v.ts) slackThreads.set(key, v.ts);
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
