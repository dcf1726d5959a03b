/** The services: a Sender for the engine, dispatching on the service's type. */
import type { NotifConfig } from '../config.js';
import type { Delivery, Sender } from '../engine.js';
import { sendEmail } from './email.js';
import { sendGitHub } from './github.js';
import { sendMattermost, sendSlack, sendTeams, sendTelegram } from './chat.js';
import { sendWebhook } from './webhook.js';
import { DeliveryError } from './http.js';

export { DeliveryError } from './http.js';

const SENDERS: Record<string, (cfg: Record<string, unknown>, d: Delivery) => Promise<void>> = {
  webhook: sendWebhook,
  email: sendEmail,
  slack: sendSlack,
  mattermost: sendMattermost,
  teams: sendTeams,
  telegram: sendTelegram,
  github: sendGitHub,
};

export function serviceSender(cfg: NotifConfig): Sender {
  return async (d) => {
    const svc = cfg.services.get(d.destination.service);
    if (!svc) throw new DeliveryError(`service "${d.destination.service}" is not configured`);
    const fn = SENDERS[svc.type];
    if (!fn) throw new DeliveryError(`service type "${svc.type}" is not supported`);
    await fn(svc.config, d);
  };
}
